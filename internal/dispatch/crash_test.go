package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/email/mailpittest"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// Environment of the crash test.
const (
	// envCrashRuns is how many runs TestCrashSafety makes (default 20; the full run is 200).
	envCrashRuns = "TIDINGS_CRASH_RUNS"
	// envCrashSeed replays the random crash points of a failed run.
	envCrashSeed = "TIDINGS_CRASH_SEED"
	// envCrashChild carries a child's crashChild, as JSON; set only in the children.
	envCrashChild = "TIDINGS_CRASH_CHILD"
)

// The crash child's timing: a short lease so that a restarted dispatcher takes over within
// two seconds, a send timeout that fits in it (a round sends only while the lease outlasts
// the send timeout by a second), and a short wait before an unknown SMS is looked up.
const (
	crashLease     = 1500 * time.Millisecond
	crashSend      = 300 * time.Millisecond
	crashReconcile = time.Second
	crashBatch     = 10
	emailDomain    = "tidings.test"
)

// The points where a child kills itself: the hooks of dispatch.Hooks.
var crashPoints = []string{"AfterClaim", "BeforeSend", "AfterSend", "BeforeRecord"}

// crashChild is what a crash test (TestCrashSafety, TestRecallCrashSafety) tells a child
// dispatcher.
type crashChild struct {
	DSN string
	// SMTPHost and SMTPPort are Mailpit's; empty: the child sends no e-mail.
	SMTPHost string
	SMTPPort int
	// Offset is added to the wall clock (shifted), the same in every process.
	Offset time.Duration
	OrgID  clinic.OrgID
	// Point names the hook at whose K-th call the child sends itself SIGKILL; empty: it runs
	// until what it has to do is settled and exits.
	Point string
	K     int
}

// TestCrashSafety checks exactly-once in effect across crashes (NOT-6, with NOT-7's
// reconciliation): the dispatcher runs in a child process that kills itself with SIGKILL at
// a random point — after the claim, before a send, after the provider accepted a message,
// before the outcomes are recorded — and is restarted until every notification is settled.
// Each run plans 40 reminders due now (20 SMS, 20 e-mails; four pairs of SMS go to a
// family's shared mobile, which NOT-4 may fold into one SMS) and asserts: none lost (each in
// a terminal state, with a reason unless sent; every SMS sent, an unknown one having been
// reconciled through the provider's message list since status callbacks go nowhere); no
// duplicate at the provider (each SMS notification covered by exactly one message — its
// own, or its carrier's and then none of its own — no two with the same body to the same
// number; no two e-mails with the same Message-ID in Mailpit); an e-mail whose outcome is
// unknown is never sent again (it stays unknown; they are counted and logged).
//
// TIDINGS_CRASH_RUNS sets the number of runs (20 by default, 200 for the full run) and
// TIDINGS_CRASH_SEED replays the crash points of a failing one.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dispatcher processes: not in -short")
	}
	runs, seed, rng := crashRuns(t, envCrashRuns, 20, envCrashSeed)

	now, offset := shifted(mondayTen)
	fake := twiliotest.NewServer(twiliotest.WithClock(now), twiliotest.WithCallbackCopies(1, 1), twiliotest.WithSeed(seed))
	t.Cleanup(fake.Close)
	mp := mailpittest.Start(t)
	dsn := storetest.DSN(t)
	db := openDB(t, dsn, now)
	f := storetest.Seed(t, db, "crash")
	putAccount(t, db, f, fake.URL)

	kills := map[string]int{}
	var children, unknownEmails, reconciled, grouped int
	began := time.Now()
	for run := range runs {
		var ds []due
		for i := range 40 {
			ch := consent.ChannelSMS
			if i%2 == 1 {
				ch = consent.ChannelEmail
			}
			d := due{channel: ch, start: now().Add(4*time.Hour + time.Duration(i)*15*time.Minute)}
			if i < 16 && i%4 != 1 && i%4 != 3 {
				// Four families of two share a mobile: NOT-4 may carry both reminders in
				// one SMS (when one dispatcher holds both).
				d.mobile = fmt.Sprintf("+6149%07d", run*10+i/4)
			}
			ds = append(ds, d)
		}
		ids := seedDue(t, db, f, run*len(ds), ds)

		children += crashAndRestart(t, rng, fmt.Sprintf("run %d", run), len(ds), len(ds)/crashBatch, kills,
			crashChild{DSN: dsn, SMTPHost: mp.SMTPHost, SMTPPort: mp.SMTPPort, Offset: offset, OrgID: f.Org.ID}, "TestCrashChild", envCrashChild)
		u, r, g := checkCrashRun(t, run, db, fake, mp, ids)
		unknownEmails += u
		reconciled += r
		grouped += g
	}
	t.Logf("%d runs in %s: %d children, killed %v; %d SMS reconciled from the provider's list, %d carried in a family's SMS (NOT-4); %d e-mails left unknown (never resent); provider accepted %d SMS, none twice",
		runs, time.Since(began).Round(time.Millisecond), children, kills, reconciled, grouped, unknownEmails, len(fake.Messages()))
}

