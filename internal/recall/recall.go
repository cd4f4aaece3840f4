// Package recall follows up results and recalls (RES-1..RES-8): it groups a patient's
// actioned results of one day into one recall (RES-6), runs the clinic's template as a
// sequence of messages until the patient books (RES-3, RES-4) or the clinic marks the
// result notified, given or discussed (RES-5), raises what needs staff on the action
// checklist (RES-7), and checks the patient's identity before a message's link shows who
// wants to see them.
//
// A sequence's steps are notifications, planned all at once when it starts (each due its
// delay after the previous): the dispatcher sends them with its own guarantees (consent
// decided at each step's send time, quiet hours, no step lost or repeated across a crash),
// and reads the sequence's state at send time, so a step of a sequence stopped meanwhile is
// skipped. Stopping a sequence withdraws its planned steps in the transaction that stops it.
//
// The intake (IntakeResult, IntakeRecall) and the appointment rule (Booked, Cancelled) run
// inside their callers' transactions: sync's, and the notification planner's, through which
// every appointment change of every surface passes. The staff use cases (Start, Skip, Done,
// Create) check their permission and write the audit row.
//
// It must not import the notify, dispatch, booking, portal, dashboard or api packages.
package recall

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/store"
)

// Config tunes a Service; zero values take the defaults.
type Config struct {
	Logger *slog.Logger
	// PublicURL is where patients reach this server: the identity-check links start with it.
	PublicURL string
	// LinkTTL is how long a message's link opens the identity check (30 days: a sequence's
	// later steps carry links of their own).
	LinkTTL time.Duration
	Now     func() time.Time
	// Wake tells the dispatcher that steps due now were planned (staff started recalls).
	Wake func()
}

// Service holds the staff use cases and the identity check.
type Service struct {
	db   *store.DB
	cfg  Config
	gate *auth.Gate
}

