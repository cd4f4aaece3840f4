// Package account gives patients their portal accounts (POR-6, POR-7, POR-8): which records
// share an e-mail address and who holds it (the duplicate-e-mail report), invitations in
// bulk and one by one through the notification engine, the single-use links of those
// e-mails (minted when the e-mail is sent, kept hashed, dead after 72 hours for an
// invitation and one hour for a reset, or at the next password change), sign-in with the same limits as staff, password resets that answer the
// same whether or not the address has an account, and the sessions of signed-in patients,
// whose actor reaches their own record at the clinic and the relatives they manage.
//
// It must not import the portal or dashboard packages.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// The lifetimes of the links and sessions.
const (
	InviteTTL = 72 * time.Hour
	ResetTTL  = time.Hour
	// DefaultIdle and DefaultAbsolute bound a patient's session: signed out after 20
	// minutes without a request, and after 12 hours in any case.
	DefaultIdle     = 20 * time.Minute
	DefaultAbsolute = 12 * time.Hour
)

// Errors of the sign-in, shown to patients in these words.
var (
	// ErrBadCredentials is the one answer for an unknown address, a wrong password and an
	// account not yet activated, so that sign-in says nothing of which accounts exist.
	ErrBadCredentials = fmt.Errorf("%w: invalid e-mail or password", clinic.ErrUnauthenticated)
	// ErrRateLimited: too many attempts from this address or for this account.
	ErrRateLimited = errors.New("too many sign-in attempts")
	// ErrLinkDead: an invitation or reset link that was used, has expired, or was replaced.
	ErrLinkDead = fmt.Errorf("%w: this link has expired or was already used", clinic.ErrNotFound)
)

// Config tunes a Service; zero values take the defaults.
type Config struct {
	Idle, Absolute time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
	// PublicURL is the server's address as patients reach it, for the links in e-mails.
	PublicURL string
	// Wake is called after a commit that planned an e-mail (the dispatcher's Wake).
	Wake func()
}

// Service holds the account use cases.
type Service struct {
	db  *store.DB
	cfg Config
	// gate limits sign-in as the dashboard's does; asks limits reset and invitation
	// requests per address typed, so that nobody can make the clinic mail someone in a loop.
	gate *auth.Gate
	asks *auth.Limiter
	// asksByIP bounds the reset and invitation requests one client address may make, so that
	// nobody floods the clinic's database (each request writes an audit row) or mailbox.
	asksByIP *auth.Limiter
}

