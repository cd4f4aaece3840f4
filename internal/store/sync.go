package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Sync queries what the clinical-software sync keeps (SYN-1, SYN-4): the HL7 routing of
// each database, the messages accepted (for idempotency), the versions of the records
// applied (for ordering) and the quarantine of refused input.
type Sync struct{ *Tx }

// Sync returns the sync queries of tx.
func (tx *Tx) Sync() Sync { return Sync{tx} }

// SetHL7Facility sets the sending facility (MSH-4) that routes messages to database id.
//
// Errors: clinic.ErrConflict when another database has that facility.
func (tx Sync) SetHL7Facility(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, facility string) error {
	_, err := tx.q.exec(ctx, `INSERT INTO hl7_settings (database_id, organisation_id, facility, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (database_id) DO UPDATE SET facility = excluded.facility, updated_at = excluded.updated_at`, id, org, facility, tx.Now)
	if err != nil {
		return fmt.Errorf("set HL7 facility of database %d: %w", id, err)
	}
	return nil
}

// HL7Facility reads the sending facility of database id ("" when none is set).
//
// Errors: none of its own.
func (tx Sync) HL7Facility(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) (string, error) {
	fs, err := collect(ctx, tx, func(r row) (string, error) {
		var f string
		return f, r.Scan(&f)
	}, `SELECT facility FROM hl7_settings WHERE organisation_id = $1 AND database_id = $2`, org, id)
	if err != nil || len(fs) == 0 {
		return "", err
	}
	return fs[0], nil
}

// RouteHL7 finds the hl7v2 database whose sending facility is facility, whatever its
// organisation: the one listener is shared, and the message names its sender, not its
// tenant. The caller acts for the organisation found, and for it only.
//
// Errors: clinic.ErrNotFound when no hl7v2 database has that facility.
func (tx Sync) RouteHL7(ctx context.Context, facility string) (clinic.Database, error) {
	d, err := scanDatabase(tx.q.queryRow(ctx, `SELECT `+qualifiedCols("d", databaseCols)+` FROM hl7_settings h
		JOIN clinical_databases d ON d.id = h.database_id AND d.organisation_id = h.organisation_id
		WHERE h.facility = $1 AND d.kind = 'hl7v2'`, facility))
	if err != nil {
		return d, fmt.Errorf("route HL7 facility: %w", err)
	}
	return d, nil
}

// RequarantineReason records the new reason of an open item of org refused again when it
// was re-processed.
//
// Errors: clinic.ErrNotFound when it is not an open item of org.
func (tx Sync) RequarantineReason(ctx context.Context, org clinic.OrgID, id int64, code int, reason string) error {
	return one(tx.q.exec(ctx, `UPDATE sync_quarantine SET code = $3, reason = $4 WHERE organisation_id = $1 AND id = $2 AND status = 'open'`,
		org, id, code, reason))
}

// SyncMessage is a message accepted from a database, with the acknowledgement it was given.
type SyncMessage struct {
	ID          int64
	OrgID       clinic.OrgID
	DatabaseID  clinic.DatabaseID
	ControlKey  string // MSH-3|MSH-4|MSH-10
	MessageType string // ADT^A08
	Outcome     string // applied, ignored, refused
	ACK         string
	ReceivedAt  time.Time
}

// The outcomes of a message.
const (
	SyncApplied = "applied"
	SyncIgnored = "ignored" // older than what was applied: nothing changed
	SyncRefused = "refused" // kept in quarantine, answered AE or AR
)

// AcceptedMessage returns the acknowledgement stored for the message of database id with
// control key key, if it was received before (applied, ignored or refused: a resend gets the
// answer the first one got).
//
// Errors: none of its own.
func (tx Sync) AcceptedMessage(ctx context.Context, id clinic.DatabaseID, key string) (ack string, ok bool, err error) {
	acks, err := collect(ctx, tx, func(r row) (string, error) {
		var a string
		return a, r.Scan(&a)
	}, `SELECT ack FROM sync_messages WHERE database_id = $1 AND control_key = $2`, id, key)
	if err != nil || len(acks) == 0 {
		return "", false, err
	}
	return acks[0], true, nil
}

