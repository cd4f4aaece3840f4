package email

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestICSGolden(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	booking := *bookingEvent()
	reschedule := booking
	reschedule.Sequence = 1
	// 29 March 2026 is the day Paris moves to summer time (UTC+2): 10:00 there is 08:00Z.
	reschedule.Start = time.Date(2026, 3, 29, 10, 0, 0, 0, paris)
	reschedule.End = time.Date(2026, 3, 29, 10, 30, 0, 0, paris)
	reschedule.Stamp = time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	cancel := booking
	cancel.Method, cancel.Sequence = MethodCancel, 2
	cancel.Stamp = time.Date(2026, 3, 3, 17, 45, 30, 0, time.UTC)

	tests := []struct {
		name string
		ev   Event
	}{
		{"booking", booking},
		{"reschedule", reschedule},
		{"cancel", cancel},
		{"minimal", Event{
			UID:   "a-1@tidings.example",
			Start: time.Date(2026, 1, 5, 23, 30, 0, 0, time.UTC), End: time.Date(2026, 1, 6, 0, 15, 0, 0, time.UTC),
			Summary: "Check-up", Stamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		}},
		{"escaping and folding", Event{
			UID:      "appointment-99@tidings.example",
			Sequence: 3,
			Start:    time.Date(2026, 10, 25, 1, 30, 0, 0, paris), End: time.Date(2026, 10, 25, 3, 30, 0, 0, paris),
			Summary: "Séance d’ostéopathie — Dr Éloïse Lefèvre-Dupont, cabinet n°2; salle « Bleue » \\ 2e étage 🦴🦴🦴",
			Location: "Centre médical Saint-Exupéry, 1 avenue des Champs-Élysées, 75008 Paris; bâtiment B, " +
				"porte 3 — 東京都千代田区丸の内一丁目",
			Description: "Ligne 1\r\nLigne 2\nLigne 3\rLigne 4\tavec tabulation\x07 et un bip,\n" +
				"invalid UTF-8 here: \xff\xfe; un chemin C:\\Users\\patient; " + strings.Repeat("é", 80),
			Organizer: "clinic@tidings.example", OrganizerName: `Clinique "du Parc"`,
			Attendee: "jane@example.org", AttendeeName: "Jane\nRoe",
			Stamp: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.ev.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got := tt.ev.ICS()
			checkWellFormed(t, got)
			path := filepath.Join("testdata", "ics", strings.ReplaceAll(tt.name, " ", "_")+".ics")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// checkWellFormed checks the RFC 5545 framing rules on ics: CRLF line ends only, no
// physical line over 75 octets, valid UTF-8 on every physical line (folds never split a
// character), and the VCALENDAR/VEVENT envelope.
func checkWellFormed(t *testing.T, ics []byte) {
	t.Helper()
	if !bytes.HasSuffix(ics, []byte("\r\n")) {
		t.Error("does not end with CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(string(ics), "\r\n"), "\r\n")
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d is not valid UTF-8 on its own: %q", i+1, l)
		}
	}
	for _, want := range []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:" + ProdID, "BEGIN:VEVENT",
		"END:VEVENT", "END:VCALENDAR"} {
		if !contentLines(ics)[want] {
			t.Errorf("no %q line", want)
		}
	}
}

// contentLines unfolds ics (RFC 5545 section 3.1) and returns its content lines as a set.
func contentLines(ics []byte) map[string]bool {
	unfolded := strings.ReplaceAll(string(ics), "\r\n ", "")
	set := map[string]bool{}
	for _, l := range strings.Split(unfolded, "\r\n") {
		set[l] = true
	}
	return set
}

// property returns the unescaped value of the first content line named name.
func property(ics []byte, name string) (string, bool) {
	unfolded := strings.ReplaceAll(string(ics), "\r\n ", "")
	for _, l := range strings.Split(unfolded, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return unescapeText(v), true
		}
	}
	return "", false
}

func unescapeText(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func TestICSTextRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`a\b;c,d`, `a\b;c,d`},
		{"one\r\ntwo\nthree\rfour", "one\ntwo\nthree\nfour"},
		{"tab\tkept, bell\x07 dropped, DEL\x7f dropped", "tab\tkept, bell dropped, DEL dropped"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{strings.Repeat("€", 100), strings.Repeat("€", 100)},
	}
	for _, tt := range tests {
		ev := Event{UID: "u", Summary: tt.in}
		ics := ev.ICS()
		checkWellFormed(t, ics)
		got, _ := property(ics, "SUMMARY")
		if got != tt.want {
			t.Errorf("SUMMARY %q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEventValidate(t *testing.T) {
	ok := *bookingEvent()
	tests := []struct {
		name string
		edit func(*Event)
		want string // "" for valid
	}{
		{"valid", func(*Event) {}, ""},
		{"lower-case method", func(e *Event) { e.Method = "cancel" }, ""},
		{"default method", func(e *Event) { e.Method = "" }, ""},
		{"no UID", func(e *Event) { e.UID = " " }, "UID is required"},
		{"PUBLISH", func(e *Event) { e.Method = "PUBLISH" }, `Method "PUBLISH" is not REQUEST or CANCEL`},
		{"negative sequence", func(e *Event) { e.Sequence = -1 }, "Sequence is negative"},
		{"no start", func(e *Event) { e.Start = time.Time{} }, "Start is required"},
		{"end before start", func(e *Event) { e.End = e.Start.Add(-time.Minute) }, "End is not after Start"},
		{"no stamp", func(e *Event) { e.Stamp = time.Time{} }, "Stamp is required"},
		{"bad organizer", func(e *Event) { e.Organizer = "clinic" }, "Organizer is not a valid address"},
		{"bad attendee", func(e *Event) { e.Attendee = "Jane <jane@example.org>" }, "Attendee is not a valid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := ok
			tt.edit(&ev)
			got := ""
			if err := ev.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}
