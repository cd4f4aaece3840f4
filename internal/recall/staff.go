package recall

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
)

// MaxBulk is the most patients one bulk creation takes (RES-8).
const MaxBulk = 1000

// Start starts a sequence staff must start (RES-3: waiting), or one raised for staff
// (manual, unreachable, or finished without a booking) again from its first step, once
// they have dealt with why. Audited as "recall.start".
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; *clinic.ConflictError when the sequence
// is running, booked or closed.
func (s *Service) Start(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.change(ctx, actor, id, "recall.start", func(tx *store.Tx, seq *store.Sequence) error {
		switch seq.State {
		case store.SeqWaiting, store.SeqManual, store.SeqUnreachable, store.SeqActive:
		default:
			return &clinic.ConflictError{Field: "recall", Reason: "this recall is booked or closed: there is nothing to start"}
		}
		ids, _, err := planned(ctx, tx, *seq)
		if err != nil {
			return err
		}
		if seq.State == store.SeqActive && (len(ids) > 0 || !seq.EndsAt.Before(tx.Now)) {
			return &clinic.ConflictError{Field: "recall", Reason: "this recall is already sending its messages"}
		}
		if err := tx.Notifications().Withdraw(ctx, seq.OrgID, ids, reasonStaff); err != nil {
			return err
		}
		if err := begin(ctx, tx, seq, true); err != nil {
			return err
		}
		if seq.State != store.SeqActive {
			return &clinic.ConflictError{Field: "recall", Reason: "no message can reach this patient: no mobile and no e-mail, or opted out of every channel of the template"}
		}
		return nil
	})
}

// Skip closes a sequence without following it up (staff decided, e.g. they phoned the
// patient), withdrawing its planned steps. Audited as "recall.skip".
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; *clinic.ConflictError when closed.
func (s *Service) Skip(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.change(ctx, actor, id, "recall.skip", func(tx *store.Tx, seq *store.Sequence) error {
		if seq.State == store.SeqDone || seq.State == store.SeqSkipped {
			return &clinic.ConflictError{Field: "recall", Reason: "this recall is already closed"}
		}
		return closeSeq(ctx, tx, seq, store.SeqSkipped, reasonStaff)
	})
}

// Done marks a sequence done (staff told the patient), withdrawing its planned steps.
// Audited as "recall.done".
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; *clinic.ConflictError when closed.
func (s *Service) Done(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.change(ctx, actor, id, "recall.done", func(tx *store.Tx, seq *store.Sequence) error {
		if seq.State == store.SeqDone || seq.State == store.SeqSkipped {
			return &clinic.ConflictError{Field: "recall", Reason: "this recall is already closed"}
		}
		return closeSeq(ctx, tx, seq, store.SeqDone, reasonStaff)
	})
}

// change runs one staff action on sequence id, locked, and audits it.
func (s *Service) change(ctx context.Context, actor clinic.Actor, id int64, action string, f func(*store.Tx, *store.Sequence) error) error {
	if !actor.Can(clinic.PermFollowUp) {
		return fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermFollowUp, clinic.ErrForbidden)
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		seq, err := tx.Recalls().LockSequence(ctx, actor.OrgID, id)
		if err != nil {
			return errGone(id)
		}
		if err := f(tx, &seq); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, action, seq.PatientID)
	})
	if err == nil {
		s.cfg.Wake()
	}
	return err
}

// CreateInput is a bulk creation of recalls (RES-8): one per patient, of a template, due by
// a date, named for staff ("Annual skin check").
type CreateInput struct {
	ClinicID    clinic.ClinicID    `json:"clinic_id"`
	PatientIDs  []clinic.PatientID `json:"patient_ids"`
	Title       string             `json:"title"`
	DueDate     string             `json:"due_date"`
	TemplateKey string             `json:"template"`
}

// Created is what a bulk creation did.
type Created struct {
	Created int
	// Skipped counts patients left out: merged records, or patients of another clinical
	// database than the clinic's.
	Skipped int
}

