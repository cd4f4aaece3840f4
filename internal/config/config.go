// Package config reads Tidings' settings from command-line flags and TIDINGS_* environment
// variables (flags win). It is the only place that reads the environment, and it takes the
// environment as a function so tests pass their own.
package config

import (
	"flag"
	"fmt"
	"log/slog"
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
		c.LogLevel.UnmarshalText([]byte(lvl))
	}
	return c
}

// Finish validates c after parsing and fills in derived defaults.
func (c *Config) Finish() error {
	if c.SessionIdle < time.Minute {
		return fmt.Errorf("TIDINGS_SESSION_IDLE: must be a duration of at least 1m, such as 30m")
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.DataDir, "tidings.db")
	}
	if strings.TrimSpace(c.Addr) == "" {
		return fmt.Errorf("--addr: must not be empty")
	}
	return nil
}
