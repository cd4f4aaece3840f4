// Package session signs staff in and out of the dashboard and authenticates every request:
// browser sessions by cookie, API clients by Bearer token. Sessions live server-side in the
// database (the cookie holds a random token; only its SHA-256 is stored), expire after an
// idle timeout and an absolute lifetime, and each one's removal is scheduled as a job in the
// transaction that creates it.
//
// It must not import the dashboard or api packages.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
)

// CookieName is the session cookie's name.
const CookieName = "tidings_session"

// ErrRateLimited: too many sign-in attempts from this address or for this account.
var ErrRateLimited = errors.New("too many sign-in attempts")

// ErrBadCredentials is the one answer for an unknown e-mail, a wrong password and a disabled
// account, so sign-in reveals nothing about which accounts exist.
var ErrBadCredentials = fmt.Errorf("%w: invalid e-mail or password", clinic.ErrUnauthenticated)

// Manager signs staff in and authenticates requests.
type Manager struct {
	db    *store.DB
	queue *jobs.Queue
	log   *slog.Logger
	now   func() time.Time

	idle, absolute time.Duration
	secure         bool
	proxies        []netip.Prefix
	byIP, byAcct   *auth.Limiter
	touchEvery     time.Duration
}

// Config tunes a Manager. Zero values take the documented defaults.
type Config struct {
	Idle     time.Duration // default 30 min
	Absolute time.Duration // default 12 h
	Now      func() time.Time
	Logger   *slog.Logger
	// SecureCookies marks cookies Secure on every request, for a deployment behind a
	// TLS-terminating proxy (the request Tidings sees is then plain HTTP). Without it,
	// cookies are Secure when the request itself came over TLS.
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed when
	// finding a client's address. Empty: the connection's peer is the client.
	TrustedProxies []netip.Prefix
}

// New builds a Manager. Sign-in attempts are limited per client address (20 a minute,
// burst 20) and per account (5, then one a minute), in this process.
func New(db *store.DB, queue *jobs.Queue, cfg Config) *Manager {
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Minute
	}
	if cfg.Absolute <= 0 {
		cfg.Absolute = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{db: db, queue: queue, log: cfg.Logger, now: cfg.Now, idle: cfg.Idle, absolute: cfg.Absolute, secure: cfg.SecureCookies, proxies: cfg.TrustedProxies,
		byIP:       auth.NewLimiter(3*time.Second, 20, cfg.Now),
		byAcct:     auth.NewLimiter(time.Minute, 5, cfg.Now),
		touchEvery: time.Minute}
}

// Secure reports whether cookies set in answer to r must be marked Secure.
func (m *Manager) Secure(r *http.Request) bool { return m.secure || r.TLS != nil }

// Idle is the idle timeout, for the clean-up job.
func (m *Manager) Idle() time.Duration { return m.idle }

// ClientIP is the address sign-in limits are keyed by: the connection's peer, or, when
// that peer is one of the trusted proxies, the right-most address of X-Forwarded-For that
// is not itself a trusted proxy (the left part of the header is the client's to forge).
func (m *Manager) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !m.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if !m.trusted(hop) {
			return hop
		}
	}
	return host
}

