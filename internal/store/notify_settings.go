package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// NotifySettings are a clinic's sending settings as stored; the notify package gives them
// meaning (offsets parsed, defaults for a clinic that never changed them).
type NotifySettings struct {
	ClinicID        clinic.ClinicID
	Channels        string // "sms,email"
	ReminderOffsets string // "72h,2h"
	GraceSeconds    int
	QuietFrom       string
	QuietTo         string
	SMSBudget       int
	RemindConfirmed bool
	AskReply        bool
	UpdatedAt       time.Time
}

// NotifySettingsOf reads the stored settings of clinics in one statement; a clinic that
// never changed them is absent from the map.
//
// Errors: none of its own.
func (tx Notifications) NotifySettingsOf(ctx context.Context, org clinic.OrgID, clinics []clinic.ClinicID) (map[clinic.ClinicID]NotifySettings, error) {
	out := map[clinic.ClinicID]NotifySettings{}
	if len(clinics) == 0 {
		return out, nil
	}
	ss, err := collect(ctx, tx, func(r row) (NotifySettings, error) {
		var s NotifySettings
		err := r.Scan(&s.ClinicID, &s.Channels, &s.ReminderOffsets, &s.GraceSeconds, &s.QuietFrom, &s.QuietTo, &s.SMSBudget, &s.RemindConfirmed, &s.AskReply, &s.UpdatedAt)
		return s, err
	}, `SELECT clinic_id, channels, reminder_offsets, grace_seconds, quiet_from, quiet_to, sms_budget, remind_confirmed, ask_reply, updated_at
		FROM notify_settings WHERE organisation_id = $1 AND clinic_id IN (`+idList(clinics)+`)`, org)
	if err != nil {
		return nil, fmt.Errorf("notification settings: %w", err)
	}
	for _, s := range ss {
		out[s.ClinicID] = s
	}
	return out, nil
}

// PutNotifySettings stores a clinic's settings, replacing the previous ones.
//
// Errors: clinic.ErrNotFound for a clinic of another organisation.
func (tx Notifications) PutNotifySettings(ctx context.Context, org clinic.OrgID, s NotifySettings) error {
	_, err := tx.q.exec(ctx, `INSERT INTO notify_settings (organisation_id, clinic_id, channels, reminder_offsets, grace_seconds, quiet_from, quiet_to,
		sms_budget, remind_confirmed, ask_reply, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (organisation_id, clinic_id) DO UPDATE SET channels = excluded.channels, reminder_offsets = excluded.reminder_offsets,
		grace_seconds = excluded.grace_seconds, quiet_from = excluded.quiet_from, quiet_to = excluded.quiet_to, sms_budget = excluded.sms_budget,
		remind_confirmed = excluded.remind_confirmed, ask_reply = excluded.ask_reply, updated_at = excluded.updated_at`,
		org, s.ClinicID, s.Channels, s.ReminderOffsets, s.GraceSeconds, s.QuietFrom, s.QuietTo, s.SMSBudget, s.RemindConfirmed, s.AskReply, tx.Now)
	if err != nil {
		return fmt.Errorf("store notification settings of clinic %d: %w", s.ClinicID, err)
	}
	return nil
}

// SetClinicPhone sets the phone number a clinic gives in answers to HELP.
//
// Errors: clinic.ErrNotFound.
func (tx Notifications) SetClinicPhone(ctx context.Context, org clinic.OrgID, id clinic.ClinicID, phone string) error {
	return one(tx.q.exec(ctx, `UPDATE clinics SET phone = $3, updated_at = $4 WHERE organisation_id = $1 AND id = $2`, org, id, phone, tx.Now))
}

// ClinicPhone reads a clinic's phone number.
//
// Errors: clinic.ErrNotFound.
func (tx Notifications) ClinicPhone(ctx context.Context, org clinic.OrgID, id clinic.ClinicID) (string, error) {
	var p string
	err := tx.q.queryRow(ctx, `SELECT phone FROM clinics WHERE organisation_id = $1 AND id = $2`, org, id).Scan(&p)
	return p, err
}

// SMSAccount is a Twilio-compatible account an organisation or a clinic sends SMS with.
type SMSAccount struct {
	ID         int64
	OrgID      clinic.OrgID
	ClinicID   clinic.ClinicID // 0: the organisation's
	Priority   int             // 0 primary, 1 failover
	BaseURL    string
	AccountSID string
	AuthToken  string
	Sender     string
	UpdatedAt  time.Time
}

