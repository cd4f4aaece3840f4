package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*session.Manager, *clock, *store.DB) {
	t.Helper()
	ctx := context.Background()
	c := &clock{time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	db := storetest.Open(t, c.now)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.Seed(t, db, "acme")
	hash, _ := auth.HashPasswordWithParams("correct horse battery", auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Staff().CreateUser(ctx, f.Org.ID, clinic.User{Email: "Staff@Acme.test", Role: clinic.RoleReception, PasswordHash: hash})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return session.New(db, q, session.Config{Idle: 30 * time.Minute, Absolute: 12 * time.Hour, Now: c.now}), c, db
}

func signIn(t *testing.T, m *session.Manager, email, pw string) (*http.Cookie, error) {
	t.Helper()
	return signInFrom(t, m, "192.0.2.1", email, pw)
}

// signInFrom signs in from the client address ip.
func signInFrom(t *testing.T, m *session.Manager, ip, email, pw string) (*http.Cookie, error) {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = ip + ":40000"
	_, err := m.SignIn(context.Background(), w, r, email, pw)
	for _, c := range w.Result().Cookies() {
		if c.Name == session.CookieName {
			return c, err
		}
	}
	return nil, err
}

func TestSignInAndIdleTimeout(t *testing.T) {
	m, c, _ := setup(t)
	ctx := context.Background()
	if _, err := signIn(t, m, "nobody@acme.test", "correct horse battery"); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("unknown e-mail: %v", err)
	}
	if _, err := signIn(t, m, "staff@acme.test", "wrong horse battery"); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if session.ErrBadCredentials.Error() != "unauthenticated: invalid e-mail or password" {
		t.Errorf("message %q", session.ErrBadCredentials)
	}
	cookie, err := signIn(t, m, " STAFF@acme.test ", "correct horse battery")
	if err != nil || cookie == nil {
		t.Fatalf("sign in: %v", err)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Errorf("cookie flags: %+v (Secure only over TLS)", cookie)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	a, _, err := m.FromCookie(ctx, req)
	if err != nil || a.Role != clinic.RoleReception || !strings.HasPrefix(a.Label, "user:") {
		t.Fatalf("FromCookie: %+v %v", a, err)
	}
	// Activity within the idle timeout keeps it alive; 31 idle minutes end it.
	c.t = c.t.Add(20 * time.Minute)
	if _, _, err := m.FromCookie(ctx, req); err != nil {
		t.Fatalf("after 20 min: %v", err)
	}
	c.t = c.t.Add(25 * time.Minute)
	if _, _, err := m.FromCookie(ctx, req); err != nil {
		t.Fatalf("25 min after the last request: %v", err)
	}
	c.t = c.t.Add(31 * time.Minute)
	if _, _, err := m.FromCookie(ctx, req); !errors.Is(err, clinic.ErrUnauthenticated) {
		t.Errorf("after 31 idle minutes: %v", err)
	}
	// A forged cookie is simply unauthenticated.
	bad := httptest.NewRequest("GET", "/", nil)
	bad.AddCookie(&http.Cookie{Name: session.CookieName, Value: "forged"})
	if _, _, err := m.FromCookie(ctx, bad); !errors.Is(err, clinic.ErrUnauthenticated) {
		t.Errorf("forged cookie: %v", err)
	}
}

func TestSignInRateLimit(t *testing.T) {
	m, _, _ := setup(t)
	var limited int
	for i := 0; i < 8; i++ {
		if _, err := signIn(t, m, "staff@acme.test", "wrong"); errors.Is(err, session.ErrRateLimited) {
			limited++
		}
	}
	if limited != 3 {
		t.Errorf("%d of 8 attempts limited, want 3 (5 per account, then one a minute)", limited)
	}
	// Another account from the same address is not held back by the first one's limit.
	if _, err := signIn(t, m, "other@acme.test", "wrong"); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("other account: %v", err)
	}
}

const (
	owner    = "staff@acme.test"
	password = "correct horse battery"
)

// TestCorrectSignInsNeverCount: successful sign-ins use up no limit, however many.
func TestCorrectSignInsNeverCount(t *testing.T) {
	m, _, _ := setup(t)
	for i := range 2 * session.IPBurst {
		if _, err := signIn(t, m, owner, password); err != nil {
			t.Fatalf("correct sign-in %d in the same instant: %v", i+1, err)
		}
	}
	// And they leave the failure allowance whole.
	for i := range session.PairFreeFailures {
		if _, err := signIn(t, m, owner, "wrong"); !errors.Is(err, session.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
}

// TestAttackerDoesNotLockOutOwner: failures from address A slow A down, with a growing
// wait, and do not stop the owner at address B.
func TestAttackerDoesNotLockOutOwner(t *testing.T) {
	m, c, _ := setup(t)
	const attacker, home = "198.51.100.66", "203.0.113.10"
	attempt := func() error { _, err := signInFrom(t, m, attacker, owner, "guess"); return err }
	for i := range session.PairFreeFailures {
		if err := attempt(); !errors.Is(err, session.ErrBadCredentials) {
			t.Fatalf("free failure %d: %v", i+1, err)
		}
	}
	for range 10 {
		if err := attempt(); !errors.Is(err, session.ErrRateLimited) {
			t.Fatalf("after the free failures: %v, want ErrRateLimited", err)
		}
	}
	if _, err := signInFrom(t, m, home, owner, password); err != nil {
		t.Fatalf("owner at home while the attacker is held back: %v", err)
	}
	// The attacker's waits double: 1 min, 2 min, 4 min...
	wait := session.PairFirstWait
	for range 4 {
		c.t = c.t.Add(wait - time.Second)
		if err := attempt(); !errors.Is(err, session.ErrRateLimited) {
			t.Fatalf("a second before the %v wait ended: %v", wait, err)
		}
		c.t = c.t.Add(time.Second)
		if err := attempt(); !errors.Is(err, session.ErrBadCredentials) {
			t.Fatalf("after the %v wait: %v", wait, err)
		}
		if err := attempt(); !errors.Is(err, session.ErrRateLimited) {
			t.Fatalf("straight after a failure: %v", err)
		}
		wait *= 2
	}
	if _, err := signInFrom(t, m, home, owner, password); err != nil {
		t.Fatalf("owner at home: %v", err)
	}
	// The right password from the attacker's address does not get round its wait.
	if _, err := signInFrom(t, m, attacker, owner, password); !errors.Is(err, session.ErrRateLimited) {
		t.Fatalf("correct password during the wait: %v", err)
	}
}

// TestAccountCeilingStopsManyAddresses: a guesser spreading over many addresses is stopped
// by the per-account ceiling; the owner's usual address is spared, a new one is not.
func TestAccountCeilingStopsManyAddresses(t *testing.T) {
	m, _, _ := setup(t)
	const home = "203.0.113.10"
	if _, err := signInFrom(t, m, home, owner, password); err != nil {
		t.Fatal(err)
	}
	failures, limited := 0, 0
	for i := range 2 * session.AccountCeiling / session.PairFreeFailures {
		ip := fmt.Sprintf("198.51.%d.%d", i/200, i%200)
		for range session.PairFreeFailures {
			_, err := signInFrom(t, m, ip, owner, "guess")
			switch {
			case errors.Is(err, session.ErrBadCredentials):
				failures++
			case errors.Is(err, session.ErrRateLimited):
				limited++
			default:
				t.Fatalf("%s: %v", ip, err)
			}
		}
	}
	if failures != session.AccountCeiling || limited != session.AccountCeiling {
		t.Errorf("%d guesses checked, %d refused; want %d each", failures, limited, session.AccountCeiling)
	}
	if _, err := signInFrom(t, m, home, owner, password); err != nil {
		t.Errorf("owner at their usual address: %v", err)
	}
	if _, err := signInFrom(t, m, "192.0.2.200", owner, password); !errors.Is(err, session.ErrRateLimited) {
		t.Errorf("owner at a new address under the ceiling: %v, want ErrRateLimited", err)
	}
	// Other accounts are not affected.
	if _, err := signInFrom(t, m, "192.0.2.200", "other@acme.test", "guess"); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("another account: %v", err)
	}
}

// TestUnknownAndWrongAlike: an unknown e-mail is limited exactly like a wrong password.
func TestUnknownAndWrongAlike(t *testing.T) {
	m, _, _ := setup(t)
	for _, email := range []string{owner, "nobody@acme.test"} {
		var got []error
		for range session.PairFreeFailures + 1 {
			_, err := signIn(t, m, email, "wrong horse battery")
			got = append(got, err)
		}
		for i, err := range got {
			want := session.ErrBadCredentials
			if i == session.PairFreeFailures {
				want = session.ErrRateLimited
			}
			if err != want {
				t.Errorf("%s attempt %d: %v, want %v", email, i+1, err, want)
			}
		}
	}
}

func TestBearer(t *testing.T) {
	m, _, db := setup(t)
	ctx := context.Background()
	plain, hash, _ := auth.NewToken("tid_")
	err := db.Update(ctx, func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(ctx, "acme")
		if err != nil {
			return err
		}
		_, err = tx.Staff().CreateToken(ctx, org.ID, clinic.Token{Name: "x", Role: clinic.RoleAdministrator}, hash)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		header string
		ok     bool
	}{
		{"Bearer " + plain, true},
		{"bearer " + plain, true},
		{"Bearer " + plain + "x", false},
		{"Basic " + plain, false},
		{plain, false},
		{"", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/api/v1/patients", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		a, err := m.FromBearer(ctx, r)
		if tt.ok != (err == nil) || (tt.ok && a.Role != clinic.RoleAdministrator) {
			t.Errorf("%.20q: %+v %v", tt.header, a, err)
		}
		if !tt.ok && !errors.Is(err, clinic.ErrUnauthenticated) {
			t.Errorf("%.20q: err %v, want ErrUnauthenticated", tt.header, err)
		}
	}
}

func TestSecureCookies(t *testing.T) {
	m, _, db := setup(t)
	plain := httptest.NewRequest("GET", "/", nil)
	tls := httptest.NewRequest("GET", "https://x/", nil)
	if m.Secure(plain) || !m.Secure(tls) {
		t.Errorf("auto: plain %v, tls %v", m.Secure(plain), m.Secure(tls))
	}
	q, _ := jobs.New(db, jobs.Config{})
	behindProxy := session.New(db, q, session.Config{SecureCookies: true})
	if !behindProxy.Secure(plain) {
		t.Error("SecureCookies: a plain request still gets Secure cookies")
	}
}

func TestClientIP(t *testing.T) {
	_, _, db := setup(t)
	q, _ := jobs.New(db, jobs.Config{})
	m := session.New(db, q, session.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct client", "203.0.113.5:5000", "", "203.0.113.5"},
		{"direct client forging the header", "203.0.113.5:5000", "198.51.100.1", "203.0.113.5"},
		{"through the proxy", "10.0.0.2:443", "198.51.100.7", "198.51.100.7"},
		{"forged left part ignored", "10.0.0.2:443", "1.2.3.4, 198.51.100.7", "198.51.100.7"},
		{"two trusted hops", "10.0.0.2:443", "198.51.100.7, 10.1.1.1", "198.51.100.7"},
		{"proxy without header", "10.0.0.2:443", "", "10.0.0.2"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := m.ClientIP(r); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
