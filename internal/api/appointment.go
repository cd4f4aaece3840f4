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
	// Warnings are only in the answer to a booking (POST /appointments): what the booking
	// went ahead despite, since the API does not stop to ask as the dashboard does.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is one thing a booking went ahead despite. Code is stable ("same_day": the patient
// already has an active appointment at the clinic that local day, listed in
// appointment_ids); message says it in words.
type Warning struct {
	Code           string  `json:"code"`
	Message        string  `json:"message"`
	AppointmentIDs []int64 `json:"appointment_ids,omitempty"`
}

// AppointmentUpdate edits an appointment's details. Moving, cancelling and status changes
// have their own routes (reschedule, cancel, status), which apply the booking rules.
type AppointmentUpdate booking.DetailsInput

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

// bookedOut is the answer to a booking: the appointment and its warnings.
func bookedOut(b booking.Booked) Appointment {
	out := appointmentOut(b.Appointment)
	if len(b.SameDay) > 0 {
		w := Warning{Code: "same_day", Message: "the patient already has an appointment at this clinic that day"}
		for _, o := range b.SameDay {
			w.AppointmentIDs = append(w.AppointmentIDs, int64(o.ID))
		}
		out.Warnings = append(out.Warnings, w)
	}
	return out
}

func checkStatus(c *checker, field string, in *string, dst *clinic.Status) {
	if in == nil {
		return
	}
	if s := clinic.Status(*in); s.Valid() {
		*dst = s
		return
	}
	c.Add(field, statusReason)
}

const statusReason = clinic.StatusReason

func (a *API) appointmentCrud() crud[clinic.Appointment, AppointmentUpdate, Appointment] {
	return crud[clinic.Appointment, AppointmentUpdate, Appointment]{
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
			return tx.Appointments().Appointment(ctx, org, clinic.AppointmentID(id))
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
					var c checker
					c.Instant(p.name, &s, p.dst)
					q.v.Fields = append(q.v.Fields, c.Fields...)
				}
			}
			return func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]clinic.Appointment, error) {
				return tx.Appointments().ListAppointments(ctx, org, f, p)
			}
		},
		update: func(ctx context.Context, actor clinic.Actor, id int64, in AppointmentUpdate) (clinic.Appointment, error) {
			return a.booking.UpdateDetails(ctx, actor, clinic.AppointmentID(id), booking.DetailsInput(in))
		},
		out:      appointmentOut,
		id:       func(a clinic.Appointment) int64 { return int64(a.ID) },
		at:       func(a clinic.Appointment) time.Time { return a.Start }, // ListAppointments' order
		order:    "by start time, then id",
		patients: func(a clinic.Appointment) []clinic.PatientID { return []clinic.PatientID{a.PatientID} },
	}
}

func (a *API) appointmentRoutes() []web.Route {
	rs := a.appointmentCrud().routes(a)
	return append(rs,
		web.Route{Method: http.MethodPost, Pattern: Prefix + "/appointments", Perm: clinic.PermWriteSchedule, Handler: a.handler(a.book),
			Doc: &web.Doc{Summary: "Book an appointment (send an Idempotency-Key header to retry safely). A time outside the agenda's working hours or off the grid is refused (409 naming start) unless allow_outside_hours is true; a second appointment for the patient that day is booked with a same_day warning", Tag: "Appointments",
				Request: BookingInput{}, Response: Appointment{}, Status: http.StatusCreated, Errors: []int{409},
				Headers: []web.Param{{Name: "Idempotency-Key", Type: "string", MaxLength: 255,
					Description: "any unique string: a retry with the same key and body gets the first answer again and books nothing more (kept a day); the same key with another body is refused"}}}},
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
	if c.Required("status", in.Status != nil, true) {
		checkStatus(&c, "status", in.Status, &to)
	}
	ch, err := change(r, in.Version, &c)
	if err != nil {
		return 0, nil, err
	}
	appt, err := a.booking.SetStatus(ctx, web.MustActor(ctx), ch, to)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, appointmentOut(appt), nil
}
