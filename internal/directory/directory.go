// Package directory holds the use cases that change an organisation's directory: clinical
// databases (with the CON-2 confirmation for a setting shared by several clinics), clinics
// and their booking rules (POR-2), practitioners, agendas and consultation reasons.
//
// Every write is one function: it checks the actor's permission, validates the input with
// the limits written once here (package input), checks references to other records, runs
// the transaction and writes the audit row. The API, the dashboard and, later, sync call
// the same functions, so a limit or a rule cannot differ between surfaces.
//
// The inputs are patches: a nil field is left as it is (on create, a required field that is
// nil is refused). They carry JSON names because the API decodes them as they are; the
// dashboard fills them from its forms.
//
// It must not import the web surfaces.
package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
)

// Service runs the directory's use cases over a database.
type Service struct{ db *store.DB }

// New returns the Service over db.
func New(db *store.DB) *Service { return &Service{db: db} }

// save is the shape of every directory write: permission, read the current value (update)
// or start from the zero value (create), apply the patch, write, audit.
//
// problems are the surface's decoding problems (a form's "not a whole number"), reported
// with apply's own so one answer names every field; nothing is written then.
//
// view describes a record as the audit log keeps it (audit.go): the record as read before
// the patch and as written after are recorded with audit.Change, so the log says what each
// field was and became (ADM-5); a creation has nothing before.
func save[T any](ctx context.Context, s *Service, actor clinic.Actor, action string, problems []clinic.FieldError,
	get func(tx *store.Tx) (T, error), apply func(tx *store.Tx, v *T, creating bool) error, write func(tx *store.Tx, v T) (T, error),
	view func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v T) (string, any, error)) (T, error) {
	var out T
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if !actor.Can(clinic.PermManageDirectory) {
			return fmt.Errorf("%s: %s needs %s: %w", action, actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
		}
		var v T
		var before any
		creating := get == nil
		if !creating {
			var err error
			if v, err = get(tx); err != nil {
				return err
			}
			// Described now, before apply patches v in place.
			if _, before, err = view(ctx, tx, actor.OrgID, v); err != nil {
				return fmt.Errorf("%s: %w", action, err)
			}
		}
		if err := input.Merge(problems, apply(tx, &v, creating)); err != nil {
			return err
		}
		var err error
		if out, err = write(tx, v); err != nil {
			return err
		}
		subject, after, err := view(ctx, tx, actor.OrgID, out)
		if err != nil {
			return fmt.Errorf("%s: %w", action, err)
		}
		return audit.Change(ctx, tx, actor, action, subject, before, after)
	})
	return out, err
}

// DatabaseInput creates or updates a clinical database. ConfirmShared must be true to change
// respect_opt_out of a database that several clinics share (CON-2).
//
// Confirmed, when not nil, lists the clinics the confirmation named (the dashboard's prompt
// sends the ones it showed): ConfirmShared then counts only if they are exactly the clinics
// sharing the database at the time of saving, so a prompt shown before another clinic joined
// the database is stale and is refused like no confirmation. The API's confirm_shared has no
// such list (nil): its 409 names the clinics and the caller resends.
type DatabaseInput struct {
	Name          *string           `json:"name"`
	Kind          *string           `json:"kind"`
	Profile       *string           `json:"software_profile"`
	RespectOptOut *bool             `json:"respect_opt_out"`
	ConfirmShared bool              `json:"confirm_shared,omitempty"`
	Confirmed     []clinic.ClinicID `json:"-"`
}

// confirmed reports whether in confirms a change shared by clinics cs (CON-2).
func (in DatabaseInput) confirmed(cs []clinic.Clinic) bool {
	if !in.ConfirmShared {
		return false
	}
	if in.Confirmed == nil {
		return true
	}
	if len(in.Confirmed) != len(cs) {
		return false
	}
	for _, c := range cs {
		if !slices.Contains(in.Confirmed, c.ID) {
			return false
		}
	}
	return true
}

