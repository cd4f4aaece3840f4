// Package app builds Tidings' services once and assembles the HTTP surfaces over them: the
// use cases (booking with its availability cache, directory, patients), the dashboard, the
// JSON API and the server that mounts both. The command line, the benchmarks and the
// end-to-end tests all call New, so there is one wiring and one instance of each service;
// the notification planner and the capabilities to come are injected here.
//
// Imports point one way: it sits above the server and below the command line.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/api"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/dashboard"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/hooks"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/inbound"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/portal"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/server"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/waitlist"
	"github.com/tidings-health/tidings/internal/webpush"
)

// Services are the use cases, one of each per process, and the notification dispatcher.
type Services struct {
	Booking   *booking.Service
	Directory *directory.Service
	Patients  *patient.Service
	Notify    *notify.Service
	Inbound   *inbound.Service
	// Dispatcher sends due notifications; the command line runs it as a component of serve.
	Dispatcher *dispatch.Dispatcher
	// Sync applies what clinical software sends (HL7 v2 over MLLP); the command line runs
	// its listener and applier as a component of serve.
	Sync *integration.Service
	// WriteBack writes appointments booked in Tidings to the clinical software (SYN-5); the
	// command line runs it as a component of serve.
	WriteBack *integration.WriteBacker
	// Accounts are the patients' portal accounts; it makes the links of their e-mails for
	// the dispatcher.
	Accounts *account.Service
	// Waitlist fills cancellations; the command line runs its worker as a component of
	// serve.
	Waitlist *waitlist.Service
	// Recalls follows up results and recalls (RES-3..RES-8): the checklist's actions, the
	// templates, and the identity check its messages' links open.
	Recalls *recall.Service
	// Messaging is secure messaging (MSG-1..MSG-6); Hub delivers its events to this
	// process's open pages (serve runs Hub.Listen on PostgreSQL).
	Messaging *messaging.Service
	Hub       *realtime.Hub
}

// links makes the secret links of the messages that carry one, by kind: the account
// e-mails' (account), the waitlist offers' (waitlist) and the recall steps' (recall).
type links struct {
	accounts *account.Service
	waitlist *waitlist.Service
	recalls  *recall.Service
}

func (l links) Mint(ctx context.Context, tx *store.Tx, n store.Notification) (dispatch.Minted, error) {
	if n.SequenceID != 0 {
		link, err := l.recalls.Mint(ctx, tx, n)
		return dispatch.Minted{Link: link}, err
	}
	if n.OfferID != 0 {
		link, word, err := l.waitlist.Mint(ctx, tx, n)
		return dispatch.Minted{Link: link, Word: word}, err
	}
	link, err := l.accounts.Mint(ctx, tx, n)
	return dispatch.Minted{Link: link}, err
}

func (l links) Redact(text string) string {
	return recall.Redact(waitlist.Redact(account.Redact(text)))
}

