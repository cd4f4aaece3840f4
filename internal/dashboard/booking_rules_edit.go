package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// rulesPage is the data of templates/rules.html.
type rulesPage struct {
	NoClinic           bool
	ClinicID           clinic.ClinicID
	Clinic             string
	HorizonDays        string // as typed
	MinNoticeHours     string
	CancelNoticeHours  string
	Grids              []option // 15, 30, 60, and 0 for each reason's own duration
	AllowNoPreference  bool
	AllowOnlineChanges bool
	Fields             []clinic.FieldError
}

// rulesInput is the booking rules form as typed.
type rulesInput struct {
	HorizonDays, MinNoticeHours, CancelNoticeHours, Grid string
	AllowNoPreference, AllowOnlineChanges                bool
}

// rulesValues is the form filled from a clinic's rules.
func rulesValues(r clinic.BookingRules) rulesInput {
	return rulesInput{HorizonDays: strconv.Itoa(r.HorizonDays), MinNoticeHours: strconv.Itoa(int(r.MinNotice / time.Hour)),
		CancelNoticeHours: strconv.Itoa(int(r.CancelNotice / time.Hour)), Grid: strconv.Itoa(r.GridMinutes),
		AllowNoPreference: r.AllowNoPreference, AllowOnlineChanges: r.AllowOnlineChanges}
}

// rulesForm is the page for clinic c with the form holding in.
func rulesForm(c clinic.Clinic, in rulesInput) rulesPage {
	page := rulesPage{ClinicID: c.ID, Clinic: c.Name, HorizonDays: in.HorizonDays, MinNoticeHours: in.MinNoticeHours,
		CancelNoticeHours: in.CancelNoticeHours, AllowNoPreference: in.AllowNoPreference, AllowOnlineChanges: in.AllowOnlineChanges}
	for _, g := range []struct {
		v     int64
		label string
	}{{15, "Every 15 minutes"}, {30, "Every 30 minutes"}, {60, "On the hour"}, {0, "Each reason's own duration"}} {
		page.Grids = append(page.Grids, option{Value: g.v, Label: g.label, Selected: in.Grid == strconv.FormatInt(g.v, 10)})
	}
	return page
}

// bookingRulesEdit shows the current clinic's online booking rules (GET /settings/booking,
// POR-2): how far ahead, the notice to book and to cancel or reschedule, start-time
// rounding, "No preference" of practitioner, and cancel/reschedule online.
func (d *Dashboard) bookingRulesEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var page rulesPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		f, err = d.frameTx(ctx, tx, r)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if f.Clinic.ID == 0 {
		page.NoClinic = true
	} else {
		page = rulesForm(f.Clinic, rulesValues(f.Clinic.Rules))
	}
	d.send(w, r, reply{Page: "rules", View: view{Title: "Booking rules", Header: f.header(r, "settings"), Data: page}})
}
