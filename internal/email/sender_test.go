package email

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewValidatesConfig(t *testing.T) {
	ok := Config{Host: "smtp.example.net", From: "clinic@tidings.example"}
	tests := []struct {
		name string
		edit func(*Config)
		want string // a fragment of the error naming the field; "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"no host", func(c *Config) { c.Host = "" }, "Host is required"},
		{"host with a port", func(c *Config) { c.Host = "smtp.example.net:587" }, "Host"},
		{"IPv6 host", func(c *Config) { c.Host = "::1"; c.TLS = TLSNone }, ""},
		{"port out of range", func(c *Config) { c.Port = 70000 }, "Port 70000"},
		{"negative port", func(c *Config) { c.Port = -1 }, "Port -1"},
		{"unknown TLS", func(c *Config) { c.TLS = "ssl" }, `TLS "ssl"`},
		{"no From", func(c *Config) { c.From = "" }, "From is required"},
		{"From with a name", func(c *Config) { c.From = "Clinic <clinic@tidings.example>" }, "From is not a valid address"},
		{"FromName with LF", func(c *Config) { c.FromName = "Clinic\nBcc: x@y" }, "FromName"},
		{"password alone", func(c *Config) { c.Password = "p" }, "Password is set without Username"},
		{"credentials in clear", func(c *Config) { c.Username, c.TLS = "u", TLSNone }, "Username is set with TLS none"},
		{"credentials in clear to loopback", func(c *Config) { c.Username, c.TLS, c.Host = "u", TLSNone, "127.0.0.1" }, ""},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "Timeout"},
		{"bad HELO name", func(c *Config) { c.HeloName = "my host" }, "HeloName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			_, err := New(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want ErrInvalidConfig naming %q", err, tt.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	tests := []struct {
		tls      string
		wantTLS  string
		wantPort int
	}{
		{"", TLSStartTLS, 587},
		{TLSStartTLS, TLSStartTLS, 587},
		{TLSImplicit, TLSImplicit, 465},
		{TLSNone, TLSNone, 25},
	}
	for _, tt := range tests {
		s, err := New(Config{Host: "smtp.example.net", From: "clinic@tidings.example", TLS: tt.tls})
		if err != nil {
			t.Fatal(err)
		}
		got := [3]any{s.cfg.TLS, s.cfg.Port, s.cfg.Timeout}
		if diff := cmp.Diff([3]any{tt.wantTLS, tt.wantPort, DefaultTimeout}, got); diff != "" {
			t.Errorf("TLS %q (-want +got):\n%s", tt.tls, diff)
		}
		if (s.tls == nil) != (tt.wantTLS == TLSNone) {
			t.Errorf("TLS %q: tls config %v", tt.tls, s.tls)
		}
		if s.tls != nil && (s.tls.ServerName != "smtp.example.net" || s.tls.MinVersion != tls.VersionTLS12) {
			t.Errorf("TLS %q: ServerName %q, MinVersion %x", tt.tls, s.tls.ServerName, s.tls.MinVersion)
		}
	}
}

// TestNewClonesTLSConfig: the caller's tls.Config is not modified or shared.
func TestNewClonesTLSConfig(t *testing.T) {
	mine := &tls.Config{}
	s, err := New(Config{Host: "smtp.example.net", From: "clinic@tidings.example", TLSConfig: mine})
	if err != nil {
		t.Fatal(err)
	}
	if s.tls == mine || mine.ServerName != "" || mine.MinVersion != 0 {
		t.Error("New changed or kept the caller's tls.Config")
	}
}

func TestMessageID(t *testing.T) {
	tests := []struct {
		id     int64
		domain string
		want   string
	}{
		{123, "tidings.example", "<n-123.de734c1b@tidings.example>"},
		{123, "Tidings.Example", "<n-123.de734c1b@tidings.example>"},
		{1, "tidings.example", MessageID(1, "tidings.example")},
	}
	for _, tt := range tests {
		got := MessageID(tt.id, tt.domain)
		if got != tt.want {
			t.Errorf("MessageID(%d, %q) = %q, want %q", tt.id, tt.domain, got, tt.want)
		}
		if !validMessageID(got) {
			t.Errorf("MessageID(%d, %q) = %q is not a valid Message-ID", tt.id, tt.domain, got)
		}
	}
	if MessageID(1, "a.example") == MessageID(2, "a.example") || MessageID(1, "a.example") == MessageID(1, "b.example") {
		t.Error("Message-IDs collide")
	}
}

func TestNotificationID(t *testing.T) {
	good := MessageID(9001, "tidings.example")
	tests := []struct {
		name   string
		msgID  string
		domain string
		want   int64
		ok     bool
	}{
		{"ours", good, "tidings.example", 9001, true},
		{"domain case", good, "TIDINGS.example", 9001, true},
		{"surrounding space", " " + good + "\n", "tidings.example", 9001, true},
		{"negative ID", MessageID(-5, "tidings.example"), "tidings.example", -5, true},
		{"another domain", good, "other.example", 0, false},
		{"no brackets", strings.Trim(good, "<>"), "tidings.example", 0, false},
		{"bad checksum", strings.Replace(good, ".", ".0", 1), "tidings.example", 0, false},
		{"another ID with this checksum", strings.Replace(good, "9001", "9002", 1), "tidings.example", 0, false},
		{"leading zero", strings.Replace(good, "n-9001", "n-09001", 1), "tidings.example", 0, false},
		{"someone else's", "<CAKx=abc@mail.gmail.com>", "tidings.example", 0, false},
		{"empty", "", "tidings.example", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := NotificationID(tt.msgID, tt.domain)
			if id != tt.want || ok != tt.ok {
				t.Errorf("NotificationID(%q) = %d, %v; want %d, %v", tt.msgID, id, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestValidMessageID(t *testing.T) {
	for s, want := range map[string]bool{
		"<a@b>": true, "<n-1.x@tidings.example>": true, "<a.b!#$%&'*+-/=?^_`{|}~@c.d>": true,
		"a@b": false, "<a>": false, "<@b>": false, "<a@>": false, "<a@b@c>": false, "<.a@b>": false,
		"<a..b@c>": false, "<a b@c>": false, "<a@b>\r\n": false, "<a@[1.2.3.4]>": false,
		"<" + strings.Repeat("a", 250) + "@b>": false,
	} {
		if got := validMessageID(s); got != want {
			t.Errorf("validMessageID(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestErrorText: the message names stage, kind, Message-ID and codes; for a reply it leaves
// out the reply text, for a network error it keeps the cause.
func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: Permanent, Stage: StageRcpt, MessageID: "<n-1.x@t>", Code: 550, Enhanced: "5.1.1",
			Err: errors.New("550 5.1.1 <jane@example.org>: no such user")},
			"email: send <n-1.x@t>: rcpt: permanent: smtp 550 5.1.1"},
		{&Error{Kind: Unknown, Stage: StageEndOfData, MessageID: "<n-1.x@t>", Err: errors.New("i/o timeout")},
			"email: send <n-1.x@t>: end-of-data: outcome unknown: i/o timeout"},
		{&Error{Kind: Transient, Stage: StageConnect, Err: errors.New("connection refused")},
			"email: send: connect: transient: connection refused"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if got := Kind(9).String(); got != "kind(9)" {
		t.Errorf("Kind(9) = %q", got)
	}
}