func (m *Manager) trusted(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, p := range m.proxies {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// SignIn checks the credentials and, when they are right, starts a session and sets its
// cookie. Errors: ErrRateLimited, ErrBadCredentials.
func (m *Manager) SignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, email, password string) (clinic.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !m.byIP.Allow("ip:" + m.ClientIP(r)) {
		return clinic.User{}, ErrRateLimited
	}
	if !m.byAcct.Allow("acct:" + email) {
		return clinic.User{}, ErrRateLimited
	}
	var u clinic.User
	err := m.db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.UserByEmail(ctx, email); return err })
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		auth.DummyCheck(password) // the same work as a wrong password
		return u, ErrBadCredentials
	case err != nil:
		return u, fmt.Errorf("sign in: %w", err)
	}
	ok, err := auth.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return u, fmt.Errorf("sign in user %d: %w", u.ID, err)
	}
	if !ok || u.DisabledAt != nil {
		return u, ErrBadCredentials
	}
	plain, hash, err := auth.NewToken("")
	if err != nil {
		return u, err
	}
	expires := m.now().Add(m.absolute)
	err = m.db.Update(ctx, func(tx *store.Tx) error {
		s, err := tx.CreateSession(ctx, u, hash, expires)
		if err != nil {
			return err
		}
		if auth.NeedsRehash(u.PasswordHash, auth.DefaultParams()) {
			if h, err := auth.HashPassword(password); err == nil {
				if err := tx.SetPassword(ctx, u.OrgID, u.ID, h); err != nil {
					return err
				}
			}
		}
		return m.queue.Enqueue(ctx, tx, jobs.SessionExpiryArgs{SessionID: s.ID}, expires)
	})
	if err != nil {
		return u, fmt.Errorf("start session for user %d: %w", u.ID, err)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: plain, Path: "/", HttpOnly: true, Secure: m.Secure(r),
		SameSite: http.SameSiteLaxMode, Expires: expires})
	return u, nil
}

// SignOut ends the request's session, if any, and clears the cookie.
func (m *Manager) SignOut(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: m.Secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	return m.db.Update(ctx, func(tx *store.Tx) error {
		s, _, err := tx.SessionByToken(ctx, auth.HashToken(c.Value))
		if errors.Is(err, clinic.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.DeleteSession(ctx, s.ID)
	})
}

// FromCookie authenticates a dashboard request. Errors: clinic.ErrUnauthenticated.
func (m *Manager) FromCookie(ctx context.Context, r *http.Request) (clinic.Actor, clinic.User, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return clinic.Actor{}, clinic.User{}, clinic.ErrUnauthenticated
	}
	var s store.Session
	var u clinic.User
	err = m.db.View(ctx, func(tx *store.Tx) (err error) {
		s, u, err = tx.SessionByToken(ctx, auth.HashToken(c.Value))
		return err
	})
	if errors.Is(err, clinic.ErrNotFound) {
		return clinic.Actor{}, u, clinic.ErrUnauthenticated
	}
	if err != nil {
		return clinic.Actor{}, u, fmt.Errorf("session: %w", err)
	}
	now := m.now()
	if u.DisabledAt != nil || now.Sub(s.LastSeenAt) > m.idle {
		return clinic.Actor{}, u, clinic.ErrUnauthenticated
	}
	if now.Sub(s.LastSeenAt) > m.touchEvery {
		// Throttled so that reads do not turn into a write each.
		if err := m.db.Update(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, s.ID) }); err != nil {
			m.log.WarnContext(ctx, "touch session", "session_id", s.ID, "err", err)
		}
	}
	return clinic.Actor{OrgID: u.OrgID, Role: u.Role, UserID: u.ID, Label: fmt.Sprintf("user:%d", u.ID)}, u, nil
}

// FromBearer authenticates an API request. Errors: clinic.ErrUnauthenticated.
func (m *Manager) FromBearer(ctx context.Context, r *http.Request) (clinic.Actor, error) {
	h := r.Header.Get("Authorization")
	scheme, plain, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || plain == "" {
		return clinic.Actor{}, clinic.ErrUnauthenticated
	}
	var t clinic.Token
	err := m.db.View(ctx, func(tx *store.Tx) (err error) {
		t, err = tx.TokenByHash(ctx, auth.HashToken(strings.TrimSpace(plain)))
		return err
	})
	if errors.Is(err, clinic.ErrNotFound) {
		return clinic.Actor{}, clinic.ErrUnauthenticated
	}
	if err != nil {
		return clinic.Actor{}, fmt.Errorf("token: %w", err)
	}
	if t.LastUsedAt == nil || m.now().Sub(*t.LastUsedAt) > m.touchEvery {
		if err := m.db.Update(ctx, func(tx *store.Tx) error { return tx.TouchToken(ctx, t.ID) }); err != nil {
			m.log.WarnContext(ctx, "touch token", "token_id", t.ID, "err", err)
		}
	}
	return clinic.Actor{OrgID: t.OrgID, Role: t.Role, TokenID: t.ID, Label: fmt.Sprintf("token:%d", t.ID)}, nil
}
