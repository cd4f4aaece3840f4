package decide_test

import (
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/store"
)

// TestEffective: the consent table of a patient says, per channel and purpose, what counts
// and why: a Tidings record (CON-3) over the clinical software's flag (CON-1), which covers
// reminders, recalls and results only, and is ignored when the database does not respect it
// or cannot read it (CON-4).
func TestEffective(t *testing.T) {
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	p := clinic.Patient{ID: 1, PMSOptOut: true}
	respect := clinic.Database{RespectOptOut: true, Profile: clinic.ProfileZedmed}
	records := []store.ConsentRecord{
		{PatientID: 1, Channel: "all", Purpose: "all", OptIn: false, Source: "pms", Actor: "system:sync", At: at.Add(-time.Hour)},
		{PatientID: 1, Channel: "sms", Purpose: "reminder", OptIn: true, Source: "dashboard", Actor: "user:3", At: at},
		{PatientID: 1, Channel: "email", Purpose: "all", OptIn: false, Source: "sms", Actor: "system:sms", At: at},
	}
	type key struct {
		ch consent.Channel
		pu consent.Purpose
	}
	get := func(cs []decide.Choice) map[key]decide.Choice {
		m := map[key]decide.Choice{}
		for _, c := range cs {
			m[key{c.Channel, c.Purpose}] = c
		}
		return m
	}
	got := get(decide.Effective(p, respect, records))
	if len(got) != 3*7 {
		t.Fatalf("%d cells, want 21 (3 channels × 7 consentable purposes)", len(got))
	}
	tests := []struct {
		k     key
		optIn bool
		rule  string
	}{
		{key{"sms", "reminder"}, true, "CON-3"},  // the dashboard's opt-in overrides the PMS
		{key{"sms", "recall"}, false, "CON-1"},   // the PMS opt-out
		{key{"sms", "invite"}, true, ""},         // the PMS flag does not cover invites
		{key{"email", "invite"}, false, "CON-3"}, // opted out of all e-mail
		{key{"push", "result"}, false, "CON-1"},
	}
	for _, tc := range tests {
		c := got[tc.k]
		if c.OptIn != tc.optIn || c.Rule != tc.rule {
			t.Errorf("%v: opt in %v by %q, want %v by %q", tc.k, c.OptIn, c.Rule, tc.optIn, tc.rule)
		}
	}
	if c := got[key{"sms", "reminder"}]; c.Source != consent.SourceDashboard || c.Actor != "user:3" || !c.At.Equal(at) {
		t.Errorf("sms reminders: %+v, want the dashboard's record by user:3", c)
	}
	for _, d := range []clinic.Database{{RespectOptOut: false, Profile: clinic.ProfileZedmed}, {RespectOptOut: true, Profile: clinic.ProfileBestPractice}} {
		if c := get(decide.Effective(p, d, records))[key{"sms", "recall"}]; !c.OptIn || c.Rule != "" {
			t.Errorf("%+v: sms recalls %+v, want opted in by default", d, c)
		}
	}
}
