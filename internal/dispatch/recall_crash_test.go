package dispatch_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// Environment of the recall crash test.
const (
	// envRecallCrashRuns is how many runs TestRecallCrashSafety makes (default 3; the full
	// run is 30).
	envRecallCrashRuns = "TIDINGS_RECALL_CRASH_RUNS"
	// envRecallCrashSeed replays the random crash points of a failed run.
	envRecallCrashSeed = "TIDINGS_RECALL_CRASH_SEED"
	// envRecallCrashChild carries a child's crashChild (no Mailpit; its Offset is the run's
	// day and phase, the steps due so far), as JSON; set only in the children.
	envRecallCrashChild = "TIDINGS_RECALL_CRASH_CHILD"
)

// The shape of a run: recallPatients patients, each with two results of one day (one
// sequence, RES-6) on a template of recallSteps SMS steps an hour apart.
const (
	recallPatients = 5
	recallSteps    = 3
	recallGap      = time.Hour
	recallTemplate = "crash_steps"
	// recallPublic is the public URL the children mint the identity-check links under.
	recallPublic = "https://tidings.example"
)

// TestRecallCrashSafety checks "a restart of the server mid-sequence loses and repeats no
// step" (RES-3, with NOT-6's crash safety): each run files two results of one day for each
// of five patients (one sequence each, RES-6) on a template of three SMS steps an hour
// apart, then walks the clock through the sequences in three phases (the run's day at
// 10:00, 11:00, 12:00 Sydney), each step falling due in its phase. In each phase the
// dispatcher (with the server's identity-check links, recall.Service.Mint) runs in a child
// process that kills itself with SIGKILL at a random crash point — after the claim, before
// a send, after the provider accepted a step, before the outcomes are recorded — and is
// restarted (once more may crash) until what is due is settled. Before the second phase one
// patient books (RES-4); before the third another's results are marked notified (RES-5).
//
// After each phase, for each sequence: every step due so far is sent and covered by exactly
// one message at the loopback provider (counted by the notification its callback names, and
// by its step's text to the patient's mobile), none twice; no step not yet due has left,
// and none the booking or the notified results withdrew (cancelled, the sequence booked or
// done). Each message carries its own /r/{token} link, which opens the identity check of
// its sequence's patient, and names no test (RES-3); the notification log keeps the link
// blanked.
//
// TIDINGS_RECALL_CRASH_RUNS sets the number of runs (3 by default, 30 for the full run) and
// TIDINGS_RECALL_CRASH_SEED replays the crash points of a failing one.
func TestRecallCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dispatcher processes: not in -short")
	}
	runs, seed, rng := crashRuns(t, envRecallCrashRuns, 3, envRecallCrashSeed)

	// One clock for the test, the provider and (by Offset) the children: the wall clock's
	// pace from Monday 10:00 in Sydney, moved on by shift to the run's day and phase.
	_, base := shifted(mondayTen)
	var shift atomic.Int64
	now := func() time.Time { return time.Now().Add(base + time.Duration(shift.Load())) }
	fake := twiliotest.NewServer(twiliotest.WithClock(now), twiliotest.WithCallbackCopies(1, 1), twiliotest.WithSeed(seed))
	t.Cleanup(fake.Close)
	dsn := storetest.DSN(t)
	db := openDB(t, dsn, now)
	f := storetest.Seed(t, db, "recall-crash")
	putAccount(t, db, f, fake.URL)
	admin := clinic.SystemActor(f.Org.ID, "test")
	recalls := recall.New(db, recall.Config{PublicURL: recallPublic})
	// RES-3: the clinic's own template, three SMS steps an hour apart, each saying which
	// step it is so that a repeat is seen in the text too.
	tpl := store.RecallTemplate{Key: recallTemplate, Name: "Crash steps", Purpose: string(consent.PurposeResult), AutoStart: true}
	for i := range recallSteps {
		delay := int(recallGap / time.Minute)
		if i == 0 {
			delay = 0
		}
		tpl.Steps = append(tpl.Steps, store.RecallStep{Channel: string(consent.ChannelSMS), DelayMinutes: delay,
			BodyEN: fmt.Sprintf("Hi {first_name}, step %d of %d: {clinic} would like you to book. {portal_link}", i+1, recallSteps),
			BodyFR: fmt.Sprintf("Bonjour {first_name}, étape %d sur %d : {clinic} souhaite vous voir. {portal_link}", i+1, recallSteps)})
	}
	if err := recalls.SaveTemplate(ctx, admin, tpl); err != nil {
		t.Fatalf("save the template: %v", err)
	}

	kills := map[string]int{}
	var children, reconciled int
	began := time.Now()
	for run := range runs {
		replay := fmt.Sprintf("run %d (replay with %s=%d)", run, envRecallCrashSeed, seed)
		shift.Store(int64(time.Duration(run) * 24 * time.Hour)) // each run on a day of its own, from 10:00
		seqs := startSequences(t, db, f, run)
		for phase := range recallSteps {
			shift.Store(int64(time.Duration(run)*24*time.Hour + time.Duration(phase)*recallGap))
			switch phase {
			case 1:
				bookMidSequence(t, db, f, seqs[0])
			case 2:
				markNotified(t, db, f, seqs[1])
			}
			// Every step due is in the first round (crashBatch): a point once a round is hit
			// at its first call.
			children += crashAndRestart(t, rng, replay, recallPatients, 1, kills,
				crashChild{DSN: dsn, Offset: base + time.Duration(shift.Load()), OrgID: f.Org.ID}, "TestRecallCrashChild", envRecallCrashChild)
			reconciled += checkRecallPhase(t, replay, db, f, fake, recalls, seqs, phase)
		}
	}
	t.Logf("%d runs in %s: %d children, killed %v; %d steps reconciled from the provider's list; provider accepted %d SMS, none twice",
		runs, time.Since(began).Round(time.Millisecond), children, kills, reconciled, len(fake.Messages()))
}

