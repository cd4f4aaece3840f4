package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// demoResult is one result of a demo ORU^R01: an OBR group and its ZRA (docs/hl7-mapping.md).
type demoResult struct {
	id, test  string
	performed time.Time
	action    string // ZRA-1; "" not actioned yet
	state     string // ZRA-4: N notified, G given, D discussed
	comments  string // NTE after ZRA
}

// seededLink is how the communication log shows a step's identity-check link: redacted,
// as the dispatcher keeps every one it sends (recall.Redact).
const seededLink = "https://tidings.example/r/…"

// recalls seeds the follow-up of results and recalls (RES-1..RES-8) of the Sydney database
// over the last two weeks, as its sync would have applied it, so that the action checklist,
// the recalls summary and the patient files have something to show:
//
//   - two results of one patient performed the same day, actioned "Discuss", arriving out
//     of order: one recall (RES-6) running the discuss template, its first SMS sent;
//   - a result actioned "Return urgently": on the checklist, manual action (RES-2);
//   - a "Discuss" result with the doctor's comments: on the checklist, comments;
//   - a result of an opted-out patient: on the checklist, opted out (CON-1);
//   - a result not actioned yet: held, nothing started (RES-1);
//   - a recall whose three steps all went out with no booking: finished, on the checklist;
//   - a recall the clinic then marked notified: done, its last steps withdrawn (RES-5);
//   - a recall paused because the patient booked (RES-4);
//   - an "Annual skin check" recall synced from the clinical software (RES-8), and a
//     "Bilan annuel" at the Paris clinic, their first messages sent.
//
// The results go through the mapping sync uses (integration.MapHL7 on built ORU^R01
// messages, with the database's profile) and are filed as sync files them
// (recall.IntakeResult), each at the moment it arrived; the steps due before now are
// recorded sent to the outbox at their due time, with their consent decisions (CON-9),
// and the later ones stay planned for the dispatcher. The patients chosen have no
// appointment ahead where the pool allows (a booking would have paused their recall), but
// the one whose recall a booking paused.
func (s *seeder) recalls(ctx context.Context, syd, paris clinic.Database, sydPool, parisPool []clinic.Patient) error {
	defer func() { s.tx.Now = s.now }()
	cls, err := s.tx.Directory().ClinicsOfDatabase(ctx, s.org, syd.ID)
	if err != nil {
		return err
	}
	// Sync sends a database's recalls from its first clinic.
	cl := cls[0]
	loc, err := cl.Location()
	if err != nil {
		return err
	}
	prof, err := integration.ProfileOf(ctx, s.tx, syd)
	if err != nil {
		return err
	}
	// day is a local time n days before today in Sydney.
	today := s.now.In(loc)
	day := func(n, hour, min int) time.Time {
		return time.Date(today.Year(), today.Month(), today.Day()-n, hour, min, 0, 0, loc)
	}
	reachable := func(p clinic.Patient) bool { return !p.PMSOptOut && p.Mobile != "" && p.Email != "" }
	// later is an appointment of p at least a day ahead, the booking that pauses a recall.
	later := func(p clinic.Patient) clinic.Appointment {
		for _, a := range s.upcoming[p.ID] {
			if a.Start.After(s.now.Add(24 * time.Hour)) {
				return a
			}
		}
		return clinic.Appointment{}
	}
	pick := chooser(sydPool[1:], s.upcoming) // the first patient signs in to the portal: left as they are
	group, urgent, commented, finished, done, skin, held := pick(reachable), pick(reachable), pick(reachable), pick(reachable), pick(reachable),
		pick(reachable), pick(reachable)
	optedOut := pick(func(p clinic.Patient) bool { return p.PMSOptOut && p.Mobile != "" })
	booked := pick(func(p clinic.Patient) bool { return reachable(p) && later(p).ID != 0 })
	for _, p := range []clinic.Patient{group, urgent, commented, finished, done, skin, held, optedOut, booked} {
		if p.ID == 0 {
			return fmt.Errorf("demo recalls: not enough patients to choose from")
		}
	}

	oru := func(p clinic.Patient, at time.Time, rs ...demoResult) error {
		return s.applyORU(ctx, syd, cl, prof, loc, p, at, rs...)
	}
	// One day, two results, out of order (RES-6): the lipids came in first, yesterday.
	if err := oru(group, day(1, 11, 20), demoResult{id: "QML-70112", test: "Lipid studies", performed: day(2, 9, 10), action: "Discuss"}); err != nil {
		return err
	}
	if err := oru(group, day(1, 11, 45), demoResult{id: "QML-70111", test: "Full blood count", performed: day(2, 8, 40), action: "Discuss"}); err != nil {
		return err
	}
	// Today's arrivals came in within the hour before the demo started, whatever its hour.
	if err := oru(urgent, s.now.Add(-55*time.Minute), demoResult{id: "IMG-33018", test: "Chest X-ray", performed: day(1, 15, 30), action: "Return urgently"}); err != nil {
		return err
	}
	if err := oru(commented, day(1, 16, 10), demoResult{id: "QML-70245", test: "Thyroid function tests", performed: day(3, 10, 0), action: "Discuss",
		comments: "TSH slightly raised. Please discuss a repeat test in six weeks."}); err != nil {
		return err
	}
	if err := oru(optedOut, day(2, 9, 30), demoResult{id: "QML-70301", test: "Iron studies", performed: day(4, 8, 15), action: "Discuss"}); err != nil {
		return err
	}
	if err := oru(held, s.now.Add(-70*time.Minute), demoResult{id: "QML-70330", test: "HbA1c", performed: day(1, 9, 0)}); err != nil {
		return err
	}
	// Twelve days ago: every step went out, no booking came.
	if err := oru(finished, day(12, 10, 0), demoResult{id: "QML-69010", test: "Vitamin D", performed: day(13, 8, 30), action: "Discuss"}); err != nil {
		return err
	}
	// Six days ago; the first SMS went out, then the clinic phoned and marked it notified.
	r := demoResult{id: "QML-69570", test: "Urine culture", performed: day(7, 11, 0), action: "Discuss"}
	if err := oru(done, day(6, 9, 40), r); err != nil {
		return err
	}
	if err := s.sendSteps(ctx, cl, done, day(5, 0, 0)); err != nil {
		return err
	}
	r.state = "N"
	if err := oru(done, day(4, 14, 5), r); err != nil {
		return err
	}
	// Three days ago; the patient has booked since (the appointment the seed made now).
	if err := oru(booked, day(3, 10, 30), demoResult{id: "QML-69811", test: "Liver function tests", performed: day(4, 9, 0), action: "Discuss"}); err != nil {
		return err
	}
	if err := s.sendSteps(ctx, cl, booked, s.now); err != nil {
		return err
	}
	s.tx.Now = s.now
	if err := recall.Booked(ctx, s.tx, s.org, later(booked)); err != nil {
		return err
	}
	// Synced recalls (RES-8): an annual skin check in Sydney, a "bilan" in Paris.
	if err := s.syncedRecall(ctx, cl, skin, "MDR-5521", "Annual skin check", day(0, 0, 0).AddDate(0, 0, 12), "Dr Priya Patel", day(2, 18, 0)); err != nil {
		return err
	}
	pcls, err := s.tx.Directory().ClinicsOfDatabase(ctx, s.org, paris.ID)
	if err != nil {
		return err
	}
	parisPatient := chooser(parisPool[1:], s.upcoming)(reachable)
	if parisPatient.ID == 0 {
		return fmt.Errorf("demo recalls: no Paris patient to recall")
	}
	ploc, err := pcls[0].Location()
	if err != nil {
		return err
	}
	pt := s.now.In(ploc)
	if err := s.syncedRecall(ctx, pcls[0], parisPatient, "LM-RAP-118", "Bilan annuel", day(0, 0, 0).AddDate(0, 0, 20), "Dr Camille Martin",
		time.Date(pt.Year(), pt.Month(), pt.Day()-1, 10, 15, 0, 0, ploc)); err != nil {
		return err
	}
	for _, p := range []clinic.Patient{group, finished} {
		if err := s.sendSteps(ctx, cl, p, s.now); err != nil {
			return err
		}
	}
	return nil
}