// New returns the account use cases over db.
func New(db *store.DB, cfg Config) *Service {
	if cfg.Idle <= 0 {
		cfg.Idle = DefaultIdle
	}
	if cfg.Absolute <= 0 {
		cfg.Absolute = DefaultAbsolute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	return &Service{db: db, cfg: cfg, gate: auth.NewGate(cfg.Now), asks: auth.NewLimiter(20*time.Minute, 3, cfg.Now),
		asksByIP: auth.NewLimiter(auth.IPEvery, 2*auth.IPBurst, cfg.Now)}
}

// SetWake sets what is called after a commit that planned an e-mail.
func (s *Service) SetWake(f func()) { s.cfg.Wake = f }

// Idle is the session idle timeout.
func (s *Service) Idle() time.Duration { return s.cfg.Idle }

// Site is a portal as a patient's browser reaches it: its settings and its clinic.
type Site struct {
	Settings store.PortalSettings
	Clinic   clinic.Clinic
}

// SiteOf finds the portal at /p/{slug}.
//
// Errors: clinic.ErrNotFound when there is none or it is switched off.
func (s *Service) SiteOf(ctx context.Context, slug string) (Site, error) {
	var site Site
	err := s.db.View(ctx, func(tx *store.Tx) error {
		set, err := tx.Portal().PortalBySlug(ctx, slug)
		if err != nil {
			return err
		}
		if !set.Enabled {
			return fmt.Errorf("portal of clinic %d is off: %w", set.ClinicID, clinic.ErrNotFound)
		}
		c, err := tx.Directory().Clinic(ctx, set.OrgID, set.ClinicID)
		site = Site{Settings: set, Clinic: c}
		return err
	})
	return site, err
}

// Session is a signed-in patient at one portal.
type Session struct {
	ID      int64
	Account store.PortalAccount
	// Self is the account holder's record in the clinic's database; zero when they have
	// none there (signed in at a clinic that does not know them).
	Self clinic.Patient
	// Relatives are the records Self manages (children, wards), who they may act for.
	Relatives []clinic.Patient
	// Actor is who acts in the use cases: Self, reaching Self and Relatives.
	Actor clinic.Actor
}

// Patients are Self and the Relatives, the people the patient may book for.
func (s Session) Patients() []clinic.Patient {
	if s.Self.ID == 0 {
		return nil
	}
	return append([]clinic.Patient{s.Self}, s.Relatives...)
}

// actorOf builds the session of account a at site's clinic.
func actorOf(ctx context.Context, tx *store.Tx, site Site, a store.PortalAccount) (Session, error) {
	out := Session{Account: a, Actor: clinic.Actor{Kind: clinic.ActorPatient, OrgID: a.OrgID, Label: fmt.Sprintf("portal:%d", a.ID)}}
	ps, err := tx.Portal().PortalPatients(ctx, a.OrgID, a.ID)
	if err != nil {
		return out, err
	}
	for _, p := range ps {
		if p.DatabaseID == site.Clinic.DatabaseID {
			out.Self = p
			break
		}
	}
	if out.Self.ID == 0 {
		return out, nil
	}
	if out.Relatives, err = tx.Portal().ManagedRelatives(ctx, a.OrgID, out.Self.ID); err != nil {
		return out, err
	}
	ids := make([]clinic.PatientID, 0, len(out.Relatives))
	for _, r := range out.Relatives {
		ids = append(ids, r.ID)
	}
	out.Actor = clinic.PatientActor(a.OrgID, out.Self.ID, ids...)
	return out, nil
}

// SignIn checks an address and password at site and starts a session: the token to set in
// the patient's cookie, and when it expires. The limits are the dashboard's (auth.Gate),
// keyed by the organisation and the address as typed; an unknown address, a wrong password
// and an account not yet activated take the same path and the same hashing work.
//
// Errors: ErrRateLimited; ErrBadCredentials.
func (s *Service) SignIn(ctx context.Context, site Site, email, password, ip string) (string, time.Time, error) {
	norm, _ := NormalEmail(email)
	pass, limit, ok := s.gate.Enter(fmt.Sprintf("%d:%s", site.Clinic.OrgID, norm), ip)
	if !ok {
		s.cfg.Logger.WarnContext(ctx, "portal sign-in refused: rate limited", "client", ip, "limit", limit)
		return "", time.Time{}, ErrRateLimited
	}
	token, exp, err := s.signIn(ctx, site, norm, password)
	switch {
	case errors.Is(err, ErrBadCredentials):
		pass.Fail()
	case err != nil:
		pass.Abort()
	default:
		pass.Succeed()
	}
	return token, exp, err
}

func (s *Service) signIn(ctx context.Context, site Site, email, password string) (string, time.Time, error) {
	var a store.PortalAccount
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		a, err = tx.Portal().PortalAccountByEmail(ctx, site.Clinic.OrgID, email)
		return err
	})
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		auth.DummyCheck(password)
		return "", time.Time{}, ErrBadCredentials
	case err != nil:
		return "", time.Time{}, fmt.Errorf("portal sign-in: %w", err)
	}
	if !a.Active() {
		auth.DummyCheck(password)
		return "", time.Time{}, ErrBadCredentials
	}
	ok, err := auth.CheckPassword(a.PasswordHash, password)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("portal sign-in of account %d: %w", a.ID, err)
	}
	if !ok {
		return "", time.Time{}, ErrBadCredentials
	}
	var token string
	var exp time.Time
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		token, exp, err = s.startSession(ctx, tx, a)
		if err != nil {
			return err
		}
		if auth.NeedsRehash(a.PasswordHash, auth.DefaultParams()) {
			if h, err := auth.HashPassword(password); err == nil {
				if err := tx.Portal().RehashPortalPassword(ctx, a.OrgID, a.ID, h); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return token, exp, err
}

// startSession stores a new session of a and returns its token.
func (s *Service) startSession(ctx context.Context, tx *store.Tx, a store.PortalAccount) (string, time.Time, error) {
	plain, hash, err := auth.NewToken("")
	if err != nil {
		return "", time.Time{}, err
	}
	exp := tx.Now.Add(s.cfg.Absolute)
	if _, err := tx.Portal().CreatePortalSession(ctx, a.OrgID, a.ID, hash, exp); err != nil {
		return "", time.Time{}, err
	}
	return plain, exp, nil
}

// Authenticate finds the session of token at site: its account, the holder's record at the
// clinic and the relatives they manage. Activity pushes the idle timeout back (a write at
// most once a minute).
//
// Errors: clinic.ErrUnauthenticated when there is no live session of site's organisation.
func (s *Service) Authenticate(ctx context.Context, site Site, token string) (Session, error) {
	if token == "" {
		return Session{}, clinic.ErrUnauthenticated
	}
	var out Session
	var ps store.PortalSession
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var a store.PortalAccount
		var err error
		ps, a, err = tx.Portal().PortalSessionByToken(ctx, auth.HashToken(token))
		if err != nil {
			return err
		}
		if a.OrgID != site.Clinic.OrgID || tx.Now.Sub(ps.LastSeenAt) > s.cfg.Idle {
			return clinic.ErrNotFound
		}
		out, err = actorOf(ctx, tx, site, a)
		out.ID = ps.ID
		return err
	})
	if errors.Is(err, clinic.ErrNotFound) {
		return Session{}, clinic.ErrUnauthenticated
	}
	if err != nil {
		return Session{}, fmt.Errorf("portal session: %w", err)
	}
	if s.cfg.Now().Sub(ps.LastSeenAt) > time.Minute {
		if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.Portal().TouchPortalSession(ctx, ps.ID) }); err != nil {
			s.cfg.Logger.WarnContext(ctx, "touch portal session", "session_id", ps.ID, "err", err)
		}
	}
	return out, nil
}

