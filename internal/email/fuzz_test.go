package email

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseDSN feeds arbitrary bytes (seeded with the recorded reports) to ParseDSN: it
// must never panic, every error must match one of its sentinels, and every report it
// accepts must hold what the webhook relies on.
func FuzzParseDSN(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "dsn", "*.eml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(dsn(reportHeader, statusOK, headersOK))
	f.Add([]byte("Content-Type: message/delivery-status\n\nFinal-Recipient: a\nAction: failed\nStatus: 5.1.1\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\n \n--x--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := ParseDSN(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformedDSN) && !errors.Is(err, ErrNotDSN) && !errors.Is(err, ErrDSNTooLarge) {
				t.Fatalf("error matches no sentinel: %v", err)
			}
			return
		}
		if !validMsgIDShape(rep.OriginalMessageID) {
			t.Fatalf("OriginalMessageID %q", rep.OriginalMessageID)
		}
		if len(rep.Recipients) == 0 {
			t.Fatal("no recipients")
		}
		for _, r := range rep.Recipients {
			if r.Final == "" || !statusRE.MatchString(r.Status) || r.Action == "" {
				t.Fatalf("recipient %+v", r)
			}
			if r.Permanent() && !r.Failed() {
				t.Fatalf("permanent but not failed: %+v", r)
			}
		}
	})
}

func validMsgIDShape(s string) bool {
	return strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") && strings.Contains(s, "@")
}

// FuzzICSText checks the writer against a reader: whatever text goes into SUMMARY and
// DESCRIPTION, the output keeps the framing rules (CRLF, 75 octets, whole UTF-8
// characters per line) and reads back as the text, cleaned.
func FuzzICSText(f *testing.F) {
	for _, s := range []string{"", "a,b;c\\d", "line\r\nline\nline\rline", "é€😀", "\xff\xfe", "\\\\\\n",
		strings.Repeat("\\", 200), strings.Repeat("é", 100), strings.Repeat("a\\", 80)} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, summary, description string) {
		ev := Event{UID: "u@x", Summary: summary, Description: description}
		ics := ev.ICS()
		lines := strings.Split(strings.TrimSuffix(string(ics), "\r\n"), "\r\n")
		for _, l := range lines {
			if len(l) > 75 || strings.ContainsAny(l, "\r\n") || !utf8.ValidString(l) {
				t.Fatalf("bad physical line %q", l)
			}
		}
		for name, in := range map[string]string{"SUMMARY": summary, "DESCRIPTION": description} {
			want := cleanedText(in)
			got, ok := property(ics, name)
			if name == "DESCRIPTION" && in == "" {
				if ok {
					t.Fatal("empty DESCRIPTION written")
				}
				continue
			}
			if got != want {
				t.Fatalf("%s: got %q, want %q", name, got, want)
			}
		}
	})
}

// cleanedText is what a reader should get back for s: valid UTF-8, line breaks as \n,
// control characters other than tab dropped. It is written independently of escapeText.
func cleanedText(s string) string {
	var b strings.Builder
	s = strings.ToValidUTF8(s, "\uFFFD")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			b.WriteByte('\n')
			i++
		case c == '\r' || c == '\n':
			b.WriteByte('\n')
		case c == '\t' || c >= 0x20 && c != 0x7f:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzNotificationID checks that NotificationID undoes MessageID for every ID and accepts
// nothing that MessageID would not have made.
func FuzzNotificationID(f *testing.F) {
	f.Add(int64(1), "tidings.example", "<n-1.00000000@tidings.example>")
	f.Add(int64(-9), "Tidings.Example", "")
	f.Fuzz(func(t *testing.T, id int64, domain, other string) {
		if strings.ContainsAny(domain, "<>@ \t\r\n") || domain == "" {
			return
		}
		got, ok := NotificationID(MessageID(id, domain), domain)
		if !ok || got != id {
			t.Fatalf("round trip %d %q: %d %v", id, domain, got, ok)
		}
		if n, ok := NotificationID(other, domain); ok && MessageID(n, domain) != asciiLower(strings.TrimSpace(other)) {
			t.Fatalf("accepted %q as %d", other, n)
		}
	})
}
