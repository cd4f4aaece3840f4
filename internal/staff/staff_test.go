package staff_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

const pw = "correct horse battery staple"

type env struct {
	db    *store.DB
	org   clinic.Organisation
	admin clinic.User
	sys   clinic.Actor
}

// setup makes an organisation with its first administrator through the use case.
func setup(t *testing.T) env {
	t.Helper()
	db := storetest.Open(t, nil)
	o, admin, err := staff.CreateOrganisation(context.Background(), db, clinic.SystemActor(0, "cli"), staff.NewOrganisation{
		Slug: "acme", Name: "Acme Health", Zone: "Australia/Sydney",
		Admin: staff.NewUser{Email: "Admin@Acme.Test", Name: "Ada", Password: pw}})
	if err != nil {
		t.Fatal(err)
	}
	return env{db: db, org: o, admin: admin, sys: clinic.SystemActor(o.ID, "cli")}
}

// actions lists the audit actions of org, oldest first, with their actor labels.
func actions(t *testing.T, db *store.DB, org clinic.OrgID) []string {
	t.Helper()
	var out []string
	err := db.View(context.Background(), func(tx *store.Tx) error {
		es, err := tx.AuditTrail().AuditLog(context.Background(), org, store.AuditFilter{}, store.Page{Limit: 500})
		for i := len(es) - 1; i >= 0; i-- {
			out = append(out, es[i].Action+" by "+es[i].Actor+" ("+es[i].ActorKind+")")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fieldOf(err error) string {
	var v *clinic.ValidationError
	if errors.As(err, &v) && len(v.Fields) > 0 {
		return v.Fields[0].Field
	}
	var c *clinic.ConflictError
	if errors.As(err, &c) {
		return c.Field
	}
	return ""
}

func TestCreateOrganisation(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if e.org.Zone != "Australia/Sydney" || e.admin.Role != clinic.RoleAdministrator || e.admin.Email != "admin@acme.test" {
		t.Errorf("org %+v, admin %+v", e.org, e.admin)
	}
	var read clinic.Organisation
	e.db.View(ctx, func(tx *store.Tx) (err error) { read, err = tx.Directory().OrganisationBySlug(ctx, "acme"); return err })
	if read.Zone != "Australia/Sydney" || read.Name != "Acme Health" {
		t.Errorf("stored org %+v", read)
	}
	want := []string{"organisation.create by system:cli (system)", "user.create by system:cli (system)"}
	if diff := cmp.Diff(want, actions(t, e.db, e.org.ID)); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	good := staff.NewOrganisation{Slug: "beta", Name: "Beta", Zone: "Europe/Paris", Admin: staff.NewUser{Email: "a@beta.test", Password: pw}}
	tests := []struct {
		name  string
		actor clinic.Actor
		edit  func(*staff.NewOrganisation)
		is    error
		field string
	}{
		{"staff administrator may not", clinic.StaffActor(e.admin), nil, clinic.ErrForbidden, ""},
		{"token may not", clinic.TokenActor(clinic.Token{ID: 1, OrgID: e.org.ID, Role: clinic.RoleAdministrator}), nil, clinic.ErrForbidden, ""},
		{"bad slug", e.sys, func(o *staff.NewOrganisation) { o.Slug = "Beta Clinic" }, clinic.ErrInvalid, "slug"},
		{"slug with trailing hyphen", e.sys, func(o *staff.NewOrganisation) { o.Slug = "beta-" }, clinic.ErrInvalid, "slug"},
		{"no name", e.sys, func(o *staff.NewOrganisation) { o.Name = " " }, clinic.ErrInvalid, "name"},
		{"no zone", e.sys, func(o *staff.NewOrganisation) { o.Zone = "" }, clinic.ErrInvalid, "zone"},
		{"unknown zone", e.sys, func(o *staff.NewOrganisation) { o.Zone = "Mars/Olympus" }, clinic.ErrInvalid, "zone"},
		{"local zone", e.sys, func(o *staff.NewOrganisation) { o.Zone = "Local" }, clinic.ErrInvalid, "zone"},
		{"bad admin e-mail", e.sys, func(o *staff.NewOrganisation) { o.Admin.Email = "nobody" }, clinic.ErrInvalid, "admin.email"},
		{"weak admin password", e.sys, func(o *staff.NewOrganisation) { o.Admin.Password = "short" }, clinic.ErrInvalid, "admin.password"},
		{"admin not administrator", e.sys, func(o *staff.NewOrganisation) { o.Admin.Role = clinic.RoleReception }, clinic.ErrInvalid, "admin.role"},
		{"slug taken", e.sys, func(o *staff.NewOrganisation) { o.Slug = "acme" }, clinic.ErrConflict, "slug"},
		{"admin e-mail taken", e.sys, func(o *staff.NewOrganisation) { o.Admin.Email = "admin@acme.test" }, clinic.ErrConflict, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			if tt.edit != nil {
				tt.edit(&in)
			}
			_, _, err := staff.CreateOrganisation(ctx, e.db, tt.actor, in)
			if !errors.Is(err, tt.is) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
			// Nothing half-made: the slug is still free unless it was taken before.
			err = e.db.View(ctx, func(tx *store.Tx) error { _, err := tx.Directory().OrganisationBySlug(ctx, "beta"); return err })
			if !errors.Is(err, clinic.ErrNotFound) {
				t.Errorf("organisation beta exists after a refused create: %v", err)
			}
		})
	}
	if _, _, err := staff.CreateOrganisation(ctx, e.db, e.sys, good); err != nil {
		t.Errorf("good input: %v", err)
	}
}

func TestCreateUser(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	recep, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "rita@acme.test", Role: clinic.RoleReception, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	other := setupOther(t, e)
	good := staff.NewUser{Email: "new@acme.test", Name: "New", Role: clinic.RolePractitioner, Password: pw}
	tests := []struct {
		name  string
		actor clinic.Actor
		edit  func(*staff.NewUser)
		is    error
		field string
	}{
		{"reception may not", clinic.StaffActor(recep), nil, clinic.ErrForbidden, ""},
		{"reception token may not", clinic.TokenActor(clinic.Token{ID: 9, OrgID: e.org.ID, Role: clinic.RoleReception}), nil, clinic.ErrForbidden, ""},
		{"patient may not", clinic.PatientActor(e.org.ID, 1), nil, clinic.ErrForbidden, ""},
		{"bad e-mail", e.sys, func(u *staff.NewUser) { u.Email = "a@b" }, clinic.ErrInvalid, "email"},
		{"bad role", e.sys, func(u *staff.NewUser) { u.Role = "king" }, clinic.ErrInvalid, "role"},
		{"weak password", e.sys, func(u *staff.NewUser) { u.Password = "password" }, clinic.ErrInvalid, "password"},
		{"long name", e.sys, func(u *staff.NewUser) { u.Name = string(make([]byte, 201)) }, clinic.ErrInvalid, "name"},
		{"e-mail taken here", e.sys, func(u *staff.NewUser) { u.Email = "RITA@acme.test" }, clinic.ErrConflict, "email"},
		{"e-mail taken in another organisation", other, func(u *staff.NewUser) { u.Email = "rita@acme.test" }, clinic.ErrConflict, "email"},
		{"system", e.sys, nil, nil, ""},
		{"administrator", clinic.StaffActor(e.admin), func(u *staff.NewUser) { u.Email = "second@acme.test" }, nil, ""},
		{"administrator token", clinic.TokenActor(clinic.Token{ID: 3, OrgID: e.org.ID, Role: clinic.RoleAdministrator}),
			func(u *staff.NewUser) { u.Email = "third@acme.test" }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			if tt.edit != nil {
				tt.edit(&in)
			}
			u, err := staff.CreateUser(ctx, e.db, tt.actor, in)
			if tt.is == nil {
				if err != nil || u.ID == 0 || u.OrgID != tt.actor.OrgID || u.Role != clinic.RolePractitioner {
					t.Errorf("%+v %v", u, err)
				}
				return
			}
			if !errors.Is(err, tt.is) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
		})
	}
	got := actions(t, e.db, e.org.ID)
	want := []string{"organisation.create by system:cli (system)", "user.create by system:cli (system)", "user.create by system:cli (system)",
		"user.create by system:cli (system)", "user.create by user:1 (staff)", "user.create by token:3 (token)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// setupOther makes a second organisation and returns its system actor.
func setupOther(t *testing.T, e env) clinic.Actor {
	t.Helper()
	o, _, err := staff.CreateOrganisation(context.Background(), e.db, clinic.SystemActor(0, "cli"), staff.NewOrganisation{
		Slug: "other", Name: "Other", Zone: "Europe/Paris", Admin: staff.NewUser{Email: "admin@other.test", Password: pw}})
	if err != nil {
		t.Fatal(err)
	}
	return clinic.SystemActor(o.ID, "cli")
}

// TestDisableUser: a disabled user's sessions end at once and sign-in is refused; enabling
// lets them sign in again. Rules: not yourself, not the last administrator, not another
// organisation's user.
func TestDisableUser(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	q, err := jobs.New(e.db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	sessions := session.New(e.db, q, session.Config{})
	rita, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "rita@acme.test", Role: clinic.RoleReception, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func() (*httptest.ResponseRecorder, error) {
		w := httptest.NewRecorder()
		_, err := sessions.SignIn(ctx, w, httptest.NewRequest("POST", "/login", nil), "rita@acme.test", pw)
		return w, err
	}
	w, err := signIn()
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range w.Result().Cookies() {
		req.AddCookie(c)
	}
	if _, _, err := sessions.FromCookie(ctx, req); err != nil {
		t.Fatalf("session before disabling: %v", err)
	}

	other := setupOther(t, e)
	admin := clinic.StaffActor(e.admin)
	tests := []struct {
		name  string
		actor clinic.Actor
		id    clinic.UserID
		is    error
		field string
	}{
		{"reception may not", clinic.StaffActor(rita), e.admin.ID, clinic.ErrForbidden, ""},
		{"not yourself", admin, e.admin.ID, clinic.ErrInvalid, "user"},
		{"not the last administrator", e.sys, e.admin.ID, clinic.ErrConflict, "user"},
		{"another organisation's user is not found", other, rita.ID, clinic.ErrNotFound, ""},
		{"no such user", e.sys, 9999, clinic.ErrNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := staff.DisableUser(ctx, e.db, tt.actor, tt.id)
			if !errors.Is(err, tt.is) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
		})
	}
	u, err := staff.DisableUser(ctx, e.db, admin, rita.ID)
	if err != nil || u.DisabledAt == nil {
		t.Fatalf("disable: %+v %v", u, err)
	}
	if _, _, err := sessions.FromCookie(ctx, req); !errors.Is(err, clinic.ErrUnauthenticated) {
		t.Errorf("session after disabling: %v", err)
	}
	var n int
	e.db.View(ctx, func(tx *store.Tx) (err error) { n, err = tx.Staff().CountSessions(ctx); return err })
	if n != 0 {
		t.Errorf("%d sessions left after disabling", n)
	}
	if _, err := signIn(); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("sign-in while disabled: %v", err)
	}
	if _, err := staff.DisableUser(ctx, e.db, admin, rita.ID); err != nil {
		t.Errorf("disabling twice: %v", err)
	}
	if _, err := staff.EnableUser(ctx, e.db, clinic.StaffActor(rita), rita.ID); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("reception enabling: %v", err)
	}
	if _, err := staff.EnableUser(ctx, e.db, other, rita.ID); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another organisation enabling: %v", err)
	}
	if u, err := staff.EnableUser(ctx, e.db, e.sys, rita.ID); err != nil || u.DisabledAt != nil {
		t.Fatalf("enable: %+v %v", u, err)
	}
	if _, err := signIn(); err != nil {
		t.Errorf("sign-in after enabling: %v", err)
	}
	got := actions(t, e.db, e.org.ID)[3:]
	want := []string{"user.disable by user:1 (staff)", "user.enable by system:cli (system)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (disabling twice writes nothing) (-want +got):\n%s", diff)
	}
	// With a second administrator, the first may be disabled.
	second, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "second@acme.test", Role: clinic.RoleAdministrator, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staff.DisableUser(ctx, e.db, clinic.StaffActor(second), e.admin.ID); err != nil {
		t.Errorf("disable one of two administrators: %v", err)
	}
	u2, err := staff.UserByEmail(ctx, e.db, e.sys, "SECOND@acme.test")
	if err != nil || u2.ID != second.ID {
		t.Errorf("UserByEmail: %+v %v", u2, err)
	}
	if _, err := staff.UserByEmail(ctx, e.db, other, "second@acme.test"); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("UserByEmail across organisations: %v", err)
	}
}

