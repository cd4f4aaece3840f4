package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Portal queries the patient portal: each clinic's portal settings, patients' accounts,
// their invitation and reset tokens and their sessions.
type Portal struct{ *Tx }

// Portal returns the portal queries of tx.
func (tx *Tx) Portal() Portal { return Portal{tx} }

// PortalSettings are a clinic's portal settings (POR-1, POR-3, POR-5).
type PortalSettings struct {
	ClinicID clinic.ClinicID
	OrgID    clinic.OrgID
	// Slug is the portal's address, /p/{slug}, unique across the installation.
	Slug          string
	Enabled       bool
	OnlineBooking bool
	// LateFeeCents and LateFeeWindow record the clinic's late-cancellation fee; zero: none.
	LateFeeCents  int64
	LateFeeWindow time.Duration
	// StaffAlert: staff who book see, on every dashboard page, how many appointments were
	// booked in the portal since they last opened the list of them (online.go).
	StaffAlert   bool
	ButtonSize   string
	ButtonColour string
	// WaitlistWave is how many waiting patients each wave of a freed time is offered to,
	// WaitlistHoldMinutes how long each wave has to claim it (POR-9).
	WaitlistWave        int
	WaitlistHoldMinutes int
	UpdatedAt           time.Time
}

const portalSettingsCols = `clinic_id, organisation_id, slug, enabled, online_booking, late_fee_cents, late_fee_minutes, staff_alert, button_size, button_colour, waitlist_wave, waitlist_hold_minutes, updated_at`

func scanPortalSettings(r row) (PortalSettings, error) {
	var s PortalSettings
	var mins int64
	err := r.Scan(&s.ClinicID, &s.OrgID, &s.Slug, &s.Enabled, &s.OnlineBooking, &s.LateFeeCents, &mins, &s.StaffAlert, &s.ButtonSize, &s.ButtonColour, &s.WaitlistWave, &s.WaitlistHoldMinutes, &s.UpdatedAt)
	s.LateFeeWindow = time.Duration(mins) * time.Minute
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, err
}

// PortalSettingsOf reads clinic id's portal settings; ok is false when the clinic has never
// had them saved (its portal is off).
//
// Errors: none of its own.
func (tx Portal) PortalSettingsOf(ctx context.Context, org clinic.OrgID, id clinic.ClinicID) (PortalSettings, bool, error) {
	s, err := scanPortalSettings(tx.q.queryRow(ctx, `SELECT `+portalSettingsCols+` FROM portal_settings WHERE organisation_id = $1 AND clinic_id = $2`, org, id))
	if errors.Is(err, clinic.ErrNotFound) {
		return PortalSettings{}, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("portal settings of clinic %d: %w", id, err)
	}
	return s, true, nil
}

// PortalBySlug finds the portal at /p/{slug}, whether on or off.
//
// Errors: clinic.ErrNotFound.
func (tx Portal) PortalBySlug(ctx context.Context, slug string) (PortalSettings, error) {
	s, err := scanPortalSettings(tx.q.queryRow(ctx, `SELECT `+portalSettingsCols+` FROM portal_settings WHERE slug = $1`, slug))
	if err != nil {
		return s, fmt.Errorf("portal: %w", err)
	}
	return s, nil
}

// PortalSlugTaken reports whether another clinic's portal (of any organisation) has slug.
//
// Errors: none of its own.
func (tx Portal) PortalSlugTaken(ctx context.Context, slug string, except clinic.ClinicID) (bool, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM portal_settings WHERE slug = $1 AND clinic_id <> $2`, slug, except).Scan(&n)
	return n > 0, err
}

// SavePortalSettings writes a clinic's portal settings.
//
// Errors: clinic.ErrConflict when another portal has the slug; clinic.ErrNotFound when the
// clinic is not org's; clinic.ErrInvalid when a value is out of the schema's bounds.
func (tx Portal) SavePortalSettings(ctx context.Context, s PortalSettings) error {
	_, err := tx.q.exec(ctx, `INSERT INTO portal_settings (`+portalSettingsCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (clinic_id) DO UPDATE SET slug = excluded.slug, enabled = excluded.enabled, online_booking = excluded.online_booking,
			late_fee_cents = excluded.late_fee_cents, late_fee_minutes = excluded.late_fee_minutes, staff_alert = excluded.staff_alert,
			button_size = excluded.button_size, button_colour = excluded.button_colour, waitlist_wave = excluded.waitlist_wave,
			waitlist_hold_minutes = excluded.waitlist_hold_minutes, updated_at = excluded.updated_at`,
		s.ClinicID, s.OrgID, s.Slug, s.Enabled, s.OnlineBooking, s.LateFeeCents, int64(s.LateFeeWindow/time.Minute), s.StaffAlert,
		s.ButtonSize, s.ButtonColour, cmp.Or(s.WaitlistWave, 3), cmp.Or(s.WaitlistHoldMinutes, 30), tx.Now)
	if err != nil {
		return fmt.Errorf("save portal settings of clinic %d: %w", s.ClinicID, err)
	}
	return nil
}