const smsAccountCols = `id, organisation_id, clinic_id, priority, base_url, account_sid, auth_token, sender, updated_at`

func scanSMSAccount(r row) (SMSAccount, error) {
	var a SMSAccount
	var cl *int64
	err := r.Scan(&a.ID, &a.OrgID, &cl, &a.Priority, &a.BaseURL, &a.AccountSID, &a.AuthToken, &a.Sender, &a.UpdatedAt)
	if cl != nil {
		a.ClinicID = clinic.ClinicID(*cl)
	}
	return a, err
}

// PutSMSAccount stores an account, replacing the one of the same scope and priority.
//
// Errors: none of its own.
func (tx Notifications) PutSMSAccount(ctx context.Context, org clinic.OrgID, a SMSAccount) (SMSAccount, error) {
	_, err := tx.q.exec(ctx, `DELETE FROM sms_accounts WHERE organisation_id = $1 AND COALESCE(clinic_id, 0) = $2 AND priority = $3`, org, int64(a.ClinicID), a.Priority)
	if err != nil {
		return a, fmt.Errorf("store SMS account: %w", err)
	}
	a, err = scanSMSAccount(tx.q.queryRow(ctx, `INSERT INTO sms_accounts (organisation_id, clinic_id, priority, base_url, account_sid, auth_token, sender, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING `+smsAccountCols, org, zeroNil(int64(a.ClinicID)), a.Priority, a.BaseURL, a.AccountSID, a.AuthToken, a.Sender, tx.Now))
	if err != nil {
		return a, fmt.Errorf("store SMS account: %w", err)
	}
	return a, nil
}

// DeleteSMSAccount removes an account.
//
// Errors: clinic.ErrNotFound.
func (tx Notifications) DeleteSMSAccount(ctx context.Context, org clinic.OrgID, id int64) error {
	return one(tx.q.exec(ctx, `DELETE FROM sms_accounts WHERE organisation_id = $1 AND id = $2`, org, id))
}

// SMSAccounts lists every organisation's SMS accounts (the dispatcher builds its clients
// from them), or one organisation's when org is not 0.
//
// Errors: none of its own.
func (tx Notifications) SMSAccounts(ctx context.Context, org clinic.OrgID) ([]SMSAccount, error) {
	return collect(ctx, tx, scanSMSAccount, `SELECT `+smsAccountCols+` FROM sms_accounts WHERE (CAST($1 AS BIGINT) = 0 OR organisation_id = $1)
		ORDER BY organisation_id, COALESCE(clinic_id, 0), priority`, int64(org))
}

// SMSAccountsBySender finds the accounts whose sender number is to (an inbound SMS names
// the number it was sent to, and its account).
//
// Errors: none of its own.
func (tx Notifications) SMSAccountsBySender(ctx context.Context, to string) ([]SMSAccount, error) {
	return collect(ctx, tx, scanSMSAccount, `SELECT `+smsAccountCols+` FROM sms_accounts WHERE sender = $1 ORDER BY id`, to)
}

// Template is a clinic's own text for one kind x channel x language (NOT-2).
type Template struct {
	ClinicID  clinic.ClinicID
	Kind      string
	Channel   string
	Lang      string
	Subject   string
	Body      string
	UpdatedBy string
	UpdatedAt time.Time
}

// Templates lists the edited templates of clinics, in one statement.
//
// Errors: none of its own.
func (tx Notifications) Templates(ctx context.Context, org clinic.OrgID, clinics []clinic.ClinicID) ([]Template, error) {
	if len(clinics) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, func(r row) (Template, error) {
		var t Template
		err := r.Scan(&t.ClinicID, &t.Kind, &t.Channel, &t.Lang, &t.Subject, &t.Body, &t.UpdatedBy, &t.UpdatedAt)
		return t, err
	}, `SELECT clinic_id, kind, channel, lang, subject, body, updated_by, updated_at FROM message_templates
		WHERE organisation_id = $1 AND clinic_id IN (`+idList(clinics)+`) ORDER BY clinic_id, kind, channel, lang`, org)
}

