package integration

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// ProfileOf is database d's software profile: the one an administrator adjusted, else its
// software's defaults (DefaultProfile). The opt-out capability always follows the software,
// whatever the stored document says (CON-4).
func ProfileOf(ctx context.Context, tx *store.Tx, d clinic.Database) (Profile, error) {
	raw, ok, err := tx.Sync().DatabaseProfile(ctx, d.OrgID, d.ID)
	if err != nil || !ok {
		return DefaultProfile(d.Profile), err
	}
	var p Profile
	if err := json.Unmarshal([]byte(raw), &p); err != nil || p.Software != d.Profile {
		// Stored for another software (the database's was changed since): its defaults.
		return DefaultProfile(d.Profile), nil
	}
	p.ReadsOptOut = d.Profile.CanReadOptOut()
	return p, nil
}

// DatabaseProfile is a database's profile as its page shows it, and whether it was adjusted.
type DatabaseProfile struct {
	Profile  Profile
	Adjusted bool
}

// ProfileOfDatabase reads database id's profile for an administrator.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) ProfileOfDatabase(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID) (DatabaseProfile, error) {
	if err := allowQuarantine(actor, "read profile"); err != nil {
		return DatabaseProfile{}, err
	}
	var out DatabaseProfile
	err := s.db.View(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if _, out.Adjusted, err = tx.Sync().DatabaseProfile(ctx, actor.OrgID, id); err != nil {
			return err
		}
		out.Profile, err = ProfileOf(ctx, tx, d)
		return err
	})
	return out, err
}

// SetProfile stores an adjusted profile for database id (SYN-1, RES-1, RES-2): which result
// categories it takes and what each doctor's action leads to. It must be the database's own
// software's, and valid (Profile.Validate names each field at fault). Results already
// stored keep the outcome they were given; what the software sends next follows the new
// profile, and quarantined messages re-processed too. Audited with both versions.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound, *clinic.ValidationError.
func (s *Service) SetProfile(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID, p Profile) error {
	if err := allowQuarantine(actor, "set profile"); err != nil {
		return err
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		p.Software, p.ReadsOptOut = d.Profile, d.Profile.CanReadOptOut()
		if err := p.Validate(); err != nil {
			return err
		}
		// RES-2: an action leads to one of the organisation's result templates.
		var v clinic.ValidationError
		for i, r := range p.Actions {
			if r.Outcome != OutcomeTemplate {
				continue
			}
			t, ok, err := recall.TemplateOf(ctx, tx, actor.OrgID, r.Template)
			if err != nil {
				return err
			}
			if !ok || t.Purpose != string(consent.PurposeResult) {
				v.Add(fmt.Sprintf("actions[%d].template", i), "is not one of the organisation's result templates")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, err := ProfileOf(ctx, tx, d)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		if err := tx.Sync().SetDatabaseProfile(ctx, actor.OrgID, id, string(raw)); err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "database.profile", d.Name, before, p)
	})
	if err == nil {
		s.forgetRoutes()
	}
	return err
}

// ResetProfile makes database id use its software's default profile again. Audited.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) ResetProfile(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID) error {
	if err := allowQuarantine(actor, "reset profile"); err != nil {
		return err
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		before, err := ProfileOf(ctx, tx, d)
		if err != nil {
			return err
		}
		if err := tx.Sync().ClearDatabaseProfile(ctx, actor.OrgID, id); err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "database.profile", d.Name, before, DefaultProfile(d.Profile))
	})
	if err == nil {
		s.forgetRoutes()
	}
	return err
}
