package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// ConsentRecord is one consent change of a patient (CON-3): an opt-in or opt-out of a channel
// for a purpose ("all" for every purpose of the channel), with where it came from, who made it
// and when. Records are never changed or deleted: the newest applicable one counts, and the
// history is shown on the patient file. Source "pms" records are the history of the value read
// from the clinical software.
type ConsentRecord struct {
	ID        int64
	PatientID clinic.PatientID
	Channel   string
	Purpose   string
	OptIn     bool
	Source    string
	Actor     string // "user:3", "patient:9", "system:sms": ids only
	At        time.Time
}

// RecordConsent appends a consent record, dated now.
//
// Errors: clinic.ErrNotFound when the patient is not one of org's.
func (tx Consent) RecordConsent(ctx context.Context, org clinic.OrgID, r ConsentRecord) (ConsentRecord, error) {
	r.At = tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO consent_records (organisation_id, patient_id, channel, purpose, opt_in, source, actor, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, org, r.PatientID, r.Channel, r.Purpose, r.OptIn, r.Source, r.Actor, tx.Now).Scan(&r.ID)
	if err != nil {
		return r, fmt.Errorf("record consent of patient %d: %w", r.PatientID, err)
	}
	return r, nil
}

// ConsentRecords lists the consent records of patients, oldest first, in one statement
// whatever their number (a batch of due notifications loads them at once).
//
// Errors: none of its own.
func (tx Consent) ConsentRecords(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID) ([]ConsentRecord, error) {
	if len(patients) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, func(r row) (ConsentRecord, error) {
		var c ConsentRecord
		err := r.Scan(&c.ID, &c.PatientID, &c.Channel, &c.Purpose, &c.OptIn, &c.Source, &c.Actor, &c.At)
		c.At = c.At.UTC()
		return c, err
	}, `SELECT id, patient_id, channel, purpose, opt_in, source, actor, at FROM consent_records
		WHERE organisation_id = $1 AND patient_id IN (`+idList(patients)+`) ORDER BY id`, org)
}

// PatientsWithConsent lists the ids of org's patients of database db that have at least one
// Tidings-side consent record (not source pms), for the conflicts page and dry runs; db 0
// means every database.
//
// Errors: none of its own.
func (tx Consent) PatientsWithConsent(ctx context.Context, org clinic.OrgID, db clinic.DatabaseID) ([]clinic.PatientID, error) {
	return collect(ctx, tx, func(r row) (clinic.PatientID, error) {
		var id clinic.PatientID
		return id, r.Scan(&id)
	}, `SELECT DISTINCT c.patient_id FROM consent_records c JOIN patients p ON p.organisation_id = c.organisation_id AND p.id = c.patient_id
		WHERE c.organisation_id = $1 AND c.source <> 'pms' AND (CAST($2 AS BIGINT) = 0 OR p.database_id = $2) ORDER BY c.patient_id`, org, int64(db))
}

// AgendaChannelsOff reads the channels switched off per agenda (CON-5), in one statement;
// an agenda absent from the map has every channel on.
//
// Errors: none of its own.
func (tx Consent) AgendaChannelsOff(ctx context.Context, org clinic.OrgID, agendas []clinic.AgendaID) (map[clinic.AgendaID][]string, error) {
	out := map[clinic.AgendaID][]string{}
	if len(agendas) == 0 {
		return out, nil
	}
	type ac struct {
		agenda  clinic.AgendaID
		channel string
	}
	rows, err := collect(ctx, tx, func(r row) (ac, error) {
		var v ac
		return v, r.Scan(&v.agenda, &v.channel)
	}, `SELECT agenda_id, channel FROM agenda_channels_off WHERE organisation_id = $1 AND agenda_id IN (`+idList(agendas)+`) ORDER BY agenda_id, channel`, org)
	for _, v := range rows {
		out[v.agenda] = append(out[v.agenda], v.channel)
	}
	return out, err
}

