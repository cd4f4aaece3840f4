package email

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/email/mailpittest"
)

func mailpitSender(t *testing.T, mp *mailpittest.Server, edit func(*Config)) *Sender {
	t.Helper()
	cfg := Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: TLSNone, From: "clinic@tidings.example",
		FromName: "Clinique du Parc", Timeout: 10 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bookingEvent() *Event {
	return &Event{
		UID:         "appointment-7@tidings.example",
		Method:      MethodRequest,
		Start:       time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC),
		End:         time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC),
		Summary:     "Consultation, Dr Martin",
		Location:    "12 rue de la Paix; Paris",
		Description: "Bring your card.\nArrive 10 minutes early.",
		Organizer:   "clinic@tidings.example", OrganizerName: "Clinique du Parc",
		Attendee: "jane@example.org", AttendeeName: "Jane Roe",
		Stamp: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
	}
}

func bookingMessage() Message {
	return Message{
		MessageID: MessageID(123, "tidings.example"),
		To:        "jane@example.org",
		ToName:    "Jane Roe",
		Subject:   "Rendez-vous confirmé – 14 mars",
		Text:      "Your appointment is confirmed.\n.\n.leading dot stays\nSee you soon.",
		HTML:      "<p>Your appointment is <b>confirmed</b>.</p>",
		Calendar:  bookingEvent(),
		Headers:   map[string]string{"X-Tidings-Notification": "123", "X-Tidings-Clinic": "Clinique Hôpital"},
	}
}

// TestSendThroughMailpit sends a booking confirmation to a real SMTP server and reads it
// back both as Mailpit parsed it and as raw MIME.
func TestSendThroughMailpit(t *testing.T) {
	mp := mailpittest.Start(t)
	m := bookingMessage()
	if err := mailpitSender(t, mp, nil).Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sum := mp.Await(t, m.MessageID)
	if diff := cmp.Diff(mailpittest.Summary{ID: sum.ID, MessageID: strings.Trim(m.MessageID, "<>"),
		To: []string{"jane@example.org"}, Subject: m.Subject}, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	got := mp.Message(t, sum.ID)
	if got.From.Address != "clinic@tidings.example" || got.From.Name != "Clinique du Parc" {
		t.Errorf("From = %+v", got.From)
	}
	if len(got.To) != 1 || got.To[0].Name != "Jane Roe" {
		t.Errorf("To = %+v", got.To)
	}
	if want := strings.ReplaceAll(m.Text, "\n", "\r\n"); strings.TrimRight(got.Text, "\r\n") != want &&
		strings.TrimRight(got.Text, "\r\n") != m.Text {
		t.Errorf("Text = %q, want %q (dot lines must survive dot-stuffing)", got.Text, m.Text)
	}
	if !strings.Contains(got.HTML, "<b>confirmed</b>") {
		t.Errorf("HTML = %q", got.HTML)
	}
	var ics *mailpittest.Attachment
	for i, a := range got.Attachments {
		if a.FileName == "invite.ics" {
			ics = &got.Attachments[i]
		}
	}
	if ics == nil {
		t.Fatalf("no invite.ics attachment: %+v", got.Attachments)
	}
	// Mailpit reports the media type without parameters; checkMIME checks method=REQUEST.
	if mt, _, err := mime.ParseMediaType(ics.ContentType); err != nil || mt != "text/calendar" {
		t.Errorf("invite.ics Content-Type = %q", ics.ContentType)
	}
	if diff := cmp.Diff(string(m.Calendar.ICS()), string(mp.Part(t, sum.ID, ics.PartID))); diff != "" {
		t.Errorf("invite.ics content (-want +got):\n%s", diff)
	}

	raw := mp.Raw(t, sum.ID)
	if !bytes.Contains(raw, []byte("\r\nMessage-ID: "+m.MessageID+"\r\n")) {
		t.Errorf("raw message lacks the exact Message-ID line %q", m.MessageID)
	}
	checkMIME(t, raw, m)
}

// checkMIME reads the raw message with the standard library and checks its structure:
// multipart/mixed of (multipart/alternative of text/plain, text/html, text/calendar) and
// the .ics attachment.
func checkMIME(t *testing.T, raw []byte, m Message) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	for name, want := range map[string]string{
		"Subject": m.Subject, "Auto-Submitted": "auto-generated",
		"X-Tidings-Notification": "123", "X-Tidings-Clinic": "Clinique Hôpital",
	} {
		if got, err := dec.DecodeHeader(msg.Header.Get(name)); err != nil || got != want {
			t.Errorf("header %s = %q (%v), want %q", name, got, err, want)
		}
	}
	if msg.Header.Get("Date") == "" || msg.Header.Get("MIME-Version") != "1.0" {
		t.Errorf("Date %q, MIME-Version %q", msg.Header.Get("Date"), msg.Header.Get("MIME-Version"))
	}
	var types []string
	var walk func(ct string, body io.Reader)
	walk = func(ct string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("Content-Type %q: %v", ct, err)
		}
		if !strings.HasPrefix(mt, "multipart/") {
			if mt == "text/calendar" {
				mt += ";method=" + params["method"]
			}
			types = append(types, mt)
			return
		}
		types = append(types, mt+"(")
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			walk(p.Header.Get("Content-Type"), p)
		}
		types = append(types, ")")
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	want := []string{"multipart/mixed(", "multipart/alternative(", "text/plain", "text/html",
		"text/calendar;method=REQUEST", ")", "text/calendar;method=REQUEST", ")"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("MIME structure (-want +got):\n%s", diff)
	}
}

