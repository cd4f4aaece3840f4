package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// sendingSave saves a clinic's sending settings (POST /settings/notifications, fields
// clinic_id (the clinic the form was shown for; default the current one), channel (once per
// ticked channel), reminder_offsets ("72h, 2h, 1d@10:00"), grace_seconds, window_from,
// window_to, any_hour, sms_budget, remind_confirmed, ask_reply, phone) through
// notify.SetSettings, and shows the page again (Post/Redirect/Get). A refused form is shown
// again (422) as typed, each problem beside its field under the field's label.
func (d *Dashboard) sendingSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := sendingInput{Channels: r.PostForm["channel"], Offsets: r.PostFormValue("reminder_offsets"), Grace: r.PostFormValue("grace_seconds"),
		WindowFrom: r.PostFormValue("window_from"), WindowTo: r.PostFormValue("window_to"), AnyHour: r.PostFormValue("any_hour") != "",
		Budget: r.PostFormValue("sms_budget"), RemindConfirmed: r.PostFormValue("remind_confirmed") != "", AskReply: r.PostFormValue("ask_reply") != "",
		Phone: r.PostFormValue("phone")}
	c, f, err := d.formClinic(r)
	var items []string
	if err == nil {
		var set notify.SettingsInput
		set, items, err = readSending(in)
		if err == nil {
			_, err = d.notify.SetSettings(ctx, web.MustActor(ctx), c.ID, set)
		}
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/settings/notifications", "sending-saved"), http.StatusSeeOther)
	case web.Status(err) == http.StatusUnprocessableEntity && c.ID != 0:
		page := sendingForm(c, in)
		page.Errors = notesOf(err, sendingLabels, map[string][]string{"reminder_offsets": items, "channels": in.Channels})
		d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "sending", View: view{Title: "Sending settings", Header: f.header(r, "sending"), Data: page}})
	default:
		d.fail(w, r, err)
	}
}

// readSending reads the form into the use case's input, and the offsets as listed (for the
// notes that quote one). Whole numbers are this form's business; when one is not, the rest
// of the form is checked by notify.Check all the same, so that one answer names every field,
// and nothing is saved.
func readSending(in sendingInput) (notify.SettingsInput, []string, error) {
	var items []string
	for _, s := range strings.Split(in.Offsets, ",") {
		if s = strings.TrimSpace(s); s != "" {
			items = append(items, s)
		}
	}
	phone := strings.TrimSpace(in.Phone)
	out := notify.SettingsInput{Channels: in.Channels, ReminderOffsets: items, WindowFrom: strings.TrimSpace(in.WindowFrom),
		WindowTo: strings.TrimSpace(in.WindowTo), RemindConfirmed: in.RemindConfirmed, AskReply: in.AskReply, Phone: &phone}
	if out.Channels == nil {
		out.Channels = []string{}
	}
	if in.AnyHour {
		out.WindowFrom, out.WindowTo = "00:00", "24:00"
	}
	var v clinic.ValidationError
	whole := func(field, s, reason string) int {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			v.Add(field, reason)
		}
		return n
	}
	out.GraceSeconds = whole("grace_seconds", in.Grace, "must be a whole number of seconds")
	out.SMSBudget = whole("sms_budget", in.Budget, "must be a whole number of segments (0 for no limit)")
	if len(v.Fields) == 0 {
		return out, items, nil
	}
	if _, err := notify.Check(out); err != nil {
		for _, fe := range clinic.FieldsOf(err) {
			if !clinic.HasField(v.Fields, fe.Field) {
				v.Fields = append(v.Fields, fe)
			}
		}
	}
	return out, items, v.Err()
}

// formClinic reads the frame and the clinic a settings form was shown for (its clinic_id
// field; the current clinic when absent). Another organisation's clinic is refused naming
// the field, and so is an organisation with no clinic yet.
func (d *Dashboard) formClinic(r *http.Request) (clinic.Clinic, frame, error) {
	ctx := r.Context()
	id, err := formID(r, "clinic_id")
	if err != nil {
		return clinic.Clinic{}, frame{}, err
	}
	var f frame
	var c clinic.Clinic
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		c = f.Clinic
		if id != 0 {
			if c, err = tx.Directory().Clinic(ctx, f.Org.ID, clinic.ClinicID(id)); err != nil {
				return clinic.MissingReference("clinic_id", err)
			}
		}
		if c.ID == 0 {
			return clinic.Invalid("clinic_id", "does not exist yet: set up a clinic first")
		}
		return nil
	})
	return c, f, err
}
