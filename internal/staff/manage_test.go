package staff_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/audit/audittest"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/store"
)

// sessions is a session manager over e's database, for signing in as the tests' users.
func sessions(t *testing.T, e env) *session.Manager {
	t.Helper()
	ctx := context.Background()
	q, err := jobs.New(e.db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	return session.New(e.db, q, session.Config{})
}

// signIn signs email in and returns the session cookie's value.
func signIn(t *testing.T, m *session.Manager, email, password string) (string, error) {
	t.Helper()
	w := httptest.NewRecorder()
	if _, err := m.SignIn(context.Background(), w, httptest.NewRequest("POST", "/login", nil), email, password); err != nil {
		return "", err
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == session.CookieName {
			return c.Value, nil
		}
	}
	t.Fatal("no session cookie")
	return "", nil
}

// live reports whether the session of cookie still authenticates.
func live(t *testing.T, m *session.Manager, cookie string) bool {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", session.CookieName+"="+cookie)
	_, _, err := m.FromCookie(context.Background(), r)
	if err != nil && !errors.Is(err, clinic.ErrUnauthenticated) {
		t.Fatal(err)
	}
	return err == nil
}

// entries reads org's audit rows, oldest first.
func entries(t *testing.T, db *store.DB, org clinic.OrgID) []store.AuditEntry {
	t.Helper()
	var es []store.AuditEntry
	err := db.View(context.Background(), func(tx *store.Tx) (err error) {
		es, err = tx.AuditTrail().AuditLog(context.Background(), org, store.AuditFilter{}, store.Page{Limit: 500})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

// changes is an audit row's Detail as "field: before → after" lines.
func changes(t *testing.T, e store.AuditEntry) []string { return audittest.Lines(t, e) }

// practitioner adds a practitioner to the organisation of sys.
func practitioner(t *testing.T, db *store.DB, org clinic.OrgID, name string) clinic.Practitioner {
	t.Helper()
	var p clinic.Practitioner
	err := db.Update(context.Background(), func(tx *store.Tx) (err error) {
		p, err = tx.Directory().CreatePractitioner(context.Background(), org, clinic.Practitioner{Name: name})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStaffRoleMatrix: only an administrator (a user or a token) and the system manage
// staff accounts; every other role, and a patient, is refused each action (ADM-1, ADM-7).
func TestStaffRoleMatrix(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	target, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "target@acme.test", Role: clinic.RoleReception, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]func(clinic.Actor) error{
		"create": func(a clinic.Actor) error {
			_, err := staff.CreateUser(ctx, e.db, a, staff.NewUser{Email: strings.ReplaceAll(a.Label, ":", "-") + "@acme.test", Role: clinic.RoleReception, Password: pw})
			return err
		},
		"change role": func(a clinic.Actor) error {
			_, err := staff.ChangeRole(ctx, e.db, a, target.ID, staff.RoleChange{Role: clinic.RoleAppointmentManager})
			if err == nil {
				_, err = staff.ChangeRole(ctx, e.db, a, target.ID, staff.RoleChange{Role: clinic.RoleReception})
			}
			return err
		},
		"disable": func(a clinic.Actor) error { _, err := staff.DisableUser(ctx, e.db, a, target.ID); return err },
		"enable":  func(a clinic.Actor) error { _, err := staff.EnableUser(ctx, e.db, a, target.ID); return err },
		"reset password": func(a clinic.Actor) error {
			_, _, err := staff.ResetPassword(ctx, e.db, a, target.ID)
			return err
		},
	}
	actors := []struct {
		name    string
		actor   clinic.Actor
		allowed bool
	}{
		{"administrator", clinic.StaffActor(e.admin), true},
		{"administrator token", clinic.TokenActor(clinic.Token{ID: 7, OrgID: e.org.ID, Role: clinic.RoleAdministrator}), true},
		{"system", e.sys, true},
		{"patient", clinic.PatientActor(e.org.ID, 1), false},
	}
	for _, r := range clinic.Roles() {
		if r == clinic.RoleAdministrator {
			continue
		}
		u, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: string(r) + "@acme.test", Role: r, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		actors = append(actors, struct {
			name    string
			actor   clinic.Actor
			allowed bool
		}{string(r), clinic.StaffActor(u), false},
			struct {
				name    string
				actor   clinic.Actor
				allowed bool
			}{string(r) + " token", clinic.TokenActor(clinic.Token{ID: 8, OrgID: e.org.ID, Role: r}), false})
	}
	for _, a := range actors {
		for name, do := range actions {
			t.Run(a.name+" "+name, func(t *testing.T) {
				err := do(a.actor)
				if a.allowed && err != nil {
					t.Errorf("refused: %v", err)
				}
				if !a.allowed && !errors.Is(err, clinic.ErrForbidden) {
					t.Errorf("err %v, want forbidden", err)
				}
			})
		}
	}
}

// TestChangeRole: the rules of a role change and of the practitioner link, and the audit
// row with the values before and after (ADM-1, ADM-7).
func TestChangeRole(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	other := setupOther(t, e)
	dr := practitioner(t, e.db, e.org.ID, "Dr Lovelace")
	dr2 := practitioner(t, e.db, e.org.ID, "Dr Hopper")
	theirs := practitioner(t, e.db, other.OrgID, "Dr Elsewhere")
	rita, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "rita@acme.test", Name: "Rita", Role: clinic.RoleReception, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "doc@acme.test", Role: clinic.RolePractitioner, Password: pw, PractitionerID: dr.ID})
	if err != nil {
		t.Fatal(err)
	}
	admin := clinic.StaffActor(e.admin)
	tests := []struct {
		name  string
		actor clinic.Actor
		id    clinic.UserID
		in    staff.RoleChange
		is    error
		field string
	}{
		{"unknown role", admin, rita.ID, staff.RoleChange{Role: "king"}, clinic.ErrInvalid, "role"},
		{"no role", admin, rita.ID, staff.RoleChange{}, clinic.ErrInvalid, "role"},
		{"self-demotion", admin, e.admin.ID, staff.RoleChange{Role: clinic.RoleReception}, clinic.ErrInvalid, "role"},
		{"the last administrator, demoted by the system", e.sys, e.admin.ID, staff.RoleChange{Role: clinic.RoleReception}, clinic.ErrConflict, "role"},
		{"another organisation's user is not found", other, rita.ID, staff.RoleChange{Role: clinic.RoleAdministrator}, clinic.ErrNotFound, ""},
		{"no such user", admin, 9999, staff.RoleChange{Role: clinic.RoleReception}, clinic.ErrNotFound, ""},
		{"a link with another role", admin, rita.ID, staff.RoleChange{Role: clinic.RoleReception, PractitionerID: dr2.ID}, clinic.ErrInvalid, "practitioner_id"},
		{"another organisation's practitioner", admin, rita.ID, staff.RoleChange{Role: clinic.RolePractitioner, PractitionerID: theirs.ID}, clinic.ErrInvalid, "practitioner_id"},
		{"a practitioner with an account", admin, rita.ID, staff.RoleChange{Role: clinic.RolePractitioner, PractitionerID: dr.ID}, clinic.ErrConflict, "practitioner_id"},
		{"the same role: nothing to do", admin, e.admin.ID, staff.RoleChange{Role: clinic.RoleAdministrator}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := staff.ChangeRole(ctx, e.db, tt.actor, tt.id, tt.in)
			if !errors.Is(err, tt.is) || (tt.is == nil) != (err == nil) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
		})
	}
	n := len(entries(t, e.db, e.org.ID))
	if u, err := staff.ChangeRole(ctx, e.db, admin, rita.ID, staff.RoleChange{Role: clinic.RolePractitioner, PractitionerID: dr2.ID}); err != nil || u.PractitionerID != dr2.ID {
		t.Fatalf("link Rita: %+v %v", u, err)
	}
	doc, err = staff.ChangeRole(ctx, e.db, admin, doc.ID, staff.RoleChange{Role: clinic.RoleAdministrator})
	if err != nil || doc.PractitionerID != 0 {
		t.Fatalf("promote the doctor: %+v %v", doc, err)
	}
	// Now two administrators: the first may be demoted by the second, not by themselves.
	if _, err := staff.ChangeRole(ctx, e.db, clinic.StaffActor(doc), e.admin.ID, staff.RoleChange{Role: clinic.RoleAppointmentManager}); err != nil {
		t.Fatalf("demote one of two administrators: %v", err)
	}
	if _, err := staff.ChangeRole(ctx, e.db, e.sys, doc.ID, staff.RoleChange{Role: clinic.RoleReception}); !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("demoting the last one left: %v", err)
	}
	var got []string
	for _, x := range entries(t, e.db, e.org.ID)[n:] {
		got = append(got, x.Action+" by "+x.Actor+": "+strings.Join(changes(t, x), "; "))
	}
	want := []string{
		"user.role by user:1: role: \"reception\" → \"practitioner\"; practitioner_id: null → " + itoa(int64(dr2.ID)),
		"user.role by user:1: role: \"practitioner\" → \"administrator\"; practitioner_id: " + itoa(int64(dr.ID)) + " → null",
		"user.role by user:" + itoa(int64(doc.ID)) + ": role: \"administrator\" → \"appointment_manager\"",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestCreateUserLinksPractitioner: a practitioner's account is created linked, to one of the
// organisation's practitioners without an account, and only with the practitioner role.
func TestCreateUserLinksPractitioner(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	other := setupOther(t, e)
	dr := practitioner(t, e.db, e.org.ID, "Dr Lovelace")
	theirs := practitioner(t, e.db, other.OrgID, "Dr Elsewhere")
	admin := clinic.StaffActor(e.admin)
	tests := []struct {
		name  string
		in    staff.NewUser
		is    error
		field string
	}{
		{"another organisation's practitioner", staff.NewUser{Email: "a@acme.test", Role: clinic.RolePractitioner, Password: pw, PractitionerID: theirs.ID}, clinic.ErrInvalid, "practitioner_id"},
		{"a link with another role", staff.NewUser{Email: "b@acme.test", Role: clinic.RoleReception, Password: pw, PractitionerID: dr.ID}, clinic.ErrInvalid, "practitioner_id"},
		{"linked", staff.NewUser{Email: "c@acme.test", Role: clinic.RolePractitioner, Password: pw, PractitionerID: dr.ID, Temporary: true}, nil, ""},
		{"linked twice", staff.NewUser{Email: "d@acme.test", Role: clinic.RolePractitioner, Password: pw, PractitionerID: dr.ID}, clinic.ErrConflict, "practitioner_id"},
		{"unlinked practitioner", staff.NewUser{Email: "e@acme.test", Role: clinic.RolePractitioner, Password: pw}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := staff.CreateUser(ctx, e.db, admin, tt.in)
			if !errors.Is(err, tt.is) || (tt.is == nil) != (err == nil) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
			if err == nil && (u.PractitionerID != tt.in.PractitionerID || u.TemporaryPassword != tt.in.Temporary) {
				t.Errorf("created %+v", u)
			}
		})
	}
	last := entries(t, e.db, e.org.ID)
	linked := last[len(last)-2]
	want := []string{`role: null → "practitioner"`, "practitioner_id: null → " + itoa(int64(dr.ID)), `status: null → "active"`}
	if diff := cmp.Diff(want, changes(t, linked)); linked.Action != "user.create" || diff != "" {
		t.Errorf("%s audit detail (-want +got):\n%s", linked.Action, diff)
	}
	if strings.Contains(linked.Detail, "password") || strings.Contains(linked.Detail, "argon2") {
		t.Errorf("the audit row mentions the password: %s", linked.Detail)
	}
}

// TestDisableEnableAudited: disabling and enabling are audited with the status before and
// after (ADM-7).
func TestDisableEnableAudited(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	rita, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "rita@acme.test", Role: clinic.RoleReception, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	n := len(entries(t, e.db, e.org.ID))
	if _, err := staff.DisableUser(ctx, e.db, clinic.StaffActor(e.admin), rita.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.EnableUser(ctx, e.db, clinic.StaffActor(e.admin), rita.ID); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range entries(t, e.db, e.org.ID)[n:] {
		var d audit.ChangeDetail
		json.Unmarshal([]byte(x.Detail), &d)
		got = append(got, x.Action+" of "+d.Subject+": "+strings.Join(changes(t, x), "; "))
	}
	want := []string{`user.disable of staff account rita@acme.test: status: "active" → "disabled"`,
		`user.enable of staff account rita@acme.test: status: "disabled" → "active"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// TestResetPassword: the new password is shown once, signs in, and is temporary; the old one
// no longer does and every session of the account ended; an administrator resets their
// own password in their profile instead. The audit row holds nothing of the password.
func TestResetPassword(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m := sessions(t, e)
	rita, err := staff.CreateUser(ctx, e.db, e.sys, staff.NewUser{Email: "rita@acme.test", Role: clinic.RoleReception, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := signIn(t, m, "rita@acme.test", pw)
	if err != nil {
		t.Fatal(err)
	}
	admin := clinic.StaffActor(e.admin)
	other := setupOther(t, e)
	for _, tt := range []struct {
		name  string
		actor clinic.Actor
		id    clinic.UserID
		is    error
	}{
		{"one's own", admin, e.admin.ID, clinic.ErrInvalid},
		{"another organisation's user", other, rita.ID, clinic.ErrNotFound},
		{"reception", clinic.StaffActor(rita), e.admin.ID, clinic.ErrForbidden},
	} {
		if _, _, err := staff.ResetPassword(ctx, e.db, tt.actor, tt.id); !errors.Is(err, tt.is) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.is)
		}
	}
	if !live(t, m, cookie) {
		t.Fatal("a refused reset ended the session")
	}
	u, plain, err := staff.ResetPassword(ctx, e.db, admin, rita.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !u.TemporaryPassword || auth.ValidatePassword(plain) != nil {
		t.Errorf("reset gave %+v and %q", u, plain)
	}
	if live(t, m, cookie) {
		t.Error("the session signed in with the old password is still live")
	}
	if _, err := signIn(t, m, "rita@acme.test", pw); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("old password: %v", err)
	}
	if _, err := signIn(t, m, "rita@acme.test", plain); err != nil {
		t.Errorf("new password: %v", err)
	}
	last := entries(t, e.db, e.org.ID)
	x := last[len(last)-1]
	if x.Action != staff.ActionUserPasswordReset || x.Actor != "user:1" || x.Detail != "" {
		t.Errorf("audit row %+v", x)
	}
	var stored string
	e.db.View(ctx, func(tx *store.Tx) error {
		got, err := tx.Staff().User(ctx, e.org.ID, rita.ID)
		stored = got.PasswordHash
		return err
	})
	for _, x := range last {
		if strings.Contains(x.Detail, plain) || strings.Contains(x.Detail, stored) {
			t.Errorf("audit row %s holds the password or its hash", x.Action)
		}
	}
}

// TestNewPassword: readable groups from an alphabet without look-alikes, within the policy,
// different each time.
func TestNewPassword(t *testing.T) {
	shape := regexp.MustCompile(`^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$`)
	seen := map[string]bool{}
	for range 200 {
		p, err := staff.NewPassword()
		if err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(p) || auth.ValidatePassword(p) != nil {
			t.Fatalf("password %q", p)
		}
		if seen[p] {
			t.Fatalf("password %q made twice", p)
		}
		seen[p] = true
	}
}
