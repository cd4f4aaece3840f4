package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

const userCols = `id, organisation_id, email, name, role, password_hash, created_at, disabled_at, locale, practitioner_id, password_temporary, last_sign_in_at`

// userDest lists where scanUser's columns go, after the caller's own (SessionByToken scans
// a session first); done fills in what needs converting once the row is read.
func userDest(u *clinic.User) (dest []any, done func()) {
	var pid *int64
	return []any{&u.ID, &u.OrgID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.DisabledAt, &u.Locale, &pid, &u.TemporaryPassword, &u.LastSignInAt},
		func() {
			if pid != nil {
				u.PractitionerID = clinic.PractitionerID(*pid)
			}
		}
}

func scanUser(r row) (clinic.User, error) {
	var u clinic.User
	dest, done := userDest(&u)
	err := r.Scan(dest...)
	done()
	return u, err
}

// CreateUser adds a staff account. Its e-mail must be unused across the installation, and
// its practitioner (u.PractitionerID, 0 for none) linked to no other account.
//
// Errors: clinic.ErrConflict when the e-mail is taken (in any organisation) or the
// practitioner already has an account;
// clinic.ErrInvalid when u.Role is not a known role; clinic.ErrNotFound when org does not
// exist.
func (tx Staff) CreateUser(ctx context.Context, org clinic.OrgID, u clinic.User) (clinic.User, error) {
	u.OrgID, u.CreatedAt, u.Email = org, tx.Now, strings.ToLower(u.Email)
	err := tx.q.queryRow(ctx, `INSERT INTO users (organisation_id, email, name, role, password_hash, created_at, practitioner_id, password_temporary)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, org, u.Email, u.Name, u.Role, u.PasswordHash, tx.Now,
		zeroNil(u.PractitionerID), u.TemporaryPassword).Scan(&u.ID)
	if err != nil {
		return u, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByEmail finds an account for sign-in, in any organisation.
//
// Errors: clinic.ErrNotFound when no account has that e-mail.
func (tx Staff) UserByEmail(ctx context.Context, email string) (clinic.User, error) {
	u, err := scanUser(tx.q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, strings.ToLower(email)))
	if err != nil {
		return u, fmt.Errorf("user by e-mail: %w", err)
	}
	return u, nil
}

// User reads one staff account of org.
//
// Errors: clinic.ErrNotFound when id is not one of org's users.
func (tx Staff) User(ctx context.Context, org clinic.OrgID, id clinic.UserID) (clinic.User, error) {
	u, err := scanUser(tx.q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return u, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// SetPassword replaces a user's password hash (e.g. a rehash with stronger parameters).
//
// Errors: none of its own: an id that is not one of org's users changes nothing.
func (tx Staff) SetPassword(ctx context.Context, org clinic.OrgID, id clinic.UserID, hash string) error {
	_, err := tx.q.exec(ctx, `UPDATE users SET password_hash = $3 WHERE organisation_id = $1 AND id = $2`, org, id, hash)
	return err
}

// Session is a signed-in browser. The cookie holds a random token; only its hash is here.
type Session struct {
	ID         int64
	UserID     clinic.UserID
	OrgID      clinic.OrgID
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a new session for u.
//
// Errors: clinic.ErrNotFound when u does not exist; clinic.ErrConflict when tokenHash is
// already stored.
func (tx Staff) CreateSession(ctx context.Context, u clinic.User, tokenHash []byte, expires time.Time) (Session, error) {
	s := Session{UserID: u.ID, OrgID: u.OrgID, CreatedAt: tx.Now, LastSeenAt: tx.Now, ExpiresAt: expires.UTC()}
	err := tx.q.queryRow(ctx, `INSERT INTO sessions (token_hash, user_id, organisation_id, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, tokenHash, u.ID, u.OrgID, tx.Now, tx.Now, s.ExpiresAt).Scan(&s.ID)
	if err != nil {
		return s, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

// SessionByToken finds a live session and its user by the token's hash.
//
// Errors: clinic.ErrNotFound when no unexpired session has that hash.
func (tx Staff) SessionByToken(ctx context.Context, tokenHash []byte) (Session, clinic.User, error) {
	var s Session
	var u clinic.User
	dest, done := userDest(&u)
	err := tx.q.queryRow(ctx, `SELECT s.id, s.user_id, s.organisation_id, s.created_at, s.last_seen_at, s.expires_at, `+prefixed("u.", userCols)+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash, tx.Now).
		Scan(append([]any{&s.ID, &s.UserID, &s.OrgID, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt}, dest...)...)
	done()
	if err != nil {
		return s, u, fmt.Errorf("session: %w", err)
	}
	return s, u, nil
}

// TouchSession records activity, which pushes back the idle timeout.
//
// Errors: none of its own (an unknown id changes nothing).
func (tx Staff) TouchSession(ctx context.Context, id int64) error {
	_, err := tx.q.exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, id, tx.Now)
	return err
}

// DeleteSession signs a session out.
//
// Errors: none of its own (an unknown id changes nothing).
func (tx Staff) DeleteSession(ctx context.Context, id int64) error {
	_, err := tx.q.exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return err
}

// DeleteExpiredSessions removes sessions past their absolute expiry or idle since before
// idleBefore, and reports how many.
//
// Errors: none of its own.
func (tx Staff) DeleteExpiredSessions(ctx context.Context, idleBefore time.Time) (int64, error) {
	return tx.q.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`, tx.Now, idleBefore)
}

// DeleteSessionIfExpired removes one session if it is past its absolute expiry, the target
// of the job scheduled when the session was created.
//
// Errors: none of its own (false when there was nothing to delete).
func (tx Staff) DeleteSessionIfExpired(ctx context.Context, id int64) (bool, error) {
	n, err := tx.q.exec(ctx, `DELETE FROM sessions WHERE id = $1 AND expires_at <= $2`, id, tx.Now)
	return n > 0, err
}

// CreateToken stores an API token's hash.
//
// Errors: clinic.ErrConflict when hash is already stored; clinic.ErrInvalid when t.Role is
// not a known role; clinic.ErrNotFound when org does not exist.
func (tx Staff) CreateToken(ctx context.Context, org clinic.OrgID, t clinic.Token, hash []byte) (clinic.Token, error) {
	t.OrgID, t.CreatedAt = org, tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO api_tokens (organisation_id, name, role, token_hash, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, org, t.Name, t.Role, hash, tx.Now).Scan(&t.ID)
	if err != nil {
		return t, fmt.Errorf("create token: %w", err)
	}
	return t, nil
}

// TokenByHash finds a live (unrevoked, unexpired) token.
//
// Errors: clinic.ErrNotFound when no live token has that hash.
func (tx Staff) TokenByHash(ctx context.Context, hash []byte) (clinic.Token, error) {
	var t clinic.Token
	err := tx.q.queryRow(ctx, `SELECT id, organisation_id, name, role, created_at, last_used_at, revoked_at FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`, hash, tx.Now).
		Scan(&t.ID, &t.OrgID, &t.Name, &t.Role, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// TouchToken records a token's use (throttled by the caller).
//
// Errors: none of its own (an unknown id changes nothing).
func (tx Staff) TouchToken(ctx context.Context, id clinic.TokenID) error {
	_, err := tx.q.exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, tx.Now)
	return err
}

// CountSessions counts stored sessions, live or not (operations and tests).
//
// Errors: none of its own.
func (tx Staff) CountSessions(ctx context.Context) (int, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&n)
	return n, err
}

// UsersByIDs reads several of org's staff accounts in one statement. Ids of other
// organisations are absent from the result.
//
// Errors: none of its own.
func (tx Staff) UsersByIDs(ctx context.Context, org clinic.OrgID, ids []clinic.UserID) (map[clinic.UserID]clinic.User, error) {
	out := make(map[clinic.UserID]clinic.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	us, err := collect(ctx, tx, scanUser, `SELECT `+userCols+` FROM users WHERE organisation_id = $1 AND id IN (`+idList(ids)+`)`, org)
	if err != nil {
		return nil, fmt.Errorf("users by id: %w", err)
	}
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// SetUserDisabled disables (at not nil) or re-enables (at nil) one of org's staff accounts.
// It does not end sessions: DeleteUserSessions does, in the same transaction.
// Errors: clinic.ErrNotFound.
func (tx Staff) SetUserDisabled(ctx context.Context, org clinic.OrgID, id clinic.UserID, at *time.Time) error {
	if at != nil {
		t := at.UTC()
		at = &t
	}
	n, err := tx.q.exec(ctx, `UPDATE users SET disabled_at = $3 WHERE organisation_id = $1 AND id = $2`, org, id, at)
	if err != nil {
		return fmt.Errorf("set user %d disabled: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("user %d: %w", id, clinic.ErrNotFound)
	}
	return nil
}

// DeleteUserSessions signs one of org's staff users out everywhere and reports how many
// sessions ended.
//
// Errors: none of its own (0 for a user without sessions, or not org's).
func (tx Staff) DeleteUserSessions(ctx context.Context, org clinic.OrgID, id clinic.UserID) (int64, error) {
	n, err := tx.q.exec(ctx, `DELETE FROM sessions WHERE organisation_id = $1 AND user_id = $2`, org, id)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", id, err)
	}
	return n, nil
}

// Token reads one of org's API tokens, revoked or not. Errors: clinic.ErrNotFound.
func (tx Staff) Token(ctx context.Context, org clinic.OrgID, id clinic.TokenID) (clinic.Token, error) {
	var t clinic.Token
	err := tx.q.queryRow(ctx, `SELECT id, organisation_id, name, role, created_at, last_used_at, revoked_at FROM api_tokens
		WHERE organisation_id = $1 AND id = $2`, org, id).
		Scan(&t.ID, &t.OrgID, &t.Name, &t.Role, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	if err != nil {
		return t, fmt.Errorf("token %d: %w", id, err)
	}
	return t, nil
}

// RevokeToken revokes one of org's API tokens now; revoking twice keeps the first time.
// Errors: clinic.ErrNotFound.
func (tx Staff) RevokeToken(ctx context.Context, org clinic.OrgID, id clinic.TokenID) error {
	n, err := tx.q.exec(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE organisation_id = $1 AND id = $2`, org, id, tx.Now)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("token %d: %w", id, clinic.ErrNotFound)
	}
	return nil
}