// PortalAccount is one person's sign-in to the portals of an organisation (POR-6).
type PortalAccount struct {
	ID           int64
	OrgID        clinic.OrgID
	Email        string // lower-case
	PasswordHash string // empty until the invitation is accepted
	Locale       string
	CreatedAt    time.Time
	ActivatedAt  *time.Time // the first password
	PasswordAt   *time.Time // the last password change
}

// Active reports whether the account can sign in: its password is set.
func (a PortalAccount) Active() bool { return a.PasswordHash != "" }

const portalAccountCols = `id, organisation_id, email, password_hash, locale, created_at, activated_at, password_at`

func scanPortalAccount(r row) (PortalAccount, error) {
	var a PortalAccount
	return a, scanPortalAccountInto(r, &a)
}

func scanPortalAccountInto(r row, a *PortalAccount, leading ...any) error {
	err := r.Scan(append(leading, &a.ID, &a.OrgID, &a.Email, &a.PasswordHash, &a.Locale, &a.CreatedAt, &a.ActivatedAt, &a.PasswordAt)...)
	a.CreatedAt = a.CreatedAt.UTC()
	return err
}

// PortalAccountByEmail finds org's account of email (lower-case).
//
// Errors: clinic.ErrNotFound.
func (tx Portal) PortalAccountByEmail(ctx context.Context, org clinic.OrgID, email string) (PortalAccount, error) {
	a, err := scanPortalAccount(tx.q.queryRow(ctx, `SELECT `+portalAccountCols+` FROM portal_accounts WHERE organisation_id = $1 AND email = $2`, org, email))
	if err != nil {
		return a, fmt.Errorf("portal account: %w", err)
	}
	return a, nil
}

