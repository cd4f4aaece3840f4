package dashboard

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

func TestBookButton(t *testing.T) {
	tests := []struct {
		name                 string
		base, size, colour   string
		wantHref, wantText   string
		wantPadding, wantFnt string
		wantFields           []string
	}{
		{name: "medium, dark blue: white text", base: "https://clinic.example", size: "medium", colour: "#0b5cad",
			wantHref: "https://clinic.example/p/acme-main/book", wantText: "#ffffff", wantPadding: "12px 20px", wantFnt: "16px"},
		{name: "small, yellow: black text", base: "https://clinic.example/", size: "small", colour: "#F2C94C",
			wantHref: "https://clinic.example/p/acme-main/book", wantText: "#000000", wantPadding: "8px 14px", wantFnt: "14px"},
		{name: "large, black: white text", size: "large", colour: "#000000",
			wantHref: "/p/acme-main/book", wantText: "#ffffff", wantPadding: "16px 28px", wantFnt: "20px"},
		{name: "white: black text", base: "http://localhost:8080", size: "large", colour: "#ffffff",
			wantHref: "http://localhost:8080/p/acme-main/book", wantText: "#000000", wantPadding: "16px 28px", wantFnt: "20px"},
		// Near the crossover (relative luminance ≈ 0.18) either text passes 4.5:1; the
		// one that contrasts more is taken.
		{name: "mid grey: black text", size: "medium", colour: "#777777", wantHref: "/p/acme-main/book", wantText: "#000000",
			wantPadding: "12px 20px", wantFnt: "16px"},
		{name: "unknown size", size: "huge", colour: "#0b5cad", wantFields: []string{"button_size"}},
		{name: "a colour name", size: "small", colour: "red", wantFields: []string{"button_colour"}},
		{name: "short hex", size: "small", colour: "#fff", wantFields: []string{"button_colour"}},
		{name: "not hex", size: "small", colour: "#gg0000", wantFields: []string{"button_colour"}},
		{name: "both wrong", size: "", colour: "", wantFields: []string{"button_size", "button_colour"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := newBookButton(tc.base, "acme-main", tc.size, tc.colour)
			var fields []string
			for _, f := range clinic.FieldsOf(err) {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tc.wantFields, fields); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if b.Href != tc.wantHref || b.Text != tc.wantText {
				t.Errorf("href %q text %q, want %q %q", b.Href, b.Text, tc.wantHref, tc.wantText)
			}
			bg := strings.ToLower(tc.colour)
			for _, want := range []string{"padding:" + tc.wantPadding + ";", "font-size:" + tc.wantFnt + ";", "color:" + tc.wantText + ";",
				"background-color:" + bg + ";", "display:inline-block", "text-decoration:none"} {
				if !strings.Contains(b.Style, want) {
					t.Errorf("style %q lacks %q", b.Style, want)
				}
			}
			code := b.HTML("Book an appointment")
			want := `<a href="` + tc.wantHref + `" style="` + b.Style + `">Book an appointment</a>`
			if code != want {
				t.Errorf("code\n%s\nwant\n%s", code, want)
			}
			if strings.Contains(code, "<script") || strings.Contains(code, "class=") || strings.Contains(code, "<link") {
				t.Errorf("code depends on more than itself: %s", code)
			}
		})
	}
}

// TestBookButtonContrast: whatever the colour, the text chosen contrasts at least 4.5:1
// with it (WCAG AA for normal text).
func TestBookButtonContrast(t *testing.T) {
	for r := 0; r < 256; r += 5 {
		for g := 0; g < 256; g += 5 {
			for b := 0; b < 256; b += 5 {
				colour := fmt.Sprintf("#%02x%02x%02x", r, g, b)
				btn, err := newBookButton("", "x", "medium", colour)
				if err != nil {
					t.Fatal(err)
				}
				c, _ := parseColour(colour)
				text, _ := parseColour(btn.Text)
				if ratio := contrast(luminance(c), luminance(text)); ratio < 4.5 {
					t.Fatalf("%s with %s text: contrast %.2f", colour, btn.Text, ratio)
				}
			}
		}
	}
}

