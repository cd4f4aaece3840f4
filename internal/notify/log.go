package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/webpush"
)

// The audit actions of the communication log's reads (ADM-2): the messages of patients are
// patient data.
const (
	ActionLogList   = "notification.list"
	ActionLogRead   = "notification.read"
	ActionInboxRead = "sms_inbox.read"
)

// List reads the communication log (NOT-9): the notifications of a clinic or a patient,
// newest first, for staff who may read patients. The patients listed are recorded in one
// audit row.
//
// Errors: clinic.ErrForbidden.
func (s *Service) List(ctx context.Context, actor clinic.Actor, f store.NotificationFilter) ([]store.Notification, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return nil, fmt.Errorf("read the communication log: %w", clinic.ErrForbidden)
	}
	var out []store.Notification
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Notifications().ListNotifications(ctx, actor.OrgID, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	var ids []clinic.PatientID
	seen := map[clinic.PatientID]bool{}
	for _, n := range out {
		if n.PatientID != 0 && !seen[n.PatientID] {
			seen[n.PatientID] = true
			ids = append(ids, n.PatientID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	return out, audit.Read(ctx, s.db, actor, ActionLogList, ids...)
}

// Detail is one notification with its status history and the decisions taken on it.
type Detail struct {
	Notification store.Notification
	Events       []store.Event
	Decisions    []store.Decision
	// Members are the notifications a NOT-4 SMS carried with it (or the carrier and its
	// other members, for a member).
	Members []store.Notification
}

// Detail reads one notification of the communication log, audited.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound.
func (s *Service) Detail(ctx context.Context, actor clinic.Actor, id int64) (Detail, error) {
	var d Detail
	if !actor.Can(clinic.PermReadPatients) {
		return d, fmt.Errorf("read the communication log: %w", clinic.ErrForbidden)
	}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if d.Notification, err = tx.Notifications().Notification(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if d.Events, err = tx.Notifications().Events(ctx, actor.OrgID, id); err != nil {
			return err
		}
		d.Events = History(d.Notification, d.Events)
		if d.Decisions, err = tx.Consent().DecisionsOf(ctx, actor.OrgID, id); err != nil {
			return err
		}
		carrier := id
		if d.Notification.GroupID != 0 {
			carrier = d.Notification.GroupID
		}
		ms, err := tx.Notifications().GroupMembers(ctx, actor.OrgID, carrier)
		for _, m := range ms {
			if m.ID != id {
				d.Members = append(d.Members, m)
			}
		}
		return err
	})
	if err != nil {
		return d, err
	}
	if d.Notification.PatientID == 0 {
		return d, audit.Read(ctx, s.db, actor, ActionLogRead)
	}
	return d, audit.Read(ctx, s.db, actor, ActionLogRead, d.Notification.PatientID)
}

// Summary is a clinic's day of notifications for the communication log's header: counts by
// state of those due today (the clinic's day), and the SMS budget of the month.
type Summary struct {
	Counts      map[string]int
	SMSUsed     int // segments sent this month
	SMSBudget   int // 0: no limit
	BudgetAlert bool
	Unread      int // inbound SMS not read yet
}

// Summary reads a clinic's day (anyone who may read patients).
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound.
func (s *Service) Summary(ctx context.Context, actor clinic.Actor, id clinic.ClinicID, now time.Time) (Summary, error) {
	out := Summary{Counts: map[string]int{}}
	if !actor.Can(clinic.PermReadPatients) {
		return out, fmt.Errorf("read the communication log: %w", clinic.ErrForbidden)
	}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		cl, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		zone, err := cl.Location()
		if err != nil {
			return err
		}
		lt := now.In(zone)
		day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, zone)
		counts, err := tx.Notifications().CountStates(ctx, actor.OrgID, id, day, day.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		for _, c := range counts {
			out.Counts[c.State] = c.Count
		}
		month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, zone)
		if out.SMSUsed, err = tx.Notifications().SegmentsSent(ctx, actor.OrgID, id, month); err != nil {
			return err
		}
		set, err := SettingsTx(ctx, tx, actor.OrgID, []clinic.ClinicID{id})
		if err != nil {
			return err
		}
		out.SMSBudget = set[id].SMSBudget
		out.BudgetAlert = out.SMSBudget > 0 && out.SMSUsed*5 >= out.SMSBudget*4 // 80 %
		out.Unread, err = tx.Notifications().UnreadInbox(ctx, actor.OrgID, id)
		return err
	})
	return out, err
}

