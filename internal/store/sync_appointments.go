package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// The kinds of a sync mapping: what code of the clinical software names which record.
const (
	MapPractitioner    = "practitioner" // a practitioner's id (AIP-3) → an agenda
	MapLocation        = "location"     // a location (AIL-3) → an agenda
	MapAppointmentType = "reason"       // an appointment type's code (SCH-7) → a reason
)

// SyncMapping says which agenda or reason a code of a database's messages names, as an
// administrator set it: clinical software has its own ids for doctors and appointment
// types, and names are not always enough to tell.
type SyncMapping struct {
	Kind      string
	Code      string
	TargetID  int64 // an agenda id, or a reason id for MapAppointmentType
	UpdatedAt time.Time
}

// SetMapping maps code of kind, in database id's messages, to target. The caller checks
// that target is one of the database's agendas or reasons.
//
// Errors: none of its own.
func (tx Sync) SetMapping(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, kind, code string, target int64) error {
	_, err := tx.q.exec(ctx, `INSERT INTO sync_mappings (organisation_id, database_id, kind, code, target_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (database_id, kind, code) DO UPDATE SET target_id = excluded.target_id, updated_at = excluded.updated_at`,
		org, id, kind, code, target, tx.Now)
	if err != nil {
		return fmt.Errorf("set %s mapping of database %d: %w", kind, id, err)
	}
	return nil
}

// DeleteMapping removes the mapping of code of kind.
//
// Errors: clinic.ErrNotFound when there is none.
func (tx Sync) DeleteMapping(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, kind, code string) error {
	n, err := tx.q.exec(ctx, `DELETE FROM sync_mappings WHERE organisation_id = $1 AND database_id = $2 AND kind = $3 AND code = $4`, org, id, kind, code)
	if err != nil {
		return fmt.Errorf("delete %s mapping of database %d: %w", kind, id, err)
	}
	return one(n, err)
}

// Mappings lists database id's mappings by kind and code.
//
// Errors: none of its own.
func (tx Sync) Mappings(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) ([]SyncMapping, error) {
	return collect(ctx, tx, func(r row) (SyncMapping, error) {
		var m SyncMapping
		return m, r.Scan(&m.Kind, &m.Code, &m.TargetID, &m.UpdatedAt)
	}, `SELECT kind, code, target_id, updated_at FROM sync_mappings WHERE organisation_id = $1 AND database_id = $2 ORDER BY kind, code`, org, id)
}

// Mapping reads the target of code of kind in database id's messages; ok is false when
// none is set.
//
// Errors: none of its own.
func (tx Sync) Mapping(ctx context.Context, id clinic.DatabaseID, kind, code string) (target int64, ok bool, err error) {
	ts, err := collect(ctx, tx, func(r row) (int64, error) {
		var t int64
		return t, r.Scan(&t)
	}, `SELECT target_id FROM sync_mappings WHERE database_id = $1 AND kind = $2 AND code = $3`, id, kind, code)
	if err != nil || len(ts) == 0 {
		return 0, false, err
	}
	return ts[0], true, nil
}

// SyncAgenda is an active agenda of a database's clinics, with its practitioner's name: what
// an appointment from the clinical software is matched against when no mapping names it.
type SyncAgenda struct {
	ID           clinic.AgendaID
	ClinicID     clinic.ClinicID
	Name         string
	Practitioner string // "" for a room
}

// AgendasOf lists the active agendas of the clinics of database id.
//
// Errors: none of its own.
func (tx Sync) AgendasOf(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) ([]SyncAgenda, error) {
	return collect(ctx, tx, func(r row) (SyncAgenda, error) {
		var a SyncAgenda
		var p *string
		err := r.Scan(&a.ID, &a.ClinicID, &a.Name, &p)
		if p != nil {
			a.Practitioner = *p
		}
		return a, err
	}, `SELECT a.id, a.clinic_id, a.name, p.name FROM agendas a
		JOIN clinics c ON c.organisation_id = a.organisation_id AND c.id = a.clinic_id
		LEFT JOIN practitioners p ON p.organisation_id = a.organisation_id AND p.id = a.practitioner_id
		WHERE a.organisation_id = $1 AND c.database_id = $2 AND a.active ORDER BY a.id`, org, id)
}

// SyncReason is a reason an agenda offers.
type SyncReason struct {
	ID   clinic.ReasonID
	Name string
}

