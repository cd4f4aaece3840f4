package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// messagingSettingsPage is the data of templates/messaging.html: one clinic's secure
// messaging switches (seed 003): conversations started by professionals (MSG-1) and who may
// start them, incoming conversations from patients and other clinics (MSG-2) and who
// answers them, the portal's "New message" button (MSG-3), reception's triage, and the
// staff digest's switch, saved as saved or as typed.
type messagingSettingsPage struct {
	NoClinic bool
	ClinicID clinic.ClinicID
	Clinic   string
	// The form.
	StaffStart, StaffStartAll bool
	Incoming, IncomingAll     bool
	PortalButton              bool
	ReceptionTriage           bool
	StaffDigest               bool
	Professionals             []professionalChoice
	ListSize                  int // the rows each multi-select shows
	// ButtonShown is MSG-3 as saved: the portal's home shows "New message"; ButtonWaits:
	// the button is active but incoming conversations are off, so it does not show.
	ButtonShown, ButtonWaits bool
	Fields                   []clinic.FieldError
}

// professionalChoice is one healthcare professional of the lists, and whether each list
// holds them.
type professionalChoice struct {
	ID            clinic.UserID
	Name          string
	Start, Answer bool
}

// messagingSettingsEdit shows a clinic's secure messaging settings (GET
// /settings/messaging?clinic_id=, default the current clinic), read through
// messaging.Settings.
func (d *Dashboard) messagingSettingsEdit(w http.ResponseWriter, r *http.Request) {
	id, err := queryID(r, "clinic_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	cl := clinic.ClinicID(id)
	if cl == 0 {
		cl = f.Clinic.ID
	}
	page := messagingSettingsPage{NoClinic: cl == 0}
	if cl != 0 {
		ctx := r.Context()
		set, err := d.messaging.Settings(ctx, web.MustActor(ctx), cl)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		if page, err = d.messagingSettingsForm(ctx, f, set, set); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	d.send(w, r, reply{Page: "messaging", View: view{Title: "Secure messaging", Header: f.header(r, "messaging"), Data: page}})
}

// messagingSettingsForm is the page of clinic saved.ClinicID, the form holding typed (the
// saved settings, or a refused form as sent) and the organisation's professionals: users
// whose account is a practitioner's or is linked to one, enabled, and any a list holds.
func (d *Dashboard) messagingSettingsForm(ctx context.Context, f frame, saved, typed store.MessagingSettings) (messagingSettingsPage, error) {
	page := messagingSettingsPage{ClinicID: saved.ClinicID, Clinic: f.clinicName(saved.ClinicID),
		StaffStart: typed.StaffStart, StaffStartAll: typed.StaffStartAll, Incoming: typed.Incoming, IncomingAll: typed.IncomingAll,
		PortalButton: typed.PortalButton, ReceptionTriage: typed.ReceptionTriage, StaffDigest: typed.StaffDigest,
		ButtonShown: messaging.ButtonShown(saved), ButtonWaits: saved.PortalButton && !saved.Incoming}
	var users []clinic.User
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		users, err = all(func(p store.Page) ([]clinic.User, error) { return tx.Staff().Users(ctx, f.Org.ID, p) },
			func(u clinic.User) int64 { return int64(u.ID) })
		return err
	})
	if err != nil {
		return page, err
	}
	for _, u := range users {
		start, answer := slices.Contains(typed.StartList, u.ID), slices.Contains(typed.AnswerList, u.ID)
		if !messaging.StaffPerson(u).Professional || (u.DisabledAt != nil && !start && !answer) {
			continue
		}
		page.Professionals = append(page.Professionals, professionalChoice{ID: u.ID, Name: userName(u), Start: start, Answer: answer})
	}
	page.ListSize = min(max(len(page.Professionals), 2), 8)
	return page, nil
}

// readUserList reads a multi-select of users (field repeated, each a user's id), naming the
// field when a value is not one.
func readUserList(v url.Values, field string, errs *clinic.ValidationError) []clinic.UserID {
	var out []clinic.UserID
	for _, s := range v[field] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			errs.Add(field, "must list only healthcare professionals of this organisation")
			return nil
		}
		if !slices.Contains(out, clinic.UserID(n)) {
			out = append(out, clinic.UserID(n))
		}
	}
	return out
}

// messagingSettingsSave saves a clinic's secure messaging settings (POST
// /settings/messaging, fields clinic_id (default the current clinic), the checkboxes
// staff_start, staff_start_all, incoming, incoming_all, portal_button, reception_triage and
// staff_digest (unticked: off), and the multi-selects start_list and answer_list (users'
// ids)) through messaging.SetSettings, which checks the permission and that the lists hold
// professionals only, and writes the audit row ("messaging.settings"); then shows the page
// again (Post/Redirect/Get). A refused form is shown again (422) as typed, its fields
// named.
func (d *Dashboard) messagingSettingsSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	c, f, err := d.formClinic(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	form := r.PostForm
	on := func(k string) bool { return form.Get(k) != "" }
	var errs clinic.ValidationError
	in := store.MessagingSettings{ClinicID: c.ID, StaffStart: on("staff_start"), StaffStartAll: on("staff_start_all"),
		Incoming: on("incoming"), IncomingAll: on("incoming_all"), PortalButton: on("portal_button"),
		ReceptionTriage: on("reception_triage"), StaffDigest: on("staff_digest"),
		StartList: readUserList(form, "start_list", &errs), AnswerList: readUserList(form, "answer_list", &errs)}
	err = errs.Err()
	if err == nil {
		err = d.messaging.SetSettings(ctx, actor, in)
	}
	if err == nil {
		to := "/settings/messaging"
		if c.ID != f.Clinic.ID {
			to += "?clinic_id=" + strconv.FormatInt(int64(c.ID), 10)
		}
		http.Redirect(w, r, withDone(to, "messaging-saved"), http.StatusSeeOther)
		return
	}
	if !formError(err) {
		d.fail(w, r, err)
		return
	}
	saved, serr := d.messaging.Settings(ctx, actor, c.ID)
	if serr != nil {
		d.fail(w, r, serr)
		return
	}
	page, perr := d.messagingSettingsForm(ctx, f, saved, in)
	if perr != nil {
		d.fail(w, r, perr)
		return
	}
	// The lists' refusals name a user by number in English: the page says it in the
	// catalog's words, beside the list.
	for _, fe := range clinic.FieldsOf(err) {
		if fe.Field == "start_list" || fe.Field == "answer_list" {
			fe.Reason = "must list only healthcare professionals of this organisation"
		}
		if !slices.Contains(page.Fields, fe) {
			page.Fields = append(page.Fields, fe)
		}
	}
	d.send(w, r, reply{Status: web.Status(err), Page: "messaging",
		View: view{Title: "Secure messaging", Header: f.header(r, "messaging"), Data: page}})
}
