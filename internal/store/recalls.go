package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Recalls queries results' and recalls' message sequences (RES-3..RES-8): the clinic's
// templates, the sequences, their identity-check links and the action checklist.
type Recalls struct{ *Tx }

// Recalls returns the recall queries of tx.
func (tx *Tx) Recalls() Recalls { return Recalls{tx} }

// The states of a sequence.
const (
	// SeqWaiting: the template waits for staff to start it for this patient (RES-3).
	SeqWaiting = "waiting"
	// SeqActive: its steps are planned as notifications.
	SeqActive = "active"
	// SeqBooked: the patient booked after it started; the remaining steps were withdrawn
	// (RES-4). AppointmentID is the booking.
	SeqBooked = "booked"
	// SeqManual: staff must act (a manual result in the group, RES-2/RES-6).
	SeqManual = "manual"
	// SeqUnreachable: nothing automatic can reach the patient (no mobile and no e-mail,
	// or opted out of every channel of the template).
	SeqUnreachable = "unreachable"
	// SeqDone: the clinic told the patient (RES-5), staff marked it done, or the clinical
	// software completed the recall.
	SeqDone = "done"
	// SeqSkipped: staff chose not to follow it up, or the clinical software cancelled it.
	SeqSkipped = "skipped"
)

// SequenceStates lists the states in the order pages show them.
func SequenceStates() []string {
	return []string{SeqWaiting, SeqActive, SeqBooked, SeqManual, SeqUnreachable, SeqDone, SeqSkipped}
}

// Why a sequence is on the checklist (RES-7). The first five are stored with the state; the
// last two are read from the sequence's steps when the checklist is listed.
const (
	WhyAwaitingStart = "awaiting_start" // waiting for staff to start it
	WhyManualAction  = "manual_action"  // a result's action is manual (urgent return, nurse to advise, custom)
	WhyComments      = "comments"       // a result has comments
	WhyNoContact     = "no_contact"     // no mobile and no e-mail
	WhyOptedOut      = "opted_out"      // no channel of the template is allowed
	WhyFinished      = "finished"       // every step went out and the patient did not book
	WhySendFailed    = "send_failed"    // a step could not be sent
)

// ChecklistWhys lists the reasons in the order the checklist's filter shows them.
func ChecklistWhys() []string {
	return []string{WhyManualAction, WhyComments, WhyAwaitingStart, WhyNoContact, WhyOptedOut, WhyFinished, WhySendFailed}
}

// The kinds of sequence.
const (
	SeqKindResults = "results" // the results of one patient performed one day (RES-6)
	SeqKindRecall  = "recall"  // a recall of another kind (RES-8)
)

// RecallStep is one step of a template: a message on a channel, sent Delay after the
// previous step (the first after the sequence starts), in English and French.
type RecallStep struct {
	Channel      string `json:"channel"`
	DelayMinutes int    `json:"delay_minutes"`
	SubjectEN    string `json:"subject_en,omitempty"`
	BodyEN       string `json:"body_en"`
	SubjectFR    string `json:"subject_fr,omitempty"`
	BodyFR       string `json:"body_fr"`
}

// RecallTemplate is a result or recall template as the clinic saved it (RES-3).
type RecallTemplate struct {
	ID        int64
	OrgID     clinic.OrgID
	Key       string
	Name      string
	Purpose   string // result or recall: the consent purpose of its messages
	AutoStart bool
	Steps     []RecallStep
	UpdatedAt time.Time
}

func scanRecallTemplate(r row) (RecallTemplate, error) {
	var t RecallTemplate
	var steps string
	if err := r.Scan(&t.ID, &t.OrgID, &t.Key, &t.Name, &t.Purpose, &t.AutoStart, &steps, &t.UpdatedAt); err != nil {
		return t, err
	}
	t.UpdatedAt = t.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(steps), &t.Steps); err != nil {
		return t, fmt.Errorf("template %s steps: %w", t.Key, err)
	}
	return t, nil
}

const recallTemplateCols = `id, organisation_id, key, name, purpose, auto_start, steps, updated_at`

