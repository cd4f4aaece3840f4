package staff

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// RoleChange is the input of ChangeRole: the account's role and, for a practitioner, the
// practitioner it is (0 for none).
type RoleChange struct {
	Role           clinic.Role
	PractitionerID clinic.PractitionerID
}

// ChangeRole gives one of the actor's organisation's staff accounts a role and links it to
// a practitioner or unlinks it (ADM-1). The new role applies from the account's next
// request: sessions read the role of the account, not a copy. An administrator cannot
// change their own role, and the last enabled administrator keeps theirs. Giving the same
// role and link changes nothing and writes no audit row.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for a user of another organisation;
// *clinic.ValidationError on role or practitioner_id (not a practitioner of the
// organisation, or given with another role); *clinic.ConflictError on role (the last
// administrator) or practitioner_id (linked to another account).
func ChangeRole(ctx context.Context, db *store.DB, actor clinic.Actor, id clinic.UserID, in RoleChange) (clinic.User, error) {
	if err := mayManage(actor, "change a role"); err != nil {
		return clinic.User{}, err
	}
	var v clinic.ValidationError
	if !in.Role.Valid() {
		v.Add("role", RoleReason)
	}
	checkLink(&v, "", in.Role, in.PractitionerID)
	if err := v.Err(); err != nil {
		return clinic.User{}, err
	}
	var u clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.Staff().User(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if u.Role == in.Role && u.PractitionerID == in.PractitionerID {
			return nil
		}
		if isSelf(actor, id) && u.Role != in.Role {
			return clinic.Invalid("role", "you cannot change your own role: another administrator can")
		}
		if u.Role == clinic.RoleAdministrator && in.Role != clinic.RoleAdministrator && u.DisabledAt == nil {
			n, err := tx.Staff().CountEnabledAdministrators(ctx, actor.OrgID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return &clinic.ConflictError{Field: "role", Reason: LastAdminRoleReason}
			}
		}
		if err := freePractitioner(ctx, tx, actor.OrgID, in.PractitionerID, id); err != nil {
			return err
		}
		if err := tx.Staff().SetUserRole(ctx, actor.OrgID, id, in.Role, in.PractitionerID); err != nil {
			return conflict(err, "practitioner_id", practitionerTaken)
		}
		before := settingsOf(u)
		u.Role, u.PractitionerID = in.Role, in.PractitionerID
		return audit.Change(ctx, tx, actor, ActionUserRole, subject(u), before, settingsOf(u))
	})
	if err != nil {
		return clinic.User{}, fmt.Errorf("change role of user %d: %w", id, err)
	}
	return u, nil
}

// ResetPassword gives one of the actor's organisation's staff accounts a new password,
// made by NewPassword and returned to be shown once to the administrator, who hands it on.
// It is stored hashed and marked temporary, and every session of the account ends in the
// same transaction: whoever knew the old password is signed out. An administrator changes
// their own password in their profile instead (ChangePassword), knowing the current one.
// The audit row says a reset happened, nothing of the password.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for a user of another organisation;
// *clinic.ValidationError on user for one's own account.
func ResetPassword(ctx context.Context, db *store.DB, actor clinic.Actor, id clinic.UserID) (clinic.User, string, error) {
	if err := mayManage(actor, "reset a password"); err != nil {
		return clinic.User{}, "", err
	}
	if isSelf(actor, id) {
		return clinic.User{}, "", clinic.Invalid("user", "change your own password in your profile")
	}
	// The account is looked up first, so that another organisation's costs no hashing.
	err := db.View(ctx, func(tx *store.Tx) error { _, err := tx.Staff().User(ctx, actor.OrgID, id); return err })
	if err != nil {
		return clinic.User{}, "", fmt.Errorf("reset password of user %d: %w", id, err)
	}
	plain, err := NewPassword()
	if err != nil {
		return clinic.User{}, "", err
	}
	hash, err := auth.HashPassword(plain) // outside the transaction: argon2id is slow on purpose
	if err != nil {
		return clinic.User{}, "", err
	}
	var u clinic.User
	err = db.Update(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.Staff().User(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if err := tx.Staff().SetUserPassword(ctx, actor.OrgID, id, hash, true); err != nil {
			return err
		}
		if _, err := tx.Staff().DeleteUserSessions(ctx, actor.OrgID, id); err != nil {
			return err
		}
		u.PasswordHash, u.TemporaryPassword = hash, true
		return audit.Record(ctx, tx, actor, ActionUserPasswordReset)
	})
	if err != nil {
		return clinic.User{}, "", fmt.Errorf("reset password of user %d: %w", id, err)
	}
	return u, plain, nil
}

// passwordAlphabet leaves out the letters and digits read alike (0 O o, 1 l I i), since
// the password is read off a screen and typed by someone else.
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewPassword makes a password for an administrator to hand on: 16 characters in four
// groups ("k7tq-m3xa-9vzp-h2rw", about 79 bits), easy to read out and type, and well over
// the policy's minimum length.
func NewPassword() (string, error) {
	const groups, size = 4, 4
	var b strings.Builder
	buf := make([]byte, 1)
	for i := 0; i < groups*size; {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("new password: %w", err)
		}
		// Rejection sampling keeps every character equally likely.
		if int(buf[0]) >= 256-256%len(passwordAlphabet) {
			continue
		}
		if i > 0 && i%size == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(passwordAlphabet[int(buf[0])%len(passwordAlphabet)])
		i++
	}
	return b.String(), nil
}

// settings is what the audit log keeps of a staff account's settings (audit.Change
// compares two of them field by field): never its password or anything about it.
type settings struct {
	Role         clinic.Role            `json:"role"`
	Practitioner *clinic.PractitionerID `json:"practitioner_id"`
	Status       string                 `json:"status"` // "active" or "disabled"
}

func settingsOf(u clinic.User) settings {
	s := settings{Role: u.Role, Status: "active"}
	if u.PractitionerID != 0 {
		p := u.PractitionerID
		s.Practitioner = &p
	}
	if u.DisabledAt != nil {
		s.Status = "disabled"
	}
	return s
}

// subject names an account in the audit log: its name and e-mail address, staff's own
// data that administrators see on the staff list anyway.
func subject(u clinic.User) string {
	if u.Name == "" {
		return "staff account " + u.Email
	}
	return "staff account " + u.Name + " <" + u.Email + ">"
}

const practitionerTaken = "this practitioner already has a staff account"

// checkLink refuses a practitioner link on an account of another role.
func checkLink(v *clinic.ValidationError, prefix string, role clinic.Role, practitioner clinic.PractitionerID) {
	switch {
	case practitioner < 0:
		v.Add(prefix+"practitioner_id", "does not exist")
	case practitioner != 0 && role != clinic.RolePractitioner:
		v.Add(prefix+"practitioner_id", "only a practitioner's account is linked to a practitioner")
	}
}

// freePractitioner checks that practitioner (0: none) is one of org's and linked to no
// account but self's.
func freePractitioner(ctx context.Context, tx *store.Tx, org clinic.OrgID, practitioner clinic.PractitionerID, self clinic.UserID) error {
	if practitioner == 0 {
		return nil
	}
	if _, err := tx.Directory().Practitioner(ctx, org, practitioner); err != nil {
		return clinic.MissingReference("practitioner_id", err)
	}
	u, err := tx.Staff().UserByPractitioner(ctx, org, practitioner)
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		return nil
	case err != nil:
		return err
	case u.ID != self:
		return &clinic.ConflictError{Field: "practitioner_id", Reason: practitionerTaken}
	}
	return nil
}