// Create makes a recall for each patient (RES-8), each started (or left waiting for staff
// when the template says so), in one transaction. Audited as "recall.create" with every
// patient.
//
// Errors: clinic.ErrForbidden; *clinic.ValidationError naming the field.
func (s *Service) Create(ctx context.Context, actor clinic.Actor, in CreateInput) (Created, error) {
	var out Created
	if !actor.Can(clinic.PermFollowUp) {
		return out, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermFollowUp, clinic.ErrForbidden)
	}
	var v input.Checker
	title := strings.TrimSpace(in.Title)
	v.Text("title", &in.Title, &title, true, true, maxTitleRunes)
	if len(in.PatientIDs) == 0 || len(in.PatientIDs) > MaxBulk {
		v.Add("patient_ids", fmt.Sprintf("must list 1 to %d patients", MaxBulk))
	}
	due := ""
	if in.DueDate != "" {
		v.Date("due_date", &in.DueDate, &due, false)
	}
	if err := v.Err(); err != nil {
		return out, err
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		cl, err := tx.Directory().Clinic(ctx, actor.OrgID, in.ClinicID)
		if err != nil {
			return clinic.MissingReference("clinic_id", err)
		}
		key := in.TemplateKey
		if key == "" {
			key = KeyRecall
		}
		if _, ok, err := TemplateOf(ctx, tx, actor.OrgID, key); err != nil {
			return err
		} else if !ok {
			return clinic.Invalid("template", "does not exist")
		}
		var done []clinic.PatientID
		seen := map[clinic.PatientID]bool{}
		for _, id := range in.PatientIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			p, err := tx.Patients().Patient(ctx, actor.OrgID, id)
			if err != nil || p.MergedInto != 0 || p.DatabaseID != cl.DatabaseID {
				out.Skipped++
				continue
			}
			seq, err := tx.Recalls().InsertSequence(ctx, store.Sequence{OrgID: actor.OrgID, ClinicID: cl.ID, PatientID: id, Kind: store.SeqKindRecall,
				Title: title, DueDate: due, TemplateKey: key, State: store.SeqWaiting, CreatedBy: actor.Label})
			if err != nil {
				return err
			}
			if err := begin(ctx, tx, &seq, false); err != nil {
				return err
			}
			out.Created++
			done = append(done, id)
		}
		if len(done) == 0 {
			return clinic.Invalid("patient_ids", "none of these patients is a patient of this clinic")
		}
		return audit.Record(ctx, tx, actor, "recall.create", done...)
	})
	if err == nil {
		s.cfg.Wake()
	}
	return out, err
}

// Checklist lists the sequences that need staff (RES-7) with why, oldest first, and the
// counts by reason. Audited as "recall.checklist" with the patients listed.
//
// Errors: clinic.ErrForbidden.
func (s *Service) Checklist(ctx context.Context, actor clinic.Actor, f store.ChecklistFilter, p store.Page) ([]store.ChecklistItem, map[string]int, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return nil, nil, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadPatients, clinic.ErrForbidden)
	}
	var items []store.ChecklistItem
	var counts map[string]int
	now := s.cfg.Now()
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		if items, err = tx.Recalls().Checklist(ctx, actor.OrgID, f, now, p); err != nil {
			return err
		}
		counts, err = tx.Recalls().ChecklistCounts(ctx, actor.OrgID, store.ChecklistFilter{ClinicID: f.ClinicID, Kind: f.Kind}, now)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]clinic.PatientID, len(items))
	for i, it := range items {
		ids[i] = it.PatientID
	}
	if len(ids) > 0 {
		if err := audit.Read(ctx, s.db, actor, "recall.checklist", ids...); err != nil {
			return nil, nil, err
		}
	}
	return items, counts, nil
}

// Detail is one sequence with its results and its steps as sent so far.
type Detail struct {
	Sequence store.Sequence
	Template store.RecallTemplate
	Results  []store.Result
	Steps    []store.Notification
}