// crashRuns reads a crash test's environment: the number of runs in envRuns (def when
// unset) and the seed of its random crash points in envSeed (the clock when unset), which
// it logs so that a failing run can be replayed; rng draws from the seed.
func crashRuns(t *testing.T, envRuns string, def int, envSeed string) (runs int, seed uint64, rng *rand.Rand) {
	t.Helper()
	runs = def
	if v := os.Getenv(envRuns); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", envRuns, v)
		}
		runs = n
	}
	seed = uint64(time.Now().UnixNano())
	if v := os.Getenv(envSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a number", envSeed, v)
		}
		seed = n
	}
	t.Logf("%d runs, %s=%d", runs, envSeed, seed)
	return runs, seed, rand.New(rand.NewPCG(seed, seed^0x5eed))
}

// crashAndRestart runs child processes of test name, each given c in env (runChild): a
// first child crashes at a random crash point, a second one may crash too (one time in
// three), then one runs to the end. A point hit once a send (BeforeSend, AfterSend) kills
// at its K-th call, K at most perSend; one hit once a round (AfterClaim, BeforeRecord), K
// at most perRound. kills counts the points that killed a child; what names the run in a
// failure. It returns how many children it started.
func crashAndRestart(t *testing.T, rng *rand.Rand, what string, perSend, perRound int, kills map[string]int, c crashChild, name, env string) (children int) {
	t.Helper()
	for crashes := 0; ; crashes++ {
		c.Point, c.K = "", 0
		if crashes == 0 || crashes == 1 && rng.IntN(3) == 0 {
			c.Point = crashPoints[rng.IntN(len(crashPoints))]
			c.K = 1 + rng.IntN(perSend)
			if c.Point == "AfterClaim" || c.Point == "BeforeRecord" {
				c.K = 1
				if perRound > 1 { // no draw for one choice: a seed replays the same points
					c.K += rng.IntN(perRound)
				}
			}
		}
		children++
		killed, out := runChild(t, name, env, c, c.Point != "")
		if !killed {
			return children
		}
		kills[c.Point]++
		if crashes > 5 {
			t.Fatalf("%s: the dispatcher crashed %d times in a row:\n%s", what, crashes+1, out)
		}
	}
}

// runChild runs `go test -test.run=^name$` of this binary with env set to payload as JSON
// until it exits (killed false) or, when it may crash, its crash point kills it with
// SIGKILL (killed true). Any other end fails the test with the child's output.
func runChild(t *testing.T, name, env string, payload any, mayCrash bool) (killed bool, out string) {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), env+"="+string(b))
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return false, buf.String()
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL && mayCrash && cctx.Err() == nil {
			return true, buf.String()
		}
	}
	t.Fatalf("%s child (%s): %v\n%s", name, b, err, buf.String())
	return false, ""
}

