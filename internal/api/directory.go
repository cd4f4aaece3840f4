package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Organisation is the caller's organisation.
type Organisation struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (a *API) organisationRoutes() []web.Route {
	return []web.Route{{Method: http.MethodGet, Pattern: Prefix + "/organisation", Perm: clinic.PermReadDirectory,
		Doc: &web.Doc{Summary: "Read the caller's organisation", Tag: "Directory", Response: Organisation{}},
		Handler: a.handler(func(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
			var o clinic.Organisation
			err := a.db.View(ctx, func(tx *store.Tx) (err error) { o, err = tx.Organisation(ctx, web.MustActor(ctx).OrgID); return err })
			return http.StatusOK, Organisation{ID: int64(o.ID), Slug: o.Slug, Name: o.Name}, err
		})}}
}

// Database is a clinical database Tidings syncs from.
type Database struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Kind           string    `json:"kind"`
	Profile        string    `json:"software_profile"`
	RespectOptOut  bool      `json:"respect_opt_out"`
	OptOutReadable bool      `json:"opt_out_readable"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// DatabaseInput creates or updates a database. ConfirmShared must be true to change
// respect_opt_out of a database that several clinics share (CON-2).
type DatabaseInput struct {
	Name          *string `json:"name"`
	Kind          *string `json:"kind"`
	Profile       *string `json:"software_profile"`
	RespectOptOut *bool   `json:"respect_opt_out"`
	ConfirmShared bool    `json:"confirm_shared,omitempty"`
}

// SharedDatabaseError lists the clinics a shared-database setting would change (CON-2).
type SharedDatabaseError struct{ Clinics []string }

func (e *SharedDatabaseError) Error() string {
	return "this database is shared by " + strings.Join(e.Clinics, ", ") + ": resend with confirm_shared set to true"
}

// Is makes it a conflict.
func (e *SharedDatabaseError) Is(target error) bool { return target == clinic.ErrConflict }

func (a *API) databaseRoutes() []web.Route {
	return crud[clinic.Database, DatabaseInput, Database]{
		path: "/databases", tag: "Directory", noun: "database", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Database, error) {
			return tx.Database(ctx, org, clinic.DatabaseID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Database, error) {
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Database, error) {
				return tx.Databases(ctx, org, p)
			}
		},
		create: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Database) (clinic.Database, error) {
			return tx.CreateDatabase(ctx, org, v)
		},
		update: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Database) (clinic.Database, error) {
			return tx.UpdateDatabase(ctx, org, v)
		},
		apply: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, in DatabaseInput, v *clinic.Database, creating bool) error {
			var c checker
			c.text("name", in.Name, &v.Name, creating, true, 200)
			if creating {
				v.RespectOptOut = true // CON-1 default
			}
			if c.required("kind", in.Kind != nil, creating) {
				if k := clinic.DatabaseKind(*in.Kind); k.Valid() {
					v.Kind = k
				} else {
					c.Add("kind", "must be one of builtin, fhir, hl7v2, csv")
				}
			}
			if c.required("software_profile", in.Profile != nil, creating) {
				if p := clinic.SoftwareProfile(*in.Profile); p.Valid() {
					v.Profile = p
				} else {
					c.Add("software_profile", "must be one of generic, best_practice, medical_director, zedmed, optomate")
				}
			}
			if in.RespectOptOut != nil && *in.RespectOptOut != v.RespectOptOut {
				if !creating {
					cs, err := tx.ClinicsOfDatabase(ctx, org, v.ID)
					if err != nil {
						return err
					}
					if len(cs) > 1 && !in.ConfirmShared {
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
		},
		out: func(d clinic.Database) Database {
			return Database{ID: int64(d.ID), Name: d.Name, Kind: string(d.Kind), Profile: string(d.Profile), RespectOptOut: d.RespectOptOut,
				OptOutReadable: d.Profile.CanReadOptOut(), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
		},
		id: func(d clinic.Database) int64 { return int64(d.ID) },
	}.routes(a)
}

// Clinic is one location.
type Clinic struct {
	ID         int64     `json:"id"`
	DatabaseID int64     `json:"database_id"`
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	Zone       string    `json:"zone"`
	Region     string    `json:"region"`
	Address    string    `json:"address"`
	Booking    Rules     `json:"booking"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Rules are a clinic's online booking settings (POR-2). grid_minutes 0 means start times
