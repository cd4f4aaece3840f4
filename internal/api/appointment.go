package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Appointment is a patient's booking.
type Appointment struct {
	ID         int64     `json:"id"`
	ClinicID   int64     `json:"clinic_id"`
	AgendaID   int64     `json:"agenda_id"`
	ReasonID   int64     `json:"reason_id"`
	PatientID  int64     `json:"patient_id"`
	ExternalID string    `json:"external_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Status     string    `json:"status"`
	BookedBy   string    `json:"booked_by"`
	Note       string    `json:"note"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// AppointmentInput creates or updates an appointment. Times are RFC 3339 with an offset;
// end defaults to start plus the reason's duration. An update must carry the version it
// was read at (compare-and-swap): a stale version gets 409.
type AppointmentInput struct {
	AgendaID   *int64  `json:"agenda_id"`
	ReasonID   *int64  `json:"reason_id"`
	PatientID  *int64  `json:"patient_id"`
	ExternalID *string `json:"external_id"`
	Start      *string `json:"start"`
	End        *string `json:"end"`
	Status     *string `json:"status"`
	BookedBy   *string `json:"booked_by"`
	Note       *string `json:"note"`
	Version    *int64  `json:"version"`
}

// StatusInput sets an appointment's status (arrived, seen, ...), for roles that may mark
// attendance but not move bookings.
type StatusInput struct {
	Status  *string `json:"status"`
	Version *int64  `json:"version"`
}

func appointmentOut(a clinic.Appointment) Appointment {
	return Appointment{ID: int64(a.ID), ClinicID: int64(a.ClinicID), AgendaID: int64(a.AgendaID), ReasonID: int64(a.ReasonID), PatientID: int64(a.PatientID),
		ExternalID: a.ExternalID, Start: a.Start, End: a.End, Status: string(a.Status), BookedBy: string(a.BookedBy), Note: a.Note,
		Version: a.Version, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func (c *checker) status(field string, in *string, dst *clinic.Status) {
	if in == nil {
		return
	}
	if s := clinic.Status(*in); s.Valid() {
		*dst = s
		return
	}
	c.Add(field, statusReason)
}

const statusReason = "must be one of booked, confirmed, arrived, seen, no_show, excused_absence, cancelled"

// instant merges an RFC 3339 time with an explicit offset, to the second.
func (c *checker) instant(field string, in *string, dst *time.Time) bool {
	if in == nil {
		return false
	}
	t, err := time.Parse(time.RFC3339, *in)
	if err != nil {
		c.Add(field, "must be an RFC 3339 time with an offset, such as 2026-03-01T09:00:00+11:00")
		return false
	}
	*dst = t.UTC().Truncate(time.Second)
	return true
}

func (c *checker) version(in *int64, v *clinic.Appointment, creating bool) {
	if creating {
		return
	}
	if in == nil {
		c.Add("version", "is required: send the version you read, so that a concurrent change is not overwritten")
		return
	}
	v.Version = *in
}

func applyAppointment(ctx context.Context, tx *store.Tx, org clinic.OrgID, in AppointmentInput, v *clinic.Appointment, creating bool) error {
	var c checker
	c.version(in.Version, v, creating)
	if creating {
		v.Status, v.BookedBy = clinic.StatusBooked, clinic.BookedByStaff
	}
	c.status("status", in.Status, &v.Status)
	if in.BookedBy != nil {
		if !creating {
			c.Add("booked_by", "cannot change after booking")
		} else if b := clinic.BookedBy(*in.BookedBy); b == clinic.BookedByStaff || b == clinic.BookedBySync {
			v.BookedBy = b
		} else {
			c.Add("booked_by", "must be staff or sync")
		}
	}
	c.text("note", in.Note, &v.Note, creating, false, 2000)
	c.text("external_id", in.ExternalID, &v.ExternalID, creating, false, 100)
	var agenda clinic.Agenda
	var reason clinic.Reason
	var patient clinic.Patient
	err := errors.Join(
		c.ref("agenda_id", in.AgendaID, creating,
			func(id int64) (err error) { agenda, err = tx.Agenda(ctx, org, clinic.AgendaID(id)); return err },
			func(id int64) { v.AgendaID = clinic.AgendaID(id) }),
		c.ref("reason_id", in.ReasonID, creating,
			func(id int64) (err error) { reason, err = tx.Reason(ctx, org, clinic.ReasonID(id)); return err },
			func(id int64) { v.ReasonID = clinic.ReasonID(id) }),
		c.ref("patient_id", in.PatientID, creating,
			func(id int64) (err error) { patient, err = tx.Patient(ctx, org, clinic.PatientID(id)); return err },
			func(id int64) { v.PatientID = clinic.PatientID(id) }))
	if err != nil {
		return err
	}
	if err := c.Err(); err != nil {
		return err
	}
	// Load what was not sent, to check the whole appointment is consistent.
	if agenda.ID == 0 {
		if agenda, err = tx.Agenda(ctx, org, v.AgendaID); err != nil {
			return err
		}
	}
	if reason.ID == 0 {
		if reason, err = tx.Reason(ctx, org, v.ReasonID); err != nil {
			return err
		}
	}
	if patient.ID == 0 {
		if patient, err = tx.Patient(ctx, org, v.PatientID); err != nil {
			return err
		}
	}
	v.ClinicID = agenda.ClinicID
	cl, err := tx.Clinic(ctx, org, agenda.ClinicID)
	if err != nil {
		return err
	}
	if !slices.Contains(reason.AgendaIDs, agenda.ID) {
		c.Add("reason_id", "is not offered by this agenda")
	}
	if patient.DatabaseID != cl.DatabaseID {
		c.Add("patient_id", "is a patient of another clinical database than this clinic's")
	}
	if c.required("start", in.Start != nil, creating) && c.instant("start", in.Start, &v.Start) && in.End == nil {
		v.End = v.Start.Add(reason.Duration)
	}
	c.instant("end", in.End, &v.End)
	if err := c.Err(); err != nil {
		return err
	}
	switch {
	case !v.End.After(v.Start):
		c.Add("end", "must be after start")
	case v.End.Sub(v.Start) > 12*time.Hour:
		c.Add("end", "must be at most 12 hours after start")
	}
	return c.Err()
}

var appointmentCrud = crud[clinic.Appointment, AppointmentInput, Appointment]{
	path: "/appointments", tag: "Appointments", noun: "appointment", readPerm: clinic.PermReadSchedule, writePerm: clinic.PermWriteSchedule,
	listQuery: []web.Param{
		{Name: "clinic_id", Type: "integer", Description: "only this clinic's"},
		{Name: "agenda_id", Type: "integer", Description: "only this agenda's"},
		{Name: "patient_id", Type: "integer", Description: "only this patient's"},
		{Name: "status", Type: "string", Description: "only in this status"},
		{Name: "from", Type: "string", Description: "starting at or after this RFC 3339 time"},
		{Name: "to", Type: "string", Description: "starting before this RFC 3339 time"},
	},
	get: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Appointment, error) {
		return tx.Appointment(ctx, org, clinic.AppointmentID(id))
	},
	list: func(q *query) func(context.Context, *store.Tx, clinic.OrgID, store.Page) ([]clinic.Appointment, error) {
		f := store.AppointmentFilter{ClinicID: clinic.ClinicID(q.id("clinic_id")), AgendaID: clinic.AgendaID(q.id("agenda_id")),
			PatientID: clinic.PatientID(q.id("patient_id"))}
		if s := q.str("status"); s != "" {
			if f.Status = clinic.Status(s); !f.Status.Valid() {
				q.v.Add("status", statusReason)
			}
		}
		for _, p := range []struct {
			name string
			dst  *time.Time
		}{{"from", &f.From}, {"to", &f.To}} {
			if s := q.str(p.name); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					q.v.Add(p.name, "must be an RFC 3339 time such as 2026-03-01T09:00:00+11:00")
				}
				*p.dst = t
			}
		}
		return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Appointment, error) {
			return tx.Appointments(ctx, org, f, p)
		}
	},
	create: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Appointment) (clinic.Appointment, error) {
		return tx.CreateAppointment(ctx, org, v)
	},
	update: func(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Appointment) (clinic.Appointment, error) {
		return tx.UpdateAppointment(ctx, org, v)
	},
	apply:    applyAppointment,
	out:      appointmentOut,
	id:       func(a clinic.Appointment) int64 { return int64(a.ID) },
	patients: func(a clinic.Appointment) []clinic.PatientID { return []clinic.PatientID{a.PatientID} },
}

func (a *API) appointmentRoutes() []web.Route {
	rs := appointmentCrud.routes(a)
	return append(rs, web.Route{Method: http.MethodPost, Pattern: Prefix + "/appointments/{id}/status", Perm: clinic.PermSetStatus,
		Handler: a.handler(a.setStatus),
		Doc:     &web.Doc{Summary: "Set an appointment's status", Tag: "Appointments", Request: StatusInput{}, Response: Appointment{}, Errors: []int{409}}})
}

func (a *API) setStatus(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in StatusInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	org := web.MustActor(ctx).OrgID
	var v clinic.Appointment
	err = a.db.Update(ctx, func(tx *store.Tx) (err error) {
		if v, err = tx.Appointment(ctx, org, clinic.AppointmentID(id)); err != nil {
			return err
		}
		var c checker
		c.version(in.Version, &v, false)
		if c.required("status", in.Status != nil, true) {
			c.status("status", in.Status, &v.Status)
		}
		if err := c.Err(); err != nil {
			return err
		}
		if v, err = tx.UpdateAppointment(ctx, org, v); err != nil {
			return err
		}
		return web.AuditTx(ctx, tx, "appointment.status", v.PatientID)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, appointmentOut(v), nil
}
