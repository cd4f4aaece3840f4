package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"fmt"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Patient is a patient record of one clinical database.
type Patient struct {
	ID         int64  `json:"id"`
	DatabaseID int64  `json:"database_id"`
	ExternalID string `json:"external_id"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	BirthDate  string `json:"birth_date"`
	Mobile     string `json:"mobile"`
	Email      string `json:"email"`
	Language   string `json:"language"`
	PMSOptOut  bool   `json:"pms_opt_out"`
	// PMSOptOutReadAt is when pms_opt_out was last read from the clinical software (or
	// set through the API); null when never.
	PMSOptOutReadAt *time.Time `json:"pms_opt_out_read_at"`
	// Notifications is the patient switch (CON-7); PUT /patients/{id}/notifications sets it.
	Notifications bool      `json:"notifications"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// PatientInput creates or updates a patient (see patient.Input: the one normalisation).
type PatientInput patient.Input

// PatientSearch finds patients by data that must not travel in a URL.
type PatientSearch struct {
	Name       string `json:"name,omitempty"`
	Mobile     string `json:"mobile,omitempty"`
	Email      string `json:"email,omitempty"`
	DatabaseID int64  `json:"database_id,omitempty"`
	Limit      int    `json:"limit,omitempty"`
	Cursor     string `json:"cursor,omitempty"`
}

// Relative is a patient linked to another.
type Relative struct {
	Relationship string  `json:"relationship"`
	Patient      Patient `json:"patient"`
}

// RelativeInput links a relative: relationship says what relative_id is to the patient.
type RelativeInput = patient.RelativeInput

func patientOut(p clinic.Patient) Patient {
	return Patient{ID: int64(p.ID), DatabaseID: int64(p.DatabaseID), ExternalID: p.ExternalID, GivenName: p.GivenName, FamilyName: p.FamilyName,
		BirthDate: p.BirthDate, Mobile: p.Mobile, Email: p.Email, Language: p.Language, PMSOptOut: p.PMSOptOut,
		PMSOptOutReadAt: p.PMSOptOutReadAt, Notifications: !p.NotificationsOff, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (a *API) patientCrud() crud[clinic.Patient, PatientInput, Patient] {
	return crud[clinic.Patient, PatientInput, Patient]{
		path: "/patients", tag: "Patients", noun: "patient", readPerm: clinic.PermReadPatients, writePerm: clinic.PermWritePatients,
		listQuery: []web.Param{{Name: "database_id", Type: "integer", Description: "only this database's patients"},
			{Name: "external_id", Type: "string", Description: "the PMS's identifier (with database_id)"}},
		get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Patient, error) {
			return tx.Patients().Patient(ctx, org, clinic.PatientID(id))
		},
		list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Patient, error) {
			f := store.PatientFilter{DatabaseID: clinic.DatabaseID(q.id("database_id")), ExternalID: q.str("external_id")}
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Patient, error) {
				return tx.Patients().ListPatients(ctx, org, f, p)
			}
		},
		create: func(ctx context.Context, actor clinic.Actor, in PatientInput) (clinic.Patient, error) {
			return a.patients.Create(ctx, actor, patient.Input(in))
		},
		update: func(ctx context.Context, actor clinic.Actor, id int64, in PatientInput) (clinic.Patient, error) {
			return a.patients.Update(ctx, actor, clinic.PatientID(id), patient.Input(in))
		},
		out:      patientOut,
		id:       func(p clinic.Patient) int64 { return int64(p.ID) },
		patients: func(p clinic.Patient) []clinic.PatientID { return []clinic.PatientID{p.ID} },
	}
}

func (a *API) patientRoutes() []web.Route {
	rs := a.patientCrud().routes(a)
	rs = append(rs,
		web.Route{Method: http.MethodPost, Pattern: Prefix + "/patients/search", Perm: clinic.PermReadPatients, Handler: a.handler(a.searchPatients),
			Doc: &web.Doc{Summary: "Search patients by name, mobile or e-mail (in the body: never in a URL)", Tag: "Patients", Request: PatientSearch{}, Response: Patient{}, List: true}},
		web.Route{Method: http.MethodGet, Pattern: Prefix + "/patients/{id}/relatives", Perm: clinic.PermReadPatients, Handler: a.handler(a.relatives),
			Doc: &web.Doc{Summary: "List a patient's relatives", Tag: "Patients", Response: Relative{}, List: true}},
		web.Route{Method: http.MethodPost, Pattern: Prefix + "/patients/{id}/relatives", Perm: clinic.PermWritePatients, Handler: a.handler(a.linkRelative),
			Doc: &web.Doc{Summary: "Link a relative", Tag: "Patients", Request: RelativeInput{}, Response: Relative{}, List: true, Status: http.StatusCreated}},
	)
	return rs
}