// TestSendTextOnly checks the smallest message: a text part alone, no multipart.
func TestSendTextOnly(t *testing.T) {
	mp := mailpittest.Start(t)
	m := simpleMessage()
	if err := mailpitSender(t, mp, nil).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := mp.Message(t, mp.Await(t, m.MessageID).ID)
	if strings.TrimSpace(got.Text) != m.Text || got.HTML != "" || len(got.Attachments) != 0 {
		t.Errorf("got text %q, html %q, %d attachments", got.Text, got.HTML, len(got.Attachments))
	}
}

// TestSendCancelUsesMethodCancel checks that a cancellation goes out as METHOD:CANCEL in
// both the attachment's and the alternative's content type.
func TestSendCancelUsesMethodCancel(t *testing.T) {
	mp := mailpittest.Start(t)
	m := bookingMessage()
	m.MessageID = MessageID(124, "tidings.example")
	m.Calendar.Method, m.Calendar.Sequence = MethodCancel, 1
	if err := mailpitSender(t, mp, nil).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	raw := mp.Raw(t, mp.Await(t, m.MessageID).ID)
	if n := bytes.Count(raw, []byte("method=CANCEL")); n != 2 {
		t.Errorf("method=CANCEL appears %d times, want 2", n)
	}
	if bytes.Contains(raw, []byte("method=REQUEST")) {
		t.Error("a cancellation says method=REQUEST")
	}
}

// TestSendResendKeepsMessageID shows what the stable Message-ID is for: a resend of the
// same notification is recognisably the same message.
func TestSendResendKeepsMessageID(t *testing.T) {
	mp := mailpittest.Start(t)
	s := mailpitSender(t, mp, nil)
	m := simpleMessage()
	for range 2 {
		if err := s.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	mp.Await(t, m.MessageID)
	if n := mp.CountByMessageID(t, m.MessageID); n != 2 {
		t.Errorf("%d messages with %s, want 2", n, m.MessageID)
	}
}

func TestSendOverTLS(t *testing.T) {
	tests := []struct {
		name string
		opts mailpittest.Options
		mode string
		auth bool
	}{
		{"mandatory STARTTLS with AUTH", mailpittest.Options{TLS: true, RequireSTARTTLS: true, AuthAcceptAny: true}, TLSStartTLS, true},
		{"implicit TLS with AUTH", mailpittest.Options{TLS: true, ImplicitTLS: true, AuthAcceptAny: true}, TLSImplicit, true},
		{"STARTTLS without AUTH", mailpittest.Options{TLS: true}, TLSStartTLS, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mp := mailpittest.StartWith(t, tt.opts)
			s := mailpitSender(t, mp, func(c *Config) {
				c.TLS = tt.mode
				c.TLSConfig = &tls.Config{RootCAs: mp.RootCAs}
				if tt.auth {
					c.Username, c.Password = "clinic", "s3cret"
				}
			})
			m := simpleMessage()
			if err := s.Send(t.Context(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := mp.Message(t, mp.Await(t, m.MessageID).ID)
			if want := map[bool]string{true: "clinic", false: ""}[tt.auth]; got.Username != want {
				t.Errorf("authenticated as %q, want %q", got.Username, want)
			}
		})
	}
}

// TestSendTLSFailuresAreTransient: a certificate we do not trust, or a server without
// STARTTLS, stops the send before anything is sent; nothing arrives.
func TestSendTLSFailuresAreTransient(t *testing.T) {
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.StartWith(t, mailpittest.Options{TLS: true})
		err := mailpitSender(t, mp, func(c *Config) { c.TLS = TLSStartTLS }).Send(t.Context(), simpleMessage())
		var e *Error
		if !errors.As(err, &e) || e.Kind != Transient || e.Stage != StageStartTLS {
			t.Fatalf("Send = %v, want Transient at starttls", err)
		}
		if n := len(mp.Messages(t)); n != 0 {
			t.Errorf("%d messages arrived", n)
		}
	})
	t.Run("no STARTTLS offered", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.Start(t)
		err := mailpitSender(t, mp, func(c *Config) { c.TLS = TLSStartTLS }).Send(t.Context(), simpleMessage())
		if !errors.Is(err, ErrTransient) || !errors.Is(err, errNoSTARTTLS) {
			t.Fatalf("Send = %v, want Transient (no STARTTLS)", err)
		}
		if n := len(mp.Messages(t)); n != 0 {
			t.Errorf("%d messages arrived", n)
		}
	})
}

