package mailpittest

import (
	"bytes"
	"fmt"
	"net/smtp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStartReceivesAndLists sends with the standard library's client (not package email,
// which this server is there to check) and reads the message back through every method.
func TestStartReceivesAndLists(t *testing.T) {
	s := Start(t)
	addr := fmt.Sprintf("%s:%d", s.SMTPHost, s.SMTPPort)
	send := func(id string) {
		t.Helper()
		msg := "From: clinic@tidings.example\r\nTo: Jane <jane@example.org>\r\nSubject: Hello\r\n" +
			"Message-ID: " + id + "\r\n\r\nSee you soon.\r\n"
		if err := smtp.SendMail(addr, nil, "clinic@tidings.example", []string{"jane@example.org"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	send("<a.1@tidings.example>")
	send("<b.2@tidings.example>")
	send("<b.2@tidings.example>")

	got := s.Await(t, "<a.1@tidings.example>")
	want := Summary{ID: got.ID, MessageID: "a.1@tidings.example", To: []string{"jane@example.org"}, Subject: "Hello"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if n := len(s.Messages(t)); n != 3 {
		t.Errorf("Messages: %d, want 3", n)
	}
	for id, want := range map[string]int{"<b.2@tidings.example>": 2, "b.2@tidings.example": 2, "<c.3@x>": 0} {
		if n := s.CountByMessageID(t, id); n != want {
			t.Errorf("CountByMessageID(%s) = %d, want %d", id, n, want)
		}
	}
	if raw := s.Raw(t, got.ID); !bytes.Contains(raw, []byte("Message-ID: <a.1@tidings.example>\r\n")) {
		t.Errorf("Raw lacks the Message-ID line:\n%s", raw)
	}
	if m := s.Message(t, got.ID); strings.TrimSpace(m.Text) != "See you soon." || m.From.Address != "clinic@tidings.example" {
		t.Errorf("Message: text %q, from %q", m.Text, m.From.Address)
	}
	if h := s.Headers(t, got.ID); !cmp.Equal(h["Subject"], []string{"Hello"}) {
		t.Errorf("Headers[Subject] = %q", h["Subject"])
	}
}

// TestStartTwiceIsolated checks that two servers in one test do not share a mailbox.
func TestStartTwiceIsolated(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.SMTPPort == b.SMTPPort || a.APIURL == b.APIURL {
		t.Fatalf("same ports: %d %s", a.SMTPPort, a.APIURL)
	}
	msg := []byte("From: a@x.example\r\nTo: b@x.example\r\nMessage-ID: <only@a>\r\n\r\nhi\r\n")
	if err := smtp.SendMail(fmt.Sprintf("127.0.0.1:%d", a.SMTPPort), nil, "a@x.example", []string{"b@x.example"}, msg); err != nil {
		t.Fatal(err)
	}
	a.Await(t, "<only@a>")
	if n := len(b.Messages(t)); n != 0 {
		t.Errorf("second server has %d messages", n)
	}
}
