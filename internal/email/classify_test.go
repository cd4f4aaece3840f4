package email

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// plainSender is a Sender for the fake servers: plain SMTP on loopback, short timeouts.
func plainSender(t *testing.T, host string, port int, edit func(*Config)) *Sender {
	t.Helper()
	cfg := Config{Host: host, Port: port, TLS: TLSNone, From: "clinic@tidings.example", FromName: "Clinique",
		Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func simpleMessage() Message {
	return Message{
		MessageID: MessageID(42, "tidings.example"),
		To:        "jane@example.org",
		ToName:    "Jane Roe",
		Subject:   "Reminder",
		Text:      "Your appointment is tomorrow at 10:00.",
	}
}

// outcome is what the tests compare: the classification, not the wording.
type outcome struct {
	Kind     Kind
	Stage    Stage
	Code     int
	Enhanced string
	// Payloads is how many complete messages the server received.
	Payloads int
}

func TestSendClassifiesServerBehaviour(t *testing.T) {
	tests := []struct {
		name   string
		fake   *fakeSMTP
		config func(*Config)
		ctx    time.Duration // a deadline for Send's ctx; 0: none
		want   *outcome      // nil: delivered
		// cause, when set, must be found with errors.Is in the returned error.
		cause error
	}{
		{name: "delivered", fake: &fakeSMTP{}},
		{name: "2xx other than 250 after the payload is delivered",
			fake: &fakeSMTP{endReply: "251 2.1.5 Ok, will forward"}},
		{name: "connection dropped at QUIT after 250 is delivered", fake: &fakeSMTP{quitDrop: true}},
		{name: "550 on RCPT", fake: &fakeSMTP{replies: map[string]string{
			"RCPT": "550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown in virtual mailbox table"}},
			want: &outcome{Permanent, StageRcpt, 550, "5.1.1", 0}},
		{name: "550 on RCPT without an enhanced code", fake: &fakeSMTP{ext: []string{"8BITMIME"},
			replies: map[string]string{"RCPT": "550 No such user here"}},
			want: &outcome{Permanent, StageRcpt, 550, "", 0}},
		{name: "451 on RCPT (greylisting)", fake: &fakeSMTP{replies: map[string]string{
			"RCPT": "451 4.7.1 <jane@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/"}},
			want: &outcome{Transient, StageRcpt, 451, "4.7.1", 0}},
		{name: "530 on RCPT: authentication required, our configuration", fake: &fakeSMTP{replies: map[string]string{
			"RCPT": "530 5.7.0 Authentication required"}},
			want: &outcome{Transient, StageRcpt, 530, "5.7.0", 0}},
		{name: "452 on MAIL FROM", fake: &fakeSMTP{replies: map[string]string{"MAIL": "452 4.3.1 Insufficient system storage"}},
			want: &outcome{Transient, StageMail, 452, "4.3.1", 0}},
		{name: "550 on MAIL FROM is about us, not the patient", fake: &fakeSMTP{replies: map[string]string{
			"MAIL": "550 5.7.1 Client host rejected: Access denied"}},
			want: &outcome{Transient, StageMail, 550, "5.7.1", 0}},
		{name: "535 on AUTH is about us", fake: &fakeSMTP{ext: []string{"ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN"},
			replies: map[string]string{"AUTH": "535 5.7.8 Error: authentication failed"}},
			config: func(c *Config) { c.Username, c.Password = "clinic", "wrong" },
			want:   &outcome{Transient, StageAuth, 535, "5.7.8", 0}},
		{name: "421 greeting", fake: &fakeSMTP{greeting: "421 4.3.2 Service shutting down"},
			want: &outcome{Transient, StageGreeting, 421, "4.3.2", 0}},
		{name: "554 on DATA", fake: &fakeSMTP{replies: map[string]string{"DATA": "554 5.5.1 Error: no valid recipients"}},
			want: &outcome{Permanent, StageData, 554, "5.5.1", 0}},
		{name: "554 after the payload", fake: &fakeSMTP{endReply: "554 5.7.1 Message rejected as spam"},
			want: &outcome{Permanent, StageEndOfData, 554, "5.7.1", 1}},
		{name: "451 after the payload", fake: &fakeSMTP{endReply: "451 4.3.0 Error: queue file write error"},
			want: &outcome{Transient, StageEndOfData, 451, "4.3.0", 1}},
		{name: "multi-line 550 after the payload", fake: &fakeSMTP{
			endReply: "550-5.7.26 Unauthenticated email is not accepted\r\n550 5.7.26 from this domain."},
			want: &outcome{Permanent, StageEndOfData, 550, "5.7.26", 1}},
		{name: "silence after the payload, Config.Timeout", fake: &fakeSMTP{endHang: true},
			config: func(c *Config) { c.Timeout = 300 * time.Millisecond },
			want:   &outcome{Unknown, StageEndOfData, 0, "", 1}, cause: os.ErrDeadlineExceeded},
		{name: "silence after the payload, ctx deadline", fake: &fakeSMTP{endHang: true}, ctx: 300 * time.Millisecond,
			want: &outcome{Unknown, StageEndOfData, 0, "", 1}, cause: context.DeadlineExceeded},
		{name: "connection closed after the payload", fake: &fakeSMTP{endClose: true},
			want: &outcome{Unknown, StageEndOfData, 0, "", 1}},
		{name: "no answer to DATA", fake: &fakeSMTP{dataSilent: true}, ctx: 300 * time.Millisecond,
			want: &outcome{Transient, StageData, 0, "", 0}, cause: context.DeadlineExceeded},
		// A server that stops reading after 354 never gets the message, but a small message
		// fits in the socket buffers, so from the client's side the whole message, final "."
		// included, was handed over and no reply came: that is Unknown, as it must be, since
		// the client cannot tell this server from one that queued the message and went quiet.
		// (TestSendPayloadNotHandedOverIsTransient covers a message too big to be handed over.)
		{name: "server stops reading after 354, small message", fake: &fakeSMTP{dataHang: true},
			ctx:  300 * time.Millisecond,
			want: &outcome{Unknown, StageEndOfData, 0, "", 0}, cause: context.DeadlineExceeded},
		{name: "STARTTLS required but not offered", fake: &fakeSMTP{},
			config: func(c *Config) { c.TLS = TLSStartTLS },
			want:   &outcome{Transient, StageStartTLS, 0, "", 0}, cause: errNoSTARTTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			host, port := tt.fake.start(t)
			s := plainSender(t, host, port, tt.config)
			ctx := t.Context()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			m := simpleMessage()
			start := time.Now()
			err := s.Send(ctx, m)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("Send took %s", elapsed)
			}
			_, payloads, _ := tt.fake.got()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if payloads != 1 {
					t.Errorf("server received %d messages, want 1", payloads)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Send = %v, want an *Error", err)
			}
			got := &outcome{e.Kind, e.Stage, e.Code, e.Enhanced, payloads}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nerror: %v", diff, err)
			}
			sentinel := map[Kind]error{Permanent: ErrPermanent, Transient: ErrTransient, Unknown: ErrUnknown}
			for k, s := range sentinel {
				if errors.Is(err, s) != (k == tt.want.Kind) {
					t.Errorf("errors.Is(err, %v) = %v", s, !(k == tt.want.Kind))
				}
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("errors.Is(err, %v) = false; err: %v", tt.cause, err)
			}
			if e.MessageID != m.MessageID {
				t.Errorf("MessageID = %q, want %q", e.MessageID, m.MessageID)
			}
			if strings.Contains(err.Error(), m.To) || strings.Contains(err.Error(), "Recipient address rejected") {
				t.Errorf("error text leaks the address or the reply: %v", err)
			}
			var te *textproto.Error
			if tt.want.Code != 0 && (!errors.As(err, &te) || te.Code != tt.want.Code) {
				t.Errorf("reply not reachable with errors.As: %v", err)
			}
		})
	}
}

func TestSendConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	err = plainSender(t, "127.0.0.1", port, nil).Send(t.Context(), simpleMessage())
	var e *Error
	if !errors.As(err, &e) || e.Kind != Transient || e.Stage != StageConnect || !errors.Is(err, ErrTransient) {
		t.Fatalf("Send = %v, want Transient at connect", err)
	}
}

func TestSendWithCancelledContextDoesNotConnect(t *testing.T) {
	var f fakeSMTP
	host, port := f.start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := plainSender(t, host, port, nil).Send(ctx, simpleMessage())
	if !errors.Is(err, ErrTransient) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want Transient wrapping context.Canceled", err)
	}
	if conns, _, _ := f.got(); conns != 0 {
		t.Errorf("server saw %d connections", conns)
	}
}

// TestSendPayloadNotHandedOverIsTransient checks the other side of the Unknown boundary: a
// server that stops reading in the middle of the message never got its final ".", so the
// failure is Transient (safe to retry), not Unknown. The message is larger than the socket
// buffers, so the client's writes block until the timeout.
func TestSendPayloadNotHandedOverIsTransient(t *testing.T) {
	f := fakeSMTP{dataHang: true}
	host, port := f.start(t)
	s := plainSender(t, host, port, func(c *Config) { c.Timeout = 500 * time.Millisecond })
	m := simpleMessage()
	m.Text = strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n", 600_000) // ~34 MB
	err := s.Send(t.Context(), m)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Transient || e.Stage != StagePayload {
		t.Fatalf("Send = %v, want Transient at payload", err)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("cause is not a write timeout: %v", err)
	}
}

