// Package staff holds the use cases that manage who may use Tidings: organisations and
// their first administrator, staff accounts (create, change role and practitioner link,
// disable, enable, reset the password) and API tokens (create, revoke), and what a staff
// user sets for themselves (name, language, password). Each use case is one call that any
// surface can make — the command line, the dashboard, the API — and does the whole job in
// one store transaction:
// it checks that the actor may act, validates the input, writes, and records the audit row
// (house rule 15). A surface decodes its input, calls, and reports the typed error; it never
// writes staff or token rows itself.
//
// Who may act: an administrator of the organisation (a signed-in user or an API token with
// that role, PermManageStaff), or the system (the command line acts as
// clinic.SystemActor(org, "cli")). Only the system creates organisations: a tenant's
// administrator cannot make another tenant. The profile use cases (UpdateProfile,
// ChangePassword, SetLocale) act on the signed-in user's own account only.
//
// Rules that protect an organisation from locking itself out: an administrator cannot
// disable their own account, change their own role or reset their own password here (the
// profile changes it, knowing the current one), and the last enabled administrator can be
// neither disabled nor given another role.
//
// Passwords an administrator hands out (a new account, a reset) are made by NewPassword,
// shown once and stored hashed, marked temporary until the user chooses their own. A reset
// ends the user's sessions. Audit rows: settings changes (create, role and practitioner
// link, disable, enable, name, language) are written with audit.Change, with the values
// before and after; a password change or reset with audit.Record, never with the password
// or its hash.
//
// Errors: *clinic.ValidationError naming the field (errors.Is clinic.ErrInvalid),
// *clinic.ConflictError for a slug or e-mail already taken or a rule that protects the
// organisation (errors.Is clinic.ErrConflict), clinic.ErrForbidden for an actor without the
// permission, clinic.ErrNotFound for a user or token that is not the actor's organisation's.
//
// It imports the clinic vocabulary, auth, contact, audit and the store; nothing of the web
// surfaces, the CLI or the job queue.
package staff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
)

// Audit actions written by this package.
const (
	ActionOrganisationCreate = "organisation.create"
	ActionUserCreate         = "user.create"
	ActionUserDisable        = "user.disable"
	ActionUserEnable         = "user.enable"
	ActionTokenCreate        = "token.create"
	ActionTokenRevoke        = "token.revoke"
	// ActionUserRole is a change of an account's role or of the practitioner it is linked to.
	ActionUserRole = "user.role"
	// ActionUserPasswordReset is an administrator giving an account a new temporary password.
	ActionUserPasswordReset = "user.password_reset"
	// ActionUserPassword is a user choosing their own password.
	ActionUserPassword = "user.password"
	// ActionUserProfile is a user changing their own name or language in their profile.
	ActionUserProfile = "user.profile"
	// ActionUserLocale is a user choosing their language from the header's switch.
	ActionUserLocale = "user.locale"
)

// MaxNameLength bounds display names, organisation names and token names, in characters.
const MaxNameLength = 200

// NewOrganisation is the input of CreateOrganisation.
type NewOrganisation struct {
	Slug  string // 2–63 of a–z, 0–9 and inner hyphens, starting with a letter
	Name  string
	Zone  string  // IANA zone, e.g. Australia/Sydney
	Admin NewUser // the first administrator; Role must be empty or administrator
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Email    string
	Name     string
	Role     clinic.Role
	Password string // checked against auth.ValidatePassword, then stored hashed
	// PractitionerID links a practitioner's account to the practitioner it is, one of the
	// organisation's with no other account; 0 for none. Only with RolePractitioner.
	PractitionerID clinic.PractitionerID
	// Temporary marks a password an administrator made for the user (NewPassword) and
	// hands on: the user is asked to choose their own.
	Temporary bool
}

// NewToken is the input of CreateToken.
type NewToken struct {
	Name string // what the token is for
	Role clinic.Role
}

