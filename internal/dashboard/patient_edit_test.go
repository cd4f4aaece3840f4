package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
)

// builtin adds to e's organisation a builtin clinical database with a clinic in Paris, and
// returns it with the cookie that makes that clinic the current one.
func (e *env) builtin() (clinic.Database, clinic.Clinic, *http.Cookie) {
	e.t.Helper()
	ctx := context.Background()
	var db clinic.Database
	var c clinic.Clinic
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		if db, err = tx.Directory().CreateDatabase(ctx, e.fx.Org.ID, clinic.Database{Name: "Tidings records", Kind: clinic.KindBuiltin,
			Profile: clinic.ProfileGeneric, RespectOptOut: true}); err != nil {
			return err
		}
		c, err = tx.Directory().CreateClinic(ctx, e.fx.Org.ID, clinic.Clinic{DatabaseID: db.ID, Slug: "marais", Name: "Cabinet du Marais",
			Zone: "Europe/Paris", Region: "FR"})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return db, c, &http.Cookie{Name: clinicCookie, Value: strconv.FormatInt(int64(c.ID), 10)}
}

// patient reads one of e's patients.
func (e *env) patient(id clinic.PatientID) clinic.Patient {
	e.t.Helper()
	ctx := context.Background()
	var p clinic.Patient
	err := e.db.View(ctx, func(tx *store.Tx) (err error) {
		p, err = tx.Patients().Patient(ctx, e.fx.Org.ID, id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

var createdPath = regexp.MustCompile(`^/patients/(\d+)\?done=patient-created$`)

// createPatient creates a patient through the form in the clinic of cookie and returns it.
func (e *env) createPatient(cookie *http.Cookie, given, family, mobile, birth string) clinic.Patient {
	e.t.Helper()
	res := e.do(request{method: "POST", path: "/patients/new", actor: actorOf(e.recep), cookie: cookie,
		form: url.Values{"given_name": {given}, "family_name": {family}, "mobile": {mobile}, "birth_date": {birth}, "email": {""}, "language": {"fr"}}})
	m := createdPath.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		e.t.Fatalf("create %s: status %d to %q\n%s", given, res.status, res.header.Get("Location"), res.body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return e.patient(clinic.PatientID(id))
}

// english asks for the pages in English: without it, the Paris clinic's pages are French
// (its region), which TestPagesInFrench covers.
var english = map[string]string{"Accept-Language": "en"}

// TestPatientCreate: reception creates a patient of the clinic's builtin database through the
// form; a refused form comes back as typed with each problem beside its field, under its
// label; a clinic of a synced database says where its patients are created instead (ADM-7).
func TestPatientCreate(t *testing.T) {
	e := newEnv(t)
	_, _, paris := e.builtin()

	res := e.do(request{method: "GET", path: "/patients/new", actor: actorOf(e.recep), cookie: paris, header: english})
	for _, want := range []string{`action="/patients/new"`, `id="given_name"`, `type="date"`, `<option value="fr" selected>`, "Tidings records"} {
		if res.status != http.StatusOK || !strings.Contains(res.body, want) {
			t.Errorf("new patient form: status %d, lacks %q", res.status, want)
		}
	}
	checkCSP(t, res.body)

	bad := url.Values{"given_name": {" "}, "family_name": {"Dupont"}, "mobile": {"01 23 45 67 89"}, "birth_date": {"2099-01-01"},
		"email": {"lea@"}, "language": {"fr"}}
	res = e.do(request{method: "POST", path: "/patients/new", actor: actorOf(e.recep), cookie: paris, header: english, form: bad})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("refused form: status %d, want 422\n%s", res.status, res.body)
	}
	for _, want := range []string{
		`<a href="#given_name">Given name</a>`, `id="given_name-error"`, `<a href="#mobile">Mobile</a>`, "is not a mobile number",
		`id="mobile-error"`, `<a href="#birth_date">Date of birth</a>`, "must be between 1900-01-01 and today", `<a href="#email">E-mail</a>`,
		`value="01 23 45 67 89"`, `value="Dupont"`, `aria-invalid="true"`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if strings.Contains(res.body, "<code>mobile</code>") {
		t.Error("the refused form names a field by its wire name")
	}

	p := e.createPatient(paris, "Léa", "Dupont", "06 12 34 56 78", "1980-12-09")
	if p.Mobile != "+33612345678" || p.Language != "fr" || p.BirthDate != "1980-12-09" {
		t.Errorf("created %+v: want the mobile in E.164, French, born 1980-12-09", p)
	}
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d?done=patient-created", p.ID), actor: actorOf(e.recep), cookie: paris, header: english})
	for _, want := range []string{"Patient created.", "06 12 34 56 78", fmt.Sprintf(`href="/patients/%d/edit"`, p.ID),
		fmt.Sprintf(`href="/appointments/new?patient_id=%d"`, p.ID)} {
		if !strings.Contains(res.body, want) {
			t.Errorf("the new patient's file lacks %q", want)
		}
	}
	checkNoPatientDataInURLs(t, res, p)

	// The fixture's clinic uses a synced database: no form, the page says where to go.
	res = e.do(request{method: "GET", path: "/patients/new", actor: actorOf(e.recep)})
	if res.status != http.StatusOK || !strings.Contains(res.body, `id="synced-note"`) || strings.Contains(res.body, `id="patient-form"`) {
		t.Errorf("new patient in a synced database's clinic: status %d, want the note and no form\n%s", res.status, res.body)
	}
	res = e.do(request{method: "GET", path: "/patients", actor: actorOf(e.recep)})
	if strings.Contains(res.body, `href="/patients/new"`) {
		t.Error("the list of a synced database's clinic offers New patient")
	}
	res = e.do(request{method: "GET", path: "/patients", actor: actorOf(e.recep), cookie: paris, header: english})
	if !strings.Contains(res.body, `href="/patients/new"`) {
		t.Error("the list of a builtin database's clinic does not offer New patient")
	}
}

// TestPatientEdit: the form is shown at the record's version and saves through the use case;
// a form shown before someone else saved is refused (409) with the reason, as typed; on a
// synced database's patient only the language is offered and saved (ADM-7).
func TestPatientEdit(t *testing.T) {
	e := newEnv(t)
	_, _, paris := e.builtin()
	p := e.createPatient(paris, "Léa", "Dupont", "06 12 34 56 78", "1980-12-09")
	edit := fmt.Sprintf("/patients/%d/edit", p.ID)

	res := e.do(request{method: "GET", path: edit, actor: actorOf(e.recep), cookie: paris, header: english})
	for _, want := range []string{`name="version" value="1"`, `value="06 12 34 56 78"`, `value="Léa"`, `value="1980-12-09"`, `action="` + edit + `"`} {
		if res.status != http.StatusOK || !strings.Contains(res.body, want) {
			t.Errorf("edit form: status %d, lacks %q", res.status, want)
		}
	}
	form := func(version, given string) url.Values {
		return url.Values{"version": {version}, "given_name": {given}, "family_name": {"Dupont"}, "mobile": {"+61 412 345 678"},
			"birth_date": {""}, "email": {"lea@example.fr"}, "language": {"en"}}
	}
	res = e.do(request{method: "POST", path: edit, actor: actorOf(e.recep), cookie: paris, header: english, form: form("1", "Léa-Rose")})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != fmt.Sprintf("/patients/%d?done=patient-saved", p.ID) {
		t.Fatalf("save: status %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	got := e.patient(p.ID)
	if d := cmp.Diff([]string{"Léa-Rose", "+61412345678", "", "lea@example.fr", "en"}, []string{got.GivenName, got.Mobile, got.BirthDate, got.Email, got.Language}); d != "" || got.Version != 2 {
		t.Errorf("saved (-want +got):\n%s\nversion %d", d, got.Version)
	}

	// The same form again, at version 1: someone else's change is not overwritten.
	res = e.do(request{method: "POST", path: edit, actor: actorOf(e.recep), cookie: paris, header: english, form: form("1", "Lea")})
	for _, want := range []string{`id="patient-conflict"`, msgPatientChanged, `value="Lea"`, `name="version" value="1"`} {
		if res.status != http.StatusConflict || !strings.Contains(res.body, want) {
			t.Errorf("stale form: status %d, lacks %q", res.status, want)
		}
	}
	if e.patient(p.ID).GivenName != "Léa-Rose" {
		t.Error("a stale form overwrote the record")
	}

	// A synced database's patient: the language only.
	s := e.fx.Patient
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d/edit", s.ID), actor: actorOf(e.recep)})
	if res.status != http.StatusOK || !strings.Contains(res.body, `data-testid="software-details"`) || !strings.Contains(res.body, `id="language"`) ||
		strings.Contains(res.body, `id="given_name"`) {
		t.Errorf("synced patient's form: status %d, want the details read-only and the language\n%s", res.status, res.body)
	}
	res = e.do(request{method: "POST", path: fmt.Sprintf("/patients/%d/edit", s.ID), actor: actorOf(e.recep),
		form: url.Values{"version": {"1"}, "given_name": {"Ada"}, "language": {"fr"}}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("synced patient's language: status %d\n%s", res.status, res.body)
	}
	if got := e.patient(s.ID); got.Language != "fr" || got.GivenName != s.GivenName {
		t.Errorf("synced patient now %s, %s: want the language changed and the name as the clinical software has it", got.GivenName, got.Language)
	}

	// Another organisation's patient, a practitioner, a form that is not the page's.
	other := e.otherOrgPatient()
	for _, tc := range []struct {
		name   string
		rq     request
		status int
	}{
		{"another organisation's patient", request{method: "GET", path: fmt.Sprintf("/patients/%d/edit", other), actor: actorOf(e.recep)}, http.StatusNotFound},
		{"another organisation's patient, posted", request{method: "POST", path: fmt.Sprintf("/patients/%d/edit", other), actor: actorOf(e.recep),
			form: form("1", "X")}, http.StatusNotFound},
		{"no version", request{method: "POST", path: edit, actor: actorOf(e.recep), form: url.Values{"given_name": {"X"}}}, http.StatusUnprocessableEntity},
		{"a practitioner", request{method: "GET", path: edit, actor: e.practitioner()}, http.StatusForbidden},
	} {
		if res := e.do(tc.rq); res.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, res.status, tc.status)
		}
	}
}

// otherOrgPatient seeds another organisation and returns its patient.
func (e *env) otherOrgPatient() clinic.PatientID {
	e.t.Helper()
	ctx := context.Background()
	var id clinic.PatientID
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		org, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: "globex", Name: "Globex"})
		if err != nil {
			return err
		}
		db, err := tx.Directory().CreateDatabase(ctx, org.ID, clinic.Database{Name: "G", Kind: clinic.KindBuiltin, Profile: clinic.ProfileGeneric})
		if err != nil {
			return err
		}
		p, err := tx.Patients().CreatePatient(ctx, org.ID, clinic.Patient{DatabaseID: db.ID, GivenName: "Olga", FamilyName: "Other", Language: "en"})
		id = p.ID
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// practitioner is a practitioner of e's organisation, who may read patients but not write them.
func (e *env) practitioner() clinic.Actor {
	return clinic.Actor{Kind: clinic.ActorStaff, OrgID: e.fx.Org.ID, Role: clinic.RolePractitioner, UserID: e.recep.ID, Label: fmt.Sprintf("user:%d", e.recep.ID)}
}

// TestPatientMergePages: from a patient file, search the other record, compare both side by
// side with what moves, merge, and find the record merged pointing at the record kept; a
// synced database's record says its clinical software merges them (ADM-7).
func TestPatientMergePages(t *testing.T) {
	e := newEnv(t)
	_, _, paris := e.builtin()
	keep := e.createPatient(paris, "Léa", "Dupont", "06 12 34 56 78", "1980-12-09")
	dup := e.createPatient(paris, "Lea", "Dupont", "06 12 34 56 79", "")
	admin := actorOf(e.admin)

	res := e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d", keep.ID), actor: admin, cookie: paris, header: english})
	if !strings.Contains(res.body, fmt.Sprintf(`href="/patients/%d/merge"`, keep.ID)) {
		t.Error("the patient file does not offer the merge")
	}
	res = e.do(request{method: "POST", path: fmt.Sprintf("/patients/%d/merge/search", keep.ID), actor: admin, cookie: paris, header: english, form: url.Values{"q": {"dupont"}}})
	if res.status != http.StatusOK || !strings.Contains(res.body, fmt.Sprintf(`href="/patients/%d/merge/%d"`, keep.ID, dup.ID)) ||
		strings.Contains(res.body, fmt.Sprintf(`href="/patients/%d/merge/%d"`, keep.ID, keep.ID)) {
		t.Errorf("merge search: status %d, want the other record and not this one\n%s", res.status, res.body)
	}
	checkNoPatientDataInURLs(t, res, keep)

	confirm := fmt.Sprintf("/patients/%d/merge/%d", keep.ID, dup.ID)
	res = e.do(request{method: "GET", path: confirm, actor: admin, cookie: paris, header: english})
	for _, want := range []string{`data-testid="merge-compare"`, "Léa", "Lea", "06 12 34 56 79", "Appointments: 0", "Audit log entries: ",
		`name="remove" value="` + strconv.FormatInt(int64(dup.ID), 10) + `"`, fmt.Sprintf(`href="/patients/%d/merge/%d"`, dup.ID, keep.ID)} {
		if res.status != http.StatusOK || !strings.Contains(res.body, want) {
			t.Errorf("confirmation: status %d, lacks %q", res.status, want)
		}
	}
	res = e.do(request{method: "POST", path: fmt.Sprintf("/patients/%d/merge", keep.ID), actor: admin, cookie: paris, header: english,
		form: url.Values{"remove": {strconv.FormatInt(int64(dup.ID), 10)}}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != fmt.Sprintf("/patients/%d?done=patients-merged", keep.ID) {
		t.Fatalf("merge: status %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	if got := e.patient(dup.ID); got.MergedInto != keep.ID {
		t.Fatalf("the record merged points at %d, want %d", got.MergedInto, keep.ID)
	}
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d", dup.ID), actor: admin, cookie: paris, header: english})
	if !strings.Contains(res.body, `id="merged-banner"`) || !strings.Contains(res.body, fmt.Sprintf(`href="/patients/%d" class="patient-link"`, keep.ID)) ||
		strings.Contains(res.body, `id="edit-patient"`) || strings.Contains(res.body, `<button type="submit" id="patient-switch"`) {
		t.Errorf("the record merged's file: want the banner to the record kept and no action\n%s", res.body)
	}
	res = e.do(request{method: "GET", path: confirm, actor: admin, cookie: paris, header: english})
	if !strings.Contains(res.body, `id="merge-problem"`) || strings.Contains(res.body, `id="confirm-merge"`) {
		t.Errorf("merging again: want the reason and no button\n%s", res.body)
	}
	res = e.do(request{method: "POST", path: fmt.Sprintf("/patients/%d/merge", keep.ID), actor: admin, cookie: paris, header: english,
		form: url.Values{"remove": {strconv.FormatInt(int64(dup.ID), 10)}}})
	if res.status != http.StatusConflict || !strings.Contains(res.body, `id="merge-problem"`) {
		t.Errorf("merging again, posted: status %d, want 409 with the reason", res.status)
	}
	res = e.do(request{method: "POST", path: "/patients/search", actor: admin, cookie: paris, header: english, form: url.Values{"q": {"dupont"}}})
	if strings.Contains(res.body, fmt.Sprintf(`href="/patients/%d"`, dup.ID)) {
		t.Error("a search still lists the record merged")
	}

	// The fixture's patient is of a synced database: its clinical software merges.
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d/merge", e.fx.Patient.ID), actor: admin})
	if !strings.Contains(res.body, `id="synced-merge"`) || strings.Contains(res.body, `id="merge-search"`) {
		t.Errorf("merge of a synced database's record: want the note and no search\n%s", res.body)
	}
	if res := e.do(request{method: "GET", path: confirm, actor: actorOf(e.recep), cookie: paris, header: english}); res.status != http.StatusForbidden {
		t.Errorf("reception asks for a merge: status %d, want 403", res.status)
	}
	rows := e.auditRows(e.fx.Org.ID)
	for _, want := range []string{fmt.Sprintf("patient.merge %d", keep.ID), fmt.Sprintf("patient.merge %d", dup.ID), fmt.Sprintf("patient.search %d", dup.ID)} {
		found := false
		for _, r := range rows {
			found = found || r == want
		}
		if !found {
			t.Errorf("audit log lacks %q", want)
		}
	}
}

// TestPatientListScope: the list and the search show the current clinic's database's
// patients only, each with the mobile as the clinic writes it and the age today in its zone.
func TestPatientListScope(t *testing.T) {
	e := newEnv(t)
	_, _, paris := e.builtin()
	lea := e.createPatient(paris, "Léa", "Hopper", "06 12 34 56 78", "2025-01-15")
	grace := e.fx.Patient // Sydney's synced database, born 1980-12-09, +61412345678

	row := func(body string, id clinic.PatientID) string {
		i := strings.Index(body, fmt.Sprintf(`<tr data-patient-id="%d">`, id))
		if i < 0 {
			return ""
		}
		return body[i : i+strings.Index(body[i:], "</tr>")]
	}
	sydney := e.do(request{method: "GET", path: "/patients", actor: actorOf(e.recep)})
	marais := e.do(request{method: "POST", path: "/patients/search", actor: actorOf(e.recep), cookie: paris, header: english, form: url.Values{"q": {"hopper"}}})
	tests := []struct {
		name      string
		body      string
		shown     clinic.PatientID
		hidden    clinic.PatientID
		wantInRow []string
	}{
		{"Sydney's list", sydney.body, grace.ID, lea.ID, []string{"0412 345 678", "45 years"}},
		{"the Marais's search", marais.body, lea.ID, grace.ID, []string{"06 12 34 56 78", "14 months"}},
	}
	for _, tc := range tests {
		r := row(tc.body, tc.shown)
		if r == "" {
			t.Errorf("%s does not list patient %d", tc.name, tc.shown)
		}
		for _, w := range tc.wantInRow {
			if !strings.Contains(r, w) {
				t.Errorf("%s: row lacks %q:\n%s", tc.name, w, r)
			}
		}
		if row(tc.body, tc.hidden) != "" {
			t.Errorf("%s lists patient %d of another database", tc.name, tc.hidden)
		}
	}
}

// TestLocalPhone: numbers of the clinic's country in its national format, others with
// their country code, anything else as stored.
func TestLocalPhone(t *testing.T) {
	tests := []struct{ e164, region, want string }{
		{"+33612345678", "FR", "06 12 34 56 78"},
		{"+33612345678", "fr", "06 12 34 56 78"},
		{"+61412345678", "AU", "0412 345 678"},
		{"+61412345678", "FR", "+61 412 345 678"},
		{"+33612345678", "AU", "+33 6 12 34 56 78"},
		{"+14155550123", "US", "(415) 555-0123"},
		{"+33612345678", "", "+33 6 12 34 56 78"},
		{"", "FR", ""},
		{"not a number", "FR", "not a number"},
	}
	for _, tc := range tests {
		if got := localPhone(tc.e164, tc.region); got != tc.want {
			t.Errorf("localPhone(%q, %q) = %q, want %q", tc.e164, tc.region, got, tc.want)
		}
	}
}

// TestAgeOn: whole years, months under two, birthdays at the clinic's midnight, 29 February.
func TestAgeOn(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-04-07 14:30 UTC is already 8 April in Sydney (AEST, UTC+10).
	now := time.Date(2026, 4, 7, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		birth string
		loc   *time.Location
		want  *age
	}{
		{"1980-12-09", sydney, &age{N: 45}},
		{"1980-04-08", sydney, &age{N: 46}},
		{"1980-04-08", time.UTC, &age{N: 45}},
		{"2024-04-08", sydney, &age{N: 2}},
		{"2024-04-09", sydney, &age{N: 23, Months: true}},
		{"2026-04-08", sydney, &age{N: 0, Months: true}},
		{"2026-04-08", time.UTC, nil},
		{"2000-02-29", time.UTC, &age{N: 26}},
		{"", sydney, nil},
		{"09/12/1980", sydney, nil},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, ageOn(tc.birth, now, tc.loc)); d != "" {
			t.Errorf("ageOn(%q, %s) (-want +got):\n%s", tc.birth, tc.loc, d)
		}
	}
	leap := time.Date(2027, 2, 28, 12, 0, 0, 0, time.UTC)
	if got := ageOn("2000-02-29", leap, time.UTC); got == nil || got.N != 26 {
		t.Errorf("born 29 February, on 28 February 2027: %+v, want 26 (27 on 1 March)", got)
	}
}

// TestMergeLabels: every reference a merge moves has a label in words, in French too.
func TestMergeLabels(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	labels := mergeLabels()
	for _, r := range store.PatientRefs() {
		if r.Rule == store.MergeRelatives && r.Column != "patient_id" {
			continue // shown once, as the patient_id side
		}
		l, ok := labels[r.Key()]
		if !ok {
			t.Errorf("%s has no label: the merge confirmation would show its table name", r.Key())
			continue
		}
		if !cat.Has(i18n.French, l) {
			t.Errorf("no French for %q", l)
		}
	}
	for _, text := range []string{msgSyncedMerge, msgPatientChanged, problemText(clinic.Invalid("remove", "must be a record of the same clinical database")),
		problemText(clinic.Invalid("remove", "must be another record than the one kept"))} {
		miss := false
		if cat.OnMissing(func(string) { miss = true }).T(i18n.French, text); miss {
			t.Errorf("no French for %q", text)
		}
	}
}
