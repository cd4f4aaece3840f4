package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
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
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// Environment of the HL7 crash test.
const (
	// envHL7CrashRuns is how many runs TestHL7CrashSafety makes (default 5; the full run is 100).
	envHL7CrashRuns = "TIDINGS_HL7_CRASH_RUNS"
	// envHL7CrashSeed replays the random crash points of a failed run.
	envHL7CrashSeed = "TIDINGS_HL7_CRASH_SEED"
	// envHL7CrashChild carries a child's hl7CrashChild, as JSON; set only in the children.
	envHL7CrashChild = "TIDINGS_HL7_CRASH_CHILD"
)

// The shape of a run: patients per run, each with four messages (two A08, two ORU^R01), sent
// on crashConns connections with up to crashWindow messages in flight on each (pipelined,
// so that the service's batches hold several messages from several connections).
const (
	crashPatients = 20
	crashConns    = 4
	crashWindow   = 8
	// crashAddr prefixes the line on which a child tells its listener's address.
	crashAddr = "HL7-CRASH-CHILD-ADDR "
	// crashFacility routes the messages to the test's database.
	crashFacility = "PMSTEST"
)

// How a child process dies. The hook points are integration.Hooks; "parent" is a SIGKILL
// the sender sends at a random moment (after a random number of ACKs, plus a jitter).
const (
	pointBefore = "BeforeCommit"
	pointAfter  = "AfterCommit"
	pointParent = "parent"
)

var crashKillPoints = []string{pointBefore, pointAfter, pointParent}

// The kinds of kill, by what the messages in flight (sent, not acknowledged) had become:
// all committed (their ACKs lost), none, some of each (several appliers, or a batch of
// resent messages), or nothing was in flight.
const (
	killCommitted   = "committed"
	killUncommitted = "uncommitted"
	killBoth        = "both"
	killIdle        = "idle"
)

// hl7CrashChild is what TestHL7CrashSafety tells a child service.
type hl7CrashChild struct {
	DSN string
	// Point names the hook at which the child sends itself SIGKILL: at the call whose batch
	// brings the number of messages the hook has seen to At or past it. Empty: it serves
	// until its stdin is closed, then shuts down.
	Point string
	At    int
}

