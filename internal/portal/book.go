package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/store"
)

// choice is one option of a step.
type choice struct {
	Value    string
	Label    string
	Selected bool
}

// dayChoice is a day with free times.
type dayChoice struct {
	Date     string // YYYY-MM-DD, the clinic's civil date
	Href     string // the page with this day chosen
	Label    string
	Slots    int
	Selected bool
}

// timeChoice is a free start time.
type timeChoice struct {
	Start string // RFC 3339, UTC
	Label string
}

// bookPage is the booking page: each step's choices, the ones made so far in the query
// (for, reason, agenda, day, from), and the problem of a refused booking.
type bookPage struct {
	NoRecord bool
	Closed   bool // the clinic does not take bookings online
	Patients []choice
	For      string
	Reasons  []choice
	Reason   string
	Agendas  []choice
	Agenda   string // an agenda's id, or "any"
	Days     []dayChoice
	From     string // the first day listed
	Prev     string // the previous week's page, "" before today
	Next     string // the next week's, "" past the horizon
	Day      string
	DayLabel string
	Times    []timeChoice
	// Action is where the time step's form posts (the booking, or a move).
	Action  string
	Problem string
	Fields  []clinic.FieldError
	// Move is the appointment being moved, for the reschedule page, at Version.
	Move    *apptView
	Version int64
}

// week is how many days the day step lists at once.
const week = 7

// bookForm walks the patient through a booking (GET /p/{slug}/book?for=&reason=&agenda=&day=&from=):
// who it is for (when they manage relatives), the reason, the practitioner or "No
// preference", the day, then the free times, each step shown once the previous is chosen.
// Only real slots are offered, from the availability engine under the clinic's online rules.
func (p *Portal) bookForm(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.bookData(r.Context(), r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "book", "Book an appointment", data)
}

// bookData builds the booking page from the query.
func (p *Portal) bookData(ctx context.Context, r *http.Request, v *visit) (bookPage, error) {
	q := r.URL.Query()
	data := bookPage{NoRecord: v.SelfID() == 0, Closed: !v.Site.Settings.OnlineBooking, Action: v.base() + "/book"}
	if data.NoRecord || data.Closed {
		return data, nil
	}
	org, cl := v.Site.Clinic.OrgID, v.Site.Clinic
	// Who: the holder or a relative they manage; anyone else is refused as not found.
	who := v.SelfID()
	if s := q.Get("for"); s != "" {
		id, _ := strconv.ParseInt(s, 10, 64)
		if !v.Session.Actor.Reaches(clinic.PatientID(id)) {
			return data, fmt.Errorf("patient %s: %w", s, clinic.ErrNotFound)
		}
		who = clinic.PatientID(id)
	}
	data.For = strconv.FormatInt(int64(who), 10)
	if pts := v.Session.Patients(); len(pts) > 1 {
		for _, pt := range pts {
			data.Patients = append(data.Patients, choice{Value: strconv.FormatInt(int64(pt.ID), 10), Label: pt.GivenName + " " + pt.FamilyName, Selected: pt.ID == who})
		}
	}
	var reasons []clinic.Reason
	var agendas []clinic.Agenda
	var seen bool
	err := p.d.DB.View(ctx, func(tx *store.Tx) (err error) {
		if reasons, err = tx.Directory().Reasons(ctx, org, store.ReasonFilter{ClinicID: cl.ID}, store.Page{Limit: 1000}); err != nil {
			return err
		}
		if seen, err = tx.Portal().SeenAt(ctx, org, cl.ID, who); err != nil {
			return err
		}
		if id, _ := strconv.ParseInt(q.Get("reason"), 10, 64); id != 0 {
			agendas, err = tx.Schedule().AgendasOffering(ctx, org, clinic.ReasonID(id))
		}
		return err
	})
	if err != nil {
		return data, err
	}
	// Reasons this patient may book online (POR-1: online, and for new or seen patients).
	var chosen *clinic.Reason
	for _, x := range reasons {
		if !booking.BookableOnlineBy(x, seen) {
			continue
		}
		id := strconv.FormatInt(int64(x.ID), 10)
		c := choice{Value: id, Label: x.Name, Selected: id == q.Get("reason")}
		if c.Selected {
			chosen = &x
			data.Reason = id
		}
		data.Reasons = append(data.Reasons, c)
	}
	if chosen == nil {
		return data, nil
	}
	// Practitioners, and "No preference" when the clinic allows it.
	var agendaIDs []clinic.AgendaID
	if cl.Rules.AllowNoPreference {
		data.Agendas = append(data.Agendas, choice{Value: "any", Label: "No preference", Selected: q.Get("agenda") == "any"})
	}
	for _, a := range agendas {
		id := strconv.FormatInt(int64(a.ID), 10)
		c := choice{Value: id, Label: a.Name, Selected: id == q.Get("agenda")}
		if c.Selected {
			agendaIDs = []clinic.AgendaID{a.ID}
		}
		data.Agendas = append(data.Agendas, c)
	}
	switch {
	case q.Get("agenda") == "any" && cl.Rules.AllowNoPreference:
		data.Agenda = "any"
	case len(agendaIDs) == 1:
		data.Agenda = q.Get("agenda")
	default:
		return data, nil
	}
	base := url.Values{"for": {data.For}, "reason": {data.Reason}, "agenda": {data.Agenda}}
	return data, p.days(ctx, v, &data, base, chosen.ID, agendaIDs, q.Get("from"), q.Get("day"))
}

