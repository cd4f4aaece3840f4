package clinic_test

import (
	"errors"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
)

func TestStatusFlags(t *testing.T) {
	tests := []struct {
		s                clinic.Status
		active, upcoming bool
	}{
		{clinic.StatusBooked, true, true},
		{clinic.StatusConfirmed, true, true},
		{clinic.StatusArrived, true, false},
		{clinic.StatusSeen, true, false},
		{clinic.StatusNoShow, true, false},
		{clinic.StatusExcusedAbsence, false, false},
		{clinic.StatusCancelled, false, false},
	}
	if len(tests) != len(clinic.Statuses()) {
		t.Fatalf("table covers %d statuses of %d", len(tests), len(clinic.Statuses()))
	}
	for _, tt := range tests {
		if tt.s.Active() != tt.active || tt.s.Upcoming() != tt.upcoming || !tt.s.Valid() {
			t.Errorf("%s: active %v upcoming %v valid %v", tt.s, tt.s.Active(), tt.s.Upcoming(), tt.s.Valid())
		}
	}
	if clinic.Status("maybe").Valid() {
		t.Error("unknown status is valid")
	}
}

func TestRelationshipInverse(t *testing.T) {
	tests := map[clinic.Relationship]clinic.Relationship{
		clinic.RelParent: clinic.RelChild, clinic.RelChild: clinic.RelParent, clinic.RelSpouse: clinic.RelSpouse,
		clinic.RelGuardian: clinic.RelOther, clinic.RelOther: clinic.RelOther,
	}
	for r, want := range tests {
		if got := r.Inverse(); got != want || !r.Valid() {
			t.Errorf("%s.Inverse() = %s, want %s", r, got, want)
		}
	}
}

func TestProfileCapabilities(t *testing.T) {
	// CON-4: Best Practice's opt-out flag cannot be read; the others' can.
	for _, p := range clinic.SoftwareProfiles() {
		if got, want := p.CanReadOptOut(), p != clinic.ProfileBestPractice; got != want {
			t.Errorf("%s.CanReadOptOut() = %v", p, got)
		}
	}
}

func TestValidationError(t *testing.T) {
	var v clinic.ValidationError
	if v.Err() != nil {
		t.Fatal("empty validation error is an error")
	}
	v.Add("mobile", "is not a mobile number")
	v.Add("email", "is not an e-mail address")
	err := v.Err()
	if !errors.Is(err, clinic.ErrInvalid) || err.Error() != "invalid input: mobile: is not a mobile number; email: is not an e-mail address" {
		t.Errorf("err = %v", err)
	}
	ce := &clinic.ConflictError{Field: "start", Reason: "taken"}
	if !errors.Is(ce, clinic.ErrConflict) || errors.Is(ce, clinic.ErrInvalid) {
		t.Error("ConflictError is not ErrConflict")
	}
}