// TestHL7CrashSafety checks the issue "crash safety: the server killed between receive and
// ACK; the sender resends; the message is applied exactly once" (SYN-4). The service runs
// in a child process, on a file database (SQLite, or PostgreSQL with TIDINGS_TEST_POSTGRES)
// that outlives it; the child dies by SIGKILL before a batch's commit, after it (before any
// of its ACKs is written), or at a random moment chosen by the sender, and is restarted.
// The sender — this test — sends each run's ADT^A08 patient updates and ORU^R01 results on
// four pipelined connections and, as a real sender does, resends every message whose ACK did
// not arrive to the restarted service, until each has its AA.
//
// After each kill, before the restart, the messages lost in flight (sent, no ACK read) are
// looked up in the database: committed although their ACK never left (the resend must then
// get the stored ACK and change nothing), or not committed (the resend applies them). The
// first child of a run killed after a commit must have lost committed messages, one killed
// before a commit uncommitted ones, and over five runs or more both must have happened (the
// kills are counted by point and by kind, and logged). After each run: every message is recorded once in sync_messages, and the AA the
// sender finally got is byte for byte the ACK stored for it (so a resent message that had
// been committed was answered from the record, not applied again); the number of recorded
// messages is exactly the number sent (resends add no row); every patient exists once with
// its latest values, every result once with its latest values; nothing is in quarantine.
//
// TIDINGS_HL7_CRASH_RUNS sets the number of runs (5 by default, 100 for the full run) and
// TIDINGS_HL7_CRASH_SEED replays the crash points of a failing one.
func TestHL7CrashSafety(t *testing.T) {
	runs := 5
	if v := os.Getenv(envHL7CrashRuns); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", envHL7CrashRuns, v)
		}
		runs = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(envHL7CrashSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a number", envHL7CrashSeed, v)
		}
		seed = n
	}
	replay := fmt.Sprintf("(replay with %s=%d)", envHL7CrashSeed, seed)
	t.Logf("%d runs, %s=%d", runs, envHL7CrashSeed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	// The database both the test and its children open: a file, or a PostgreSQL schema.
	ctx := context.Background()
	dsn := storetest.DSN(t)
	db, err := store.Open(ctx, store.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cw := &crashWorld{db: db, dsn: dsn, fx: storetest.Seed(t, db, "crash")}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		sd, err := seedDatabase(ctx, tx, cw.fx.Org.ID, clinic.KindHL7v2, "crash-hl7")
		if err != nil {
			return err
		}
		cw.dbID = sd.db.ID
		return tx.Sync().SetHL7Facility(ctx, cw.fx.Org.ID, sd.db.ID, crashFacility)
	}); err != nil {
		t.Fatal(err)
	}

	// Every run dies at least once; the points are dealt in shuffled rounds, so that any
	// three consecutive runs cover all of them.
	var deck []string
	kinds := map[string]int{}  // kills by kind
	points := map[string]int{} // kills by point
	var children, resent, lostCommitted, lostUncommitted, sent int
	var slowest time.Duration
	began := time.Now()
	for run := range runs {
		if len(deck) == 0 {
			deck = append(deck, crashKillPoints...)
			rng.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
		}
		point := deck[0]
		deck = deck[1:]
		rs := cw.run(t, run, point, rng, replay)
		for k, n := range rs.kinds {
			kinds[k] += n
		}
		for k, n := range rs.points {
			points[k] += n
		}
		children += rs.children
		resent += rs.resent
		lostCommitted += rs.lostCommitted
		lostUncommitted += rs.lostUncommitted
		sent += rs.messages
		slowest = max(slowest, rs.took)
		cw.check(t, run, sent, rs, replay)
		t.Logf("run %d: first kill %s; %d children; kills by point %v, by kind %v; %d messages, %d resends; lost in flight: %d committed, %d not; %s",
			run, point, rs.children, rs.points, rs.kinds, rs.messages, rs.resent, rs.lostCommitted, rs.lostUncommitted, rs.took.Round(time.Millisecond))
	}
	t.Logf("%s: %d runs in %s (slowest %s): %d children; kills by point %v, by kind %v; %d messages, %d resends; lost in flight: %d committed (their ACK lost), %d not",
		db.Dialect(), runs, time.Since(began).Round(time.Millisecond), slowest.Round(time.Millisecond), children, points, kinds, sent, resent, lostCommitted, lostUncommitted)
	if runs >= 5 && (kinds[killCommitted]+kinds[killBoth] == 0 || kinds[killUncommitted]+kinds[killBoth] == 0) {
		t.Fatalf("over %d runs the kills were %v: want at least one that lost the ACKs of committed messages and one that lost uncommitted messages %s",
			runs, kinds, replay)
	}
}

// crashWorld is the test's database, shared with its children.
type crashWorld struct {
	db   *store.DB
	dsn  string
	fx   storetest.Fixture
	dbID clinic.DatabaseID
}

// crashMsg is one message of a run, as its sender knows it. Its fields are the worker's
// that sends it until the workers are done.
type crashMsg struct {
	control string // MSH-10
	raw     []byte
	deps    []*crashMsg // sent only once these are acknowledged (a result after its patient)
	acked   bool
	ack     []byte // the AA received
	sends   int
	// stored is the ACK found in the database for the message after a kill that lost its
	// ACK: it had been committed; nil when it never was at a kill.
	stored []byte
}

func (m *crashMsg) key() string { return "MD|" + crashFacility + "|" + m.control }

func (m *crashMsg) ready() bool {
	for _, d := range m.deps {
		if !d.acked {
			return false
		}
	}
	return true
}

// crashPatient is what a run expects of one patient once every message is applied.
type crashPatient struct {
	ext, family, given, mobile string
	results                    map[string]string // result external id → its latest action
}

