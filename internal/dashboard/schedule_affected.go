package dashboard

import (
	"context"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// affectedRow is one appointment an absence or a closed day falls on, as the absences,
// exceptions and preview pages list it: when and where, the patient, and what the patient
// would be told if staff cancelled it now (Notice).
type affectedRow struct {
	ID          clinic.AppointmentID
	Date        string
	Time        string
	Agenda      string
	PatientID   clinic.PatientID
	Patient     string
	Reason      string
	Status      clinic.Status
	StatusLabel string
	Actions     apptActions // none on a preview: nothing is recorded yet
	Notice      *noticeView // nil when the user may not cancel it
}

// noticeView is booking.CancelNotice as the pages show it (templates/parts.html,
// "cancel-notice"): per channel, whether a cancellation notice would go and the consent
// engine's sentence saying why (CON-9).
type noticeView struct {
	Silent   bool
	Channels []channelNoticeView
}

type channelNoticeView struct {
	Channel consent.Channel
	Label   string // "SMS", "E-mail", "Push notifications": catalog keys
	Sent    bool
	Text    string // an English sentence, translated by the catalog's patterns
}

// msgChannelOff is the sentence of a channel the clinic does not send on: no notice is
// planned on it, whatever consent says.
const msgChannelOff = "Not sent: this clinic does not send notifications by this channel (sending settings)."

func noticeOf(n booking.CancelNotice) *noticeView {
	v := &noticeView{Silent: n.Silent}
	for _, c := range n.Channels {
		row := channelNoticeView{Channel: c.Channel, Label: channelName(c.Channel), Sent: c.Sent(), Text: msgChannelOff}
		if c.Planned {
			row.Text = c.Decision.Text(n.At)
		}
		v.Channels = append(v.Channels, row)
	}
	return v
}

// affectedRows lays out groups of affected appointments (one group per absence or closed
// day) in a fixed number of statements whatever their number: the patients' names, the
// agendas' and reasons' names, and what each patient would be told if cancelled now
// (booking.Service.CancelNoticesTx), for the appointments the user may cancel. Each row's
// buttons return to here; a preview (here == "") has none. It returns the patients shown,
// for the page's audit row.
func (d *Dashboard) affectedRows(ctx context.Context, tx *store.Tx, f frame, groups [][]clinic.Appointment, here string) ([][]affectedRow, []clinic.PatientID, error) {
	org := f.Org.ID
	var every []clinic.Appointment
	for _, g := range groups {
		every = append(every, g...)
	}
	if len(every) == 0 {
		return make([][]affectedRow, len(groups)), nil, nil
	}
	patients, shown, err := patientNames(ctx, tx, org, every)
	if err != nil {
		return nil, nil, err
	}
	n, err := directoryNames(ctx, tx, org)
	if err != nil {
		return nil, nil, err
	}
	// The buttons the user has (the use cases' rules, through actionsFor): only an
	// appointment they may cancel gets a "what would the patient be told" column.
	actions := map[clinic.AppointmentID]apptActions{}
	var cancellable []clinic.Appointment
	for _, a := range every {
		if _, seen := actions[a.ID]; seen {
			continue
		}
		loc := f.zoneOf(a.ClinicID)
		start := a.Start.In(loc)
		x := actionsFor(a, d.dayOf(a, loc), f.Actor, here, f.Locale.Day(start)+" "+span(a.Start, a.End, loc)+" "+start.Format("MST"), false)
		actions[a.ID] = x
		if x.Cancel {
			cancellable = append(cancellable, a)
		}
	}
	notices, err := d.booking.CancelNoticesTx(ctx, tx, org, cancellable)
	if err != nil {
		return nil, nil, err
	}
	byID := map[clinic.AppointmentID]*noticeView{}
	for _, x := range notices {
		byID[x.AppointmentID] = noticeOf(x)
	}
	out := make([][]affectedRow, len(groups))
	for i, g := range groups {
		for _, a := range g {
			loc := f.zoneOf(a.ClinicID)
			start := a.Start.In(loc)
			when := span(a.Start, a.End, loc) + " " + start.Format("MST")
			row := affectedRow{ID: a.ID, Date: f.Locale.DayDate(start), Time: when, Agenda: n.agendas[a.AgendaID], PatientID: a.PatientID,
				Patient: patients[a.PatientID], Reason: n.reasons[a.ReasonID], Status: a.Status, StatusLabel: statusLabel(a.Status),
				Notice: byID[a.ID]}
			if here != "" {
				row.Actions = actions[a.ID]
			}
			out[i] = append(out[i], row)
		}
	}
	return out, shown, nil
}