// TestSendAsksForHeadersOnlyBounces checks the envelope: RET=HDRS when the server offers
// DSN, so that bounces do not carry the message back; nothing extra when it does not.
func TestSendAsksForHeadersOnlyBounces(t *testing.T) {
	for _, tt := range []struct {
		ext  []string
		want string
	}{
		{[]string{"8BITMIME", "DSN"}, "MAIL FROM:<clinic@tidings.example> BODY=8BITMIME RET=HDRS"},
		{[]string{"8BITMIME"}, "MAIL FROM:<clinic@tidings.example> BODY=8BITMIME"},
	} {
		f := fakeSMTP{ext: tt.ext}
		host, port := f.start(t)
		if err := plainSender(t, host, port, nil).Send(t.Context(), simpleMessage()); err != nil {
			t.Fatal(err)
		}
		_, _, cmds := f.got()
		var mail string
		for _, c := range cmds {
			if strings.HasPrefix(c, "MAIL") {
				mail = c
			}
		}
		if mail != tt.want {
			t.Errorf("with %v: %q, want %q", tt.ext, mail, tt.want)
		}
	}
}

func TestReplyCodes(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     int
		enhanced string
	}{
		{"enhanced", &textproto.Error{Code: 550, Msg: "5.1.1 user unknown"}, 550, "5.1.1"},
		{"three-digit parts", &textproto.Error{Code: 554, Msg: "5.7.123 x"}, 554, "5.7.123"},
		{"class disagrees with the code", &textproto.Error{Code: 550, Msg: "4.1.1 odd"}, 550, ""},
		{"not a status code", &textproto.Error{Code: 550, Msg: "5.1 short"}, 550, ""},
		{"version-like text", &textproto.Error{Code: 421, Msg: "mx 4.2.1.1 closing"}, 421, ""},
		{"multi-line", &textproto.Error{Code: 451, Msg: "4.7.1 try\n4.7.1 later"}, 451, "4.7.1"},
		{"wrapped", errors.Join(context.Canceled, &textproto.Error{Code: 452, Msg: "4.2.2 full"}), 452, "4.2.2"},
		{"no reply", os.ErrDeadlineExceeded, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, enh := reply(tt.err)
			if diff := cmp.Diff([2]any{tt.code, tt.enhanced}, [2]any{code, enh}); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorAddressRefused(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want bool
	}{
		{"no such user", Error{Kind: Permanent, Stage: StageRcpt, Code: 550, Enhanced: "5.1.1"}, true},
		{"Exchange recipient not found after data", Error{Kind: Permanent, Stage: StageEndOfData, Code: 550, Enhanced: "5.1.10"}, true},
		{"mailbox disabled", Error{Kind: Permanent, Stage: StageRcpt, Code: 550, Enhanced: "5.2.1"}, true},
		{"mailbox full", Error{Kind: Permanent, Stage: StageEndOfData, Code: 552, Enhanced: "5.2.2"}, true},
		{"no enhanced code, 550 to RCPT", Error{Kind: Permanent, Stage: StageRcpt, Code: 550}, true},
		{"no enhanced code, 553 to RCPT", Error{Kind: Permanent, Stage: StageRcpt, Code: 553}, true},
		{"relay access denied", Error{Kind: Permanent, Stage: StageRcpt, Code: 554, Enhanced: "5.7.1"}, false},
		{"spam after data", Error{Kind: Permanent, Stage: StageEndOfData, Code: 554, Enhanced: "5.7.1"}, false},
		{"DMARC", Error{Kind: Permanent, Stage: StageEndOfData, Code: 550, Enhanced: "5.7.26"}, false},
		{"bad sender address", Error{Kind: Permanent, Stage: StageRcpt, Code: 553, Enhanced: "5.1.7"}, false},
		{"message too long for the mailbox", Error{Kind: Permanent, Stage: StageEndOfData, Code: 552, Enhanced: "5.2.3"}, false},
		{"no enhanced code, 554 after data", Error{Kind: Permanent, Stage: StageEndOfData, Code: 554}, false},
		{"unspecified 5.0.0 to RCPT", Error{Kind: Permanent, Stage: StageRcpt, Code: 550, Enhanced: "5.0.0"}, true},
		{"transient", Error{Kind: Transient, Stage: StageRcpt, Code: 450, Enhanced: "4.1.1"}, false},
		{"unknown", Error{Kind: Unknown, Stage: StageEndOfData}, false},
	}
	for _, tt := range tests {
		if got := tt.err.AddressRefused(); got != tt.want {
			t.Errorf("%s: AddressRefused() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