// New returns the service over db.
func New(db *store.DB, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LinkTTL == 0 {
		cfg.LinkTTL = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = db.Now
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	return &Service{db: db, cfg: cfg, gate: auth.NewGate(cfg.Now)}
}

// Reasons for withdrawing planned steps, as the communication log shows them.
const (
	reasonBooked  = "the patient booked an appointment (RES-4)"
	reasonDone    = "the clinic told the patient: the result is marked notified, given or discussed (RES-5)"
	reasonManual  = "a result of the same day needs staff: nothing automatic is sent (RES-6)"
	reasonStaff   = "staff closed the recall"
	reasonClosed  = "the clinical software completed or cancelled the recall"
	maxTitleRunes = 200
)

// IntakeResult files a result that sync stored (RES-1, RES-2, RES-6) into the sequence of
// its patient's day, in the caller's transaction: a held result (not actioned yet) waits;
// a result marked notified, given or discussed closes its day as done (RES-5); a manual one
// makes the whole day manual, withdrawing any step still planned; a template one joins its
// day, starting the day's sequence when it is the first (or waiting for staff when the
// template says so), never restarting steps already sent. zone is the clinic's, for the
// day performed.
//
// Errors: none of its own.
func IntakeResult(ctx context.Context, tx *store.Tx, cl clinic.Clinic, r store.Result) error {
	if r.Outcome != "template" && r.Outcome != "manual" {
		return nil // held until actioned (RES-1)
	}
	zone, err := cl.Location()
	if err != nil {
		return err
	}
	at := tx.Now
	if r.PerformedAt != nil {
		at = *r.PerformedAt
	}
	dayOf := at.In(zone).Format(time.DateOnly)
	seq, found, err := tx.Recalls().SequenceOfDay(ctx, r.DatabaseID, r.PatientID, dayOf)
	if err != nil {
		return err
	}
	if !found {
		seq = store.Sequence{OrgID: r.OrgID, ClinicID: cl.ID, PatientID: r.PatientID, Kind: store.SeqKindResults, DatabaseID: r.DatabaseID,
			GroupDay: dayOf, Title: r.Test, DoctorName: r.DoctorName, TemplateKey: r.Template, State: store.SeqWaiting, CreatedBy: "sync"}
		if seq, err = tx.Recalls().InsertSequence(ctx, seq); err != nil {
			return err
		}
	} else {
		if !containsTest(seq.Title, r.Test) {
			seq.Title = clip(seq.Title+", "+r.Test, maxTitleRunes)
		}
		if seq.TemplateKey == "" && r.Template != "" {
			// A manual result came first: the day's template is its first template
			// result's, whatever the order, for staff to start once they dealt with it.
			seq.TemplateKey = r.Template
		}
	}
	if r.SequenceID != seq.ID {
		if err := tx.Recalls().SetResultSequence(ctx, r.OrgID, r.ID, seq.ID); err != nil {
			return err
		}
	}
	switch {
	case r.State != "":
		if !seq.Open() && seq.State != store.SeqBooked {
			break
		}
		// RES-5 under RES-6's safety first: the clinic told the patient, so nothing more is
		// sent; but a manual result of the day not marked yet keeps the day for staff.
		rs, err := tx.Recalls().ResultsOfSequence(ctx, seq.OrgID, seq.ID)
		if err != nil {
			return err
		}
		for _, x := range rs {
			if x.State != "" || x.Outcome != "manual" {
				continue
			}
			if _, err := withdraw(ctx, tx, seq, reasonDone); err != nil {
				return err
			}
			if seq.State != store.SeqManual {
				seq.State, seq.Why = store.SeqManual, manualWhy(x)
			}
			return tx.Recalls().UpdateSequence(ctx, seq)
		}
		return closeSeq(ctx, tx, &seq, store.SeqDone, reasonDone)
	case r.Outcome == "manual":
		why := manualWhy(r)
		if seq.State == store.SeqManual && seq.Why == store.WhyManualAction {
			seq.Why = why
		}
		if seq.State != store.SeqManual {
			if _, err := withdraw(ctx, tx, seq, reasonManual); err != nil {
				return err
			}
			seq.State, seq.Why, seq.ClosedAt = store.SeqManual, why, time.Time{}
		}
	case !found:
		if seq.TemplateKey == "" {
			seq.State, seq.Why = store.SeqManual, store.WhyManualAction
			break
		}
		return begin(ctx, tx, &seq, false)
	case seq.State == store.SeqDone || seq.State == store.SeqSkipped:
		// A new result to act on, the same day as results the clinic closed: not dropped,
		// and not sent again by itself either (its steps went out for this day already):
		// staff see it on the checklist, waiting to be started, or manual if the day holds
		// a manual result (RES-6).
		if r.Template != "" {
			seq.TemplateKey = r.Template
		}
		seq.ClosedAt = time.Time{}
		seq.State, seq.Why = store.SeqWaiting, store.WhyAwaitingStart
		rs, err := tx.Recalls().ResultsOfSequence(ctx, seq.OrgID, seq.ID)
		if err != nil {
			return err
		}
		for _, x := range rs {
			if x.Outcome == "manual" {
				seq.State, seq.Why = store.SeqManual, manualWhy(x)
				break
			}
		}
	}
	return tx.Recalls().UpdateSequence(ctx, seq)
}

// manualWhy is why a manual result goes to the checklist: its comments, else its action.
func manualWhy(r store.Result) string {
	if strings.TrimSpace(r.Comments) != "" {
		return store.WhyComments
	}
	return store.WhyManualAction
}

// planned lists the ids of a sequence's steps still planned, and the lowest step among
// them (-1: none).
func planned(ctx context.Context, tx *store.Tx, s store.Sequence) (ids []int64, first int, err error) {
	ns, err := tx.Recalls().StepsOf(ctx, s.OrgID, s.ID)
	if err != nil {
		return nil, -1, err
	}
	first = -1
	for _, n := range ns {
		if n.State != store.NotePlanned {
			continue
		}
		ids = append(ids, n.ID)
		if first < 0 || n.Step < first {
			first = n.Step
		}
	}
	return ids, first, nil
}

// withdraw withdraws a sequence's planned steps with reason and returns the lowest step
// withdrawn (-1: none), from which a resumed sequence starts again.
func withdraw(ctx context.Context, tx *store.Tx, s store.Sequence, reason string) (int, error) {
	ids, first, err := planned(ctx, tx, s)
	if err != nil {
		return -1, err
	}
	return first, tx.Notifications().Withdraw(ctx, s.OrgID, ids, reason)
}

// IntakeRecall follows a recall the clinical software recorded (RES-8): an active one gets
// a sequence of the recall template (started, or waiting for staff when the template says
// so); a completed one is done and a cancelled one skipped, their steps withdrawn.
//
// Errors: none of its own.
func IntakeRecall(ctx context.Context, tx *store.Tx, cl clinic.Clinic, r store.Recall) error {
	seq, found, err := tx.Recalls().SequenceOfRecall(ctx, r.ID)
	if err != nil {
		return err
	}
	if !found {
		if r.Status != "active" {
			return nil
		}
		seq = store.Sequence{OrgID: r.OrgID, ClinicID: cl.ID, PatientID: r.PatientID, Kind: store.SeqKindRecall, DatabaseID: r.DatabaseID,
			RecallID: r.ID, Title: clip(r.Reason, maxTitleRunes), DoctorName: r.DoctorName, DueDate: r.Due, TemplateKey: KeyRecall,
			State: store.SeqWaiting, CreatedBy: "sync"}
		if seq, err = tx.Recalls().InsertSequence(ctx, seq); err != nil {
			return err
		}
		return begin(ctx, tx, &seq, false)
	}
	seq.Title, seq.DoctorName, seq.DueDate, seq.PatientID = clip(r.Reason, maxTitleRunes), r.DoctorName, r.Due, r.PatientID
	switch r.Status {
	case "completed":
		if seq.Open() || seq.State == store.SeqBooked {
			return closeSeq(ctx, tx, &seq, store.SeqDone, reasonClosed)
		}
	case "cancelled":
		if seq.Open() || seq.State == store.SeqBooked {
			return closeSeq(ctx, tx, &seq, store.SeqSkipped, reasonClosed)
		}
	}
	return tx.Recalls().UpdateSequence(ctx, seq)
}

// begin starts a new sequence, or leaves it waiting for staff when its template says so
// (staff starting it pass force). A template that no longer exists, a patient with no way
// to be reached, or one whom consent allows no step to reach, go to the checklist instead.
func begin(ctx context.Context, tx *store.Tx, s *store.Sequence, force bool) error {
	tpl, ok, err := TemplateOf(ctx, tx, s.OrgID, s.TemplateKey)
	if err != nil {
		return err
	}
	if !ok {
		s.State, s.Why = store.SeqManual, store.WhyManualAction
		return tx.Recalls().UpdateSequence(ctx, *s)
	}
	if !tpl.AutoStart && !force {
		s.State, s.Why = store.SeqWaiting, store.WhyAwaitingStart
		return tx.Recalls().UpdateSequence(ctx, *s)
	}
	why, err := reachable(ctx, tx, *s, tpl)
	if err != nil {
		return err
	}
	if why != "" {
		s.State, s.Why = store.SeqUnreachable, why
		return tx.Recalls().UpdateSequence(ctx, *s)
	}
	s.StartedAt = tx.Now
	return plan(ctx, tx, s, tpl, 0)
}

// reachable says why no step of tpl can reach the sequence's patient ("" when one can):
// no mobile and no e-mail, or consent refusing every channel the template uses.
func reachable(ctx context.Context, tx *store.Tx, s store.Sequence, tpl store.RecallTemplate) (string, error) {
	p, err := tx.Patients().Patient(ctx, s.OrgID, s.PatientID)
	if err != nil {
		return "", err
	}
	if p.Mobile == "" && p.Email == "" {
		return store.WhyNoContact, nil
	}
	var msgs []decide.Message
	for _, st := range tpl.Steps {
		msgs = append(msgs, decide.Message{PatientID: s.PatientID, Channel: consent.Channel(st.Channel), Purpose: consent.Purpose(tpl.Purpose)})
	}
	facts, _, _, err := decide.LoadPatients(ctx, tx, s.OrgID, msgs)
	if err != nil {
		return "", err
	}
	for _, f := range facts {
		if consent.Decide(f).Allowed {
			return "", nil
		}
	}
	return store.WhyOptedOut, nil
}

// plan plans the template's steps from step from on as notifications, the first due its
// delay after now, and marks the sequence active.
func plan(ctx context.Context, tx *store.Tx, s *store.Sequence, tpl store.RecallTemplate, from int) error {
	kind := stepKind(tpl.Purpose)
	due := tx.Now
	var ns []store.Notification
	for i := from; i < len(tpl.Steps); i++ {
		st := tpl.Steps[i]
		due = due.Add(time.Duration(st.DelayMinutes) * time.Minute)
		ns = append(ns, store.Notification{ClinicID: s.ClinicID, PatientID: s.PatientID, Kind: string(kind), Purpose: tpl.Purpose,
			Channel: st.Channel, Due: due, SequenceID: s.ID, Step: i})
	}
	if len(ns) > 0 {
		if _, err := tx.Notifications().PlanNotifications(ctx, s.OrgID, ns); err != nil {
			return err
		}
	}
	s.State, s.Why, s.StepsPlanned, s.ResumeStep, s.EndsAt = store.SeqActive, "", len(tpl.Steps), -1, due
	s.AppointmentID, s.ClosedAt = 0, time.Time{}
	return tx.Recalls().UpdateSequence(ctx, *s)
}

// closeSeq ends a sequence as done or skipped, withdrawing its planned steps.
func closeSeq(ctx context.Context, tx *store.Tx, s *store.Sequence, state, reason string) error {
	if _, err := withdraw(ctx, tx, *s, reason); err != nil {
		return err
	}
	s.State, s.Why, s.ClosedAt = state, "", tx.Now
	return tx.Recalls().UpdateSequence(ctx, *s)
}

// Booked applies RES-4 to appointments just booked (or reinstated), in the planner's
// transaction: each active sequence of their patients stops, its planned steps withdrawn,
// remembering the first withdrawn step in case the booking is cancelled. An appointment
// already past (a sync catching up) pauses nothing.
//
// Errors: none of its own.
func Booked(ctx context.Context, tx *store.Tx, org clinic.OrgID, as ...clinic.Appointment) error {
	by := map[clinic.PatientID]clinic.Appointment{}
	var patients []clinic.PatientID
	for _, a := range as {
		if a.PatientID == 0 || !a.Start.After(tx.Now) || !a.Status.Upcoming() {
			continue
		}
		if _, ok := by[a.PatientID]; !ok {
			patients = append(patients, a.PatientID)
		}
		by[a.PatientID] = a
	}
	if len(patients) == 0 {
		return nil
	}
	ss, err := tx.Recalls().SequencesInState(ctx, org, patients, store.SeqActive)
	if err != nil || len(ss) == 0 {
		return err
	}
	for _, s := range ss {
		first, err := withdraw(ctx, tx, s, reasonBooked)
		if err != nil {
			return err
		}
		s.State, s.Why, s.AppointmentID, s.ResumeStep = store.SeqBooked, "", by[s.PatientID].ID, first
		if err := tx.Recalls().UpdateSequence(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// Cancelled applies RES-4's other half to appointments just cancelled: each sequence one
// paused stays paused while the patient has another appointment ahead (now paused by it);
// otherwise it resumes from its first withdrawn step when the appointment was still to come
// and the clinic's setting says so, or goes back to active with nothing left to send, so
// that the checklist shows it finished without a booking.
//
// Errors: none of its own.
func Cancelled(ctx context.Context, tx *store.Tx, org clinic.OrgID, as ...clinic.Appointment) error {
	if len(as) == 0 {
		return nil
	}
	ids := make([]clinic.AppointmentID, len(as))
	by := map[clinic.AppointmentID]clinic.Appointment{}
	for i, a := range as {
		ids[i], by[a.ID] = a.ID, a
	}
	ss, err := tx.Recalls().SequencesBookedInto(ctx, org, ids)
	if err != nil || len(ss) == 0 {
		return err
	}
	for _, s := range ss {
		a := by[s.AppointmentID]
		// Another appointment of the patient still ahead keeps the recall paused, on it.
		if next, err := otherUpcoming(ctx, tx, org, s.PatientID, by); err != nil {
			return err
		} else if next != 0 {
			s.AppointmentID = next
			if err := tx.Recalls().UpdateSequence(ctx, s); err != nil {
				return err
			}
			continue
		}
		set, err := tx.Recalls().RecallSettingsOf(ctx, org, s.ClinicID)
		if err != nil {
			return err
		}
		tpl, ok, err := TemplateOf(ctx, tx, org, s.TemplateKey)
		if err != nil {
			return err
		}
		if set.ResumeOnCancel && ok && a.Start.After(tx.Now) && s.ResumeStep >= 0 && s.ResumeStep < len(tpl.Steps) {
			if err := plan(ctx, tx, &s, tpl, s.ResumeStep); err != nil {
				return err
			}
			continue
		}
		s.State, s.AppointmentID, s.ResumeStep, s.EndsAt = store.SeqActive, 0, -1, tx.Now
		if err := tx.Recalls().UpdateSequence(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// otherUpcoming is an appointment of patient still to come other than those being
// cancelled; 0 when there is none.
func otherUpcoming(ctx context.Context, tx *store.Tx, org clinic.OrgID, patient clinic.PatientID, cancelled map[clinic.AppointmentID]clinic.Appointment) (clinic.AppointmentID, error) {
	as, err := tx.Consent().UpcomingAppointments(ctx, org, []clinic.PatientID{patient}, tx.Now)
	for _, a := range as {
		if _, gone := cancelled[a.ID]; !gone && a.Status.Upcoming() {
			return a.ID, nil
		}
	}
	return 0, err
}

// StepText is a step's subject and body in lang ("en" or "fr"), for the dispatcher to
// render; ok is false when the template has no such step any more (edited meanwhile).
func StepText(tpl store.RecallTemplate, step int, channel, lang string) (compose.Template, bool) {
	if step < 0 || step >= len(tpl.Steps) || tpl.Steps[step].Channel != channel {
		return compose.Template{}, false
	}
	st := tpl.Steps[step]
	t := compose.Template{Kind: stepKind(tpl.Purpose), Channel: compose.Channel(channel), Lang: "en", Subject: st.SubjectEN, Body: st.BodyEN}
	if lang == "fr" {
		t.Lang, t.Subject, t.Body = "fr", st.SubjectFR, st.BodyFR
	}
	return t, true
}

func containsTest(title, test string) bool {
	for _, t := range strings.Split(title, ", ") {
		if t == test {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// errGone is what a use case answers for a sequence that is not the actor's to see.
func errGone(id int64) error { return fmt.Errorf("recall %d: %w", id, clinic.ErrNotFound) }