// RecallTemplates lists the templates org saved, by key.
//
// Errors: none of its own.
func (tx Recalls) RecallTemplates(ctx context.Context, org clinic.OrgID) ([]RecallTemplate, error) {
	return collect(ctx, tx, scanRecallTemplate, `SELECT `+recallTemplateCols+` FROM recall_templates WHERE organisation_id = $1 ORDER BY key`, org)
}

// RecallTemplate reads org's saved template key; ok is false when org never saved it.
//
// Errors: none of its own.
func (tx Recalls) RecallTemplate(ctx context.Context, org clinic.OrgID, key string) (t RecallTemplate, ok bool, err error) {
	t, err = scanRecallTemplate(tx.q.queryRow(ctx, `SELECT `+recallTemplateCols+` FROM recall_templates WHERE organisation_id = $1 AND key = $2`, org, key))
	if errors.Is(err, clinic.ErrNotFound) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("recall template %s: %w", key, err)
	}
	return t, true, nil
}

// SaveRecallTemplate writes org's template t.Key, created or replaced.
//
// Errors: none of its own (the caller validated it).
func (tx Recalls) SaveRecallTemplate(ctx context.Context, t RecallTemplate) error {
	steps, err := json.Marshal(t.Steps)
	if err != nil {
		return err
	}
	_, err = tx.q.exec(ctx, `INSERT INTO recall_templates (organisation_id, key, name, purpose, auto_start, steps, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (organisation_id, key) DO UPDATE SET name = excluded.name, purpose = excluded.purpose, auto_start = excluded.auto_start,
			steps = excluded.steps, updated_at = excluded.updated_at`, t.OrgID, t.Key, t.Name, t.Purpose, t.AutoStart, string(steps), tx.Now)
	if err != nil {
		return fmt.Errorf("save recall template %s: %w", t.Key, err)
	}
	return nil
}

