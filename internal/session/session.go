// Package session signs staff in and out of the dashboard and authenticates every request:
// browser sessions by cookie, API clients by Bearer token. Sessions live server-side in the
// database (the cookie holds a random token; only its SHA-256 is stored), expire after an
// idle timeout and an absolute lifetime, and each one's removal is scheduled as a job in the
// transaction that creates it. The package declares its own background work (RegisterJobs):
// that expiry, and a periodic sweep of idle sessions.
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
	touchEvery     time.Duration

	gate *auth.Gate // sign-in limits; only failed attempts count against them (see SignIn)
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

// The sign-in limits, which live in auth (the portal's sign-in shares them).
const (
	PairFreeFailures = auth.PairFreeFailures
	PairFirstWait    = auth.PairFirstWait
	PairMaxWait      = auth.PairMaxWait
	AccountCeiling   = auth.AccountCeiling
	TrustedFor       = auth.TrustedFor
	IPBurst          = auth.IPBurst
	IPEvery          = auth.IPEvery
)

// New builds a Manager. Sign-in limits are described at PairFreeFailures.
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
		gate: auth.NewGate(cfg.Now), touchEvery: time.Minute}
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
//
// Limits are check-then-record: each attempt reserves its place under every limit first
// (so parallel requests cannot all pass the check), a failure keeps it, and a success or
// an internal error gives it back. An unknown e-mail and a wrong password take the same
// path through the limits (keyed by the e-mail as typed) and do the same hashing work, so
// neither the answer nor its timing says whether an account exists.
func (m *Manager) SignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, email, password string) (clinic.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	ip := m.ClientIP(r)
	pass, limit, ok := m.gate.Enter(email, ip)
	if !ok {
		// A refusal is logged with the client's address and the limit that refused it, so
		// that IT can see who is hammering the sign-in; never with the e-mail address typed.
		m.log.WarnContext(ctx, "sign-in refused: rate limited", "client", ip, "limit", limit)
		return clinic.User{}, ErrRateLimited
	}
	u, err := m.signIn(ctx, w, r, email, password)
	switch {
	case errors.Is(err, ErrBadCredentials):
		pass.Fail()
	case err != nil:
		pass.Abort()
	default:
		pass.Succeed()
	}
	return u, err
}

// signIn is SignIn past the limits.
func (m *Manager) signIn(ctx context.Context, w http.ResponseWriter, r *http.Request, email, password string) (clinic.User, error) {
	var u clinic.User
	err := m.db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.Staff().UserByEmail(ctx, email); return err })
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		auth.DummyCheck(password) // the same work as a wrong password
		return clinic.User{}, ErrBadCredentials
	case err != nil:
		return clinic.User{}, fmt.Errorf("sign in: %w", err)
	}
	ok, err := auth.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return clinic.User{}, fmt.Errorf("sign in user %d: %w", u.ID, err)
	}
	if !ok || u.DisabledAt != nil {
		return clinic.User{}, ErrBadCredentials
	}
	plain, hash, err := auth.NewToken("")
	if err != nil {
		return clinic.User{}, err
	}
	expires := m.now().Add(m.absolute)
	err = m.db.Update(ctx, func(tx *store.Tx) error {
		// Re-read inside the write: an account disabled since the check above gets no
		// session (DisableUser deletes sessions in its own transaction).
		cur, err := tx.Staff().User(ctx, u.OrgID, u.ID)
		if err != nil {
			return err
		}
		if cur.DisabledAt != nil {
			return ErrBadCredentials
		}
		s, err := tx.Staff().CreateSession(ctx, u, hash, expires)
		if err != nil {
			return err
		}
		if err := tx.Staff().RecordSignIn(ctx, u.OrgID, u.ID); err != nil { // the staff list's "last sign-in"
			return err
		}
		if auth.NeedsRehash(u.PasswordHash, auth.DefaultParams()) {
			if h, err := auth.HashPassword(password); err == nil {
				if err := tx.Staff().SetPassword(ctx, u.OrgID, u.ID, h); err != nil {
					return err
				}
			}
		}
		return m.queue.Enqueue(ctx, tx, ExpiryArgs{SessionID: s.ID}, jobs.Opts{At: expires})
	})
	if errors.Is(err, ErrBadCredentials) {
		return clinic.User{}, err
	}
	if err != nil {
		return clinic.User{}, fmt.Errorf("start session for user %d: %w", u.ID, err)
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
		s, _, err := tx.Staff().SessionByToken(ctx, auth.HashToken(c.Value))
		if errors.Is(err, clinic.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.Staff().DeleteSession(ctx, s.ID)
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
		s, u, err = tx.Staff().SessionByToken(ctx, auth.HashToken(c.Value))
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
		if err := m.db.Update(ctx, func(tx *store.Tx) error { return tx.Staff().TouchSession(ctx, s.ID) }); err != nil {
			m.log.WarnContext(ctx, "touch session", "session_id", s.ID, "err", err)
		}
	}
	return clinic.StaffActor(u), u, nil
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
		t, err = tx.Staff().TokenByHash(ctx, auth.HashToken(strings.TrimSpace(plain)))
		return err
	})
	if errors.Is(err, clinic.ErrNotFound) {
		return clinic.Actor{}, clinic.ErrUnauthenticated
	}
	if err != nil {
		return clinic.Actor{}, fmt.Errorf("token: %w", err)
	}
	if t.LastUsedAt == nil || m.now().Sub(*t.LastUsedAt) > m.touchEvery {
		if err := m.db.Update(ctx, func(tx *store.Tx) error { return tx.Staff().TouchToken(ctx, t.ID) }); err != nil {
			m.log.WarnContext(ctx, "touch token", "token_id", t.ID, "err", err)
		}
	}
	return clinic.TokenActor(t), nil
}