// TestSendRefusesInvalidMessages: each problem is reported before connecting, matches
// ErrInvalidMessage (ErrInvalidAddress for the address), names the field, and never quotes
// the address. Mailpit is there to show that nothing was sent.
func TestSendRefusesInvalidMessages(t *testing.T) {
	mp := mailpittest.Start(t)
	s := mailpitSender(t, mp, nil)
	tests := []struct {
		name    string
		edit    func(*Message)
		address bool   // ErrInvalidAddress
		mention string // the error names this
	}{
		{"CR LF in a header value", func(m *Message) { m.Headers["X-Tidings-Notification"] = "1\r\nBcc: victim@example.net" }, false, "X-Tidings-Notification"},
		{"LF in a header value", func(m *Message) { m.Headers["X-Tidings-Notification"] = "1\nX: y" }, false, "X-Tidings-Notification"},
		{"CR in a header value", func(m *Message) { m.Headers["X-Tidings-Notification"] = "1\rX: y" }, false, "X-Tidings-Notification"},
		{"NUL in a header value", func(m *Message) { m.Headers["X-A"] = "a\x00b" }, false, "X-A"},
		{"CR LF in a header name", func(m *Message) { m.Headers["X-A\r\nBcc"] = "x" }, false, "header name"},
		{"colon in a header name", func(m *Message) { m.Headers["X-A:"] = "x" }, false, "header name"},
		{"space in a header name", func(m *Message) { m.Headers["X A"] = "x" }, false, "header name"},
		{"reserved header", func(m *Message) { m.Headers["bcc"] = "victim@example.net" }, false, "bcc"},
		{"Content- header", func(m *Message) { m.Headers["Content-Type"] = "text/plain" }, false, "Content-Type"},
		{"header given twice", func(m *Message) { m.Headers["x-tidings-notification"] = "2" }, false, "twice"},
		{"CR LF in the subject", func(m *Message) { m.Subject = "Hi\r\nBcc: victim@example.net" }, false, "Subject"},
		{"LF in the name", func(m *Message) { m.ToName = "Jane\nBcc: victim@example.net" }, false, "ToName"},
		{"no Message-ID", func(m *Message) { m.MessageID = "" }, false, "MessageID"},
		{"Message-ID without brackets", func(m *Message) { m.MessageID = "n-1@tidings.example" }, false, "MessageID"},
		{"Message-ID with CR LF", func(m *Message) { m.MessageID = "<a@b>\r\nBcc: x@y>" }, false, "MessageID"},
		{"no text", func(m *Message) { m.Text = " \n" }, false, "Text"},
		{"no To", func(m *Message) { m.To = "" }, true, "To"},
		{"To with a display name", func(m *Message) { m.To = "Jane <jane@example.org>" }, true, "To"},
		{"To with CR LF", func(m *Message) { m.To = "jane@example.org\r\nRCPT TO:<x@y>" }, true, "To"},
		{"To not an address", func(m *Message) { m.To = "jane.example.org" }, true, "To"},
		{"calendar without UID", func(m *Message) { m.Calendar.UID = "" }, false, "UID"},
		{"calendar ending before it starts", func(m *Message) { m.Calendar.End = m.Calendar.Start }, false, "End"},
		{"calendar with another method", func(m *Message) { m.Calendar.Method = "PUBLISH" }, false, "Method"},
		{"calendar without stamp", func(m *Message) { m.Calendar.Stamp = time.Time{} }, false, "Stamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bookingMessage()
			tt.edit(&m)
			err := s.Send(t.Context(), m)
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Send = %v, want ErrInvalidMessage", err)
			}
			if errors.Is(err, ErrInvalidAddress) != tt.address {
				t.Errorf("errors.Is(err, ErrInvalidAddress) = %v", !tt.address)
			}
			var e *Error
			if errors.As(err, &e) {
				t.Errorf("an invalid message is not an SMTP outcome: %#v", e)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not name %q", err, tt.mention)
			}
			if strings.Contains(err.Error(), "jane") || strings.Contains(err.Error(), "victim") {
				t.Errorf("error quotes an address: %v", err)
			}
		})
	}
	if n := len(mp.Messages(t)); n != 0 {
		t.Errorf("%d messages arrived", n)
	}
}