// PutTemplate stores a clinic's text, replacing the previous one.
//
// Errors: clinic.ErrNotFound for a clinic of another organisation.
func (tx Notifications) PutTemplate(ctx context.Context, org clinic.OrgID, t Template) error {
	_, err := tx.q.exec(ctx, `INSERT INTO message_templates (organisation_id, clinic_id, kind, channel, lang, subject, body, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (organisation_id, clinic_id, kind, channel, lang)
		DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		org, t.ClinicID, t.Kind, t.Channel, t.Lang, t.Subject, t.Body, t.UpdatedBy, tx.Now)
	if err != nil {
		return fmt.Errorf("store template: %w", err)
	}
	return nil
}

// DeleteTemplate removes a clinic's text, so the shipped default applies again.
//
// Errors: none of its own (deleting a default is a no-op).
func (tx Notifications) DeleteTemplate(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, kind, channel, lang string) error {
	_, err := tx.q.exec(ctx, `DELETE FROM message_templates WHERE organisation_id = $1 AND clinic_id = $2 AND kind = $3 AND channel = $4 AND lang = $5`,
		org, cl, kind, channel, lang)
	return err
}

// InboxMessage is an inbound SMS for staff to read (NOT-10).
type InboxMessage struct {
	ID             int64
	ClinicID       clinic.ClinicID
	PatientID      clinic.PatientID
	AppointmentID  clinic.AppointmentID
	NotificationID int64
	ProviderID     string
	From           string
	Body           string
	Why            string // why it reached staff: no keyword, ambiguous, nothing to confirm
	ReceivedAt     time.Time
	ReadAt         time.Time
}

// AddInbox stores an inbound message; the same provider message id twice (a webhook
// retried) is stored once, and ok reports whether this call stored it. A message with
// ReadAt set (one the inbound use case handled itself) is stored read.
//
// Errors: none of its own.
func (tx Notifications) AddInbox(ctx context.Context, org clinic.OrgID, m InboxMessage) (ok bool, err error) {
	n, err := tx.q.exec(ctx, `INSERT INTO sms_inbox (organisation_id, clinic_id, patient_id, appointment_id, notification_id, provider_id, from_number, body, why, received_at, read_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (organisation_id, provider_id) DO NOTHING`,
		org, zeroNil(int64(m.ClinicID)), zeroNil(int64(m.PatientID)), zeroNil(int64(m.AppointmentID)), zeroNil(m.NotificationID), m.ProviderID, m.From, m.Body, m.Why, tx.Now,
		timeNil(m.ReadAt))
	if err != nil {
		return false, fmt.Errorf("store inbound SMS: %w", err)
	}
	return n > 0, nil
}

// Inbox lists org's inbound messages, newest first, for a clinic (0: all).
//
// Errors: none of its own.
func (tx Notifications) Inbox(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, p Page) ([]InboxMessage, error) {
	before := p.After
	if before <= 0 {
		before = 1<<63 - 1
	}
	limit := p.Size()
	return collect(ctx, tx, func(r row) (InboxMessage, error) {
		var m InboxMessage
		var cl, pid, aid, nid *int64
		var read *time.Time
		err := r.Scan(&m.ID, &cl, &pid, &aid, &nid, &m.ProviderID, &m.From, &m.Body, &m.Why, &m.ReceivedAt, &read)
		if cl != nil {
			m.ClinicID = clinic.ClinicID(*cl)
		}
		if pid != nil {
			m.PatientID = clinic.PatientID(*pid)
		}
		if aid != nil {
			m.AppointmentID = clinic.AppointmentID(*aid)
		}
		if nid != nil {
			m.NotificationID = *nid
		}
		if read != nil {
			m.ReadAt = read.UTC()
		}
		m.ReceivedAt = m.ReceivedAt.UTC()
		return m, err
	}, `SELECT id, clinic_id, patient_id, appointment_id, notification_id, provider_id, from_number, body, why, received_at, read_at FROM sms_inbox
		WHERE organisation_id = $1 AND (CAST($2 AS BIGINT) = 0 OR clinic_id = $2 OR clinic_id IS NULL) AND id < $3 ORDER BY id DESC LIMIT $4`, org, int64(cl), before, limit)
}

// UnreadInbox counts unread inbound messages for a clinic (0: all), for the navigation.
//
// Errors: none of its own.
func (tx Notifications) UnreadInbox(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID) (int, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM sms_inbox WHERE organisation_id = $1 AND read_at IS NULL
		AND (CAST($2 AS BIGINT) = 0 OR clinic_id = $2 OR clinic_id IS NULL)`, org, int64(cl)).Scan(&n)
	return n, err
}

// MarkInboxRead marks inbound messages read.
//
// Errors: none of its own.
func (tx Notifications) MarkInboxRead(ctx context.Context, org clinic.OrgID, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.q.exec(ctx, `UPDATE sms_inbox SET read_at = $2 WHERE organisation_id = $1 AND read_at IS NULL AND id IN (`+idList(ids)+`)`, org, tx.Now)
	return err
}

// PushSubscription is a browser's Web Push subscription for a patient.
type PushSubscription struct {
	ID        int64
	PatientID clinic.PatientID
	Endpoint  string
	P256dh    string
	Auth      string
	CreatedAt time.Time
}

// PutPushSubscription stores a subscription (the same endpoint again replaces its keys and
// patient).
//
// Errors: clinic.ErrNotFound for a patient of another organisation.
func (tx Notifications) PutPushSubscription(ctx context.Context, org clinic.OrgID, s PushSubscription) (PushSubscription, error) {
	err := tx.q.queryRow(ctx, `INSERT INTO push_subscriptions (organisation_id, patient_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (organisation_id, endpoint) DO UPDATE SET patient_id = excluded.patient_id, p256dh = excluded.p256dh, auth = excluded.auth
		RETURNING id`, org, s.PatientID, s.Endpoint, s.P256dh, s.Auth, tx.Now).Scan(&s.ID)
	if err != nil {
		return s, fmt.Errorf("store push subscription: %w", err)
	}
	s.CreatedAt = tx.Now
	return s, nil
}

// PushSubscriptions lists the subscriptions of patients, in one statement.
//
// Errors: none of its own.
func (tx Notifications) PushSubscriptions(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID) ([]PushSubscription, error) {
	if len(patients) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, func(r row) (PushSubscription, error) {
		var s PushSubscription
		err := r.Scan(&s.ID, &s.PatientID, &s.Endpoint, &s.P256dh, &s.Auth, &s.CreatedAt)
		return s, err
	}, `SELECT id, patient_id, endpoint, p256dh, auth, created_at FROM push_subscriptions WHERE organisation_id = $1
		AND patient_id IN (`+idList(patients)+`) ORDER BY id`, org)
}