// SetAgendaChannelsOff replaces the channels switched off for one agenda of org.
//
// Errors: clinic.ErrNotFound when the agenda is not one of org's.
func (tx Consent) SetAgendaChannelsOff(ctx context.Context, org clinic.OrgID, agenda clinic.AgendaID, channels []string) error {
	if _, err := tx.q.exec(ctx, `DELETE FROM agenda_channels_off WHERE organisation_id = $1 AND agenda_id = $2`, org, agenda); err != nil {
		return fmt.Errorf("agenda %d channels: %w", agenda, err)
	}
	if len(channels) == 0 {
		return nil
	}
	var b strings.Builder
	args := []any{org, agenda}
	for i, ch := range channels {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "($1, $2, $%d)", len(args)+1)
		args = append(args, ch)
	}
	if _, err := tx.q.exec(ctx, `INSERT INTO agenda_channels_off (organisation_id, agenda_id, channel) VALUES `+b.String(), args...); err != nil {
		return fmt.Errorf("agenda %d channels: %w", agenda, err)
	}
	return nil
}

// ReasonSwitches reads whether notifications are on for each reason (CON-6), in one
// statement; ids of other organisations are absent.
//
// Errors: none of its own.
func (tx Consent) ReasonSwitches(ctx context.Context, org clinic.OrgID, reasons []clinic.ReasonID) (map[clinic.ReasonID]bool, error) {
	out := map[clinic.ReasonID]bool{}
	if len(reasons) == 0 {
		return out, nil
	}
	type rs struct {
		id clinic.ReasonID
		on bool
	}
	rows, err := collect(ctx, tx, func(r row) (rs, error) {
		var v rs
		return v, r.Scan(&v.id, &v.on)
	}, `SELECT id, notifications FROM reasons WHERE organisation_id = $1 AND id IN (`+idList(reasons)+`)`, org)
	for _, v := range rows {
		out[v.id] = v.on
	}
	return out, err
}

// PMSOptedOut lists the ids of the patients of database db whose clinical-software record is
// opted out: the only ones a change of the database's "respect opt-out" setting affects.
//
// Errors: none of its own.
func (tx Consent) PMSOptedOut(ctx context.Context, org clinic.OrgID, db clinic.DatabaseID) ([]clinic.PatientID, error) {
	return collect(ctx, tx, func(r row) (clinic.PatientID, error) {
		var id clinic.PatientID
		return id, r.Scan(&id)
	}, `SELECT id FROM patients WHERE organisation_id = $1 AND database_id = $2 AND pms_opt_out ORDER BY id`, org, db)
}

// UpcomingAppointments lists the active appointments of patients starting at or after from,
// in one statement (a dry run decides their reminders).
//
// Errors: none of its own.
func (tx Consent) UpcomingAppointments(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID, from time.Time) ([]clinic.Appointment, error) {
	if len(patients) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, func(r row) (clinic.Appointment, error) {
		var a clinic.Appointment
		return a, r.Scan(&a.ID, &a.PatientID, &a.ClinicID, &a.AgendaID, &a.ReasonID, &a.BookedBy, &a.Status)
	}, `SELECT id, patient_id, clinic_id, agenda_id, reason_id, booked_by, status FROM appointments WHERE organisation_id = $1
		AND patient_id IN (`+idList(patients)+`) AND starts_at >= $2 AND status IN `+activeStatuses()+` ORDER BY patient_id, id`, org, from)
}

// Decision is one stored decision to send or not send a message (CON-9): what was decided,
// the sentence for the communication log and the trace, one rule checked per line.
type Decision struct {
	ID             int64
	PatientID      clinic.PatientID
	NotificationID int64 // 0 until notifications are stored
	Purpose        string
	Channel        string
	Allowed        bool
	Outcome        string
	Rule           string
	Text           string
	Trace          string
	At             time.Time
}

