package staff

import (
	"context"
	"fmt"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
)

// Profile is what a staff user sets for themselves (UpdateProfile): the name they are shown
// by and the language of their pages (ADM-6).
type Profile struct {
	Name string
	// Locale is "en", "fr", or "" to follow the browser, then the clinic.
	Locale string
}

// profile is what the audit log keeps of a profile change.
type profile struct {
	Name   string `json:"name"`
	Locale string `json:"locale"`
}

// UpdateProfile saves the signed-in user's own name and language. Saving what is already
// there changes nothing and writes no audit row.
//
// Errors: clinic.ErrForbidden for an actor that is not a staff user;
// *clinic.ValidationError on name or locale.
func UpdateProfile(ctx context.Context, db *store.DB, actor clinic.Actor, in Profile) (clinic.User, error) {
	if actor.Kind != clinic.ActorStaff || actor.UserID == 0 {
		return clinic.User{}, fmt.Errorf("%s changes a profile: %w", actor.Label, clinic.ErrForbidden)
	}
	var v clinic.ValidationError
	name := checkName(&v, "name", in.Name, false)
	locale, ok := checkLocale(in.Locale)
	if !ok {
		v.Add("locale", localeReason)
	}
	if err := v.Err(); err != nil {
		return clinic.User{}, err
	}
	var u clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.Staff().User(ctx, actor.OrgID, actor.UserID); err != nil {
			return err
		}
		before := profile{Name: u.Name, Locale: u.Locale}
		if before == (profile{Name: name, Locale: locale}) {
			return nil
		}
		if err := tx.Staff().SetUserName(ctx, actor.OrgID, u.ID, name); err != nil {
			return err
		}
		if err := tx.Staff().SetUserLocale(ctx, actor.OrgID, u.ID, locale); err != nil {
			return err
		}
		u.Name, u.Locale = name, locale
		return audit.Change(ctx, tx, actor, ActionUserProfile, subject(u), before, profile{Name: name, Locale: locale})
	})
	if err != nil {
		return clinic.User{}, fmt.Errorf("update profile of user %d: %w", actor.UserID, err)
	}
	return u, nil
}

const localeReason = "must be en, fr, or empty to follow the browser"

// checkLocale normalises a chosen language ("" follows the browser).
func checkLocale(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	l, ok := i18n.Parse(s)
	if !ok {
		return "", false
	}
	return l.String(), true
}

// PasswordChange is the input of ChangePassword.
type PasswordChange struct {
	Current string // the password the user signs in with now
	New     string // checked against auth.ValidatePassword
	// Keep is the hash of the session token the change is made from (auth.HashToken of the
	// cookie): that session stays signed in, every other one of the user's ends. Nil ends
	// them all.
	Keep []byte
}

// ChangePassword lets the signed-in user choose their own password, knowing their current
// one. The new password is no longer temporary; the user's other sessions end, so a
// browser signed in with the old password elsewhere is signed out. The audit row says the
// password changed, nothing of it.
//
// Errors: clinic.ErrForbidden for an actor that is not a staff user;
// *clinic.ValidationError on current_password (wrong) or new_password (the policy, or the
// same as the current one).
func ChangePassword(ctx context.Context, db *store.DB, actor clinic.Actor, in PasswordChange) error {
	if actor.Kind != clinic.ActorStaff || actor.UserID == 0 {
		return fmt.Errorf("%s changes a password: %w", actor.Label, clinic.ErrForbidden)
	}
	var v clinic.ValidationError
	if in.Current == "" {
		v.Add("current_password", "is required")
	}
	if err := auth.ValidatePassword(in.New); err != nil {
		v.Add("new_password", err.Error())
	} else if in.New == in.Current {
		v.Add("new_password", "must differ from the current password")
	}
	if err := v.Err(); err != nil {
		return err
	}
	var u clinic.User
	err := db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.Staff().User(ctx, actor.OrgID, actor.UserID); return err })
	if err != nil {
		return fmt.Errorf("change password of user %d: %w", actor.UserID, err)
	}
	ok, err := auth.CheckPassword(u.PasswordHash, in.Current)
	if err != nil {
		return fmt.Errorf("change password of user %d: %w", actor.UserID, err)
	}
	if !ok {
		return clinic.Invalid("current_password", "is not your current password")
	}
	hash, err := auth.HashPassword(in.New)
	if err != nil {
		return fmt.Errorf("change password of user %d: %w", actor.UserID, err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		// The hash read above is checked again: a reset by an administrator meanwhile wins.
		cur, err := tx.Staff().User(ctx, actor.OrgID, actor.UserID)
		if err != nil {
			return err
		}
		if cur.PasswordHash != u.PasswordHash {
			return &clinic.ConflictError{Field: "current_password", Reason: "your password was just changed elsewhere: sign in again"}
		}
		if err := tx.Staff().SetUserPassword(ctx, actor.OrgID, actor.UserID, hash, false); err != nil {
			return err
		}
		if _, err := tx.Staff().DeleteOtherSessions(ctx, actor.OrgID, actor.UserID, in.Keep); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionUserPassword)
	})
	if err != nil {
		return fmt.Errorf("change password of user %d: %w", actor.UserID, err)
	}
	return nil
}
