package integration

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// MaxMappingCode bounds the code of a mapping (an HL7 id or a location name).
const MaxMappingCode = MaxIDLength

// mappingChange is what the audit log keeps of a mapping change.
type mappingChange struct {
	Kind   string `json:"kind"`
	Code   string `json:"code"`
	Target int64  `json:"target,omitempty"`
}

// SetMapping maps a code of database id's messages to an agenda (kinds practitioner and
// location) or a reason (kind reason) of the database's clinics, for appointments whose
// names do not say (SYN-1). Messages refused for want of it can then be re-processed. The
// change is audited.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound for the database, *clinic.ValidationError
// on kind, code or target.
func (s *Service) SetMapping(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID, kind, code string, target int64) (store.SyncMapping, error) {
	if err := allowQuarantine(actor, "set mapping"); err != nil {
		return store.SyncMapping{}, err
	}
	code = strings.TrimSpace(code)
	var v clinic.ValidationError
	switch kind {
	case store.MapPractitioner, store.MapLocation, store.MapAppointmentType:
	default:
		v.Add("kind", "must be one of practitioner, location, reason")
	}
	switch {
	case code == "":
		v.Add("code", "is required: the id or name the clinical software sends")
	case len([]rune(code)) > MaxMappingCode:
		v.Add("code", fmt.Sprintf("must be at most %d characters", MaxMappingCode))
	case strings.IndexFunc(code, unicode.IsControl) >= 0:
		v.Add("code", "must not contain control characters")
	}
	if target <= 0 {
		v.Add("target", "is required")
	}
	if err := v.Err(); err != nil {
		return store.SyncMapping{}, err
	}
	var out store.SyncMapping
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		var cl clinic.ClinicID
		if kind == store.MapAppointmentType {
			r, err := tx.Directory().Reason(ctx, actor.OrgID, clinic.ReasonID(target))
			if err != nil {
				return clinic.MissingReference("target", err)
			}
			cl = r.ClinicID
		} else {
			a, err := tx.Directory().Agenda(ctx, actor.OrgID, clinic.AgendaID(target))
			if err != nil {
				return clinic.MissingReference("target", err)
			}
			cl = a.ClinicID
		}
		c, err := tx.Directory().Clinic(ctx, actor.OrgID, cl)
		if err != nil {
			return err
		}
		if c.DatabaseID != d.ID {
			return clinic.Invalid("target", "belongs to a clinic of another clinical database")
		}
		if err := tx.Sync().SetMapping(ctx, actor.OrgID, d.ID, kind, code, target); err != nil {
			return err
		}
		out = store.SyncMapping{Kind: kind, Code: code, TargetID: target, UpdatedAt: tx.Now}
		return audit.Change(ctx, tx, actor, "database.mapping", d.Name, nil, mappingChange{Kind: kind, Code: code, Target: target})
	})
	return out, err
}

// DeleteMapping removes a mapping; later messages are matched by name again.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) DeleteMapping(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID, kind, code string) error {
	if err := allowQuarantine(actor, "delete mapping"); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if err := tx.Sync().DeleteMapping(ctx, actor.OrgID, d.ID, kind, code); err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "database.mapping", d.Name, mappingChange{Kind: kind, Code: code}, nil)
	})
}

// Mappings lists database id's mappings.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) Mappings(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID) ([]store.SyncMapping, error) {
	if err := allowQuarantine(actor, "list mappings"); err != nil {
		return nil, err
	}
	var out []store.SyncMapping
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Directory().Database(ctx, actor.OrgID, id); err != nil {
			return err
		}
		var err error
		out, err = tx.Sync().Mappings(ctx, actor.OrgID, id)
		return err
	})
	return out, err
}
