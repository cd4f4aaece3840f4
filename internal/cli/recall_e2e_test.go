package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/nodetest"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// simpleHL7 is the real HL7 v2 peer of TestRecallEndToEnd: the npm package simple-hl7, run
// by internal/integration's testdata/simplehl7/send.mjs (TestSimpleHL7Peer's sender).
const simpleHL7 = "simple-hl7@3.3.0"

// The patient of TestRecallEndToEnd, as the clinical software registers them, and the
// results it sends: two tests performed the same morning (RES-6). The mobile is one of the
// numbers ACMA reserves for fiction.
const (
	recallExternalID = "RCL-E2E-1"
	recallSurname    = "Van der Berg"
	recallBirth      = "1979-05-23"
	recallMobile     = "+61491570156"
	recallEmail      = "aoife.vdb@example.com"
	recallPassword   = "a long recall patient password"
)

// TestRecallEndToEnd is issue #12's end to end with real peers (RES-3, RES-4, RES-5, RES-6):
// `tidings demo` runs with its MLLP listener and the clinic's SMS account pointed at the
// loopback Twilio-compatible provider (twiliotest). npm simple-hl7 sends, over MLLP, an
// ADT^A04 registering a patient and an ORU^R01 with two results of one morning actioned
// "Discuss" without comments (Medical Director's non-urgent template action, ZRA segment).
// One recall groups both (RES-6) and its first step arrives at the provider as one SMS
// whose body carries the /r/{token} link and no test name or value (RES-3). Over HTTP, with
// a cookie jar as a browser has and the headers a same-origin form post sends, the patient
// opens the link: the page names no clinic until they confirm who they are; the form posted
// from another site is refused (403); a wrong date of birth is refused; their surname as
// they type it and their date of birth pass, and the page names the doctor and the clinic
// with a Book link into the portal. They follow it, sign in, and book through the portal's
// steps (reason, practitioner, day, time). The recall is booked and its two steps still
// planned are withdrawn (RES-4), no further SMS leaving. A second ORU^R01 marks the results
// notified (ZRA-4 N): the recall is done (RES-5), and the link now says there is nothing
// more to do.
func TestRecallEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server and a Node.js HL7 client")
	}
	ctx := context.Background()
	peer := nodetest.Install(t, simpleHL7)
	script, err := filepath.Abs(filepath.Join("..", "integration", "testdata", "simplehl7", "send.mjs"))
	if err != nil {
		t.Fatal(err)
	}

	// The demo's database, seeded before the server starts so that the SMS account and the
	// clinic's sending hours are there when its dispatcher loads them: no quiet hours, so
	// that the first step leaves at once whatever the hour in Sydney (NOT-8 is not under
	// test here).
	provider := twiliotest.NewServer(twiliotest.WithCallbackCopies(1, 1))
	t.Cleanup(provider.Close)
	dsn := storetest.DSN(t)
	db := openStore(t, dsn)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seeded, err := demo.Seed(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	org := seeded.Org.ID
	system := clinic.SystemActor(org, "test")
	var pms clinic.Database
	var sydney []clinic.Clinic
	err = db.Update(ctx, func(tx *store.Tx) error {
		dbs, err := tx.Directory().Databases(ctx, org, store.Page{Limit: 10})
		if err != nil {
			return err
		}
		for _, d := range dbs {
			if f, err := tx.Sync().HL7Facility(ctx, org, d.ID); err == nil && f == demo.HL7Facility {
				pms = d
			}
		}
		if pms.ID == 0 {
			return fmt.Errorf("the demo has no database with facility %s", demo.HL7Facility)
		}
		if sydney, err = tx.Directory().ClinicsOfDatabase(ctx, org, pms.ID); err != nil {
			return err
		}
		_, err = tx.Notifications().PutSMSAccount(ctx, org, store.SMSAccount{BaseURL: provider.URL, AccountSID: provider.AccountSID,
			AuthToken: provider.AuthToken, Sender: "+61400000000"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sydney {
		if _, err := notify.New(db).SetSettings(ctx, system, c.ID, notify.SettingsInput{Channels: []string{"sms", "email"},
			ReminderOffsets: []string{"72h", "2h"}, GraceSeconds: 120, WindowFrom: "00:00", WindowTo: "24:00", RemindConfirmed: true, AskReply: true}); err != nil {
			t.Fatalf("sending hours of %s: %v", c.Name, err)
		}
	}
	mllp := freeAddr(t)
	base := strings.TrimSuffix(startDemoWith(t, dsn, "--mllp-addr", mllp), "/")

	// The clinical software registers the patient and sends two results of this morning,
	// actioned "Discuss" without comments (the profile's template action): AA for both.
	syd, _ := time.LoadLocation("Australia/Sydney")
	now := time.Now().In(syd)
	performed := now.Add(-time.Hour).Truncate(time.Minute)
	if performed.Format(time.DateOnly) != now.Format(time.DateOnly) {
		performed = now.Truncate(time.Minute) // just after midnight: still one day for both
	}
	dir := t.TempDir()
	a04 := writeHL7(t, dir, "a04.hl7",
		"MSH|^~\\&|MD|"+demo.HL7Facility+"|TIDINGS|TIDINGS|"+hl7Time(now)+"||ADT^A04^ADT_A01|RCL-A04-1|P|2.4",
		"EVN|A04|"+hl7Time(now),
		"PID|1||"+recallExternalID+"^^^MD^MR||"+recallSurname+"^Aoife||"+strings.ReplaceAll(recallBirth, "-", "")+
			"|F|||1 Example Lane^^Sydney^NSW^2000^AU||^PRN^CP^^^^^^^^^0491 570 156~^NET^Internet^"+recallEmail+"|||||||||||||||||N")
	oru := func(control string, at time.Time, state string) string {
		return writeHL7(t, dir, control+".hl7",
			"MSH|^~\\&|MD|"+demo.HL7Facility+"|TIDINGS|TIDINGS|"+hl7Time(at)+"||ORU^R01^ORU_R01|"+control+"|P|2.4",
			"PID|1||"+recallExternalID+"^^^MD^MR||"+recallSurname+"^Aoife||"+strings.ReplaceAll(recallBirth, "-", "")+"|F",
			"OBR|1||RCL-LAB-1|FBC^Full blood count^LOCAL|||"+hl7Time(performed)+"|||||||||DR01^Nguyen^Amelia||||||||HM|F",
			"OBX|1|NM|HB^Haemoglobin^LOCAL||98|g/L|115-165|L|||F",
			"ZRA|Discuss|DR01^Nguyen^Amelia|"+hl7Time(at)+"|"+state+"|N|Result",
			"OBR|2||RCL-LAB-2|LIPID^Lipids^LOCAL|||"+hl7Time(performed)+"|||||||||DR01^Nguyen^Amelia||||||||CH|F",
			"OBX|1|NM|CHOL^Cholesterol^LOCAL||7.9|mmol/L|<5.5|H|||F",
			"ZRA|Discuss|DR01^Nguyen^Amelia|"+hl7Time(at)+"|"+state+"|N|Result")
	}
	sendHL7(t, peer, script, mllp, a04, oru("RCL-R01-1", now, ""))

	var patient clinic.Patient
	err = db.View(ctx, func(tx *store.Tx) (err error) {
		patient, err = tx.Patients().PatientByExternalID(ctx, org, pms.ID, recallExternalID)
		return err
	})
	if err != nil {
		t.Fatalf("the A04 sent by simple-hl7 created no patient: %v", err)
	}
	if patient.Mobile != recallMobile || patient.BirthDate != recallBirth {
		t.Fatalf("patient %+v: want mobile %s, born %s", patient, recallMobile, recallBirth)
	}

	// RES-6: both results in one recall, started at once (RES-3): its first step leaves as
	// one SMS, with the identity-check link and nothing of the results.
	seq := onlySequence(t, db, patient)
	if seq.State != store.SeqActive || !strings.Contains(seq.Title, "Full blood count") || !strings.Contains(seq.Title, "Lipids") {
		t.Fatalf("recall %d is %s titled %q: want active, grouping both results (RES-6)", seq.ID, seq.State, seq.Title)
	}
	first := awaitSMS(t, provider, recallMobile, 1)[0]
	linkRE := regexp.MustCompile(regexp.QuoteMeta(base) + `(/r/[A-Za-z0-9_-]{16,})`)
	m := linkRE.FindStringSubmatch(first.Body)
	if m == nil {
		t.Fatalf("the first step's SMS %q has no identity-check link under %s/r/", first.Body, base)
	}
	link := m[1]
	t.Logf("recall %d (%q): the first step's SMS to %s: %q", seq.ID, seq.Title, first.To, first.Body)
	text := strings.Replace(first.Body, base+link, "", 1) // the token is random: it may hold anything
	for _, secret := range []string{"Full blood count", "Lipids", "Haemoglobin", "Cholesterol", "98", "7.9", "Nguyen"} {
		if strings.Contains(text, secret) {
			t.Errorf("the SMS says %q: it must name no test, value or doctor (RES-3): %q", secret, first.Body)
		}
	}
	// The dispatcher records the send once the provider answered: wait for it.
	var steps []store.Notification
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		steps = stepsOf(t, db, seq)
		if got := stepStates(steps); got == "sent planned planned" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the recall's steps are %s, want the first sent and two planned", got)
		}
	}

	// The patient's portal account (as the demo gives its own patients one).
	hash, err := auth.HashPassword(recallPassword)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Portal().CreatePortalAccount(ctx, org, recallEmail)
		if err != nil {
			return err
		}
		if err := tx.Portal().LinkPortalPatient(ctx, org, a.ID, patient.ID); err != nil {
			return err
		}
		return tx.Portal().SetPortalPassword(ctx, org, a.ID, hash)
	})
	if err != nil {
		t.Fatal(err)
	}

	// The patient opens the link: nothing says which clinic sent it.
	b := newPatientBrowser(t, base)
	r := b.get(link)
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="recall-form"`) {
		t.Fatalf("GET the link: %d\n%.600s", r.status, r.body)
	}
	for _, c := range sydney {
		if strings.Contains(r.body, c.Name) {
			t.Errorf("before the identity check the page names the clinic %q", c.Name)
		}
	}
	// The form is protected as the portal's others are: a post from another site is refused.
	if r := b.postFrom("cross-site", link, url.Values{"surname": {recallSurname}, "birth_date": {recallBirth}}); r.status != http.StatusForbidden {
		t.Fatalf("the identity form posted from another site: %d, want 403", r.status)
	}
	// A wrong date of birth is refused, still naming nobody.
	r = b.post(link, url.Values{"surname": {recallSurname}, "birth_date": {"1979-05-24"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="recall-problem"`) || strings.Contains(r.body, `id="book"`) {
		t.Fatalf("a wrong date of birth: %d, want 422 with the problem and no Book link\n%.600s", r.status, r.body)
	}
	// The surname as the patient types it (case, spaces) and the right date pass.
	r = b.post(link, url.Values{"surname": {"  van DER berg "}, "birth_date": {recallBirth}})
	book := regexp.MustCompile(`href="([^"]+)" id="book"`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || book == nil {
		t.Fatalf("the identity check: %d, want 200 with the Book link\n%.1200s", r.status, r.body)
	}
	if !strings.Contains(r.body, "Amelia Nguyen") || !strings.Contains(r.body, sydney[0].Name) {
		t.Errorf("after the check the page does not name the doctor and the clinic %q:\n%.1200s", sydney[0].Name, r.body)
	}
	for _, secret := range []string{"Full blood count", "Lipids", "Haemoglobin", "Cholesterol"} {
		if strings.Contains(r.body, secret) {
			t.Errorf("the page names the test %q (RES-3)", secret)
		}
	}

	// The Book link leads through the portal's sign-in to its booking steps.
	bookPath := html.UnescapeString(book[1])
	r = b.get(bookPath)
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "/signin") {
		t.Fatalf("GET %s signed out: %d %q, want the sign-in", bookPath, r.status, r.location)
	}
	signin := r.location
	r = b.get(signin)
	next := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || next == nil {
		t.Fatalf("GET %s: %d\n%.600s", signin, r.status, r.body)
	}
	portal := strings.TrimSuffix(bookPath, "/book")
	r = b.post(portal+"/signin", url.Values{"email": {recallEmail}, "password": {recallPassword}, "next": {html.UnescapeString(next[1])}})
	if r.status != http.StatusSeeOther || r.location != bookPath {
		t.Fatalf("sign in: %d to %q, want back to %s\n%.600s", r.status, r.location, bookPath, r.body)
	}
	appt := bookThroughPortal(t, b, bookPath)
	t.Logf("booked appointment %d through %s", appt, bookPath)

	// RES-4: booked; the two steps still planned are withdrawn, no further SMS leaves.
	seq = onlySequence(t, db, patient)
	if seq.State != store.SeqBooked || seq.AppointmentID != appt {
		t.Fatalf("after the booking the recall is %s with appointment %d, want booked with %d (RES-4)", seq.State, seq.AppointmentID, appt)
	}
	steps = stepsOf(t, db, seq)
	if got := stepStates(steps); got != "sent cancelled cancelled" {
		t.Fatalf("after the booking the steps are %s, want the first sent and the others cancelled (RES-4)", got)
	}
	for _, n := range steps[1:] {
		if !strings.Contains(n.Reason, "booked") {
			t.Errorf("step %d was withdrawn for %q, want the booking", n.Step, n.Reason)
		}
	}

	// RES-5: the clinic marks the results notified; the recall is done.
	later := time.Now().In(syd)
	sendHL7(t, peer, script, mllp, oru("RCL-R01-2", later, "N"))
	seq = onlySequence(t, db, patient)
	if seq.State != store.SeqDone || seq.ClosedAt.IsZero() {
		t.Fatalf("after the ORU marking the results notified the recall is %s (closed %v), want done (RES-5)", seq.State, seq.ClosedAt)
	}
	r = b.post(link, url.Values{"surname": {recallSurname}, "birth_date": {recallBirth}})
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="closed"`) || strings.Contains(r.body, `id="book"`) {
		t.Errorf("the link once done: %d, want the page saying there is nothing more to do\n%.800s", r.status, r.body)
	}
	// One step SMS in all: the first. (The booking's own confirmation waits its grace period.)
	time.Sleep(500 * time.Millisecond)
	var sent []string
	for _, msg := range provider.Messages() {
		if msg.To == recallMobile && strings.Contains(msg.Body, "/r/") {
			sent = append(sent, msg.Body)
		}
	}
	if len(sent) != 1 {
		t.Errorf("the provider has %d recall SMS for the patient, want the first step only: %q", len(sent), sent)
	}
}

// freeAddr is a loopback address nothing listened on a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hl7Time is a time as HL7's DTM, on the clinic's clock (the demo's database reads times
// without an offset in its clinics' zone).
func hl7Time(t time.Time) string { return t.Format("20060102150405") }

// writeHL7 writes a message, one segment a line, for send.mjs.
func writeHL7(t *testing.T, dir, name string, segments ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(segments, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sendHL7 sends files with simple-hl7 (send.mjs, in the npm install directory dir) to the
// MLLP listener at addr on one connection, and fails the test unless each is acknowledged
// AA with its own control id.
func sendHL7(t *testing.T, dir, script, addr string, files ...string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p := nodetest.Start(t, dir, append([]string{script, host, port}, files...)...)
	type ack struct {
		File      string `json:"file"`
		ControlID string `json:"control_id"`
		MSA1      string `json:"msa1"`
		MSA2      string `json:"msa2"`
		MSA3      string `json:"msa3"`
		Done      bool   `json:"done"`
		Error     string `json:"error"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var acks []ack
		done := false
		for _, line := range strings.Split(p.Output(), "\n") {
			var a ack
			if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &a) != nil {
				continue // node's own warnings, or a line not yet complete
			}
			switch {
			case a.Error != "":
				t.Fatalf("simple-hl7 client: %s", a.Error)
			case a.Done:
				done = true
			default:
				acks = append(acks, a)
			}
		}
		if done {
			p.Stop()
			if len(acks) != len(files) {
				t.Fatalf("simple-hl7 reported %d ACKs for %d messages: %+v", len(acks), len(files), acks)
			}
			for _, a := range acks {
				if a.MSA1 != "AA" || a.MSA2 != a.ControlID {
					t.Fatalf("%s: ACK %s for %q (%s), want AA for %q", a.File, a.MSA1, a.MSA2, a.MSA3, a.ControlID)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("simple-hl7 client: not done after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// onlySequence reads the patient's one recall.
func onlySequence(t *testing.T, db *store.DB, p clinic.Patient) store.Sequence {
	t.Helper()
	var ss []store.Sequence
	err := db.View(context.Background(), func(tx *store.Tx) (err error) {
		ss, err = tx.Recalls().SequencesOfPatient(context.Background(), p.OrgID, p.ID, 10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 {
		t.Fatalf("patient %d has %d recalls, want one for the day's results (RES-6): %+v", p.ID, len(ss), ss)
	}
	return ss[0]
}

// stepsOf reads a recall's step notifications, by step.
func stepsOf(t *testing.T, db *store.DB, s store.Sequence) []store.Notification {
	t.Helper()
	var ns []store.Notification
	err := db.View(context.Background(), func(tx *store.Tx) (err error) {
		ns, err = tx.Recalls().StepsOf(context.Background(), s.OrgID, s.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// stepStates is the steps' states, "sent planned planned"; a delivered step counts as sent.
func stepStates(ns []store.Notification) string {
	var out []string
	for _, n := range ns {
		s := n.State
		if s == store.NoteDelivered {
			s = store.NoteSent
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// awaitSMS waits until the provider has accepted want SMS to number and returns them.
func awaitSMS(t *testing.T, p *twiliotest.Server, number string, want int) []twiliotest.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []twiliotest.Message
		for _, m := range p.Messages() {
			if m.To == number {
				got = append(got, m)
			}
		}
		if len(got) >= want {
			if len(got) > want {
				t.Fatalf("the provider has %d SMS to %s, want %d: %+v", len(got), number, want, got)
			}
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provider has %d SMS to %s after 30 s, want %d", len(got), number, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// patientBrowser is the patient's browser over plain HTTP: a cookie jar, redirects not
// followed (the test follows them), and on form posts the headers a browser sends for a
// same-origin form, which the server's cross-origin protection checks.
type patientBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newPatientBrowser(t *testing.T, base string) *patientBrowser {
	jar, _ := cookiejar.New(nil)
	return &patientBrowser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	body     string
	location string
}

func (b *patientBrowser) do(method, path string, form url.Values) page {
	return b.doFrom("same-origin", method, path, form)
}

// doFrom sends a request as a browser does from a page of site (Sec-Fetch-Site:
// same-origin, or cross-site for a form on another site).
func (b *patientBrowser) doFrom(site, method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en-AU,en;q=0.9")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		if site == "same-origin" {
			req.Header.Set("Origin", b.base)
		} else {
			req.Header.Set("Origin", "https://elsewhere.example")
		}
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, body: string(raw), location: res.Header.Get("Location")}
}

func (b *patientBrowser) get(path string) page                   { return b.do("GET", path, nil) }
func (b *patientBrowser) post(path string, form url.Values) page { return b.do("POST", path, form) }
func (b *patientBrowser) postFrom(site, path string, form url.Values) page {
	return b.doFrom(site, "POST", path, form)
}

var (
	selectRE  = regexp.MustCompile(`(?s)<select id="(reason|agenda)"[^>]*>(.*?)</select>`)
	optionRE  = regexp.MustCompile(`<option value="([^"]+)"`)
	forRE     = regexp.MustCompile(`name="for" value="(\d+)"`)
	dayRE     = regexp.MustCompile(`href="([^"]+)" data-day="[0-9-]+"`)
	nextRE    = regexp.MustCompile(`href="([^"]+)" id="next-week"`)
	hiddenRE  = regexp.MustCompile(`<input type="hidden" name="(for|reason|agenda)" value="([^"]*)">`)
	startRE   = regexp.MustCompile(`name="start" value="([^"]+)"`)
	bookingRE = regexp.MustCompile(`/appointments/(\d+)`)
)

// options lists the values of the page's select id (the empty "Choose…" left out).
func options(body, id string) []string {
	for _, m := range selectRE.FindAllStringSubmatch(body, -1) {
		if m[1] == id {
			var out []string
			for _, o := range optionRE.FindAllStringSubmatch(m[2], -1) {
				out = append(out, o[1])
			}
			return out
		}
	}
	return nil
}

// bookThroughPortal walks the portal's booking steps as the patient's browser submits them
// (GET forms and links: reason, practitioner or "No preference", a day with free times,
// then the first free time posted) and returns the appointment booked.
func bookThroughPortal(t *testing.T, b *patientBrowser, bookPath string) clinic.AppointmentID {
	t.Helper()
	r := b.get(bookPath)
	reasons := options(r.body, "reason")
	who := forRE.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || len(reasons) == 0 || who == nil {
		t.Fatalf("GET %s: %d, %d reasons\n%.800s", bookPath, r.status, len(reasons), r.body)
	}
	q := url.Values{"for": {who[1]}, "reason": {reasons[0]}}
	r = b.get(bookPath + "?" + q.Encode())
	agendas := options(r.body, "agenda")
	if r.status != http.StatusOK || len(agendas) == 0 {
		t.Fatalf("the practitioner step: %d, %d choices\n%.800s", r.status, len(agendas), r.body)
	}
	q.Set("agenda", agendas[0]) // "No preference" when the clinic offers it, else a practitioner
	r = b.get(bookPath + "?" + q.Encode())
	for week := 0; ; week++ {
		if r.status != http.StatusOK {
			t.Fatalf("the day step: %d\n%.800s", r.status, r.body)
		}
		if day := dayRE.FindStringSubmatch(r.body); day != nil {
			r = b.get(bookPath + html.UnescapeString(day[1]))
			break
		}
		next := nextRE.FindStringSubmatch(r.body)
		if next == nil || week > 4 {
			t.Fatalf("no day with a free time within %d weeks\n%.800s", week+1, r.body)
		}
		r = b.get(bookPath + html.UnescapeString(next[1]))
	}
	starts := startRE.FindAllStringSubmatch(r.body, -1)
	if r.status != http.StatusOK || len(starts) == 0 {
		t.Fatalf("the time step: %d, %d times\n%.800s", r.status, len(starts), r.body)
	}
	form := url.Values{"start": {html.UnescapeString(starts[0][1])}}
	for _, h := range hiddenRE.FindAllStringSubmatch(r.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	r = b.post(bookPath, form)
	m := bookingRE.FindStringSubmatch(r.location)
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST %s %v: %d to %q, want the appointment\n%.800s", bookPath, form, r.status, r.location, r.body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	if r = b.get(r.location); r.status != http.StatusOK || !strings.Contains(r.body, `id="appointment"`) {
		t.Fatalf("the booked appointment's page: %d\n%.800s", r.status, r.body)
	}
	return clinic.AppointmentID(id)
}