// days fills the day and time steps: the week from `from` (today by default) with the
// number of free times each day, and the free times of `day`.
func (p *Portal) days(ctx context.Context, v *visit, data *bookPage, base url.Values, reason clinic.ReasonID, agendas []clinic.AgendaID, from, day string) error {
	href := func(k, val, anchor string, more ...string) string {
		q := url.Values{}
		for key, vs := range base {
			q[key] = vs
		}
		q.Set(k, val)
		for i := 0; i+1 < len(more); i += 2 {
			q.Set(more[i], more[i+1])
		}
		return "?" + q.Encode() + anchor
	}
	cl := v.Site.Clinic
	loc, err := cl.Location()
	if err != nil {
		return err
	}
	now := p.d.Now()
	today := localDay(now, loc)
	first, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil || localDay(first, loc) < today {
		first, _ = time.ParseInLocation(time.DateOnly, today, loc)
	}
	last, _ := time.ParseInLocation(time.DateOnly, today, loc)
	last = last.AddDate(0, 0, cl.Rules.HorizonDays)
	if !first.Before(last) {
		first = last.AddDate(0, 0, -week)
	}
	end := first.AddDate(0, 0, week)
	data.From = first.Format(time.DateOnly)
	if prev := first.AddDate(0, 0, -week); localDay(first, loc) > today {
		if localDay(prev, loc) < today {
			prev, _ = time.ParseInLocation(time.DateOnly, today, loc)
		}
		data.Prev = href("from", prev.Format(time.DateOnly), "#day-step")
	}
	if end.Before(last) {
		data.Next = href("from", end.Format(time.DateOnly), "#day-step")
	}
	av, err := p.d.Booking.Availability(ctx, cl.OrgID, booking.Query{ReasonID: reason, AgendaIDs: agendas, From: first.UTC(), To: end.UTC(), Online: true})
	if err != nil {
		return err
	}
	// The union of the agendas' free times: with no preference the booking takes the
	// first agenda free at the time chosen.
	var starts []time.Time
	for _, a := range av.Agendas {
		starts = append(starts, a.Slots...)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	starts = slices.CompactFunc(starts, func(a, b time.Time) bool { return a.Equal(b) })
	count := map[string]int{}
	for _, s := range starts {
		count[localDay(s, loc)]++
	}
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		data.Days = append(data.Days, dayChoice{Date: key, Href: href("day", key, "#time-step", "from", data.From), Label: v.Locale.DayDate(d),
			Slots: count[key], Selected: key == day})
	}
	if day == "" || count[day] == 0 {
		return nil
	}
	data.Day, data.DayLabel = day, dayLabel(v.Locale, day)
	for _, s := range starts {
		if localDay(s, loc) == day {
			data.Times = append(data.Times, timeChoice{Start: s.UTC().Format(time.RFC3339), Label: v.Locale.Time(s.In(loc))})
		}
	}
	return nil
}

