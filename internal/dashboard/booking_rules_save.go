package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
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
	var f frame
	var c clinic.Clinic
	err := d.db.Update(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if idErr != nil {
			return idErr
		}
		c = f.Clinic
		if clinicID != 0 {
			if c, err = tx.Clinic(ctx, f.Org.ID, clinic.ClinicID(clinicID)); err != nil {
				return err
			}
		}
		if c.ID == 0 {
			return clinic.Invalid("clinic_id", "does not exist yet: set up a clinic first")
		}
		rules, err := readRules(in, c.Rules)
		if err != nil {
			return err
		}
		c.Rules = rules
		_, err = tx.UpdateClinic(ctx, f.Org.ID, c)
		return err
	})
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/settings/booking", "rules-saved"), http.StatusSeeOther)
	case formError(err) && c.ID != 0:
		page := rulesForm(c, in)
		page.Fields = fieldsOf(err)
		d.send(w, r, reply{Status: web.Status(err), Page: "rules", View: view{Title: "Booking rules", Header: f.header(r, "settings"), Data: page}})
	default:
		d.fail(w, r, err)
	}
}

// readRules checks the booking rules form; rules are kept where the form holds nothing
// new (parts of an hour of a notice set through the API, say).
func readRules(in rulesInput, rules clinic.BookingRules) (clinic.BookingRules, error) {
	var v clinic.ValidationError
	whole := func(field, s string, lo, hi int, unit string) (int, bool) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			v.Add(field, "must be a whole number of "+unit+" from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
			return 0, false
		}
		return n, true
	}
	if n, ok := whole("horizon_days", in.HorizonDays, 1, 730, "days"); ok {
		rules.HorizonDays = n
	}
	for _, h := range []struct {
		field, s string
		dst      *time.Duration
	}{{"min_notice_hours", in.MinNoticeHours, &rules.MinNotice}, {"cancel_notice_hours", in.CancelNoticeHours, &rules.CancelNotice}} {
		if n, ok := whole(h.field, h.s, 0, 720, "hours"); ok && n != int(*h.dst/time.Hour) {
			*h.dst = time.Duration(n) * time.Hour
		}
	}
	switch in.Grid {
	case "0", "15", "30", "60":
		rules.GridMinutes, _ = strconv.Atoi(in.Grid)
	default:
		v.Add("grid_minutes", "must be 15, 30, 60, or 0 for each reason's own duration")
	}
	rules.AllowNoPreference, rules.AllowOnlineChanges = in.AllowNoPreference, in.AllowOnlineChanges
	return rules, v.Err()
}