// chooser returns a chooser of patients of pool: each call the next one that ok accepts
// and has no appointment ahead, else the next one ok accepts; never the same twice; the
// zero patient when none is left.
func chooser(pool []clinic.Patient, upcoming map[clinic.PatientID][]clinic.Appointment) func(ok func(clinic.Patient) bool) clinic.Patient {
	used := map[clinic.PatientID]bool{}
	next := func(ok func(clinic.Patient) bool) clinic.Patient {
		for _, p := range pool {
			if !used[p.ID] && ok(p) {
				used[p.ID] = true
				return p
			}
		}
		return clinic.Patient{}
	}
	return func(ok func(clinic.Patient) bool) clinic.Patient {
		if p := next(func(p clinic.Patient) bool { return ok(p) && len(upcoming[p.ID]) == 0 }); p.ID != 0 {
			return p
		}
		return next(ok)
	}
}

// applyORU builds an ORU^R01 of database d about p, maps it as sync does (the database's
// profile and the clinic's zone) and files its results at time at as sync files them:
// stored, held until actioned, and each taken one into its patient's recall of the day.
func (s *seeder) applyORU(ctx context.Context, d clinic.Database, cl clinic.Clinic, prof integration.Profile, loc *time.Location, p clinic.Patient,
	at time.Time, rs ...demoResult) error {
	s.tx.Now = at
	const doctor = "NGUA01^Nguyen^Amelia^^^Dr"
	var b strings.Builder
	stamp := func(t time.Time) string { return t.In(loc).Format("20060102150405-0700") }
	fmt.Fprintf(&b, "MSH|^~\\&|MD|%s|TIDINGS|TIDINGS|%s||ORU^R01^ORU_R01|DEMO-%s|P|2.4\r", HL7Facility, stamp(at), rs[0].id)
	fmt.Fprintf(&b, "PID|1||%s^^^MD^MR||%s^%s||%s\r", p.ExternalID, p.FamilyName, p.GivenName, strings.ReplaceAll(p.BirthDate, "-", ""))
	for i, r := range rs {
		fmt.Fprintf(&b, "OBR|%d||%s|%s^%s^LOCAL|||%s|||||||||%s\r", i+1, r.id, strings.ToUpper(r.id[:3]), r.test, stamp(r.performed), doctor)
		flag := "N"
		if r.comments != "" {
			flag = "Y"
		}
		fmt.Fprintf(&b, "ZRA|%s|%s|%s|%s|%s|Result\r", r.action, doctor, stamp(at.Add(-10*time.Minute)), r.state, flag)
		if r.comments != "" {
			fmt.Fprintf(&b, "NTE|1||%s\r", r.comments)
		}
	}
	m, err := hl7.Parse([]byte(b.String()))
	if err == nil {
		err = hl7.Validate(m)
	}
	if err != nil {
		return fmt.Errorf("demo ORU: %w", err)
	}
	mapped, err := integration.MapHL7(m, prof, loc)
	if err != nil {
		return fmt.Errorf("demo ORU: %w", err)
	}
	for _, r := range mapped.Results {
		if !r.Taken && r.Skip != integration.SkipNotActioned {
			continue
		}
		outcome := string(r.Outcome)
		if !r.Taken {
			outcome = "held"
		}
		row := store.Result{OrgID: s.org, DatabaseID: d.ID, PatientID: p.ID, ExternalID: r.ExternalID, Test: r.Test, PerformedAt: timeRef(r.Performed),
			Category: r.Category, DoctorID: r.Doctor.ID, DoctorName: r.Doctor.Name, Action: r.Action, ActionedAt: timeRef(r.ActionedAt),
			Comments: r.Comments, State: string(r.State), Outcome: outcome, Template: r.Template}
		stored, err := s.tx.Sync().UpsertResult(ctx, row)
		if err != nil {
			return err
		}
		if !r.Taken {
			continue
		}
		if err := recall.IntakeResult(ctx, s.tx, cl, stored); err != nil {
			return err
		}
	}
	return nil
}