// SignOut ends the session of token, if any.
//
// Errors: none of its own.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		ps, _, err := tx.Portal().PortalSessionByToken(ctx, auth.HashToken(token))
		if errors.Is(err, clinic.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.Portal().DeletePortalSession(ctx, ps.ID)
	})
}

// SetLocale records the language the patient chose ("en", "fr", "" for the browser's).
//
// Errors: none of its own.
func (s *Service) SetLocale(ctx context.Context, sess Session, locale string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.Portal().SetPortalLocale(ctx, sess.Account.OrgID, sess.Account.ID, locale)
	})
}

// systemActor is who acts for a patient not signed in (a reset or invitation request).
func systemActor(org clinic.OrgID) clinic.Actor { return clinic.SystemActor(org, "portal") }

// RequestReset sends a password-reset link to email if it is an active account's at site's
// organisation and its holder has a record at the clinic; otherwise it sends nothing. The
// caller answers the same either way: both paths read the same rows and write one audit
// row ("portal.reset_request"), so neither the answer nor its timing tells whether the
// address has an account. A client address asking too often gets the same answer and
// nothing done.
//
// Errors: only internal ones.
func (s *Service) RequestReset(ctx context.Context, site Site, email, ip string) error {
	if !s.asksByIP.Allow("ip:" + ip) {
		s.cfg.Logger.WarnContext(ctx, "portal request refused: rate limited", "client", ip)
		return nil // the same answer; nothing done
	}
	norm, _ := NormalEmail(email)
	allowed := s.asks.Allow(fmt.Sprintf("%d:%s", site.Clinic.OrgID, norm))
	return s.db.Update(ctx, func(tx *store.Tx) error {
		org := site.Clinic.OrgID
		var ids []clinic.PatientID
		a, err := tx.Portal().PortalAccountByEmail(ctx, org, norm)
		switch {
		case errors.Is(err, clinic.ErrNotFound):
		case err != nil:
			return err
		case a.Active() && allowed:
			sess, err := actorOf(ctx, tx, site, a)
			if err != nil {
				return err
			}
			if sess.Self.ID != 0 {
				if err := s.planEmail(ctx, tx, site, sess.Self.ID, "password_reset", consent.PurposeAccount); err != nil {
					return err
				}
				ids = append(ids, sess.Self.ID)
			}
		}
		return audit.Record(ctx, tx, systemActor(org), "portal.reset_request", ids...)
	})
}

// planEmail plans an account e-mail of kind to record p, sent by the clinic of site.
func (s *Service) planEmail(ctx context.Context, tx *store.Tx, site Site, p clinic.PatientID, kind string, purpose consent.Purpose) error {
	_, err := tx.Notifications().PlanNotifications(ctx, site.Clinic.OrgID, []store.Notification{{ClinicID: site.Clinic.ID, PatientID: p,
		Kind: kind, Purpose: string(purpose), Channel: string(consent.ChannelEmail), Due: tx.Now, Deadline: tx.Now.Add(InviteTTL)}})
	if err != nil {
		return err
	}
	tx.OnCommit(s.cfg.Wake)
	return nil
}

// LinkState is what a link's page says before the patient types a password.
type LinkState struct {
	Purpose string // store.TokenInvite or store.TokenReset
	Email   string // the account's address, shown so the patient knows which account
}

// CheckLink reads the invitation or reset link token at site without using it.
//
// Errors: ErrLinkDead.
func (s *Service) CheckLink(ctx context.Context, site Site, token string) (LinkState, error) {
	var out LinkState
	err := s.db.View(ctx, func(tx *store.Tx) error {
		t, err := liveToken(ctx, tx, site, token)
		if err != nil {
			return err
		}
		a, err := tx.Portal().PortalAccount(ctx, t.OrgID, t.AccountID)
		out = LinkState{Purpose: t.Purpose, Email: a.Email}
		return err
	})
	return out, err
}