// NewServices builds the use cases over db, with the notification channels of n.
func NewServices(db *store.DB, n Notify, log *slog.Logger) (Services, error) {
	svc := Services{Booking: booking.New(db), Directory: directory.New(db), Patients: patient.New(db), Notify: notify.New(db)}
	senders, err := n.senders(db)
	if err != nil {
		return svc, err
	}
	svc.Dispatcher = dispatch.New(db, dispatch.Config{PublicURL: n.PublicURL, EmailDomain: n.emailDomain()}, senders, log)
	svc.Inbound = inbound.New(db, svc.Booking)
	svc.Inbound.PublicURL, svc.Inbound.BounceToken, svc.Inbound.EmailDomain = n.PublicURL, n.BounceToken, n.emailDomain()
	svc.Inbound.Wake = svc.Dispatcher.Wake
	svc.Sync = integration.New(db, integration.Config{Logger: log, Booking: svc.Booking})
	svc.WriteBack = integration.NewWriteBacker(db, integration.WriteBackConfig{Logger: log})
	svc.Accounts = account.New(db, account.Config{Logger: log, PublicURL: n.PublicURL, Now: db.Now, Wake: svc.Dispatcher.Wake})
	svc.Waitlist = waitlist.New(db, svc.Booking, waitlist.Config{Logger: log, PublicURL: n.PublicURL, Wake: svc.Dispatcher.Wake})
	svc.Recalls = recall.New(db, recall.Config{Logger: log, PublicURL: n.PublicURL, Wake: svc.Dispatcher.Wake})
	svc.Dispatcher.SetLinks(links{accounts: svc.Accounts, waitlist: svc.Waitlist, recalls: svc.Recalls})
	svc.Hub = realtime.New(log, 0)
	svc.Messaging = messaging.New(db, messaging.Config{Published: svc.Hub.Publish,
		// MSG-5: the alert is decided two minutes after the message and goes only if the
		// patient has not read it by then.
		Alerts: &messaging.AlertConfig{Delay: 2 * time.Minute, Wake: svc.Dispatcher.Wake}})
	svc.Inbound.Waitlist = svc.Waitlist
	return svc, nil
}

// Notify configures the notification channels (NOT-6).
type Notify struct {
	// PublicURL is the server's public base URL (links, SMS status callbacks).
	PublicURL string
	// SMTPURL is the mail server (smtp://user:pass@host:port?tls=starttls&from=addr); empty:
	// no e-mail provider.
	SMTPURL string
	// Outbox keeps messages of clinics with no provider in the outbox.
	Outbox bool
	// BounceToken is the secret of the bounce webhook.
	BounceToken string
	// VAPID keys and subject of Web Push; empty: no push provider.
	VAPIDPublic, VAPIDPrivate, VAPIDSubject string
	// HTTP is the client for SMS providers (tests: short timeouts); default 15 s timeout.
	HTTP *http.Client
}

func (n Notify) emailDomain() string {
	if u, err := url.Parse(n.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "tidings.invalid"
}

// senders builds the channels: SMS through the organisations' accounts (the outbox for
// those with none, when Outbox is set), e-mail through SMTPURL (else the outbox, or none),
// push with the VAPID keys.
func (n Notify) senders(db *store.DB) (dispatch.Senders, error) {
	breakers := dispatch.NewBreakers(db.Now)
	client := n.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	s := dispatch.Senders{SMS: &dispatch.SMS{PublicURL: n.PublicURL, HTTP: client, Breakers: breakers}}
	if n.Outbox {
		s.SMS.Fallback = dispatch.Outbox{}
		s.Email = dispatch.Outbox{}
	}
	if n.SMTPURL != "" {
		cfg, err := SMTPConfig(n.SMTPURL)
		if err != nil {
			return s, err
		}
		sender, err := email.New(cfg)
		if err != nil {
			return s, fmt.Errorf("--smtp: %w", err)
		}
		s.Email = &dispatch.Email{Sender: sender, Domain: n.emailDomain(), Breakers: breakers}
	}
	if n.VAPIDPublic != "" || n.VAPIDPrivate != "" {
		keys := webpush.Keys{Public: n.VAPIDPublic, Private: n.VAPIDPrivate}
		if err := keys.Valid(); err != nil {
			return s, fmt.Errorf("TIDINGS_VAPID_*: %w", err)
		}
		if n.VAPIDSubject == "" {
			return s, fmt.Errorf("TIDINGS_VAPID_SUBJECT: is required with VAPID keys (a mailto: or https: contact)")
		}
		s.Push = &dispatch.Push{Sender: &webpush.Sender{Keys: keys, Subject: n.VAPIDSubject, Client: client}, Breakers: breakers}
	}
	return s, nil
}

// Digest is the staff e-mail digest of unread messages (MSG-5) through the mail server
// (SMTPURL); without one, a Digest that sends nothing.
func (n Notify) Digest() (messaging.Digest, error) {
	if n.SMTPURL == "" {
		return messaging.Digest{}, nil
	}
	cfg, err := SMTPConfig(n.SMTPURL)
	if err != nil {
		return messaging.Digest{}, err
	}
	sender, err := email.New(cfg)
	if err != nil {
		return messaging.Digest{}, fmt.Errorf("--smtp: %w", err)
	}
	cat, err := i18n.New()
	if err != nil {
		return messaging.Digest{}, err
	}
	return messaging.Digest{Send: sender.Send, PublicURL: n.PublicURL, Domain: n.emailDomain(), Catalog: cat}, nil
}

// SMTPConfig reads an smtp:// URL: smtp://user:password@host:port?tls=none|starttls|tls&from=addr&from_name=Name.
// The password never appears in an error.
func SMTPConfig(raw string) (email.Config, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return email.Config{}, fmt.Errorf("--smtp: must be smtp://user:password@host:port?from=address")
	}
	cfg := email.Config{Host: u.Hostname(), TLS: u.Query().Get("tls"), From: u.Query().Get("from"), FromName: u.Query().Get("from_name")}
	if u.Scheme == "smtps" && cfg.TLS == "" {
		cfg.TLS = email.TLSImplicit
	}
	if p := u.Port(); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil {
			return email.Config{}, fmt.Errorf("--smtp: the port must be a number")
		}
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	if cfg.From == "" {
		return email.Config{}, fmt.Errorf("--smtp: from= is required (the sender address)")
	}
	return cfg, nil
}

