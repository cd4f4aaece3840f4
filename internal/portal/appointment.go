package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/store"
)

// apptPage is an appointment's page.
type apptPage struct {
	Appt      apptView
	Version   int64
	Upcoming  bool
	CanChange bool
	// Why is why the patient cannot change it online (a catalog key), when Upcoming.
	Why string
	// Fee is the clinic's late-cancellation policy, when it has one.
	Fee       string
	FeeHours  int
	LateNow   bool // cancelling now would be inside the fee window
	Problem   string
	Address   string
	Cancelled bool
}

// theirs reads appointment {id} of the path if it is one of the session's people's at this
// clinic; anyone else's, or another clinic's, is "not found".
func (p *Portal) theirs(ctx context.Context, r *http.Request, v *visit) (clinic.Appointment, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return clinic.Appointment{}, fmt.Errorf("appointment %q: %w", r.PathValue("id"), clinic.ErrNotFound)
	}
	var a clinic.Appointment
	err = p.d.DB.View(ctx, func(tx *store.Tx) (err error) {
		a, err = tx.Appointments().Appointment(ctx, v.Site.Clinic.OrgID, clinic.AppointmentID(id))
		return err
	})
	if err == nil && (!v.Session.Actor.Reaches(a.PatientID) || a.ClinicID != v.Site.Clinic.ID) {
		err = fmt.Errorf("appointment %d: %w", id, clinic.ErrNotFound)
	}
	return a, err
}

// appointment shows one appointment with what the patient may do (GET
// /p/{slug}/appointments/{id}).
func (p *Portal) appointment(w http.ResponseWriter, r *http.Request, v *visit) {
	data, _, err := p.apptData(r.Context(), r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "appointment", "Your appointment", data)
}

// apptData reads the path's appointment (theirs) and builds its page.
func (p *Portal) apptData(ctx context.Context, r *http.Request, v *visit) (apptPage, clinic.Appointment, error) {
	a, err := p.theirs(ctx, r, v)
	if err != nil {
		return apptPage{}, a, err
	}
	var names map[clinic.AgendaID]string
	var reasons map[clinic.ReasonID]string
	var who clinic.Patient
	err = p.d.DB.View(ctx, func(tx *store.Tx) (err error) {
		if names, reasons, err = p.names(ctx, tx, v); err != nil {
			return err
		}
		who, err = tx.Patients().Patient(ctx, a.OrgID, a.PatientID)
		return err
	})
	if err != nil {
		return apptPage{}, a, err
	}
	now := p.d.Now()
	data := apptPage{Appt: view1(v, a, who.GivenName, names, reasons), Version: a.Version, Upcoming: a.Status.Upcoming() && a.Start.After(now),
		Address: v.Site.Clinic.Address, Cancelled: a.Status == clinic.StatusCancelled}
	if data.Upcoming {
		var ce *clinic.ConflictError
		switch err := booking.CheckOnlineChange(v.Site.Clinic, a, now); {
		case err == nil:
			data.CanChange = true
		case errors.As(err, &ce):
			data.Why = ce.Reason
		}
	}
	if set := v.Site.Settings; set.LateFeeWindow > 0 && set.LateFeeCents > 0 {
		data.Fee = money(v.Site.Clinic.Region, set.LateFeeCents)
		data.FeeHours = int(set.LateFeeWindow / time.Hour)
		data.LateNow = a.Start.Sub(now) < set.LateFeeWindow
	}
	return data, a, nil
}

// money writes an amount in the clinic's currency (euros in France, dollars elsewhere).
func money(region string, cents int64) string {
	s := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	if region == "FR" {
		return fmt.Sprintf("%d,%02d\u00a0€", cents/100, cents%100)
	}
	return "$" + s
}

// cancel cancels the appointment (POST /p/{slug}/appointments/{id}/cancel: version,
// reason), within the clinic's notice, through the booking use case.
func (p *Portal) cancel(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	_, err := p.d.Booking.Cancel(r.Context(), ctxActor(r.Context()), booking.Change{ID: clinic.AppointmentID(id), Version: version, Reason: r.PostFormValue("reason")})
	if err != nil {
		p.apptRefused(w, r, v, err)
		return
	}
	http.Redirect(w, r, page.WithDone(v.base()+"/", "cancelled"), http.StatusSeeOther)
}

// apptRefused shows the appointment's page with why a change was refused.
func (p *Portal) apptRefused(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	var ce *clinic.ConflictError
	status := web4xx(err)
	if status == 0 {
		p.fail(w, r, v, err)
		return
	}
	data, _, derr := p.apptData(r.Context(), r, v)
	if derr != nil {
		p.fail(w, r, v, derr)
		return
	}
	switch {
	case errors.Is(err, booking.ErrNotAvailable):
		data.Problem = msgTaken
	case errors.As(err, &ce):
		data.Problem = ce.Reason
	default:
		data.Problem = "Some fields are not valid."
	}
	p.render(w, r, v, status, "appointment", "Your appointment", data)
}

