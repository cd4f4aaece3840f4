package recall_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// t0 is Tuesday 2026-03-10 10:00 in Sydney (UTC+11): the results of these tests were
// performed the day before, and the dispatcher is outside quiet hours.
var t0 = time.Date(2026, 3, 9, 23, 0, 0, 0, time.UTC)

// facility is the sending facility (MSH-4) of the fixture's clinical database.
const facility = "PMSTEST"

// world is the fixture organisation (its database Zedmed's, so the generic action rules,
// HL7 v2 from facility PMSTEST; its clinic in Sydney; Grace Hopper, external id P1) with
// the sync service applying HL7 messages in process, the booking use cases, a dispatcher
// sending to the outbox with the recall links minted, and the recall service, on a clock
// the test moves.
type world struct {
	t       *testing.T
	clock   *storetest.Clock
	db      *store.DB
	f       storetest.Fixture
	sync    *integration.Service
	booking *booking.Service
	d       *dispatch.Dispatcher
	svc     *recall.Service
	minter  *minter
	admin   clinic.Actor
	syd     *time.Location
	control int
}

// minter makes the recall steps' links as the app does, remembering them.
type minter struct {
	svc   *recall.Service
	mu    sync.Mutex
	links []string
}

func (m *minter) Mint(ctx context.Context, tx *store.Tx, n store.Notification) (dispatch.Minted, error) {
	link, err := m.svc.Mint(ctx, tx, n)
	if err == nil {
		m.mu.Lock()
		m.links = append(m.links, link)
		m.mu.Unlock()
	}
	return dispatch.Minted{Link: link}, err
}

func (m *minter) Redact(text string) string { return recall.Redact(text) }

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, clock: storetest.NewClock(t0)}
	w.db = storetest.Open(t, w.clock.Now)
	w.f = storetest.Seed(t, w.db, "acme")
	if err := w.db.Update(ctx, func(tx *store.Tx) error {
		return tx.Sync().SetHL7Facility(ctx, w.f.Org.ID, w.f.Database.ID, facility)
	}); err != nil {
		t.Fatal(err)
	}
	w.syd, _ = time.LoadLocation("Australia/Sydney")
	w.admin = clinic.StaffActor(clinic.User{ID: 1, OrgID: w.f.Org.ID, Role: clinic.RoleAdministrator})
	w.booking = booking.New(w.db)
	w.svc = recall.New(w.db, recall.Config{PublicURL: "https://tidings.example", Now: w.clock.Now})
	w.minter = &minter{svc: w.svc}
	sms := &dispatch.SMS{Fallback: dispatch.Outbox{}, Breakers: dispatch.NewBreakers(w.clock.Now)}
	w.d = dispatch.New(w.db, dispatch.Config{PublicURL: "https://tidings.example"}, dispatch.Senders{SMS: sms, Email: dispatch.Outbox{}}, nil)
	w.d.SetLinks(w.minter)
	w.sync = integration.New(w.db, integration.Config{RouteTTL: time.Millisecond})
	rctx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- w.sync.Run(rctx) }()
	t.Cleanup(func() {
		stop()
		<-ran
	})
	return w
}

// result is one OBR group of an ORU^R01 with its ZRA (docs/hl7-mapping.md).
type result struct {
	id, test  string
	performed string // OBR-7
	action    string // ZRA-1; "" with no category: no ZRA
	state     string // ZRA-4: N, G, D
	flag      string // ZRA-5
	category  string // ZRA-6
	comments  string // NTE after ZRA
}