func timeRef(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// syncedRecall stores a recall of p's database as sync stores one, at time at, starts its
// sequence (recall.IntakeRecall) and records the steps due by now sent.
func (s *seeder) syncedRecall(ctx context.Context, cl clinic.Clinic, p clinic.Patient, ext, reason string, due time.Time, doctor string, at time.Time) error {
	s.tx.Now = at
	r := store.Recall{OrgID: s.org, DatabaseID: p.DatabaseID, PatientID: p.ID, ExternalID: ext, Due: due.Format(time.DateOnly), Reason: reason,
		DoctorName: doctor, Status: "active"}
	var err error
	if r.ID, err = s.tx.Sync().UpsertRecall(ctx, r); err != nil {
		return err
	}
	if err := recall.IntakeRecall(ctx, s.tx, cl, r); err != nil {
		return err
	}
	return s.sendSteps(ctx, cl, p, s.now)
}

// sendSteps records the planned steps of p's active recalls due by until as the dispatcher
// would have sent them to the outbox, each at its due time: rendered from its template in
// the patient's language, with its consent decision logged (CON-9), or skipped when consent
// says no.
func (s *seeder) sendSteps(ctx context.Context, cl clinic.Clinic, p clinic.Patient, until time.Time) error {
	seqs, err := s.tx.Recalls().SequencesOfPatient(ctx, s.org, p.ID, 100)
	if err != nil {
		return err
	}
	phone, err := s.tx.Notifications().ClinicPhone(ctx, s.org, cl.ID)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		if seq.State != store.SeqActive {
			continue
		}
		tpl, ok, err := recall.TemplateOf(ctx, s.tx, s.org, seq.TemplateKey)
		if err != nil || !ok {
			return err
		}
		steps, err := s.tx.Recalls().StepsOf(ctx, s.org, seq.ID)
		if err != nil {
			return err
		}
		for _, n := range steps {
			if n.State != store.NotePlanned || n.Due.After(until) {
				continue
			}
			s.tx.Now = n.Due
			msg := decide.Message{PatientID: p.ID, Channel: consent.Channel(n.Channel), Purpose: consent.Purpose(n.Purpose)}
			facts, _, _, err := decide.LoadPatients(ctx, s.tx, s.org, []decide.Message{msg})
			if err != nil {
				return err
			}
			d := consent.Decide(facts[0])
			if err := decide.LogTx(ctx, s.tx, s.org, []decide.Decided{{Message: msg, Decision: d, NotificationID: n.ID}}); err != nil {
				return err
			}
			t := store.Transition{ID: n.ID, OrgID: s.org, Fence: n.Fence, From: store.NotePlanned, State: store.NoteSkipped, Reason: d.Text(n.Due)}
			if d.Allowed {
				lang := p.Language
				if lang != "fr" {
					lang = "en"
				}
				text, ok := recall.StepText(tpl, n.Step, n.Channel, lang)
				if !ok {
					return fmt.Errorf("demo recall %d: no step %d by %s", seq.ID, n.Step, n.Channel)
				}
				out, err := compose.Render(text, compose.Vars{FirstName: p.GivenName, Clinic: cl.Name, ClinicPhone: phone, PortalLink: seededLink})
				if err != nil {
					return err
				}
				dest := p.Mobile
				if n.Channel == string(consent.ChannelEmail) {
					dest = p.Email
				}
				t = store.Transition{ID: n.ID, OrgID: s.org, Fence: n.Fence, From: store.NotePlanned, State: store.NoteSent, Destination: dest,
					Subject: out.Subject, Body: out.Text, Segments: out.Segments, Provider: dispatch.ProviderOutbox,
					ProviderID: fmt.Sprintf("outbox-%d", n.ID), Attempt: true}
			}
			if _, err := s.tx.Notifications().Transitions(ctx, []store.Transition{t}); err != nil {
				return err
			}
		}
	}
	return nil
}
