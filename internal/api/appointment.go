package api

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
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

// AppointmentUpdate edits an appointment's details. Moving, cancelling and status changes
// have their own routes (reschedule, cancel, status), which apply the booking rules.
type AppointmentUpdate struct {
	Note       *string `json:"note"`
	ExternalID *string `json:"external_id"`
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

func applyAppointment(ctx context.Context, tx *store.Tx, org clinic.OrgID, in AppointmentUpdate, v *clinic.Appointment, creating bool) error {
	var c checker
	if in.Version == nil {
		c.Add("version", "is required: send the version you read, so that a concurrent change is not overwritten")
	} else {
		v.Version = *in.Version
	}
	c.text("note", in.Note, &v.Note, false, false, 2000)
	c.text("external_id", in.ExternalID, &v.ExternalID, false, false, 100)
	return c.Err()
}

var appointmentCrud = crud[clinic.Appointment, AppointmentUpdate, Appointment]{
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
	return append(rs,
		web.Route{Method: http.MethodPost, Pattern: Prefix + "/appointments", Perm: clinic.PermWriteSchedule, Handler: a.handler(a.book),
			Doc: &web.Doc{Summary: "Book an appointment (send an Idempotency-Key header to retry safely)", Tag: "Appointments",
				Request: BookingInput{}, Response: Appointment{}, Status: http.StatusCreated, Errors: []int{409}}},
		web.Route{Method: http.MethodPost, Pattern: Prefix + "/appointments/{id}/status", Perm: clinic.PermSetStatus, Handler: a.handler(a.setStatus),
			Doc: &web.Doc{Summary: "Set an appointment's status", Tag: "Appointments", Request: StatusInput{}, Response: Appointment{}, Errors: []int{409}}})
}

func (a *API) setStatus(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in StatusInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	var to clinic.Status
	if c.required("status", in.Status != nil, true) {
		c.status("status", in.Status, &to)
	}
	return a.appointmentChange(ctx, r, "appointment.status", &c, in.Version, func(tx *store.Tx, org clinic.OrgID, ch booking.Change) (clinic.Appointment, error) {
		return a.booking.SetStatus(ctx, tx, org, ch, to)
	})
}