// oru builds an ORU^R01 from facility about patient (PID-3).
func (w *world) oru(facility, patient string, rs ...result) string {
	w.control++
	var b strings.Builder
	fmt.Fprintf(&b, "MSH|^~\\&|PMS|%s|TIDINGS|TIDINGS|%s||ORU^R01^ORU_R01|C%05d|P|2.4\r", facility, w.clock.Now().In(w.syd).Format("20060102150405"), w.control)
	fmt.Fprintf(&b, "PID|1||%s^^^PMS^MR||Hopper^Grace||19801209|F\r", patient)
	for i, r := range rs {
		fmt.Fprintf(&b, "OBR|%d||%s|T%d^%s^LOCAL|||%s|||||||||DR01^Example^Sam\r", i+1, r.id, i+1, r.test, r.performed)
		if r.action != "" || r.category != "" || r.state != "" {
			fmt.Fprintf(&b, "ZRA|%s|DR01^Example^Sam|%s|%s|%s|%s\r", r.action, w.clock.Now().In(w.syd).Format("20060102150405"), r.state, r.flag, r.category)
		}
		if r.comments != "" {
			fmt.Fprintf(&b, "NTE|1||%s\r", r.comments)
		}
	}
	return b.String()
}

// send hands an HL7 message to the sync service as the MLLP listener does and waits for
// its acknowledgement, which must be AA.
func (w *world) send(msg string) {
	w.t.Helper()
	acks := make(chan []byte, 1)
	w.sync.HandleMLLP(ctx, &mllp.Request{Payload: []byte(msg), ConnID: 1, Received: w.clock.Now()}, func(b []byte) { acks <- b })
	select {
	case ack := <-acks:
		if !strings.Contains(string(ack), "MSA|AA|") {
			w.t.Fatalf("message refused: %q", strings.ReplaceAll(string(ack), "\r", "\n"))
		}
	case <-time.After(20 * time.Second):
		w.t.Fatal("no acknowledgement")
	}
}

// results sends results about the fixture's patient.
func (w *world) results(rs ...result) {
	w.t.Helper()
	w.send(w.oru(facility, "P1", rs...))
}

