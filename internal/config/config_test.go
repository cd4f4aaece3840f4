package config_test

import (
	"flag"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/config"
)

func load(t *testing.T, args []string, env map[string]string) (*config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := config.Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.Finish()
}

func TestDefaultsEnvAndFlags(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || c.Addr != "127.0.0.1:8080" || c.DB != "tidings-data/tidings.db" || c.SessionIdle != 30*time.Minute || c.SecureCookies {
		t.Errorf("defaults: %+v %v", c, err)
	}
	c, err = load(t, []string{"--addr", ":9000"}, map[string]string{"TIDINGS_ADDR": ":7000", "TIDINGS_DATA_DIR": "/var/lib/tidings",
		"TIDINGS_SESSION_IDLE": "15m", "TIDINGS_SECURE_COOKIES": "true", "TIDINGS_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.DB != "/var/lib/tidings/tidings.db" || c.SessionIdle != 15*time.Minute || !c.SecureCookies {
		t.Errorf("env and flags: %+v", c)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")}
	if d := cmp.Diff(want, c.TrustedProxies, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("proxies (-want +got):\n%s", d)
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"idle flag", []string{"--session-idle", "soon"}, nil, "at least 1m"},
		{"idle env", nil, map[string]string{"TIDINGS_SESSION_IDLE": "10s"}, "TIDINGS_SESSION_IDLE"},
		{"proxies env", nil, map[string]string{"TIDINGS_TRUSTED_PROXIES": "10.0.0.0/33"}, "TIDINGS_TRUSTED_PROXIES"},
		{"proxies flag", []string{"--trusted-proxies", "a-proxy"}, nil, "not an address"},
		{"log level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"log level env", nil, map[string]string{"TIDINGS_LOG_LEVEL": "loud"}, "TIDINGS_LOG_LEVEL"},
	}
	for _, tt := range tests {
		if _, err := load(t, tt.args, tt.env); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}
