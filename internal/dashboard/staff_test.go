package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// account reads one of the fixture organisation's accounts.
func (e *env) account(id clinic.UserID) clinic.User {
	e.t.Helper()
	var u clinic.User
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		u, err = tx.Staff().User(ctx, e.fx.Org.ID, id)
		return err
	})
	return u
}

// auditActions lists org's audit actions, oldest first.
func (e *env) auditActions() []string {
	e.t.Helper()
	var out []string
	e.view(func(ctx context.Context, tx *store.Tx) error {
		es, err := tx.AuditTrail().AuditLog(ctx, e.fx.Org.ID, store.AuditFilter{}, store.Page{Limit: 500})
		for i := len(es) - 1; i >= 0; i-- {
			out = append(out, es[i].Action)
		}
		return err
	})
	return out
}

var shownPassword = regexp.MustCompile(`data-testid="new-password">([^<]+)<`)

// TestStaffList: administrators see every account with its role in words, status, linked
// practitioner and last sign-in; other roles are refused (ADM-1, ADM-7).
func TestStaffList(t *testing.T) {
	e := newEnv(t)
	e.update(func(ctx context.Context, tx *store.Tx) error {
		if err := tx.Staff().SetUserRole(ctx, e.fx.Org.ID, e.recep.ID, clinic.RolePractitioner, e.fx.Practitioner.ID); err != nil {
			return err
		}
		return tx.Staff().RecordSignIn(ctx, e.fx.Org.ID, e.admin.ID)
	})
	res := e.do(request{method: "GET", path: "/staff", actor: actorOf(e.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("list: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Ada Admin", "ada@example.com", ">Administrator<", "Rita Reception", ">Practitioner<", "Dr Ada Lovelace",
		fmt.Sprintf(`href="/staff/%d"`, e.recep.ID), `href="/staff/new"`, "Tue 7 Apr 2026 10:00 AEST", "No sign-in recorded",
		`data-testid="nav-staff"`, `aria-current="page"`)
	checkCSP(t, res.body)
	for _, path := range []string{"/staff", "/staff/new", fmt.Sprintf("/staff/%d", e.admin.ID)} {
		if res := e.do(request{method: "GET", path: path, actor: actorOf(e.recep)}); res.status != http.StatusForbidden {
			t.Errorf("reception GET %s: %d, want 403", path, res.status)
		}
	}
	if res := e.do(request{method: "GET", path: "/agenda", actor: actorOf(e.recep)}); strings.Contains(res.body, `href="/staff"`) {
		t.Error("reception's navigation links to the staff accounts")
	}
}

// TestStaffCreate: the form's problems are shown under its labels (422, 409 for an e-mail
// in use); a created account's password is shown once, works, and is temporary.
func TestStaffCreate(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	res := e.do(request{method: "GET", path: "/staff/new", actor: admin})
	wantBody(t, res, `id="name"`, `id="email"`, `<option value="reception" selected>Reception</option>`,
		fmt.Sprintf(`<option value="%d">Dr Ada Lovelace</option>`, e.fx.Practitioner.ID))
	if strings.Contains(res.body, `type="password"`) {
		t.Error("the form asks for a password; Tidings makes it")
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   []string
	}{
		{"bad e-mail", url.Values{"name": {"Nina"}, "email": {"nina@example"}, "role": {"reception"}}, http.StatusUnprocessableEntity,
			[]string{`<a href="#email">E-mail</a>`, `id="email-error"`, `value="nina@example"`, `value="Nina"`}},
		{"no role", url.Values{"email": {"nina@example.com"}}, http.StatusUnprocessableEntity,
			[]string{`<a href="#role">Role</a>`, `id="role-error"`}},
		{"link with another role", url.Values{"email": {"nina@example.com"}, "role": {"reception"}, "practitioner_id": {fmt.Sprint(e.fx.Practitioner.ID)}},
			http.StatusUnprocessableEntity, []string{`<a href="#practitioner_id">Practitioner</a>`, "only a practitioner&#39;s account is linked to a practitioner",
				fmt.Sprintf(`<option value="%d" selected>`, e.fx.Practitioner.ID)}},
		{"bad practitioner id", url.Values{"email": {"nina@example.com"}, "role": {"practitioner"}, "practitioner_id": {"x"}},
			http.StatusUnprocessableEntity, []string{`id="practitioner_id-error"`}},
		{"e-mail in use", url.Values{"email": {"RITA@example.com"}, "role": {"reception"}}, http.StatusConflict,
			[]string{`<a href="#email">E-mail</a>`, "a staff account with this e-mail already exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: "/staff/new", form: tt.form, actor: admin})
			if res.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
			}
			wantBody(t, res, tt.want...)
		})
	}
	res = e.do(request{method: "POST", path: "/staff/new", actor: admin, form: url.Values{"name": {" Nina Nurse "}, "email": {"Nina@Example.com"},
		"role": {"practitioner"}, "practitioner_id": {fmt.Sprint(e.fx.Practitioner.ID)}}})
	if res.status != http.StatusOK || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q\n%s", res.status, res.header.Get("Cache-Control"), res.body)
	}
	m := shownPassword.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no password shown:\n%s", res.body)
	}
	var nina clinic.User
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		nina, err = tx.Staff().UserByEmail(ctx, "nina@example.com")
		return err
	})
	if ok, _ := auth.CheckPassword(nina.PasswordHash, m[1]); !ok || !nina.TemporaryPassword || nina.Name != "Nina Nurse" ||
		nina.Role != clinic.RolePractitioner || nina.PractitionerID != e.fx.Practitioner.ID {
		t.Errorf("created %+v; the shown password works: %v", nina, ok)
	}
	wantBody(t, res, "Nina Nurse", "nina@example.com", fmt.Sprintf(`href="/staff/%d"`, nina.ID))
	if got := e.auditActions(); got[len(got)-1] != "user.create" {
		t.Errorf("audit %v", got)
	}
	// The practitioner is now taken: offered no more.
	res = e.do(request{method: "GET", path: "/staff/new", actor: admin})
	wantBody(t, res, fmt.Sprintf(`<option value="%d" disabled>Dr Ada Lovelace (account of Nina Nurse)</option>`, e.fx.Practitioner.ID))
}

