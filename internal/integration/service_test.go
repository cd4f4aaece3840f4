package integration_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// world is a store with one organisation whose hl7v2 database has the facility PMSTEST and
// one clinic, with Dr Sam Example's agenda offering a standard consultation and a check-up,
// and a running service behind an MLLP listener. Its clock stands at worldNow.
type world struct {
	db      *store.DB
	fx      storetest.Fixture
	dbID    clinic.DatabaseID
	addr    string
	svc     *integration.Service
	agenda  clinic.Agenda
	reasons []clinic.Reason // standard consultation, check-up
}

// seeded is a clinical database seedDatabase made.
type seeded struct {
	db      clinic.Database
	agenda  clinic.Agenda
	reasons []clinic.Reason
}

// seedDatabase makes a database of kind (Medical Director's profile for hl7v2, generic
// otherwise) with one clinic, slug, in Sydney, and Dr Sam Example's agenda offering the
// reasons named, 15 minutes each.
func seedDatabase(ctx context.Context, tx *store.Tx, org clinic.OrgID, kind clinic.DatabaseKind, slug string, reasons ...string) (seeded, error) {
	var s seeded
	prof := clinic.ProfileGeneric
	if kind == clinic.KindHL7v2 {
		prof = clinic.ProfileMedicalDirector
	}
	var err error
	if s.db, err = tx.Directory().CreateDatabase(ctx, org, clinic.Database{Name: "PMS " + slug, Kind: kind, Profile: prof, RespectOptOut: true}); err != nil {
		return s, err
	}
	cl, err := tx.Directory().CreateClinic(ctx, org, clinic.Clinic{DatabaseID: s.db.ID, Slug: slug, Name: "Clinic " + slug, Zone: "Australia/Sydney", Region: "AU"})
	if err != nil {
		return s, err
	}
	pr, err := tx.Directory().CreatePractitioner(ctx, org, clinic.Practitioner{Name: "Dr Sam Example", Title: "GP"})
	if err != nil {
		return s, err
	}
	if s.agenda, err = tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: cl.ID, PractitionerID: &pr.ID, Name: "Dr Example", Active: true}); err != nil {
		return s, err
	}
	for _, name := range reasons {
		r, err := tx.Directory().CreateReason(ctx, org, clinic.Reason{ClinicID: cl.ID, Name: name, Duration: 15 * time.Minute,
			Notifications: true, OnlineBookable: true, AgendaIDs: []clinic.AgendaID{s.agenda.ID}})
		if err != nil {
			return s, err
		}
		s.reasons = append(s.reasons, r)
	}
	return s, nil
}

// worldNow is the test world's clock: the messages' appointments are a week later.
var worldNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func start(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, func() time.Time { return worldNow })
	fx := storetest.Seed(t, db, "sync")
	var sd seeded
	if err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if sd, err = seedDatabase(ctx, tx, fx.Org.ID, clinic.KindHL7v2, "sync-hl7", "Standard consultation", "Check-up"); err != nil {
			return err
		}
		return tx.Sync().SetHL7Facility(ctx, fx.Org.ID, sd.db.ID, "PMSTEST")
	}); err != nil {
		t.Fatal(err)
	}
	d, ag, reasons := sd.db, sd.agenda, sd.reasons
	svc := integration.New(db, integration.Config{})
	srv := &mllp.Server{Handler: svc, ReadTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	applied := make(chan error, 1)
	go func() { applied <- svc.Run(actx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
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
	})
	return &world{db: db, fx: fx, dbID: d.ID, addr: ln.Addr().String(), svc: svc, agenda: ag, reasons: reasons}
}