// RecordMessage records a message accepted, dated now.
//
// Errors: clinic.ErrConflict when the control key was recorded already (by a concurrent
// writer: the caller's transaction must be rolled back and the message looked up again).
func (tx Sync) RecordMessage(ctx context.Context, m SyncMessage) error {
	_, err := tx.q.exec(ctx, `INSERT INTO sync_messages (organisation_id, database_id, control_key, message_type, outcome, ack, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, m.OrgID, m.DatabaseID, m.ControlKey, m.MessageType, m.Outcome, m.ACK, tx.Now)
	if err != nil {
		return fmt.Errorf("record sync message: %w", err)
	}
	return nil
}

// ReplaceMessage records the new outcome and acknowledgement of a message re-processed from
// the quarantine (recorded as refused, or received before refusals were recorded), so that a
// resend of it gets the new answer.
//
// Errors: none of its own.
func (tx Sync) ReplaceMessage(ctx context.Context, m SyncMessage) error {
	_, err := tx.q.exec(ctx, `INSERT INTO sync_messages (organisation_id, database_id, control_key, message_type, outcome, ack, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (database_id, control_key) DO UPDATE SET outcome = excluded.outcome, ack = excluded.ack`,
		m.OrgID, m.DatabaseID, m.ControlKey, m.MessageType, m.Outcome, m.ACK, tx.Now)
	if err != nil {
		return fmt.Errorf("replace sync message: %w", err)
	}
	return nil
}

// Advance records that the record (kind, externalID) of database id was changed by a
// message of time at, and reports whether that change is to be applied: false when a
// message of a later time was applied already (an older update arriving late changes
// nothing; one of the same time is applied, the later arrival winning).
//
// Errors: none of its own.
func (tx Sync) Advance(ctx context.Context, id clinic.DatabaseID, kind, externalID string, at time.Time) (bool, error) {
	n, err := tx.q.exec(ctx, `INSERT INTO sync_versions (database_id, kind, external_id, version_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (database_id, kind, external_id) DO UPDATE SET version_at = excluded.version_at
		WHERE sync_versions.version_at <= excluded.version_at`, id, kind, externalID, at.UTC())
	if err != nil {
		return false, fmt.Errorf("sync version of %s: %w", kind, err)
	}
	return n > 0, nil
}

// QuarantineItem is input refused by the sync, kept with why.
type QuarantineItem struct {
	ID          int64
	OrgID       clinic.OrgID      // 0: no database could be found for it
	DatabaseID  clinic.DatabaseID // 0: idem
	Source      string            // mllp, fhir, csv
	MessageType string
	ControlID   string
	Code        int    // the HL7 error code (table 0357) of the reason
	Reason      string // in words, naming the field; never the patient's data
	Raw         []byte
	Status      string // open, reprocessed, dismissed
	ReceivedAt  time.Time
	ResolvedAt  *time.Time
}

// The states of a quarantined item.
const (
	QuarantineOpen        = "open"
	QuarantineReprocessed = "reprocessed"
	QuarantineDismissed   = "dismissed"
)

const quarantineCols = `id, organisation_id, database_id, source, message_type, control_id, code, reason, raw, status, received_at, resolved_at`

func scanQuarantine(r row) (QuarantineItem, error) {
	var q QuarantineItem
	var org, db *int64
	err := r.Scan(&q.ID, &org, &db, &q.Source, &q.MessageType, &q.ControlID, &q.Code, &q.Reason, &q.Raw, &q.Status, &q.ReceivedAt, &q.ResolvedAt)
	if org != nil {
		q.OrgID = clinic.OrgID(*org)
	}
	if db != nil {
		q.DatabaseID = clinic.DatabaseID(*db)
	}
	return q, err
}

// Quarantine keeps refused input, dated now, and returns its id.
//
// Errors: none of its own.
func (tx Sync) Quarantine(ctx context.Context, q QuarantineItem) (int64, error) {
	var id int64
	err := tx.q.queryRow(ctx, `INSERT INTO sync_quarantine (organisation_id, database_id, source, message_type, control_id, code, reason, raw, status, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9) RETURNING id`,
		zeroNil(q.OrgID), zeroNil(q.DatabaseID), q.Source, q.MessageType, q.ControlID, q.Code, q.Reason, q.Raw, tx.Now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("quarantine: %w", err)
	}
	return id, nil
}

// QuarantineItems lists org's open quarantined input, newest first, after p.After (an id
// to continue below; 0: from the newest).
//
// Errors: none of its own.
func (tx Sync) QuarantineItems(ctx context.Context, org clinic.OrgID, p Page) ([]QuarantineItem, error) {
	after := p.After
	if after == 0 {
		after = 1 << 62
	}
	return collect(ctx, tx, scanQuarantine, `SELECT `+quarantineCols+` FROM sync_quarantine
		WHERE organisation_id = $1 AND status = 'open' AND id < $2 ORDER BY id DESC LIMIT $3`, org, after, p.Size())
}

// QuarantinedItem reads one quarantined item of org.
//
// Errors: clinic.ErrNotFound.
func (tx Sync) QuarantinedItem(ctx context.Context, org clinic.OrgID, id int64) (QuarantineItem, error) {
	q, err := scanQuarantine(tx.q.queryRow(ctx, `SELECT `+quarantineCols+` FROM sync_quarantine WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return q, fmt.Errorf("quarantined item %d: %w", id, err)
	}
	return q, nil
}

// ResolveQuarantine closes an open item of org as reprocessed or dismissed.
//
// Errors: clinic.ErrNotFound when it is not an open item of org.
func (tx Sync) ResolveQuarantine(ctx context.Context, org clinic.OrgID, id int64, status string) error {
	return one(tx.q.exec(ctx, `UPDATE sync_quarantine SET status = $3, resolved_at = $4 WHERE organisation_id = $1 AND id = $2 AND status = 'open'`,
		org, id, status, tx.Now))
}

// PatientByExternalID reads the patient of database db with the clinical software's id ext.
//
// Errors: clinic.ErrNotFound.
func (tx Patients) PatientByExternalID(ctx context.Context, org clinic.OrgID, db clinic.DatabaseID, ext string) (clinic.Patient, error) {
	p, err := scanPatient(tx.q.queryRow(ctx, `SELECT `+patientCols+` FROM patients WHERE organisation_id = $1 AND database_id = $2 AND external_id = $3`, org, db, ext))
	if err != nil {
		return p, fmt.Errorf("patient by external id: %w", err)
	}
	return p, nil
}

// Result is an actioned result synced from a clinical database (RES-1, RES-2): the test, who
// actioned it and how, and what the database's profile maps the action to.
type Result struct {
	ID                   int64
	OrgID                clinic.OrgID
	DatabaseID           clinic.DatabaseID
	PatientID            clinic.PatientID
	ExternalID           string
	Test                 string
	PerformedAt          *time.Time
	Category             string
	DoctorID, DoctorName string
	Action               string
	ActionedAt           *time.Time
	Comments             string
	State                string // "", notified, given, discussed (RES-5)
	Outcome              string // template, manual, or held (not actioned yet, RES-1)
	Template             string
	SequenceID           int64 // the recall sequence of its day once taken; 0: none
	CreatedAt, UpdatedAt time.Time
}

// UpsertResult writes a result of its database, by external id: created when new, replaced
// otherwise (the caller orders the messages), and returns it as stored: its id, and the
// recall of its day when it has one already.
//
// Errors: none of its own.
func (tx Sync) UpsertResult(ctx context.Context, r Result) (Result, error) {
	var seq *int64
	err := tx.q.queryRow(ctx, `INSERT INTO results (organisation_id, database_id, patient_id, external_id, test, performed_at, category,
			doctor_id, doctor_name, action, actioned_at, comments, state, outcome, template, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
		ON CONFLICT (database_id, external_id) DO UPDATE SET patient_id = excluded.patient_id, test = excluded.test,
			performed_at = excluded.performed_at, category = excluded.category, doctor_id = excluded.doctor_id,
			doctor_name = excluded.doctor_name, action = excluded.action, actioned_at = excluded.actioned_at,
			comments = excluded.comments, state = excluded.state, outcome = excluded.outcome, template = excluded.template,
			updated_at = excluded.updated_at
		RETURNING id, sequence_id`, r.OrgID, r.DatabaseID, r.PatientID, r.ExternalID, r.Test, r.PerformedAt, r.Category, r.DoctorID, r.DoctorName,
		r.Action, r.ActionedAt, r.Comments, r.State, r.Outcome, r.Template, tx.Now).Scan(&r.ID, &seq)
	if err != nil {
		return r, fmt.Errorf("upsert result: %w", err)
	}
	if seq != nil {
		r.SequenceID = *seq
	}
	return r, nil
}

// ResultsOf lists the results of a patient of org, newest first.
//
// Errors: none of its own.
func (tx Sync) ResultsOf(ctx context.Context, org clinic.OrgID, patient clinic.PatientID) ([]Result, error) {
	return collect(ctx, tx, scanResult, `SELECT `+resultCols+` FROM results WHERE organisation_id = $1 AND patient_id = $2
		ORDER BY id DESC`, org, patient)
}

// ResultByExternalID reads a result of a database by its id there.
//
// Errors: clinic.ErrNotFound.
func (tx Sync) ResultByExternalID(ctx context.Context, db clinic.DatabaseID, external string) (Result, error) {
	r, err := scanResult(tx.q.queryRow(ctx, `SELECT `+resultCols+` FROM results WHERE database_id = $1 AND external_id = $2`, db, external))
	if err != nil {
		return r, fmt.Errorf("result %s: %w", external, err)
	}
	return r, nil
}

const resultCols = `id, organisation_id, database_id, patient_id, external_id, test, performed_at, category, doctor_id, doctor_name, action,
	actioned_at, comments, state, outcome, template, created_at, updated_at, sequence_id`

func scanResult(r row) (Result, error) {
	var x Result
	var seq *int64
	err := r.Scan(&x.ID, &x.OrgID, &x.DatabaseID, &x.PatientID, &x.ExternalID, &x.Test, &x.PerformedAt, &x.Category, &x.DoctorID,
		&x.DoctorName, &x.Action, &x.ActionedAt, &x.Comments, &x.State, &x.Outcome, &x.Template, &x.CreatedAt, &x.UpdatedAt, &seq)
	if seq != nil {
		x.SequenceID = *seq
	}
	for _, t := range []**time.Time{&x.PerformedAt, &x.ActionedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	x.CreatedAt, x.UpdatedAt = x.CreatedAt.UTC(), x.UpdatedAt.UTC()
	return x, err
}

// CountResults counts the results stored for database id of org.
//
// Errors: none of its own.
func (tx Sync) CountResults(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) (int, error) {
	var n int
	if err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM results WHERE organisation_id = $1 AND database_id = $2`, org, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("count results: %w", err)
	}
	return n, nil
}