// History lists a patient's sequences, newest first (the patient file). Audited as
// "recall.history".
//
// Errors: clinic.ErrForbidden.
func (s *Service) History(ctx context.Context, actor clinic.Actor, patient clinic.PatientID) ([]Detail, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return nil, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadPatients, clinic.ErrForbidden)
	}
	var out []Detail
	err := s.db.View(ctx, func(tx *store.Tx) error {
		ss, err := tx.Recalls().SequencesOfPatient(ctx, actor.OrgID, patient, 100)
		if err != nil {
			return err
		}
		for _, seq := range ss {
			d, err := detail(ctx, tx, seq)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, audit.Read(ctx, s.db, actor, "recall.history", patient)
}

// Get reads one sequence with its results and steps. Audited as "recall.read".
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound.
func (s *Service) Get(ctx context.Context, actor clinic.Actor, id int64) (Detail, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return Detail{}, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadPatients, clinic.ErrForbidden)
	}
	var d Detail
	err := s.db.View(ctx, func(tx *store.Tx) error {
		seq, err := tx.Recalls().Sequence(ctx, actor.OrgID, id)
		if err != nil {
			return errGone(id)
		}
		d, err = detail(ctx, tx, seq)
		return err
	})
	if err != nil {
		return d, err
	}
	return d, audit.Read(ctx, s.db, actor, "recall.read", d.Sequence.PatientID)
}

func detail(ctx context.Context, tx *store.Tx, seq store.Sequence) (Detail, error) {
	d := Detail{Sequence: seq}
	var err error
	if d.Template, _, err = TemplateOf(ctx, tx, seq.OrgID, seq.TemplateKey); err != nil {
		return d, err
	}
	if d.Results, err = tx.Recalls().ResultsOfSequence(ctx, seq.OrgID, seq.ID); err != nil {
		return d, err
	}
	d.Steps, err = tx.Recalls().StepsOf(ctx, seq.OrgID, seq.ID)
	return d, err
}

// Summary counts sequences by template and state for one clinic (0: all), the recalls
// summary page.
//
// Errors: clinic.ErrForbidden.
func (s *Service) Summary(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID) ([]store.SummaryRow, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return nil, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadPatients, clinic.ErrForbidden)
	}
	var out []store.SummaryRow
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Recalls().RecallSummary(ctx, actor.OrgID, cl)
		return err
	})
	return out, err
}

// Settings reads a clinic's recall switches.
//
// Errors: clinic.ErrForbidden.
func (s *Service) Settings(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID) (store.RecallSettings, error) {
	if !actor.Can(clinic.PermReadDirectory) {
		return store.RecallSettings{}, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadDirectory, clinic.ErrForbidden)
	}
	var out store.RecallSettings
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Recalls().RecallSettingsOf(ctx, actor.OrgID, cl)
		return err
	})
	return out, err
}

// SetSettings saves a clinic's recall switches; administrators only. Audited as
// "recall.settings".
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for another organisation's clinic.
func (s *Service) SetSettings(ctx context.Context, actor clinic.Actor, set store.RecallSettings) error {
	if !actor.Can(clinic.PermManageDirectory) {
		return fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Directory().Clinic(ctx, actor.OrgID, set.ClinicID); err != nil {
			return clinic.MissingReference("clinic_id", err)
		}
		before, err := tx.Recalls().RecallSettingsOf(ctx, actor.OrgID, set.ClinicID)
		if err != nil {
			return err
		}
		if err := tx.Recalls().PutRecallSettings(ctx, actor.OrgID, set); err != nil {
			return err
		}
		type view struct{ ResumeOnCancel bool }
		return audit.Change(ctx, tx, actor, "recall.settings", fmt.Sprint(set.ClinicID), view{before.ResumeOnCancel}, view{set.ResumeOnCancel})
	})
}

// Age is how long a checklist item has waited, in whole days, for the page's "age" column.
func Age(it store.ChecklistItem, now time.Time) int {
	if it.Since.IsZero() || now.Before(it.Since) {
		return 0
	}
	return int(now.Sub(it.Since) / (24 * time.Hour))
}
