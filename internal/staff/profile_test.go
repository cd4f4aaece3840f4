package staff_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/store"
)

// TestUpdateProfile: a staff user sets their own name and language (ADM-6); a token, the
// system or a patient has no profile; saving what is there writes nothing.
func TestUpdateProfile(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	me := clinic.StaffActor(e.admin)
	tests := []struct {
		name  string
		actor clinic.Actor
		in    staff.Profile
		is    error
		field string
	}{
		{"token", clinic.TokenActor(clinic.Token{ID: 2, OrgID: e.org.ID, Role: clinic.RoleAdministrator}), staff.Profile{Locale: "fr"}, clinic.ErrForbidden, ""},
		{"system", e.sys, staff.Profile{Locale: "fr"}, clinic.ErrForbidden, ""},
		{"patient", clinic.PatientActor(e.org.ID, 3), staff.Profile{Locale: "fr"}, clinic.ErrForbidden, ""},
		{"unknown language", me, staff.Profile{Name: "Ada", Locale: "de"}, clinic.ErrInvalid, "locale"},
		{"long name", me, staff.Profile{Name: strings.Repeat("a", staff.MaxNameLength+1)}, clinic.ErrInvalid, "name"},
		{"control character", me, staff.Profile{Name: "Ada\x00"}, clinic.ErrInvalid, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := staff.UpdateProfile(ctx, e.db, tt.actor, tt.in)
			if !errors.Is(err, tt.is) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
		})
	}
	n := len(entries(t, e.db, e.org.ID))
	for _, in := range []staff.Profile{
		{Name: " Ada Lovelace ", Locale: "FR-ca"},
		{Name: "Ada Lovelace", Locale: "fr"}, // the same: nothing written
		{Name: "Ada Lovelace", Locale: ""},
	} {
		if _, err := staff.UpdateProfile(ctx, e.db, me, in); err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
	}
	var u clinic.User
	e.db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.Staff().User(ctx, e.org.ID, e.admin.ID); return err })
	if u.Name != "Ada Lovelace" || u.Locale != "" {
		t.Errorf("stored %q %q", u.Name, u.Locale)
	}
	if err := staff.SetLocale(ctx, e.db, me, "en"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range entries(t, e.db, e.org.ID)[n:] {
		got = append(got, x.Action+": "+strings.Join(changes(t, x), "; "))
	}
	want := []string{
		`user.profile: name: "Ada" → "Ada Lovelace"; locale: "" → "fr"`,
		`user.profile: locale: "fr" → ""`,
		`user.locale: locale: "" → "en"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// TestChangePassword: a user chooses their own password knowing the current one; the
// session they change it from stays signed in, their others end, and the password is no
// longer temporary.
func TestChangePassword(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	m := sessions(t, e)
	temp, err := staff.NewPassword()
	if err != nil {
		t.Fatal(err)
	}
	rita, err := staff.CreateUser(ctx, e.db, clinic.StaffActor(e.admin), staff.NewUser{Email: "rita@acme.test", Role: clinic.RoleReception,
		Password: temp, Temporary: true})
	if err != nil {
		t.Fatal(err)
	}
	here, err := signIn(t, m, "rita@acme.test", temp)
	if err != nil {
		t.Fatal(err)
	}
	there, err := signIn(t, m, "rita@acme.test", temp)
	if err != nil {
		t.Fatal(err)
	}
	me := clinic.StaffActor(rita)
	const chosen = "a password of my own choosing"
	tests := []struct {
		name  string
		actor clinic.Actor
		in    staff.PasswordChange
		is    error
		field string
	}{
		{"token", clinic.TokenActor(clinic.Token{ID: 2, OrgID: e.org.ID, Role: clinic.RoleReception}), staff.PasswordChange{Current: temp, New: chosen}, clinic.ErrForbidden, ""},
		{"no current password", me, staff.PasswordChange{New: chosen}, clinic.ErrInvalid, "current_password"},
		{"wrong current password", me, staff.PasswordChange{Current: "not my password", New: chosen}, clinic.ErrInvalid, "current_password"},
		{"too short", me, staff.PasswordChange{Current: temp, New: "short"}, clinic.ErrInvalid, "new_password"},
		{"only spaces", me, staff.PasswordChange{Current: temp, New: strings.Repeat(" ", 14)}, clinic.ErrInvalid, "new_password"},
		{"the same", me, staff.PasswordChange{Current: temp, New: temp}, clinic.ErrInvalid, "new_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := staff.ChangePassword(ctx, e.db, tt.actor, tt.in)
			if !errors.Is(err, tt.is) || fieldOf(err) != tt.field {
				t.Errorf("err %v (field %q), want %v on %q", err, fieldOf(err), tt.is, tt.field)
			}
		})
	}
	if !live(t, m, here) || !live(t, m, there) {
		t.Fatal("a refused change ended a session")
	}
	if err := staff.ChangePassword(ctx, e.db, me, staff.PasswordChange{Current: temp, New: chosen, Keep: auth.HashToken(here)}); err != nil {
		t.Fatal(err)
	}
	if !live(t, m, here) || live(t, m, there) {
		t.Errorf("after the change: this session live %v (want true), the other %v (want false)", live(t, m, here), live(t, m, there))
	}
	if _, err := signIn(t, m, "rita@acme.test", temp); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("temporary password after the change: %v", err)
	}
	if _, err := signIn(t, m, "rita@acme.test", chosen); err != nil {
		t.Errorf("chosen password: %v", err)
	}
	var u clinic.User
	e.db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.Staff().User(ctx, e.org.ID, rita.ID); return err })
	if u.TemporaryPassword {
		t.Error("the chosen password is still marked temporary")
	}
	last := entries(t, e.db, e.org.ID)
	if x := last[len(last)-1]; x.Action != staff.ActionUserPassword || x.UserID != rita.ID || x.Detail != "" {
		t.Errorf("audit row %+v", x)
	}
}