// patient creates a patient of database db (external id ext) with the fixture patient's
// details changed by edit.
func (w *world) patient(db clinic.DatabaseID, ext string, edit func(*clinic.Patient)) clinic.Patient {
	w.t.Helper()
	p := clinic.Patient{DatabaseID: db, ExternalID: ext, GivenName: "Ada", FamilyName: "Byron", BirthDate: "1985-12-10",
		Mobile: "+61412000001", Email: "ada@example.com", Language: "en"}
	if edit != nil {
		edit(&p)
	}
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		p, err = tx.Patients().CreatePatient(ctx, w.f.Org.ID, p)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// database creates a clinical database of software prof sending HL7 v2 from fac, with one
// clinic in Sydney.
func (w *world) database(prof clinic.SoftwareProfile, fac string) (clinic.Database, clinic.Clinic) {
	w.t.Helper()
	var d clinic.Database
	var c clinic.Clinic
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		if d, err = tx.Directory().CreateDatabase(ctx, w.f.Org.ID, clinic.Database{Name: "PMS " + fac, Kind: clinic.KindHL7v2, Profile: prof, RespectOptOut: true}); err != nil {
			return err
		}
		if c, err = tx.Directory().CreateClinic(ctx, w.f.Org.ID, clinic.Clinic{DatabaseID: d.ID, Slug: strings.ToLower(fac), Name: "Clinic " + fac,
			Zone: "Australia/Sydney", Region: "AU"}); err != nil {
			return err
		}
		return tx.Sync().SetHL7Facility(ctx, w.f.Org.ID, d.ID, fac)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return d, c
}

// sequences lists a patient's sequences, newest first.
func (w *world) sequences(p clinic.PatientID) []store.Sequence {
	w.t.Helper()
	var out []store.Sequence
	if err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Recalls().SequencesOfPatient(ctx, w.f.Org.ID, p, 100)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// only is the patient's one sequence; the test fails unless there is exactly one.
func (w *world) only(p clinic.PatientID) store.Sequence {
	w.t.Helper()
	ss := w.sequences(p)
	if len(ss) != 1 {
		w.t.Fatalf("patient %d has %d sequences, want 1: %+v", p, len(ss), ss)
	}
	return ss[0]
}

// sequence reads a sequence again.
func (w *world) sequence(id int64) store.Sequence {
	w.t.Helper()
	var s store.Sequence
	if err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		s, err = tx.Recalls().Sequence(ctx, w.f.Org.ID, id)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return s
}

// steps lists a sequence's notifications, by step then id.
func (w *world) steps(seq int64) []store.Notification {
	w.t.Helper()
	var out []store.Notification
	if err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Recalls().StepsOf(ctx, w.f.Org.ID, seq)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// inState lists the steps of ns in state.
func inState(ns []store.Notification, state string) []store.Notification {
	var out []store.Notification
	for _, n := range ns {
		if n.State == state {
			out = append(out, n)
		}
	}
	return out
}

// wantWithdrawn checks the steps of a sequence of three stopped after its first step was
// sent: that one kept, steps 1 and 2 withdrawn (cancelled), each for a reason that names
// every one of rules.
func wantWithdrawn(t *testing.T, steps []store.Notification, rules ...string) {
	t.Helper()
	if got := stepNumbers(inState(steps, store.NoteSent)); !slices.Equal(got, []int{0}) {
		t.Errorf("sent steps %v, want the first, kept", got)
	}
	withdrawn := inState(steps, store.NoteCancelled)
	if got := stepNumbers(withdrawn); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("withdrawn steps %v, want 1 and 2", got)
	}
	for _, n := range withdrawn {
		for _, rule := range rules {
			if !strings.Contains(n.Reason, rule) {
				t.Errorf("step %d withdrawn for %q, want %s", n.Step, n.Reason, rule)
			}
		}
	}
}

// stepNumbers lists the step numbers of ns.
func stepNumbers(ns []store.Notification) []int {
	out := []int{}
	for _, n := range ns {
		out = append(out, n.Step)
	}
	return out
}

// stored reads a result of database db by its external id.
func (w *world) stored(db clinic.DatabaseID, ext string) (store.Result, bool) {
	w.t.Helper()
	var r store.Result
	found := true
	if err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		r, err = tx.Sync().ResultByExternalID(ctx, db, ext)
		if errors.Is(err, clinic.ErrNotFound) {
			found, err = false, nil
		}
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return r, found
}

// checklist lists the action checklist (RES-7) of the whole organisation and its counts.
func (w *world) checklist() ([]store.ChecklistItem, map[string]int) {
	w.t.Helper()
	items, counts, err := w.svc.Checklist(ctx, w.admin, store.ChecklistFilter{}, store.Page{Limit: 500})
	if err != nil {
		w.t.Fatal(err)
	}
	return items, counts
}

// drain runs dispatcher rounds until nothing is claimed.
func (w *world) drain() {
	w.t.Helper()
	for range 50 {
		n, err := w.d.Round(ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	w.t.Fatal("the dispatcher never ran out of work")
}

// book books the fixture patient (or p) at start through the booking use case.
func (w *world) book(p clinic.PatientID, start time.Time) clinic.Appointment {
	w.t.Helper()
	b, err := w.booking.Book(ctx, w.admin, booking.Request{PatientID: p, ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, Start: start,
		AllowOutsideHours: true, AllowSameDay: true}, nil)
	if err != nil {
		w.t.Fatalf("book: %v", err)
	}
	return b.Appointment
}

func (w *world) cancel(a clinic.Appointment) clinic.Appointment {
	w.t.Helper()
	c, err := w.booking.Cancel(ctx, w.admin, booking.Change{ID: a.ID, Version: a.Version})
	if err != nil {
		w.t.Fatalf("cancel: %v", err)
	}
	return c
}

// appointment reads an appointment again (its version moved on).
func (w *world) appointment(id clinic.AppointmentID) clinic.Appointment {
	w.t.Helper()
	var a clinic.Appointment
	if err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		a, err = tx.Appointments().Appointment(ctx, w.f.Org.ID, id)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return a
}

// audits counts the audit rows of action.
func (w *world) audits(action string) int {
	w.t.Helper()
	return storetest.Count(w.t, w.db, `SELECT COUNT(*) FROM audit_log WHERE organisation_id = $1 AND action = $2`, w.f.Org.ID, action)
}

// local is a time in Sydney in March 2026, as HL7 writes it with its offset.
func local(day, hour, min int) string {
	syd, _ := time.LoadLocation("Australia/Sydney")
	return time.Date(2026, 3, day, hour, min, 0, 0, syd).Format("20060102150405-0700")
}
