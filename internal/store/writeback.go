package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// The states of a write-back.
const (
	WriteBackPending = "pending"
	WriteBackSent    = "sent"
	WriteBackFailed  = "failed"
)

// WriteBack is an appointment booked in Tidings whose state is to be written to its
// database's clinical software (SYN-5): the row says which version of the change is due and
// whether the software holds the appointment already.
type WriteBack struct {
	ID            int64
	OrgID         clinic.OrgID
	DatabaseID    clinic.DatabaseID
	AppointmentID clinic.AppointmentID
	Version       int64
	State         string
	Written       bool
	Attempts      int
	NextAt        time.Time
	LastError     string
	UpdatedAt     time.Time
}

const writeBackCols = `id, organisation_id, database_id, appointment_id, version, state, written, attempts, next_at, last_error, updated_at`

func scanWriteBack(r row) (WriteBack, error) {
	var w WriteBack
	err := r.Scan(&w.ID, &w.OrgID, &w.DatabaseID, &w.AppointmentID, &w.Version, &w.State, &w.Written, &w.Attempts, &w.NextAt, &w.LastError, &w.UpdatedAt)
	w.NextAt, w.UpdatedAt = w.NextAt.UTC(), w.UpdatedAt.UTC()
	return w, err
}

// PlanWriteBack records, in the transaction of a change to appointment a, that its new state
// is to be written back: when its clinic's database takes write-back (an hl7v2 database with
// an outbound peer, or a fhir database with its settings), and a was booked in Tidings (the
// software's own appointments come from it). Successive changes coalesce into one due row:
// the worker sends the appointment as it is when it sends.
//
// Errors: none of its own.
func (tx Sync) PlanWriteBack(ctx context.Context, org clinic.OrgID, a clinic.Appointment) error {
	if a.BookedBy == clinic.BookedBySync {
		return nil
	}
	_, err := tx.q.exec(ctx, `INSERT INTO writebacks (organisation_id, database_id, appointment_id, version, state, written, attempts, next_at, last_error, created_at, updated_at)
		SELECT $1, c.database_id, $2, 1, 'pending', false, 0, $3, '', $3, $3 FROM clinics c
		JOIN clinical_databases d ON d.organisation_id = c.organisation_id AND d.id = c.database_id
		WHERE c.organisation_id = $1 AND c.id = $4 AND (
			d.kind = 'fhir' AND EXISTS (SELECT 1 FROM fhir_settings f WHERE f.database_id = d.id)
			OR d.kind = 'hl7v2' AND EXISTS (SELECT 1 FROM hl7_settings h WHERE h.database_id = d.id AND h.outbound_addr <> ''))
		ON CONFLICT (appointment_id) DO UPDATE SET version = writebacks.version + 1, state = 'pending', attempts = 0,
			next_at = excluded.next_at, last_error = '', updated_at = excluded.updated_at`, org, a.ID, tx.Now, a.ClinicID)
	if err != nil {
		return fmt.Errorf("plan write-back of appointment %d: %w", a.ID, err)
	}
	return nil
}

// ClaimWriteBacks takes up to limit write-backs due by now, oldest first, and moves their
// due time to until, so that no other worker takes them meanwhile (a worker that dies
// leaves them due again at until). On PostgreSQL the rows are locked while claimed.
//
// Errors: none of its own.
func (tx Sync) ClaimWriteBacks(ctx context.Context, until time.Time, limit int) ([]WriteBack, error) {
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	ws, err := collect(ctx, tx, scanWriteBack, `UPDATE writebacks SET next_at = $2 WHERE id IN (
		SELECT id FROM writebacks WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $3`+lock+`)
		RETURNING `+writeBackCols, tx.Now, until.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim write-backs: %w", err)
	}
	return ws, nil
}

// FinishWriteBack records the outcome of sending version of write-back id: state sent or
// failed (with why), written when the software now holds the appointment. A change planned
// meanwhile (a later version) stays pending: only written is kept from this send.
//
// Errors: none of its own.
func (tx Sync) FinishWriteBack(ctx context.Context, id, version int64, state string, written bool, why string) error {
	if _, err := tx.q.exec(ctx, `UPDATE writebacks SET written = written OR $2, updated_at = $3 WHERE id = $1`, id, written, tx.Now); err != nil {
		return fmt.Errorf("finish write-back %d: %w", id, err)
	}
	_, err := tx.q.exec(ctx, `UPDATE writebacks SET state = $3, last_error = $4, updated_at = $5 WHERE id = $1 AND version = $2`, id, version, state, why, tx.Now)
	if err != nil {
		return fmt.Errorf("finish write-back %d: %w", id, err)
	}
	return nil
}

// RetryWriteBack puts write-back id off until next after a failure to reach the software
// (the send is tried again, with why shown meanwhile).
//
// Errors: none of its own.
func (tx Sync) RetryWriteBack(ctx context.Context, id int64, next time.Time, why string) error {
	_, err := tx.q.exec(ctx, `UPDATE writebacks SET attempts = attempts + 1, next_at = $2, last_error = $3, updated_at = $4 WHERE id = $1 AND state = 'pending'`,
		id, next.UTC(), why, tx.Now)
	if err != nil {
		return fmt.Errorf("retry write-back %d: %w", id, err)
	}
	return nil
}