func TestBookButtonEscapes(t *testing.T) {
	b, err := newBookButton("https://a.example", "x", "small", "#000000")
	if err != nil {
		t.Fatal(err)
	}
	b.Href += `"><script>`
	code := b.HTML(`Prendre <rendez-vous> & "plus"`)
	if strings.Contains(code, "<script>") || strings.Contains(code, "<rendez-vous>") || !strings.Contains(code, "&lt;rendez-vous&gt; &amp; &#34;plus&#34;") {
		t.Errorf("not escaped: %s", code)
	}
}

func TestPublicBase(t *testing.T) {
	tests := []struct {
		host  string
		tls   bool
		proto string // X-Forwarded-Proto, never trusted
		want  string
	}{
		{"tidings.clinic.example", false, "", "https://tidings.clinic.example"},
		{"tidings.clinic.example", false, "http", "https://tidings.clinic.example"},
		{"tidings.clinic.example:8443", true, "", "https://tidings.clinic.example:8443"},
		{"localhost:8080", false, "https", "http://localhost:8080"},
		{"127.0.0.1:8080", false, "", "http://127.0.0.1:8080"},
		{"[::1]:8080", false, "", "http://[::1]:8080"},
		{"localhost:8443", true, "", "https://localhost:8443"},
		{"evil.example/x", false, "", ""},
		{`a"b`, false, "", ""},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, "/settings/portal", nil)
		r.Host = tc.host
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if got := publicBase(r); got != tc.want {
			t.Errorf("host %q tls %v proto %q: %q, want %q", tc.host, tc.tls, tc.proto, got, tc.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for cents, want := range map[int64]string{0: "0", 5000: "50", 4950: "49.50", 4905: "49.05", 1: "0.01", 10000000: "100000"} {
		if got := formatAmount(cents); got != want {
			t.Errorf("%d: %q, want %q", cents, got, want)
		}
	}
}

// portalSettings reads the fixture clinic's portal settings as stored.
func (e *env) portalSettings() store.PortalSettings {
	e.t.Helper()
	var s store.PortalSettings
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		s, _, err = tx.Portal().PortalSettingsOf(ctx, e.fx.Org.ID, e.fx.Clinic.ID)
		return err
	})
	return s
}

