// Package config reads Tidings' settings from command-line flags and TIDINGS_* environment
// variables (flags win). It is the only place that reads the environment, and it takes the
// environment as a function so tests pass their own.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Config is what `serve` and `demo` need.
type Config struct {
	Addr        string        // listen address, TIDINGS_ADDR
	DB          string        // postgres:// URL or SQLite path, TIDINGS_DB
	DataDir     string        // where the default SQLite file lives, TIDINGS_DATA_DIR
	LogLevel    slog.Level    // TIDINGS_LOG_LEVEL
	SessionIdle time.Duration // staff session idle timeout, TIDINGS_SESSION_IDLE
	// SecureCookies marks cookies Secure even when requests arrive over plain HTTP from a
	// TLS-terminating proxy, TIDINGS_SECURE_COOKIES.
	SecureCookies bool
	// TrustedProxies lists the reverse proxies (CIDRs) whose X-Forwarded-For names the
	// client, TIDINGS_TRUSTED_PROXIES (comma-separated).
	TrustedProxies []netip.Prefix

	// Notifications (NOT-6).
	//
	// PublicURL is the server's address as patients and providers reach it (portal links in
	// messages, SMS status callbacks, whose signatures are computed on it): TIDINGS_PUBLIC_URL,
	// default http://ADDR.
	PublicURL string
	// SMTPURL is the mail server: smtp://user:password@host:587?tls=starttls&from=clinic@example.com
	// (TIDINGS_SMTP_URL); empty: no e-mail provider.
	SMTPURL string
	// Outbox sends the messages of clinics with no provider to the dashboard's outbox instead
	// of failing them (TIDINGS_OUTBOX=true; the demo turns it on).
	Outbox bool
	// BounceToken is the secret the bounce webhook requires (TIDINGS_BOUNCE_TOKEN).
	BounceToken string
	// Dispatch runs the notification dispatcher in this process (TIDINGS_DISPATCH, default
	// true; several instances on PostgreSQL may all dispatch).
	Dispatch bool
	// VAPID keys of Web Push (TIDINGS_VAPID_PUBLIC_KEY, TIDINGS_VAPID_PRIVATE_KEY) and the
	// contact the push services are given (TIDINGS_VAPID_SUBJECT, a mailto: or https: URL).
	VAPIDPublic, VAPIDPrivate, VAPIDSubject string

	// MLLPAddr is where HL7 v2 messages from clinical software are received over MLLP
	// (TIDINGS_MLLP_ADDR, e.g. :2575; empty: no listener; the demo listens on a free port).
	// One listener serves every hl7v2 database: a message is routed by its sending
	// facility (MSH-4), set per database.
	MLLPAddr string

	// DebugAddr is where Go's profiler (net/http/pprof) answers, for the operator who must
	// find where time or memory goes in a running server (TIDINGS_DEBUG_ADDR, e.g.
	// 127.0.0.1:6060; empty: none). It has no sign-in: keep it on loopback.
	DebugAddr string

	envErr error // a bad value read from the environment, reported by Finish
}