// CreateOrganisation creates a tenant and its first administrator, in one transaction, and
// audits both. Only the system may call it; the actor's organisation is ignored (the new
// one is the audit rows').
func CreateOrganisation(ctx context.Context, db *store.DB, actor clinic.Actor, in NewOrganisation) (clinic.Organisation, clinic.User, error) {
	var o clinic.Organisation
	var u clinic.User
	if actor.Kind != clinic.ActorSystem {
		return o, u, fmt.Errorf("%s creates an organisation: %w", actor.Label, clinic.ErrForbidden)
	}
	var v clinic.ValidationError
	o.Slug = strings.TrimSpace(in.Slug)
	if !input.ValidSlug(o.Slug) {
		v.Add("slug", input.SlugReason)
	}
	o.Name = checkName(&v, "name", in.Name, true)
	o.Zone = strings.TrimSpace(in.Zone)
	if !input.ValidZone(o.Zone) {
		v.Add("zone", input.ZoneReason)
	}
	admin := in.Admin
	if admin.Role == "" {
		admin.Role = clinic.RoleAdministrator
	}
	if admin.Role != clinic.RoleAdministrator {
		v.Add("admin.role", "the first user must be an administrator")
	}
	nu, hash := checkUser(&v, "admin.", admin)
	if err := v.Err(); err != nil {
		return o, u, err
	}
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if o, err = tx.Directory().CreateOrganisation(ctx, o); err != nil {
			return conflict(err, "slug", "an organisation with this slug already exists")
		}
		as := actor
		as.OrgID = o.ID
		if err := audit.Record(ctx, tx, as, ActionOrganisationCreate); err != nil {
			return err
		}
		u, err = createUser(ctx, tx, as, nu, hash)
		return err
	})
	if err != nil {
		return clinic.Organisation{}, clinic.User{}, fmt.Errorf("create organisation: %w", err)
	}
	return o, u, nil
}

// CreateUser adds a staff account to the actor's organisation. E-mail addresses are unique
// across the installation; a practitioner has at most one account.
func CreateUser(ctx context.Context, db *store.DB, actor clinic.Actor, in NewUser) (clinic.User, error) {
	if err := mayManage(actor, "create a user"); err != nil {
		return clinic.User{}, err
	}
	var v clinic.ValidationError
	nu, hash := checkUser(&v, "", in)
	if err := v.Err(); err != nil {
		return clinic.User{}, err
	}
	var u clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		u, err = createUser(ctx, tx, actor, nu, hash)
		return err
	})
	if err != nil {
		return clinic.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

func createUser(ctx context.Context, tx *store.Tx, actor clinic.Actor, u clinic.User, hash string) (clinic.User, error) {
	u.PasswordHash = hash
	if err := freePractitioner(ctx, tx, actor.OrgID, u.PractitionerID, 0); err != nil {
		return u, err
	}
	// The e-mail is checked first so that a taken one is named as such; the unique index
	// still decides when two administrators add the same address at once.
	if _, err := tx.Staff().UserByEmail(ctx, u.Email); err == nil {
		return u, &clinic.ConflictError{Field: "email", Reason: emailTaken}
	} else if !errors.Is(err, clinic.ErrNotFound) {
		return u, err
	}
	u, err := tx.Staff().CreateUser(ctx, actor.OrgID, u)
	if err != nil {
		return u, conflict(err, "email", emailTaken)
	}
	return u, audit.Change(ctx, tx, actor, ActionUserCreate, subject(u), nil, settingsOf(u))
}

const emailTaken = "a staff account with this e-mail already exists"

// DisableUser disables one of the actor's organisation's staff accounts: its sessions end
// in the same transaction (a request already past authentication finishes; the next one is
// refused) and it can no longer sign in. Disabling a disabled account changes nothing. An
// actor cannot disable their own account, and the last enabled administrator stays.
func DisableUser(ctx context.Context, db *store.DB, actor clinic.Actor, id clinic.UserID) (clinic.User, error) {
	if err := mayManage(actor, "disable a user"); err != nil {
		return clinic.User{}, err
	}
	if isSelf(actor, id) {
		return clinic.User{}, clinic.Invalid("user", "you cannot disable your own account")
	}
	var u clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.Staff().User(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return nil
		}
		if u.Role == clinic.RoleAdministrator {
			n, err := tx.Staff().CountEnabledAdministrators(ctx, actor.OrgID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return &clinic.ConflictError{Field: "user", Reason: LastAdminDisableReason}
			}
		}
		now := tx.Now
		if err := tx.Staff().SetUserDisabled(ctx, actor.OrgID, id, &now); err != nil {
			return err
		}
		if _, err := tx.Staff().DeleteUserSessions(ctx, actor.OrgID, id); err != nil {
			return err
		}
		before := settingsOf(u)
		u.DisabledAt = &now
		return audit.Change(ctx, tx, actor, ActionUserDisable, subject(u), before, settingsOf(u))
	})
	if err != nil {
		return clinic.User{}, fmt.Errorf("disable user %d: %w", id, err)
	}
	return u, nil
}