// forUpdate locks the rows a query reads until the transaction ends, on PostgreSQL (SQLite
// has one writer: its transactions never interleave).
func (tx Recalls) forUpdate() string {
	if tx.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Sequence is one recall of one patient and where its messages are.
type Sequence struct {
	ID         int64
	OrgID      clinic.OrgID
	ClinicID   clinic.ClinicID // the clinic whose name, portal and SMS sender the messages use
	PatientID  clinic.PatientID
	Kind       string
	DatabaseID clinic.DatabaseID // results and synced recalls; 0 for a recall staff created
	GroupDay   string            // results: the civil day performed, 2006-01-02 in the clinic's zone
	RecallID   int64             // a synced recall's row; 0 otherwise
	// Title is staff-facing ("Full blood count, Lipids"; "Skin check"); never sent.
	Title       string
	DoctorName  string // who wants to see the patient, shown after the identity check
	DueDate     string // a recall's due date; "" for results
	TemplateKey string
	State       string
	Why         string // with waiting, manual, unreachable: why staff must act
	// StepsPlanned is how many of the template's steps were planned as notifications;
	// ResumeStep is the first step withdrawn by a booking (-1: none), planned again if the
	// booking is cancelled before it happens.
	StepsPlanned  int
	ResumeStep    int
	AppointmentID clinic.AppointmentID // the booking that paused it
	StartedAt     time.Time
	EndsAt        time.Time // the last planned step's due time
	ClosedAt      time.Time // done or skipped
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Open reports whether the sequence still needs anything: not done, skipped or booked.
func (s Sequence) Open() bool {
	return s.State != SeqDone && s.State != SeqSkipped && s.State != SeqBooked
}

const sequenceCols = `id, organisation_id, clinic_id, patient_id, kind, database_id, group_day, recall_id, title, doctor_name, due_date, template_key,
	state, why, steps_planned, resume_step, appointment_id, started_at, ends_at, closed_at, created_by, created_at, updated_at`

func scanSequenceInto(r row, s *Sequence, more ...any) error {
	var db, rec, appt *int64
	var started, ends, closed *time.Time
	err := r.Scan(append([]any{&s.ID, &s.OrgID, &s.ClinicID, &s.PatientID, &s.Kind, &db, &s.GroupDay, &rec, &s.Title, &s.DoctorName, &s.DueDate,
		&s.TemplateKey, &s.State, &s.Why, &s.StepsPlanned, &s.ResumeStep, &appt, &started, &ends, &closed, &s.CreatedBy, &s.CreatedAt, &s.UpdatedAt}, more...)...)
	if db != nil {
		s.DatabaseID = clinic.DatabaseID(*db)
	}
	if rec != nil {
		s.RecallID = *rec
	}
	if appt != nil {
		s.AppointmentID = clinic.AppointmentID(*appt)
	}
	for _, p := range []struct {
		from *time.Time
		to   *time.Time
	}{{started, &s.StartedAt}, {ends, &s.EndsAt}, {closed, &s.ClosedAt}} {
		if p.from != nil {
			*p.to = p.from.UTC()
		}
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return err
}

func scanSequence(r row) (Sequence, error) {
	var s Sequence
	return s, scanSequenceInto(r, &s)
}

// InsertSequence stores a new sequence and returns it with its id.
//
// Errors: clinic.ErrConflict when the patient already has the sequence of that day (or of
// that synced recall); clinic.ErrNotFound for a clinic or patient of another organisation.
func (tx Recalls) InsertSequence(ctx context.Context, s Sequence) (Sequence, error) {
	s.CreatedAt, s.UpdatedAt = tx.Now, tx.Now
	if s.ResumeStep == 0 && s.StepsPlanned == 0 {
		s.ResumeStep = -1
	}
	err := tx.q.queryRow(ctx, `INSERT INTO recall_sequences (organisation_id, clinic_id, patient_id, kind, database_id, group_day, recall_id, title,
			doctor_name, due_date, template_key, state, why, steps_planned, resume_step, appointment_id, started_at, ends_at, closed_at, created_by,
			created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) RETURNING id`,
		s.OrgID, s.ClinicID, s.PatientID, s.Kind, zeroNil(int64(s.DatabaseID)), s.GroupDay, zeroNil(s.RecallID), s.Title, s.DoctorName, s.DueDate,
		s.TemplateKey, s.State, s.Why, s.StepsPlanned, s.ResumeStep, zeroNil(int64(s.AppointmentID)), timeNil(s.StartedAt), timeNil(s.EndsAt),
		timeNil(s.ClosedAt), s.CreatedBy, tx.Now).Scan(&s.ID)
	if err != nil {
		return s, fmt.Errorf("insert recall sequence: %w", err)
	}
	return s, nil
}

// UpdateSequence writes what a use case changed of s: its title, doctor, template, state,
// why, steps, booking and times.
//
// Errors: clinic.ErrNotFound when s is not org's.
func (tx Recalls) UpdateSequence(ctx context.Context, s Sequence) error {
	n, err := tx.q.exec(ctx, `UPDATE recall_sequences SET title = $3, doctor_name = $4, due_date = $5, template_key = $6, state = $7, why = $8,
			steps_planned = $9, resume_step = $10, appointment_id = $11, started_at = $12, ends_at = $13, closed_at = $14, clinic_id = $15,
			updated_at = $16
		WHERE organisation_id = $1 AND id = $2`, s.OrgID, s.ID, s.Title, s.DoctorName, s.DueDate, s.TemplateKey, s.State, s.Why, s.StepsPlanned,
		s.ResumeStep, zeroNil(int64(s.AppointmentID)), timeNil(s.StartedAt), timeNil(s.EndsAt), timeNil(s.ClosedAt), s.ClinicID, tx.Now)
	if err != nil {
		return fmt.Errorf("update recall sequence %d: %w", s.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("recall sequence %d: %w", s.ID, clinic.ErrNotFound)
	}
	return nil
}

// Sequence reads sequence id of org.
//
// Errors: clinic.ErrNotFound.
func (tx Recalls) Sequence(ctx context.Context, org clinic.OrgID, id int64) (Sequence, error) {
	s, err := scanSequence(tx.q.queryRow(ctx, `SELECT `+sequenceCols+` FROM recall_sequences WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return s, fmt.Errorf("recall sequence %d: %w", id, err)
	}
	return s, nil
}

// LockSequence reads sequence id of org for a change: on PostgreSQL the row stays locked
// until tx ends, so that two instances applying results of the same day, or a booking and
// a step, decide one after the other (SQLite has one writer).
//
// Errors: clinic.ErrNotFound.
func (tx Recalls) LockSequence(ctx context.Context, org clinic.OrgID, id int64) (Sequence, error) {
	s, err := scanSequence(tx.q.queryRow(ctx, `SELECT `+sequenceCols+` FROM recall_sequences WHERE organisation_id = $1 AND id = $2`+tx.forUpdate(), org, id))
	if err != nil {
		return s, fmt.Errorf("recall sequence %d: %w", id, err)
	}
	return s, nil
}

// SequenceOfDay reads, locked, the results sequence of a patient's day in a database.
//
// Errors: none of its own; ok is false when there is none.
func (tx Recalls) SequenceOfDay(ctx context.Context, db clinic.DatabaseID, patient clinic.PatientID, day string) (s Sequence, ok bool, err error) {
	s, err = scanSequence(tx.q.queryRow(ctx, `SELECT `+sequenceCols+` FROM recall_sequences
		WHERE database_id = $1 AND patient_id = $2 AND group_day = $3 AND kind = 'results'`+tx.forUpdate(), db, patient, day))
	if errors.Is(err, clinic.ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("recall sequence of %s: %w", day, err)
	}
	return s, true, nil
}

// SequenceOfRecall reads, locked, the sequence of a synced recall.
//
// Errors: none of its own; ok is false when there is none.
func (tx Recalls) SequenceOfRecall(ctx context.Context, recall int64) (s Sequence, ok bool, err error) {
	s, err = scanSequence(tx.q.queryRow(ctx, `SELECT `+sequenceCols+` FROM recall_sequences WHERE recall_id = $1`+tx.forUpdate(), recall))
	if errors.Is(err, clinic.ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("recall sequence of recall %d: %w", recall, err)
	}
	return s, true, nil
}

// SequencesOfPatient lists a patient's sequences, newest first (the patient file's recall
// history).
//
// Errors: none of its own.
func (tx Recalls) SequencesOfPatient(ctx context.Context, org clinic.OrgID, patient clinic.PatientID, limit int) ([]Sequence, error) {
	return collect(ctx, tx, scanSequence, `SELECT `+sequenceCols+` FROM recall_sequences WHERE organisation_id = $1 AND patient_id = $2
		ORDER BY id DESC LIMIT $3`, org, patient, limit)
}

// SequencesInState lists, locked, the sequences of patients in state (the booking rule
// pauses the active ones), in statements of up to 500 patients.
//
// Errors: none of its own.
func (tx Recalls) SequencesInState(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID, state string) ([]Sequence, error) {
	var out []Sequence
	for len(patients) > 0 {
		k := min(len(patients), 500)
		ss, err := collect(ctx, tx, scanSequence, `SELECT `+sequenceCols+` FROM recall_sequences WHERE organisation_id = $1
			AND patient_id IN (`+idList(patients[:k])+`) AND state = $2 ORDER BY id`+tx.forUpdate(), org, state)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
		patients = patients[k:]
	}
	return out, nil
}

// SequencesBookedInto lists, locked, the sequences the appointments paused.
//
// Errors: none of its own.
func (tx Recalls) SequencesBookedInto(ctx context.Context, org clinic.OrgID, appts []clinic.AppointmentID) ([]Sequence, error) {
	var out []Sequence
	for len(appts) > 0 {
		k := min(len(appts), 500)
		ss, err := collect(ctx, tx, scanSequence, `SELECT `+sequenceCols+` FROM recall_sequences WHERE organisation_id = $1
			AND appointment_id IN (`+idList(appts[:k])+`) AND state = 'booked' ORDER BY id`+tx.forUpdate(), org)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
		appts = appts[k:]
	}
	return out, nil
}

// SequencesByIDs reads sequences of org by id (the dispatcher's batch).
//
// Errors: none of its own.
func (tx Recalls) SequencesByIDs(ctx context.Context, org clinic.OrgID, ids []int64) (map[int64]Sequence, error) {
	out := map[int64]Sequence{}
	if len(ids) == 0 {
		return out, nil
	}
	ss, err := collect(ctx, tx, scanSequence, `SELECT `+sequenceCols+` FROM recall_sequences WHERE organisation_id = $1 AND id IN (`+idList(ids)+`)`, org)
	for _, s := range ss {
		out[s.ID] = s
	}
	return out, err
}

// SetResultSequence puts a result in a sequence.
//
// Errors: none of its own.
func (tx Recalls) SetResultSequence(ctx context.Context, org clinic.OrgID, result, sequence int64) error {
	_, err := tx.q.exec(ctx, `UPDATE results SET sequence_id = $3 WHERE organisation_id = $1 AND id = $2`, org, result, zeroNil(sequence))
	if err != nil {
		return fmt.Errorf("result %d sequence: %w", result, err)
	}
	return nil
}

// ResultsOfSequence lists the results of a sequence, by date performed.
//
// Errors: none of its own.
func (tx Recalls) ResultsOfSequence(ctx context.Context, org clinic.OrgID, sequence int64) ([]Result, error) {
	return collect(ctx, tx, scanResult, `SELECT `+resultCols+` FROM results WHERE organisation_id = $1 AND sequence_id = $2
		ORDER BY performed_at, id`, org, sequence)
}

// StepsOf lists the notifications of a sequence's steps, by step then id.
//
// Errors: none of its own.
func (tx Recalls) StepsOf(ctx context.Context, org clinic.OrgID, sequence int64) ([]Notification, error) {
	return collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications WHERE organisation_id = $1 AND sequence_id = $2
		ORDER BY step, id`, org, sequence)
}

// RecallSettings are a clinic's recall switches.
type RecallSettings struct {
	ClinicID clinic.ClinicID
	// ResumeOnCancel: a recall paused by a booking resumes when the booking is cancelled
	// before it happens (RES-4).
	ResumeOnCancel bool
	UpdatedAt      time.Time
}

// RecallSettingsOf reads a clinic's switches, the defaults when it never saved them.
//
// Errors: none of its own.
func (tx Recalls) RecallSettingsOf(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID) (RecallSettings, error) {
	s := RecallSettings{ClinicID: cl, ResumeOnCancel: true}
	err := tx.q.queryRow(ctx, `SELECT resume_on_cancel, updated_at FROM recall_settings WHERE organisation_id = $1 AND clinic_id = $2`, org, cl).
		Scan(&s.ResumeOnCancel, &s.UpdatedAt)
	if errors.Is(err, clinic.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("recall settings of clinic %d: %w", cl, err)
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, nil
}

// PutRecallSettings saves a clinic's switches.
//
// Errors: clinic.ErrNotFound for a clinic of another organisation.
func (tx Recalls) PutRecallSettings(ctx context.Context, org clinic.OrgID, s RecallSettings) error {
	_, err := tx.q.exec(ctx, `INSERT INTO recall_settings (clinic_id, organisation_id, resume_on_cancel, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (clinic_id) DO UPDATE SET resume_on_cancel = excluded.resume_on_cancel, updated_at = excluded.updated_at`,
		s.ClinicID, org, s.ResumeOnCancel, tx.Now)
	if err != nil {
		return fmt.Errorf("save recall settings: %w", err)
	}
	return nil
}

// RecallLink is the identity-check link of a step's message, by the hash of its token.
type RecallLink struct {
	Hash        []byte
	OrgID       clinic.OrgID
	SequenceID  int64
	Failures    int
	LockedUntil time.Time
	PassedAt    time.Time
	ExpiresAt   time.Time
	CreatedAt   time.Time
}

// AddRecallLink stores a link.
//
// Errors: none of its own.
func (tx Recalls) AddRecallLink(ctx context.Context, l RecallLink) error {
	_, err := tx.q.exec(ctx, `INSERT INTO recall_links (token_hash, organisation_id, sequence_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`,
		l.Hash, l.OrgID, l.SequenceID, l.ExpiresAt.UTC(), tx.Now)
	if err != nil {
		return fmt.Errorf("add recall link: %w", err)
	}
	return nil
}

// RecallLinkByHash reads, locked, the link of a token's hash.
//
// Errors: clinic.ErrNotFound.
func (tx Recalls) RecallLinkByHash(ctx context.Context, hash []byte) (RecallLink, error) {
	var l RecallLink
	var locked, passed *time.Time
	err := tx.q.queryRow(ctx, `SELECT token_hash, organisation_id, sequence_id, failures, locked_until, passed_at, expires_at, created_at
		FROM recall_links WHERE token_hash = $1`+tx.forUpdate(), hash).
		Scan(&l.Hash, &l.OrgID, &l.SequenceID, &l.Failures, &locked, &passed, &l.ExpiresAt, &l.CreatedAt)
	if err != nil {
		return l, fmt.Errorf("recall link: %w", err)
	}
	if locked != nil {
		l.LockedUntil = locked.UTC()
	}
	if passed != nil {
		l.PassedAt = passed.UTC()
	}
	l.ExpiresAt, l.CreatedAt = l.ExpiresAt.UTC(), l.CreatedAt.UTC()
	return l, nil
}

// MarkRecallLink records a check of a link: its failures, lock and pass as the use case
// decided them.
//
// Errors: none of its own.
func (tx Recalls) MarkRecallLink(ctx context.Context, l RecallLink) error {
	_, err := tx.q.exec(ctx, `UPDATE recall_links SET failures = $2, locked_until = $3, passed_at = $4 WHERE token_hash = $1`,
		l.Hash, l.Failures, timeNil(l.LockedUntil), timeNil(l.PassedAt))
	if err != nil {
		return fmt.Errorf("mark recall link: %w", err)
	}
	return nil
}

// ChecklistFilter narrows the action checklist.
type ChecklistFilter struct {
	ClinicID clinic.ClinicID // 0: every clinic
	Why      string          // "": every reason
	Kind     string          // "": both kinds
}

// ChecklistItem is a sequence that needs staff, with why and the patient's name.
type ChecklistItem struct {
	Sequence
	// Reason is why it is listed: the stored Why, or finished / send_failed read from its
	// steps.
	Reason     string
	GivenName  string
	FamilyName string
	BirthDate  string
	// Since is when the reason arose: the last step's due time for finished, else the
	// sequence's last change.
	Since time.Time
}

// rows is the SQL of the sequences on the checklist (RES-7) as rows (id, reason, since),
// reason "" for those not listed after all (running, past the last step's due time, a
// step still to send); $1 is the organisation and $2 now. Its cost follows the checklist's
// length, not the number of recalls running (bench recalls: 50,000 running, 10,000
// listed): a running sequence's steps are read only once it is past its last step's due
// time or one of its steps failed. Three branches, each served by an index:
//   - a state that stores why (waiting, manual, unreachable), since the sequence's last
//     change: the covering index recall_sequences_checklist alone;
//   - running, past its last step's due time (the same index, by ends_at), since then:
//     send_failed when a step failed, finished when none is left to send;
//   - running, not past it, with a failed step (few: the partial index
//     notifications_sequence_failed), since its last step's due time.
//
// A reason asked (f.Why) narrows the first branch; the caller still filters on it.
func (f ChecklistFilter) rows(args *[]any) string {
	var b strings.Builder
	if f.ClinicID != 0 {
		*args = append(*args, f.ClinicID)
		fmt.Fprintf(&b, " AND s.clinic_id = $%d", len(*args))
	}
	if f.Kind != "" {
		*args = append(*args, f.Kind)
		fmt.Fprintf(&b, " AND s.kind = $%d", len(*args))
	}
	narrow, stored := b.String(), b.String()
	if f.Why != "" {
		*args = append(*args, f.Why)
		stored += fmt.Sprintf(" AND s.why = $%d", len(*args))
	}
	return `SELECT s.id, s.why AS reason, s.updated_at AS since FROM recall_sequences s
		WHERE s.organisation_id = $1 AND s.state IN ('waiting', 'manual', 'unreachable')` + stored + `
	UNION ALL
	SELECT s.id, CASE
			WHEN EXISTS (SELECT 1 FROM notifications n WHERE n.sequence_id = s.id AND n.state IN ('failed', 'bounced')) THEN 'send_failed'
			WHEN NOT EXISTS (SELECT 1 FROM notifications n WHERE n.sequence_id = s.id AND n.state IN ('planned', 'claimed', 'sending')) THEN 'finished'
			ELSE '' END, s.ends_at
		FROM recall_sequences s WHERE s.organisation_id = $1 AND s.state = 'active' AND s.ends_at <= $2` + narrow + `
	UNION ALL
	SELECT DISTINCT s.id, 'send_failed', s.ends_at FROM notifications n CROSS JOIN recall_sequences s
		WHERE n.organisation_id = $1 AND n.sequence_id IS NOT NULL AND n.state IN ('failed', 'bounced') AND s.id = n.sequence_id
			AND s.organisation_id = $1 AND s.state = 'active' AND (s.ends_at IS NULL OR s.ends_at > $2)` + narrow
}

// Checklist lists the sequences that need staff (RES-7), oldest reason first, with the
// reason each is listed for; the next page starts after p's (Since, ID). The page is
// chosen on (id, reason, since) alone; only its rows are read whole, with their patients.
//
// Errors: none of its own.
func (tx Recalls) Checklist(ctx context.Context, org clinic.OrgID, f ChecklistFilter, now time.Time, p Page) ([]ChecklistItem, error) {
	args := []any{org, now.UTC()}
	page := `SELECT id, reason, since FROM (` + f.rows(&args) + `) r WHERE reason <> ''`
	if f.Why != "" {
		args = append(args, f.Why)
		page += fmt.Sprintf(" AND reason = $%d", len(args))
	}
	if !p.AfterTime.IsZero() {
		args = append(args, p.AfterTime.UTC(), p.After)
		page += fmt.Sprintf(" AND (since > $%d OR (since = $%d AND id > $%d))", len(args)-1, len(args)-1, len(args))
	}
	args = append(args, p.Size())
	page += fmt.Sprintf(" ORDER BY since, id LIMIT $%d", len(args))
	q := `SELECT ` + qualifiedCols("s", sequenceCols) + `, c.reason, p.given_name, p.family_name, COALESCE(p.birth_date, ''), c.since
		FROM (` + page + `) c
		JOIN recall_sequences s ON s.organisation_id = $1 AND s.id = c.id
		JOIN patients p ON p.organisation_id = s.organisation_id AND p.id = s.patient_id
		ORDER BY c.since, c.id`
	return collect(ctx, tx, func(r row) (ChecklistItem, error) {
		var it ChecklistItem
		// since is read from the sequence as the query computes it: SQLite returns a
		// computed time as its stored text, which does not scan into a time.
		var since any
		err := scanSequenceInto(r, &it.Sequence, &it.Reason, &it.GivenName, &it.FamilyName, &it.BirthDate, &since)
		it.Since = it.UpdatedAt
		if it.State == SeqActive {
			it.Since = it.EndsAt
		}
		return it, err
	}, q, args...)
}

// ChecklistCounts counts the checklist's items by reason (the filter's counts and the
// header's badge), every reason whatever f.Why.
//
// Errors: none of its own.
func (tx Recalls) ChecklistCounts(ctx context.Context, org clinic.OrgID, f ChecklistFilter, now time.Time) (map[string]int, error) {
	args := []any{org, now.UTC()}
	f.Why = ""
	type kv struct {
		k string
		n int
	}
	rows, err := collect(ctx, tx, func(r row) (kv, error) {
		var x kv
		return x, r.Scan(&x.k, &x.n)
	}, `SELECT reason, COUNT(*) FROM (`+f.rows(&args)+`) c WHERE reason <> '' GROUP BY reason`, args...)
	out := map[string]int{}
	for _, x := range rows {
		out[x.k] = x.n
	}
	return out, err
}

// SummaryRow is a count of sequences by template and state (the recalls summary).
type SummaryRow struct {
	TemplateKey string
	State       string
	Count       int
}

// RecallSummary counts org's sequences by template and state, for one clinic (0: all).
//
// Errors: none of its own.
func (tx Recalls) RecallSummary(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID) ([]SummaryRow, error) {
	return collect(ctx, tx, func(r row) (SummaryRow, error) {
		var x SummaryRow
		return x, r.Scan(&x.TemplateKey, &x.State, &x.Count)
	}, `SELECT template_key, state, COUNT(*) FROM recall_sequences WHERE organisation_id = $1 AND ($2 = 0 OR clinic_id = $2)
		GROUP BY template_key, state ORDER BY template_key, state`, org, cl)
}