// recallSeq is one patient's sequence of a run, as the test follows it.
type recallSeq struct {
	id      int64
	patient clinic.Patient
	// stopAt is the phase before which the sequence was stopped (0: never), stop the state
	// it stopped in: the first patient books before the second step (RES-4), the second
	// patient's results are marked notified before the third (RES-5).
	stopAt int
	stop   string
}

// startSequences creates the run's patients, each with a mobile of its own and no e-mail,
// and files two actioned results of theirs performed this morning, as sync does
// (recall.IntakeResult in the transaction that stores them): one sequence per patient
// (RES-6), started at once with its three steps planned (RES-3).
func startSequences(t *testing.T, db *store.DB, f storetest.Fixture, run int) []recallSeq {
	t.Helper()
	var out []recallSeq
	err := db.Update(ctx, func(tx *store.Tx) error {
		for i := range recallPatients {
			k := run*recallPatients + i
			p, err := tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, ExternalID: fmt.Sprintf("RC%05d", k),
				GivenName: fmt.Sprintf("Rec%d", k), FamilyName: "Crash", BirthDate: "1970-01-01", Mobile: fmt.Sprintf("+6148%07d", k), Language: "en"})
			if err != nil {
				return err
			}
			performed := tx.Now.Add(-2 * time.Hour) // 08:00 the same day in Sydney
			for j, test := range []string{"Full blood count", "Lipids"} {
				r := store.Result{OrgID: f.Org.ID, DatabaseID: f.Database.ID, PatientID: p.ID, ExternalID: fmt.Sprintf("LAB-%d-%d", k, j),
					Test: test, PerformedAt: &performed, Category: "Result", DoctorName: "Dr Ada Lovelace", Action: "Discuss",
					ActionedAt: &tx.Now, Outcome: "template", Template: recallTemplate}
				if err := fileResult(tx, f, r); err != nil {
					return err
				}
			}
			ss, err := tx.Recalls().SequencesOfPatient(ctx, f.Org.ID, p.ID, 10)
			if err != nil {
				return err
			}
			if len(ss) != 1 || ss[0].State != store.SeqActive {
				return fmt.Errorf("patient %d has %d sequences (%+v), want one active (RES-6)", p.ID, len(ss), ss)
			}
			s := recallSeq{id: ss[0].ID, patient: p}
			switch i {
			case 0:
				s.stopAt, s.stop = 1, store.SeqBooked
			case 1:
				s.stopAt, s.stop = 2, store.SeqDone
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("start the sequences: %v", err)
	}
	return out
}

// bookMidSequence books the patient of s an appointment tomorrow, as staff would: the
// booking's planner stops the sequence and withdraws its steps still planned (RES-4).
func bookMidSequence(t *testing.T, db *store.DB, f storetest.Fixture, s recallSeq) {
	t.Helper()
	_, err := booking.New(db).Book(ctx, clinic.SystemActor(f.Org.ID, "test"), booking.Request{PatientID: s.patient.ID, ReasonID: f.Reason.ID,
		AgendaID: f.Agenda.ID, Start: db.Now().Add(26 * time.Hour).Truncate(15 * time.Minute), AllowOutsideHours: true, AllowSameDay: true}, nil)
	if err != nil {
		t.Fatalf("book patient %d mid-sequence: %v", s.patient.ID, err)
	}
}

// markNotified files the results of s again as the clinical software sends them once the
// patient was told (ZRA-4 N): the sequence is done and its step still planned withdrawn
// (RES-5).
func markNotified(t *testing.T, db *store.DB, f storetest.Fixture, s recallSeq) {
	t.Helper()
	err := db.Update(ctx, func(tx *store.Tx) error {
		rs, err := tx.Sync().ResultsOf(ctx, f.Org.ID, s.patient.ID)
		if err != nil {
			return err
		}
		for _, r := range rs {
			r.State = "notified"
			if err := fileResult(tx, f, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("mark the results of patient %d notified: %v", s.patient.ID, err)
	}
}

// fileResult stores r as sync does: upserted, then handed as stored to recall.IntakeResult
// in the same transaction.
func fileResult(tx *store.Tx, f storetest.Fixture, r store.Result) error {
	stored, err := tx.Sync().UpsertResult(ctx, r)
	if err != nil {
		return err
	}
	return recall.IntakeResult(ctx, tx, f.Clinic, stored)
}

// m0 is a match's whole text, "" for no match.
func m0(m []string) string {
	if m == nil {
		return ""
	}
	return m[0]
}

// stepLinkRE finds an identity-check link in a message.
var stepLinkRE = regexp.MustCompile(regexp.QuoteMeta(recallPublic) + `/r/([A-Za-z0-9_-]{16,})`)

// checkRecallPhase asserts, after phase (0: the first step due), what TestRecallCrashSafety
// promises of every sequence, and returns how many steps were reconciled.
func checkRecallPhase(t *testing.T, replay string, db *store.DB, f storetest.Fixture, fake *twiliotest.Server, recalls *recall.Service, seqs []recallSeq,
	phase int) (reconciled int) {
	t.Helper()
	msgs := fake.Messages()
	if dups := providerDuplicates(msgs); len(dups) > 0 {
		t.Fatalf("%s, phase %d: the provider accepted SMS twice: %v", replay, phase, dups)
	}
	atProvider := byNotification(msgs)
	for i := range seqs {
		s := seqs[i]
		var steps []store.Notification
		var seq store.Sequence
		err := db.View(ctx, func(tx *store.Tx) (err error) {
			if seq, err = tx.Recalls().Sequence(ctx, s.patient.OrgID, s.id); err != nil {
				return err
			}
			steps, err = tx.Recalls().StepsOf(ctx, s.patient.OrgID, s.id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		stopped := s.stopAt > 0 && phase >= s.stopAt
		want := store.SeqActive
		if stopped {
			want = s.stop
		}
		if seq.State != want {
			t.Fatalf("%s, phase %d: sequence %d is %s, want %s", replay, phase, s.id, seq.State, want)
		}
		if len(steps) != recallSteps {
			t.Fatalf("%s, phase %d: sequence %d has %d step notifications, want %d (planned once, never again)", replay, phase, s.id, len(steps), recallSteps)
		}
		// The patient's mobile, step by step: exactly the steps sent, each once.
		byText := map[int]int{}
		for _, m := range msgs {
			if m.To != s.patient.Mobile {
				continue
			}
			for k := range recallSteps {
				if strings.Contains(m.Body, fmt.Sprintf("step %d of %d", k+1, recallSteps)) {
					byText[k]++
				}
			}
		}
		for _, n := range steps {
			got := atProvider[n.ID]
			withdrawn := stopped && n.Step >= s.stopAt
			wantSent := n.Step <= phase && !withdrawn
			switch {
			case wantSent && (n.State != store.NoteSent || len(got) != 1 || got[0].SID != n.ProviderID || byText[n.Step] != 1):
				t.Fatalf("%s, phase %d: step %d of sequence %d is %s (%q) with provider id %q; the provider has %d messages for it, %d with its text (want sent, exactly one)\nits history: %s",
					replay, phase, n.Step, s.id, n.State, n.Reason, n.ProviderID, len(got), byText[n.Step], history(t, db, n))
			case !wantSent && (len(got) != 0 || byText[n.Step] != 0):
				t.Fatalf("%s, phase %d: step %d of sequence %d (%s) reached the provider %d times (%d by its text), want never (not due, or withdrawn)\nits history: %s",
					replay, phase, n.Step, s.id, n.State, len(got), byText[n.Step], history(t, db, n))
			case withdrawn && n.State != store.NoteCancelled:
				t.Fatalf("%s, phase %d: step %d of sequence %d, %s since phase %d, is %s (%q), want cancelled (RES-4, RES-5)",
					replay, phase, n.Step, s.id, s.stop, s.stopAt, n.State, n.Reason)
			case !wantSent && !withdrawn && n.State != store.NotePlanned:
				t.Fatalf("%s, phase %d: step %d of sequence %d, not due yet, is %s (%q), want planned", replay, phase, n.Step, s.id, n.State, n.Reason)
			}
			if !wantSent {
				continue
			}
			if n.Step == phase && strings.HasPrefix(n.Reason, "reconciled") {
				reconciled++
			}
			body := got[0].Body
			m := stepLinkRE.FindStringSubmatch(body)
			if text := strings.Replace(body, m0(m), "", 1); m == nil || strings.Contains(text, "Full blood count") || strings.Contains(text, "Lipids") {
				t.Fatalf("%s: step %d of sequence %d says %q: want its identity-check link and no test (RES-3)", replay, n.Step, s.id, body)
			}
			if strings.Contains(n.Body, m[1]) || !strings.Contains(n.Body, "/r/…") {
				t.Fatalf("%s: the log of step %d of sequence %d keeps %q: want the link blanked", replay, n.Step, s.id, n.Body)
			}
			if n.Step == phase { // the link sent in this phase opens its patient's check
				v, err := recalls.Check(ctx, m[1], s.patient.FamilyName, s.patient.BirthDate, fmt.Sprintf("192.0.2.%d", i+1))
				if err != nil || v.ClinicID != f.Clinic.ID || !v.Open {
					t.Fatalf("%s: the link of step %d of sequence %d: %+v, %v; want the identity check passed", replay, n.Step, s.id, v, err)
				}
			}
		}
	}
	return reconciled
}

// recallLinks is the server's Minter for recall steps (app's links, which is not
// exported): the identity-check link of recall.Service.Mint, blanked by recall.Redact.
type recallLinks struct{ r *recall.Service }

func (l recallLinks) Mint(ctx context.Context, tx *store.Tx, n store.Notification) (dispatch.Minted, error) {
	link, err := l.r.Mint(ctx, tx, n)
	return dispatch.Minted{Link: link}, err
}

func (l recallLinks) Redact(text string) string { return recall.Redact(text) }

// TestRecallCrashChild is the dispatcher process of TestRecallCrashSafety; it runs only
// when that test starts it. It runs the dispatcher as the server does (Run, two rounds in
// flight, the server's recall links) and Maintain every 50 ms, and exits once nothing due
// is left (no notification due and planned, none claimed or sending, no SMS unknown),
// unless its crash point kills it first.
func TestRecallCrashChild(t *testing.T) {
	c := childOf(t, "TestRecallCrashSafety", envRecallCrashChild)
	d, db := c.dispatcher(t)
	d.SetLinks(recallLinks{recall.New(db, recall.Config{PublicURL: recallPublic, Now: c.now})})
	runDispatcher(t, d, func() (bool, error) { return settledBefore(db, c.OrgID, c.now().Add(time.Nanosecond)) })
}