// liveToken finds an unused, unexpired token of site's organisation.
func liveToken(ctx context.Context, tx *store.Tx, site Site, token string) (store.PortalToken, error) {
	if token == "" || len(token) > 200 {
		return store.PortalToken{}, ErrLinkDead
	}
	t, err := tx.Portal().PortalTokenByHash(ctx, auth.HashToken(token))
	if errors.Is(err, clinic.ErrNotFound) || err == nil && (t.OrgID != site.Clinic.OrgID || t.UsedAt != nil || !tx.Now.Before(t.ExpiresAt)) {
		return t, ErrLinkDead
	}
	return t, err
}

// SetPassword uses an invitation or reset link: it checks the new password against the
// policy, marks the link used, sets the password (which ends every other link and session
// of the account), audits "portal.password_set" and signs the patient in.
//
// Errors: ErrLinkDead; *clinic.ValidationError naming "password" (or "confirm" when the two
// differ).
func (s *Service) SetPassword(ctx context.Context, site Site, token, password, confirm string) (string, time.Time, error) {
	if err := auth.ValidatePassword(password); err != nil {
		return "", time.Time{}, clinic.Invalid("password", err.Error())
	}
	if password != confirm {
		return "", time.Time{}, clinic.Invalid("confirm", "does not match the password")
	}
	// The link first: a dead or forged one costs no hashing (argon2id is slow on purpose).
	if err := s.db.View(ctx, func(tx *store.Tx) error { _, err := liveToken(ctx, tx, site, token); return err }); err != nil {
		return "", time.Time{}, err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", time.Time{}, err
	}
	var plain string
	var exp time.Time
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := liveToken(ctx, tx, site, token)
		if err != nil {
			return err
		}
		if err := tx.Portal().UsePortalToken(ctx, t.ID); errors.Is(err, clinic.ErrNotFound) {
			return ErrLinkDead
		} else if err != nil {
			return err
		}
		if err := tx.Portal().SetPortalPassword(ctx, t.OrgID, t.AccountID, hash); err != nil {
			return err
		}
		a, err := tx.Portal().PortalAccount(ctx, t.OrgID, t.AccountID)
		if err != nil {
			return err
		}
		sess, err := actorOf(ctx, tx, site, a)
		if err != nil {
			return err
		}
		if plain, exp, err = s.startSession(ctx, tx, a); err != nil {
			return err
		}
		actor := sess.Actor
		if sess.Self.ID == 0 {
			actor = systemActor(t.OrgID)
		}
		return audit.Record(ctx, tx, actor, "portal.password_set", sess.Actor.Patients...)
	})
	return plain, exp, err
}

// Mint makes the single-use link of an account e-mail as the dispatcher sends it, inside
// the dispatcher's transaction: a fresh token for the account of n's patient (replacing
// one minted for an earlier try of the same e-mail), stored hashed, valid 72 hours for an
// invitation and one hour for a reset. The link opens n's clinic's portal.
//
// Errors: clinic.ErrNotFound when n's patient has no account or the clinic no portal.
func (s *Service) Mint(ctx context.Context, tx *store.Tx, n store.Notification) (string, error) {
	a, err := tx.Portal().PortalAccountOf(ctx, n.OrgID, n.PatientID)
	if err != nil {
		return "", err
	}
	set, ok, err := tx.Portal().PortalSettingsOf(ctx, n.OrgID, n.ClinicID)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("clinic %d has no portal: %w", n.ClinicID, clinic.ErrNotFound)
	}
	purpose, ttl := store.TokenInvite, InviteTTL
	if n.Kind == "password_reset" {
		purpose, ttl = store.TokenReset, ResetTTL
	}
	plain, hash, err := auth.NewToken("")
	if err != nil {
		return "", err
	}
	if _, err := tx.Portal().CreatePortalToken(ctx, store.PortalToken{OrgID: n.OrgID, AccountID: a.ID, Purpose: purpose, Hash: hash,
		NotificationID: n.ID, ExpiresAt: tx.Now.Add(ttl)}); err != nil {
		return "", err
	}
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/p/" + set.Slug + "/password/" + plain, nil
}

// linkToken finds the secret of the links Mint makes.
var linkToken = regexp.MustCompile(`/password/[A-Za-z0-9_-]+`)

// Redact blanks the secrets of the links Mint makes in text: what the notification log
// keeps (the path without its secret).
func Redact(text string) string { return linkToken.ReplaceAllString(text, "/password/…") }
