package demo_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestRemindersReachTheOutboxWithinAMinute: a newcomer who starts the demo sees reminders go
// out in its first minute (NOT-6's outbox channel): the seed plans 2 h reminders due within
// 60 s, and a dispatcher with no provider but the outbox sends them there.
func TestRemindersReachTheOutboxWithinAMinute(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 2, 22, 3, 17, 0, time.UTC) // Thursday 09:03 in Sydney
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := storetest.Open(t, clock)
	res, err := demo.Seed(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	d := dispatch.New(db, dispatch.Config{PublicURL: "http://127.0.0.1:8080"},
		dispatch.Senders{SMS: &dispatch.SMS{Fallback: dispatch.Outbox{}}, Email: dispatch.Outbox{}}, nil)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	for {
		n, err := d.Round(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var sent []store.Notification
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		sent, err = tx.Notifications().ListNotifications(ctx, res.Org.ID, store.NotificationFilter{Provider: dispatch.ProviderOutbox, Page: store.Page{Limit: 100}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reminders := 0
	for _, n := range sent {
		if n.Kind == "reminder" && n.State == store.NoteSent && n.Body != "" {
			reminders++
		}
	}
	if reminders < 3 {
		t.Fatalf("%d reminders in the outbox a minute after the demo started, want at least 3 (one per soon appointment, per channel the patient has)", reminders)
	}
}

// pastLife is what the demo's history says of one past appointment, for comparing runs.
type pastLife struct {
	Start    time.Time
	Agenda   int64
	Patient  int64
	Status   clinic.Status
	BookedBy clinic.BookedBy
	Events   []string // kind/status@time
}

// history seeds the demo at now on a fresh database and returns its past appointments,
// each with its events, by start.
func history(t *testing.T, now time.Time) (*store.DB, []clinic.Appointment, []pastLife, demo.Result) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, func() time.Time { return now })
	res, err := demo.Seed(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var past []clinic.Appointment
	var lives []pastLife
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		past, err = tx.Appointments().AppointmentsByTime(ctx, res.Org.ID, store.AppointmentFilter{From: now.AddDate(0, 0, -7*demo.HistoryWeeks-1), To: now})
		if err != nil {
			return err
		}
		for _, a := range past {
			es, err := tx.Appointments().AppointmentEvents(ctx, res.Org.ID, a.ID)
			if err != nil {
				return err
			}
			l := pastLife{Start: a.Start, Agenda: int64(a.AgendaID), Patient: int64(a.PatientID), Status: a.Status, BookedBy: a.BookedBy}
			for _, e := range es {
				l.Events = append(l.Events, string(e.Kind)+"/"+string(e.Status)+"@"+e.At.UTC().Format(time.RFC3339))
			}
			lives = append(lives, l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, past, lives, res
}

// TestDemoHistory: the demo has a past (so the agenda, the patient file and the appointment
// page show history): appointments over the last weeks, and earlier today, that were seen,
// missed, excused or cancelled, each with its events in order and before now, ending in its
// status; none of them plans a notification (they are past, NOT-1), and the history is the
// same for the same seed and moment.
func TestDemoHistory(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 22, 3, 17, 0, time.UTC) // Thursday 09:03 in Sydney
	db, past, lives, res := history(t, now)
	statuses := map[clinic.Status]int{}
	for i, a := range past {
		statuses[a.Status]++
		l := lives[i]
		if len(l.Events) == 0 {
			t.Fatalf("appointment %d (%s, %s) has no events", a.ID, a.Start, a.Status)
		}
		if !strings.HasPrefix(l.Events[0], "booked/booked@") {
			t.Errorf("appointment %d: first event %s, want booked", a.ID, l.Events[0])
		}
		last := l.Events[len(l.Events)-1]
		if kind, _, _ := strings.Cut(last, "@"); !strings.HasSuffix(kind, "/"+string(a.Status)) {
			t.Errorf("appointment %d is %s but its last event is %s", a.ID, a.Status, last)
		}
		if !a.CreatedAt.Before(a.Start) {
			t.Errorf("appointment %d created %s, not before its start %s", a.ID, a.CreatedAt, a.Start)
		}
		var prev time.Time
		for _, e := range l.Events {
			at, err := time.Parse(time.RFC3339, e[strings.Index(e, "@")+1:])
			if err != nil || at.Before(prev) || !at.Before(now) {
				t.Errorf("appointment %d: events %v out of order or not past", a.ID, l.Events)
				break
			}
			prev = at
		}
	}
	for _, st := range []clinic.Status{clinic.StatusSeen, clinic.StatusNoShow, clinic.StatusCancelled, clinic.StatusExcusedAbsence} {
		if statuses[st] == 0 {
			t.Errorf("no past appointment is %s (history: %v)", st, statuses)
		}
	}
	if len(past) < 300 {
		t.Errorf("%d past appointments over %d weeks, want a busy history", len(past), demo.HistoryWeeks)
	}
	if statuses[clinic.StatusSeen] < len(past)/2 {
		t.Errorf("only %d of %d past appointments were seen", statuses[clinic.StatusSeen], len(past))
	}
	ids := make([]clinic.AppointmentID, len(past))
	for i, a := range past {
		ids[i] = a.ID
	}
	err := db.View(ctx, func(tx *store.Tx) error {
		ns, err := tx.Notifications().PlannedForAppointments(ctx, res.Org.ID, ids)
		if len(ns) > 0 {
			t.Errorf("%d notifications planned for past appointments, want none (first: %+v)", len(ns), ns[0])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The doctor's login is Dr Amelia Nguyen's account, so "My day" shows her agenda.
	err = db.View(ctx, func(tx *store.Tx) error {
		var doctor clinic.User
		for _, l := range res.Logins {
			if l.Role == clinic.RolePractitioner {
				u, err := tx.Staff().UserByEmail(ctx, l.Email)
				if err != nil {
					return err
				}
				doctor = u
			}
		}
		if doctor.PractitionerID == 0 {
			t.Errorf("the demo's practitioner login %s is linked to no practitioner", doctor.Email)
			return nil
		}
		p, err := tx.Directory().Practitioner(ctx, res.Org.ID, doctor.PractitionerID)
		if err == nil && p.Name != doctor.Name {
			t.Errorf("the demo's practitioner login %q is linked to %q", doctor.Name, p.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, again, _ := history(t, now)
	if d := cmp.Diff(lives, again); d != "" {
		t.Errorf("the same seed at the same moment gave another history (-first +second):\n%s", d)
	}
}

// TestDemoRecalls (RES-1..RES-8, issue item 10): the demo follows up results and recalls,
// so the action checklist and the summary show real content: results actioned for a
// template and for staff, two results of one day grouped into one running recall with its
// first message sent and the rest planned, a result held until actioned, synced recalls,
// and checklist items of several reasons (manual action, comments, opted out, finished
// without a booking).
func TestDemoRecalls(t *testing.T) {
	ctx := context.Background()
	// Just after midnight on a Monday in Sydney: what arrived "today" arrived before now.
	now := time.Date(2026, 12, 6, 13, 20, 0, 0, time.UTC)
	db := storetest.Open(t, func() time.Time { return now })
	res, err := demo.Seed(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc := recall.New(db, recall.Config{Now: func() time.Time { return now }})
	admin := clinic.StaffActor(clinic.User{ID: 1, OrgID: res.Org.ID, Role: clinic.RoleAdministrator})
	items, counts, err := svc.Checklist(ctx, admin, store.ChecklistFilter{}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, why := range []string{store.WhyManualAction, store.WhyComments, store.WhyOptedOut, store.WhyFinished} {
		if counts[why] != 1 {
			t.Errorf("checklist counts %v: want one item for %s", counts, why)
		}
	}
	if len(counts) < 2 || len(items) < 2 {
		t.Fatalf("checklist of %d items and reasons %v, want items of at least two reasons", len(items), counts)
	}
	for _, it := range items {
		if it.Title == "" || it.FamilyName == "" {
			t.Errorf("checklist item %+v without title or patient", it)
		}
		if it.Since.After(now) || it.CreatedAt.After(now) {
			t.Errorf("checklist item %q (%s) dates from the future: since %s, created %s", it.Title, it.Reason, it.Since, it.CreatedAt)
		}
	}
	summary, err := svc.Summary(ctx, admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, r := range summary {
		states[r.State] += r.Count
	}
	for _, st := range []string{store.SeqActive, store.SeqManual, store.SeqUnreachable, store.SeqDone, store.SeqBooked} {
		if states[st] == 0 {
			t.Errorf("summary %v: no recall %s", states, st)
		}
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		// The same-day group: one recall of two results, its first SMS sent, the rest planned.
		var grouped, synced, held int
		for _, it := range summaryPatients(ctx, t, tx, res.Org.ID) {
			ss, err := tx.Recalls().SequencesOfPatient(ctx, res.Org.ID, it, 10)
			if err != nil {
				return err
			}
			for _, s := range ss {
				rs, err := tx.Recalls().ResultsOfSequence(ctx, res.Org.ID, s.ID)
				if err != nil {
					return err
				}
				steps, err := tx.Recalls().StepsOf(ctx, res.Org.ID, s.ID)
				if err != nil {
					return err
				}
				if s.Kind == store.SeqKindRecall && s.RecallID != 0 {
					synced++
				}
				if len(rs) == 2 && s.State == store.SeqActive {
					grouped++
					if len(steps) != 3 || steps[0].State != store.NoteSent || steps[0].Body == "" || steps[1].State != store.NotePlanned || !steps[1].Due.After(now) {
						t.Errorf("the grouped recall's steps: %+v", steps)
					}
				}
				if s.UpdatedAt.After(now) {
					t.Errorf("recall %q changed in the future, %s", s.Title, s.UpdatedAt)
				}
				for _, n := range steps {
					if n.SentAt.After(now) {
						t.Errorf("step %d of recall %q sent in the future, %s", n.Step, s.Title, n.SentAt)
					}
					if n.State == store.NotePlanned && !n.Due.After(now) {
						t.Errorf("step %d of recall %d planned in the past (%s): the dispatcher would send it late", n.Step, s.ID, n.Due)
					}
				}
			}
			all, err := tx.Sync().ResultsOf(ctx, res.Org.ID, it)
			if err != nil {
				return err
			}
			for _, r := range all {
				if r.Outcome == "held" && r.SequenceID == 0 {
					held++
				}
			}
		}
		if grouped != 1 || synced != 2 || held != 1 {
			t.Errorf("%d grouped running recalls, %d synced recalls, %d held results; want 1, 2 and 1", grouped, synced, held)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// summaryPatients lists the patients with a result or a recall sequence.
func summaryPatients(ctx context.Context, t *testing.T, tx *store.Tx, org clinic.OrgID) []clinic.PatientID {
	t.Helper()
	ps, err := tx.Patients().ListPatients(ctx, org, store.PatientFilter{}, store.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []clinic.PatientID
	for _, p := range ps {
		ss, err := tx.Recalls().SequencesOfPatient(ctx, org, p.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := tx.Sync().ResultsOf(ctx, org, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) > 0 || len(rs) > 0 {
			out = append(out, p.ID)
		}
	}
	return out
}

// TestDemoMessaging: the demo's clinics each have another messaging setting (MSG-1..MSG-3)
// and conversations go both ways, so a newcomer sees the feature at once.
func TestDemoMessaging(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	if _, err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, db, `SELECT COUNT(*) FROM messaging_settings`); n != 3 {
		t.Errorf("%d clinics with messaging settings, want 3", n)
	}
	if n := storetest.Count(t, db, `SELECT COUNT(*) FROM messaging_settings WHERE incoming AND portal_button`); n != 2 {
		t.Errorf("%d clinics show the portal's New message button, want 2 (one clinic takes no incoming conversations)", n)
	}
	for _, by := range []string{"staff", "patient"} {
		if n := storetest.Count(t, db, `SELECT COUNT(*) FROM conversations WHERE started_by = $1`, by); n == 0 {
			t.Errorf("no conversation started by %s", by)
		}
	}
	if n := storetest.Count(t, db, `SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_events e WHERE e.message_id = m.id)`); n != 0 {
		t.Errorf("%d messages without their event: an open page would never see them", n)
	}
	if n := storetest.Count(t, db, `SELECT COUNT(*) FROM conversations WHERE assigned_user_id IS NULL AND state = 'open'`); n == 0 {
		t.Error("no unassigned conversation for the inbox's first tab")
	}
}