// RecordDecisions appends decisions, dated now, in one statement whatever their number (a
// dispatch batch writes its decisions together; the rows travel as one JSON parameter).
//
// Errors: clinic.ErrNotFound when a patient is not one of org's.
func (tx Consent) RecordDecisions(ctx context.Context, org clinic.OrgID, ds []Decision) error {
	if len(ds) == 0 {
		return nil
	}
	type dec struct {
		Patient      int64  `json:"patient"`
		Notification *int64 `json:"notification"`
		Purpose      string `json:"purpose"`
		Channel      string `json:"channel"`
		Allowed      int    `json:"allowed"`
		Outcome      string `json:"outcome"`
		Rule         string `json:"rule"`
		Text         string `json:"text"`
		Trace        string `json:"trace"`
	}
	rows := make([]dec, len(ds))
	for i, d := range ds {
		r := dec{Patient: int64(d.PatientID), Purpose: d.Purpose, Channel: d.Channel, Outcome: d.Outcome, Rule: d.Rule, Text: d.Text, Trace: d.Trace}
		if d.NotificationID != 0 {
			id := d.NotificationID
			r.Notification = &id
		}
		if d.Allowed {
			r.Allowed = 1
		}
		rows[i] = r
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	allowed := "v.allowed <> 0"
	if tx.dialect == SQLite {
		allowed = "v.allowed"
	}
	_, err = tx.q.exec(ctx, `INSERT INTO consent_decisions (organisation_id, patient_id, notification_id, purpose, channel, allowed, outcome, rule, text, trace, at)
		SELECT $2, v.patient, v.notification, v.purpose, v.channel, `+allowed+`, v.outcome, v.rule, v.text, v.trace, $3 FROM `+
		tx.jsonRows([][2]string{{"patient", "bigint"}, {"notification", "bigint"}, {"purpose", "text"}, {"channel", "text"}, {"allowed", "int"},
			{"outcome", "text"}, {"rule", "text"}, {"text", "text"}, {"trace", "text"}}), string(b), org, tx.Now)
	if err != nil {
		return fmt.Errorf("record decisions: %w", err)
	}
	return nil
}

// Decisions lists a patient's decisions, newest first; Page.After is an id to continue below.
//
// Errors: none of its own.
func (tx Consent) Decisions(ctx context.Context, org clinic.OrgID, patient clinic.PatientID, p Page) ([]Decision, error) {
	before := p.After
	if before <= 0 {
		before = 1<<63 - 1
	}
	return collect(ctx, tx, func(r row) (Decision, error) {
		var d Decision
		var nid *int64
		err := r.Scan(&d.ID, &d.PatientID, &nid, &d.Purpose, &d.Channel, &d.Allowed, &d.Outcome, &d.Rule, &d.Text, &d.Trace, &d.At)
		if nid != nil {
			d.NotificationID = *nid
		}
		d.At = d.At.UTC()
		return d, err
	}, `SELECT id, patient_id, notification_id, purpose, channel, allowed, outcome, rule, text, trace, at FROM consent_decisions
		WHERE organisation_id = $1 AND patient_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4`, org, patient, before, p.Size())
}

// DecisionsOf lists the decisions recorded for a notification, oldest first (one per send
// time it was decided at).
//
// Errors: none of its own.
func (tx Consent) DecisionsOf(ctx context.Context, org clinic.OrgID, notification int64) ([]Decision, error) {
	return collect(ctx, tx, func(r row) (Decision, error) {
		var d Decision
		var nid *int64
		err := r.Scan(&d.ID, &d.PatientID, &nid, &d.Purpose, &d.Channel, &d.Allowed, &d.Outcome, &d.Rule, &d.Text, &d.Trace, &d.At)
		if nid != nil {
			d.NotificationID = *nid
		}
		d.At = d.At.UTC()
		return d, err
	}, `SELECT id, patient_id, notification_id, purpose, channel, allowed, outcome, rule, text, trace, at FROM consent_decisions
		WHERE organisation_id = $1 AND notification_id = $2 ORDER BY id`, org, notification)
}