// Inbox lists the inbound SMS of a clinic (0: every clinic), newest first, audited.
//
// Errors: clinic.ErrForbidden.
func (s *Service) Inbox(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID, p store.Page) ([]store.InboxMessage, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return nil, fmt.Errorf("read the SMS inbox: %w", clinic.ErrForbidden)
	}
	var out []store.InboxMessage
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Notifications().Inbox(ctx, actor.OrgID, cl, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	var ids []clinic.PatientID
	for _, m := range out {
		if m.PatientID != 0 {
			ids = append(ids, m.PatientID)
		}
	}
	return out, audit.Read(ctx, s.db, actor, ActionInboxRead, ids...)
}

// MarkRead marks inbound SMS read.
//
// Errors: clinic.ErrForbidden.
func (s *Service) MarkRead(ctx context.Context, actor clinic.Actor, ids []int64) error {
	if !actor.Can(clinic.PermReadPatients) {
		return fmt.Errorf("mark SMS read: %w", clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Notifications().MarkInboxRead(ctx, actor.OrgID, ids); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "sms_inbox.mark_read")
	})
}

// TemplateView is one kind x channel x language of a clinic: its text, and whether it is the
// clinic's own or the shipped default.
type TemplateView struct {
	compose.Template
	Custom    bool
	UpdatedBy string
	UpdatedAt time.Time
}