// web4xx is the status of a refusal a page shows in place (409, 422), 0 for anything else.
func web4xx(err error) int {
	switch {
	case errors.Is(err, clinic.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, clinic.ErrInvalid):
		return http.StatusUnprocessableEntity
	}
	return 0
}

// rescheduleForm offers the free times of the appointment's practitioner for its reason
// (GET /p/{slug}/appointments/{id}/reschedule?day=&from=).
func (p *Portal) rescheduleForm(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.moveData(r.Context(), r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "reschedule", "Change your appointment", data)
}

func (p *Portal) moveData(ctx context.Context, r *http.Request, v *visit) (bookPage, error) {
	ad, a, err := p.apptData(ctx, r, v)
	if err != nil {
		return bookPage{}, err
	}
	data := bookPage{Move: &ad.Appt, Action: fmt.Sprintf("%s/appointments/%d/reschedule", v.base(), a.ID)}
	if !ad.CanChange {
		data.Problem = ad.Why
		return data, nil
	}
	q := r.URL.Query()
	err = p.days(ctx, v, &data, url.Values{}, a.ReasonID, []clinic.AgendaID{a.AgendaID}, q.Get("from"), q.Get("day"))
	// The appointment's own time is not offered: it is where it is.
	own := a.Start.UTC().Format(time.RFC3339)
	for i, t := range data.Times {
		if t.Start == own {
			data.Times = append(data.Times[:i], data.Times[i+1:]...)
			break
		}
	}
	data.Version = a.Version // the version the move is made from
	return data, err
}

// reschedule moves the appointment to the time chosen (POST
// /p/{slug}/appointments/{id}/reschedule: version, start), through the booking use case.
func (p *Portal) reschedule(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	start, err := time.Parse(time.RFC3339, r.PostFormValue("start"))
	if err != nil {
		err = clinic.Invalid("start", "is required")
	} else {
		_, err = p.d.Booking.Reschedule(r.Context(), ctxActor(r.Context()), booking.Change{ID: clinic.AppointmentID(id), Version: version}, 0, start)
	}
	if err != nil {
		status := web4xx(err)
		if status == 0 {
			p.fail(w, r, v, err)
			return
		}
		r2 := r.Clone(r.Context())
		if loc, lerr := v.Site.Clinic.Location(); lerr == nil && !start.IsZero() {
			r2.URL.RawQuery = url.Values{"day": {localDay(start, loc)}, "from": {localDay(start, loc)}}.Encode()
		}
		data, derr := p.moveData(r.Context(), r2, v)
		if derr != nil {
			p.fail(w, r, v, derr)
			return
		}
		var ce *clinic.ConflictError
		switch {
		case errors.Is(err, booking.ErrNotAvailable):
			data.Problem = msgTaken
		case errors.As(err, &ce):
			data.Problem = ce.Reason
		}
		data.Fields = clinic.FieldsOf(err)
		p.render(w, r, v, status, "reschedule", "Change your appointment", data)
		return
	}
	http.Redirect(w, r, page.WithDone(fmt.Sprintf("%s/appointments/%d", v.base(), id), "moved"), http.StatusSeeOther)
}

// calendar is the appointment as an iCalendar file to add to the patient's calendar (GET
// /p/{slug}/appointments/{id}/calendar.ics). It names the clinic and the practitioner, not
// the reason.
func (p *Portal) calendar(w http.ResponseWriter, r *http.Request, v *visit) {
	a, err := p.theirs(r.Context(), r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	var names map[clinic.AgendaID]string
	err = p.d.DB.View(r.Context(), func(tx *store.Tx) (err error) { names, _, err = p.names(r.Context(), tx, v); return err })
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	method := email.MethodRequest
	if a.Status == clinic.StatusCancelled {
		method = email.MethodCancel
	}
	// The same UID as the e-mailed invitations', so a calendar holds one event.
	ev := email.Event{UID: fmt.Sprintf("appointment-%d@%s", a.ID, p.d.EmailDomain), Sequence: int(a.Version), Method: method, Start: a.Start, End: a.End,
		Summary: v.Site.Clinic.Name + " — " + names[a.AgendaID], Location: v.Site.Clinic.Address, Stamp: a.UpdatedAt}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="appointment.ics"`)
	h.Set("Cache-Control", "no-store")
	w.Write(ev.ICS())
}