func TestTokens(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	q, _ := jobs.New(e.db, jobs.Config{})
	sessions := session.New(e.db, q, session.Config{})
	tests := []struct {
		name  string
		actor clinic.Actor
		in    staff.NewToken
		is    error
		field string
	}{
		{"no name", e.sys, staff.NewToken{Role: clinic.RoleReception}, clinic.ErrInvalid, "name"},
		{"bad role", e.sys, staff.NewToken{Name: "x", Role: "root"}, clinic.ErrInvalid, "role"},
		{"practitioner may not", clinic.TokenActor(clinic.Token{ID: 5, OrgID: e.org.ID, Role: clinic.RolePractitioner}),
			staff.NewToken{Name: "x", Role: clinic.RoleReception}, clinic.ErrForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := staff.CreateToken(ctx, e.db, tt.actor, tt.in)
			if !errors.Is(err, tt.is) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
		})
	}
	tok, plain, err := staff.CreateToken(ctx, e.db, clinic.StaffActor(e.admin), staff.NewToken{Name: "front desk", Role: clinic.RoleReception})
	if err != nil {
		t.Fatal(err)
	}
	bearer := httptest.NewRequest("GET", "/api/v1/patients", nil)
	bearer.Header.Set("Authorization", "Bearer "+plain)
	if a, err := sessions.FromBearer(ctx, bearer); err != nil || a.TokenID != tok.ID {
		t.Fatalf("new token: %+v %v", a, err)
	}
	other := setupOther(t, e)
	if _, err := staff.RevokeToken(ctx, e.db, other, tok.ID); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("revoke from another organisation: %v", err)
	}
	if _, err := staff.RevokeToken(ctx, e.db, clinic.TokenActor(tok), tok.ID); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("reception token revoking: %v", err)
	}
	if r, err := staff.RevokeToken(ctx, e.db, e.sys, tok.ID); err != nil || r.RevokedAt == nil {
		t.Fatalf("revoke: %+v %v", r, err)
	}
	if _, err := sessions.FromBearer(ctx, bearer); !errors.Is(err, clinic.ErrUnauthenticated) {
		t.Errorf("revoked token still works: %v", err)
	}
	if _, err := staff.RevokeToken(ctx, e.db, e.sys, tok.ID); err != nil {
		t.Errorf("revoke twice: %v", err)
	}
	got := actions(t, e.db, e.org.ID)[2:]
	want := []string{"token.create by user:1 (staff)", "token.revoke by system:cli (system)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}
