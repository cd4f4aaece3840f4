package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// cancelReasons are the reasons the cancellation form offers, by form value, in the order
// shown. Their English text (a catalog key) is what the cancellation event keeps, followed
// by the details when some are given ("The patient is unwell: fever"); "other" keeps the
// details alone, which it requires.
func cancelReasons() []struct{ Value, Label string } {
	return []struct{ Value, Label string }{
		{"patient_request", "At the patient's request"},
		{"patient_unwell", "The patient is unwell"},
		{"practitioner_unavailable", "The practitioner is unavailable"},
		{"clinic_closed", "The clinic is closed"},
		{"booked_in_error", "Booked in error"},
		{"other", "Another reason"},
	}
}

// maxCancelDetail bounds the details typed with a reason, so that the longest reason, ": "
// and the details stay within booking.MaxCancelReason.
const maxCancelDetail = 250

// cancelReasonText is a kept cancellation reason split for display: Preset, a reason of the
// form (a catalog key, translated on the page), and Detail, what was typed (shown as it is).
type cancelReasonText struct {
	Preset string
	Detail string
}

// splitCancelReason reads a kept reason back into the form's reason and the details; a
// reason given through the API is all details.
func splitCancelReason(s string) cancelReasonText {
	for _, r := range cancelReasons() {
		if r.Value == "other" {
			continue
		}
		if s == r.Label {
			return cancelReasonText{Preset: r.Label}
		}
		if rest, ok := strings.CutPrefix(s, r.Label+": "); ok {
			return cancelReasonText{Preset: r.Label, Detail: rest}
		}
	}
	return cancelReasonText{Detail: s}
}

// cancelInput is what the cancellation form holds.
type cancelInput struct {
	Reason string // one of cancelReasons' values
	Detail string
	Next   string
}

// text is the reason the cancellation event keeps, and the form's own problems: a reason
// is required, and details with "Another reason".
func (in cancelInput) text() (string, []clinic.FieldError) {
	var v clinic.ValidationError
	label := ""
	for _, r := range cancelReasons() {
		if r.Value == in.Reason {
			label = r.Label
		}
	}
	switch {
	case in.Reason == "":
		v.Add("reason", "is required: choose why the appointment is cancelled")
	case label == "":
		v.Add("reason", "must be one of the reasons listed")
	case in.Reason == "other" && in.Detail == "":
		v.Add("reason_detail", "is required with another reason: say why")
	}
	if utf8.RuneCountInString(in.Detail) > maxCancelDetail {
		v.Add("reason_detail", "must be at most 250 characters")
	}
	switch {
	case in.Reason == "other":
		return in.Detail, v.Fields
	case in.Detail != "":
		return label + ": " + in.Detail, v.Fields
	}
	return label, v.Fields
}

// cancelPage is the data of templates/appointment_cancel.html.
type cancelPage struct {
	ID          clinic.AppointmentID
	Version     int64
	PatientID   clinic.PatientID
	Patient     string
	When        string // "Wednesday 8 April 2026, 09:00–09:15 AEST"
	Agenda      string
	Reason      string // the consultation reason
	StatusLabel string
	// Refusal says why the appointment cannot be cancelled (the status table's reason, in
	// staff's words); the form is not shown then.
	Refusal string
	Reasons []cancelChoice
	Detail  string
	Next    string // where the form returns after cancelling; "" for the appointment's day
	Back    string // "Keep the appointment": where the user came from
	Message string // a 409's
	Errors  formErrors
}

// cancelChoice is one reason of the form.
type cancelChoice struct {
	Value, Label string
	Checked      bool
}

// cancelLabels are where the cancellation form shows each field's errors.
var cancelLabels = map[string]fieldLabel{
	"reason":        {Control: "cancel-reason-patient_request", Label: "Reason"},
	"reason_detail": {Control: "cancel-detail", Label: "Details"},
	"version":       {Label: "This form"},
}

// appointmentCancelConfirm asks for the confirmation of a cancellation
// (GET /appointments/{id}/cancel?next=PATH): the appointment, and a form with the reason (one
// of cancelReasons, with optional details; details alone for "Another reason") that posts to
// POST /appointments/{id}/cancel. When the status table does not allow cancelling it (the
// patient has arrived, its day has passed), the page says why instead of showing the form.
// The patient shown is audited as "appointment.read".
func (d *Dashboard) appointmentCancelConfirm(w http.ResponseWriter, r *http.Request) {
	d.showCancel(w, r, cancelInput{Next: r.URL.Query().Get("next")}, http.StatusOK, "", nil)
}

// showCancel renders the cancellation form of the appointment of the path with what was
// sent, and the refusal of a failed cancellation (a 409 message, 422 field errors) or none.
func (d *Dashboard) showCancel(w http.ResponseWriter, r *http.Request, in cancelInput, status int, message string, errs formErrors) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var page cancelPage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, err = d.loadCancel(ctx, tx, f, clinic.AppointmentID(id), in)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Message, page.Errors = message, errs
	d.send(w, r, reply{
		Status: status,
		Page:   "appointment_cancel",
		View:   view{Title: "Cancel an appointment", Header: f.header(r, "agenda"), Data: page},
		Audit:  []audit{{"appointment.read", []clinic.PatientID{page.PatientID}}},
	})
}

// loadCancel reads the appointment the cancellation form names and whether it may be
// cancelled now.
func (d *Dashboard) loadCancel(ctx context.Context, tx *store.Tx, f frame, id clinic.AppointmentID, in cancelInput) (cancelPage, error) {
	var page cancelPage
	x, err := loadApptFacts(ctx, tx, f.Org.ID, id)
	if err != nil {
		return page, err
	}
	a, loc := x.A, x.Loc
	page = cancelPage{ID: a.ID, Version: a.Version, PatientID: a.PatientID, Patient: x.Patient,
		When: x.when(f), Agenda: x.Agenda.Name,
		Reason: x.Reason.Name, StatusLabel: statusLabel(a.Status), Detail: in.Detail, Next: localPath(in.Next, ""),
		Back: localPath(in.Next, appointmentPath(a.ID))}
	var te *booking.TransitionError
	if err := booking.CheckStatus(a.Status, clinic.StatusCancelled, d.dayOf(a, loc)); errors.As(err, &te) {
		page.Refusal = transitionMessage(te)
	}
	for _, c := range cancelReasons() {
		page.Reasons = append(page.Reasons, cancelChoice{Value: c.Value, Label: c.Label, Checked: c.Value == in.Reason})
	}
	return page, nil
}