// follow each reason's own duration.
type Rules struct {
	HorizonDays        int  `json:"horizon_days"`
	MinNoticeHours     int  `json:"min_notice_hours"`
	CancelNoticeHours  int  `json:"cancel_notice_hours"`
	GridMinutes        int  `json:"grid_minutes"`
	AllowNoPreference  bool `json:"allow_no_preference"`
	AllowOnlineChanges bool `json:"allow_online_changes"`
}

// RulesInput changes some booking settings; absent fields are unchanged.
type RulesInput struct {
	HorizonDays        *int  `json:"horizon_days"`
	MinNoticeHours     *int  `json:"min_notice_hours"`
	CancelNoticeHours  *int  `json:"cancel_notice_hours"`
	GridMinutes        *int  `json:"grid_minutes"`
	AllowNoPreference  *bool `json:"allow_no_preference"`
	AllowOnlineChanges *bool `json:"allow_online_changes"`
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
}

func clinicExists(ctx context.Context, tx *store.Tx, org clinic.OrgID) func(int64) error {
	return func(id int64) error { _, err := tx.Clinic(ctx, org, clinic.ClinicID(id)); return err }
}

func (a *API) clinicRoutes() []web.Route {
	return crud[clinic.Clinic, ClinicInput, Clinic]{
		path: "/clinics", tag: "Directory", noun: "clinic", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Clinic, error) {
			return tx.Clinic(ctx, org, clinic.ClinicID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Clinic, error) {
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Clinic, error) {
				return tx.Clinics(ctx, org, p)
			}
		},
		create: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Clinic) (clinic.Clinic, error) {
			return tx.CreateClinic(ctx, org, v)
		},
		update: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Clinic) (clinic.Clinic, error) {
			return tx.UpdateClinic(ctx, org, v)
		},
		apply: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, in ClinicInput, v *clinic.Clinic, creating bool) error {
			var c checker
			c.text("name", in.Name, &v.Name, creating, true, 200)
			c.slug("slug", in.Slug, &v.Slug, creating)
			c.text("address", in.Address, &v.Address, creating, false, 500)
			if c.required("zone", in.Zone != nil, creating) {
				if _, err := time.LoadLocation(*in.Zone); err != nil || *in.Zone == "" || strings.EqualFold(*in.Zone, "local") {
					c.Add("zone", "must be an IANA time zone such as Australia/Sydney")
				} else {
					v.Zone = *in.Zone
				}
			}
			if c.required("region", in.Region != nil, creating) {
				if r := strings.ToUpper(*in.Region); len(r) == 2 && r[0] >= 'A' && r[0] <= 'Z' && r[1] >= 'A' && r[1] <= 'Z' {
					v.Region = r
				} else {
					c.Add("region", "must be a two-letter country code such as AU")
				}
			}
			if creating {
				v.Rules = clinic.DefaultBookingRules()
			}
			if b := in.Booking; b != nil {
				if b.HorizonDays != nil {
					if *b.HorizonDays < 1 || *b.HorizonDays > 730 {
						c.Add("booking.horizon_days", "must be from 1 to 730 days")
					} else {
						v.Rules.HorizonDays = *b.HorizonDays
					}
				}
				hours := func(field string, in *int, dst *time.Duration) {
					if in == nil {
						return
					}
					if *in < 0 || *in > 720 {
						c.Add(field, "must be from 0 to 720 hours")
						return
					}
					*dst = time.Duration(*in) * time.Hour
				}
				hours("booking.min_notice_hours", b.MinNoticeHours, &v.Rules.MinNotice)
				hours("booking.cancel_notice_hours", b.CancelNoticeHours, &v.Rules.CancelNotice)
				if g := b.GridMinutes; g != nil {
					if *g != 0 && *g != 15 && *g != 30 && *g != 60 {
						c.Add("booking.grid_minutes", "must be 15, 30, 60, or 0 for each reason's own duration")
					} else {
						v.Rules.GridMinutes = *g
					}
				}
				if b.AllowNoPreference != nil {
					v.Rules.AllowNoPreference = *b.AllowNoPreference
				}
				if b.AllowOnlineChanges != nil {
					v.Rules.AllowOnlineChanges = *b.AllowOnlineChanges
				}
			}
			err := c.ref("database_id", in.DatabaseID, creating,
				func(id int64) error { _, err := tx.Database(ctx, org, clinic.DatabaseID(id)); return err },
				func(id int64) { v.DatabaseID = clinic.DatabaseID(id) })
			return errors.Join(err, c.Err())
		},
		out: func(x clinic.Clinic) Clinic {
			return Clinic{ID: int64(x.ID), DatabaseID: int64(x.DatabaseID), Slug: x.Slug, Name: x.Name, Zone: x.Zone, Region: x.Region,
				Address: x.Address, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt,
				Booking: Rules{HorizonDays: x.Rules.HorizonDays, MinNoticeHours: int(x.Rules.MinNotice / time.Hour),
					CancelNoticeHours: int(x.Rules.CancelNotice / time.Hour), GridMinutes: x.Rules.GridMinutes,
					AllowNoPreference: x.Rules.AllowNoPreference, AllowOnlineChanges: x.Rules.AllowOnlineChanges}}
		},
		id: func(x clinic.Clinic) int64 { return int64(x.ID) },
	}.routes(a)
}

