package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/store"
)

// MaxFacility bounds a sending facility (HD namespace id; practice software writes the
// practice's name there, so it is longer than the 20 characters of the standard's table).
const MaxFacility = 180

// HL7Settings is how an hl7v2 database is reached, as its settings page shows it.
type HL7Settings struct {
	Facility string `json:"facility"` // MSH-4 of its messages; "" when not set
	// Outbound is the clinical software's own MLLP listener (host:port), to which
	// appointments booked, moved or cancelled in Tidings are written back (SYN-5); "" for
	// none.
	Outbound string `json:"outbound,omitempty"`
}

// SetHL7Settings sets the sending facility that routes HL7 messages to database id: one an
// administrator reads from the clinical software's HL7 settings (its MSH-4). The change is
// audited with its before and after values and is seen by the listener within RouteTTL.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound, *clinic.ValidationError on facility (or
// on database_id for a database that is not hl7v2), a *clinic.ConflictError on facility when
// another database has it.
func (s *Service) SetHL7Settings(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID, in HL7Settings) (HL7Settings, error) {
	if !actor.Can(clinic.PermManageDirectory) || actor.Kind == clinic.ActorPatient {
		return HL7Settings{}, fmt.Errorf("set HL7 settings: %s needs %s: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	facility := strings.TrimSpace(in.Facility)
	switch {
	case facility == "":
		return HL7Settings{}, clinic.Invalid("facility", "is required: the sending facility (MSH-4) the clinical software writes in its messages")
	case len([]rune(facility)) > MaxFacility:
		return HL7Settings{}, clinic.Invalid("facility", fmt.Sprintf("must be at most %d characters", MaxFacility))
	case strings.ContainsAny(facility, `|^~\&#`) || strings.IndexFunc(facility, unicode.IsControl) >= 0:
		return HL7Settings{}, clinic.Invalid("facility", `must not hold the HL7 delimiters | ^ ~ \ & # or control characters`)
	}
	outbound := strings.TrimSpace(in.Outbound)
	if outbound != "" {
		host, port, err := net.SplitHostPort(outbound)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n < 1 || n > 65535 || len(outbound) > 255 || strings.IndexFunc(outbound, unicode.IsSpace) >= 0 {
			return HL7Settings{}, clinic.Invalid("outbound", "must be host:port, such as pms.clinic.local:2575")
		}
	}
	var out HL7Settings
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.Directory().Database(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if d.Kind != clinic.KindHL7v2 {
			return clinic.Invalid("database_id", "is not an HL7 v2 database: only those receive messages over MLLP")
		}
		var before HL7Settings
		if before.Facility, err = tx.Sync().HL7Facility(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if before.Outbound, err = tx.Sync().HL7Outbound(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if err := tx.Savepoint(ctx, func() error { return tx.Sync().SetHL7Facility(ctx, actor.OrgID, id, facility) }); err != nil {
			if errors.Is(err, clinic.ErrConflict) {
				return &clinic.ConflictError{Field: "facility", Reason: "another clinical database already receives the messages of this sending facility"}
			}
			return err
		}
		if err := tx.Sync().SetHL7Outbound(ctx, actor.OrgID, id, outbound); err != nil {
			return err
		}
		out = HL7Settings{Facility: facility, Outbound: outbound}
		return audit.Change(ctx, tx, actor, "database.hl7", d.Name, before, out)
	})
	if err != nil {
		return HL7Settings{}, err
	}
	s.forgetRoutes() // the listener routes by the new value at once in this process
	return out, nil
}

// allowQuarantine checks that actor may see and act on quarantined input: it holds patient
// data as the clinical software sent it, so it is the directory managers' (administrators).
func allowQuarantine(actor clinic.Actor, what string) error {
	if actor.Kind == clinic.ActorPatient || !actor.Can(clinic.PermManageDirectory) {
		return fmt.Errorf("%s: %s needs %s: %w", what, actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	return nil
}

// Quarantined lists org's open quarantined input, newest first (page.After: an id to
// continue below).
//
// Errors: clinic.ErrForbidden.
func (s *Service) Quarantined(ctx context.Context, actor clinic.Actor, page store.Page) ([]store.QuarantineItem, error) {
	if err := allowQuarantine(actor, "list quarantine"); err != nil {
		return nil, err
	}
	var items []store.QuarantineItem
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		items, err = tx.Sync().QuarantineItems(ctx, actor.OrgID, page)
		return err
	})
	return items, err
}

// Reprocess runs a quarantined message through the mapping and the use cases again (after
// a mapping fix, a profile change, or once the patient it needs has arrived). Applied, the
// item is closed as reprocessed; refused again, it stays open with its new reason. It
// returns the outcome (store.SyncApplied, SyncIgnored) and the reason of a refusal.
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound (not an open item of actor's
// organisation), *clinic.ValidationError on id for an item that cannot be re-processed here
// (not an MLLP message, or no longer routed to its database).
func (s *Service) Reprocess(ctx context.Context, actor clinic.Actor, id int64) (result, reason string, err error) {
	if err := allowQuarantine(actor, "reprocess"); err != nil {
		return "", "", err
	}
	var item store.QuarantineItem
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		item, err = tx.Sync().QuarantinedItem(ctx, actor.OrgID, id)
		return err
	}); err != nil {
		return "", "", err
	}
	if item.Status != store.QuarantineOpen {
		return "", "", fmt.Errorf("reprocess item %d, %s: %w", id, item.Status, clinic.ErrNotFound)
	}
	// apply re-applies the item in tx, by its source, and says how it went.
	var apply func(tx *store.Tx) (result, reason string, err error)
	switch item.Source {
	case "fhir":
		apply = func(tx *store.Tx) (string, string, error) {
			d, err := tx.Directory().Database(ctx, actor.OrgID, item.DatabaseID)
			if err != nil {
				return "", "", err
			}
			return s.reprocessFHIR(ctx, tx, d, item)
		}
	case "mllp":
		s.forgetRoutes() // route by the settings as they are now
		req := s.prepare(ctx, &mllp.Request{Payload: item.Raw})
		if req == nil || req.route.db.ID != item.DatabaseID {
			return "", "", clinic.Invalid("id", "the message is no longer routed to its database: check the database's sending facility")
		}
		req.quarantined = id
		apply = func(tx *store.Tx) (string, string, error) {
			out, err := s.applyOne(ctx, tx, req, true)
			return out.result, out.reason, err
		}
	default:
		return "", "", clinic.Invalid("id", "only HL7 messages and FHIR resources can be re-processed here")
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if result, reason, err = apply(tx); err != nil || result == store.SyncRefused {
			return err
		}
		result, reason = recorded(result), ""
		if err := tx.Sync().ResolveQuarantine(ctx, actor.OrgID, id, store.QuarantineReprocessed); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "database.quarantine_reprocess")
	})
	return result, reason, err
}

// Dismiss closes a quarantined item without applying it (staff decided it is not needed:
// a test message, a duplicate fixed in the clinical software).
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) Dismiss(ctx context.Context, actor clinic.Actor, id int64) error {
	if err := allowQuarantine(actor, "dismiss"); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Sync().ResolveQuarantine(ctx, actor.OrgID, id, store.QuarantineDismissed); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "database.quarantine_dismiss")
	})
}