func TestPortalSettings(t *testing.T) {
	e := newEnv(t)
	for _, route := range []string{"GET /settings/portal", "POST /settings/portal", "GET /settings/portal/button", "POST /settings/portal/invite"} {
		if got := routePerm(t, e.d, route); got != clinic.PermManageDirectory {
			t.Errorf("%s needs %s", route, got)
		}
	}
	if res := e.do(request{method: "GET", path: "/settings/portal", actor: actorOf(e.recep)}); res.status != http.StatusForbidden {
		t.Errorf("reception: %d, want 403", res.status)
	}
	if res := e.do(request{method: "POST", path: "/settings/portal", actor: actorOf(e.recep), form: url.Values{"slug": {"x"}}}); res.status != http.StatusForbidden {
		t.Errorf("reception saves: %d, want 403", res.status)
	}

	res := e.do(request{method: "GET", path: "/settings/portal", actor: actorOf(e.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, fmt.Sprintf(`name="clinic_id" value="%d"`, e.fx.Clinic.ID), `name="enabled" value="on" checked`, `name="slug" value="acme-main"`,
		`<a href="/p/acme-main" id="portal-link">/p/acme-main</a>`, `name="online_booking" value="on" checked`, `name="staff_alert" value="on">`,
		`name="late_fee" value="0"`, `value="0"`, `<option value="medium" selected>`, `type="color" value="#0b5cad"`,
		`data-testid="nav-portal"`, `aria-current="page" data-testid="nav-portal"`, `href="/settings/booking"`, `href="/patients/duplicates"`,
		"Tidings does not take card details", `id="book-preview"`, `data-css="display:inline-block;padding:12px 20px;`,
		// The embed code, absolute on the address the dashboard was reached at (example.com: httptest's).
		`&lt;a href=&#34;https://example.com/p/acme-main/book&#34; style=&#34;display:inline-block;`, `&gt;Book an appointment&lt;/a&gt;</textarea>`,
		"Send (1) invite", `portal.js`)
	if strings.Contains(res.body, `id="fee-cancels-out"`) {
		t.Error("the POR-3 warning is shown without a fee")
	}
	checkCSP(t, res.body)

	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "part": {"settings"}, "enabled": {"on"}, "slug": {" Harbour-Health "},
		"staff_alert": {"on"}, "late_fee": {"49,50"}, "late_fee_hours": {"24"}}
	want := e.portalSettings()
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal", form: form, actor: actorOf(e.admin)}), "/settings/portal?done=portal-saved")
	got := e.portalSettings()
	want.Slug, want.Enabled, want.OnlineBooking, want.StaffAlert, want.LateFeeCents, want.LateFeeWindow = "harbour-health", true, false, true, 4950, 24*time.Hour
	if want.ButtonSize != "medium" || want.ButtonColour != "#0b5cad" {
		t.Errorf("the fixture's button is %s %s", want.ButtonSize, want.ButtonColour)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.PortalSettings{}, "UpdatedAt")); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if !e.hasAudit("portal.settings 0") {
		t.Errorf("no portal.settings audit row: %v", e.auditRows(e.fx.Org.ID))
	}
	// The fee window (24 h) is not longer than the notice to cancel online (24 h): POR-3.
	res = e.do(request{method: "GET", path: "/settings/portal?done=portal-saved", actor: actorOf(e.admin)})
	wantBody(t, res, "Patient portal settings saved.", `name="slug" value="harbour-health"`, `name="online_booking" value="on">`,
		`name="late_fee" value="49.50"`, `id="late_fee_hours" name="late_fee_hours" type="number" min="0" max="720" step="1" value="24"`,
		`id="fee-cancels-out"`, "The fee window (24 hours) is not longer than the minimum notice to cancel online (24 hours)",
		"less than 24 hours", `/p/harbour-health/book`)

	form.Set("late_fee_hours", "48")
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal", form: form, actor: actorOf(e.admin)}), "/settings/portal?done=portal-saved")
	if res := e.do(request{method: "GET", path: "/settings/portal", actor: actorOf(e.admin)}); strings.Contains(res.body, `id="fee-cancels-out"`) {
		t.Error("the POR-3 warning is shown with a window longer than the notice")
	}

	saved := e.portalSettings()
	for _, tc := range []struct {
		name   string
		set    map[string]string
		fields []string
	}{
		{"slug with a space", map[string]string{"slug": "harbour health"}, []string{"slug"}},
		{"slug ending with a dash", map[string]string{"slug": "harbour-"}, []string{"slug"}},
		{"fee not an amount", map[string]string{"late_fee": "fifty"}, []string{"late_fee"}},
		{"fee with three decimals", map[string]string{"late_fee": "1.005"}, []string{"late_fee"}},
		{"hours out of range", map[string]string{"late_fee_hours": "721"}, []string{"late_fee_hours"}},
		{"a fee without a window", map[string]string{"late_fee_hours": "0"}, []string{"late_fee_hours"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			for k, v := range tc.set {
				f.Set(k, v)
			}
			res := e.do(request{method: "POST", path: "/settings/portal", form: f, actor: actorOf(e.admin)})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			for _, fl := range tc.fields {
				wantBody(t, res, `data-field="`+fl+`"`, `id="`+fl+`"`)
			}
			// The form is shown again as typed.
			wantBody(t, res, `name="slug" value="`+strings.TrimSpace(f.Get("slug"))+`"`, `name="late_fee" value="`+f.Get("late_fee")+`"`, `aria-invalid="true"`)
			if diff := cmp.Diff(saved, e.portalSettings()); diff != "" {
				t.Errorf("a refused form saved (-want +got):\n%s", diff)
			}
		})
	}

	// Another organisation's portal with that address: refused on the slug.
	other := storetest.Seed(t, e.db, "other")
	f := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "slug": {"other-main"}}
	if res := e.do(request{method: "POST", path: "/settings/portal", form: f, actor: actorOf(e.admin)}); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, `data-field="slug"`) {
		t.Errorf("a slug taken: %d", res.status)
	}
	// Another organisation's clinic: not found.
	form.Set("clinic_id", fmt.Sprint(other.Clinic.ID))
	if res := e.do(request{method: "POST", path: "/settings/portal", form: form, actor: actorOf(e.admin)}); res.status != http.StatusNotFound {
		t.Errorf("another organisation's clinic: %d, want 404", res.status)
	}
	if res := e.do(request{method: "GET", path: fmt.Sprintf("/settings/portal?clinic_id=%d", other.Clinic.ID), actor: actorOf(e.admin)}); res.status != http.StatusNotFound {
		t.Errorf("GET another organisation's clinic: %d, want 404", res.status)
	}
}

