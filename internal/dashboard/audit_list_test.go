package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	auditlog "github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// auditWorld is the handler env with an audit log that has one entry of each kind of actor:
// an administrator looking at the agenda (three patients, one request), reception
// cancelling, an API token reading a file, the sync updating a patient, a patient booking
// in the portal and, a day later, the administrator changing the booking rules.
type auditWorld struct {
	*env
	token    clinic.Token
	patients []clinic.Patient // Grace Hopper, Alan Turing, and a name that looks like a formula
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	w := &auditWorld{env: newEnv(t)}
	ctx := context.Background()
	org := w.fx.Org.ID
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if w.token, err = tx.Staff().CreateToken(ctx, org, clinic.Token{Name: "Sync bridge", Role: clinic.RoleReception}, []byte("hash-1")); err != nil {
			return err
		}
		w.patients = []clinic.Patient{w.fx.Patient}
		for _, n := range [][2]string{{"Alan", "Turing"}, {`=HYPERLINK("http://evil.example")`, "Formula"}} {
			p, err := tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.fx.Database.ID, GivenName: n[0], FamilyName: n[1], Language: "en"})
			if err != nil {
				return err
			}
			w.patients = append(w.patients, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := w.patients
	w.read("req-a", actorOf(w.admin), "appointment.list", p[0].ID, p[1].ID, p[2].ID)
	w.read("req-b", actorOf(w.recep), "appointment.cancel", p[0].ID)
	w.read("req-c", clinic.TokenActor(w.token), "patient.read", p[1].ID)
	w.read("", clinic.SystemActor(org, "sync"), "patient.update", p[2].ID)
	w.read("req-d", clinic.PatientActor(org, p[0].ID), "appointment.create", p[0].ID)
	w.clock.Advance(24 * time.Hour)
	rules := 120
	rctx := web.WithRequestID(context.Background(), "req-e")
	if _, err := directory.New(w.db).UpdateClinic(rctx, actorOf(w.admin), w.fx.Clinic.ID,
		directory.ClinicInput{Booking: &directory.RulesInput{HorizonDays: &rules}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// read records actor's action over ids as request id did.
func (w *auditWorld) read(id string, actor clinic.Actor, action string, ids ...clinic.PatientID) {
	w.t.Helper()
	ctx := context.Background()
	if id != "" {
		ctx = auditlog.WithRequestID(ctx, id)
	}
	if err := auditlog.Read(ctx, w.db, actor, action, ids...); err != nil {
		w.t.Fatal(err)
	}
}

// entries reads org's audit log, newest first.
func (w *auditWorld) entries() []store.AuditEntry {
	w.t.Helper()
	ctx := context.Background()
	var es []store.AuditEntry
	if err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		es, err = tx.AuditTrail().AuditLog(ctx, w.fx.Org.ID, store.AuditFilter{}, store.Page{Limit: 500})
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return es
}

var actionAttr = regexp.MustCompile(`data-action="([^"]*)"`)

// rowActions lists the action of each row of an audit page, top to bottom.
func rowActions(body string) []string {
	var out []string
	for _, m := range actionAttr.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestAuditPageInWords: the audit page names who acted (staff, an API token, the sync, the
// patient portal), says what they did in words, names the patients, shows one request's
// agenda read as one row that lists its patients, and a settings change's values before and
// after (ADM-2, ADM-5). The names it shows are recorded as a read ("audit.list").
func TestAuditPageInWords(t *testing.T) {
	w := newAuditWorld(t)
	p := w.patients
	res := w.do(request{method: "GET", path: "/audit", actor: actorOf(w.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	want := []string{"clinic.booking_rules", "appointment.create", "patient.update", "patient.read", "appointment.cancel", "appointment.list"}
	if diff := cmp.Diff(want, rowActions(res.body)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	body := html.UnescapeString(res.body)
	for _, s := range []string{
		"Ada Admin", "Rita Reception", "API token Sync bridge", "Sync from the clinical software", "Patient portal: Grace Hopper",
		"Viewed the agenda — 3 patients", `data-entries="3"`, "Cancelled an appointment", "Viewed a patient's file", "Booked an appointment",
		"Changed the booking rules: <strong class=\"audit-subject\">Main St</strong>",
		`<span class="audit-field">Book up to (days ahead)</span>: <span class="audit-before">90</span> → <span class="audit-after">120</span>`,
		fmt.Sprintf(`href="/patients/%d">Alan Turing</a>`, p[1].ID), fmt.Sprintf(`href="/audit?patient=%d"`, p[1].ID),
		`<time datetime="2026-04-07T10:00:00+10:00">`, "AEST", `href="/audit.csv"`, `aria-current="page"`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("audit page lacks %q", s)
		}
	}
	checkNoPatientDataInURLs(t, res, p[0])
	checkNoPatientDataInURLs(t, res, p[1])
	checkCSP(t, res.body)

	// The page's read of those names is itself audited, one row per patient named.
	var listed []clinic.PatientID
	for _, e := range w.entries() {
		if e.Action == "audit.list" {
			if e.RequestID != "req-test" || e.UserID != w.admin.ID {
				t.Errorf("audit.list row %+v: want the request and the viewer", e)
			}
			listed = append(listed, e.PatientID)
		}
	}
	if diff := cmp.Diff([]clinic.PatientID{p[0].ID, p[1].ID, p[2].ID}, listed, sortIDs); diff != "" {
		t.Errorf("audit.list rows (-want +got):\n%s", diff)
	}

	// Seen again, that read is one row too.
	res = w.do(request{method: "GET", path: "/audit", actor: actorOf(w.admin)})
	if got := rowActions(res.body); len(got) == 0 || got[0] != "audit.list" || !strings.Contains(html.UnescapeString(res.body), "Viewed the audit log — 3 patients") {
		t.Errorf("the page's own read is not one row at the top: %v", got)
	}

	res = w.do(request{method: "GET", path: "/audit", actor: actorOf(w.recep)})
	if res.status != http.StatusForbidden {
		t.Errorf("reception: status %d, want 403", res.status)
	}
}

var sortIDs = cmp.Transformer("sort", func(in []clinic.PatientID) []clinic.PatientID {
	out := append([]clinic.PatientID(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestAuditFilters: the filters by staff member, patient, action (one, or a group) and days
// in the clinic's zone narrow the page; a filter the page cannot read is answered 422 with
// the form, naming each field by its label (ADM-5).
func TestAuditFilters(t *testing.T) {
	// The ids of the world a case runs in; each case has a world of its own, since a page's
	// own read ("audit.list") would show on the next case's page.
	type ids struct{ recep, patient string }
	tests := []struct {
		name   string
		query  func(ids) string
		status int
		rows   []string // the rows' actions, top to bottom
		body   func(ids) []string
	}{
		{"a staff member", func(x ids) string { return "user=" + x.recep }, 200, []string{"appointment.cancel"},
			func(x ids) []string { return []string{`<option value="` + x.recep + `" selected>Rita Reception`} }},
		{"an action", func(ids) string { return "action=appointment.cancel" }, 200, []string{"appointment.cancel"},
			func(ids) []string { return []string{`<option value="appointment.cancel" selected>`} }},
		{"a group of actions", func(ids) string { return "action=appointment." }, 200, []string{"appointment.create", "appointment.cancel", "appointment.list"},
			func(ids) []string {
				return []string{`<option value="appointment." selected>Every action: Appointments</option>`}
			}},
		{"a patient: the agenda's row for that patient", func(x ids) string { return "patient=" + x.patient }, 200, []string{"patient.read", "appointment.list"},
			func(ids) []string {
				return []string{"Entries about Alan Turing.", `<input type="hidden" name="patient"`, "Viewed the agenda"}
			}},
		{"a patient and an action", func(x ids) string { return "patient=" + x.patient + "&action=patient.read" }, 200, []string{"patient.read"},
			func(ids) []string { return []string{`href="/audit?action=patient.read"`} }},
		{"from the second day", func(ids) string { return "from=2026-04-08" }, 200, []string{"clinic.booking_rules"}, nil},
		{"until the first day", func(ids) string { return "to=2026-04-07" }, 200,
			[]string{"appointment.create", "patient.update", "patient.read", "appointment.cancel", "appointment.list"}, nil},
		{"a day without entries", func(ids) string { return "from=2026-04-01&to=2026-04-01" }, 200, nil, func(ids) []string { return []string{"No entries."} }},
		{"not a staff member", func(ids) string { return "user=abc" }, 422, nil,
			func(ids) []string {
				return []string{`<a href="#user">Staff member</a>: must be a positive whole number`}
			}},
		{"another organisation's user", func(ids) string { return "user=999999" }, 422, nil,
			func(ids) []string {
				return []string{`<a href="#user">Staff member</a>: must be one of the staff listed`}
			}},
		{"an unknown action", func(ids) string { return "action=drop.tables" }, 422, nil,
			func(ids) []string { return []string{`<a href="#action">Action</a>: must be one of the actions listed`} }},
		{"not a date", func(ids) string { return "from=2026-13-01" }, 422, nil,
			func(ids) []string { return []string{`<a href="#from">From day</a>: must be a date`} }},
		{"the end before the start", func(ids) string { return "from=2026-04-08&to=2026-04-07" }, 422, nil,
			func(ids) []string { return []string{`<a href="#to">To day</a>: must be the first day or a later one`} }},
		{"a bad patient and cursor", func(ids) string { return "patient=-1&after=x" }, 422, nil,
			func(ids) []string {
				return []string{"Patient: must be a positive whole number", "Page: must be a positive whole number"}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newAuditWorld(t)
			x := ids{recep: strconv.FormatInt(int64(w.recep.ID), 10), patient: strconv.FormatInt(int64(w.patients[1].ID), 10)}
			res := w.do(request{method: "GET", path: "/audit?" + tc.query(x), actor: actorOf(w.admin)})
			if res.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tc.status, res.body)
			}
			if diff := cmp.Diff(tc.rows, rowActions(res.body)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			body := html.UnescapeString(res.body)
			if tc.body != nil {
				for _, s := range tc.body(x) {
					if !strings.Contains(body, s) {
						t.Errorf("page lacks %q", s)
					}
				}
			}
			if tc.status == 422 && (!strings.Contains(res.body, `id="audit-filter"`) || strings.Contains(res.body, `id="audit-csv"`)) {
				t.Error("a refused filter does not show the form again, or offers the CSV")
			}
		})
	}
}

// TestAuditPaging: a page holds auditPageSize rows, a request's read counting as one; the
// next page keeps the filter, and no group is cut between pages.
func TestAuditPaging(t *testing.T) {
	w := newAuditWorld(t)
	p := w.patients
	for i := range auditPageSize + 5 {
		w.read(fmt.Sprintf("req-list-%d", i), actorOf(w.admin), "patient.list", p[0].ID, p[1].ID, p[2].ID)
		w.read(fmt.Sprintf("req-other-%d", i), actorOf(w.admin), "patient.read", p[0].ID)
	}
	res := w.do(request{method: "GET", path: "/audit?action=patient.list", actor: actorOf(w.admin)})
	if n := strings.Count(res.body, `data-entries="3"`); n != auditPageSize || len(rowActions(res.body)) != auditPageSize {
		t.Errorf("first page has %d rows of 3 entries (of %d rows), want %d", n, len(rowActions(res.body)), auditPageSize)
	}
	m := regexp.MustCompile(`href="/audit\?action=patient.list&amp;after=(\d+)"`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no link to older entries keeping the filter:\n%s", res.body)
	}
	res = w.do(request{method: "GET", path: "/audit?action=patient.list&after=" + m[1], actor: actorOf(w.admin)})
	if n := strings.Count(res.body, `data-entries="3"`); n != 5 || len(rowActions(res.body)) != 5 || strings.Contains(res.body, "Older entries") {
		t.Errorf("second page has %d rows of 3 entries (of %d), want 5 and no older link", n, len(rowActions(res.body)))
	}
}

// TestAuditStatementsDoNotGrow: a page reads the staff, tokens and patients it names in one
// statement each, however many there are (no N+1).
func TestAuditStatementsDoNotGrow(t *testing.T) {
	w := newAuditWorld(t)
	ctx := web.WithActor(context.Background(), actorOf(w.admin))
	count := func() int {
		t.Helper()
		r := httptest.NewRequest("GET", "/audit", nil).WithContext(ctx)
		n := 0
		err := w.db.View(ctx, func(tx *store.Tx) error {
			f, err := w.d.frameTx(ctx, tx, r)
			if err != nil {
				return err
			}
			before := tx.Statements()
			page, _, invalid, err := w.d.loadAudit(ctx, tx, f, auditQuery{})
			if err == nil && invalid != nil {
				err = invalid
			}
			if len(page.Rows) == 0 {
				t.Error("no rows")
			}
			n = tx.Statements() - before
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	few := count()
	org := w.fx.Org.ID
	for i := range 12 {
		var tok clinic.Token
		var pt clinic.Patient
		var u clinic.User
		err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
			if tok, err = tx.Staff().CreateToken(ctx, org, clinic.Token{Name: fmt.Sprint("token ", i), Role: clinic.RoleReception}, []byte(fmt.Sprint("h", i))); err != nil {
				return err
			}
			if u, err = tx.Staff().CreateUser(ctx, org, clinic.User{Email: fmt.Sprintf("u%d@example.com", i), Name: fmt.Sprint("User ", i), Role: clinic.RoleReception}); err != nil {
				return err
			}
			pt, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.fx.Database.ID, GivenName: "P", FamilyName: fmt.Sprint(i), Language: "en"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		w.read(fmt.Sprint("req-t", i), clinic.TokenActor(tok), "patient.read", pt.ID)
		w.read(fmt.Sprint("req-u", i), actorOf(u), "patient.read", pt.ID)
	}
	if many := count(); many != few {
		t.Errorf("a page of 6 rows runs %d statements, one of 30 rows %d: the count grows with the names", few, many)
	}
}

// TestAuditExport: GET /audit.csv sends the page's filter as CSV, one line per entry (the
// agenda's three patients on three lines), names and labels as on the page, times in the
// clinic's zone with their offset, the settings change's values, and a cell that a
// spreadsheet would run as a formula defused; the export is recorded (ADM-2).
func TestAuditExport(t *testing.T) {
	w := newAuditWorld(t)
	p := w.patients
	res := w.do(request{method: "GET", path: "/audit.csv?to=2026-04-08", actor: actorOf(w.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := res.header.Get("Content-Disposition"); cd != `attachment; filename="audit-log-2026-04-08.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	id := func(p clinic.Patient) string { return strconv.FormatInt(int64(p.ID), 10) }
	// The rows' own audit.export row comes first: it is written before the file.
	want := [][]string{
		{"Time", "Who", "Actor id", "Action", "Action code", "Patient", "Patient id", "Request id", "Subject", "Changes"},
		{"2026-04-08T10:00:00+10:00", "Ada Admin", fmt.Sprintf("user:%d", w.admin.ID), "Exported the audit log", "audit.export", "", "", "req-test", "", ""},
		{"2026-04-08T10:00:00+10:00", "Ada Admin", fmt.Sprintf("user:%d", w.admin.ID), "Changed the booking rules", "clinic.booking_rules", "", "", "req-e", "Main St",
			"Book up to (days ahead): 90 → 120"},
		{"2026-04-07T10:00:00+10:00", "Patient portal: Grace Hopper", fmt.Sprintf("patient:%d", p[0].ID), "Booked an appointment", "appointment.create", "Grace Hopper", id(p[0]), "req-d", "", ""},
		{"2026-04-07T10:00:00+10:00", "Sync from the clinical software", "system:sync", "Changed a patient's details", "patient.update", `'=HYPERLINK("http://evil.example") Formula`, id(p[2]), "", "", ""},
		{"2026-04-07T10:00:00+10:00", "API token Sync bridge", fmt.Sprintf("token:%d", w.token.ID), "Viewed a patient's file", "patient.read", "Alan Turing", id(p[1]), "req-c", "", ""},
		{"2026-04-07T10:00:00+10:00", "Rita Reception", fmt.Sprintf("user:%d", w.recep.ID), "Cancelled an appointment", "appointment.cancel", "Grace Hopper", id(p[0]), "req-b", "", ""},
		{"2026-04-07T10:00:00+10:00", "Ada Admin", fmt.Sprintf("user:%d", w.admin.ID), "Viewed the agenda", "appointment.list", `'=HYPERLINK("http://evil.example") Formula`, id(p[2]), "req-a", "", ""},
		{"2026-04-07T10:00:00+10:00", "Ada Admin", fmt.Sprintf("user:%d", w.admin.ID), "Viewed the agenda", "appointment.list", "Alan Turing", id(p[1]), "req-a", "", ""},
		{"2026-04-07T10:00:00+10:00", "Ada Admin", fmt.Sprintf("user:%d", w.admin.ID), "Viewed the agenda", "appointment.list", "Grace Hopper", id(p[0]), "req-a", "", ""},
	}
	if diff := cmp.Diff(want, records); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	// The export is recorded: once, then once per patient it named.
	var exported []clinic.PatientID
	for _, e := range w.entries() {
		if e.Action == "audit.export" {
			exported = append(exported, e.PatientID)
		}
	}
	if diff := cmp.Diff([]clinic.PatientID{0, p[0].ID, p[1].ID, p[2].ID}, exported, sortIDs); diff != "" {
		t.Errorf("audit.export rows (-want +got):\n%s", diff)
	}

	// In French, the labels are French; a filter it cannot read is the page's 422.
	res = w.do(request{method: "GET", path: "/audit.csv?action=appointment.cancel", actor: actorOf(w.admin), header: map[string]string{"Accept-Language": "fr"}})
	if !strings.Contains(res.body, "A annulé un rendez-vous") || !strings.Contains(res.body, "Qui,") {
		t.Errorf("French export:\n%s", res.body)
	}
	res = w.do(request{method: "GET", path: "/audit.csv?from=yesterday", actor: actorOf(w.admin)})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `<a href="#from">From day</a>`) {
		t.Errorf("bad filter: status %d\n%s", res.status, res.body)
	}
	res = w.do(request{method: "GET", path: "/audit.csv", actor: actorOf(w.recep)})
	if res.status != http.StatusForbidden {
		t.Errorf("reception: status %d, want 403", res.status)
	}
}

func TestCSVSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+61 400", "'+61 400"}, {"-2", "'-2"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"Grace Hopper", "Grace Hopper"}, {"", ""}, {"2026-04-07T10:00:00+10:00", "2026-04-07T10:00:00+10:00"}, {"a=b", "a=b"},
	}
	for _, tc := range tests {
		if got := csvSafe(tc.in); got != tc.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAuditHiddenNames: for a viewer who may not read patients, the rows say "a patient" or
// how many, with neither names nor ids nor links to files, and nothing is recorded as read.
func TestAuditHiddenNames(t *testing.T) {
	w := newAuditWorld(t)
	es := w.entries()
	names, err := func() (n auditNames, err error) {
		err = w.db.View(context.Background(), func(tx *store.Tx) error {
			n, err = loadAuditNames(context.Background(), tx, w.fx.Org.ID, nil, es, false, 0)
			return err
		})
		return n, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	if len(names.shown) != 0 || names.patients != nil {
		t.Errorf("names read for a viewer who may not read patients: %v", names.shown)
	}
	f := frame{Loc: time.UTC, Locale: i18n.English}
	page := auditPage{Zone: "UTC"}
	var group []store.AuditEntry
	for _, e := range es {
		switch e.Action {
		case "appointment.list":
			group = append(group, e)
		case "appointment.cancel", "appointment.create":
			page.Rows = append(page.Rows, names.row(f, []store.AuditEntry{e}))
		}
	}
	page.Rows = append(page.Rows, names.row(f, group))
	body, err := w.d.execute("audit", "", view{Title: "Audit log", Header: sampleHeader("audit"), Data: page})
	if err != nil {
		t.Fatal(err)
	}
	s := html.UnescapeString(string(body))
	for _, want := range []string{"a patient", "Viewed the agenda — 3 patients", "Patient portal <span", "Patients' names are shown to staff who may read patient files."} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, p := range w.patients {
		for _, leak := range []string{p.FamilyName, fmt.Sprintf("/patients/%d", p.ID), fmt.Sprintf("patient=%d", p.ID), fmt.Sprintf("patient:%d", p.ID)} {
			if strings.Contains(s, leak) {
				t.Errorf("page shows %q to a viewer who may not read patients", leak)
			}
		}
	}
}

// sampleAuditPage is an audit page as render_test.go renders it: one file read, one list
// read of two patients by a token, one booking rules change.
func sampleAuditPage() auditPage {
	loc, _ := time.LoadLocation("Australia/Sydney")
	at := time.Date(2026, 4, 5, 9, 0, 0, 0, loc)
	f := frame{Loc: loc, Locale: i18n.English}
	users := map[clinic.UserID]clinic.User{1: {ID: 1, Name: "Ada Admin"}}
	names := auditNames{users: users, tokens: map[clinic.TokenID]clinic.Token{2: {ID: 2, Name: "Sync bridge"}},
		patients: map[clinic.PatientID]string{7: "Grace Hopper", 8: "Alan Turing"}}
	detail := `{"subject":"Main St","changes":[{"field":"horizon_days","before":90,"after":120},{"field":"grid_minutes","before":15,"after":0}]}`
	rows := []auditRow{
		names.row(f, []store.AuditEntry{{ID: 42, At: at, Actor: "user:1", ActorKind: "staff", UserID: 1, Action: "clinic.booking_rules", RequestID: "req-2", Detail: detail}}),
		names.row(f, []store.AuditEntry{{ID: 41, At: at, Actor: "user:1", ActorKind: "staff", UserID: 1, Action: "patient.read", PatientID: 7, RequestID: "req-1"}}),
		names.row(f, []store.AuditEntry{{ID: 40, At: at, Actor: "token:2", ActorKind: "token", TokenID: 2, Action: "patient.list", PatientID: 8, RequestID: "req-3"},
			{ID: 39, At: at, Actor: "token:2", ActorKind: "token", TokenID: 2, Action: "patient.list", PatientID: 7, RequestID: "req-3"}}),
	}
	return auditPage{Zone: "Australia/Sydney", Patient: 7, PatientName: "Grace Hopper", Older: "/audit?after=40&patient=7", CSV: "/audit.csv?patient=7",
		WithoutPatient: "/audit", Filtered: true, MaxExport: auditExportMax, Actions: actionMenus("appointment."),
		Users: []userChoice{{Value: 1, Name: "Ada Admin", Selected: true}, {Value: 2, Name: "Old Account", Disabled: true}}, Rows: rows}
}

// frenchAuditPage is the audit page as i18n_test.go renders it in French, with French data.
func frenchAuditPage() auditPage {
	loc, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2026, 3, 29, 9, 0, 0, 0, loc)
	f := frame{Loc: loc, Locale: i18n.French}
	names := auditNames{users: map[clinic.UserID]clinic.User{1: {ID: 1, Name: "Camille Martin"}},
		tokens: map[clinic.TokenID]clinic.Token{2: {ID: 2, Name: "Passerelle"}}, patients: map[clinic.PatientID]string{7: "Léa Dupont", 8: "Hugo Dupont"}}
	detail := `{"subject":"Cabinet du Marais","changes":[{"field":"horizon_days","before":90,"after":120},{"field":"allow_online_changes","before":true,"after":false}]}`
	p := auditPage{Zone: "Europe/Paris", Patient: 7, PatientName: "Léa Dupont", Older: "/audit?after=40", CSV: "/audit.csv", WithoutPatient: "/audit",
		Filtered: true, MaxExport: auditExportMax, Actions: actionMenus("appointment."), Users: []userChoice{{Value: 1, Name: "Camille Martin", Disabled: true}},
		Rows: []auditRow{
			names.row(f, []store.AuditEntry{{ID: 42, At: at, Actor: "user:1", UserID: 1, Action: "clinic.booking_rules", RequestID: "req-2", Detail: detail}}),
			names.row(f, []store.AuditEntry{{ID: 41, At: at, Actor: "user:1", UserID: 1, Action: "patient.read", PatientID: 7, RequestID: "req-1"}}),
			names.row(f, []store.AuditEntry{{ID: 40, At: at, Actor: "token:2", TokenID: 2, Action: "patient.list", PatientID: 8, RequestID: "req-3"},
				{ID: 39, At: at, Actor: "token:2", TokenID: 2, Action: "patient.list", PatientID: 7, RequestID: "req-3"}}),
			names.row(f, []store.AuditEntry{{ID: 38, At: at, Actor: "system:sync", ActorKind: "system", Action: "patient.update", PatientID: 8}}),
		}}
	return p
}
