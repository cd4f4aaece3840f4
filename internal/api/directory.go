package api

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
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
			err := a.db.View(ctx, func(tx *store.Tx) (err error) {
				o, err = tx.Directory().Organisation(ctx, web.MustActor(ctx).OrgID)
				return err
			})
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

// DatabaseInput creates or updates a database (see directory.DatabaseInput).
type DatabaseInput = directory.DatabaseInput

// SharedDatabaseError lists the clinics a shared-database setting would change (CON-2).
type SharedDatabaseError = directory.SharedDatabaseError

func (a *API) databaseRoutes() []web.Route {
	return crud[clinic.Database, DatabaseInput, Database]{
		path: "/databases", tag: "Directory", noun: "database", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Database, error) {
			return tx.Directory().Database(ctx, org, clinic.DatabaseID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Database, error) {
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Database, error) {
				return tx.Directory().Databases(ctx, org, p)
			}
		},
		create: a.directory.CreateDatabase,
		update: func(ctx context.Context, actor clinic.Actor, id int64, in DatabaseInput) (clinic.Database, error) {
			return a.directory.UpdateDatabase(ctx, actor, clinic.DatabaseID(id), in)
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
type RulesInput = directory.RulesInput

// ClinicInput creates or updates a clinic.
type ClinicInput = directory.ClinicInput

func (a *API) clinicRoutes() []web.Route {
	return crud[clinic.Clinic, ClinicInput, Clinic]{
		path: "/clinics", tag: "Directory", noun: "clinic", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Clinic, error) {
			return tx.Directory().Clinic(ctx, org, clinic.ClinicID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Clinic, error) {
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Clinic, error) {
				return tx.Directory().Clinics(ctx, org, p)
			}
		},
		create: a.directory.CreateClinic,
		update: func(ctx context.Context, actor clinic.Actor, id int64, in ClinicInput) (clinic.Clinic, error) {
			return a.directory.UpdateClinic(ctx, actor, clinic.ClinicID(id), in)
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
type PractitionerInput = directory.PractitionerInput

func (a *API) practitionerRoutes() []web.Route {
	return crud[clinic.Practitioner, PractitionerInput, Practitioner]{
		path: "/practitioners", tag: "Directory", noun: "practitioner", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Practitioner, error) {
			return tx.Directory().Practitioner(ctx, org, clinic.PractitionerID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Practitioner, error) {
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Practitioner, error) {
				return tx.Directory().Practitioners(ctx, org, p)
			}
		},
		create: a.directory.CreatePractitioner,
		update: func(ctx context.Context, actor clinic.Actor, id int64, in PractitionerInput) (clinic.Practitioner, error) {
			return a.directory.UpdatePractitioner(ctx, actor, clinic.PractitionerID(id), in)
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
type AgendaInput = directory.AgendaInput

func (a *API) agendaRoutes() []web.Route {
	return crud[clinic.Agenda, AgendaInput, Agenda]{
		path: "/agendas", tag: "Directory", noun: "agenda", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		listQuery: []web.Param{{Name: "clinic_id", Type: "integer", Description: "only this clinic's agendas"}},
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Agenda, error) {
			return tx.Directory().Agenda(ctx, org, clinic.AgendaID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Agenda, error) {
			f := store.AgendaFilter{ClinicID: clinic.ClinicID(q.id("clinic_id"))}
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Agenda, error) {
				return tx.Directory().Agendas(ctx, org, f, p)
			}
		},
		create: a.directory.CreateAgenda,
		update: func(ctx context.Context, actor clinic.Actor, id int64, in AgendaInput) (clinic.Agenda, error) {
			return a.directory.UpdateAgenda(ctx, actor, clinic.AgendaID(id), in)
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
	OnlineFor          string    `json:"online_for"` // all, existing or new: who may book it online
	AgendaIDs          []int64   `json:"agenda_ids"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// ReasonInput creates or updates a reason; agenda_ids replaces the agendas offering it.
type ReasonInput = directory.ReasonInput

func (a *API) reasonRoutes() []web.Route {
	return crud[clinic.Reason, ReasonInput, Reason]{
		path: "/reasons", tag: "Directory", noun: "reason", readPerm: clinic.PermReadDirectory, writePerm: clinic.PermManageDirectory,
		listQuery: []web.Param{{Name: "clinic_id", Type: "integer", Description: "only this clinic's reasons"}},
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Reason, error) {
			return tx.Directory().Reason(ctx, org, clinic.ReasonID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Reason, error) {
			f := store.ReasonFilter{ClinicID: clinic.ClinicID(q.id("clinic_id"))}
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Reason, error) {
				return tx.Directory().Reasons(ctx, org, f, p)
			}
		},
		create: a.directory.CreateReason,
		update: func(ctx context.Context, actor clinic.Actor, id int64, in ReasonInput) (clinic.Reason, error) {
			return a.directory.UpdateReason(ctx, actor, clinic.ReasonID(id), in)
		},
		out: func(x clinic.Reason) Reason {
			out := Reason{ID: int64(x.ID), ClinicID: int64(x.ClinicID), Name: x.Name, DurationMinutes: int(x.Duration / time.Minute),
				BufferAfterMinutes: int(x.BufferAfter / time.Minute), Notifications: x.Notifications, OnlineBookable: x.OnlineBookable, OnlineFor: string(x.OnlineFor),
				AgendaIDs: []int64{}, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
			for _, id := range x.AgendaIDs {
				out.AgendaIDs = append(out.AgendaIDs, int64(id))
			}
			return out
		},
		id: func(x clinic.Reason) int64 { return int64(x.ID) },
	}.routes(a)
}
