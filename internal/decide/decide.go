// Package decide asks the consent engine about messages to real patients: it loads the facts
// a decision needs from the store — in a fixed number of statements for any number of
// messages, so that the notification dispatcher can decide a batch of 1,000 due messages at
// once — and answers the questions staff ask about consent: why would or wouldn't this
// patient get this message (Explain, CON-9), what would turning the database's "respect
// opt-out" setting on or off change (DryRun, CON-1/CON-2), and whose clinical-software value
// disagrees with the choice they made in Tidings (Conflicts, CON-3).
//
// The rules themselves are the consent package's (pure); this package only reads.
//
// It must not import the web surfaces.
package decide

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// Message is one message to decide: to whom, how, why, and about which appointment (its
// agenda, reason, who booked it and its status at decision time; zero for messages about no
// appointment, such as recalls).
type Message struct {
	PatientID clinic.PatientID
	Channel   consent.Channel
	Purpose   consent.Purpose
	Notice    consent.Notice // booking notices only
	AgendaID  clinic.AgendaID
	ReasonID  clinic.ReasonID
	BookedBy  clinic.BookedBy
	Status    clinic.Status
}

// Load fills the consent facts of msgs from the store in five statements whatever their
// number (TestLoadStatements): the patients, their databases, their consent records, the
// agendas' channel switches, the reasons' switches. A message about a patient of another
// organisation gets facts that fail closed (no destination).
func Load(ctx context.Context, tx *store.Tx, org clinic.OrgID, msgs []Message) ([]consent.Facts, error) {
	facts, _, err := load(ctx, tx, org, msgs)
	return facts, err
}

// LoadPatients is Load, also returning the patients read, with their push subscriptions
// when a message is on the push channel (one more statement): the dispatcher renders and
// addresses the messages it decides with them.
func LoadPatients(ctx context.Context, tx *store.Tx, org clinic.OrgID, msgs []Message) ([]consent.Facts, map[clinic.PatientID]clinic.Patient, map[clinic.PatientID][]store.PushSubscription, error) {
	facts, patients, err := load(ctx, tx, org, msgs)
	if err != nil {
		return nil, nil, nil, err
	}
	var push []clinic.PatientID
	for _, m := range msgs {
		if m.Channel == consent.ChannelPush {
			push = append(push, m.PatientID)
		}
	}
	subs := map[clinic.PatientID][]store.PushSubscription{}
	if len(push) == 0 {
		return facts, patients, subs, nil
	}
	rows, err := tx.Notifications().PushSubscriptions(ctx, org, uniq(push))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load consent facts: %w", err)
	}
	for _, r := range rows {
		subs[r.PatientID] = append(subs[r.PatientID], r)
	}
	for i, m := range msgs {
		if m.Channel == consent.ChannelPush && len(subs[m.PatientID]) > 0 {
			facts[i].Push = consent.Valid
		}
	}
	return facts, patients, subs, nil
}

// load is Load, also returning the patients it read (a dry run names some of them).
func load(ctx context.Context, tx *store.Tx, org clinic.OrgID, msgs []Message) ([]consent.Facts, map[clinic.PatientID]clinic.Patient, error) {
	var pids []clinic.PatientID
	var aids []clinic.AgendaID
	var rids []clinic.ReasonID
	for _, m := range msgs {
		pids = append(pids, m.PatientID)
		if m.AgendaID != 0 {
			aids = append(aids, m.AgendaID)
		}
		if m.ReasonID != 0 {
			rids = append(rids, m.ReasonID)
		}
	}
	pids, aids, rids = uniq(pids), uniq(aids), uniq(rids)
	patients, err := tx.Patients().PatientsByIDs(ctx, org, pids)
	if err != nil {
		return nil, nil, fmt.Errorf("load consent facts: %w", err)
	}
	dbs, err := tx.Directory().Databases(ctx, org, store.Page{Limit: 500})
	if err != nil {
		return nil, nil, fmt.Errorf("load consent facts: %w", err)
	}
	records, err := tx.Consent().ConsentRecords(ctx, org, pids)
	if err != nil {
		return nil, nil, fmt.Errorf("load consent facts: %w", err)
	}
	off, err := tx.Consent().AgendaChannelsOff(ctx, org, aids)
	if err != nil {
		return nil, nil, fmt.Errorf("load consent facts: %w", err)
	}
	reasons, err := tx.Consent().ReasonSwitches(ctx, org, rids)
	if err != nil {
		return nil, nil, fmt.Errorf("load consent facts: %w", err)
	}
	byDB := map[clinic.DatabaseID]clinic.Database{}
	for _, d := range dbs {
		byDB[d.ID] = d
	}
	byPatient := map[clinic.PatientID][]store.ConsentRecord{}
	for _, r := range records {
		byPatient[r.PatientID] = append(byPatient[r.PatientID], r)
	}
	out := make([]consent.Facts, len(msgs))
	for i, m := range msgs {
		f := consent.Facts{Purpose: m.Purpose, Channel: m.Channel, Notice: m.Notice, BookedBy: m.BookedBy, Status: m.Status}
		p, ok := patients[m.PatientID]
		if !ok {
			out[i] = f // no destination: fails closed
			continue
		}
		fillPatient(&f, p, byDB[p.DatabaseID])
		f.Consents = Records(byPatient[p.ID])
		f.Switches = consent.Switches{Agenda: true, Reason: true, Patient: !p.NotificationsOff}
		if m.AgendaID != 0 && slices.Contains(off[m.AgendaID], string(m.Channel)) {
			f.Switches.Agenda = false
		}
		if m.ReasonID != 0 {
			f.Switches.Reason = reasons[m.ReasonID]
		}
		out[i] = f
	}
	return out, patients, nil
}