// CountEnabledAdministrators counts org's administrators who are not disabled, so that the
// last one is not disabled.
func (tx Staff) CountEnabledAdministrators(ctx context.Context, org clinic.OrgID) (int, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT count(*) FROM users WHERE organisation_id = $1 AND role = $2 AND disabled_at IS NULL`,
		org, clinic.RoleAdministrator).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count administrators: %w", err)
	}
	return n, nil
}

// SetUserLocale records the language a user chose ("" for none).
//
// Errors: clinic.ErrNotFound when org has no such user.
func (tx Staff) SetUserLocale(ctx context.Context, org clinic.OrgID, id clinic.UserID, locale string) error {
	return one(tx.q.exec(ctx, `UPDATE users SET locale = $3 WHERE organisation_id = $1 AND id = $2`, org, id, locale))
}

// Users lists org's staff accounts, disabled ones included, by id (cursor pages).
//
// Errors: none of its own (an organisation without users is an empty list).
func (tx Staff) Users(ctx context.Context, org clinic.OrgID, p Page) ([]clinic.User, error) {
	us, err := collect(ctx, tx, scanUser, `SELECT `+userCols+` FROM users WHERE organisation_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		org, p.After, p.Size())
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return us, nil
}

// UserByPractitioner finds the staff account of org linked to a practitioner.
//
// Errors: clinic.ErrNotFound when no account of org is linked to it.
func (tx Staff) UserByPractitioner(ctx context.Context, org clinic.OrgID, practitioner clinic.PractitionerID) (clinic.User, error) {
	u, err := scanUser(tx.q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE organisation_id = $1 AND practitioner_id = $2`, org, practitioner))
	if err != nil {
		return u, fmt.Errorf("user of practitioner %d: %w", practitioner, err)
	}
	return u, nil
}

// SetUserRole gives one of org's staff accounts a role and the practitioner it is linked to
// (0 for none). The use case checks that the practitioner is org's; the unique index, that
// no other account is linked to it.
//
// Errors: clinic.ErrNotFound when id is not one of org's users (or the practitioner does
// not exist); clinic.ErrConflict when another account is linked to the practitioner;
// clinic.ErrInvalid when role is not a known role.
func (tx Staff) SetUserRole(ctx context.Context, org clinic.OrgID, id clinic.UserID, role clinic.Role, practitioner clinic.PractitionerID) error {
	err := one(tx.q.exec(ctx, `UPDATE users SET role = $3, practitioner_id = $4 WHERE organisation_id = $1 AND id = $2`,
		org, id, role, zeroNil(practitioner)))
	if err != nil {
		return fmt.Errorf("set role of user %d: %w", id, err)
	}
	return nil
}

// SetUserPassword replaces a user's password hash and records whether an administrator made
// it (temporary: the user is asked to choose their own). It does not end sessions:
// DeleteUserSessions does, in the same transaction.
//
// Errors: clinic.ErrNotFound when id is not one of org's users.
func (tx Staff) SetUserPassword(ctx context.Context, org clinic.OrgID, id clinic.UserID, hash string, temporary bool) error {
	err := one(tx.q.exec(ctx, `UPDATE users SET password_hash = $3, password_temporary = $4 WHERE organisation_id = $1 AND id = $2`,
		org, id, hash, temporary))
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return nil
}

// SetUserName replaces the name a user is shown by.
//
// Errors: clinic.ErrNotFound when id is not one of org's users.
func (tx Staff) SetUserName(ctx context.Context, org clinic.OrgID, id clinic.UserID, name string) error {
	err := one(tx.q.exec(ctx, `UPDATE users SET name = $3 WHERE organisation_id = $1 AND id = $2`, org, id, name))
	if err != nil {
		return fmt.Errorf("set name of user %d: %w", id, err)
	}
	return nil
}

// RecordSignIn notes that one of org's users signed in now, in the transaction that starts
// their session.
//
// Errors: clinic.ErrNotFound when id is not one of org's users.
func (tx Staff) RecordSignIn(ctx context.Context, org clinic.OrgID, id clinic.UserID) error {
	err := one(tx.q.exec(ctx, `UPDATE users SET last_sign_in_at = $3 WHERE organisation_id = $1 AND id = $2`, org, id, tx.Now))
	if err != nil {
		return fmt.Errorf("record sign-in of user %d: %w", id, err)
	}
	return nil
}

// DeleteOtherSessions signs one of org's users out everywhere but in the session whose
// token hashes to keep (the one that changed the password), and reports how many ended.
//
// Errors: none of its own.
func (tx Staff) DeleteOtherSessions(ctx context.Context, org clinic.OrgID, id clinic.UserID, keep []byte) (int64, error) {
	if keep == nil {
		keep = []byte{}
	}
	n, err := tx.q.exec(ctx, `DELETE FROM sessions WHERE organisation_id = $1 AND user_id = $2 AND token_hash <> $3`, org, id, keep)
	if err != nil {
		return 0, fmt.Errorf("delete other sessions of user %d: %w", id, err)
	}
	return n, nil
}
