package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// logPageSize is how many notifications a page of the communication log, the outbox or the
// SMS inbox shows.
const logPageSize = 50

// logPage is the data of templates/notifications.html: the current clinic's day (counts by
// state of what is due today, the SMS budget of the month) and its notifications, filtered.
type logPage struct {
	NoClinic bool
	Clinic   string
	Zone     string
	Summary  summaryView
	// The filter as typed, and its menus.
	State, Channel, From, To string
	States, Channels         []choice
	Rows                     []noteRow
	// Older is the link to the next page, "" on the last.
	Older  string
	Errors formErrors
}

// summaryView is the header of the log: today's counts and the month's SMS segments.
type summaryView struct {
	Counts    []stateCount
	SMSUsed   int
	SMSBudget int // 0: no limit
	Percent   int // of the budget used
	Alert     bool
	Unread    int
}

type stateCount struct {
	State, Label string
	Count        int
}

// noteRow is one notification of a list.
type noteRow struct {
	ID         int64
	Due        string
	PatientID  clinic.PatientID
	Patient    string
	Kind       string // label
	Channel    string // label
	State      string // the value, for the badge's class
	StateLabel string
	Reason     string // English, translated by the template
	ProviderID string
	Segments   int
}

// logFilter is the communication log's filter as typed in its form.
type logFilter struct{ State, Channel, From, To string }

// logLabels name the filter's fields on the page.
var logLabels = map[string]fieldLabel{
	"state": {"state", "State"}, "channel": {"channel", "Channel"}, "from": {"from", "From day"}, "to": {"to", "To day"},
	"after": {"", "Page"},
}

// readLogFilter reads the filter: a state and a channel among those listed, and days
// written YYYY-MM-DD bounded by the clinic's midnights (so a day has 23 to 25 hours), the
// last day included.
func readLogFilter(in logFilter, loc *time.Location) (store.NotificationFilter, error) {
	var v clinic.ValidationError
	out := store.NotificationFilter{State: in.State, Channel: in.Channel}
	if in.State != "" && !slices.Contains(noteStates(), in.State) {
		v.Add("state", "must be one of the states listed")
	}
	if in.Channel != "" && !consent.Channel(in.Channel).Valid() {
		v.Add("channel", consent.ChannelReason)
	}
	out.From, out.To = dayRange(&v, in.From, in.To, loc)
	return out, v.Err()
}

// notificationList shows the current clinic's communication log (GET /notifications,
// NOT-9): what is due today by state and the SMS budget of the month (notify.Summary), then
// its notifications newest first (notify.List, which audits the patients listed), filtered by
// state, channel and due day (?state=&channel=&from=&to=, days in the clinic's zone), 50 a page
// (?after=ID). Times are shown in the clinic's zone.
func (d *Dashboard) notificationList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	in := logFilter{State: q.Get("state"), Channel: q.Get("channel"), From: q.Get("from"), To: q.Get("to")}
	after, afterErr := queryID(r, "after")
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := logPage{Clinic: f.Clinic.Name, Zone: f.Clinic.Zone, State: in.State, Channel: in.Channel, From: in.From, To: in.To,
		States: choices(noteStates(), stateLabel, in.State), Channels: choices(consent.Channels(), channelName, in.Channel)}
	v := view{Title: "Messages", Header: f.header(r, "notifications"), Data: &page}
	if f.Clinic.ID == 0 {
		page.NoClinic = true
		d.send(w, r, reply{Page: "notifications", View: v})
		return
	}
	actor := web.MustActor(ctx)
	sum, err := d.notify.Summary(ctx, actor, f.Clinic.ID, d.now())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Summary = summaryOf(sum)
	filter, err := readLogFilter(in, f.Loc)
	if err = joinInvalid(afterErr, err); err != nil {
		if web.Status(err) != http.StatusUnprocessableEntity {
			d.fail(w, r, err)
			return
		}
		page.Errors = notesOf(err, logLabels, nil)
		d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "notifications", View: v})
		return
	}
	filter.ClinicID, filter.Page = f.Clinic.ID, store.Page{After: after, Limit: logPageSize}
	ns, err := d.notify.List(ctx, actor, filter)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if page.Rows, err = d.noteRows(ctx, f, ns); err != nil {
		d.fail(w, r, err)
		return
	}
	if len(ns) == logPageSize {
		next := url.Values{}
		for k, s := range map[string]string{"state": in.State, "channel": in.Channel, "from": in.From, "to": in.To} {
			if s != "" {
				next.Set(k, s)
			}
		}
		next.Set("after", strconv.FormatInt(ns[len(ns)-1].ID, 10))
		page.Older = "/notifications?" + next.Encode()
	}
	d.send(w, r, reply{Page: "notifications", View: v})
}

// summaryOf is a clinic's day as the log's header shows it: every state, counted or not.
func summaryOf(s notify.Summary) summaryView {
	out := summaryView{SMSUsed: s.SMSUsed, SMSBudget: s.SMSBudget, Alert: s.BudgetAlert, Unread: s.Unread}
	for _, st := range noteStates() {
		out.Counts = append(out.Counts, stateCount{State: st, Label: stateLabel(st), Count: s.Counts[st]})
	}
	if s.SMSBudget > 0 {
		out.Percent = s.SMSUsed * 100 / s.SMSBudget
	}
	return out
}

// noteRows are notifications as a list shows them, with their patients' names read in one
// statement (the list's use case has audited those patients).
func (d *Dashboard) noteRows(ctx context.Context, f frame, ns []store.Notification) ([]noteRow, error) {
	ids := make([]clinic.PatientID, len(ns))
	for i, n := range ns {
		ids[i] = n.PatientID
	}
	names, err := d.patientNamesOf(ctx, f.Org.ID, ids)
	if err != nil {
		return nil, err
	}
	rows := make([]noteRow, 0, len(ns))
	for _, n := range ns {
		rows = append(rows, rowOf(f, n, names[n.PatientID]))
	}
	return rows, nil
}

// rowOf is notification n as a list shows it, due in its clinic's zone.
func rowOf(f frame, n store.Notification, patient string) noteRow {
	return noteRow{ID: n.ID, Due: f.Locale.Stamp(n.Due.In(f.zoneOf(n.ClinicID))), PatientID: n.PatientID, Patient: patient,
		Kind: kindLabel(n.Kind), Channel: noteChannel(n.Channel), State: n.State, StateLabel: noteLabel(n), Reason: n.Reason,
		ProviderID: n.ProviderID, Segments: n.Segments}
}

// zoneOf is the zone of one of the organisation's clinics, the current clinic's when it is
// not one of the frame's.
func (f frame) zoneOf(id clinic.ClinicID) *time.Location {
	for _, c := range f.Clinics {
		if c.ID == id {
			if loc, err := c.Location(); err == nil {
				return loc
			}
		}
	}
	return f.Loc
}

// patientNamesOf reads the full names of patients (0 and repeats skipped) in one
// statement. A patient deleted since is absent.
func (d *Dashboard) patientNamesOf(ctx context.Context, org clinic.OrgID, ids []clinic.PatientID) (map[clinic.PatientID]string, error) {
	var want []clinic.PatientID
	for _, id := range ids {
		if id != 0 && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	out := map[clinic.PatientID]string{}
	if len(want) == 0 {
		return out, nil
	}
	err := d.db.View(ctx, func(tx *store.Tx) error {
		ps, err := tx.Patients().PatientsByIDs(ctx, org, want)
		for id, p := range ps {
			out[id] = p.FullName()
		}
		return err
	})
	return out, err
}