// crashRun is one run's messages, what they must leave in the database, and its counts.
type crashRun struct {
	msgs     []*crashMsg
	patients []crashPatient
	messages int
	children int
	resent   int
	// The messages in flight at a kill, committed or not; a message lost at two kills
	// counts twice.
	lostCommitted, lostUncommitted int
	kinds                          map[string]int
	points                         map[string]int
	took                           time.Duration
}

// crashMessages builds run's messages: for each patient two A08 (the second newer, with
// another name and mobile) and, once both are acknowledged, two ORU^R01 (the first with
// two results, the second changing the first result's action), spread over the workers.
func crashMessages(run int) (*crashRun, [][]*crashMsg) {
	rs := &crashRun{kinds: map[string]int{}, points: map[string]int{}}
	queues := make([][]*crashMsg, crashConns)
	var pending [crashConns][]*crashMsg // each worker's ORUs, sent after its next patient's ADTs
	for i := range crashPatients {
		w := i % crashConns
		ext := fmt.Sprintf("C%03dP%02d", run, i)
		family := "Crash" + crashLetters(run*crashPatients+i)
		mobile1 := fmt.Sprintf("04%08d", 10000000+run*100+i)
		mobile2 := fmt.Sprintf("04%08d", 20000000+run*100+i)
		control := func(n int) string { return fmt.Sprintf("R%03d-%02d-%d", run, i, n) }
		a1 := &crashMsg{control: control(1), raw: crashRaw(adt("A08", control(1), "20261201090000", ext, family, "Ava", mobile1, ""))}
		a2 := &crashMsg{control: control(2), raw: crashRaw(adt("A08", control(2), "20261201090100", ext, family, "Bea", mobile2, ""))}
		resA, resB := ext+"-A", ext+"-B"
		o1 := &crashMsg{control: control(3), deps: []*crashMsg{a1, a2},
			raw: crashRaw(crashORU(control(3), "20261201090200", ext, family, [][2]string{{resA, "Discuss"}, {resB, "Nurse to advise"}}))}
		o2 := &crashMsg{control: control(4), deps: []*crashMsg{a1, a2},
			raw: crashRaw(crashORU(control(4), "20261201090300", ext, family, [][2]string{{resA, "Return urgently"}}))}
		queues[w] = append(queues[w], a1, a2)
		queues[w] = append(queues[w], pending[w]...)
		pending[w] = []*crashMsg{o1, o2}
		rs.msgs = append(rs.msgs, a1, a2, o1, o2)
		rs.patients = append(rs.patients, crashPatient{ext: ext, family: family, given: "Bea", mobile: "+61" + mobile2[1:],
			results: map[string]string{resA: "Return urgently", resB: "Nurse to advise"}})
	}
	for w := range queues {
		queues[w] = append(queues[w], pending[w]...)
	}
	rs.messages = len(rs.msgs)
	return rs, queues
}

// crashLetters spells n in letters, for names (which take no digits).
func crashLetters(n int) string {
	s := ""
	for {
		s = string(rune('a'+n%26)) + s
		n /= 26
		if n == 0 {
			return s
		}
	}
}

func crashRaw(msg string) []byte { return []byte(strings.ReplaceAll(msg, "\n", "\r")) }

// crashORU is an ORU^R01 about patient ext with one actioned result per {external id,
// action}, each filed under "Result" (which the Medical Director profile takes).
func crashORU(control, when, ext, family string, results [][2]string) string {
	var b strings.Builder
	b.WriteString("MSH|^~\\&|MD|" + crashFacility + "|TIDINGS|TIDINGS|" + when + "||ORU^R01^ORU_R01|" + control + "|P|2.4\n")
	b.WriteString("PID|1||" + ext + "^^^MD^MR||" + family + "^Bea||19800412\n")
	for i, r := range results {
		fmt.Fprintf(&b, "OBR|%d||%s|LIPID^Lipid studies|||202611300800|||||||||||||||||CH||||||||0234567B&HEALTH&HARRIET\n", i+1, r[0])
		b.WriteString("OBX|1|NM|CHOL^Cholesterol||5.9|mmol/L|<5.5|H|||F\n")
		b.WriteString("ZRA|" + r[1] + "|0234567B^HEALTH^HARRIET|" + when + "||N|Result\n")
	}
	return b.String()
}

