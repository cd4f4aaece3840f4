package decide

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// SampleSize is how many patients a dry run names per clinic.
const SampleSize = 5

// PatientRef names a patient on a settings page.
type PatientRef struct {
	ID   clinic.PatientID
	Name string
}

// Impact is what a change of the "respect opt-out" setting would do to one clinic's patients:
// how many would start and stop getting reminders, with a few of them named.
type Impact struct {
	Clinic      clinic.Clinic
	Start, Stop int
	Sample      []PatientRef
}

// DryRun is the preview of saving the setting "respect patient opt-out status in the clinical
// software" of a database (CON-1, CON-2) before it is saved.
type DryRun struct {
	Database clinic.Database
	Respect  bool // the value that would be saved
	// Unavailable: the database's software profile cannot read the flag (CON-4): consent is
	// managed in Tidings only and the setting changes nothing.
	Unavailable bool
	Start, Stop int      // over the whole database
	Clinics     []Impact // each clinic using the database (CON-2 names them all)
	// WithoutAppointment counts the affected patients with no upcoming appointment in any
	// clinic (their recalls and results change too).
	WithoutAppointment int
}

// OptOutDryRun previews saving respect for database id: only patients opted out in the
// clinical software can change, and each is decided by the consent engine under the old and
// the new value (a Tidings-side choice overrides either way, CON-3). Administrators only;
// the patients named are audited.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound.
//
// respect is required; it is checked after the database is found.
func OptOutDryRun(ctx context.Context, db *store.DB, actor clinic.Actor, id clinic.DatabaseID, respectIn *bool) (DryRun, error) {
	var out DryRun
	if !actor.Can(clinic.PermManageDirectory) {
		return out, fmt.Errorf("dry run: %s needs %s: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	var named []clinic.PatientID
	err := db.View(ctx, func(tx *store.Tx) error {
		org := actor.OrgID
		d, err := tx.Directory().Database(ctx, org, id)
		if err != nil {
			return err
		}
		if respectIn == nil {
			return clinic.Invalid("respect_opt_out", "is required")
		}
		respect := *respectIn
		out.Database, out.Respect = d, respect
		clinics, err := tx.Directory().ClinicsOfDatabase(ctx, org, id)
		if err != nil {
			return err
		}
		index := map[clinic.ClinicID]int{}
		for i, c := range clinics {
			out.Clinics = append(out.Clinics, Impact{Clinic: c})
			index[c.ID] = i
		}
		if !d.Profile.CanReadOptOut() {
			out.Unavailable = true
			return nil
		}
		if respect == d.RespectOptOut {
			return nil
		}
		ids, err := tx.Consent().PMSOptedOut(ctx, org, id)
		if err != nil {
			return err
		}
		appts, err := tx.Consent().UpcomingAppointments(ctx, org, ids, tx.Now)
		if err != nil {
			return err
		}
		// The messages the setting decides: each upcoming appointment's reminder on each
		// channel, with the appointment's own agenda, reason and who booked it (so the
		// clinic's switches count as the dispatcher would count them), or a recall for a
		// patient with no upcoming appointment. They are decided under the current and the
		// previewed value; a patient starts (or stops) when some message flips.
		var msgs []Message
		var clinicOf []clinic.ClinicID
		has := map[clinic.PatientID]bool{}
		for _, a := range appts {
			has[a.PatientID] = true
			for _, ch := range []consent.Channel{consent.ChannelSMS, consent.ChannelEmail, consent.ChannelPush} {
				msgs = append(msgs, Message{PatientID: a.PatientID, Channel: ch, Purpose: consent.PurposeReminder, AgendaID: a.AgendaID,
					ReasonID: a.ReasonID, BookedBy: a.BookedBy, Status: a.Status})
				clinicOf = append(clinicOf, a.ClinicID)
			}
		}
		for _, pid := range ids {
			if has[pid] {
				continue
			}
			for _, ch := range []consent.Channel{consent.ChannelSMS, consent.ChannelEmail, consent.ChannelPush} {
				msgs = append(msgs, Message{PatientID: pid, Channel: ch, Purpose: consent.PurposeRecall})
				clinicOf = append(clinicOf, 0)
			}
		}
		facts, patients, err := load(ctx, tx, org, msgs)
		if err != nil {
			return err
		}
		type change struct{ start, stop bool }
		byPatient := map[clinic.PatientID]change{}
		byClinic := map[clinic.ClinicID]map[clinic.PatientID]change{}
		for i, f := range facts {
			f.PMS.Respect = d.RespectOptOut
			before := consent.Decide(f).Allowed
			f.PMS.Respect = respect
			after := consent.Decide(f).Allowed
			if before == after {
				continue
			}
			pid, c := msgs[i].PatientID, clinicOf[i]
			ch := byPatient[pid]
			ch.start, ch.stop = ch.start || after, ch.stop || before
			byPatient[pid] = ch
			if c != 0 {
				if byClinic[c] == nil {
					byClinic[c] = map[clinic.PatientID]change{}
				}
				cc := byClinic[c][pid]
				cc.start, cc.stop = cc.start || after, cc.stop || before
				byClinic[c][pid] = cc
			}
		}
		for _, pid := range ids {
			ch, ok := byPatient[pid]
			if !ok {
				continue
			}
			if ch.start {
				out.Start++
			}
			if ch.stop {
				out.Stop++
			}
			if !has[pid] {
				out.WithoutAppointment++
			}
		}
		for c, ps := range byClinic {
			i, ok := index[c]
			if !ok {
				continue
			}
			im := &out.Clinics[i]
			for _, pid := range ids { // in id order, for a stable sample
				ch, ok := ps[pid]
				if !ok {
					continue
				}
				if ch.start {
					im.Start++
				}
				if ch.stop {
					im.Stop++
				}
				if len(im.Sample) < SampleSize {
					im.Sample = append(im.Sample, PatientRef{ID: pid, Name: patients[pid].FullName()})
					named = append(named, pid)
				}
			}
		}
		return nil
	})
	if err != nil || len(named) == 0 {
		return out, err
	}
	return out, audit.Read(ctx, db, actor, "patient.list", named...)
}

// Conflict is a patient whose value in the clinical software and whose choice made in Tidings
// disagree: "the PMS says opted out, Tidings says opted in since 3 March, set by reception"
// (the Tidings choice wins, CON-3).
type Conflict struct {
	Patient    PatientRef
	DatabaseID clinic.DatabaseID
	PMSOptOut  bool
	PMSReadAt  *time.Time
	Choice     store.ConsentRecord // the newest Tidings-side record about reminders
}

// Conflicts lists the patients whose clinical-software opt-out and Tidings choice about
// reminders disagree, for the organisation or the database of one clinic. Appointment
// managers and above; the patients listed are audited.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for a clinic of another organisation.
func Conflicts(ctx context.Context, db *store.DB, actor clinic.Actor, clinicID clinic.ClinicID) ([]Conflict, error) {
	if !actor.Can(clinic.PermPatientConsent) {
		return nil, fmt.Errorf("conflicts: %s needs %s: %w", actor.Label, clinic.PermPatientConsent, clinic.ErrForbidden)
	}
	var out []Conflict
	err := db.View(ctx, func(tx *store.Tx) error {
		org := actor.OrgID
		var dbID clinic.DatabaseID
		if clinicID != 0 {
			c, err := tx.Directory().Clinic(ctx, org, clinicID)
			if err != nil {
				return err
			}
			dbID = c.DatabaseID
		}
		ids, err := tx.Consent().PatientsWithConsent(ctx, org, dbID)
		if err != nil {
			return err
		}
		patients, err := tx.Patients().PatientsByIDs(ctx, org, ids)
		if err != nil {
			return err
		}
		records, err := tx.Consent().ConsentRecords(ctx, org, ids)
		if err != nil {
			return err
		}
		latest := map[clinic.PatientID]store.ConsentRecord{}
		for _, r := range records { // oldest first: the last one kept is the newest
			if r.Source != string(consent.SourcePMS) && (r.Purpose == string(consent.PurposeReminder) || r.Purpose == string(consent.PurposeAll)) {
				latest[r.PatientID] = r
			}
		}
		for _, pid := range ids {
			p, r := patients[pid], latest[pid]
			if r.ID == 0 || p.PMSOptOut != r.OptIn || p.PMSOptOutReadAt == nil {
				continue // no choice about reminders, both say the same, or the PMS value was never read
			}
			out = append(out, Conflict{Patient: PatientRef{ID: pid, Name: p.FullName()}, DatabaseID: p.DatabaseID, PMSOptOut: p.PMSOptOut,
				PMSReadAt: p.PMSOptOutReadAt, Choice: r})
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]clinic.PatientID, len(out))
	for i, c := range out {
		ids[i] = c.Patient.ID
	}
	return out, audit.Read(ctx, db, actor, "patient.list", ids...)
}