func (a *API) searchPatients(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in PatientSearch
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	page := store.Page{Limit: in.Limit}
	if in.Limit < 0 || in.Limit > 500 {
		c.Add("limit", "must be an integer from 1 to 500")
	}
	if in.Cursor != "" {
		n, err := decodeCursor(in.Cursor)
		if err != nil {
			c.Add("cursor", "is not a cursor this API returned")
		}
		page.After = n
	}
	f := store.PatientFilter{Name: in.Name, DatabaseID: clinic.DatabaseID(in.DatabaseID)}
	if in.Email != "" {
		e, err := contact.Email(in.Email)
		if err := patient.ContactError(&c, "email", err); err != nil {
			return 0, nil, err
		}
		f.Email = e
	}
	if p := patient.SearchNameProblem(in.Name); p != "" {
		c.Add("name", p)
	}
	if len(in.Mobile) > patient.MaxSearchLen {
		c.Add("mobile", fmt.Sprintf("must be at most %d characters", patient.MaxSearchLen))
	}
	if strings.TrimSpace(in.Name) == "" && in.Mobile == "" && in.Email == "" {
		c.Add("name", "give a name, a mobile or an e-mail to search for")
	}
	org := web.MustActor(ctx).OrgID
	var ps []clinic.Patient
	err := a.db.View(ctx, func(tx *store.Tx) error {
		if in.Mobile != "" {
			// A national number is read with the region of the organisation's first clinic.
			region := "AU"
			if cs, err := tx.Directory().Clinics(ctx, org, store.Page{Limit: 1}); err == nil && len(cs) > 0 {
				region = cs[0].Region
			}
			m, err := contact.Mobile(in.Mobile, region)
			if err := patient.ContactError(&c, "mobile", err); err != nil {
				return err
			}
			f.Mobile = m
		}
		if err := c.Err(); err != nil {
			return err
		}
		var err error
		ps, err = tx.Patients().ListPatients(ctx, org, f, page)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	ids := make([]clinic.PatientID, len(ps))
	out := ListOf[Patient]{Items: make([]Patient, len(ps))}
	for i, p := range ps {
		ids[i], out.Items[i] = p.ID, patientOut(p)
	}
	if err := web.AuditRead(ctx, a.db, "patient.search", ids...); err != nil {
		return 0, nil, err
	}
	if len(ps) == page.Size() {
		out.NextCursor = encodeCursor(int64(ps[len(ps)-1].ID))
	}
	return http.StatusOK, out, nil
}

func (a *API) relatives(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	org := web.MustActor(ctx).OrgID
	var rs []clinic.Relative
	err = a.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Patients().Patient(ctx, org, clinic.PatientID(id)); err != nil {
			return err
		}
		rs, err = tx.Patients().Relatives(ctx, org, clinic.PatientID(id))
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	ids := []clinic.PatientID{clinic.PatientID(id)}
	out := ListOf[Relative]{Items: []Relative{}}
	for _, x := range rs {
		ids = append(ids, x.Patient.ID)
		out.Items = append(out.Items, Relative{Relationship: string(x.Relationship), Patient: patientOut(x.Patient)})
	}
	if err := web.AuditRead(ctx, a.db, "patient.relatives", ids...); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (a *API) linkRelative(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in RelativeInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	rs, err := a.patients.LinkRelative(ctx, web.MustActor(ctx), clinic.PatientID(id), in)
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[Relative]{Items: []Relative{}}
	for _, x := range rs {
		out.Items = append(out.Items, Relative{Relationship: string(x.Relationship), Patient: patientOut(x.Patient)})
	}
	return http.StatusCreated, out, nil
}