// run sends one run's messages through children until each has its AA: the first child
// dies at point; a restarted one may die again (a hook, a third of the time); each death
// is classified from the database before the next child starts.
func (cw *crashWorld) run(t *testing.T, run int, point string, rng *rand.Rand, replay string) *crashRun {
	t.Helper()
	began := time.Now()
	rs, queues := crashMessages(run)
	link := newCrashLink(crashConns)
	if point == pointParent {
		link.killAtAck = 1 + rng.IntN(rs.messages*3/4)
		link.jitter = time.Duration(rng.IntN(3000)) * time.Microsecond
	}
	var wg sync.WaitGroup
	for w, q := range queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			crashSender(link, w, q)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Whatever happens, the workers are stopped and awaited before the test returns.
	defer func() {
		link.stop()
		<-done
	}()

	firstKilled := false
	for gen := 1; ; gen++ {
		if gen > 8 {
			t.Fatalf("run %d: the service died %d times %s", run, gen-1, replay)
		}
		c := hl7CrashChild{DSN: cw.dsn}
		switch {
		case gen == 1 && point != pointParent:
			c.Point, c.At = point, 1+rng.IntN(rs.messages)
		case gen > 1 && rng.IntN(3) == 0:
			c.Point, c.At = crashKillPoints[rng.IntN(2)], 1+rng.IntN(rs.messages)
		}
		ch := startCrashChild(t, c, replay)
		rs.children++
		link.open(gen, ch.addr, ch.cmd.Process)
		var finished bool
		select {
		case <-ch.exited:
		case <-done:
			finished = true
		case <-time.After(60 * time.Second):
			_ = ch.cmd.Process.Kill()
			<-ch.exited
			t.Fatalf("run %d: the messages are not all acknowledged after 60 s (child %d, point %q at %d) %s\nchild's output:\n%s",
				run, gen, c.Point, c.At, replay, ch.output())
		}
		if finished {
			// Every message has its AA: a child still alive is stopped as the server stops.
			ch.stdin.Close()
			select {
			case <-ch.exited:
			case <-time.After(20 * time.Second):
				_ = ch.cmd.Process.Kill()
				<-ch.exited
				t.Fatalf("run %d: the child did not stop within 20 s of its stdin closing %s\n%s", run, replay, ch.output())
			}
		}
		killed := ch.killed()
		switch {
		case killed && c.Point == "" && !(gen == 1 && point == pointParent):
			t.Fatalf("run %d: child %d was killed with no crash point %s\n%s", run, gen, replay, ch.output())
		case !killed && ch.err != nil:
			t.Fatalf("run %d: child %d (crash point %q at %d): %v %s\nchild's output:\n%s", run, gen, c.Point, c.At, ch.err, replay, ch.output())
		case !killed && !finished:
			t.Fatalf("run %d: child %d exited on its own %s\n%s", run, gen, replay, ch.output())
		}
		if errs := link.errors(); len(errs) > 0 {
			t.Fatalf("run %d (first kill %s): the sender: %s %s\nchild %d's output (crash point %q at %d):\n%s",
				run, point, strings.Join(errs, "; "), replay, gen, c.Point, c.At, ch.output())
		}
		if killed {
			how := c.Point
			if how == "" {
				how = pointParent
			}
			rs.points[how]++
			if gen == 1 {
				firstKilled = true
			}
			committed, uncommitted := cw.classify(t, run, link.close(gen), replay)
			rs.lostCommitted += committed
			rs.lostUncommitted += uncommitted
			switch {
			case committed > 0 && uncommitted > 0:
				rs.kinds[killBoth]++
			case committed > 0:
				rs.kinds[killCommitted]++
			case uncommitted > 0:
				rs.kinds[killUncommitted]++
			default:
				rs.kinds[killIdle]++
			}
			// The first child has seen no message before, so the batch its hook killed is
			// all in flight: committed after the commit, not before.
			if gen == 1 && c.Point == pointAfter && committed == 0 {
				t.Fatalf("run %d: the first child was killed after a commit, yet none of the messages in flight was committed %s", run, replay)
			}
			if gen == 1 && c.Point == pointBefore && uncommitted == 0 {
				t.Fatalf("run %d: the first child was killed before a commit, yet every message in flight was committed %s", run, replay)
			}
		}
		if finished || isClosed(done) {
			break
		}
	}
	<-done
	if !firstKilled {
		t.Fatalf("run %d: the first child was never killed (point %s): the run proves nothing %s", run, point, replay)
	}
	for _, m := range rs.msgs {
		if !m.acked {
			t.Fatalf("run %d: message %s has no AA %s", run, m.control, replay)
		}
		rs.resent += m.sends - 1
	}
	rs.took = time.Since(began)
	return rs
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// classify looks up, after a kill and before the restart, the messages that were in flight
// and lost their ACK, and counts those that were committed (they must be answered from the
// record when resent, their stored ACK is kept for check) and those that were not.
func (cw *crashWorld) classify(t *testing.T, run int, lost []*crashMsg, replay string) (committed, uncommitted int) {
	t.Helper()
	ctx := context.Background()
	err := cw.db.View(ctx, func(tx *store.Tx) error {
		for _, m := range lost {
			ack, ok, err := tx.Sync().AcceptedMessage(ctx, cw.dbID, m.key())
			if err != nil {
				return err
			}
			if !ok {
				uncommitted++
				continue
			}
			committed++
			if m.stored != nil && string(m.stored) != ack {
				t.Fatalf("run %d: message %s's stored ACK changed between two kills %s", run, m.control, replay)
			}
			m.stored = []byte(ack)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return committed, uncommitted
}

// check asserts what the issue promises about run's messages, and that the database holds
// exactly sent messages in all.
func (cw *crashWorld) check(t *testing.T, run, sent int, rs *crashRun, replay string) {
	t.Helper()
	ctx := context.Background()
	sqlDB := cw.db.SQLDB()
	counts := func(q string, args ...any) map[string]int {
		rows, err := sqlDB.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			m[k] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}

	// Each message recorded once, with the ACK its sender finally got.
	prefix := fmt.Sprintf("MD|%s|R%03d-", crashFacility, run)
	recorded := counts(`SELECT control_key, COUNT(*) FROM sync_messages WHERE database_id = $1 AND control_key LIKE $2 GROUP BY control_key`,
		cw.dbID, prefix+"%")
	if len(recorded) != len(rs.msgs) {
		t.Fatalf("run %d: %d of the run's %d messages are recorded %s", run, len(recorded), len(rs.msgs), replay)
	}
	total := counts(`SELECT 'all', COUNT(*) FROM sync_messages WHERE database_id = $1`, cw.dbID)["all"]
	if total != sent {
		t.Fatalf("run %d: %d messages recorded in all, want the %d sent: resends added rows %s", run, total, sent, replay)
	}
	err := cw.db.View(ctx, func(tx *store.Tx) error {
		for _, m := range rs.msgs {
			if n := recorded[m.key()]; n != 1 {
				t.Fatalf("run %d: message %s recorded %d times %s", run, m.control, n, replay)
			}
			ack, ok, err := tx.Sync().AcceptedMessage(ctx, cw.dbID, m.key())
			if err != nil {
				return err
			}
			switch {
			case !ok:
				t.Fatalf("run %d: message %s is not recorded %s", run, m.control, replay)
			case m.stored != nil && string(m.stored) != ack:
				t.Fatalf("run %d: message %s was committed before a kill, yet its stored ACK changed since %s", run, m.control, replay)
			case m.stored != nil && !bytes.Equal(m.ack, m.stored):
				t.Fatalf("run %d: message %s was committed before a kill lost its ACK; resent (%d sends), it was answered\n%q\nnot with its stored ACK\n%q %s",
					run, m.control, m.sends, m.ack, m.stored, replay)
			case !bytes.Equal(m.ack, []byte(ack)):
				t.Fatalf("run %d: message %s (%d sends) was answered\n%q\nbut the ACK stored for it is\n%q\n(applied twice?) %s",
					run, m.control, m.sends, m.ack, ack, replay)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Each patient once, with the latest values; each result once, with the latest action.
	extPrefix := fmt.Sprintf("C%03dP%%", run)
	pats := counts(`SELECT external_id, COUNT(*) FROM patients WHERE database_id = $1 AND external_id LIKE $2 GROUP BY external_id`, cw.dbID, extPrefix)
	res := counts(`SELECT external_id, COUNT(*) FROM results WHERE database_id = $1 AND external_id LIKE $2 GROUP BY external_id`, cw.dbID, extPrefix)
	if len(pats) != len(rs.patients) {
		t.Fatalf("run %d: %d patients, want %d %s", run, len(pats), len(rs.patients), replay)
	}
	if len(res) != 2*len(rs.patients) {
		t.Fatalf("run %d: %d results, want %d %s", run, len(res), 2*len(rs.patients), replay)
	}
	err = cw.db.View(ctx, func(tx *store.Tx) error {
		for _, want := range rs.patients {
			if pats[want.ext] != 1 {
				t.Fatalf("run %d: patient %s exists %d times %s", run, want.ext, pats[want.ext], replay)
			}
			p, err := tx.Patients().PatientByExternalID(ctx, cw.fx.Org.ID, cw.dbID, want.ext)
			if err != nil {
				return err
			}
			if p.GivenName != want.given || p.FamilyName != want.family || p.Mobile != want.mobile {
				t.Fatalf("run %d: patient %s is %q %q %q, want the latest update's %q %q %q %s",
					run, want.ext, p.GivenName, p.FamilyName, p.Mobile, want.given, want.family, want.mobile, replay)
			}
			rr, err := tx.Sync().ResultsOf(ctx, cw.fx.Org.ID, p.ID)
			if err != nil {
				return err
			}
			if len(rr) != len(want.results) {
				t.Fatalf("run %d: patient %s has %d results, want %d %s", run, want.ext, len(rr), len(want.results), replay)
			}
			for _, r := range rr {
				if res[r.ExternalID] != 1 {
					t.Fatalf("run %d: result %s exists %d times %s", run, r.ExternalID, res[r.ExternalID], replay)
				}
				if action, ok := want.results[r.ExternalID]; !ok || r.Action != action {
					t.Fatalf("run %d: result %s of patient %s has action %q, want the latest message's %q %s",
						run, r.ExternalID, want.ext, r.Action, action, replay)
				}
			}
		}
		n, err := tx.Sync().CountResults(ctx, cw.fx.Org.ID, cw.dbID)
		if err == nil && n != 2*crashPatients*(run+1) {
			t.Fatalf("run %d: %d results in all, want %d %s", run, n, 2*crashPatients*(run+1), replay)
		}
		if err != nil {
			return err
		}
		qs, err := tx.Sync().QuarantineItems(ctx, cw.fx.Org.ID, store.Page{Limit: 10})
		if err != nil {
			return err
		}
		for _, q := range qs {
			t.Errorf("run %d: quarantined: %s %s (%s)", run, q.MessageType, q.ControlID, q.Reason)
		}
		if len(qs) > 0 {
			t.FailNow()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// crashLink is what the sender's workers share with the test: the address of the live child
// (by generation), which worker holds a connection to which, and what each lost.
type crashLink struct {
	mu      sync.Mutex
	cond    *sync.Cond
	gen     int
	addr    string
	up      bool
	stopped bool
	conns   []int // per worker: the generation of its open connection, 0 when none
	lost    map[int][]*crashMsg
	errs    []string

	// The parent's kill: after killAtAck ACKs of the first child, and jitter.
	killAtAck int
	jitter    time.Duration
	acks      int
	proc      *os.Process
}

func newCrashLink(workers int) *crashLink {
	l := &crashLink{conns: make([]int, workers), lost: map[int][]*crashMsg{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// open publishes the address of the child of generation gen.
func (l *crashLink) open(gen int, addr string, proc *os.Process) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen, l.addr, l.up, l.proc = gen, addr, true, proc
	l.cond.Broadcast()
}

// close marks generation gen's child dead, waits until no worker holds a connection to it
// (each has read what ACKs its socket still held), and returns the messages they lost.
func (l *crashLink) close(gen int) []*crashMsg {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.up = false
	for slicesContain(l.conns, gen) {
		l.cond.Wait()
	}
	return l.lost[gen]
}

// stop releases the workers for good.
func (l *crashLink) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	l.cond.Broadcast()
}

func slicesContain(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// connect waits for a child newer than generation after and returns it; ok is false once
// the link is stopped.
func (l *crashLink) connect(w, after int) (gen int, addr string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !l.stopped && !(l.up && l.gen > after) {
		l.cond.Wait()
	}
	if l.stopped {
		return 0, "", false
	}
	l.conns[w] = l.gen
	return l.gen, l.addr, true
}

// drop records that worker w's connection to generation gen ended, losing lost.
func (l *crashLink) drop(w, gen int, lost []*crashMsg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[w] = 0
	l.lost[gen] = append(l.lost[gen], lost...)
	l.cond.Broadcast()
}

func (l *crashLink) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, fmt.Sprintf(format, args...))
}

func (l *crashLink) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

// acked counts an AA from generation gen's child; the one that reaches killAtAck on the
// first child kills it, after the jitter.
func (l *crashLink) acked(gen int) {
	l.mu.Lock()
	var proc *os.Process
	if gen == 1 && l.killAtAck > 0 {
		l.acks++
		if l.acks == l.killAtAck {
			proc = l.proc
		}
	}
	jitter := l.jitter
	l.mu.Unlock()
	if proc != nil {
		time.Sleep(jitter)
		_ = proc.Signal(syscall.SIGKILL)
	}
}

// crashSender is worker w of the sender: it sends q in order on one connection, keeping up
// to crashWindow messages in flight, a message only once its dependencies have their AA;
// when the connection drops it reconnects to the next child and sends again, in order,
// every message whose ACK did not arrive.
func crashSender(l *crashLink, w int, q []*crashMsg) {
	todo := append([]*crashMsg(nil), q...)
	after := 0
	for len(todo) > 0 {
		gen, addr, ok := l.connect(w, after)
		if !ok {
			return
		}
		after = gen
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := mllp.Dial(dctx, addr, nil)
		cancel()
		if err != nil {
			l.drop(w, gen, nil)
			continue
		}
		var inflight []*crashMsg
		var broken error
		for broken == nil && (len(todo) > 0 || len(inflight) > 0) {
			if len(inflight) < crashWindow && len(todo) > 0 && todo[0].ready() {
				m := todo[0]
				todo = todo[1:]
				inflight = append(inflight, m)
				m.sends++
				wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				broken = c.Write(wctx, m.raw)
				cancel()
				continue
			}
			rctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			ack, err := c.ReadAck(rctx)
			cancel()
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					l.fail("worker %d: no ACK for %s from child %d within 15 s, and the connection is still open: the service answered nothing",
						w, inflight[0].control, gen)
					c.Close()
					l.drop(w, gen, inflight)
					return
				}
				broken = err
				continue
			}
			m := inflight[0]
			a, err := hl7.Parse(ack)
			switch {
			case err != nil:
				l.fail("worker %d: the ACK of %s does not parse: %v", w, m.control, err)
			case a.Get("MSA-2") != m.control:
				l.fail("worker %d: the ACK for %s acknowledges %q (MSA-1 %s): an ACK is missing or out of order", w, m.control, a.Get("MSA-2"), a.Get("MSA-1"))
			case a.Get("MSA-1") != "AA":
				l.fail("worker %d: %s answered %s: %s", w, m.control, a.Get("MSA-1"), a.Get("MSA-3"))
			default:
				m.acked, m.ack = true, bytes.Clone(ack)
				inflight = inflight[1:]
				l.acked(gen)
				continue
			}
			c.Close()
			l.drop(w, gen, inflight)
			return
		}
		c.Close()
		l.drop(w, gen, inflight)
		// The unacknowledged are sent again, before the rest and in their order.
		todo = append(inflight, todo...)
	}
}

// crashProc is a running child service.
type crashProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	addr   string
	exited chan struct{}
	err    error // cmd.Wait's, once exited

	mu     sync.Mutex
	out    bytes.Buffer
	told   bool        // the address line was seen
	listen chan string // receives the address, once
}

func (p *crashProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out.Write(b)
	if !p.told {
		s := p.out.String()
		if i := strings.Index(s, crashAddr); i >= 0 {
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				p.listen <- s[i+len(crashAddr) : i+j]
				p.told = true
			}
		}
	}
	return len(b), nil
}

func (p *crashProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// killed reports whether the exited child died of SIGKILL.
func (p *crashProc) killed() bool {
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// startCrashChild starts a child service and waits for its address.
func startCrashChild(t *testing.T, c hl7CrashChild, replay string) *crashProc {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	p := &crashProc{exited: make(chan struct{}), listen: make(chan string, 1)}
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestHL7CrashChild$", "-test.count=1", "-test.timeout=2m")
	p.cmd.Env = append(os.Environ(), envHL7CrashChild+"="+string(b))
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.addr = <-p.listen:
		return p
	case <-p.exited:
		t.Fatalf("the child service exited before listening: %v %s\n%s", p.err, replay, p.output())
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("the child service did not listen within 30 s %s\n%s", replay, p.output())
	}
	return nil
}

// TestHL7CrashChild is the service process of TestHL7CrashSafety; it runs only when that
// test starts it. It serves MLLP on 127.0.0.1 as the server does (the service's applier
// behind an mllp.Server), prints its address, and stops gracefully when its stdin closes,
// unless its crash point kills it first.
func TestHL7CrashChild(t *testing.T) {
	raw := os.Getenv(envHL7CrashChild)
	if raw == "" {
		t.Skip("the service process of TestHL7CrashSafety: runs only when that test starts it")
	}
	var c hl7CrashChild
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: c.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := integration.New(db, integration.Config{Logger: log, Hooks: hl7CrashHooks(c.Point, c.At)})
	srv := &mllp.Server{Handler: svc, ReadTimeout: 5 * time.Second, IdleTimeout: time.Minute, ErrorLog: log}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	applied := make(chan error, 1)
	go func() { applied <- svc.Run(actx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	fmt.Printf("%s%s\n", crashAddr, ln.Addr())

	_, _ = io.Copy(io.Discard, os.Stdin) // until TestHL7CrashSafety closes it
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Error(err)
	}
	<-served
	stop()
	if err := <-applied; err != nil {
		t.Error(err)
	}
}

// hl7CrashHooks kills the process with SIGKILL at the call of point's hook whose batch
// brings the number of messages it has seen to at.
func hl7CrashHooks(point string, at int) integration.Hooks {
	var seen atomic.Int64
	hit := func(messages int) {
		n := seen.Add(int64(messages))
		if n >= int64(at) && n-int64(messages) < int64(at) {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute) // the signal is on its way
		}
	}
	switch point {
	case pointBefore:
		return integration.Hooks{BeforeCommit: hit}
	case pointAfter:
		return integration.Hooks{AfterCommit: hit}
	case "":
		return integration.Hooks{}
	}
	panic(fmt.Sprintf("unknown crash point %q", point))
}