// PortalAccount reads account id of org.
//
// Errors: clinic.ErrNotFound.
func (tx Portal) PortalAccount(ctx context.Context, org clinic.OrgID, id int64) (PortalAccount, error) {
	a, err := scanPortalAccount(tx.q.queryRow(ctx, `SELECT `+portalAccountCols+` FROM portal_accounts WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return a, fmt.Errorf("portal account %d: %w", id, err)
	}
	return a, nil
}

// CreatePortalAccount adds an account for email (lower-case), without a password.
//
// Errors: clinic.ErrConflict when org has an account of that address.
func (tx Portal) CreatePortalAccount(ctx context.Context, org clinic.OrgID, email string) (PortalAccount, error) {
	a := PortalAccount{OrgID: org, Email: email, CreatedAt: tx.Now}
	err := tx.q.queryRow(ctx, `INSERT INTO portal_accounts (organisation_id, email, created_at) VALUES ($1, $2, $3) RETURNING id`, org, email, tx.Now).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("create portal account: %w", err)
	}
	return a, nil
}

// LinkPortalPatient records that patient record p is the account's person's. A record
// already linked stays with its account.
//
// Errors: clinic.ErrNotFound when the account or the record is not org's.
func (tx Portal) LinkPortalPatient(ctx context.Context, org clinic.OrgID, account int64, p clinic.PatientID) error {
	_, err := tx.q.exec(ctx, `INSERT INTO portal_account_patients (patient_id, organisation_id, account_id) VALUES ($1, $2, $3)
		ON CONFLICT (patient_id) DO NOTHING`, p, org, account)
	if err != nil {
		return fmt.Errorf("link patient %d to portal account %d: %w", p, account, err)
	}
	return nil
}

// PortalPatients lists the records of the account's person that are not merged away.
//
// Errors: none of its own.
func (tx Portal) PortalPatients(ctx context.Context, org clinic.OrgID, account int64) ([]clinic.Patient, error) {
	// "+l.organisation_id" keeps SQLite's planner, which has no statistics, from walking
	// every patient of the organisation (an index that leads with it) and probing each
	// one's link, rather than reading the account's links by portal_account_patients_account
	// (a no-op elsewhere): this runs on every portal request.
	return collect(ctx, tx, scanPatient, `SELECT `+patientColsOf("p")+` FROM portal_account_patients l
		JOIN patients p ON p.organisation_id = l.organisation_id AND p.id = l.patient_id
		WHERE +l.organisation_id = $1 AND l.account_id = $2 AND p.merged_into IS NULL ORDER BY p.id`, org, account)
}

// PortalAccountOf finds the account that patient record p belongs to.
//
// Errors: clinic.ErrNotFound when it belongs to none.
func (tx Portal) PortalAccountOf(ctx context.Context, org clinic.OrgID, p clinic.PatientID) (PortalAccount, error) {
	a, err := scanPortalAccount(tx.q.queryRow(ctx, `SELECT `+qualifiedCols("a", portalAccountCols)+` FROM portal_account_patients l
		JOIN portal_accounts a ON a.organisation_id = l.organisation_id AND a.id = l.account_id
		WHERE l.organisation_id = $1 AND l.patient_id = $2`, org, p))
	if err != nil {
		return a, fmt.Errorf("portal account of patient %d: %w", p, err)
	}
	return a, nil
}

// SetPortalPassword sets the account's password hash, and ends what the old password or an
// earlier link opened: every token and every session of the account.
//
// Errors: clinic.ErrNotFound.
func (tx Portal) SetPortalPassword(ctx context.Context, org clinic.OrgID, id int64, hash string) error {
	err := one(tx.q.exec(ctx, `UPDATE portal_accounts SET password_hash = $3, password_at = $4, activated_at = COALESCE(activated_at, $4)
		WHERE organisation_id = $1 AND id = $2`, org, id, hash, tx.Now))
	if err != nil {
		return fmt.Errorf("set password of portal account %d: %w", id, err)
	}
	if _, err := tx.q.exec(ctx, `DELETE FROM portal_tokens WHERE organisation_id = $1 AND account_id = $2`, org, id); err != nil {
		return fmt.Errorf("end tokens of portal account %d: %w", id, err)
	}
	if _, err := tx.q.exec(ctx, `DELETE FROM portal_sessions WHERE organisation_id = $1 AND account_id = $2`, org, id); err != nil {
		return fmt.Errorf("end sessions of portal account %d: %w", id, err)
	}
	return nil
}

// RehashPortalPassword stores the same password hashed with today's parameters (at a
// sign-in), ending nothing.
//
// Errors: none of its own.
func (tx Portal) RehashPortalPassword(ctx context.Context, org clinic.OrgID, id int64, hash string) error {
	_, err := tx.q.exec(ctx, `UPDATE portal_accounts SET password_hash = $3 WHERE organisation_id = $1 AND id = $2`, org, id, hash)
	return err
}

// PendingInvites lists the patients of org with an invitation e-mail not sent yet.
//
// Errors: none of its own.
func (tx Portal) PendingInvites(ctx context.Context, org clinic.OrgID) ([]clinic.PatientID, error) {
	return collect(ctx, tx, func(r row) (clinic.PatientID, error) {
		var id clinic.PatientID
		return id, r.Scan(&id)
	}, `SELECT patient_id FROM notifications WHERE organisation_id = $1 AND kind = 'invite' AND state IN ('planned','sending') AND patient_id IS NOT NULL`, org)
}

// SetPortalLocale records the language the patient chose ("" follows the browser).
//
// Errors: none of its own.
func (tx Portal) SetPortalLocale(ctx context.Context, org clinic.OrgID, id int64, locale string) error {
	_, err := tx.q.exec(ctx, `UPDATE portal_accounts SET locale = $3 WHERE organisation_id = $1 AND id = $2`, org, id, locale)
	return err
}

// The purposes of a portal token.
const (
	TokenInvite = "invite"
	TokenReset  = "reset"
)

// PortalToken is an invitation or reset link; only its hash is stored.
type PortalToken struct {
	ID             int64
	OrgID          clinic.OrgID
	AccountID      int64
	Purpose        string
	Hash           []byte
	NotificationID int64
	CreatedAt      time.Time
	ExpiresAt      time.Time
	UsedAt         *time.Time
}

// CreatePortalToken stores a token minted for the e-mail of t.NotificationID, replacing an
// unused token minted for the same e-mail earlier (a send tried again mints afresh).
//
// Errors: clinic.ErrNotFound when the account is not org's.
func (tx Portal) CreatePortalToken(ctx context.Context, t PortalToken) (PortalToken, error) {
	if t.NotificationID != 0 {
		if _, err := tx.q.exec(ctx, `DELETE FROM portal_tokens WHERE organisation_id = $1 AND notification_id = $2 AND used_at IS NULL`,
			t.OrgID, t.NotificationID); err != nil {
			return t, fmt.Errorf("replace portal token: %w", err)
		}
	}
	var nid *int64
	if t.NotificationID != 0 {
		nid = &t.NotificationID
	}
	t.CreatedAt = tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO portal_tokens (organisation_id, account_id, purpose, token_hash, notification_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, t.OrgID, t.AccountID, t.Purpose, t.Hash, nid, tx.Now, t.ExpiresAt.UTC()).Scan(&t.ID)
	if err != nil {
		return t, fmt.Errorf("create portal token: %w", err)
	}
	return t, nil
}

// PortalTokenByHash finds a token by its hash, used or not, expired or not (the caller says
// which it is).
//
// Errors: clinic.ErrNotFound.
func (tx Portal) PortalTokenByHash(ctx context.Context, hash []byte) (PortalToken, error) {
	var t PortalToken
	var nid *int64
	err := tx.q.queryRow(ctx, `SELECT id, organisation_id, account_id, purpose, notification_id, created_at, expires_at, used_at
		FROM portal_tokens WHERE token_hash = $1`, hash).Scan(&t.ID, &t.OrgID, &t.AccountID, &t.Purpose, &nid, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt)
	if err != nil {
		return t, fmt.Errorf("portal token: %w", err)
	}
	if nid != nil {
		t.NotificationID = *nid
	}
	t.Hash, t.CreatedAt, t.ExpiresAt = hash, t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	return t, nil
}

// UsePortalToken marks token id used, if it is still unused and unexpired: of two requests
// with one token, one wins.
//
// Errors: clinic.ErrNotFound when it is used, expired or gone.
func (tx Portal) UsePortalToken(ctx context.Context, id int64) error {
	err := one(tx.q.exec(ctx, `UPDATE portal_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2`, id, tx.Now))
	if err != nil {
		return fmt.Errorf("use portal token %d: %w", id, err)
	}
	return nil
}

// PortalSession is a signed-in patient's browser.
type PortalSession struct {
	ID         int64
	OrgID      clinic.OrgID
	AccountID  int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreatePortalSession stores a session of account by its token's hash.
//
// Errors: clinic.ErrNotFound when the account is not org's.
func (tx Portal) CreatePortalSession(ctx context.Context, org clinic.OrgID, account int64, hash []byte, expires time.Time) (PortalSession, error) {
	s := PortalSession{OrgID: org, AccountID: account, CreatedAt: tx.Now, LastSeenAt: tx.Now, ExpiresAt: expires.UTC()}
	err := tx.q.queryRow(ctx, `INSERT INTO portal_sessions (token_hash, organisation_id, account_id, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $4, $5) RETURNING id`, hash, org, account, tx.Now, s.ExpiresAt).Scan(&s.ID)
	if err != nil {
		return s, fmt.Errorf("create portal session: %w", err)
	}
	return s, nil
}

// PortalSessionByToken finds an unexpired session and its account by the token's hash.
//
// Errors: clinic.ErrNotFound.
func (tx Portal) PortalSessionByToken(ctx context.Context, hash []byte) (PortalSession, PortalAccount, error) {
	var s PortalSession
	var a PortalAccount
	err := scanPortalAccountInto(tx.q.queryRow(ctx, `SELECT s.id, s.organisation_id, s.account_id, s.created_at, s.last_seen_at, s.expires_at, `+
		qualifiedCols("a", portalAccountCols)+` FROM portal_sessions s JOIN portal_accounts a ON a.organisation_id = s.organisation_id AND a.id = s.account_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, hash, tx.Now), &a, &s.ID, &s.OrgID, &s.AccountID, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
	if err != nil {
		return s, a, fmt.Errorf("portal session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return s, a, nil
}

// TouchPortalSession records activity, which pushes back the idle timeout.
//
// Errors: none of its own.
func (tx Portal) TouchPortalSession(ctx context.Context, id int64) error {
	_, err := tx.q.exec(ctx, `UPDATE portal_sessions SET last_seen_at = $2 WHERE id = $1`, id, tx.Now)
	return err
}

// DeletePortalSession signs a session out.
//
// Errors: none of its own.
func (tx Portal) DeletePortalSession(ctx context.Context, id int64) error {
	_, err := tx.q.exec(ctx, `DELETE FROM portal_sessions WHERE id = $1`, id)
	return err
}

// DeleteExpiredPortalSessions removes sessions past their expiry or idle since before
// idleBefore, and expired tokens, and reports how many sessions went.
//
// Errors: none of its own.
func (tx Portal) DeleteExpiredPortalSessions(ctx context.Context, idleBefore time.Time) (int64, error) {
	if _, err := tx.q.exec(ctx, `DELETE FROM portal_tokens WHERE expires_at <= $1`, tx.Now.Add(-24*time.Hour)); err != nil {
		return 0, err
	}
	return tx.q.exec(ctx, `DELETE FROM portal_sessions WHERE expires_at <= $1 OR last_seen_at < $2`, tx.Now, idleBefore.UTC())
}

// EmailRecord is a patient record with an e-mail address, as the duplicate-e-mail report
// and the invitations read it (POR-6, POR-7).
type EmailRecord struct {
	PatientID  clinic.PatientID
	DatabaseID clinic.DatabaseID
	GivenName  string
	FamilyName string
	BirthDate  string
	Email      string // as recorded
	AccountID  int64  // the account it belongs to; 0: none
	Active     bool   // that account has a password
	// Managers are the records that manage this one (a parent or guardian recorded as its
	// relative).
	Managers []clinic.PatientID
}

// EmailRecords lists org's unmerged patient records that have an e-mail address, with their
// accounts and the records that manage them, ordered by id.
//
// Errors: none of its own.
func (tx Portal) EmailRecords(ctx context.Context, org clinic.OrgID) ([]EmailRecord, error) {
	rs, err := collect(ctx, tx, func(r row) (EmailRecord, error) {
		var e EmailRecord
		var birth *string
		var acct *int64
		var hash *string
		err := r.Scan(&e.PatientID, &e.DatabaseID, &e.GivenName, &e.FamilyName, &birth, &e.Email, &acct, &hash)
		if birth != nil {
			e.BirthDate = *birth
		}
		if acct != nil {
			e.AccountID = *acct
		}
		e.Active = hash != nil && *hash != ""
		return e, err
	}, `SELECT p.id, p.database_id, p.given_name, p.family_name, p.birth_date, p.email, l.account_id, a.password_hash
		FROM patients p
		LEFT JOIN portal_account_patients l ON l.organisation_id = p.organisation_id AND l.patient_id = p.id
		LEFT JOIN portal_accounts a ON a.organisation_id = l.organisation_id AND a.id = l.account_id
		WHERE p.organisation_id = $1 AND p.merged_into IS NULL AND p.email <> '' ORDER BY p.id`, org)
	if err != nil {
		return nil, fmt.Errorf("patients with e-mail: %w", err)
	}
	idx := make(map[clinic.PatientID]int, len(rs))
	for i, r := range rs {
		idx[r.PatientID] = i
	}
	type link struct{ managed, manager clinic.PatientID }
	links, err := collect(ctx, tx, func(r row) (link, error) {
		var l link
		return l, r.Scan(&l.managed, &l.manager)
	}, `SELECT r.patient_id, r.relative_id FROM patient_relatives r JOIN patients p ON p.organisation_id = r.organisation_id AND p.id = r.patient_id
		WHERE r.organisation_id = $1 AND (r.relationship = 'guardian' OR r.relationship = 'parent' AND p.birth_date > $2)`, org, adultBorn(tx.Now))
	if err != nil {
		return nil, fmt.Errorf("managed relatives: %w", err)
	}
	for _, l := range links {
		if i, ok := idx[l.managed]; ok {
			rs[i].Managers = append(rs[i].Managers, l.manager)
		}
	}
	return rs, nil
}

// adultBorn is the birth date (YYYY-MM-DD) from which on, as of now, a patient is a
// minor: born after it.
func adultBorn(now time.Time) string { return now.AddDate(-18, 0, 0).Format(time.DateOnly) }

// PatientsByEmail lists the unmerged records of database db whose address is one of emails
// (as stored: checked, with a lower-case domain), oldest first.
//
// Errors: none of its own.
func (tx Patients) PatientsByEmail(ctx context.Context, org clinic.OrgID, db clinic.DatabaseID, emails ...string) ([]clinic.Patient, error) {
	if len(emails) == 0 {
		return nil, nil
	}
	args := []any{org, db}
	ph := make([]string, len(emails))
	for i, e := range emails {
		args = append(args, e)
		ph[i] = fmt.Sprintf("$%d", i+3)
	}
	return collect(ctx, tx, scanPatient, `SELECT `+patientCols+` FROM patients WHERE organisation_id = $1 AND email IN (`+strings.Join(ph, ", ")+`)
		AND database_id = $2 AND merged_into IS NULL ORDER BY id`, args...)
}

// ManagedRelatives lists the records that record p manages, not merged away: those it is
// recorded as guardian of, and those it is parent of while they are minors (under 18 by
// their birth date; a child whose birth date is unknown is not managed). An adult child
// has their own say.
//
// Errors: none of its own.
func (tx Portal) ManagedRelatives(ctx context.Context, org clinic.OrgID, p clinic.PatientID) ([]clinic.Patient, error) {
	return collect(ctx, tx, scanPatient, `SELECT `+patientColsOf("p")+` FROM patient_relatives r
		JOIN patients p ON p.organisation_id = r.organisation_id AND p.id = r.patient_id
		WHERE r.organisation_id = $1 AND r.relative_id = $2 AND (r.relationship = 'guardian' OR r.relationship = 'parent' AND p.birth_date > $3)
		AND p.merged_into IS NULL ORDER BY p.given_name, p.id`, org, p, adultBorn(tx.Now))
}

// SeenAt reports whether patient p has had an appointment at clinic cl that took place
// (arrived or seen): an "existing patient" for the reasons bookable by them only.
//
// Errors: none of its own.
func (tx Portal) SeenAt(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, p clinic.PatientID) (bool, error) {
	var n int
	// "+clinic_id" keeps SQLite's planner, which has no statistics, on the patient's index
	// rather than walking every appointment of the clinic (a no-op elsewhere).
	err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM appointments WHERE organisation_id = $1 AND +clinic_id = $2 AND patient_id = $3
		AND status IN ('arrived','seen') LIMIT 1) x`, org, cl, p).Scan(&n)
	return n > 0, err
}

// UpcomingAt lists the active appointments of patients at clinic cl that end after from,
// soonest first: a patient's home page in the portal.
//
// Errors: none of its own.
func (tx Portal) UpcomingAt(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, patients []clinic.PatientID, from time.Time) ([]clinic.Appointment, error) {
	if len(patients) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, scanAppointment, `SELECT `+appointmentCols+` FROM appointments WHERE organisation_id = $1 AND clinic_id = $2
		AND patient_id IN (`+idList(patients)+`) AND ends_at > $3 AND status IN `+activeStatuses()+` ORDER BY starts_at, id LIMIT 50`, org, cl, from.UTC())
}