// WriteBackOf reads the write-back of appointment id; ok is false when it has none.
//
// Errors: none of its own.
func (tx Sync) WriteBackOf(ctx context.Context, org clinic.OrgID, id clinic.AppointmentID) (WriteBack, bool, error) {
	ws, err := collect(ctx, tx, scanWriteBack, `SELECT `+writeBackCols+` FROM writebacks WHERE organisation_id = $1 AND appointment_id = $2`, org, id)
	if err != nil || len(ws) == 0 {
		return WriteBack{}, false, err
	}
	return ws[0], true, nil
}

// FailedWriteBacks lists org's write-backs the software refused (of database db, or of
// every database when db is 0), newest first: what staff must deal with.
//
// Errors: none of its own.
func (tx Sync) FailedWriteBacks(ctx context.Context, org clinic.OrgID, db clinic.DatabaseID, limit int) ([]WriteBack, error) {
	return collect(ctx, tx, scanWriteBack, `SELECT `+writeBackCols+` FROM writebacks WHERE organisation_id = $1 AND state = 'failed'
		AND (CAST($2 AS BIGINT) = 0 OR database_id = CAST($2 AS BIGINT)) ORDER BY updated_at DESC, id DESC LIMIT $3`, org, db, limit)
}

// SetHL7Outbound sets the clinical software's MLLP listener that database id's write-backs
// go to ("" for none).
//
// Errors: clinic.ErrNotFound when the database has no HL7 settings yet.
func (tx Sync) SetHL7Outbound(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, addr string) error {
	n, err := tx.q.exec(ctx, `UPDATE hl7_settings SET outbound_addr = $3, updated_at = $4 WHERE organisation_id = $1 AND database_id = $2`, org, id, addr, tx.Now)
	return one(n, err)
}

// HL7Outbound reads the outbound peer of database id ("" when none).
//
// Errors: none of its own.
func (tx Sync) HL7Outbound(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) (string, error) {
	as, err := collect(ctx, tx, func(r row) (string, error) {
		var a string
		return a, r.Scan(&a)
	}, `SELECT outbound_addr FROM hl7_settings WHERE organisation_id = $1 AND database_id = $2`, org, id)
	if err != nil || len(as) == 0 {
		return "", err
	}
	return as[0], nil
}

// FHIRSettings is how a fhir database is reached (SYN-1, SYN-5). Token and ClientSecret
// are secrets: read by the sync, never shown again once saved.
type FHIRSettings struct {
	DatabaseID   clinic.DatabaseID
	OrgID        clinic.OrgID
	BaseURL      string
	Auth         string // none, bearer, client_credentials
	Token        string
	ClientID     string
	ClientSecret string
	TokenURL     string
	Scope        string
	EveryMinutes int
	LastRunAt    *time.Time
	LastOKAt     *time.Time
	LastError    string
	UpdatedAt    time.Time
}

const fhirCols = `database_id, organisation_id, base_url, auth, token, client_id, client_secret, token_url, scope, every_minutes, last_run_at, last_ok_at, last_error, updated_at`

func scanFHIR(r row) (FHIRSettings, error) {
	var s FHIRSettings
	err := r.Scan(&s.DatabaseID, &s.OrgID, &s.BaseURL, &s.Auth, &s.Token, &s.ClientID, &s.ClientSecret, &s.TokenURL, &s.Scope, &s.EveryMinutes,
		&s.LastRunAt, &s.LastOKAt, &s.LastError, &s.UpdatedAt)
	return s, err
}

// SetFHIRSettings saves how database s.DatabaseID is reached (its run status is kept).
//
// Errors: none of its own.
func (tx Sync) SetFHIRSettings(ctx context.Context, s FHIRSettings) error {
	_, err := tx.q.exec(ctx, `INSERT INTO fhir_settings (database_id, organisation_id, base_url, auth, token, client_id, client_secret, token_url, scope, every_minutes, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (database_id) DO UPDATE SET base_url = excluded.base_url, auth = excluded.auth, token = excluded.token,
			client_id = excluded.client_id, client_secret = excluded.client_secret, token_url = excluded.token_url, scope = excluded.scope,
			every_minutes = excluded.every_minutes, updated_at = excluded.updated_at`,
		s.DatabaseID, s.OrgID, s.BaseURL, s.Auth, s.Token, s.ClientID, s.ClientSecret, s.TokenURL, s.Scope, s.EveryMinutes, tx.Now)
	if err != nil {
		return fmt.Errorf("set FHIR settings of database %d: %w", s.DatabaseID, err)
	}
	return nil
}

// FHIRSettingsOf reads database id's FHIR settings; ok is false when none are set.
//
// Errors: none of its own.
func (tx Sync) FHIRSettingsOf(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) (FHIRSettings, bool, error) {
	ss, err := collect(ctx, tx, scanFHIR, `SELECT `+fhirCols+` FROM fhir_settings WHERE organisation_id = $1 AND database_id = $2`, org, id)
	if err != nil || len(ss) == 0 {
		return FHIRSettings{}, false, err
	}
	return ss[0], true, nil
}

