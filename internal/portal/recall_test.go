package portal_test

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// The identity check of a result's or recall's link (RES-3): the page a step's message
// links to asks the surname and the date of birth before it names the clinic or the
// doctor, answers every failed check alike, and names no test or result ever.

// The sequence's staff-facing title and doctor: the first is never shown to the patient, the
// second only once the check passed.
const (
	recallTitle  = "Lipids, Full blood count"
	recallDoctor = "Dr Edith Clarke"
	recallFailed = "These details do not match our records, or the link has expired. Please check them, or call your clinic."
)

// recallLink starts a sequence for patient p at f's clinic and mints its link as the
// dispatcher does when sending a step (recall.Service.Mint in the send's transaction),
// returning its path, /r/{token}.
func (e *env) recallLink(f storetest.Fixture, p clinic.PatientID, seq store.Sequence) string {
	e.t.Helper()
	seq.OrgID, seq.ClinicID, seq.PatientID, seq.CreatedBy = f.Org.ID, f.Clinic.ID, p, "test"
	if seq.Kind == "" {
		seq.Kind, seq.DatabaseID, seq.GroupDay = store.SeqKindResults, f.Database.ID, "2026-03-04"
	}
	if seq.Title == "" {
		seq.Title = recallTitle
	}
	if seq.TemplateKey == "" {
		seq.TemplateKey = "non_urgent"
	}
	if seq.State == "" {
		seq.State = store.SeqActive
	}
	var link string
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		s, err := tx.Recalls().InsertSequence(ctx, seq)
		if err != nil {
			return err
		}
		link, err = e.svc.Recalls.Mint(ctx, tx, store.Notification{OrgID: f.Org.ID, SequenceID: s.ID, ID: 1})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(link, "http://portal.test/r/") {
		e.t.Fatalf("link %q is not at /r/", link)
	}
	return strings.TrimPrefix(link, "http://portal.test")
}

// audits counts the audit rows of action on patient p.
func (e *env) audits(p clinic.PatientID, action string) int {
	e.t.Helper()
	return storetest.Count(e.t, e.db, `SELECT COUNT(*) FROM audit_log WHERE patient_id = $1 AND action = $2`, int64(p), action)
}

// from is a fresh browser at client address ip.
func (e *env) from(ip string) *browser {
	b := e.browser(e.a)
	b.ip = ip
	return b
}

func answer(surname, birth string) url.Values {
	return url.Values{"surname": {surname}, "birth_date": {birth}}
}

// wantPrivate checks the headers every answer of the identity check carries: the token in
// its address goes into no Referer, and the page into no cache.
func wantPrivate(t *testing.T, r resp) {
	t.Helper()
	if got := r.header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q, want no-referrer", got)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
}