// Register declares the flags of Config on fs, with defaults taken from getenv.
func Register(fs *flag.FlagSet, getenv func(string) string) *Config {
	c := &Config{}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("TIDINGS_ADDR", "127.0.0.1:8080"), "listen address (env TIDINGS_ADDR)")
	fs.StringVar(&c.DB, "db", env("TIDINGS_DB", ""), "database: postgres://… URL or SQLite file path (env TIDINGS_DB; default DATA_DIR/tidings.db)")
	fs.StringVar(&c.DataDir, "data-dir", env("TIDINGS_DATA_DIR", "./tidings-data"), "data directory for the SQLite default (env TIDINGS_DATA_DIR)")
	fs.Func("log-level", "debug, info, warn or error (env TIDINGS_LOG_LEVEL; default info)", func(s string) error {
		return c.LogLevel.UnmarshalText([]byte(s))
	})
	fs.BoolVar(&c.SecureCookies, "secure-cookies", env("TIDINGS_SECURE_COOKIES", "") == "true",
		"mark cookies Secure always; set it behind a TLS-terminating proxy (env TIDINGS_SECURE_COOKIES=true)")
	proxies := func(v string) error {
		c.TrustedProxies = nil
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return fmt.Errorf("%q is not an address or CIDR such as 10.0.0.0/8", part)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			c.TrustedProxies = append(c.TrustedProxies, p.Masked())
		}
		return nil
	}
	fs.Func("trusted-proxies", "reverse proxies (comma-separated CIDRs) whose X-Forwarded-For names the client (env TIDINGS_TRUSTED_PROXIES)", proxies)
	if v := getenv("TIDINGS_TRUSTED_PROXIES"); v != "" {
		c.envErr = errors.Join(c.envErr, prefixed("TIDINGS_TRUSTED_PROXIES", proxies(v)))
	}
	fs.StringVar(&c.PublicURL, "public-url", env("TIDINGS_PUBLIC_URL", ""), "the server's public base URL, for links in messages and SMS callbacks (env TIDINGS_PUBLIC_URL; default http://ADDR)")
	fs.StringVar(&c.SMTPURL, "smtp", env("TIDINGS_SMTP_URL", ""), "mail server, smtp://user:pass@host:587?tls=starttls&from=addr (env TIDINGS_SMTP_URL)")
	fs.BoolVar(&c.Outbox, "outbox", env("TIDINGS_OUTBOX", "") == "true", "keep messages of clinics with no provider in the dashboard's outbox (env TIDINGS_OUTBOX=true)")
	fs.StringVar(&c.BounceToken, "bounce-token", env("TIDINGS_BOUNCE_TOKEN", ""), "secret of the e-mail bounce webhook (env TIDINGS_BOUNCE_TOKEN)")
	fs.StringVar(&c.MLLPAddr, "mllp-addr", env("TIDINGS_MLLP_ADDR", ""), "HL7 v2 MLLP listen address, e.g. :2575 (env TIDINGS_MLLP_ADDR; empty: none; the demo picks a free port)")
	fs.StringVar(&c.DebugAddr, "debug-addr", env("TIDINGS_DEBUG_ADDR", ""), "profiler (pprof) listen address, e.g. 127.0.0.1:6060, without sign-in: keep it on loopback (env TIDINGS_DEBUG_ADDR; empty: none)")
	fs.BoolVar(&c.Dispatch, "dispatch", env("TIDINGS_DISPATCH", "true") != "false", "send due notifications from this process (env TIDINGS_DISPATCH)")
	c.VAPIDPublic, c.VAPIDPrivate, c.VAPIDSubject = getenv("TIDINGS_VAPID_PUBLIC_KEY"), getenv("TIDINGS_VAPID_PRIVATE_KEY"), getenv("TIDINGS_VAPID_SUBJECT")
	idle := env("TIDINGS_SESSION_IDLE", "30m")
	fs.Func("session-idle", "staff session idle timeout (env TIDINGS_SESSION_IDLE; default 30m)", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute {
			return fmt.Errorf("must be a duration of at least 1m, such as 30m")
		}
		c.SessionIdle = d
		return nil
	})
	c.SessionIdle, _ = time.ParseDuration(idle)
	if lvl := getenv("TIDINGS_LOG_LEVEL"); lvl != "" {
		c.envErr = errors.Join(c.envErr, prefixed("TIDINGS_LOG_LEVEL", c.LogLevel.UnmarshalText([]byte(lvl))))
	}
	return c
}

func prefixed(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}

// Finish validates c after parsing and fills in derived defaults.
func (c *Config) Finish() error {
	if c.envErr != nil {
		return c.envErr
	}
	if c.SessionIdle < time.Minute {
		return fmt.Errorf("TIDINGS_SESSION_IDLE: must be a duration of at least 1m, such as 30m")
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.DataDir, "tidings.db")
	}
	if strings.TrimSpace(c.Addr) == "" {
		return fmt.Errorf("--addr: must not be empty")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--public-url: must be an absolute http(s) URL such as https://tidings.example.com")
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	return nil
}