// fillPatient sets what the patient's record and database say: destinations (stored numbers
// are E.164 mobiles and addresses were checked when written), and the PMS flag with the two
// settings that decide whether it counts.
func fillPatient(f *consent.Facts, p clinic.Patient, db clinic.Database) {
	if p.Mobile != "" {
		f.Mobile = consent.Valid
	}
	switch {
	case p.Email != "" && p.EmailBounce != "":
		f.Email = consent.Invalid // bounced for good (NOT-6), until the address changes
	case p.Email != "":
		f.Email = consent.Valid
	}
	// Push stays Missing here: LoadPatients marks it valid for a patient with a live
	// subscription.
	f.PMS = consent.PMS{Respect: db.RespectOptOut, Profile: db.Profile, OptedOut: p.PMSOptOut}
	if p.PMSOptOutReadAt != nil {
		f.PMS.ReadAt = *p.PMSOptOutReadAt
	}
}

// Records are a patient's stored consent records as the engine reads them: the Tidings-side
// ones (CON-3). Records of source pms mirror the clinical software's flag for the history;
// the flag itself is on the patient (Facts.PMS), so they are left out.
func Records(rs []store.ConsentRecord) []consent.Record {
	var out []consent.Record
	for _, r := range rs {
		if r.Source == string(consent.SourcePMS) {
			continue
		}
		out = append(out, consent.Record{Channel: consent.Channel(r.Channel), Purpose: consent.Purpose(r.Purpose), OptIn: r.OptIn,
			Source: consent.Source(r.Source), Actor: r.Actor, At: r.At})
	}
	return out
}

func uniq[T ~int64](ids []T) []T {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Explanation is the decision for a hypothetical message, with the facts it was made on.
type Explanation struct {
	Decision consent.Decision
	Facts    consent.Facts
	At       time.Time // when it was decided: relative times in its text count from here
}

// Explain decides a hypothetical message to patient m.PatientID as the dispatcher would now
// ("why didn't this patient get a reminder?", CON-9). Staff who may read patients may ask;
// the read is audited.
//
// Errors: clinic.ErrNotFound for a patient of another organisation; *clinic.ValidationError
// naming channel, purpose, notice, agenda_id, reason_id, booked_by or status.
func Explain(ctx context.Context, db *store.DB, actor clinic.Actor, m Message) (Explanation, error) {
	var out Explanation
	if !actor.Can(clinic.PermReadPatients) {
		return out, fmt.Errorf("explain: %s needs %s: %w", actor.Label, clinic.PermReadPatients, clinic.ErrForbidden)
	}
	var v clinic.ValidationError
	if !m.Channel.Valid() {
		v.Add("channel", consent.ChannelReason)
	}
	if !m.Purpose.Valid() {
		v.Add("purpose", consent.PurposeReason)
	}
	if m.Purpose == consent.PurposeBookingNotice && !m.Notice.Valid() {
		v.Add("notice", "must be confirmation, reschedule or cancellation for a booking notice")
	}
	if m.BookedBy != "" && !m.BookedBy.Valid() {
		v.Add("booked_by", "must be staff, patient_online or sync")
	}
	if m.Status != "" && !m.Status.Valid() {
		v.Add("status", clinic.StatusReason)
	}
	err := db.View(ctx, func(tx *store.Tx) error {
		p, err := tx.Patients().Patient(ctx, actor.OrgID, m.PatientID)
		if err != nil {
			return err
		}
		// The agenda and reason must be ones an appointment of this patient could have: of
		// a clinic of the patient's database, the reason offered by the agenda.
		ofPatient := func(c clinic.ClinicID) bool {
			cl, err := tx.Directory().Clinic(ctx, actor.OrgID, c)
			return err == nil && cl.DatabaseID == p.DatabaseID
		}
		var reason clinic.Reason
		if m.ReasonID != 0 {
			if reason, err = tx.Directory().Reason(ctx, actor.OrgID, m.ReasonID); err != nil {
				v.Add("reason_id", "does not exist")
			} else if !ofPatient(reason.ClinicID) {
				v.Add("reason_id", "is not a reason of the patient's clinics")
			}
		}
		if m.AgendaID != 0 {
			if ag, err := tx.Directory().Agenda(ctx, actor.OrgID, m.AgendaID); err != nil {
				v.Add("agenda_id", "does not exist")
			} else if !ofPatient(ag.ClinicID) {
				v.Add("agenda_id", "is not an agenda of the patient's clinics")
			} else if reason.ID != 0 && !slices.Contains(reason.AgendaIDs, ag.ID) {
				v.Add("reason_id", "is not offered by this agenda")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if m.Status == "" {
			m.Status = clinic.StatusBooked
		}
		if m.BookedBy == "" {
			m.BookedBy = clinic.BookedByStaff
		}
		facts, err := Load(ctx, tx, actor.OrgID, []Message{m})
		if err != nil {
			return err
		}
		out = Explanation{Decision: consent.Decide(facts[0]), Facts: facts[0], At: tx.Now}
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, audit.Read(ctx, db, actor, "patient.consent.explain", m.PatientID)
}
