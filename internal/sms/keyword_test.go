package sms

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// TestParseKeyword reads replies as patients type them.
func TestParseKeyword(t *testing.T) {
	tests := []struct {
		body string
		want Keyword
	}{
		// Confirm.
		{"C", KeywordConfirm},
		{"c", KeywordConfirm},
		{" Y ", KeywordConfirm},
		{"y", KeywordConfirm},
		{"Yes!", KeywordConfirm},
		{"YES", KeywordConfirm},
		{"yes.", KeywordConfirm},
		{"Yes!!!", KeywordConfirm},
		{"c.", KeywordConfirm},
		{"C\n", KeywordConfirm},
		{"\tC\r\n", KeywordConfirm},
		{"oui", KeywordConfirm},
		{"Oui !", KeywordConfirm},
		{"OUI.", KeywordConfirm},
		{"Confirm", KeywordConfirm},
		{"confirmed", KeywordConfirm},
		{"Confirmé", KeywordConfirm},
		{"ｃ", KeywordConfirm},   // full-width
		{"ＹＥＳ", KeywordConfirm}, // full-width
		{"C\u200b", KeywordConfirm},
		{"\ufeffY", KeywordConfirm},

		// Stop: Twilio's words, French ones, whole message only.
		{"STOP", KeywordStop},
		{"Stop.", KeywordStop},
		{"stop", KeywordStop},
		{"Stop !", KeywordStop},
		{"STOPALL", KeywordStop},
		{"stop all", KeywordStop},
		{"Unsubscribe", KeywordStop},
		{"CANCEL", KeywordStop},
		{"cancel", KeywordStop},
		{"End", KeywordStop},
		{"quit", KeywordStop},
		{"revoke", KeywordStop},
		{"optout", KeywordStop},
		{"opt out", KeywordStop},
		{"Opt-out", KeywordStop},
		{"ARRET", KeywordStop},
		{"Arrêt", KeywordStop},
		{"arre\u0302t", KeywordStop}, // decomposed accent
		{"STOP SMS", KeywordStop},
		{"Stop  sms", KeywordStop},
		{"ＳＴＯＰ", KeywordStop},
		{"stop please", KeywordNone},
		{"Please stop", KeywordNone},
		{"cancel my appt", KeywordNone},
		{"Cancel my appointment please", KeywordNone},
		{"Stop?", KeywordNone},
		{"STOPP", KeywordNone},
		{"S T O P", KeywordNone},

		// Start.
		{"start", KeywordStart},
		{"START", KeywordStart},
		{"UNSTOP", KeywordStart},
		{"Unstop.", KeywordStart},

		// Help.
		{"HELP", KeywordHelp},
		{"help!", KeywordHelp},
		{"Info", KeywordHelp},
		{"aide", KeywordHelp},
		{"help me", KeywordNone},

		// Everything else goes to staff.
		{"", KeywordNone},
		{"   ", KeywordNone},
		{".", KeywordNone},
		{"!!", KeywordNone},
		{"👍", KeywordNone},
		{"C 👍", KeywordNone},
		{"OK", KeywordNone},
		{"ok thanks", KeywordNone},
		{"No", KeywordNone},
		{"N", KeywordNone},
		{"Yes see you then", KeywordNone},
		{"Y?", KeywordNone},
		{"CC", KeywordNone},
		{"Can I come at 10 instead?", KeywordNone},
		{"?C", KeywordNone},
		{"C" + strings.Repeat(" ", 100), KeywordConfirm},
		{strings.Repeat("STOP ", 20), KeywordNone},
		{"\xff", KeywordNone},
		{"STOP\xff", KeywordNone},
	}
	for _, tc := range tests {
		if got := ParseKeyword(tc.body); got != tc.want {
			t.Errorf("ParseKeyword(%q) = %v, want %v", tc.body, got, tc.want)
		}
	}
}

func TestKeywordString(t *testing.T) {
	got := []string{KeywordNone.String(), KeywordConfirm.String(), KeywordStop.String(),
		KeywordStart.String(), KeywordHelp.String(), Keyword(42).String()}
	want := []string{"none", "confirm", "stop", "start", "help", "Keyword(42)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}

// FuzzParseKeyword: ParseKeyword never panics, returns a defined keyword, ignores ASCII
// case and surrounding spaces, and matches only short messages.
func FuzzParseKeyword(f *testing.F) {
	for _, s := range []string{"C", " Y ", "Yes!", "oui", "STOP", "Stop.", "stop please", "CANCEL",
		"cancel my appt", "HELP", "start", "UNSTOP", "", "👍", "Arrêt", "ＳＴＯＰ", "\xff", "c\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		k := ParseKeyword(body)
		if k < KeywordNone || k > KeywordHelp {
			t.Fatalf("ParseKeyword(%q) = %d", body, k)
		}
		if got := ParseKeyword(" \n" + body + "\t "); got != k {
			t.Fatalf("surrounding spaces change %q from %v to %v", body, k, got)
		}
		if isASCII(body) {
			if lo, up := ParseKeyword(strings.ToLower(body)), ParseKeyword(strings.ToUpper(body)); lo != k || up != k {
				t.Fatalf("case changes %q: %v, lower %v, upper %v", body, k, lo, up)
			}
		}
		if k != KeywordNone && utf8.RuneCountInString(strings.TrimSpace(body)) > 4*maxKeyword {
			t.Fatalf("long message %q read as %v", body, k)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
