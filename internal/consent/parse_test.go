package consent

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
)

func TestParse(t *testing.T) {
	for _, p := range Purposes() {
		if got, err := ParsePurpose(string(p)); err != nil || got != p {
			t.Errorf("ParsePurpose(%q) = %q, %v", p, got, err)
		}
	}
	for _, c := range Channels() {
		if got, err := ParseChannel(string(c)); err != nil || got != c {
			t.Errorf("ParseChannel(%q) = %q, %v", c, got, err)
		}
	}
	for _, s := range Sources() {
		if got, err := ParseSource(string(s)); err != nil || got != s {
			t.Errorf("ParseSource(%q) = %q, %v", s, got, err)
		}
	}
	// Written by hand: what the API must refuse.
	for _, s := range []string{"", "all", "Reminder", " reminder", "reminder ", "reminders", "booking-notice", "sms"} {
		if _, err := ParsePurpose(s); !errors.Is(err, clinic.ErrInvalid) {
			t.Errorf("ParsePurpose(%q): %v, want invalid", s, err)
		}
	}
	for _, s := range []string{"", "SMS", "e-mail", "mail", "all", "fax", "sms\x00"} {
		if _, err := ParseChannel(s); !errors.Is(err, clinic.ErrInvalid) {
			t.Errorf("ParseChannel(%q): %v, want invalid", s, err)
		}
	}
	for s, ok := range map[string]bool{"all": true, "reminder": true, "invite": true, "account": false, "reply": false, "": false} {
		if _, err := ParseRecordPurpose(s); (err == nil) != ok {
			t.Errorf("ParseRecordPurpose(%q): %v", s, err)
		}
	}
	_, err := ParseChannel("+61 400 000 000")
	var v *clinic.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("%T", err)
	}
	if diff := cmp.Diff([]clinic.FieldError{{Field: "channel", Reason: "must be one of sms, email, push"}}, v.Fields); diff != "" {
		t.Error(diff)
	}
}

// FuzzParse: whatever the API is sent, the parsers never panic, accept exactly the known
// values (what they return prints back to the input and is Valid), and refuse everything
// else with a validation error that does not echo the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"reminder", "booking_notice", "reply", "all", "sms", "email", "push", "portal", "pms", "", "SMS", "rappel", "é", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refused := func(what string, err error) {
			var v *clinic.ValidationError
			if !errors.As(err, &v) || len(v.Fields) != 1 {
				t.Fatalf("%s(%q): %v", what, s, err)
			}
			if len(s) >= 3 && contains(v.Fields[0].Reason, s) && !contains(PurposeReason+RecordPurposeReason+ChannelReason+SourceReason, s) {
				t.Fatalf("%s(%q): the reason echoes the input: %q", what, s, v.Fields[0].Reason)
			}
		}
		if p, err := ParsePurpose(s); err == nil {
			if string(p) != s || !p.Valid() {
				t.Fatalf("ParsePurpose(%q) = %q", s, p)
			}
		} else {
			refused("ParsePurpose", err)
		}
		if p, err := ParseRecordPurpose(s); err == nil {
			if string(p) != s || !(p == PurposeAll || p.Consentable()) {
				t.Fatalf("ParseRecordPurpose(%q) = %q", s, p)
			}
		} else {
			refused("ParseRecordPurpose", err)
		}
		if c, err := ParseChannel(s); err == nil {
			if string(c) != s || !c.Valid() {
				t.Fatalf("ParseChannel(%q) = %q", s, c)
			}
		} else {
			refused("ParseChannel", err)
		}
		if src, err := ParseSource(s); err == nil {
			if string(src) != s || !src.Valid() {
				t.Fatalf("ParseSource(%q) = %q", s, src)
			}
		} else {
			refused("ParseSource", err)
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