// EnableUser re-enables a disabled staff account of the actor's organisation. Enabling an
// enabled account changes nothing.
func EnableUser(ctx context.Context, db *store.DB, actor clinic.Actor, id clinic.UserID) (clinic.User, error) {
	if err := mayManage(actor, "enable a user"); err != nil {
		return clinic.User{}, err
	}
	var u clinic.User
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.Staff().User(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if u.DisabledAt == nil {
			return nil
		}
		if err := tx.Staff().SetUserDisabled(ctx, actor.OrgID, id, nil); err != nil {
			return err
		}
		before := settingsOf(u)
		u.DisabledAt = nil
		return audit.Change(ctx, tx, actor, ActionUserEnable, subject(u), before, settingsOf(u))
	})
	if err != nil {
		return clinic.User{}, fmt.Errorf("enable user %d: %w", id, err)
	}
	return u, nil
}

// UserByEmail finds the actor's organisation's staff account with this e-mail, for
// surfaces that name users by address (the command line). Another organisation's user is
// not found.
func UserByEmail(ctx context.Context, db *store.DB, actor clinic.Actor, email string) (clinic.User, error) {
	if err := mayManage(actor, "look up a user"); err != nil {
		return clinic.User{}, err
	}
	addr, err := contact.Email(email)
	if err != nil {
		return clinic.User{}, clinic.Invalid("email", reason(err))
	}
	var u clinic.User
	err = db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.Staff().UserByEmail(ctx, addr); return err })
	if err == nil && u.OrgID != actor.OrgID {
		err = clinic.ErrNotFound
	}
	if err != nil {
		return clinic.User{}, fmt.Errorf("user by e-mail: %w", err)
	}
	return u, nil
}

// CreateToken makes an API token for the actor's organisation and returns it with its
// plain value, which is shown once: only its hash is stored.
func CreateToken(ctx context.Context, db *store.DB, actor clinic.Actor, in NewToken) (clinic.Token, string, error) {
	if err := mayManage(actor, "create a token"); err != nil {
		return clinic.Token{}, "", err
	}
	var v clinic.ValidationError
	name := checkName(&v, "name", in.Name, true)
	if !in.Role.Valid() {
		v.Add("role", RoleReason)
	}
	if err := v.Err(); err != nil {
		return clinic.Token{}, "", err
	}
	plain, hash, err := auth.NewToken("tid_")
	if err != nil {
		return clinic.Token{}, "", err
	}
	var t clinic.Token
	err = db.Update(ctx, func(tx *store.Tx) (err error) {
		if t, err = tx.Staff().CreateToken(ctx, actor.OrgID, clinic.Token{Name: name, Role: in.Role}, hash); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionTokenCreate)
	})
	if err != nil {
		return clinic.Token{}, "", fmt.Errorf("create token: %w", err)
	}
	return t, plain, nil
}

// RevokeToken revokes one of the actor's organisation's API tokens at once. Revoking a
// revoked token changes nothing.
func RevokeToken(ctx context.Context, db *store.DB, actor clinic.Actor, id clinic.TokenID) (clinic.Token, error) {
	if err := mayManage(actor, "revoke a token"); err != nil {
		return clinic.Token{}, err
	}
	var t clinic.Token
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if t, err = tx.Staff().Token(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		if err := tx.Staff().RevokeToken(ctx, actor.OrgID, id); err != nil {
			return err
		}
		now := tx.Now
		t.RevokedAt = &now
		return audit.Record(ctx, tx, actor, ActionTokenRevoke)
	})
	if err != nil {
		return clinic.Token{}, fmt.Errorf("revoke token %d: %w", id, err)
	}
	return t, nil
}