// TestRecallFormNamesNobody (RES-3): the link's page asks the surname and the date of birth,
// with labelled inputs, and says nothing of who sent it (clinic, doctor, portal) nor of the
// result; it is the same page for a link that does not exist, and it does not write the
// token into the page.
func TestRecallFormNamesNobody(t *testing.T) {
	e := newEnv(t)
	f := e.a
	link := e.recallLink(f, f.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	r := e.from("203.0.113.10").get(link)
	if r.status != http.StatusOK {
		t.Fatalf("GET %d", r.status)
	}
	wantPrivate(t, r)
	for _, want := range []string{"Confirm who you are", `<label for="surname">`, `<label for="birth_date">`, `name="surname"`, `type="date"`,
		`aria-describedby="surname-hint"`, `<form method="post"`, "To protect your privacy"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	token := strings.TrimPrefix(link, "/r/")
	for _, secret := range []string{f.Clinic.Name, recallDoctor, f.Practitioner.Name, f.Org.Slug + "-main", f.Org.Name, recallTitle, "Lipids", token} {
		if strings.Contains(r.body, secret) {
			t.Errorf("the page before the check shows %q", secret)
		}
	}
	unknown, _, _ := auth.NewToken("")
	if u := e.from("203.0.113.11").get("/r/" + unknown); u.status != r.status || u.body != r.body {
		t.Errorf("an unknown link's page differs from a real one's: %d vs %d", u.status, r.status)
	}
}

// TestRecallWrongAnswersLock (RES-3): a wrong surname or date of birth gets the one generic
// answer; every attempt is audited on the link's patient; after recall.MaxFailures wrong
// answers the link locks for recall.LockFor, so that even the right answer fails, with the
// same answer; the address that made them waits (429); the lock ends after its hour.
func TestRecallWrongAnswersLock(t *testing.T) {
	e := newEnv(t)
	f := e.a
	link := e.recallLink(f, f.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	b := e.from("203.0.113.20")
	wrong := []url.Values{answer("Hoper", "1980-12-09"), answer("Hopper", "1980-12-10"), answer("Smith", "1970-01-01"),
		answer("Hopper", "1980-09-12"), answer("Hopper-Smith", "1980-12-09")}
	var first resp
	for i, a := range wrong {
		r := b.post(link, a)
		wantPrivate(t, r)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, recallFailed) || !strings.Contains(r.body, `role="alert"`) {
			t.Fatalf("wrong answer %d: %d, want 422 with the generic message\n%s", i, r.status, r.body)
		}
		if strings.Contains(r.body, f.Clinic.Name) || strings.Contains(r.body, recallDoctor) {
			t.Errorf("wrong answer %d: the page names the clinic or the doctor", i)
		}
		if n := e.audits(f.Patient.ID, "recall.identity_failed"); n != i+1 {
			t.Errorf("after %d wrong answers, %d recall.identity_failed rows", i+1, n)
		}
		if i == 0 {
			first = r
		}
	}
	// The address that failed five times waits, whatever it sends, and nothing is checked.
	r := b.post(link, answer("Hopper", "1980-12-09"))
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many attempts") || r.header.Get("Retry-After") == "" {
		t.Errorf("a sixth attempt from the same address: %d, want 429 with Retry-After", r.status)
	}
	if n := e.audits(f.Patient.ID, "recall.identity_failed") + e.audits(f.Patient.ID, "recall.identity_passed"); n != len(wrong) {
		t.Errorf("an attempt refused by the address limit wrote an audit row (%d rows)", n)
	}
	// From elsewhere, the right answer fails too: the link is locked. The answer is the one
	// of a wrong answer, with the answer typed back.
	other := e.from("203.0.113.21")
	r = other.post(link, answer("Hopper", "1980-12-09"))
	locked := first.body
	locked = strings.Replace(locked, `value="Hoper"`, `value="Hopper"`, 1)
	if r.status != first.status || r.body != locked {
		t.Errorf("the right answer on a locked link: %d, want the wrong answer's page\n%s", r.status, r.body)
	}
	if n := e.audits(f.Patient.ID, "recall.identity_failed"); n != len(wrong)+1 {
		t.Errorf("an attempt on a locked link is not audited: %d rows", n)
	}
	if n := e.audits(f.Patient.ID, "recall.identity_passed"); n != 0 {
		t.Errorf("%d recall.identity_passed rows while locked", n)
	}
	// The lock ends after recall.LockFor.
	e.clock.Advance(recall.LockFor + time.Minute)
	r = other.post(link, answer("Hopper", "1980-12-09"))
	if r.status != http.StatusOK || !strings.Contains(r.body, f.Clinic.Name) {
		t.Errorf("the right answer after the lock: %d\n%s", r.status, r.body)
	}
	if n := e.audits(f.Patient.ID, "recall.identity_passed"); n != 1 {
		t.Errorf("%d recall.identity_passed rows, want 1", n)
	}
}

// TestRecallUnknownToken (RES-3): a link that never existed and one that expired get, status
// and body, byte for byte, the answer of a wrong answer on a live link: the page tells no
// one whether a link or a patient exists. (The portal has no CSRF token to normalise:
// cross-origin posts are refused by origin, TestRecallCrossOrigin.)
func TestRecallUnknownToken(t *testing.T) {
	e := newEnv(t)
	f := e.a
	link := e.recallLink(f, f.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	late := e.recallLink(e.b, e.b.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	a := answer("Hopper", "1980-12-08")
	real := e.from("203.0.113.30").post(link, a)
	if real.status != http.StatusUnprocessableEntity || !strings.Contains(real.body, recallFailed) {
		t.Fatalf("a wrong answer: %d\n%s", real.status, real.body)
	}
	unknown, _, _ := auth.NewToken("")
	for name, path := range map[string]string{"unknown": "/r/" + unknown, "short": "/r/abc", "odd": "/r/" + url.PathEscape("<script>")} {
		r := e.from("203.0.113.31").post(path, a)
		if r.status != real.status || r.body != real.body {
			t.Errorf("%s link: %d, want the wrong answer's status and body byte for byte\n%s\n---\n%s", name, r.status, r.body, real.body)
		}
	}
	// Expired (recall.Config.LinkTTL, 30 days by default): the right answer fails alike.
	e.clock.Advance(31 * 24 * time.Hour)
	r := e.from("203.0.113.32").post(late, a)
	if r.status != real.status || r.body != real.body {
		t.Errorf("an expired link: %d, want the wrong answer's page", r.status)
	}
	if r := e.from("203.0.113.33").post(late, answer("Hopper", "1980-12-09")); r.status != real.status || !strings.Contains(r.body, recallFailed) {
		t.Errorf("the right answer on an expired link: %d", r.status)
	}
	if n := e.audits(e.b.Patient.ID, "recall.identity_passed"); n != 0 {
		t.Errorf("an expired link passed (%d rows)", n)
	}
}

// TestRecallPass (RES-3): the right surname, whatever its case, accents, spaces, hyphens and
// apostrophes, with the right date of birth, shows who would like to see the patient and the
// clinic's booking page, and nothing of the result; a recall names its due date; a closed
// request says there is nothing more to do; a clinic that takes no bookings online is to be
// called.
func TestRecallPass(t *testing.T) {
	e := newEnv(t)
	f := e.a
	var p clinic.Patient
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		p, err = tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: "Siobhán", FamilyName: "D'Arcy-Núñez",
			BirthDate: "1975-04-02", Email: "siobhan@example.org"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	link := e.recallLink(f, p.ID, store.Sequence{DoctorName: recallDoctor})
	r := e.from("203.0.113.40").post(link, answer("  darcy nunez ", "1975-04-02"))
	if r.status != http.StatusOK {
		t.Fatalf("the right answer: %d\n%s", r.status, r.body)
	}
	wantPrivate(t, r)
	body := html.UnescapeString(r.body)
	if !strings.Contains(body, recallDoctor+" at "+f.Clinic.Name+" would like to see you. Please book an appointment.") {
		t.Errorf("the page does not say who would like to see the patient:\n%s", r.body)
	}
	if !strings.Contains(r.body, `href="`+base(f)+`/book"`) || !strings.Contains(r.body, "Book an appointment") {
		t.Errorf("no Book link to %s/book:\n%s", base(f), r.body)
	}
	for _, secret := range []string{recallTitle, "Lipids", "blood", "result"} {
		if strings.Contains(strings.ToLower(body), strings.ToLower(secret)) {
			t.Errorf("the page shows %q", secret)
		}
	}
	if n := e.audits(p.ID, "recall.identity_passed"); n != 1 {
		t.Errorf("%d recall.identity_passed rows, want 1", n)
	}
	// The Book link leads to the portal's booking, through its sign-in.
	if bk := e.from("203.0.113.40").get(base(f) + "/book"); bk.status != http.StatusSeeOther || !strings.HasPrefix(bk.location, base(f)+"/signin") {
		t.Errorf("the Book link: %d %s", bk.status, bk.location)
	}

	// A recall of another kind, no doctor named, due by a date.
	due := e.recallLink(f, f.Patient.ID, store.Sequence{Kind: store.SeqKindRecall, Title: "Skin check", DueDate: "2026-05-01"})
	r = e.from("203.0.113.41").post(due, answer("HOPPER", "1980-12-09"))
	body = html.UnescapeString(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, f.Clinic.Name+" would like to see you. Please book an appointment.") ||
		!strings.Contains(body, "You are due for a visit by Friday 1 May 2026.") || strings.Contains(body, "Skin check") {
		t.Errorf("a recall due by a date: %d\n%s", r.status, r.body)
	}

	// Closed: nothing more to do, no Book link.
	done := e.recallLink(e.b, e.b.Patient.ID, store.Sequence{DoctorName: recallDoctor, State: store.SeqDone})
	r = e.from("203.0.113.42").post(done, answer("Hopper", "1980-12-09"))
	body = html.UnescapeString(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, "nothing more to do") || strings.Contains(r.body, "/book") {
		t.Errorf("a closed request: %d\n%s", r.status, r.body)
	}

	// A portal that takes no bookings online: call the clinic.
	err = e.db.Update(ctx, func(tx *store.Tx) error {
		ps, _, err := tx.Portal().PortalSettingsOf(ctx, f.Org.ID, f.Clinic.ID)
		if err != nil {
			return err
		}
		ps.OnlineBooking = false
		return tx.Portal().SavePortalSettings(ctx, ps)
	})
	if err != nil {
		t.Fatal(err)
	}
	r = e.from("203.0.113.43").post(link, answer("D'Arcy-Núñez", "1975-04-02"))
	body = html.UnescapeString(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, f.Clinic.Name+" does not take bookings online: please call the clinic to book.") || strings.Contains(r.body, "/book") {
		t.Errorf("a clinic without online booking: %d\n%s", r.status, r.body)
	}
}

// TestRecallMissingFields (RES-3): a missing surname or a date of birth that is not one is
// named next to its input (aria-describedby, aria-invalid) and in the summary, with 422; no
// check is made, so nothing is audited.
func TestRecallMissingFields(t *testing.T) {
	e := newEnv(t)
	f := e.a
	link := e.recallLink(f, f.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	r := e.from("203.0.113.50").post(link, url.Values{})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty form: %d", r.status)
	}
	wantPrivate(t, r)
	for _, want := range []string{`data-field="surname"`, `data-field="birth_date"`, `id="surname-error"`, `id="birth_date-error"`,
		`aria-describedby="surname-hint surname-error" aria-invalid="true"`, `aria-describedby="birth_date-hint birth_date-error" aria-invalid="true"`,
		"is required (at most 200 characters)", "must be a date written YYYY-MM-DD"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("an empty form: the page lacks %s", want)
		}
	}
	if strings.Contains(r.body, recallFailed) {
		t.Error("an empty form gets the failed check's message")
	}
	r = e.from("203.0.113.50").post(link, answer("Hopper", "09/12/1980"))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-field="birth_date"`) || strings.Contains(r.body, `data-field="surname"`) ||
		!strings.Contains(r.body, `value="Hopper"`) {
		t.Errorf("a date that is not one: %d\n%s", r.status, r.body)
	}
	if n := e.audits(f.Patient.ID, "recall.identity_failed"); n != 0 {
		t.Errorf("a form with a missing field was checked: %d audit rows", n)
	}
}

// TestRecallCrossOrigin (RES-3): an identity check posted from another site is refused
// before any check (CSRF: the server's http.CrossOriginProtection, as for the portal's
// other forms).
func TestRecallCrossOrigin(t *testing.T) {
	e := newEnv(t)
	f := e.a
	link := e.recallLink(f, f.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	r := e.from("203.0.113.60").doWith("POST", link, answer("Hopper", "1980-12-09"),
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if r.status != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d, want 403", r.status)
	}
	if strings.Contains(r.body, f.Clinic.Name) || strings.Contains(r.body, recallDoctor) {
		t.Error("the refusal names the clinic or the doctor")
	}
	if n := e.audits(f.Patient.ID, "recall.identity_passed") + e.audits(f.Patient.ID, "recall.identity_failed"); n != 0 {
		t.Errorf("a cross-origin POST was checked: %d audit rows", n)
	}
	// The same form from the page itself passes.
	if r := e.from("203.0.113.61").doWith("POST", link, answer("Hopper", "1980-12-09"), map[string]string{"Sec-Fetch-Site": "same-origin"}); r.status != http.StatusOK {
		t.Errorf("same-origin POST: %d", r.status)
	}
}

// TestRecallFrench (RES-3): the page speaks the browser's language, or the one its switch
// chose (?lang=), before and after the check, with French typography.
func TestRecallFrench(t *testing.T) {
	e := newEnv(t)
	f := e.a
	link := e.recallLink(f, f.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	fr := map[string]string{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
	b := e.from("203.0.113.70")
	r := b.doWith("GET", link, nil, fr)
	if r.status != http.StatusOK || r.header.Get("Content-Language") != "fr" || !strings.Contains(r.body, `<html lang="fr">`) {
		t.Fatalf("GET in French: %d %s", r.status, r.header.Get("Content-Language"))
	}
	for _, want := range []string{"Confirmez votre identité", "Nom de famille", "Date de naissance", "Votre cabinet vous a envoyé ce lien", `value="en"`} {
		if !strings.Contains(html.UnescapeString(r.body), want) {
			t.Errorf("the French form lacks %q", want)
		}
	}
	if strings.Contains(r.body, "Confirm who you are") {
		t.Error("English on the French form")
	}
	r = b.doWith("POST", link, answer("Hopper", "1980-01-01"), fr)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.body), "Ces informations ne correspondent pas à notre dossier") {
		t.Errorf("a wrong answer in French: %d\n%s", r.status, r.body)
	}
	r = b.doWith("POST", link, url.Values{}, fr)
	if body := html.UnescapeString(r.body); !strings.Contains(body, "est obligatoire (200 caractères au plus)") || !strings.Contains(body, "Nom de famille</strong>\u00a0:") {
		t.Errorf("field errors in French:\n%s", r.body)
	}
	// The switch: ?lang=fr in an English browser.
	en := map[string]string{"Accept-Language": "en-AU"}
	if r := b.doWith("GET", link+"?lang=fr", nil, en); !strings.Contains(html.UnescapeString(r.body), "Confirmez votre identité") {
		t.Error("?lang=fr did not switch to French")
	}
	r = b.doWith("POST", link+"?lang=fr", answer("hopper", "1980-12-09"), en)
	body := html.UnescapeString(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, recallDoctor+" ("+f.Clinic.Name+") souhaite vous voir. Veuillez prendre rendez-vous.") ||
		!strings.Contains(body, "Prendre un rendez-vous") {
		t.Errorf("the pass in French: %d\n%s", r.status, r.body)
	}
	done := e.recallLink(e.b, e.b.Patient.ID, store.Sequence{State: store.SeqBooked})
	r = e.from("203.0.113.71").doWith("POST", done, answer("Hopper", "1980-12-09"), fr)
	if body := html.UnescapeString(r.body); !strings.Contains(body, "vous n’avez plus rien à faire") || !strings.Contains(body, "Une question\u00a0?") {
		t.Errorf("a closed request in French:\n%s", r.body)
	}
}

// logBuffer is a log sink the server's goroutines write to.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRecallTokenNotLogged (RES-3): the token of a link is in its path only, and the
// server's log names the route's pattern, never the path: no answer of the identity check
// writes the token (nor the surname typed) to the log.
func TestRecallTokenNotLogged(t *testing.T) {
	var logs logBuffer
	e := newEnvLogging(t, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	f := e.a
	link := e.recallLink(f, f.Patient.ID, store.Sequence{DoctorName: recallDoctor})
	token := strings.TrimPrefix(link, "/r/")
	b := e.from("203.0.113.80")
	b.get(link)
	b.post(link, url.Values{})
	b.post(link, answer("Hoppr", "1980-12-09"))
	if r := b.post(link, answer("Hopper", "1980-12-09")); r.status != http.StatusOK {
		t.Fatalf("the right answer: %d", r.status)
	}
	out := logs.String()
	if !strings.Contains(out, "/r/{token}") {
		t.Fatalf("no request logged for /r/{token}:\n%s", out)
	}
	for _, secret := range []string{token, "Hoppr", "1980-12-09"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
}