// ReasonsOfAgenda lists the reasons agenda offers.
//
// Errors: none of its own.
func (tx Sync) ReasonsOfAgenda(ctx context.Context, org clinic.OrgID, agenda clinic.AgendaID) ([]SyncReason, error) {
	return collect(ctx, tx, func(r row) (SyncReason, error) {
		var s SyncReason
		return s, r.Scan(&s.ID, &s.Name)
	}, `SELECT r.id, r.name FROM agenda_reasons ar JOIN reasons r ON r.organisation_id = ar.organisation_id AND r.id = ar.reason_id
		WHERE ar.organisation_id = $1 AND ar.agenda_id = $2 ORDER BY r.id`, org, agenda)
}

// AppointmentByExternalID reads the appointment of database db's clinics that the
// clinical software knows as ext.
//
// Errors: clinic.ErrNotFound when there is none.
func (tx Appointments) AppointmentByExternalID(ctx context.Context, org clinic.OrgID, db clinic.DatabaseID, ext string) (clinic.Appointment, error) {
	a, err := scanAppointment(tx.q.queryRow(ctx, `SELECT `+qualifiedCols("a", appointmentCols)+` FROM appointments a
		JOIN clinics c ON c.organisation_id = a.organisation_id AND c.id = a.clinic_id
		WHERE a.organisation_id = $1 AND a.external_id = $3 AND c.database_id = $2 ORDER BY a.id LIMIT 1`, org, db, ext))
	if err != nil {
		return a, fmt.Errorf("appointment by external id: %w", err)
	}
	return a, nil
}

// Recall is a recall of a database's patient (RES-8), as its clinical software last sent it.
type Recall struct {
	ID                   int64
	OrgID                clinic.OrgID
	DatabaseID           clinic.DatabaseID
	PatientID            clinic.PatientID
	ExternalID           string
	Due                  string // civil date 2006-01-02
	Reason               string
	DoctorID, DoctorName string
	Status               string // active, completed, cancelled
	CreatedAt, UpdatedAt time.Time
}

// UpsertRecall writes a recall of its database, by external id: created when new, replaced
// otherwise (the caller orders the changes), and returns its id.
//
// Errors: clinic.ErrInvalid for a status the table refuses.
func (tx Sync) UpsertRecall(ctx context.Context, r Recall) (int64, error) {
	var id int64
	err := tx.q.queryRow(ctx, `INSERT INTO recalls (organisation_id, database_id, patient_id, external_id, due_date, reason, doctor_id,
			doctor_name, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
		ON CONFLICT (database_id, external_id) DO UPDATE SET patient_id = excluded.patient_id, due_date = excluded.due_date,
			reason = excluded.reason, doctor_id = excluded.doctor_id, doctor_name = excluded.doctor_name, status = excluded.status,
			updated_at = excluded.updated_at
		RETURNING id`, r.OrgID, r.DatabaseID, r.PatientID, r.ExternalID, r.Due, r.Reason, r.DoctorID, r.DoctorName, r.Status, tx.Now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("upsert recall: %w", err)
	}
	return id, nil
}

// RecallsOf lists the recalls of a patient of org, soonest due first.
//
// Errors: none of its own.
func (tx Sync) RecallsOf(ctx context.Context, org clinic.OrgID, patient clinic.PatientID) ([]Recall, error) {
	return collect(ctx, tx, func(r row) (Recall, error) {
		var x Recall
		return x, r.Scan(&x.ID, &x.OrgID, &x.DatabaseID, &x.PatientID, &x.ExternalID, &x.Due, &x.Reason, &x.DoctorID, &x.DoctorName,
			&x.Status, &x.CreatedAt, &x.UpdatedAt)
	}, `SELECT id, organisation_id, database_id, patient_id, external_id, due_date, reason, doctor_id, doctor_name, status, created_at,
		updated_at FROM recalls WHERE organisation_id = $1 AND patient_id = $2 ORDER BY due_date, id`, org, patient)
}

// SyncCount is how many messages of one type a database sent since a time, by outcome.
type SyncCount struct {
	Type                      string
	Applied, Ignored, Refused int
}

// SyncStats is what a database's sync page shows of its traffic (SYN-1): the messages of
// each type since a time (the start of the clinic's day), the last message and the last
// one applied, and how many refused messages are waiting. Refused messages are counted by
// their quarantine items: a refused message sent again is answered from its record and
// kept once.
type SyncStats struct {
	Counts         []SyncCount
	LastMessage    *time.Time // accepted or refused
	LastApplied    *time.Time
	OpenQuarantine int
}