// FHIRDatabases lists every fhir database with settings, of every organisation: the sync
// job's round.
//
// Errors: none of its own.
func (tx Sync) FHIRDatabases(ctx context.Context) ([]FHIRSettings, error) {
	return collect(ctx, tx, scanFHIR, `SELECT `+qualifiedCols("f", fhirCols)+` FROM fhir_settings f
		JOIN clinical_databases d ON d.organisation_id = f.organisation_id AND d.id = f.database_id WHERE d.kind = 'fhir' ORDER BY f.database_id`)
}

// RecordFHIRRun records a sync run of database id: its time, and the error that ended it
// ("" for a run that read everything).
//
// Errors: none of its own.
func (tx Sync) RecordFHIRRun(ctx context.Context, id clinic.DatabaseID, why string) error {
	q := `UPDATE fhir_settings SET last_run_at = $2, last_error = $3 WHERE database_id = $1`
	if why == "" {
		q = `UPDATE fhir_settings SET last_run_at = $2, last_ok_at = $2, last_error = $3 WHERE database_id = $1`
	}
	if _, err := tx.q.exec(ctx, q, id, tx.Now, why); err != nil {
		return fmt.Errorf("record FHIR run of database %d: %w", id, err)
	}
	return nil
}

// FHIRCursor reads up to when resource type typ of database id was read (zero: never).
//
// Errors: none of its own.
func (tx Sync) FHIRCursor(ctx context.Context, id clinic.DatabaseID, typ string) (time.Time, error) {
	ts, err := collect(ctx, tx, func(r row) (time.Time, error) {
		var t time.Time
		return t, r.Scan(&t)
	}, `SELECT since FROM fhir_cursors WHERE database_id = $1 AND resource_type = $2`, id, typ)
	if err != nil || len(ts) == 0 {
		return time.Time{}, err
	}
	return ts[0].UTC(), nil
}

// SetFHIRCursor records that resource type typ of database id was read up to since.
//
// Errors: none of its own.
func (tx Sync) SetFHIRCursor(ctx context.Context, id clinic.DatabaseID, typ string, since time.Time) error {
	_, err := tx.q.exec(ctx, `INSERT INTO fhir_cursors (database_id, resource_type, since) VALUES ($1, $2, $3)
		ON CONFLICT (database_id, resource_type) DO UPDATE SET since = excluded.since`, id, typ, since.UTC())
	if err != nil {
		return fmt.Errorf("set FHIR cursor: %w", err)
	}
	return nil
}

// ResetWriteBack makes a failed write-back of appointment id due again now (staff fixed the
// cause and try again).
//
// Errors: clinic.ErrNotFound when the appointment has no failed write-back.
func (tx Sync) ResetWriteBack(ctx context.Context, org clinic.OrgID, id clinic.AppointmentID) error {
	n, err := tx.q.exec(ctx, `UPDATE writebacks SET state = 'pending', attempts = 0, next_at = $3, last_error = '', updated_at = $3
		WHERE organisation_id = $1 AND appointment_id = $2 AND state = 'failed'`, org, id, tx.Now)
	return one(n, err)
}

// CountFailedWriteBacks counts org's write-backs the software refused: the alert staff see
// on every page until they are dealt with.
//
// Errors: none of its own.
func (tx Sync) CountFailedWriteBacks(ctx context.Context, org clinic.OrgID) (int, error) {
	var n int
	if err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM writebacks WHERE organisation_id = $1 AND state = 'failed'`, org).Scan(&n); err != nil {
		return 0, fmt.Errorf("count failed write-backs: %w", err)
	}
	return n, nil
}

// SetDatabaseProfile stores database id's adjusted software profile (JSON, validated by the
// caller).
//
// Errors: none of its own.
func (tx Sync) SetDatabaseProfile(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, profile string) error {
	_, err := tx.q.exec(ctx, `INSERT INTO database_profiles (database_id, organisation_id, profile, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (database_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at`, id, org, profile, tx.Now)
	if err != nil {
		return fmt.Errorf("set profile of database %d: %w", id, err)
	}
	return nil
}

// DatabaseProfile reads database id's adjusted profile; ok is false when it uses its
// software's defaults.
//
// Errors: none of its own.
func (tx Sync) DatabaseProfile(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) (profile string, ok bool, err error) {
	ps, err := collect(ctx, tx, func(r row) (string, error) {
		var p string
		return p, r.Scan(&p)
	}, `SELECT profile FROM database_profiles WHERE organisation_id = $1 AND database_id = $2`, org, id)
	if err != nil || len(ps) == 0 {
		return "", false, err
	}
	return ps[0], true, nil
}

// ClearDatabaseProfile makes database id use its software's defaults again.
//
// Errors: none of its own.
func (tx Sync) ClearDatabaseProfile(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) error {
	_, err := tx.q.exec(ctx, `DELETE FROM database_profiles WHERE organisation_id = $1 AND database_id = $2`, org, id)
	if err != nil {
		return fmt.Errorf("clear profile of database %d: %w", id, err)
	}
	return nil
}