// msgTaken is the answer when the time chosen was booked by someone else meanwhile.
const msgTaken = "Sorry, this time was just taken. Please choose another."

// book books the time chosen (POST /p/{slug}/book: for, reason, agenda (an id or "any"),
// start), through the booking use case with the patient as actor: every rule (portal on,
// bookings online, reason, horizon, notice, grid, the slot free) is checked there.
func (p *Portal) book(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	f := r.PostForm
	var v2 clinic.ValidationError
	patient, _ := strconv.ParseInt(f.Get("for"), 10, 64)
	reason, err := strconv.ParseInt(f.Get("reason"), 10, 64)
	if err != nil {
		v2.Add("reason_id", "is required")
	}
	var agenda int64
	if a := f.Get("agenda"); a != "any" {
		if agenda, err = strconv.ParseInt(a, 10, 64); err != nil {
			v2.Add("agenda_id", "is required")
		}
	}
	start, err := time.Parse(time.RFC3339, f.Get("start"))
	if err != nil {
		v2.Add("start", "is required")
	}
	if patient == 0 {
		patient = int64(v.SelfID())
	}
	if err := v2.Err(); err != nil {
		p.bookRefused(w, r, v, err)
		return
	}
	res, err := p.d.Booking.Book(r.Context(), ctxActor(r.Context()), booking.Request{ReasonID: clinic.ReasonID(reason), AgendaID: clinic.AgendaID(agenda),
		PatientID: clinic.PatientID(patient), Start: start}, nil)
	if err != nil {
		p.bookRefused(w, r, v, err)
		return
	}
	http.Redirect(w, r, page.WithDone(fmt.Sprintf("%s/appointments/%d", v.base(), res.Appointment.ID), "booked"), http.StatusSeeOther)
}

// bookRefused shows the booking page again, at the step the form came from, with why.
func (p *Portal) bookRefused(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	status := 0
	var problem string
	var ce *clinic.ConflictError
	switch {
	case errors.Is(err, booking.ErrNotAvailable):
		status, problem = http.StatusConflict, msgTaken
	case errors.As(err, &ce):
		status, problem = http.StatusConflict, ce.Reason
	case errors.Is(err, clinic.ErrInvalid):
		status = http.StatusUnprocessableEntity
	default:
		p.fail(w, r, v, err)
		return
	}
	// The steps chosen so far, as the form carried them, with the day of the time chosen.
	q := r.URL.Query()
	for _, k := range []string{"for", "reason", "agenda"} {
		q.Set(k, r.PostFormValue(k))
	}
	if t, terr := time.Parse(time.RFC3339, r.PostFormValue("start")); terr == nil {
		if loc, lerr := v.Site.Clinic.Location(); lerr == nil {
			q.Set("day", localDay(t, loc))
			q.Set("from", localDay(t, loc))
		}
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	data, derr := p.bookData(r.Context(), r2, v)
	if derr != nil {
		p.fail(w, r, v, derr)
		return
	}
	data.Problem, data.Fields = problem, clinic.FieldsOf(err)
	p.render(w, r, v, status, "book", "Book an appointment", data)
}

// sortChoices orders choices by their label.
func sortChoices(cs []choice) {
	slices.SortFunc(cs, func(a, b choice) int { return strings.Compare(a.Label, b.Label) })
}
