package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/web"
)

// sendingPage is the data of templates/sending.html: a clinic's sending settings form.
type sendingPage struct {
	NoClinic bool
	ClinicID clinic.ClinicID
	Clinic   string
	Zone     string
	Custom   bool // the clinic changed its settings at least once
	sendingInput
	Channels []channelCheck
	Errors   formErrors
}

// channelCheck is one channel's checkbox.
type channelCheck struct {
	Value, Label string
	Checked      bool
}

// sendingInput is the form as typed, so that a refused form comes back as it was sent.
type sendingInput struct {
	Channels        []string
	Offsets         string // "72h, 2h, 1d@10:00"
	Grace           string // seconds
	WindowFrom      string // HH:MM
	WindowTo        string
	AnyHour         bool // no quiet hours: 00:00 to 24:00, which a time input cannot write
	Budget          string
	RemindConfirmed bool
	AskReply        bool
	Phone           string
}

// sendingLabels name the settings' fields as the form shows them.
var sendingLabels = map[string]fieldLabel{
	"channels":         {"channel-sms", "Channels"},
	"reminder_offsets": {"offsets", "Reminders before the appointment"},
	"grace_seconds":    {"grace", "Grace period"},
	"window_from":      {"window_from", "SMS from"},
	"window_to":        {"window_to", "SMS until"},
	"sms_budget":       {"budget", "Monthly SMS budget"},
	"phone":            {"phone", "Clinic phone number"},
}

// sendingValues is the form filled from a clinic's settings.
func sendingValues(s notify.Settings, phone string) sendingInput {
	in := sendingInput{Grace: strconv.Itoa(int(s.Grace / time.Second)), Budget: strconv.Itoa(s.SMSBudget),
		RemindConfirmed: s.RemindConfirmed, AskReply: s.AskReply, Phone: phone}
	for _, c := range s.Channels {
		in.Channels = append(in.Channels, string(c))
	}
	offs := make([]string, len(s.Offsets))
	for i, o := range s.Offsets {
		offs[i] = o.String()
	}
	in.Offsets = strings.Join(offs, ", ")
	from, to, _ := strings.Cut(s.Window.String(), "-")
	in.WindowFrom, in.WindowTo = from, to
	if from == "00:00" && to == "24:00" {
		in.AnyHour, in.WindowFrom, in.WindowTo = true, "08:00", "20:00"
	}
	return in
}

// sendingForm is the page for clinic c with the form holding in.
func sendingForm(c clinic.Clinic, in sendingInput) sendingPage {
	p := sendingPage{ClinicID: c.ID, Clinic: c.Name, Zone: c.Zone, sendingInput: in}
	for _, ch := range consent.Channels() {
		p.Channels = append(p.Channels, channelCheck{Value: string(ch), Label: channelName(ch), Checked: slices.Contains(in.Channels, string(ch))})
	}
	return p
}

// sendingEdit shows the current clinic's sending settings (GET /settings/notifications,
// administrators): the channels it sends on, the reminder offsets (NOT-1, NOT-9), the grace
// period that debounces booking notices, the SMS window (NOT-8), the monthly SMS budget,
// whether confirmed appointments are still reminded, whether SMS reminders invite a C reply
// (NOT-10), and the number given in answers to HELP. They are read through notify.Settings,
// the defaults for a clinic that never changed them.
func (d *Dashboard) sendingEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := sendingPage{NoClinic: true}
	if f.Clinic.ID != 0 {
		s, phone, err := d.notify.Settings(ctx, web.MustActor(ctx), f.Clinic.ID)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		page = sendingForm(f.Clinic, sendingValues(s, phone))
		page.Custom = s.Custom
	}
	d.send(w, r, reply{Page: "sending", View: view{Title: "Sending settings", Header: f.header(r, "sending"), Data: page}})
}