// checkCrashRun asserts what TestCrashSafety promises about one run's notifications, and
// returns how many e-mails were left unknown, how many SMS were reconciled and how many
// were carried in another's SMS (NOT-4).
func checkCrashRun(t *testing.T, run int, db *store.DB, fake *twiliotest.Server, mp *mailpittest.Server, ids []int64) (unknownEmails, reconciled, grouped int) {
	t.Helper()
	ns := byIDs(t, db, ids)
	msgs := fake.Messages()
	if dups := providerDuplicates(msgs); len(dups) > 0 {
		t.Fatalf("run %d: the provider accepted SMS twice: %v", run, dups)
	}
	atProvider := byNotification(msgs)
	delivered := 0 // unknown e-mails that did reach Mailpit
	var mails map[string]int
	// Mailpit lists the newest thousand messages: this run's are among them.
	listMail := func() {
		mails = map[string]int{}
		for _, m := range mp.Messages(t) {
			mails[m.MessageID]++
		}
	}
	listMail()
	for _, id := range ids {
		n, ok := ns[id]
		switch {
		case !ok:
			t.Fatalf("run %d: notification %d is gone", run, id)
		case !terminal(n.State):
			t.Fatalf("run %d: notification %d (%s) lost in state %s (%q); states: %s", run, id, n.Channel, n.State, n.Reason, states(ns))
		case n.State != store.NoteSent && n.Reason == "":
			t.Fatalf("run %d: notification %d (%s) is %s with no reason", run, id, n.Channel, n.State)
		}
		switch n.Channel {
		case string(consent.ChannelSMS):
			// One message covers it: its own, or the NOT-4 SMS of the notification that
			// carried it, and then none of its own.
			carrier := id
			if n.GroupID != 0 {
				carrier = n.GroupID
				grouped++
				if alone := atProvider[id]; len(alone) > 0 {
					t.Fatalf("run %d: SMS notification %d, carried by %d, was also sent alone %d times\nits history: %s\nits carrier's: %s",
						run, id, n.GroupID, len(alone), history(t, db, n), history(t, db, ns[n.GroupID]))
				}
			}
			got := atProvider[carrier]
			if n.State != store.NoteSent || len(got) != 1 || got[0].SID != n.ProviderID {
				t.Fatalf("run %d: SMS notification %d (carried by %d) is %s (%q) with provider id %q; the provider has %d messages for it\nits history: %s",
					run, id, carrier, n.State, n.Reason, n.ProviderID, len(got), history(t, db, n))
			}
			if strings.HasPrefix(n.Reason, "reconciled") {
				reconciled++
			}
		case string(consent.ChannelEmail):
			mid := strings.Trim(email.MessageID(id, emailDomain), "<>")
			if n.State == store.NoteSent && mails[mid] == 0 {
				// Mailpit may still be storing the last message.
				for i := 0; i < 40 && mails[mid] == 0; i++ {
					time.Sleep(50 * time.Millisecond)
					listMail()
				}
			}
			switch {
			case mails[mid] > 1:
				t.Fatalf("run %d: Mailpit received e-mail notification %d %d times", run, id, mails[mid])
			case n.State == store.NoteSent && mails[mid] != 1:
				t.Fatalf("run %d: e-mail notification %d is sent but Mailpit has %d copies", run, id, mails[mid])
			case n.State == store.NoteUnknown:
				unknownEmails++
				delivered += mails[mid]
			case n.State != store.NoteSent:
				t.Fatalf("run %d: e-mail notification %d is %s (%q)", run, id, n.State, n.Reason)
			}
		}
	}
	for mid, k := range mails {
		if k > 1 {
			t.Fatalf("run %d: Mailpit received Message-ID %s %d times", run, mid, k)
		}
	}
	if unknownEmails > 0 {
		t.Logf("run %d: %d e-mails left unknown, not resent (%d of them had reached Mailpit)", run, unknownEmails, delivered)
	}
	return unknownEmails, reconciled, grouped
}

