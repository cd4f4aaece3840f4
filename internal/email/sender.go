package email

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"
)

// TLS modes for Config.TLS.
const (
	// TLSNone speaks plain SMTP. Only for a relay on the same host or a private network
	// (a local Postfix, Mailpit in tests); credentials are refused with it unless Host is a
	// loopback address.
	TLSNone = "none"
	// TLSStartTLS upgrades with STARTTLS and refuses to go on without it (mandatory, not
	// opportunistic): our messages carry appointment details, and an opportunistic upgrade
	// is silently stripped by anyone on the path. A server that does not offer STARTTLS is
	// a Transient failure at StageStartTLS. This is the default.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465; RFC 8314).
	TLSImplicit = "tls"
)

// DefaultTimeout bounds each step of the session (connect, each command, writing the
// message, waiting for the final reply) when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Config is how to reach the submission server. The zero values of the optional fields are
// documented defaults.
type Config struct {
	// Host is the SMTP server's host name or IP address. Required. It is also the name the
	// server's TLS certificate must match (unless TLSConfig.ServerName says otherwise).
	Host string
	// Port defaults to 587 with TLS "starttls", 465 with "tls" and 25 with "none".
	Port int
	// Username and Password turn on SMTP AUTH (SCRAM-SHA-256, PLAIN or LOGIN, whichever the
	// server offers first in that order). Empty Username: no AUTH.
	Username, Password string
	// TLS is TLSNone, TLSStartTLS (the default when empty) or TLSImplicit.
	TLS string
	// TLSConfig, if set, is cloned and used for the TLS connection: RootCAs for a private CA
	// (tests use Mailpit's certificate). MinVersion is raised to TLS 1.2.
	TLSConfig *tls.Config
	// From is the envelope sender (MAIL FROM, where asynchronous bounces go) and the From
	// header's address. Required.
	From string
	// FromName is the From header's display name (the clinic's name), optional.
	FromName string
	// HeloName is the name we give in EHLO. Default: the machine's host name.
	HeloName string
	// Timeout bounds each step of the session; default DefaultTimeout. The ctx given to
	// Send bounds the whole session as well.
	Timeout time.Duration
}

// Sender sends messages through one SMTP server, one connection per message. It holds no
// connection between sends, so it is safe for concurrent use and needs no Close.
type Sender struct {
	cfg  Config
	addr string
	tls  *tls.Config // nil with TLSNone
}

// New checks cfg and returns a Sender. Errors match ErrInvalidConfig and name the field.
func New(cfg Config) (*Sender, error) {
	bad := func(format string, args ...any) (*Sender, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	switch cfg.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return bad("TLS %q is not one of none, starttls, tls", cfg.TLS)
	}
	if cfg.Host == "" {
		return bad("Host is required")
	}
	if strings.ContainsAny(cfg.Host, " \t\r\n/:@") && net.ParseIP(cfg.Host) == nil {
		return bad("Host %q is not a host name or IP address", cfg.Host)
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[cfg.TLS]
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return bad("Port %d is out of range", cfg.Port)
	}
	if cfg.From == "" {
		return bad("From is required")
	}
	if !validAddress(cfg.From) {
		return bad("From is not a valid address")
	}
	if hasCRLF(cfg.FromName) {
		return bad("FromName contains CR or LF")
	}
	if cfg.Password != "" && cfg.Username == "" {
		return bad("Password is set without Username")
	}
	if cfg.Username != "" && cfg.TLS == TLSNone && !isLoopback(cfg.Host) {
		return bad("Username is set with TLS none: credentials would cross the network in clear")
	}
	if hasCRLF(cfg.Username) {
		return bad("Username contains CR or LF")
	}
	if cfg.Timeout < 0 {
		return bad("Timeout %s is negative", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
		if h, err := os.Hostname(); err == nil && validHeloName(h) {
			cfg.HeloName = h
		}
	}
	if !validHeloName(cfg.HeloName) {
		return bad("HeloName %q is not a host name", cfg.HeloName)
	}
	s := &Sender{cfg: cfg, addr: net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))}
	if cfg.TLS != TLSNone {
		if cfg.TLSConfig != nil {
			s.tls = cfg.TLSConfig.Clone()
		} else {
			s.tls = &tls.Config{}
		}
		if s.tls.ServerName == "" {
			s.tls.ServerName = cfg.Host
		}
		s.tls.MinVersion = max(s.tls.MinVersion, tls.VersionTLS12)
	}
	return s, nil
}

// validAddress reports whether s is a bare address (no display name, no angle brackets)
// that net/mail can parse, short enough for SMTP (RFC 5321 section 4.5.3.1.3).
func validAddress(s string) bool {
	if len(s) > 254 || hasCRLF(s) {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }

// validHeloName accepts a host name made of letters, digits, '-' and '.', or an address
// literal in brackets.
func validHeloName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return net.ParseIP(strings.TrimPrefix(strings.TrimSuffix(s, "]"), "[IPv6:")) != nil
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
