package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestUserPractitionerLink: an account is linked to at most one practitioner and a
// practitioner to at most one account; the link, the role and a temporary password round
// trip through every way a user is read, sessions included (ADM-1, ADM-7).
func TestUserPractitionerLink(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	a := storetest.Seed(t, db, "a")
	b := storetest.Seed(t, db, "b")
	var doc, nurse, other clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if doc, err = tx.Staff().CreateUser(ctx, a.Org.ID, clinic.User{Email: "Doc@A.test", Role: clinic.RolePractitioner,
			PasswordHash: "h", PractitionerID: a.Practitioner.ID, TemporaryPassword: true}); err != nil {
			return err
		}
		if nurse, err = tx.Staff().CreateUser(ctx, a.Org.ID, clinic.User{Email: "nurse@a.test", Role: clinic.RolePractitioner, PasswordHash: "h"}); err != nil {
			return err
		}
		other, err = tx.Staff().CreateUser(ctx, b.Org.ID, clinic.User{Email: "other@b.test", Role: clinic.RoleReception, PasswordHash: "h"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	token := []byte("session-token-hash-of-doc-000001")
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Staff().CreateSession(ctx, doc, token, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		byID, err := tx.Staff().User(ctx, a.Org.ID, doc.ID)
		if err != nil {
			return err
		}
		byEmail, err := tx.Staff().UserByEmail(ctx, "doc@a.test")
		if err != nil {
			return err
		}
		byLink, err := tx.Staff().UserByPractitioner(ctx, a.Org.ID, a.Practitioner.ID)
		if err != nil {
			return err
		}
		_, bySession, err := tx.Staff().SessionByToken(ctx, token)
		if err != nil {
			return err
		}
		for _, u := range []clinic.User{byID, byEmail, byLink, bySession} {
			if u.ID != doc.ID || u.PractitionerID != a.Practitioner.ID || !u.TemporaryPassword {
				t.Errorf("read back %+v, want user %d linked to %d with a temporary password", u, doc.ID, a.Practitioner.ID)
			}
		}
		if _, err := tx.Staff().UserByPractitioner(ctx, b.Org.ID, a.Practitioner.ID); !errors.Is(err, clinic.ErrNotFound) {
			t.Errorf("another organisation's link found: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		org  clinic.OrgID
		id   clinic.UserID
		role clinic.Role
		pid  clinic.PractitionerID
		is   error
	}{
		{"second account for the same practitioner", a.Org.ID, nurse.ID, clinic.RolePractitioner, a.Practitioner.ID, clinic.ErrConflict},
		{"another organisation's user", a.Org.ID, other.ID, clinic.RolePractitioner, 0, clinic.ErrNotFound},
		{"no such practitioner", a.Org.ID, nurse.ID, clinic.RolePractitioner, 99999, clinic.ErrNotFound},
		{"unknown role", a.Org.ID, nurse.ID, "king", 0, clinic.ErrInvalid},
		{"unlink and promote", a.Org.ID, doc.ID, clinic.RoleAdministrator, 0, nil},
		{"the freed practitioner", a.Org.ID, nurse.ID, clinic.RolePractitioner, a.Practitioner.ID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx *store.Tx) error { return tx.Staff().SetUserRole(ctx, tt.org, tt.id, tt.role, tt.pid) })
			if !errors.Is(err, tt.is) || (tt.is == nil) != (err == nil) {
				t.Errorf("err %v, want %v", err, tt.is)
			}
		})
	}
	var got []clinic.User
	err = db.View(ctx, func(tx *store.Tx) (err error) { got, err = tx.Staff().Users(ctx, a.Org.ID, store.Page{}); return err })
	if err != nil {
		t.Fatal(err)
	}
	type link struct {
		Email string
		Role  clinic.Role
		PID   clinic.PractitionerID
	}
	var links []link
	for _, u := range got {
		links = append(links, link{u.Email, u.Role, u.PractitionerID})
	}
	want := []link{{"doc@a.test", clinic.RoleAdministrator, 0}, {"nurse@a.test", clinic.RolePractitioner, a.Practitioner.ID}}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("a's users (-want +got):\n%s", diff)
	}
}