func (w *world) dial(t *testing.T) *mllp.Client {
	t.Helper()
	c, err := mllp.Dial(context.Background(), w.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// send sends msg and returns the ACK's MSA-1 and MSA-3.
func send(t *testing.T, c *mllp.Client, msg string) (code, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ack, err := c.Send(ctx, []byte(strings.ReplaceAll(msg, "\n", "\r")))
	if err != nil {
		t.Fatal(err)
	}
	a, err := hl7.Parse(ack)
	if err != nil {
		t.Fatalf("ACK does not parse: %v", err)
	}
	return a.Get("MSA-1"), a.Get("MSA-3")
}

func adt(event, control, when, ext, family, given, mobile, pd1 string) string {
	return "MSH|^~\\&|MD|PMSTEST|TIDINGS|TIDINGS|" + when + "||ADT^" + event + "^ADT_A01|" + control + "|P|2.4\n" +
		"EVN|" + event + "|" + when + "\n" +
		"PID|1||" + ext + "^^^MD^MR||" + family + "^" + given + "||19800412|F|||||^PRN^CP^^^^^^^^^" + mobile + "\n" +
		"PD1|||||||||||" + pd1 + "\n"
}

func (w *world) patient(t *testing.T, ext string) (clinic.Patient, bool) {
	t.Helper()
	var p clinic.Patient
	err := w.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		p, err = tx.Patients().PatientByExternalID(context.Background(), w.fx.Org.ID, w.dbID, ext)
		return err
	})
	if errors.Is(err, clinic.ErrNotFound) {
		return p, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return p, true
}

func (w *world) quarantined(t *testing.T) []store.QuarantineItem {
	t.Helper()
	var qs []store.QuarantineItem
	if err := w.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		qs, err = tx.Sync().QuarantineItems(context.Background(), w.fx.Org.ID, store.Page{Limit: 1000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return qs
}

// TestADTCreatesAndUpdatesPatients: A04 creates the patient, normalised like every writer's
// (E.164 mobile); A08 updates it; a resent control id gets the same ACK and changes nothing;
// an A08 older than the last one applied changes nothing (SYN-1, SYN-4).
func TestADTCreatesAndUpdatesPatients(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	if code, text := send(t, c, adt("A04", "C1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", "")); code != "AA" {
		t.Fatalf("A04: %s %s", code, text)
	}
	p, ok := w.patient(t, "MRN1")
	if !ok {
		t.Fatal("A04 created no patient")
	}
	if diff := cmp.Diff([]string{"Linh", "Nguyen", "+61412345678", "1980-04-12"}, []string{p.GivenName, p.FamilyName, p.Mobile, p.BirthDate}); diff != "" {
		t.Errorf("patient (-want +got):\n%s", diff)
	}
	// An update, then the same message again, then an older one.
	if code, _ := send(t, c, adt("A08", "C2", "20261201100000", "MRN1", "Nguyen", "Linh Mai", "0412 345 678", "")); code != "AA" {
		t.Fatalf("A08: %s", code)
	}
	if code, _ := send(t, c, adt("A08", "C2", "20261201100000", "MRN1", "Nguyen", "Linh Mai", "0412 345 678", "")); code != "AA" {
		t.Fatalf("A08 resent: %s", code)
	}
	if code, _ := send(t, c, adt("A08", "C3", "20261201093000", "MRN1", "Old", "Name", "0412 345 678", "")); code != "AA" {
		t.Fatalf("older A08: %s", code)
	}
	p, _ = w.patient(t, "MRN1")
	if p.GivenName != "Linh Mai" || p.FamilyName != "Nguyen" {
		t.Errorf("after the older A08 the patient is %q %q, want Linh Mai Nguyen", p.GivenName, p.FamilyName)
	}
	var n int
	if err := w.db.View(context.Background(), func(tx *store.Tx) error {
		_, ok, err := tx.Sync().AcceptedMessage(context.Background(), w.dbID, "MD|PMSTEST|C2")
		if ok {
			n++
		}
		return err
	}); err != nil || n != 1 {
		t.Errorf("C2 recorded %d times (err %v), want once", n, err)
	}
}

// TestBadMessagesAreRefusedAndKept: a message with an invalid mobile, one from an unknown
// facility and one that does not parse each get a NAK with the reason, are kept in
// quarantine (the one of no database outside the organisation's list), and the connection
// stays usable (SYN-4).
func TestBadMessagesAreRefusedAndKept(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	code, text := send(t, c, adt("A04", "B1", "20261201090000", "MRN2", "Smith", "Jo", "12", ""))
	if code != "AE" || !strings.Contains(text, "mobile") {
		t.Errorf("bad mobile: %s %q, want AE naming mobile", code, text)
	}
	if _, ok := w.patient(t, "MRN2"); ok {
		t.Error("a refused message created a patient")
	}
	code, _ = send(t, c, strings.Replace(adt("A04", "B2", "20261201090000", "MRN3", "Smith", "Jo", "0412345678", ""), "PMSTEST", "ELSEWHERE", 1))
	if code != "AR" {
		t.Errorf("unknown facility: %s, want AR", code)
	}
	code, _ = send(t, c, "MSH|^~\\&|MD|PMSTEST|||20261201||ADT^A04|B3|P|2.4\nPID|1||\x01bad")
	if code != "AR" && code != "AE" {
		t.Errorf("unparseable: %s, want a NAK", code)
	}
	// Still usable.
	if code, text := send(t, c, adt("A04", "B4", "20261201090000", "MRN4", "Smith", "Jo", "0412 345 679", "")); code != "AA" {
		t.Errorf("good message after bad ones: %s %s", code, text)
	}
	qs := w.quarantined(t)
	if len(qs) < 2 {
		t.Fatalf("%d items in quarantine, want at least 2 (bad mobile, unparseable)", len(qs))
	}
	for _, q := range qs {
		if q.Reason == "" || len(q.Raw) == 0 {
			t.Errorf("quarantined item %d has no reason or no raw message", q.ID)
		}
		if strings.Contains(q.Reason, "Smith") {
			t.Errorf("reason %q holds patient data", q.Reason)
		}
	}
}

// TestMalformedCorpus sends the HL7 package's corpus of malformed messages (parse- and
// validate-level) on one connection: each gets a NAK, nothing panics, and the connection
// stays usable to the end.
func TestMalformedCorpus(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	dir := filepath.Join("..", "hl7", "testdata", "malformed")
	f, err := os.Open(filepath.Join(dir, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sent := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 || strings.HasPrefix(cols[0], "#") || cols[0] == "file" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, cols[0]))
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) == 0 || strings.ContainsAny(string(raw), "\x0b\x1c") {
			continue // not sendable inside an MLLP frame
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ack, err := c.Send(ctx, raw)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", cols[0], err)
		}
		a, err := hl7.Parse(ack)
		if err != nil {
			t.Fatalf("%s: ACK does not parse: %v", cols[0], err)
		}
		if code := a.Get("MSA-1"); code == "AA" {
			t.Errorf("%s (%s): accepted, want a NAK", cols[0], strings.Join(cols[1:], " "))
		}
		sent++
	}
	if sent < 200 {
		t.Errorf("sent %d malformed messages, want at least 200", sent)
	}
	if code, text := send(t, c, adt("A04", "AFTER", "20261201090000", "MRN9", "Ok", "Still", "0412 345 670", "")); code != "AA" {
		t.Errorf("after the corpus: %s %s", code, text)
	}
}

// TestRefusalRecorded (SYN-4): a refused message sent again gets the same NAK, byte for
// byte, and is kept in quarantine once, not once per resend.
func TestRefusalRecorded(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	msg := strings.ReplaceAll(adt("A04", "R1", "20261201090000", "MRN7", "Smith", "Jo", "12", ""), "\n", "\r")
	var acks []string
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ack, err := c.Send(ctx, []byte(msg))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		acks = append(acks, string(ack))
	}
	if !strings.Contains(acks[0], "|AE|") || acks[1] != acks[0] || acks[2] != acks[0] {
		t.Errorf("NAKs of a message sent three times differ or are not AE:\n%q", acks)
	}
	if qs := w.quarantined(t); len(qs) != 1 {
		t.Errorf("%d quarantine items for one message sent three times, want 1", len(qs))
	}
}