// Practitioner is a healthcare professional.
type Practitioner struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PractitionerInput creates or updates a practitioner.
type PractitionerInput struct {
	Name  *string `json:"name"`
	Title *string `json:"title"`
}

func (a *API) practitionerRoutes() []web.Route {
	return crud[clinic.Practitioner, PractitionerInput, Practitioner]{
		path: "/practitioners", tag: "Directory", noun: "practitioner", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Practitioner, error) {
			return tx.Practitioner(ctx, org, clinic.PractitionerID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Practitioner, error) {
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Practitioner, error) {
				return tx.Practitioners(ctx, org, p)
			}
		},
		create: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Practitioner) (clinic.Practitioner, error) {
			return tx.CreatePractitioner(ctx, org, v)
		},
		update: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Practitioner) (clinic.Practitioner, error) {
			return tx.UpdatePractitioner(ctx, org, v)
		},
		apply: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, in PractitionerInput, v *clinic.Practitioner, creating bool) error {
			var c checker
			c.text("name", in.Name, &v.Name, creating, true, 200)
			c.text("title", in.Title, &v.Title, creating, false, 200)
			return c.Err()
		},
		out: func(p clinic.Practitioner) Practitioner {
			return Practitioner{ID: int64(p.ID), Name: p.Name, Title: p.Title, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
		},
		id: func(p clinic.Practitioner) int64 { return int64(p.ID) },
	}.routes(a)
}

