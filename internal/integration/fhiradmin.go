package integration

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
)

// FHIRSettingsInput is how an administrator configures a fhir database (SYN-1): its
// server's base URL and how Tidings signs in to it. An empty Token or ClientSecret keeps the
// one saved: secrets are never shown again.
type FHIRSettingsInput struct {
	BaseURL      string `json:"base_url"`
	Auth         string `json:"auth"` // none, bearer, client_credentials
	Token        string `json:"token,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	TokenURL     string `json:"token_url,omitempty"`
	Scope        string `json:"scope,omitempty"`
	EveryMinutes int    `json:"every_minutes"`
}

// fhirAudit is what the audit log keeps of FHIR settings: whether secrets are set, never
// their values.
type fhirAudit struct {
	BaseURL      string `json:"base_url"`
	Auth         string `json:"auth"`
	TokenSet     bool   `json:"token_set"`
	ClientID     string `json:"client_id"`
	SecretSet    bool   `json:"client_secret_set"`
	TokenURL     string `json:"token_url"`
	Scope        string `json:"scope"`
	EveryMinutes int    `json:"every_minutes"`
}

func auditOf(s store.FHIRSettings) fhirAudit {
	return fhirAudit{BaseURL: s.BaseURL, Auth: s.Auth, TokenSet: s.Token != "", ClientID: s.ClientID, SecretSet: s.ClientSecret != "",
		TokenURL: s.TokenURL, Scope: s.Scope, EveryMinutes: s.EveryMinutes}
}

// checkURL says why raw is not an http(s) URL a FHIR client may use ("" when it is).
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "is required"
	case len(raw) > 500:
		return "must be at most 500 characters"
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "must be an http or https URL, such as https://fhir.clinic.example/r4"
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "must have no user, query or fragment"
	}
	return ""
}

// SetFHIRSettings saves how fhir database id is read and written back (SYN-1, SYN-5). The
// change is audited without the secrets' values.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound, *clinic.ValidationError naming each
// field at fault (or database_id for a database that is not fhir).
func (s *Service) SetFHIRSettings(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID, in FHIRSettingsInput) error {
	if err := allowQuarantine(actor, "set FHIR settings"); err != nil {
		return err
	}
	in.BaseURL, in.TokenURL = strings.TrimSpace(in.BaseURL), strings.TrimSpace(in.TokenURL)
	in.ClientID, in.Scope = strings.TrimSpace(in.ClientID), strings.TrimSpace(in.Scope)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if d.Kind != clinic.KindFHIR {
			return clinic.Invalid("database_id", "is not a FHIR database")
		}
		before, _, err := tx.Sync().FHIRSettingsOf(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		next := store.FHIRSettings{DatabaseID: id, OrgID: actor.OrgID, BaseURL: strings.TrimRight(in.BaseURL, "/"), Auth: in.Auth,
			ClientID: in.ClientID, TokenURL: in.TokenURL, Scope: in.Scope, EveryMinutes: in.EveryMinutes,
			Token: cmp.Or(in.Token, before.Token), ClientSecret: cmp.Or(in.ClientSecret, before.ClientSecret)}
		var v clinic.ValidationError
		if why := checkURL(in.BaseURL); why != "" {
			v.Add("base_url", why)
		}
		for _, f := range []struct{ name, value string }{{"token", in.Token}, {"client_id", in.ClientID}, {"client_secret", in.ClientSecret}, {"scope", in.Scope}} {
			if len(f.value) > 2000 || strings.IndexFunc(f.value, unicode.IsControl) >= 0 {
				v.Add(f.name, "must be at most 2000 characters, without control characters")
			}
		}
		switch in.Auth {
		case "none":
			next.Token, next.ClientID, next.ClientSecret, next.TokenURL, next.Scope = "", "", "", "", ""
		case "bearer":
			if next.Token == "" {
				v.Add("token", "is required with a bearer token")
			}
			next.ClientID, next.ClientSecret, next.TokenURL, next.Scope = "", "", "", ""
		case "client_credentials":
			if next.ClientID == "" {
				v.Add("client_id", "is required with client credentials")
			}
			if next.ClientSecret == "" {
				v.Add("client_secret", "is required with client credentials")
			}
			if why := checkURL(in.TokenURL); why != "" {
				v.Add("token_url", why)
			}
			next.Token = ""
		default:
			v.Add("auth", "must be one of none, bearer, client_credentials")
		}
		if in.EveryMinutes < 1 || in.EveryMinutes > 1440 {
			v.Add("every_minutes", "must be a whole number of minutes from 1 to 1440")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.Sync().SetFHIRSettings(ctx, next); err != nil {
			return err
		}
		var was any
		if before.DatabaseID != 0 {
			was = auditOf(before)
		}
		return audit.Change(ctx, tx, actor, "database.fhir", d.Name, was, auditOf(next))
	})
}

// FHIRStatus is a fhir database's settings as its page shows them: secrets only as set or
// not, and the last run.
type FHIRStatus struct {
	Input               FHIRSettingsInput // Token and ClientSecret empty
	TokenSet, SecretSet bool
	LastRunAt, LastOKAt *time.Time
	LastError           string
	Configured          bool
}

// FHIRStatusOf reads database id's FHIR settings and last run.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound (also for a database that is not fhir).
func (s *Service) FHIRStatusOf(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID) (FHIRStatus, error) {
	if err := allowQuarantine(actor, "read FHIR settings"); err != nil {
		return FHIRStatus{}, err
	}
	var st FHIRStatus
	err := s.db.View(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if d.Kind != clinic.KindFHIR {
			return fmt.Errorf("FHIR settings of a %s database: %w", d.Kind, clinic.ErrNotFound)
		}
		f, ok, err := tx.Sync().FHIRSettingsOf(ctx, actor.OrgID, id)
		if err != nil || !ok {
			st.Input = FHIRSettingsInput{Auth: "bearer", EveryMinutes: 5}
			return err
		}
		st = FHIRStatus{Input: FHIRSettingsInput{BaseURL: f.BaseURL, Auth: f.Auth, ClientID: f.ClientID, TokenURL: f.TokenURL, Scope: f.Scope,
			EveryMinutes: f.EveryMinutes}, TokenSet: f.Token != "", SecretSet: f.ClientSecret != "", LastRunAt: f.LastRunAt, LastOKAt: f.LastOKAt,
			LastError: f.LastError, Configured: true}
		return nil
	})
	return st, err
}

// FHIRRoundArgs is the periodic job that syncs every fhir database whose period has come.
type FHIRRoundArgs struct{}

// Kind names the job in River's table.
func (FHIRRoundArgs) Kind() string { return "fhir_sync_round" }

// RegisterJobs declares the sync's background work on r (SYN-1): every minute, on the sync
// queue, each fhir database whose own period (its every_minutes) has passed since its last
// run is read. On PostgreSQL one elected instance runs the round. One database's failure
// (its server down, its token refused) is recorded on its page and does not hold up the
// others.
func RegisterJobs(r *jobs.Registry, s *Service, hc *http.Client) {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	jobs.Register(r, func(ctx context.Context, _ FHIRRoundArgs) error {
		return s.FHIRRound(ctx, hc)
	}, jobs.WorkerOpts{Queue: jobs.QueueSync, Timeout: 30 * time.Minute, MaxAttempts: 1})
	jobs.Periodic(r, time.Minute, FHIRRoundArgs{}, jobs.PeriodicOpts{RunOnStart: true, Opts: jobs.Opts{UniqueKey: "fhir-round"}})
}

// FHIRRound syncs each fhir database whose period has come.
func (s *Service) FHIRRound(ctx context.Context, hc *http.Client) error {
	var due []store.FHIRSettings
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Sync().FHIRDatabases(ctx)
		for _, f := range all {
			if f.LastRunAt == nil || !tx.Now.Before(f.LastRunAt.Add(time.Duration(f.EveryMinutes)*time.Minute)) {
				due = append(due, f)
			}
		}
		return err
	}); err != nil {
		return err
	}
	for _, f := range due {
		rep, err := s.SyncFHIR(ctx, f.OrgID, f.DatabaseID, hc)
		if err != nil {
			s.log.Warn("FHIR sync", "database", f.DatabaseID, "read", rep.Read, "err", err)
			continue
		}
		s.log.Info("FHIR sync", "database", f.DatabaseID, "read", rep.Read, "outcomes", rep.Counts)
	}
	return nil
}
