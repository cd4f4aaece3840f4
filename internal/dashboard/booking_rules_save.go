package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
	"strings"
)

// bookingRulesSave saves a clinic's booking rules (POST /settings/booking, fields clinic_id
// (the clinic the form was shown for; default the current one), horizon_days 1–730,
// min_notice_hours and cancel_notice_hours 0–720, grid_minutes 15, 30, 60 or 0 (each
// reason's own duration), allow_no_preference, allow_online_changes) and shows the page
// again. A refused form is shown again (422) naming its fields.
func (d *Dashboard) bookingRulesSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	clinicID, idErr := formID(r, "clinic_id")
	in := rulesInput{HorizonDays: r.PostFormValue("horizon_days"), MinNoticeHours: r.PostFormValue("min_notice_hours"),
		CancelNoticeHours: r.PostFormValue("cancel_notice_hours"), Grid: r.PostFormValue("grid_minutes"),
		AllowNoPreference: r.PostFormValue("allow_no_preference") != "", AllowOnlineChanges: r.PostFormValue("allow_online_changes") != ""}
	var c clinic.Clinic
	f, err := d.loadFrame(r)
	if err == nil {
		err = idErr
	}
	if err == nil {
		c = f.Clinic
		if clinicID != 0 {
			err = d.db.View(ctx, func(tx *store.Tx) (err error) {
				c, err = tx.Directory().Clinic(ctx, f.Org.ID, clinic.ClinicID(clinicID))
				return err
			})
		}
	}
	if err == nil && c.ID == 0 {
		err = clinic.Invalid("clinic_id", "does not exist yet: set up a clinic first")
	}
	if err == nil {
		rules, rerr := readRules(in)
		_, err = d.directory.UpdateClinic(ctx, web.MustActor(ctx), c.ID, directory.ClinicInput{Booking: &rules, Problems: clinic.FieldsOf(rerr)})
		err = renameFields(err, map[string]string{"booking.horizon_days": "horizon_days", "booking.min_notice_hours": "min_notice_hours",
			"booking.cancel_notice_hours": "cancel_notice_hours", "booking.grid_minutes": "grid_minutes"})
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/settings/booking", "rules-saved"), http.StatusSeeOther)
	case formError(err) && c.ID != 0:
		page := rulesForm(c, in)
		page.Fields = clinic.FieldsOf(err)
		d.send(w, r, reply{Status: web.Status(err), Page: "rules", View: view{Title: "Booking rules", Header: f.header(r, "settings"), Data: page}})
	default:
		d.fail(w, r, err)
	}
}

// readRules reads the booking rules form into the use case's input: whole numbers only
// here, the limits are checked by directory.ApplyRules as for the API.
func readRules(in rulesInput) (directory.RulesInput, error) {
	var v clinic.ValidationError
	whole := func(field, s, unit string) *int {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			v.Add(field, "must be a whole number of "+unit)
			return nil
		}
		return &n
	}
	out := directory.RulesInput{HorizonDays: whole("horizon_days", in.HorizonDays, "days"),
		MinNoticeHours: whole("min_notice_hours", in.MinNoticeHours, "hours"), CancelNoticeHours: whole("cancel_notice_hours", in.CancelNoticeHours, "hours"),
		GridMinutes: whole("grid_minutes", in.Grid, "minutes"), AllowNoPreference: &in.AllowNoPreference, AllowOnlineChanges: &in.AllowOnlineChanges}
	return out, v.Err()
}