// SharedDatabaseError lists the clinics a shared-database setting would change (CON-2).
type SharedDatabaseError struct{ Clinics []string }

func (e *SharedDatabaseError) Error() string {
	return "this database is shared by " + strings.Join(e.Clinics, ", ") + ": resend with confirm_shared set to true"
}

// Is makes it a conflict.
func (e *SharedDatabaseError) Is(target error) bool { return target == clinic.ErrConflict }

func applyDatabase(ctx context.Context, tx *store.Tx, org clinic.OrgID, in DatabaseInput, v *clinic.Database, creating bool) error {
	var c input.Checker
	c.Text("name", in.Name, &v.Name, creating, true, 200)
	if creating {
		v.RespectOptOut = true // CON-1 default
	}
	if c.Required("kind", in.Kind != nil, creating) {
		if k := clinic.DatabaseKind(*in.Kind); k.Valid() {
			v.Kind = k
		} else {
			c.Add("kind", "must be one of builtin, fhir, hl7v2, csv")
		}
	}
	if c.Required("software_profile", in.Profile != nil, creating) {
		if p := clinic.SoftwareProfile(*in.Profile); p.Valid() {
			v.Profile = p
		} else {
			c.Add("software_profile", "must be one of generic, best_practice, medical_director, zedmed, optomate")
		}
	}
	if in.RespectOptOut != nil && *in.RespectOptOut != v.RespectOptOut && !v.Profile.CanReadOptOut() {
		// CON-4: the flag cannot be read, consent is managed in Tidings only; a stored
		// value would mean nothing (and would look as if it did).
		c.Add("respect_opt_out", "cannot be changed: this clinical software's opt-out flag cannot be read, so consent is managed in Tidings only")
		return c.Err()
	}
	if in.RespectOptOut != nil && *in.RespectOptOut != v.RespectOptOut {
		if !creating {
			cs, err := tx.Directory().ClinicsOfDatabase(ctx, org, v.ID)
			if err != nil {
				return err
			}
			if len(cs) > 1 && !in.confirmed(cs) {
				names := make([]string, len(cs))
				for i, c := range cs {
					names[i] = c.Name
				}
				return fmt.Errorf("update database %d: %w", v.ID, &clinic.ConflictError{Field: "confirm_shared",
					Reason: (&SharedDatabaseError{Clinics: names}).Error()})
			}
		}
		v.RespectOptOut = *in.RespectOptOut
	}
	return c.Err()
}