// TestCrashChild is the dispatcher process of TestCrashSafety; it runs only when that test
// starts it. It runs the dispatcher as the server does (Run, two rounds in flight) and, so
// that a restart takes over as soon as the dead child's leases run out, Maintain every
// 50 ms; it exits once nothing is left to do (no notification planned, claimed or sending,
// no SMS unknown), unless its crash point kills it first.
func TestCrashChild(t *testing.T) {
	c := childOf(t, "TestCrashSafety", envCrashChild)
	d, db := c.dispatcher(t)
	runDispatcher(t, d, func() (bool, error) { return settled(db, c.OrgID) })
}

// now is the parent's clock: the wall clock shifted by c.Offset.
func (c crashChild) now() time.Time { return time.Now().Add(c.Offset) }

// childOf reads, in a child process of crash test parent, the crashChild that parent set
// in env; outside one, it skips the test.
func childOf(t *testing.T, parent, env string) crashChild {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		t.Skipf("the dispatcher process of %s: runs only when that test starts it", parent)
	}
	var c crashChild
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// childLog is a crash child's log: warnings, to the output its parent shows on failure.
var childLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// dispatcher opens c's database on the parent's clock and returns a dispatcher over it with
// the crash timing and c's crash hooks, sending SMS and, when c names Mailpit, e-mail.
func (c crashChild) dispatcher(t *testing.T) (*dispatch.Dispatcher, *store.DB) {
	t.Helper()
	db := openDB(t, c.DSN, c.now)
	breakers := dispatch.NewBreakers(c.now)
	senders := dispatch.Senders{SMS: &dispatch.SMS{PublicURL: nowhere, HTTP: &http.Client{Timeout: 5 * time.Second}, Breakers: breakers}}
	cfg := dispatch.Config{Batch: crashBatch, Lease: crashLease, SendTimeout: crashSend, ReconcileAfter: crashReconcile,
		Workers: 4, Parallel: 2, Idle: 20 * time.Millisecond, PublicURL: nowhere}
	if c.SMTPHost != "" {
		mail, err := email.New(email.Config{Host: c.SMTPHost, Port: c.SMTPPort, TLS: email.TLSNone, From: "clinic@" + emailDomain,
			HeloName: emailDomain, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		senders.Email = &dispatch.Email{Sender: mail, Domain: emailDomain, Breakers: breakers}
		cfg.EmailDomain = emailDomain
	}
	d := dispatch.New(db, cfg, senders, childLog)
	d.SetHooks(crashHooks(c.Point, c.K))
	return d, db
}

// runDispatcher runs a crash child's dispatcher d as the server does (Run, two rounds in
// flight) and, so that a restart takes over as soon as the dead child's leases run out,
// Maintain every 50 ms, until done reports that nothing is left to do (unless the child's
// crash point kills the process first).
func runDispatcher(t *testing.T, d *dispatch.Dispatcher, done func() (bool, error)) {
	t.Helper()
	// The SMS accounts are loaded before Run: Run itself races its first round against its
	// first Maintain (TestRunLoadsAccountsBeforeFirstRound), which is not what the crash
	// tests are about.
	if err := d.Maintain(ctx); err != nil {
		childLog.Warn("maintain", "err", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- d.Run(rctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := d.Maintain(rctx); err != nil {
			childLog.Warn("maintain", "err", err)
		}
		ok, err := done()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not settled after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
}

// crashHooks kills the process with SIGKILL at the k-th call of point's hook.
func crashHooks(point string, k int) dispatch.Hooks {
	var calls atomic.Int64
	hit := func() {
		if calls.Add(1) == int64(k) {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute) // the signal is on its way
		}
	}
	switch point {
	case "AfterClaim":
		return dispatch.Hooks{AfterClaim: func(int) { hit() }}
	case "BeforeSend":
		return dispatch.Hooks{BeforeSend: func(dispatch.Outgoing) { hit() }}
	case "AfterSend":
		return dispatch.Hooks{AfterSend: func(dispatch.Outgoing, error) { hit() }}
	case "BeforeRecord":
		return dispatch.Hooks{BeforeRecord: func(int) { hit() }}
	case "":
		return dispatch.Hooks{}
	}
	panic(fmt.Sprintf("unknown crash point %q", point))
}

// settled reports whether org has nothing left for a dispatcher to do: no notification
// planned, claimed or sending, and no SMS whose outcome is unknown (an unknown e-mail stays
// so, for staff).
func settled(db *store.DB, org clinic.OrgID) (bool, error) {
	return settledBefore(db, org, time.Time{})
}

// settledBefore is settled counting only the notifications planned due before to (zero:
// all of them): those due later stay planned.
func settledBefore(db *store.DB, org clinic.OrgID, to time.Time) (bool, error) {
	done := true
	err := db.View(ctx, func(tx *store.Tx) error {
		for _, f := range []store.NotificationFilter{{State: store.NotePlanned, To: to}, {State: store.NoteClaimed}, {State: store.NoteSending},
			{State: store.NoteUnknown, Channel: string(consent.ChannelSMS)}} {
			f.Page.Limit = 1
			ns, err := tx.Notifications().ListNotifications(ctx, org, f)
			if err != nil {
				return err
			}
			if len(ns) > 0 {
				done = false
				return nil
			}
		}
		return nil
	})
	return done, err
}

// stallRound starts a round of w's dispatcher that stops where the hook built by hooks
// calls stall: as good as dead. release ends it as a crash would have: its context is
// cancelled first, so a stalled send never leaves (a request on a cancelled context is not
// made), and its late record must change nothing; release waits for it.
func stallRound(t *testing.T, w *world, hooks func(stall func()) dispatch.Hooks) (release func()) {
	t.Helper()
	stalled, free := make(chan struct{}), make(chan struct{})
	var once sync.Once
	w.d.SetHooks(hooks(func() {
		once.Do(func() { close(stalled) })
		<-free
	}))
	rctx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { _, err := w.d.Round(rctx); ran <- err }()
	<-stalled
	return func() {
		cancel()
		close(free)
		if err := <-ran; err != nil {
			t.Error(err)
		}
	}
}

// takeOver is the stalled dispatcher's successor: the lease (1 min) runs out, the provider's
// list is searched (after 2 min), rounds run; between the two, between runs after the
// leases were taken back.
func takeOver(t *testing.T, w *world, between func()) {
	t.Helper()
	next := dispatch.New(w.db, dispatch.Config{PublicURL: "https://tidings.example"}, dispatch.Senders{SMS: w.sms, Email: dispatch.Outbox{}}, nil)
	for i, wait := range []time.Duration{2 * time.Minute, 3 * time.Minute} {
		w.clock.Advance(wait)
		if err := next.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if i == 0 && between != nil {
			between()
		}
		for range 10 {
			if n, err := next.Round(ctx); err != nil {
				t.Fatal(err)
			} else if n == 0 {
				break
			}
		}
	}
}

// family plans two SMS reminders due now for two patients sharing a mobile, on one agenda
// and one day: NOT-4 sends them as one SMS.
func family(t *testing.T, w *world) (mobile string, ids []int64) {
	mobile = "+61411112222"
	at := w.clock.Now().Add(4 * time.Hour)
	return mobile, seedDue(t, w.db, w.f, 0, []due{{channel: consent.ChannelSMS, start: at, mobile: mobile},
		{channel: consent.ChannelSMS, start: at.Add(15 * time.Minute), mobile: mobile}})
}

// TestCrashedGroupSMSSentOnce: a dispatcher stops for good after the provider accepted a
// NOT-4 SMS carrying two patients' reminders (one family's mobile), before recording it.
// Its successor must settle both notifications from that one message — the carrier and
// the member it carried — and send neither again (NOT-4, NOT-6). The status callbacks go
// nowhere, so only the provider's message list can tell.
//
// Before the fix (prepare.go: the member's sending mark now carries the SMS's body) the
// member's mark had no body, the list search for it found nothing, and it was planned again
// and sent alone: the family got one reminder twice.
func TestCrashedGroupSMSSentOnce(t *testing.T) {
	w := newWorld(t)
	_, ids := family(t, w)
	release := stallRound(t, w, func(stall func()) dispatch.Hooks { return dispatch.Hooks{BeforeRecord: func(int) { stall() }} })
	msgs := w.provider.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "Pat0") || !strings.Contains(msgs[0].Body, "Pat1") {
		t.Fatalf("before the crash the provider has %d SMS, want one naming both patients", len(msgs))
	}
	takeOver(t, w, nil)
	release()

	if got := w.provider.Messages(); len(got) != 1 {
		t.Errorf("the provider has %d SMS for the family, want the one group SMS; the last for notification %d: %q",
			len(got), calledBack(got[len(got)-1]), got[len(got)-1].Body)
	}
	ns := byIDs(t, w.db, ids)
	for _, id := range ids {
		if n := ns[id]; n.State != store.NoteSent || n.ProviderID != msgs[0].SID {
			t.Errorf("notification %d is %s (%q) with provider id %q, want sent with the group SMS %s", id, n.State, n.Reason, n.ProviderID, msgs[0].SID)
		}
	}
}

// TestReplannedGroupMemberSentAlone: a dispatcher stops for good just before sending a NOT-4
// SMS that carries a family's two reminders; its successor finds nothing at the provider and
// plans both again, but the first appointment was cancelled meanwhile, so the second
// reminder goes alone. It must no longer be marked as carried by the first: the log would
// say it went in a message that never left, and the family's reply C to it would find no
// message to confirm (NOT-10 matches only messages that were not carried) (NOT-4, NOT-6).
//
// Before the fix (store: a sending mark sets group_id, clearing a stale one) the row kept
// the group_id of the message that never left. The crash test met the same stale id when a
// replanned family's roles swapped: each row named the other as its carrier.
func TestReplannedGroupMemberSentAlone(t *testing.T) {
	w := newWorld(t)
	mobile, ids := family(t, w)
	release := stallRound(t, w, func(stall func()) dispatch.Hooks {
		return dispatch.Hooks{BeforeSend: func(dispatch.Outgoing) { stall() }}
	})
	if got := byIDs(t, w.db, ids)[ids[1]]; got.GroupID != ids[0] {
		t.Fatalf("notification %d is carried by %d, want %d: the test needs the two in one SMS", ids[1], got.GroupID, ids[0])
	}
	takeOver(t, w, func() {
		err := w.db.Update(ctx, func(tx *store.Tx) error {
			first := byIDs(t, w.db, ids[:1])[ids[0]]
			a, err := tx.Appointments().Appointment(ctx, w.f.Org.ID, first.AppointmentID)
			if err != nil {
				return err
			}
			a.Status = clinic.StatusCancelled
			_, err = tx.Appointments().UpdateAppointment(ctx, w.f.Org.ID, a)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	release()

	ns := byIDs(t, w.db, ids)
	msgs := w.provider.Messages()
	if first := ns[ids[0]]; first.State == store.NoteSent {
		t.Fatalf("the cancelled appointment's reminder was sent (%q)", first.Reason)
	}
	alone := ns[ids[1]]
	if alone.State != store.NoteSent || len(msgs) != 1 || calledBack(msgs[0]) != alone.ID || alone.GroupID != 0 {
		t.Fatalf("the second reminder is %s (%q), carried by %d; the provider has %d SMS; want sent alone, carried by none",
			alone.State, alone.Reason, alone.GroupID, len(msgs))
	}
	err := w.db.View(ctx, func(tx *store.Tx) error {
		last, ok, _, err := tx.Notifications().LastAsking(ctx, w.f.Org.ID, mobile, start)
		if err == nil && (!ok || last.ID != alone.ID) {
			t.Errorf("a reply from the family matches notification %d (found %v), want %d", last.ID, ok, alone.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// history is a notification's status events, for a failure's message.
func history(t *testing.T, db *store.DB, n store.Notification) string {
	t.Helper()
	var b strings.Builder
	err := db.View(ctx, func(tx *store.Tx) error {
		es, err := tx.Notifications().Events(ctx, n.OrgID, n.ID)
		for _, e := range es {
			fmt.Fprintf(&b, "\n  %s %s %q", e.At.Format("15:04:05.000"), e.State, e.Reason)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