// Templates lists every template of a clinic (anyone who may read the directory).
//
// Errors: clinic.ErrNotFound.
func (s *Service) Templates(ctx context.Context, actor clinic.Actor, id clinic.ClinicID) ([]TemplateView, error) {
	var own []store.Template
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Directory().Clinic(ctx, actor.OrgID, id); err != nil {
			return err
		}
		var err error
		own, err = tx.Notifications().Templates(ctx, actor.OrgID, []clinic.ClinicID{id})
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []TemplateView
	for _, k := range compose.Kinds() {
		for _, ch := range compose.Channels() {
			for _, lang := range []string{"en", "fr"} {
				t, ok := compose.Default(k, ch, lang)
				if !ok {
					continue
				}
				v := TemplateView{Template: t}
				for _, o := range own {
					if o.Kind == string(k) && o.Channel == string(ch) && o.Lang == lang {
						v.Subject, v.Body, v.Custom, v.UpdatedBy, v.UpdatedAt = o.Subject, o.Body, true, o.UpdatedBy, o.UpdatedAt
					}
				}
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// TemplateInput is an edit of one template.
type TemplateInput struct {
	Kind    string `json:"kind"`
	Channel string `json:"channel"`
	Lang    string `json:"lang"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// checkTemplate validates an edit: a kind, channel and language that exist, and a text
// compose.Check accepts; each problem names its field.
func checkTemplate(in TemplateInput) (compose.Template, error) {
	v := &clinic.ValidationError{}
	def, ok := compose.Default(compose.Kind(in.Kind), compose.Channel(in.Channel), in.Lang)
	if !ok {
		switch {
		case !validKind(in.Kind):
			v.Add("kind", "is not a kind of message")
		case in.Lang != "en" && in.Lang != "fr":
			v.Add("lang", "must be en or fr")
		default:
			v.Add("channel", "has no template of this kind (replies are SMS only)")
		}
		return compose.Template{}, v
	}
	t := compose.Template{Kind: def.Kind, Channel: def.Channel, Lang: in.Lang, Subject: in.Subject, Body: in.Body}
	if err := compose.Check(t); err != nil {
		if ps, ok := err.(compose.Problems); ok {
			for _, p := range ps {
				v.Add(p.Field, p.Reason)
			}
			return t, v
		}
		return t, err
	}
	return t, nil
}

func validKind(k string) bool {
	for _, x := range compose.Kinds() {
		if string(x) == k {
			return true
		}
	}
	return false
}

// SetTemplate stores a clinic's text for a kind x channel x language (administrators), with
// the audit row. An empty body resets it to the shipped default.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; *clinic.ValidationError naming the field.
func (s *Service) SetTemplate(ctx context.Context, actor clinic.Actor, id clinic.ClinicID, in TemplateInput) error {
	if !actor.Can(clinic.PermManageDirectory) {
		return fmt.Errorf("edit templates: %w", clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		cl, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		def, ok := compose.Default(compose.Kind(in.Kind), compose.Channel(in.Channel), in.Lang)
		if !ok {
			_, err := checkTemplate(in)
			return err
		}
		// The audit row names the template by its clinic and its editor's address, and
		// records the text as it was (the clinic's own, else the default) and as it is.
		subject := cl.Name + " — " + in.Kind + "/" + in.Channel + "/" + in.Lang
		before, err := templateAuditOf(ctx, tx, actor.OrgID, id, def)
		if err != nil {
			return err
		}
		if strings.TrimSpace(in.Body) == "" {
			if err := tx.Notifications().DeleteTemplate(ctx, actor.OrgID, id, in.Kind, in.Channel, in.Lang); err != nil {
				return err
			}
			return audit.Change(ctx, tx, actor, "clinic.template_reset", subject, before, templateAudit{Subject: def.Subject, Body: def.Body})
		}
		t, err := checkTemplate(in)
		if err != nil {
			return err
		}
		if err := tx.Notifications().PutTemplate(ctx, actor.OrgID, store.Template{ClinicID: id, Kind: string(t.Kind), Channel: string(t.Channel),
			Lang: t.Lang, Subject: t.Subject, Body: t.Body, UpdatedBy: actor.Label}); err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "clinic.template", subject, before, templateAudit{Subject: t.Subject, Body: t.Body})
	})
}

// templateAudit is a template's text as a change of it is recorded (ADM-5).
type templateAudit struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// templateAuditOf is the text a clinic sends for def's kind, channel and language: its own,
// else def.
func templateAuditOf(ctx context.Context, tx *store.Tx, org clinic.OrgID, id clinic.ClinicID, def compose.Template) (templateAudit, error) {
	own, err := tx.Notifications().Templates(ctx, org, []clinic.ClinicID{id})
	for _, o := range own {
		if o.Kind == string(def.Kind) && o.Channel == string(def.Channel) && o.Lang == def.Lang {
			return templateAudit{Subject: o.Subject, Body: o.Body}, err
		}
	}
	return templateAudit{Subject: def.Subject, Body: def.Body}, err
}

// Preview renders a template being edited with sample values (NOT-2): the text, and for SMS
// its length in segments, as one types.
//
// Errors: *clinic.ValidationError naming the field.
func Preview(in TemplateInput) (compose.Rendered, error) {
	t, err := checkTemplate(in)
	if err != nil {
		return compose.Rendered{}, err
	}
	return compose.Preview(t, in.Lang)
}

// AccountInput configures a Twilio-compatible SMS account.
type AccountInput struct {
	ClinicID   int64  `json:"clinic_id"` // 0: the organisation's
	Failover   bool   `json:"failover"`
	BaseURL    string `json:"base_url"`
	AccountSID string `json:"account_sid"`
	AuthToken  string `json:"auth_token"`
	Sender     string `json:"sender"`
}

// Account is an SMS account as shown: the token is never shown back.
type Account struct {
	ID         int64  `json:"id"`
	ClinicID   int64  `json:"clinic_id"`
	Failover   bool   `json:"failover"`
	BaseURL    string `json:"base_url"`
	AccountSID string `json:"account_sid"`
	Sender     string `json:"sender"`
	TokenHint  string `json:"token_hint"` // the last four characters
}

func accountView(a store.SMSAccount) Account {
	hint := ""
	if len(a.AuthToken) >= 4 {
		hint = "…" + a.AuthToken[len(a.AuthToken)-4:]
	}
	return Account{ID: a.ID, ClinicID: int64(a.ClinicID), Failover: a.Priority > 0, BaseURL: a.BaseURL, AccountSID: a.AccountSID, Sender: a.Sender, TokenHint: hint}
}

// Accounts lists the organisation's SMS accounts (administrators).
//
// Errors: clinic.ErrForbidden.
func (s *Service) Accounts(ctx context.Context, actor clinic.Actor) ([]Account, error) {
	if !actor.Can(clinic.PermManageDirectory) {
		return nil, fmt.Errorf("read SMS accounts: %w", clinic.ErrForbidden)
	}
	var out []Account
	err := s.db.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Notifications().SMSAccounts(ctx, actor.OrgID)
		for _, a := range as {
			out = append(out, accountView(a))
		}
		return err
	})
	return out, err
}

// SetAccount stores an SMS account (administrators), replacing the one of the same scope
// and role, with the audit row.
//
// Errors: clinic.ErrForbidden; *clinic.ValidationError naming the field.
func (s *Service) SetAccount(ctx context.Context, actor clinic.Actor, in AccountInput) (Account, error) {
	if !actor.Can(clinic.PermManageDirectory) {
		return Account{}, fmt.Errorf("configure SMS: %w", clinic.ErrForbidden)
	}
	var out Account
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		v := &clinic.ValidationError{}
		if in.ClinicID != 0 {
			if _, err := tx.Directory().Clinic(ctx, actor.OrgID, clinic.ClinicID(in.ClinicID)); err != nil {
				v.Add("clinic_id", "does not exist")
			}
		}
		in.BaseURL = strings.TrimSuffix(strings.TrimSpace(in.BaseURL), "/")
		if in.BaseURL == "" {
			in.BaseURL = "https://api.twilio.com"
		}
		if !strings.HasPrefix(in.BaseURL, "https://") && !strings.HasPrefix(in.BaseURL, "http://127.0.0.1") && !strings.HasPrefix(in.BaseURL, "http://localhost") {
			v.Add("base_url", "must be an https:// URL")
		}
		if !twilio.ValidSID(in.AccountSID) {
			// The same rule the provider's callbacks are read with: an account whose SID
			// they would refuse could send but never receive a reply.
			v.Add("account_sid", "must be the account SID, such as AC followed by 32 characters")
		}
		if len(in.AuthToken) < 8 || len(in.AuthToken) > 128 {
			v.Add("auth_token", "must be the account's auth token (8 to 128 characters)")
		}
		in.Sender = strings.TrimSpace(in.Sender)
		if !validSender(in.Sender) {
			v.Add("sender", "must be a phone number in international form (+61…) or an alphanumeric sender ID of at most 11 characters")
		}
		prio := 0
		if in.Failover {
			prio = 1
			existing, err := tx.Notifications().SMSAccounts(ctx, actor.OrgID)
			if err != nil {
				return err
			}
			primary := false
			for _, a := range existing {
				primary = primary || (a.Priority == 0 && int64(a.ClinicID) == in.ClinicID)
			}
			if !primary {
				v.Add("failover", "needs a primary account for the same clinic (or the organisation) first")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		existing, err := tx.Notifications().SMSAccounts(ctx, actor.OrgID)
		if err != nil {
			return err
		}
		var before any // nil: a new account
		for _, x := range existing {
			if int64(x.ClinicID) == in.ClinicID && x.Priority == prio {
				before = accountAudit(x)
			}
		}
		a, err := tx.Notifications().PutSMSAccount(ctx, actor.OrgID, store.SMSAccount{ClinicID: clinic.ClinicID(in.ClinicID), Priority: prio,
			BaseURL: in.BaseURL, AccountSID: in.AccountSID, AuthToken: in.AuthToken, Sender: in.Sender})
		if err != nil {
			return err
		}
		out = accountView(a)
		scope, err := accountScope(ctx, tx, actor.OrgID, a.ClinicID)
		if err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "settings.sms_account", scope, before, accountAudit(a))
	})
	return out, err
}

// accountAudit is an SMS account as a change of it is recorded (ADM-5). The auth token is
// a secret and is never recorded: only the last four characters the SMS accounts page
// shows stand for it, so the log says that it changed without saying what it is.
func accountAudit(a store.SMSAccount) accountAuditRecord {
	v := accountView(a)
	return accountAuditRecord{Failover: v.Failover, Sender: v.Sender, AccountSID: v.AccountSID, BaseURL: v.BaseURL, TokenHint: v.TokenHint}
}

// accountAuditRecord is what accountAudit keeps of an account; the audit row's subject names
// what the account is used by.
type accountAuditRecord struct {
	Failover   bool   `json:"failover"`
	Sender     string `json:"sender"`
	AccountSID string `json:"account_sid"`
	BaseURL    string `json:"base_url"`
	TokenHint  string `json:"token_hint"`
}

// accountScope names what an account is used by: its clinic, else the organisation.
func accountScope(ctx context.Context, tx *store.Tx, org clinic.OrgID, id clinic.ClinicID) (string, error) {
	if id != 0 {
		c, err := tx.Directory().Clinic(ctx, org, id)
		return c.Name, err
	}
	o, err := tx.Directory().Organisation(ctx, org)
	return o.Name, err
}

// DeleteAccount removes an SMS account (administrators).
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound.
func (s *Service) DeleteAccount(ctx context.Context, actor clinic.Actor, id int64) error {
	if !actor.Can(clinic.PermManageDirectory) {
		return fmt.Errorf("configure SMS: %w", clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		existing, err := tx.Notifications().SMSAccounts(ctx, actor.OrgID)
		if err != nil {
			return err
		}
		var gone store.SMSAccount
		for _, x := range existing {
			if x.ID == id {
				gone = x
			}
		}
		if err := tx.Notifications().DeleteSMSAccount(ctx, actor.OrgID, id); err != nil {
			return err
		}
		scope, err := accountScope(ctx, tx, actor.OrgID, gone.ClinicID)
		if err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "settings.sms_account_delete", scope, accountAudit(gone), nil)
	})
}

// Subscribe stores the Web Push subscription a patient's browser made in the portal (the
// PushSubscription JSON), for the patient themselves.
//
// Errors: clinic.ErrForbidden for anyone but a patient; *clinic.ValidationError naming the
// field of the subscription.
func (s *Service) Subscribe(ctx context.Context, actor clinic.Actor, raw json.RawMessage) error {
	if actor.Kind != clinic.ActorPatient || actor.PatientID == 0 {
		return fmt.Errorf("push subscriptions belong to patients: %w", clinic.ErrForbidden)
	}
	sub, err := webpush.ParseSubscription(raw)
	if err != nil {
		return clinic.Invalid("subscription", err.Error())
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Notifications().PutPushSubscription(ctx, actor.OrgID, store.PushSubscription{PatientID: actor.PatientID,
			Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "patient.push_subscribe", actor.PatientID)
	})
}

// History is a notification's status history for the communication log: the events stored
// for it, with the steps the row's own times record (planned at created_at, handed to the
// provider at sending_at, sent at sent_at) put in their place, since the dispatcher writes
// no event row for those.
func History(n store.Notification, evs []store.Event) []store.Event {
	has := func(state string) bool {
		for _, e := range evs {
			if e.State == state {
				return true
			}
		}
		return false
	}
	out := []store.Event{{OrgID: n.OrgID, NotificationID: n.ID, State: store.NotePlanned, At: n.CreatedAt}}
	if !n.SendingAt.IsZero() && !has(store.NoteSending) {
		out = append(out, store.Event{OrgID: n.OrgID, NotificationID: n.ID, State: store.NoteSending, At: n.SendingAt})
	}
	if !n.SentAt.IsZero() && !has(store.NoteSent) {
		out = append(out, store.Event{OrgID: n.OrgID, NotificationID: n.ID, State: store.NoteSent, At: n.SentAt})
	}
	out = append(out, evs...)
	slices.SortStableFunc(out, func(a, b store.Event) int { return a.At.Compare(b.At) })
	return out
}

// validSender reports whether s is a sender SMS providers accept: an E.164 number, or an
// alphanumeric sender ID of 1 to 11 letters, digits and spaces with at least one letter.
func validSender(s string) bool {
	if strings.HasPrefix(s, "+") {
		digits := s[1:]
		if len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
			return false
		}
		for _, c := range digits {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if len(s) == 0 || len(s) > 11 {
		return false
	}
	letter := false
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9', c == ' ':
		default:
			return false
		}
	}
	return letter
}

// Texts are clinics' own templates, read once for a batch of messages.
type Texts map[textKey]store.Template

type textKey struct {
	clinic              clinic.ClinicID
	kind, channel, lang string
}

// TextsOf reads the own templates of clinics in one statement.
func TextsOf(ctx context.Context, tx *store.Tx, org clinic.OrgID, clinics []clinic.ClinicID) (Texts, error) {
	ts, err := tx.Notifications().Templates(ctx, org, clinics)
	if err != nil {
		return nil, err
	}
	out := make(Texts, len(ts))
	for _, t := range ts {
		out[textKey{t.ClinicID, t.Kind, t.Channel, t.Lang}] = t
	}
	return out, nil
}

// Template is the text clinic cl sends for kind on ch in lang (NOT-2): its own if it edited
// one, else the shipped default; ok is false when no such template exists.
func (t Texts) Template(cl clinic.ClinicID, kind compose.Kind, ch compose.Channel, lang string) (compose.Template, bool) {
	tpl, ok := compose.Default(kind, ch, lang)
	if !ok {
		return tpl, false
	}
	if own, found := t[textKey{cl, string(kind), string(ch), lang}]; found {
		tpl.Subject, tpl.Body = own.Subject, own.Body
	}
	return tpl, true
}