// CreateDatabase adds a clinical database. Errors: clinic.ErrForbidden,
// *clinic.ValidationError.
func (s *Service) CreateDatabase(ctx context.Context, actor clinic.Actor, in DatabaseInput) (clinic.Database, error) {
	return save(ctx, s, actor, "database.create", nil, nil,
		func(tx *store.Tx, v *clinic.Database, creating bool) error {
			return applyDatabase(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Database) (clinic.Database, error) {
			return tx.Directory().CreateDatabase(ctx, actor.OrgID, v)
		}, databaseView)
}

// UpdateDatabase changes a clinical database. Changing respect_opt_out of a database shared
// by several clinics needs ConfirmShared (CON-2), else a *clinic.ConflictError on
// confirm_shared naming the clinics. Errors also: clinic.ErrForbidden, clinic.ErrNotFound,
// *clinic.ValidationError.
func (s *Service) UpdateDatabase(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID, in DatabaseInput) (clinic.Database, error) {
	return save(ctx, s, actor, "database.update", nil,
		func(tx *store.Tx) (clinic.Database, error) { return tx.Directory().Database(ctx, actor.OrgID, id) },
		func(tx *store.Tx, v *clinic.Database, creating bool) error {
			return applyDatabase(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Database) (clinic.Database, error) {
			return tx.Directory().UpdateDatabase(ctx, actor.OrgID, v)
		}, databaseView)
}

// RulesInput changes some of a clinic's online booking rules (POR-2); absent fields are
// unchanged. grid_minutes 0 means start times follow each reason's own duration.
type RulesInput struct {
	HorizonDays        *int  `json:"horizon_days"`
	MinNoticeHours     *int  `json:"min_notice_hours"`
	CancelNoticeHours  *int  `json:"cancel_notice_hours"`
	GridMinutes        *int  `json:"grid_minutes"`
	AllowNoPreference  *bool `json:"allow_no_preference"`
	AllowOnlineChanges *bool `json:"allow_online_changes"`
}

// The limits of the booking rules.
const (
	MaxHorizonDays = 730 // two years of online booking
	MaxNoticeHours = 720 // thirty days
)

// ApplyRules merges in into rules, naming each refused field prefix+name (the API nests the
// rules under "booking.", the dashboard's form does not).
func ApplyRules(c *input.Checker, prefix string, in RulesInput, rules *clinic.BookingRules) {
	if in.HorizonDays != nil {
		if *in.HorizonDays < 1 || *in.HorizonDays > MaxHorizonDays {
			c.Add(prefix+"horizon_days", fmt.Sprintf("must be from 1 to %d days", MaxHorizonDays))
		} else {
			rules.HorizonDays = *in.HorizonDays
		}
	}
	hours := func(field string, in *int, dst *time.Duration) {
		if in == nil {
			return
		}
		if *in < 0 || *in > MaxNoticeHours {
			c.Add(prefix+field, fmt.Sprintf("must be from 0 to %d hours", MaxNoticeHours))
			return
		}
		// Parts of an hour set before (through the API, say) are kept when the whole
		// hours sent are the same.
		if *in != int(*dst/time.Hour) {
			*dst = time.Duration(*in) * time.Hour
		}
	}
	hours("min_notice_hours", in.MinNoticeHours, &rules.MinNotice)
	hours("cancel_notice_hours", in.CancelNoticeHours, &rules.CancelNotice)
	if g := in.GridMinutes; g != nil {
		if *g != 0 && *g != 15 && *g != 30 && *g != 60 {
			c.Add(prefix+"grid_minutes", "must be 15, 30, 60, or 0 for each reason's own duration")
		} else {
			rules.GridMinutes = *g
		}
	}
	if in.AllowNoPreference != nil {
		rules.AllowNoPreference = *in.AllowNoPreference
	}
	if in.AllowOnlineChanges != nil {
		rules.AllowOnlineChanges = *in.AllowOnlineChanges
	}
}

// ClinicInput creates or updates a clinic.
type ClinicInput struct {
	DatabaseID *int64      `json:"database_id"`
	Slug       *string     `json:"slug"`
	Name       *string     `json:"name"`
	Zone       *string     `json:"zone"`
	Region     *string     `json:"region"`
	Address    *string     `json:"address"`
	Booking    *RulesInput `json:"booking"`
	// Problems are a form's decoding problems, reported with the use case's own.
	Problems []clinic.FieldError `json:"-"`
}

func applyClinic(ctx context.Context, tx *store.Tx, org clinic.OrgID, in ClinicInput, v *clinic.Clinic, creating bool) error {
	var c input.Checker
	c.Text("name", in.Name, &v.Name, creating, true, 200)
	c.Slug("slug", in.Slug, &v.Slug, creating)
	c.Text("address", in.Address, &v.Address, creating, false, 500)
	if c.Required("zone", in.Zone != nil, creating) {
		if input.ValidZone(*in.Zone) {
			v.Zone = *in.Zone
		} else {
			c.Add("zone", input.ZoneReason)
		}
	}
	if c.Required("region", in.Region != nil, creating) {
		if r := strings.ToUpper(*in.Region); len(r) == 2 && r[0] >= 'A' && r[0] <= 'Z' && r[1] >= 'A' && r[1] <= 'Z' {
			v.Region = r
		} else {
			c.Add("region", "must be a two-letter country code such as AU")
		}
	}
	if creating {
		v.Rules = clinic.DefaultBookingRules()
	}
	if in.Booking != nil {
		ApplyRules(&c, "booking.", *in.Booking, &v.Rules)
	}
	err := c.Ref("database_id", in.DatabaseID, creating,
		func(id int64) error { _, err := tx.Directory().Database(ctx, org, clinic.DatabaseID(id)); return err },
		func(id int64) { v.DatabaseID = clinic.DatabaseID(id) })
	return errors.Join(err, c.Err())
}

// CreateClinic adds a clinic with the default booking rules changed by in.Booking.
// Errors: clinic.ErrForbidden, *clinic.ValidationError, clinic.ErrConflict (slug taken).
func (s *Service) CreateClinic(ctx context.Context, actor clinic.Actor, in ClinicInput) (clinic.Clinic, error) {
	return save(ctx, s, actor, "clinic.create", in.Problems, nil,
		func(tx *store.Tx, v *clinic.Clinic, creating bool) error {
			return applyClinic(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Clinic) (clinic.Clinic, error) {
			return tx.Directory().CreateClinic(ctx, actor.OrgID, v)
		}, clinicView)
}

// UpdateClinic changes a clinic, its booking rules included (the dashboard's booking rules
// page sends only Booking). A change of the booking rules alone is audited as
// "clinic.booking_rules", any other as "clinic.update". Errors: clinic.ErrForbidden,
// clinic.ErrNotFound, *clinic.ValidationError, clinic.ErrConflict.
func (s *Service) UpdateClinic(ctx context.Context, actor clinic.Actor, id clinic.ClinicID, in ClinicInput) (clinic.Clinic, error) {
	action := "clinic.update"
	if in.Booking != nil && in.DatabaseID == nil && in.Slug == nil && in.Name == nil && in.Zone == nil && in.Region == nil && in.Address == nil {
		action = "clinic.booking_rules"
	}
	return save(ctx, s, actor, action, in.Problems,
		func(tx *store.Tx) (clinic.Clinic, error) { return tx.Directory().Clinic(ctx, actor.OrgID, id) },
		func(tx *store.Tx, v *clinic.Clinic, creating bool) error {
			return applyClinic(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Clinic) (clinic.Clinic, error) {
			return tx.Directory().UpdateClinic(ctx, actor.OrgID, v)
		}, clinicView)
}

// PractitionerInput creates or updates a practitioner.
type PractitionerInput struct {
	Name  *string `json:"name"`
	Title *string `json:"title"`
}

func applyPractitioner(in PractitionerInput, v *clinic.Practitioner, creating bool) error {
	var c input.Checker
	c.Text("name", in.Name, &v.Name, creating, true, 200)
	c.Text("title", in.Title, &v.Title, creating, false, 200)
	return c.Err()
}

// CreatePractitioner adds a practitioner. Errors: clinic.ErrForbidden,
// *clinic.ValidationError.
func (s *Service) CreatePractitioner(ctx context.Context, actor clinic.Actor, in PractitionerInput) (clinic.Practitioner, error) {
	return save(ctx, s, actor, "practitioner.create", nil, nil,
		func(_ *store.Tx, v *clinic.Practitioner, creating bool) error {
			return applyPractitioner(in, v, creating)
		},
		func(tx *store.Tx, v clinic.Practitioner) (clinic.Practitioner, error) {
			return tx.Directory().CreatePractitioner(ctx, actor.OrgID, v)
		}, practitionerView)
}

// UpdatePractitioner changes a practitioner. Errors: clinic.ErrForbidden,
// clinic.ErrNotFound, *clinic.ValidationError.
func (s *Service) UpdatePractitioner(ctx context.Context, actor clinic.Actor, id clinic.PractitionerID, in PractitionerInput) (clinic.Practitioner, error) {
	return save(ctx, s, actor, "practitioner.update", nil,
		func(tx *store.Tx) (clinic.Practitioner, error) {
			return tx.Directory().Practitioner(ctx, actor.OrgID, id)
		},
		func(_ *store.Tx, v *clinic.Practitioner, creating bool) error {
			return applyPractitioner(in, v, creating)
		},
		func(tx *store.Tx, v clinic.Practitioner) (clinic.Practitioner, error) {
			return tx.Directory().UpdatePractitioner(ctx, actor.OrgID, v)
		}, practitionerView)
}

// AgendaInput creates or updates an agenda. practitioner_id 0 detaches it (a room).
type AgendaInput struct {
	ClinicID       *int64  `json:"clinic_id"`
	PractitionerID *int64  `json:"practitioner_id"`
	Name           *string `json:"name"`
	Active         *bool   `json:"active"`
}

func clinicExists(ctx context.Context, tx *store.Tx, org clinic.OrgID) func(int64) error {
	return func(id int64) error { _, err := tx.Directory().Clinic(ctx, org, clinic.ClinicID(id)); return err }
}

func applyAgenda(ctx context.Context, tx *store.Tx, org clinic.OrgID, in AgendaInput, v *clinic.Agenda, creating bool) error {
	var c input.Checker
	c.Text("name", in.Name, &v.Name, creating, true, 200)
	if creating {
		v.Active = true
	}
	if in.Active != nil {
		v.Active = *in.Active
	}
	if err := c.Ref("clinic_id", in.ClinicID, creating, clinicExists(ctx, tx, org), func(id int64) { v.ClinicID = clinic.ClinicID(id) }); err != nil {
		return err
	}
	if in.PractitionerID != nil && *in.PractitionerID == 0 {
		v.PractitionerID = nil
	} else if err := c.Ref("practitioner_id", in.PractitionerID, false,
		func(id int64) error {
			_, err := tx.Directory().Practitioner(ctx, org, clinic.PractitionerID(id))
			return err
		},
		func(id int64) { p := clinic.PractitionerID(id); v.PractitionerID = &p }); err != nil {
		return err
	}
	return c.Err()
}

// CreateAgenda adds an agenda. Errors: clinic.ErrForbidden, *clinic.ValidationError.
func (s *Service) CreateAgenda(ctx context.Context, actor clinic.Actor, in AgendaInput) (clinic.Agenda, error) {
	return save(ctx, s, actor, "agenda.create", nil, nil,
		func(tx *store.Tx, v *clinic.Agenda, creating bool) error {
			return applyAgenda(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Agenda) (clinic.Agenda, error) {
			return tx.Directory().CreateAgenda(ctx, actor.OrgID, v)
		}, agendaView)
}

// UpdateAgenda changes an agenda. Errors: clinic.ErrForbidden, clinic.ErrNotFound,
// *clinic.ValidationError.
func (s *Service) UpdateAgenda(ctx context.Context, actor clinic.Actor, id clinic.AgendaID, in AgendaInput) (clinic.Agenda, error) {
	return save(ctx, s, actor, "agenda.update", nil,
		func(tx *store.Tx) (clinic.Agenda, error) { return tx.Directory().Agenda(ctx, actor.OrgID, id) },
		func(tx *store.Tx, v *clinic.Agenda, creating bool) error {
			return applyAgenda(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Agenda) (clinic.Agenda, error) {
			return tx.Directory().UpdateAgenda(ctx, actor.OrgID, v)
		}, agendaView)
}

// ReasonInput creates or updates a reason; agenda_ids replaces the agendas offering it.
type ReasonInput struct {
	ClinicID           *int64  `json:"clinic_id"`
	Name               *string `json:"name"`
	DurationMinutes    *int    `json:"duration_minutes"`
	BufferAfterMinutes *int    `json:"buffer_after_minutes"`
	Notifications      *bool   `json:"notifications"`
	OnlineBookable     *bool   `json:"online_bookable"`
	// OnlineFor: all, existing or new (which patients may book it online).
	OnlineFor *string `json:"online_for"`
	AgendaIDs []int64 `json:"agenda_ids"`
	// Problems are a form's decoding problems, reported with the use case's own.
	Problems []clinic.FieldError `json:"-"`
}

// The limits of a reason.
const (
	MinDuration    = 5   // minutes
	MaxDuration    = 720 // minutes: a half-day procedure
	MaxBufferAfter = 240 // minutes
)

func applyReason(ctx context.Context, tx *store.Tx, org clinic.OrgID, in ReasonInput, v *clinic.Reason, creating bool) error {
	var c input.Checker
	c.Text("name", in.Name, &v.Name, creating, true, 200)
	c.Minutes("duration_minutes", in.DurationMinutes, &v.Duration, creating, true, MinDuration, MaxDuration)
	c.Minutes("buffer_after_minutes", in.BufferAfterMinutes, &v.BufferAfter, creating, false, 0, MaxBufferAfter)
	if creating {
		v.Notifications, v.OnlineBookable = true, true
	}
	if in.Notifications != nil {
		v.Notifications = *in.Notifications
	}
	if in.OnlineBookable != nil {
		v.OnlineBookable = *in.OnlineBookable
	}
	if creating || v.OnlineFor == "" {
		v.OnlineFor = clinic.OnlineForAll
	}
	if in.OnlineFor != nil {
		if o := clinic.OnlineFor(*in.OnlineFor); o.Valid() {
			v.OnlineFor = o
		} else {
			c.Add("online_for", "must be all, existing or new")
		}
	}
	if err := c.Ref("clinic_id", in.ClinicID, creating, clinicExists(ctx, tx, org), func(id int64) { v.ClinicID = clinic.ClinicID(id) }); err != nil {
		return err
	}
	if in.AgendaIDs != nil {
		v.AgendaIDs = v.AgendaIDs[:0:0]
		for i, id := range in.AgendaIDs {
			ag, err := tx.Directory().Agenda(ctx, org, clinic.AgendaID(id))
			field := fmt.Sprintf("agenda_ids[%d]", i)
			switch {
			case errors.Is(err, clinic.ErrNotFound):
				c.Add(field, "does not exist")
			case err != nil:
				return err
			case v.ClinicID != 0 && ag.ClinicID != v.ClinicID:
				c.Add(field, "belongs to another clinic")
			default:
				v.AgendaIDs = append(v.AgendaIDs, ag.ID)
			}
		}
	}
	return c.Err()
}

// CreateReason adds a consultation reason. Errors: clinic.ErrForbidden,
// *clinic.ValidationError.
func (s *Service) CreateReason(ctx context.Context, actor clinic.Actor, in ReasonInput) (clinic.Reason, error) {
	return save(ctx, s, actor, "reason.create", in.Problems, nil,
		func(tx *store.Tx, v *clinic.Reason, creating bool) error {
			return applyReason(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Reason) (clinic.Reason, error) {
			return tx.Directory().CreateReason(ctx, actor.OrgID, v)
		}, reasonView)
}

// UpdateReason changes a consultation reason. Errors: clinic.ErrForbidden,
// clinic.ErrNotFound, *clinic.ValidationError.
func (s *Service) UpdateReason(ctx context.Context, actor clinic.Actor, id clinic.ReasonID, in ReasonInput) (clinic.Reason, error) {
	return save(ctx, s, actor, "reason.update", in.Problems,
		func(tx *store.Tx) (clinic.Reason, error) { return tx.Directory().Reason(ctx, actor.OrgID, id) },
		func(tx *store.Tx, v *clinic.Reason, creating bool) error {
			return applyReason(ctx, tx, actor.OrgID, in, v, creating)
		},
		func(tx *store.Tx, v clinic.Reason) (clinic.Reason, error) {
			return tx.Directory().UpdateReason(ctx, actor.OrgID, v)
		}, reasonView)
}