func TestPortalButton(t *testing.T) {
	e := newEnv(t)
	base := fmt.Sprintf("clinic_id=%d&part=button&button_size=large&button_colour=%%23F2C94C", e.fx.Clinic.ID)
	// The preview: nothing saved, the page shows the button chosen and its code.
	res := e.do(request{method: "GET", path: "/settings/portal/button?" + base, actor: actorOf(e.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `<option value="large" selected>`, `type="color" value="#F2C94C"`, "not saved", `class="book-preview book-preview-large"`,
		`padding:16px 28px;font-size:20px;`, `color:#000000;background-color:#f2c94c;`, `<html lang="en">`)
	checkCSP(t, res.body)
	if got := e.portalSettings(); got.ButtonSize != "medium" || got.ButtonColour != "#0b5cad" {
		t.Errorf("a preview saved: %s %s", got.ButtonSize, got.ButtonColour)
	}
	// Asked by the page's script: the preview block only.
	res = e.do(request{method: "GET", path: "/settings/portal/button?" + base, actor: actorOf(e.admin), header: map[string]string{"HX-Request": "true"}})
	if res.status != http.StatusOK || !strings.HasPrefix(res.body, `<div id="button-preview"`) || strings.Contains(res.body, "<html") {
		t.Errorf("fragment: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `padding:16px 28px;`, `&lt;a href=&#34;https://example.com/p/acme-main/book&#34;`)
	// A colour the button cannot be made of: named, and the saved button shown.
	res = e.do(request{method: "GET", path: "/settings/portal/button?button_size=large&button_colour=red", actor: actorOf(e.admin), header: map[string]string{"HX-Request": "true"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("bad colour: %d, want 422", res.status)
	}
	wantBody(t, res, `data-field="button_colour"`, `background-color:#0b5cad`)
	// Without the two fields: the saved button.
	res = e.do(request{method: "GET", path: "/settings/portal/button", actor: actorOf(e.admin)})
	if res.status != http.StatusOK || strings.Contains(res.body, "not saved") {
		t.Errorf("no fields: %d", res.status)
	}

	// Saving the button form changes the button only.
	before := e.portalSettings()
	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "part": {"button"}, "button_size": {"small"}, "button_colour": {"#1D6B3A"}}
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal", form: form, actor: actorOf(e.admin)}), "/settings/portal?done=portal-saved#button")
	after := e.portalSettings()
	before.ButtonSize, before.ButtonColour = "small", "#1d6b3a"
	if diff := cmp.Diff(before, after, cmpopts.IgnoreFields(store.PortalSettings{}, "UpdatedAt")); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	res = e.do(request{method: "GET", path: "/settings/portal", actor: actorOf(e.admin)})
	wantBody(t, res, `<option value="small" selected>`, `padding:8px 14px;`, `color:#ffffff;background-color:#1d6b3a;`)

	for _, tc := range []struct{ size, colour, field string }{{"huge", "#000000", "button_size"}, {"small", "blue", "button_colour"}} {
		form.Set("button_size", tc.size)
		form.Set("button_colour", tc.colour)
		res := e.do(request{method: "POST", path: "/settings/portal", form: form, actor: actorOf(e.admin)})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d, want 422", tc.field, res.status)
		}
		wantBody(t, res, `data-field="`+tc.field+`"`, `name="slug" value="acme-main"`)
	}
	if diff := cmp.Diff(after, e.portalSettings()); diff != "" {
		t.Errorf("a refused button saved (-want +got):\n%s", diff)
	}
}

// portalPeople seeds the cases of POR-6 and POR-7 beside the fixture's Grace Hopper
// (grace@example.com, a valid address of her own): two people sharing an address (a
// duplicate), a parent and child sharing one with the child recorded as the parent's
// relative (not a duplicate: the parent holds it), the same person in two databases (not a
// duplicate), and an address that is not one.
type portalPeople struct {
	ann, bob, parent, child, sam, samThere, bad clinic.Patient
}

func (e *env) portalPeople() portalPeople {
	e.t.Helper()
	var p portalPeople
	e.update(func(ctx context.Context, tx *store.Tx) error {
		org := e.fx.Org.ID
		other, err := tx.Directory().CreateDatabase(ctx, org, clinic.Database{Name: "Other PMS", Kind: clinic.KindBuiltin})
		if err != nil {
			return err
		}
		create := func(db clinic.DatabaseID, given, family, birth, email string) clinic.Patient {
			if err != nil {
				return clinic.Patient{}
			}
			var x clinic.Patient
			x, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: db, GivenName: given, FamilyName: family, BirthDate: birth,
				Email: email, Language: "en"})
			return x
		}
		here := e.fx.Database.ID
		p.ann = create(here, "Ann", "Lee", "1980-01-02", "lee.home@example.com")
		p.bob = create(here, "Bob", "Lee", "1982-03-04", "Lee.Home@Example.com")
		p.parent = create(here, "Pat", "Parent", "1975-05-06", "family@example.com")
		p.child = create(here, "Kit", "Parent", "2015-07-08", "family@example.com")
		p.sam = create(here, "Sam", "Same", "1970-09-10", "sam@example.com")
		p.samThere = create(other.ID, "sam", "SAME", "1970-09-10", "sam@example.com")
		p.bad = create(here, "Bea", "Bad", "1990-11-12", "not-an-address")
		if err != nil {
			return err
		}
		return tx.Patients().LinkRelatives(ctx, org, p.parent.ID, p.child.ID, clinic.RelParent)
	})
	return p
}

// duplicateEmails are the addresses the report lists, in order.
var duplicateAddress = regexp.MustCompile(`<tbody data-email="([^"]*)">`)

func TestDuplicateReport(t *testing.T) {
	e := newEnv(t)
	p := e.portalPeople()
	practitioner := e.user(clinic.RolePractitioner, "pia@example.com")
	for _, route := range []string{"GET /patients/duplicates", "POST /patients/duplicates"} {
		if got := routePerm(t, e.d, route); got != clinic.PermReadPatients {
			t.Errorf("%s needs %s", route, got)
		}
	}
	res := e.do(request{method: "GET", path: "/patients/duplicates", actor: actorOf(practitioner)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	var got []string
	for _, m := range duplicateAddress.FindAllStringSubmatch(res.body, -1) {
		got = append(got, m[1])
	}
	if diff := cmp.Diff([]string{"lee.home@example.com"}, got); diff != "" {
		t.Errorf("shared addresses (-want +got):\n%s", diff)
	}
	wantBody(t, res, "Ann Lee", "Bob Lee", "2 Jan 1980", "4 Mar 1982", fmt.Sprintf(`href="/patients/%d"`, p.ann.ID), fmt.Sprintf(`href="/patients/%d#relatives"`, p.bob.ID),
		`id="relative-hint"`, "1 shared address.", `action="/patients/duplicates"`, `method="post"`)
	for _, absent := range []string{"Pat Parent", "Sam Same", "Bea Bad", "Grace Hopper"} {
		if strings.Contains(res.body, absent) {
			t.Errorf("the report lists %s", absent)
		}
	}
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, p.ann)
	wantAudit := []string{fmt.Sprintf("patient.duplicates %d", p.ann.ID), fmt.Sprintf("patient.duplicates %d", p.bob.ID)}
	if diff := cmp.Diff(wantAudit, e.auditRows(e.fx.Org.ID)); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}

	// The filter comes in the body, never in the URL.
	res = e.do(request{method: "POST", path: "/patients/duplicates", form: url.Values{"q": {"BOB"}}, actor: actorOf(practitioner)})
	wantBody(t, res, "Bob Lee", "Ann Lee", `value="BOB"`, `href="/patients/duplicates"`)
	res = e.do(request{method: "POST", path: "/patients/duplicates", form: url.Values{"q": {"turing"}}, actor: actorOf(practitioner)})
	wantBody(t, res, `id="no-duplicates"`, "No shared address matches.")
	res = e.do(request{method: "POST", path: "/patients/duplicates", form: url.Values{"q": {strings.Repeat("x", 201)}}, actor: actorOf(practitioner)})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("a long filter: %d, want 422", res.status)
	}

	// Another organisation's shared addresses are not listed.
	other := newEnvOther(t, e)
	res = e.do(request{method: "GET", path: "/patients/duplicates", actor: actorOf(other)})
	if res.status != http.StatusOK || strings.Contains(res.body, "Ann Lee") || !strings.Contains(res.body, `id="no-duplicates"`) {
		t.Errorf("another organisation: %d\n%s", res.status, res.body)
	}
}

// newEnvOther adds an organisation with an administrator of its own to e's database.
func newEnvOther(t *testing.T, e *env) clinic.User {
	t.Helper()
	fx := storetest.Seed(t, e.db, "other")
	var u clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		u, err = tx.Staff().CreateUser(ctx, fx.Org.ID, clinic.User{Email: "olga@other.example", Name: "Olga", Role: clinic.RoleAdministrator, PasswordHash: "x"})
		return err
	})
	return u
}