// Agenda is a bookable calendar.
type Agenda struct {
	ID             int64     `json:"id"`
	ClinicID       int64     `json:"clinic_id"`
	PractitionerID *int64    `json:"practitioner_id"`
	Name           string    `json:"name"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// AgendaInput creates or updates an agenda. practitioner_id 0 detaches it (a room).
type AgendaInput struct {
	ClinicID       *int64  `json:"clinic_id"`
	PractitionerID *int64  `json:"practitioner_id"`
	Name           *string `json:"name"`
	Active         *bool   `json:"active"`
}

func (a *API) agendaRoutes() []web.Route {
	return crud[clinic.Agenda, AgendaInput, Agenda]{
		path: "/agendas", tag: "Directory", noun: "agenda", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		listQuery: []web.Param{{Name: "clinic_id", Type: "integer", Description: "only this clinic's agendas"}},
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Agenda, error) {
			return tx.Agenda(ctx, org, clinic.AgendaID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Agenda, error) {
			f := store.AgendaFilter{ClinicID: clinic.ClinicID(q.id("clinic_id"))}
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Agenda, error) {
				return tx.Agendas(ctx, org, f, p)
			}
		},
		create: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Agenda) (clinic.Agenda, error) {
			return tx.CreateAgenda(ctx, org, v)
		},
		update: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Agenda) (clinic.Agenda, error) {
			return tx.UpdateAgenda(ctx, org, v)
		},
		apply: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, in AgendaInput, v *clinic.Agenda, creating bool) error {
			var c checker
			c.text("name", in.Name, &v.Name, creating, true, 200)
			if creating {
				v.Active = true
			}
			if in.Active != nil {
				v.Active = *in.Active
			}
			if err := c.ref("clinic_id", in.ClinicID, creating, clinicExists(ctx, tx, org), func(id int64) { v.ClinicID = clinic.ClinicID(id) }); err != nil {
				return err
			}
			if in.PractitionerID != nil && *in.PractitionerID == 0 {
				v.PractitionerID = nil
			} else if err := c.ref("practitioner_id", in.PractitionerID, false,
				func(id int64) error { _, err := tx.Practitioner(ctx, org, clinic.PractitionerID(id)); return err },
				func(id int64) { p := clinic.PractitionerID(id); v.PractitionerID = &p }); err != nil {
				return err
			}
			return c.Err()
		},
		out: func(x clinic.Agenda) Agenda {
			out := Agenda{ID: int64(x.ID), ClinicID: int64(x.ClinicID), Name: x.Name, Active: x.Active, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
			if x.PractitionerID != nil {
				id := int64(*x.PractitionerID)
				out.PractitionerID = &id
			}
			return out
		},
		id: func(x clinic.Agenda) int64 { return int64(x.ID) },
	}.routes(a)
}

// Reason is a consultation reason.
type Reason struct {
	ID                 int64     `json:"id"`
	ClinicID           int64     `json:"clinic_id"`
	Name               string    `json:"name"`
	DurationMinutes    int       `json:"duration_minutes"`
	BufferAfterMinutes int       `json:"buffer_after_minutes"`
	Notifications      bool      `json:"notifications"`
	OnlineBookable     bool      `json:"online_bookable"`
	AgendaIDs          []int64   `json:"agenda_ids"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// ReasonInput creates or updates a reason; agenda_ids replaces the agendas offering it.
type ReasonInput struct {
	ClinicID           *int64  `json:"clinic_id"`
	Name               *string `json:"name"`
	DurationMinutes    *int    `json:"duration_minutes"`
	BufferAfterMinutes *int    `json:"buffer_after_minutes"`
	Notifications      *bool   `json:"notifications"`
	OnlineBookable     *bool   `json:"online_bookable"`
	AgendaIDs          []int64 `json:"agenda_ids"`
}

func (a *API) reasonRoutes() []web.Route {
	return crud[clinic.Reason, ReasonInput, Reason]{
		path: "/reasons", tag: "Directory", noun: "reason", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		listQuery: []web.Param{{Name: "clinic_id", Type: "integer", Description: "only this clinic's reasons"}},
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Reason, error) {
			return tx.Reason(ctx, org, clinic.ReasonID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Reason, error) {
			f := store.ReasonFilter{ClinicID: clinic.ClinicID(q.id("clinic_id"))}
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Reason, error) {
				return tx.Reasons(ctx, org, f, p)
			}
		},
		create: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Reason) (clinic.Reason, error) {
			return tx.CreateReason(ctx, org, v)
		},
		update: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Reason) (clinic.Reason, error) {
			return tx.UpdateReason(ctx, org, v)
		},
		apply: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, in ReasonInput, v *clinic.Reason, creating bool) error {
			var c checker
			c.text("name", in.Name, &v.Name, creating, true, 200)
			c.minutes("duration_minutes", in.DurationMinutes, &v.Duration, creating, true, 5, 720)
			c.minutes("buffer_after_minutes", in.BufferAfterMinutes, &v.BufferAfter, creating, false, 0, 240)
			if creating {
				v.Notifications, v.OnlineBookable = true, true
			}
			if in.Notifications != nil {
				v.Notifications = *in.Notifications
			}
			if in.OnlineBookable != nil {
				v.OnlineBookable = *in.OnlineBookable
			}
			if err := c.ref("clinic_id", in.ClinicID, creating, clinicExists(ctx, tx, org), func(id int64) { v.ClinicID = clinic.ClinicID(id) }); err != nil {
				return err
			}
			if in.AgendaIDs != nil {
				v.AgendaIDs = v.AgendaIDs[:0:0]
				for i, id := range in.AgendaIDs {
					ag, err := tx.Agenda(ctx, org, clinic.AgendaID(id))
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
		},
		out: func(x clinic.Reason) Reason {
			out := Reason{ID: int64(x.ID), ClinicID: int64(x.ClinicID), Name: x.Name, DurationMinutes: int(x.Duration / time.Minute),
				BufferAfterMinutes: int(x.BufferAfter / time.Minute), Notifications: x.Notifications, OnlineBookable: x.OnlineBookable,
				AgendaIDs: []int64{}, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
			for _, id := range x.AgendaIDs {
				out.AgendaIDs = append(out.AgendaIDs, int64(id))
			}
			return out
		},
		id: func(x clinic.Reason) int64 { return int64(x.ID) },
	}.routes(a)
}