// TestStaffAccount: an account's page changes its role and link, disables and enables it,
// and gives it a new password; one's own account and another organisation's are refused.
func TestStaffAccount(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	rita := fmt.Sprintf("/staff/%d", e.recep.ID)
	res := e.do(request{method: "GET", path: rita, actor: admin})
	wantBody(t, res, `<h1 id="staff-name">Rita Reception</h1>`, `action="`+rita+`/role"`, `action="`+rita+`/disable"`, `action="`+rita+`/password"`,
		`<option value="reception" selected>`)
	self := fmt.Sprintf("/staff/%d", e.admin.ID)
	res = e.do(request{method: "GET", path: self, actor: admin})
	wantBody(t, res, "You cannot change your own role", `href="/profile"`)
	if strings.Contains(res.body, "/disable") || strings.Contains(res.body, "/password") || strings.Contains(res.body, "/role") {
		t.Error("one's own page offers a role change, disabling or a reset")
	}

	other := storetest.Seed(t, e.db, "other")
	var stranger clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		stranger, err = tx.Staff().CreateUser(ctx, other.Org.ID, clinic.User{Email: "x@other.test", Role: clinic.RoleReception, PasswordHash: "h"})
		return err
	})
	strangerPath := fmt.Sprintf("/staff/%d", stranger.ID)
	tests := []struct {
		name   string
		method string
		path   string
		form   url.Values
		status int
		want   []string
	}{
		{"another organisation's page", "GET", strangerPath, nil, http.StatusNotFound, nil},
		{"another organisation's role", "POST", strangerPath + "/role", url.Values{"role": {"administrator"}}, http.StatusNotFound, nil},
		{"another organisation's reset", "POST", strangerPath + "/password", url.Values{}, http.StatusNotFound, nil},
		{"another organisation's disabling", "POST", strangerPath + "/disable", url.Values{}, http.StatusNotFound, nil},
		{"no such account", "GET", "/staff/abc", nil, http.StatusNotFound, nil},
		{"own role", "POST", self + "/role", url.Values{"role": {"reception"}}, http.StatusUnprocessableEntity,
			[]string{"you cannot change your own role: another administrator can"}},
		{"own account disabled", "POST", self + "/disable", url.Values{}, http.StatusUnprocessableEntity, []string{"you cannot disable your own account"}},
		{"own password reset", "POST", self + "/password", url.Values{}, http.StatusUnprocessableEntity, []string{"change your own password in your profile"}},
		{"unknown role", "POST", rita + "/role", url.Values{"role": {"king"}}, http.StatusUnprocessableEntity,
			[]string{`<a href="#role">Role</a>`, `id="role-error"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(request{method: tt.method, path: tt.path, form: tt.form, actor: admin})
			if res.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
			}
			wantBody(t, res, tt.want...)
		})
	}

	wantRedirect(t, e.do(request{method: "POST", path: rita + "/role", actor: admin,
		form: url.Values{"role": {"practitioner"}, "practitioner_id": {fmt.Sprint(e.fx.Practitioner.ID)}}}), rita+"?done=role-changed")
	if u := e.account(e.recep.ID); u.Role != clinic.RolePractitioner || u.PractitionerID != e.fx.Practitioner.ID {
		t.Errorf("after the role change: %+v", u)
	}
	res = e.do(request{method: "GET", path: rita + "?done=role-changed", actor: admin})
	wantBody(t, res, "Role saved.", fmt.Sprintf(`<option value="%d" selected>Dr Ada Lovelace</option>`, e.fx.Practitioner.ID))

	// Another role unlinks the account, whatever the practitioner select still says.
	wantRedirect(t, e.do(request{method: "POST", path: rita + "/role", actor: admin,
		form: url.Values{"role": {"reception"}, "practitioner_id": {fmt.Sprint(e.fx.Practitioner.ID)}}}), rita+"?done=role-changed")
	if u := e.account(e.recep.ID); u.Role != clinic.RoleReception || u.PractitionerID != 0 {
		t.Errorf("after leaving the practitioner role: %+v", u)
	}
	wantRedirect(t, e.do(request{method: "POST", path: rita + "/disable", form: url.Values{}, actor: admin}), rita+"?done=user-disabled")
	if e.account(e.recep.ID).DisabledAt == nil {
		t.Error("not disabled")
	}
	res = e.do(request{method: "GET", path: rita, actor: admin})
	wantBody(t, res, `action="`+rita+`/enable"`, ">Disabled<")
	wantRedirect(t, e.do(request{method: "POST", path: rita + "/enable", form: url.Values{}, actor: admin}), rita+"?done=user-enabled")

	res = e.do(request{method: "POST", path: rita + "/password", form: url.Values{}, actor: admin})
	m := shownPassword.FindStringSubmatch(res.body)
	if res.status != http.StatusOK || m == nil {
		t.Fatalf("reset: %d\n%s", res.status, res.body)
	}
	if ok, _ := auth.CheckPassword(e.account(e.recep.ID).PasswordHash, m[1]); !ok {
		t.Error("the password shown is not the account's")
	}
	got := e.auditActions()
	want := []string{"user.role", "user.role", "user.disable", "user.enable", "user.password_reset"}
	if len(got) < len(want) || strings.Join(got[len(got)-len(want):], " ") != strings.Join(want, " ") {
		t.Errorf("audit %v, want it to end with %v", got, want)
	}
}

// TestProfile: a user sets their name and language (the next page is in that language,
// ADM-6) and changes their password; problems are shown under the fields.
func TestProfile(t *testing.T) {
	e := newEnv(t)
	me := actorOf(e.recep)
	res := e.do(request{method: "GET", path: "/profile", actor: me})
	wantBody(t, res, `value="Rita Reception"`, "rita@example.com", `<option value="" selected>`, `id="current_password"`, `data-testid="nav-profile"`)
	checkCSP(t, res.body)

	res = e.do(request{method: "POST", path: "/profile", actor: me, form: url.Values{"name": {"Rita"}, "locale": {"de"}}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad language: %d", res.status)
	}
	wantBody(t, res, `<a href="#locale">Language</a>`, `value="Rita"`)
	wantRedirect(t, e.do(request{method: "POST", path: "/profile", actor: me, form: url.Values{"name": {"Rita R."}, "locale": {"fr"}}}),
		"/profile?done=profile-saved")
	res = e.do(request{method: "GET", path: "/profile?done=profile-saved", actor: me})
	wantBody(t, res, `<html lang="fr">`, "Profil enregistré.", "Votre profil", `<option value="fr" lang="fr" selected>`, `value="Rita R."`)

	const chosen = "my own long password"
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"mismatch", url.Values{"current_password": {testPassword}, "new_password": {chosen}, "new_password_2": {chosen + "!"}}, `id="new_password_2-error"`},
		{"wrong current", url.Values{"current_password": {"nope"}, "new_password": {chosen}, "new_password_2": {chosen}}, `id="current_password-error"`},
		{"too short", url.Values{"current_password": {testPassword}, "new_password": {"short"}, "new_password_2": {"short"}}, `id="new_password-error"`},
	} {
		res := e.do(request{method: "POST", path: "/profile/password", actor: me, form: tt.form})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, tt.want) {
			t.Errorf("%s: %d, want 422 with %s", tt.name, res.status, tt.want)
		}
		if strings.Contains(res.body, chosen) || strings.Contains(res.body, testPassword) {
			t.Errorf("%s: the refused form echoes a password", tt.name)
		}
	}
	wantRedirect(t, e.do(request{method: "POST", path: "/profile/password", actor: me,
		form: url.Values{"current_password": {testPassword}, "new_password": {chosen}, "new_password_2": {chosen}}}), "/profile?done=password-changed")
	if ok, _ := auth.CheckPassword(e.account(e.recep.ID).PasswordHash, chosen); !ok {
		t.Error("the password did not change")
	}
}

// TestHomeAndTemporaryPassword: the home page, and signing in, send a user with an
// administrator's password to their profile, a linked practitioner to "My day", others to
// the agenda; the header asks for a new password on every page but the profile.
func TestHomeAndTemporaryPassword(t *testing.T) {
	e := newEnv(t)
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	var doc, temp clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		if doc, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: "doc@example.com", Role: clinic.RolePractitioner,
			PasswordHash: hash, PractitionerID: e.fx.Practitioner.ID}); err != nil {
			return err
		}
		temp, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: "new@example.com", Role: clinic.RoleReception,
			PasswordHash: "h", TemporaryPassword: true})
		return err
	})
	for _, tt := range []struct {
		user clinic.User
		to   string
	}{{e.admin, "/agenda"}, {doc, "/my-day"}, {temp, "/profile"}} {
		wantRedirect(t, e.do(request{method: "GET", path: "/", actor: actorOf(tt.user)}), tt.to)
	}
	// Signing in without a page to go back to lands there too.
	wantRedirect(t, e.do(request{method: "POST", path: "/login", form: url.Values{"email": {"doc@example.com"}, "password": {testPassword}}}), "/my-day")
	res := e.do(request{method: "GET", path: "/patients", actor: actorOf(temp)})
	wantBody(t, res, `id="choose-password"`)
	if res := e.do(request{method: "GET", path: "/profile", actor: actorOf(temp)}); strings.Contains(res.body, `id="choose-password"`) ||
		!strings.Contains(res.body, `id="temporary-password"`) {
		t.Error("the profile shows the header's reminder, or not its own")
	}
	if res := e.do(request{method: "GET", path: "/patients", actor: actorOf(e.admin)}); strings.Contains(res.body, `id="choose-password"`) {
		t.Error("a user with their own password is asked to choose one")
	}
	if res := e.do(request{method: "GET", path: "/patients", actor: actorOf(doc)}); !strings.Contains(res.body, `data-testid="nav-my-day"`) {
		t.Error("a linked practitioner's navigation lacks My day")
	}
}

// TestMyDay: a linked practitioner sees the appointments of their agendas that day with
// their status buttons, and the patients shown are audited; an account linked to no
// practitioner is told so.
func TestMyDay(t *testing.T) {
	e := newEnv(t)
	var doc clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		doc, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: "doc@example.com", Role: clinic.RolePractitioner,
			PasswordHash: "h", PractitionerID: e.fx.Practitioner.ID})
		return err
	})
	sydney, _ := time.LoadLocation("Australia/Sydney")
	a := e.appt(time.Date(2026, 4, 7, 14, 0, 0, 0, sydney), clinic.StatusBooked)
	e.appt(time.Date(2026, 4, 8, 9, 0, 0, 0, sydney), clinic.StatusBooked) // tomorrow
	res := e.do(request{method: "GET", path: "/my-day", actor: actorOf(doc)})
	if res.status != http.StatusOK {
		t.Fatalf("my day: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Dr Ada Lovelace", `datetime="2026-04-07"`, "14:00–14:15", fmt.Sprintf(`href="/patients/%d"`, e.fx.Patient.ID), "Grace Hopper",
		"Standard consult", `href="/my-day?date=2026-04-06"`, `href="/my-day?date=2026-04-08"`, `data-status="arrived"`,
		fmt.Sprintf(`data-appointment-id="%d"`, a.ID), `hx-target="#my-day"`, `value="/my-day?date=2026-04-07"`, `aria-current="page"`)
	if strings.Contains(res.body, "09:00–09:15") {
		t.Error("tomorrow's appointment is shown today")
	}
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if got := e.auditActions(); got[len(got)-1] != "appointment.list" {
		t.Errorf("audit %v", got)
	}
	res = e.do(request{method: "GET", path: "/my-day?date=2026-04-08", actor: actorOf(doc)})
	wantBody(t, res, "09:00–09:15", `id="today"`)
	if res := e.do(request{method: "GET", path: "/my-day?date=tomorrow", actor: actorOf(doc)}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("bad date: %d", res.status)
	}
	n := len(e.auditActions())
	res = e.do(request{method: "GET", path: "/my-day", actor: actorOf(e.recep)})
	wantBody(t, res, `id="not-linked"`)
	if strings.Contains(res.body, "Grace Hopper") || len(e.auditActions()) != n {
		t.Error("an unlinked account sees, or audits, patients")
	}
}

// TestStaffHeaderInFrench: what this area adds to every page's header — the links to "My
// day", the staff accounts and the profile, and the reminder to choose one's own password —
// is French on a French page (ADM-6; TestPagesInFrench renders the pages themselves).
func TestStaffHeaderInFrench(t *testing.T) {
	d := frenchPages(t)
	h := sampleHeader("my-day")
	h.OrgName, h.UserName, h.Clinics = "Santé Marais", "Camille Martin", []clinicOption{{ID: 1, Name: "Cabinet du Marais", Selected: true}}
	h.Locale, h.CanStaff, h.MyDay, h.TemporaryPassword, h.CanChoose = i18n.French, true, true, true, true
	body, err := d.execute("myday", "", view{Title: "My day", Header: h, Data: myDayPage{}, Locale: i18n.French})
	if err != nil {
		t.Fatal(err)
	}
	page := string(body)
	for _, want := range []string{`href="/my-day" aria-current="page" data-testid="nav-my-day">Ma journée<`, `data-testid="nav-staff">Comptes du personnel<`,
		`data-testid="nav-profile">Votre profil<`, "Vous vous connectez avec un mot de passe créé pour vous par un administrateur.",
		"Choisissez le vôtre dans votre profil."} {
		if !strings.Contains(page, want) {
			t.Errorf("the French page lacks %q", want)
		}
	}
	text := tags.ReplaceAllString(codes.ReplaceAllString(page, " "), " ")
	if m := englishLeftovers.FindAllString(strings.ReplaceAll(text, "English", ""), -1); len(m) > 0 {
		t.Errorf("English left on the French page: %v", m)
	}
}

// TestStaffLabelsTranslated: the labels the staff pages make in Go have French.
func TestStaffLabelsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range clinic.Roles() {
		texts = append(texts, roleLabel(r))
	}
	for _, l := range staffLabels {
		if l.Label != "" {
			texts = append(texts, l.Label)
		}
	}
	for _, k := range []string{"role-changed", "user-disabled", "user-enabled", "profile-saved", "password-changed"} {
		if flashText(k) == "" {
			t.Errorf("no flash %q", k)
		}
		texts = append(texts, flashText(k))
	}
	for _, text := range texts {
		miss := false
		if cat.OnMissing(func(string) { miss = true }).T(i18n.French, text); miss {
			t.Errorf("no French text for %q", text)
		}
	}
}