// Stats reads database id's sync traffic since since; a zero since reads no counts, only
// the last messages and the waiting ones (what a list of databases shows).
//
// Errors: none of its own.
func (tx Sync) Stats(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, since time.Time) (SyncStats, error) {
	var st SyncStats
	if !since.IsZero() {
		if err := tx.counts(ctx, org, id, since, &st); err != nil {
			return st, err
		}
	}
	if err := tx.lastActivity(ctx, org, id, &st); err != nil {
		return st, err
	}
	return st, nil
}

// counts fills st.Counts with the messages of each type since since.
func (tx Sync) counts(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, since time.Time, st *SyncStats) error {
	type count struct {
		typ, outcome string
		n            int
	}
	counts, err := collect(ctx, tx, func(r row) (count, error) {
		var c count
		return c, r.Scan(&c.typ, &c.outcome, &c.n)
	}, `SELECT message_type, outcome, COUNT(*) FROM sync_messages WHERE organisation_id = $1 AND database_id = $2 AND received_at >= $3
		AND outcome <> 'refused' GROUP BY message_type, outcome
		UNION ALL
		SELECT message_type, 'refused', COUNT(*) FROM sync_quarantine WHERE organisation_id = $1 AND database_id = $2 AND received_at >= $3
		GROUP BY message_type
		ORDER BY 1, 2`, org, id, since.UTC())
	if err != nil {
		return fmt.Errorf("sync counts: %w", err)
	}
	for _, c := range counts {
		if len(st.Counts) == 0 || st.Counts[len(st.Counts)-1].Type != c.typ {
			st.Counts = append(st.Counts, SyncCount{Type: c.typ})
		}
		sc := &st.Counts[len(st.Counts)-1]
		switch c.outcome {
		case SyncApplied:
			sc.Applied += c.n
		case SyncIgnored:
			sc.Ignored += c.n
		default:
			sc.Refused += c.n
		}
	}
	return nil
}

// lastActivity fills st's last message, last applied and waiting count.
func (tx Sync) lastActivity(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, st *SyncStats) error {
	var err error
	last := func(q string) (*time.Time, error) {
		ts, err := collect(ctx, tx, func(r row) (time.Time, error) {
			var t time.Time
			return t, r.Scan(&t)
		}, q, org, id)
		if err != nil || len(ts) == 0 {
			return nil, err
		}
		return &ts[0], nil
	}
	if st.LastApplied, err = last(`SELECT received_at FROM sync_messages WHERE organisation_id = $1 AND database_id = $2 AND outcome = 'applied' ORDER BY id DESC LIMIT 1`); err != nil {
		return err
	}
	if st.LastMessage, err = last(`SELECT received_at FROM sync_messages WHERE organisation_id = $1 AND database_id = $2 ORDER BY id DESC LIMIT 1`); err != nil {
		return err
	}
	refused, err := last(`SELECT received_at FROM sync_quarantine WHERE organisation_id = $1 AND database_id = $2 ORDER BY id DESC LIMIT 1`)
	if err != nil {
		return err
	}
	if refused != nil && (st.LastMessage == nil || refused.After(*st.LastMessage)) {
		st.LastMessage = refused
	}
	if err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM sync_quarantine WHERE organisation_id = $1 AND database_id = $2 AND status = 'open'`, org, id).Scan(&st.OpenQuarantine); err != nil {
		return fmt.Errorf("open quarantine: %w", err)
	}
	return nil
}

// RecallByExternalID reads the recall database db's software knows as ext; ok is false when
// there is none.
//
// Errors: none of its own.
func (tx Sync) RecallByExternalID(ctx context.Context, db clinic.DatabaseID, ext string) (Recall, bool, error) {
	rs, err := collect(ctx, tx, func(r row) (Recall, error) {
		var x Recall
		return x, r.Scan(&x.ID, &x.OrgID, &x.DatabaseID, &x.PatientID, &x.ExternalID, &x.Due, &x.Reason, &x.DoctorID, &x.DoctorName,
			&x.Status, &x.CreatedAt, &x.UpdatedAt)
	}, `SELECT id, organisation_id, database_id, patient_id, external_id, due_date, reason, doctor_id, doctor_name, status, created_at,
		updated_at FROM recalls WHERE database_id = $1 AND external_id = $2`, db, ext)
	if err != nil || len(rs) == 0 {
		return Recall{}, false, err
	}
	return rs[0], true, nil
}
