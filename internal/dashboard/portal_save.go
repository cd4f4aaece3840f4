package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/web"
)

// portalSave saves one of the portal page's two forms through directory.SetPortal
// (POST /settings/portal, fields clinic_id (default the current clinic) and part:
// "settings" (the default) with enabled, slug, online_booking, staff_alert, late_fee,
// late_fee_hours, waitlist_wave and waitlist_hold_minutes (the last two kept as saved when
// the form does not send them), an unticked box being off; or "button" with button_size and
// button_colour), then shows the page again (Post/Redirect/Get). A refused form is shown
// again (422) with what was typed and its fields named; the other form keeps the saved
// values.
func (d *Dashboard) portalSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	id, err := formID(r, "clinic_id")
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	clinicID := clinic.ClinicID(id)
	if err == nil && clinicID == 0 {
		if clinicID = f.Clinic.ID; clinicID == 0 {
			err = clinic.Invalid("clinic_id", "does not exist yet: set up a clinic first")
		}
	}
	typed, in := portalFormOf(r.PostForm)
	if err == nil {
		_, err = d.directory.SetPortal(ctx, web.MustActor(ctx), clinicID, in)
	}
	if err == nil {
		to := "/settings/portal"
		if clinicID != f.Clinic.ID {
			to += "?clinic_id=" + strconv.FormatInt(int64(clinicID), 10)
		}
		if typed.Button != nil {
			to += "#button"
		}
		http.Redirect(w, r, withDone(to, "portal-saved"), http.StatusSeeOther)
		return
	}
	if !formError(err) || clinicID == 0 {
		d.fail(w, r, err)
		return
	}
	page, lerr := d.loadPortal(r, f, clinicID, typed)
	if lerr != nil {
		d.fail(w, r, lerr)
		return
	}
	page.Fields = clinic.FieldsOf(err)
	d.send(w, r, reply{Status: web.Status(err), Page: "portal", View: view{Title: "Patient portal", Header: f.header(r, "portal"), Data: page}})
}

// portalFormOf reads the posted part of the portal page: what was typed, and the use
// case's input (nil fields keep their saved values).
func portalFormOf(form url.Values) (portalTyped, directory.PortalInput) {
	var typed portalTyped
	var in directory.PortalInput
	if form.Get("part") == "button" {
		b := &portalButtonTyped{Size: form.Get("button_size"), Colour: strings.TrimSpace(form.Get("button_colour"))}
		typed.Button, in.ButtonSize, in.ButtonColour = b, &b.Size, &b.Colour
		return typed, in
	}
	s := &portalSettingsTyped{Enabled: form.Get("enabled") != "", OnlineBooking: form.Get("online_booking") != "",
		StaffAlert: form.Get("staff_alert") != "", Slug: strings.TrimSpace(form.Get("slug")),
		LateFee: strings.TrimSpace(form.Get("late_fee")), LateFeeHours: strings.TrimSpace(form.Get("late_fee_hours"))}
	typed.Settings = s
	in = directory.PortalInput{Enabled: &s.Enabled, OnlineBooking: &s.OnlineBooking, StaffAlert: &s.StaffAlert, Slug: &s.Slug,
		LateFee: &s.LateFee, LateFeeHours: &s.LateFeeHours}
	if form.Has("waitlist_wave") {
		wave := strings.TrimSpace(form.Get("waitlist_wave"))
		s.WaitlistWave, in.WaitlistWave = &wave, &wave
	}
	if form.Has("waitlist_hold_minutes") {
		hold := strings.TrimSpace(form.Get("waitlist_hold_minutes"))
		s.WaitlistHold, in.WaitlistHold = &hold, &hold
	}
	return typed, in
}