// TestUserPasswordAndSessions: a new password replaces the hash and its temporary mark;
// DeleteOtherSessions keeps the one session named, of that user only; RecordSignIn stamps
// the account of org only.
func TestUserPasswordAndSessions(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.Open(t, clock.Now)
	a := storetest.Seed(t, db, "a")
	b := storetest.Seed(t, db, "b")
	var u, v, w clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.Staff().CreateUser(ctx, a.Org.ID, clinic.User{Email: "u@a.test", Role: clinic.RoleReception, PasswordHash: "old"}); err != nil {
			return err
		}
		if v, err = tx.Staff().CreateUser(ctx, a.Org.ID, clinic.User{Email: "v@a.test", Role: clinic.RoleReception, PasswordHash: "old"}); err != nil {
			return err
		}
		w, err = tx.Staff().CreateUser(ctx, b.Org.ID, clinic.User{Email: "w@b.test", Role: clinic.RoleReception, PasswordHash: "old"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	session := func(user clinic.User, token string) {
		t.Helper()
		err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Staff().CreateSession(ctx, user, []byte(token), clock.Now().Add(24*time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	session(u, "u-phone")
	clock.Advance(time.Hour)
	latest := clock.Now()
	session(u, "u-desk")
	session(v, "v-desk")
	session(w, "w-desk")

	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Staff().RecordSignIn(ctx, a.Org.ID, u.ID); err != nil {
			return err
		}
		if err := tx.Staff().RecordSignIn(ctx, b.Org.ID, u.ID); !errors.Is(err, clinic.ErrNotFound) {
			t.Errorf("another organisation's sign-in: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Staff().SetUserPassword(ctx, a.Org.ID, u.ID, "new", true); err != nil {
			return err
		}
		if err := tx.Staff().SetUserPassword(ctx, a.Org.ID, w.ID, "new", true); !errors.Is(err, clinic.ErrNotFound) {
			t.Errorf("another organisation's password: %v", err)
		}
		if err := tx.Staff().SetUserName(ctx, b.Org.ID, u.ID, "x"); !errors.Is(err, clinic.ErrNotFound) {
			t.Errorf("another organisation's name: %v", err)
		}
		n, err := tx.Staff().DeleteOtherSessions(ctx, a.Org.ID, u.ID, []byte("u-desk"))
		if n != 1 {
			t.Errorf("%d sessions ended, want the phone's", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		got, err := tx.Staff().User(ctx, a.Org.ID, u.ID)
		if err != nil {
			return err
		}
		if got.PasswordHash != "new" || !got.TemporaryPassword || got.LastSignInAt == nil || !got.LastSignInAt.Equal(latest) {
			t.Errorf("after SetUserPassword and RecordSignIn at %v: %+v", latest, got)
		}
		if never, err := tx.Staff().User(ctx, a.Org.ID, v.ID); err != nil || never.LastSignInAt != nil {
			t.Errorf("a user never recorded: %+v %v", never, err)
		}
		for token, live := range map[string]bool{"u-phone": false, "u-desk": true, "v-desk": true, "w-desk": true} {
			_, _, err := tx.Staff().SessionByToken(ctx, []byte(token))
			if (err == nil) != live {
				t.Errorf("session %s: %v, want live %v", token, err, live)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPractitionerDay: every appointment of the practitioner's agendas starting in the
// window, in every clinic and whatever its status, in time order; nothing of another
// practitioner or organisation.
func TestPractitionerDay(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	a := storetest.Seed(t, db, "a")
	b := storetest.Seed(t, db, "b")
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var want []clinic.AppointmentID
	err := db.Update(ctx, func(tx *store.Tx) error {
		second, err := tx.Directory().CreateClinic(ctx, a.Org.ID, clinic.Clinic{DatabaseID: a.Database.ID, Slug: "second", Name: "Second", Zone: "UTC", Region: "AU", Rules: clinic.DefaultBookingRules()})
		if err != nil {
			return err
		}
		pid := a.Practitioner.ID
		elsewhere, err := tx.Directory().CreateAgenda(ctx, a.Org.ID, clinic.Agenda{ClinicID: second.ID, PractitionerID: &pid, Name: "Elsewhere", Active: true})
		if err != nil {
			return err
		}
		colleague, err := tx.Directory().CreatePractitioner(ctx, a.Org.ID, clinic.Practitioner{Name: "Colleague"})
		if err != nil {
			return err
		}
		cid := colleague.ID
		theirs, err := tx.Directory().CreateAgenda(ctx, a.Org.ID, clinic.Agenda{ClinicID: a.Clinic.ID, PractitionerID: &cid, Name: "Theirs", Active: true})
		if err != nil {
			return err
		}
		book := func(f storetest.Fixture, c clinic.ClinicID, agenda clinic.AgendaID, at time.Time, status clinic.Status) (clinic.AppointmentID, error) {
			x, err := tx.Appointments().CreateAppointment(ctx, f.Org.ID, clinic.Appointment{ClinicID: c, AgendaID: agenda, ReasonID: f.Reason.ID,
				PatientID: f.Patient.ID, Start: at, End: at.Add(15 * time.Minute), Status: status, BookedBy: clinic.BookedByStaff})
			return x.ID, err
		}
		for _, bk := range []struct {
			f      storetest.Fixture
			clinic clinic.ClinicID
			agenda clinic.AgendaID
			at     time.Duration
			status clinic.Status
			mine   bool
		}{
			{a, second.ID, elsewhere.ID, 14 * time.Hour, clinic.StatusBooked, true},
			{a, a.Clinic.ID, a.Agenda.ID, 9 * time.Hour, clinic.StatusCancelled, true},
			{a, a.Clinic.ID, a.Agenda.ID, 9*time.Hour + 30*time.Minute, clinic.StatusSeen, true},
			{a, a.Clinic.ID, a.Agenda.ID, -time.Minute, clinic.StatusBooked, false},   // the day before
			{a, a.Clinic.ID, a.Agenda.ID, 24 * time.Hour, clinic.StatusBooked, false}, // the next day
			{a, a.Clinic.ID, theirs.ID, 10 * time.Hour, clinic.StatusBooked, false},   // a colleague's
			{b, b.Clinic.ID, b.Agenda.ID, 10 * time.Hour, clinic.StatusBooked, false}, // another organisation's
		} {
			id, err := book(bk.f, bk.clinic, bk.agenda, day.Add(bk.at), bk.status)
			if err != nil {
				return err
			}
			if bk.mine {
				want = append(want, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = []clinic.AppointmentID{want[1], want[2], want[0]} // by start time
	var got []clinic.AppointmentID
	err = db.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Appointments().PractitionerDay(ctx, a.Org.ID, a.Practitioner.ID, day, day.Add(24*time.Hour))
		for _, x := range as {
			got = append(got, x.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the practitioner's day (-want +got):\n%s", diff)
	}
}