// DeletePushSubscription removes a subscription the push service said is gone.
//
// Errors: none of its own (already gone is fine).
func (tx Notifications) DeletePushSubscription(ctx context.Context, org clinic.OrgID, endpoint string) error {
	_, err := tx.q.exec(ctx, `DELETE FROM push_subscriptions WHERE organisation_id = $1 AND endpoint = $2`, org, endpoint)
	return err
}

// FlagEmailBounce flags the patients with address email as bouncing (NOT-6): later e-mails
// skip the address until it is changed. It returns the patients flagged.
//
// Errors: none of its own.
func (tx Notifications) FlagEmailBounce(ctx context.Context, org clinic.OrgID, email, why string) ([]clinic.PatientID, error) {
	ids, err := collect(ctx, tx, func(r row) (clinic.PatientID, error) {
		var id clinic.PatientID
		return id, r.Scan(&id)
	}, `UPDATE patients SET email_bounced_at = $3, email_bounce = $4 WHERE organisation_id = $1 AND LOWER(email) = LOWER($2) RETURNING id`, org, email, tx.Now, why)
	if err != nil && !errors.Is(err, clinic.ErrNotFound) {
		return nil, fmt.Errorf("flag bouncing address: %w", err)
	}
	return ids, nil
}

// PatientsByMobile lists org's patients whose mobile is number (a parent and a child may
// share one), for inbound SMS; a record merged into another is not one of them.
//
// Errors: none of its own.
func (tx Notifications) PatientsByMobile(ctx context.Context, org clinic.OrgID, number string) ([]clinic.PatientID, error) {
	return collect(ctx, tx, func(r row) (clinic.PatientID, error) {
		var id clinic.PatientID
		return id, r.Scan(&id)
	}, `SELECT id FROM patients WHERE organisation_id = $1 AND mobile = $2 AND merged_into IS NULL ORDER BY id`, org, number)
}