// TestConcurrentCommitOfSameControlID: the last transaction of a killed instance can commit
// on PostgreSQL after its sender has resent the message to the restarted one. The resend
// then meets the committed record (a unique-key conflict once the other commits): the
// service runs its batch again and answers from the record, instead of failing the batch.
// On SQLite the single writer serialises the two, with the same answer.
func TestConcurrentCommitOfSameControlID(t *testing.T) {
	w := start(t)
	c := w.dial(t)
	msg := adt("A04", "K1", "20261201090000", "MRN8", "Lee", "Kim", "0412 345 600", "")
	const stored = "MSH|^~\\&|TIDINGS|TIDINGS|MD|PMSTEST|20261201090001||ACK^A04^ACK|STORED|P|2.4\rMSA|AA|K1\r"
	ctx := context.Background()
	held := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- w.db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.Sync().RecordMessage(ctx, store.SyncMessage{OrgID: w.fx.Org.ID, DatabaseID: w.dbID, ControlKey: "MD|PMSTEST|K1",
				MessageType: "ADT^A04^ADT_A01", Outcome: store.SyncApplied, ACK: stored}); err != nil {
				return err
			}
			close(held)
			time.Sleep(500 * time.Millisecond)
			return nil
		})
	}()
	<-held
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ack, err := c.Send(sctx, []byte(strings.ReplaceAll(msg, "\n", "\r")))
	if err != nil {
		t.Fatalf("resend during the other commit: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if string(ack) != stored {
		t.Errorf("ACK %q, want the stored one", ack)
	}
	if _, ok := w.patient(t, "MRN8"); ok {
		t.Error("the message was applied a second time")
	}
}