// Config is what New needs from the process.
type Config struct {
	DB       *store.DB
	Sessions *session.Manager
	Logger   *slog.Logger
	Now      func() time.Time // the dashboard's clock; default time.Now
	Version  string
	Notify   Notify
	// SecureCookies marks the portal's cookies Secure behind a TLS-terminating proxy (the
	// staff session manager has its own setting).
	SecureCookies bool
}

// New builds the services and the server over them.
func New(cfg Config) (*server.Server, Services, error) {
	svc, err := NewServices(cfg.DB, cfg.Notify, cfg.Logger)
	if err != nil {
		return nil, svc, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := dashboard.New(dashboard.Deps{DB: cfg.DB, Sessions: cfg.Sessions, Logger: cfg.Logger, Now: cfg.Now,
		Booking: svc.Booking, Directory: svc.Directory, Patients: svc.Patients, Notify: svc.Notify, Sync: svc.Sync, Accounts: svc.Accounts, Waitlist: svc.Waitlist,
		Recalls: svc.Recalls, Messaging: svc.Messaging, Hub: svc.Hub})
	if err != nil {
		return nil, svc, err
	}
	portalPages, err := portal.New(portal.Deps{DB: cfg.DB, Accounts: svc.Accounts, Booking: svc.Booking, Patients: svc.Patients, Notify: svc.Notify, Waitlist: svc.Waitlist, Recalls: svc.Recalls,
		Messaging: svc.Messaging, Hub: svc.Hub, Logger: cfg.Logger, Now: cfg.Now, EmailDomain: cfg.Notify.emailDomain(), VAPIDPublic: cfg.Notify.VAPIDPublic,
		SecureCookies: cfg.SecureCookies, ClientIP: cfg.Sessions.ClientIP})
	if err != nil {
		return nil, svc, err
	}
	a := api.New(api.Deps{DB: cfg.DB, Logger: cfg.Logger, Booking: svc.Booking, Directory: svc.Directory, Patients: svc.Patients, Notify: svc.Notify,
		Messaging: svc.Messaging})
	routes := append(a.Routes(), hooks.New(svc.Inbound, cfg.Logger).Routes()...)
	srv, err := server.New(server.Config{Logger: cfg.Logger, DB: cfg.DB, Sessions: cfg.Sessions, Pages: pages, API: routes, Portal: portalPages.Routes(), Version: cfg.Version})
	return srv, svc, err
}