func TestInvites(t *testing.T) {
	e := newEnv(t)
	p := e.portalPeople()
	admin := actorOf(e.admin)

	// Grace, the parent (for the child too) and Sam (one person in two databases); not
	// Ann and Bob (a duplicate), the child (the parent holds the address), nor Bea.
	n, err := e.d.accounts.InviteCount(context.Background(), admin, e.fx.Clinic.ID)
	if err != nil || n != 3 {
		t.Fatalf("InviteCount = %d, %v; want 3", n, err)
	}
	res := e.do(request{method: "GET", path: "/settings/portal", actor: admin})
	wantBody(t, res, "Send (3) invites", "An invitation goes only to a patient with a valid e-mail address that no other patient shares")

	// The patient file says who can be invited, and why not.
	for _, tc := range []struct {
		name string
		who  clinic.Patient
		want []string
		not  []string
	}{
		{"own address", e.fx.Patient, []string{`id="invite-patient"`, "Send invite to patient portal", "No portal account."}, []string{`id="portal-why"`}},
		{"parent", p.parent, []string{`id="invite-patient"`}, []string{`id="portal-why"`}},
		{"managed child", p.child, []string{`id="portal-why"`, "This patient is a relative managed by the holder of this e-mail address", `href="#relatives"`}, []string{`id="invite-patient"`}},
		{"shared address", p.ann, []string{`id="portal-why"`, "shares this e-mail address with another patient", `href="/patients/duplicates"`}, []string{`id="invite-patient"`}},
		{"same person, this database", p.sam, []string{`id="invite-patient"`}, nil},
		{"same person, another database", p.samThere, []string{`id="portal-elsewhere"`}, []string{`id="invite-patient"`}},
		{"not an address", p.bad, []string{"This patient has no valid e-mail address"}, []string{`id="invite-patient"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d", tc.who.ID), actor: actorOf(e.recep)})
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			wantBody(t, res, append(tc.want, `id="portal"`, "Patient portal")...)
			for _, s := range tc.not {
				if strings.Contains(res.body, s) {
					t.Errorf("the file shows %s", s)
				}
			}
		})
	}

	// One invitation from a patient file (reception may): Grace.
	if got := routePerm(t, e.d, "POST /patients/{id}/invite"); got != clinic.PermWritePatients {
		t.Errorf("POST /patients/{id}/invite needs %s", got)
	}
	wantRedirect(t, e.do(request{method: "POST", path: fmt.Sprintf("/patients/%d/invite", e.fx.Patient.ID), form: url.Values{}, actor: actorOf(e.recep)}),
		fmt.Sprintf("/patients/%d?done=invite-sent#portal", e.fx.Patient.ID))
	if !e.hasAudit(fmt.Sprintf("portal.invite %d", e.fx.Patient.ID)) {
		t.Errorf("no portal.invite audit row: %v", e.auditRows(e.fx.Org.ID))
	}
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d?done=invite-sent", e.fx.Patient.ID), actor: actorOf(e.recep)})
	wantBody(t, res, "Invitation sent", "Invited", "Send the invitation again")
	// Refused, with the reason: a shared address.
	res = e.do(request{method: "POST", path: fmt.Sprintf("/patients/%d/invite", p.ann.ID), form: url.Values{}, actor: actorOf(e.recep)})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="email"`) || !strings.Contains(res.body, account.SharedEmailReason) {
		t.Errorf("a shared address: %d\n%s", res.status, res.body)
	}
	// A practitioner may not invite.
	practitioner := e.user(clinic.RolePractitioner, "pia@example.com")
	if res := e.do(request{method: "POST", path: fmt.Sprintf("/patients/%d/invite", p.sam.ID), form: url.Values{}, actor: actorOf(practitioner)}); res.status != http.StatusForbidden {
		t.Errorf("practitioner: %d, want 403", res.status)
	}

	// Grace's invitation waits to be sent: the bulk send counts the two others.
	res = e.do(request{method: "GET", path: "/settings/portal", actor: admin})
	wantBody(t, res, "Send (2) invites")
	// The portal off: refused with the reason.
	off := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "slug": {"acme-main"}, "online_booking": {"on"}, "late_fee": {"0"}, "late_fee_hours": {"0"}}
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal", form: off, actor: admin}), "/settings/portal?done=portal-saved")
	res = e.do(request{method: "GET", path: "/settings/portal", actor: admin})
	wantBody(t, res, `id="invites-off"`, `id="send-invites" disabled`)
	res = e.do(request{method: "POST", path: "/settings/portal/invite", form: url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}}, actor: admin})
	if res.status != http.StatusConflict || !strings.Contains(res.body, "the clinic&#39;s patient portal is off") {
		t.Errorf("portal off: %d\n%s", res.status, res.body)
	}
	on := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "enabled": {"on"}, "slug": {"acme-main"}, "late_fee": {"0"}, "late_fee_hours": {"0"}}
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal", form: on, actor: admin}), "/settings/portal?done=portal-saved")

	if res := e.do(request{method: "POST", path: "/settings/portal/invite", form: url.Values{}, actor: actorOf(e.recep)}); res.status != http.StatusForbidden {
		t.Errorf("reception sends invites: %d, want 403", res.status)
	}
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal/invite", form: url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}}, actor: admin}),
		"/settings/portal?done=invites-sent&sent=2#invites")
	if !e.hasAudit(fmt.Sprintf("portal.invite %d", p.parent.ID)) || !e.hasAudit(fmt.Sprintf("portal.invite %d", p.sam.ID)) ||
		e.hasAudit(fmt.Sprintf("portal.invite %d", p.child.ID)) || e.hasAudit(fmt.Sprintf("portal.invite %d", p.ann.ID)) {
		t.Errorf("invited (audit): %v", e.auditRows(e.fx.Org.ID))
	}
	invites := storetest.Count(t, e.db, `SELECT COUNT(*) FROM notifications WHERE organisation_id = $1 AND kind = 'invite'`, e.fx.Org.ID)
	if invites != 3 {
		t.Errorf("%d invitation e-mails planned, want 3", invites)
	}
	res = e.do(request{method: "GET", path: "/settings/portal?done=invites-sent&sent=2", actor: admin})
	wantBody(t, res, "Invitations sent", "2 invitations sent.", "Send (0) invites", `id="send-invites" disabled`)
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal/invite", form: url.Values{}, actor: admin}),
		"/settings/portal?done=invites-none&sent=0#invites")
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d", p.parent.ID), actor: actorOf(e.recep)})
	wantBody(t, res, "Invited", "Send the invitation again")
}