// TestAdjustedProfile (SYN-1, RES-1, RES-2): a database's adjusted profile decides which
// results are taken and what an action leads to; going back to the defaults restores the
// software's rules.
func TestAdjustedProfile(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	c := w.dial(t)
	admin := clinic.SystemActor(w.fx.Org.ID, "test")
	send(t, c, adt("A04", "P1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", ""))
	oru := func(control, result, category, action string) string {
		return "MSH|^~\\&|MD|PMSTEST|TIDINGS|TIDINGS|20261201120000||ORU^R01^ORU_R01|" + control + "|P|2.4\n" +
			"PID|1||MRN1^^^MD^MR||Nguyen^Linh||19800412|F\n" +
			"OBR|1||" + result + "|FBC^Full blood count^LOCAL|||202611300800|||||||||DR01^Example^Sam||||||||HM|F\n" +
			"ZRA|" + action + "|DR01^Example^Sam|20261201115000||N|" + category + "\n"
	}
	results := func() map[string]string {
		t.Helper()
		p, _ := w.patient(t, "MRN1")
		out := map[string]string{}
		if err := w.db.View(ctx, func(tx *store.Tx) error {
			rs, err := tx.Sync().ResultsOf(ctx, w.fx.Org.ID, p.ID)
			for _, r := range rs {
				out[r.ExternalID] = r.Outcome + ":" + r.Template
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Medical Director's defaults take "Result" only, and "Review" is manual.
	send(t, c, oru("O1", "L1", "Pathology", "Discuss"))
	if _, ok := results()["L1"]; ok {
		t.Error("a Pathology result was taken by the default profile")
	}
	err := w.svc.SetProfile(ctx, admin, w.dbID, integration.Profile{ResultCategories: []string{"Result", "Pathology"},
		Actions: []integration.ActionRule{{Action: "Review", Outcome: integration.OutcomeTemplate, Template: integration.TemplateDiscuss}}})
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, oru("O2", "L2", "Pathology", "Review"))
	if got := results()["L2"]; got != "template:discuss" {
		t.Errorf("with the adjusted profile: %q, want template:discuss", got)
	}
	if err := w.svc.SetProfile(ctx, admin, w.dbID, integration.Profile{Actions: []integration.ActionRule{{Action: "", Outcome: "maybe"}}}); !clinic.HasField(clinic.FieldsOf(err), "actions[0].action") {
		t.Errorf("an invalid profile: %v, want a field error on actions[0].action", err)
	}
	if err := w.svc.ResetProfile(ctx, admin, w.dbID); err != nil {
		t.Fatal(err)
	}
	send(t, c, oru("O3", "L3", "Pathology", "Review"))
	if _, ok := results()["L3"]; ok {
		t.Error("after going back to the defaults a Pathology result was taken")
	}
}

// TestRefusalAmongApplied: messages from several connections are committed together; one
// refused among them is kept and NAKed while the others are applied (the batch is applied
// again with a savepoint per message once a refusal shows).
func TestRefusalAmongApplied(t *testing.T) {
	w := start(t)
	const conns, each = 4, 10
	var wg sync.WaitGroup
	codes := make([][]string, conns)
	for ci := range conns {
		c := w.dial(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				mobile := fmt.Sprintf("0412 %03d %03d", ci, i)
				if ci == 2 && i == 5 {
					mobile = "12" // refused
				}
				msg := adt("A04", fmt.Sprintf("G%d-%d", ci, i), "20261201090000", fmt.Sprintf("G%d-%d", ci, i), "Batch", "Pat", mobile, "")
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := c.Write(ctx, []byte(strings.ReplaceAll(msg, "\n", "\r"))); err != nil {
					t.Error(err)
				}
				cancel()
			}
			for range each {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				ack, err := c.ReadAck(ctx)
				cancel()
				if err != nil {
					t.Error(err)
					return
				}
				a, _ := hl7.Parse(ack)
				codes[ci] = append(codes[ci], a.Get("MSA-1"))
			}
		}()
	}
	wg.Wait()
	for ci := range conns {
		for i, code := range codes[ci] {
			want := "AA"
			if ci == 2 && i == 5 {
				want = "AE"
			}
			if code != want {
				t.Errorf("message %d-%d: %s, want %s", ci, i, code, want)
			}
			if _, ok := w.patient(t, fmt.Sprintf("G%d-%d", ci, i)); ok != (want == "AA") {
				t.Errorf("message %d-%d: patient stored %v", ci, i, ok)
			}
		}
	}
	if qs := w.quarantined(t); len(qs) != 1 {
		t.Errorf("%d in quarantine, want 1", len(qs))
	}
}