// mayManage: administrators (staff or token) and the system manage their organisation's
// staff; patients never.
func mayManage(actor clinic.Actor, what string) error {
	if actor.OrgID == 0 || !actor.Can(clinic.PermManageStaff) {
		return fmt.Errorf("%s may not %s: %w", actor.Label, what, clinic.ErrForbidden)
	}
	return nil
}

// RoleReason is why a role is refused; a form offers the roles in words instead.
const RoleReason = "must be one of administrator, appointment_manager, practitioner, reception"

// LastAdminDisableReason and LastAdminRoleReason protect the organisation from losing its
// last enabled administrator, who alone can manage staff.
const (
	LastAdminDisableReason = "the organisation's last administrator cannot be disabled"
	LastAdminRoleReason    = "the organisation's last administrator cannot be given another role"
)

// isSelf reports whether actor is the signed-in user id.
func isSelf(actor clinic.Actor, id clinic.UserID) bool {
	return actor.Kind == clinic.ActorStaff && actor.UserID == id
}

// checkUser validates a new user's fields (prefix names them, e.g. "admin.") and hashes the
// password.
func checkUser(v *clinic.ValidationError, prefix string, in NewUser) (clinic.User, string) {
	var u clinic.User
	addr, err := contact.Email(in.Email)
	if err != nil {
		v.Add(prefix+"email", reason(err))
	}
	u.Email = addr
	u.Name = checkName(v, prefix+"name", in.Name, false)
	u.Role = in.Role
	if !in.Role.Valid() {
		v.Add(prefix+"role", RoleReason)
	}
	u.PractitionerID, u.TemporaryPassword = in.PractitionerID, in.Temporary
	checkLink(v, prefix, in.Role, in.PractitionerID)
	if err := auth.ValidatePassword(in.Password); err != nil {
		v.Add(prefix+"password", err.Error())
		return u, ""
	}
	if len(v.Fields) > 0 {
		return u, "" // do not spend a hash on input that is refused anyway
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		v.Add(prefix+"password", "could not be stored")
	}
	return u, hash
}

func checkName(v *clinic.ValidationError, field, s string, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.Add(field, "is required")
	case utf8.RuneCountInString(s) > MaxNameLength:
		v.Add(field, fmt.Sprintf("must be at most %d characters", MaxNameLength))
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.Add(field, "contains invalid characters")
	}
	return s
}

// reason is the safe reason of a contact validation error.
func reason(err error) string {
	var ce *contact.Error
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return "is not valid"
}

// conflict turns a store uniqueness conflict into a ConflictError on field.
func conflict(err error, field, why string) error {
	if errors.Is(err, clinic.ErrConflict) {
		return &clinic.ConflictError{Field: field, Reason: why}
	}
	return err
}

// SetLocale records the dashboard language the acting staff user chose for themselves
// (ADM-6): "en", "fr", or "" to follow the browser, then the clinic. Only a signed-in user
// has a preference.
//
// Errors: clinic.ErrForbidden for an actor that is not a staff user; *clinic.ValidationError
// on locale.
func SetLocale(ctx context.Context, db *store.DB, actor clinic.Actor, locale string) error {
	if actor.Kind != clinic.ActorStaff || actor.UserID == 0 {
		return fmt.Errorf("%s sets a language: %w", actor.Label, clinic.ErrForbidden)
	}
	locale, ok := checkLocale(locale)
	if !ok {
		return clinic.Invalid("locale", localeReason)
	}
	return db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.Staff().User(ctx, actor.OrgID, actor.UserID)
		if err != nil {
			return err
		}
		if u.Locale == locale {
			return nil
		}
		if err := tx.Staff().SetUserLocale(ctx, actor.OrgID, actor.UserID, locale); err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, ActionUserLocale, subject(u), profile{Name: u.Name, Locale: u.Locale}, profile{Name: u.Name, Locale: locale})
	})
}
