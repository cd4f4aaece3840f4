package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// msgNotFree is what staff read when a time they typed is not free on the agenda (another
// appointment, the practitioner's absence).
const msgNotFree = "This time is not free on this agenda: choose another."

// bookSearchSize bounds the patients the booking form offers for one search; a longer list
// asks for a more precise search.
const bookSearchSize = 20

// bookPage is the data of templates/book.html, the booking form.
type bookPage struct {
	NoClinic  bool
	NoReason  bool
	Clinic    string
	Zone      string
	Date      string // YYYY-MM-DD: the day whose free times are listed
	DateLabel string
	Reasons   []option
	Agendas   []option // the first is "No preference" (0)
	Slots     []freeSlot
	// Other: "Another time" is chosen, typed in Time (HH:MM, the clinic's clock), for a
	// time the free ones do not offer (a patient squeezed in, confirmed if out of hours).
	Other bool
	Time  string
	// Confirm asks the person booking to confirm what the booking use case asks about (a
	// time outside the agenda's hours, the patient's other appointment that day); nil
	// when there is nothing to confirm.
	Confirm *bookConfirm
	// Query is the patient search text, echoed into the form body only, never into a URL.
	Query       string
	Searched    bool
	SearchError string
	Patients    []patientChoice
	More        bool // the search matched more patients than are listed
	Note        string
	Message     string // why the booking was refused (409)
	Fields      []clinic.FieldError
	Back        string // the day view
}

// SearchURL is where the form's patient search posts (templates/parts.html's
// "patient-search"): the booking form itself.
func (bookPage) SearchURL() string { return "/appointments/new" }

// bookConfirm is what a refused booking or move asks the person to confirm, and the value
// of the button that confirms it all at once (the form's "confirm" field).
type bookConfirm struct {
	Hours   *hoursPrompt
	SameDay []sameDayPrompt
	Value   string // "outside_hours same_day"
}

// hoursPrompt is a time outside an agenda's working hours (booking.HoursError).
type hoursPrompt struct {
	Agenda  string
	OffGrid bool
	Grid    int // minutes
}

// sameDayPrompt is one of the patient's other appointments that day.
type sameDayPrompt struct {
	Patient string
	Time    string // its start on the clinic's clock
	Agenda  string
}

// confirmValues are the words of the form field "confirm", each a confirmation the person
// gave by pressing "Book anyway" or "Move anyway".
const (
	confirmHours   = "outside_hours"
	confirmSameDay = "same_day"
)

// patientChoice is one patient the booking form offers.
type patientChoice struct {
	ID        clinic.PatientID
	Name      string
	BirthDate string
	Checked   bool
}

// bookInput is what the booking form holds: from the query string of a "Book" link (never
// a patient's details), or from the form body.
type bookInput struct {
	Date      time.Time // civil date; zero for the start's day or today
	ReasonID  clinic.ReasonID
	AgendaID  clinic.AgendaID // 0: no preference
	Start     string          // RFC 3339 instant, as sent; "other" for a time typed in Time
	StartAt   time.Time       // the instant of Start (not of Time, which needs the zone)
	Time      string          // HH:MM on the clinic's clock, with Start "other"
	PatientID clinic.PatientID
	Query     string
	Note      string
	// The confirmations given (the "confirm" field): book even outside the agenda's
	// hours, even though the patient has another appointment that day.
	AllowOutsideHours, AllowSameDay bool
}

// readBookInput reads the booking form's fields from v, naming each malformed one.
func readBookInput(v url.Values) (bookInput, error) {
	var in bookInput
	var errs clinic.ValidationError
	if s := v.Get("date"); s != "" {
		t, ok := walltime.ParseDay(s)
		if !ok {
			errs.Add("date", walltime.DateReason)
		}
		in.Date = t
	}
	id := func(field string) int64 { return valuesID(v, field, &errs) }
	in.ReasonID = clinic.ReasonID(id("reason_id"))
	in.AgendaID = clinic.AgendaID(id("agenda_id"))
	in.PatientID = clinic.PatientID(id("patient_id"))
	if in.Start = v.Get("start"); in.Start == "other" {
		in.Time = strings.TrimSpace(v.Get("time"))
	} else if in.Start != "" {
		t, err := time.Parse(time.RFC3339, in.Start)
		if err != nil {
			errs.Add("start", "must be one of the free times listed")
			in.Start = ""
		}
		in.StartAt = t
	}
	for _, c := range strings.Fields(v.Get("confirm")) {
		in.AllowOutsideHours = in.AllowOutsideHours || c == confirmHours
		in.AllowSameDay = in.AllowSameDay || c == confirmSameDay
	}
	in.Query = strings.TrimSpace(v.Get("q"))
	in.Note = strings.TrimSpace(v.Get("note")) // booking.BookTx checks it, as for the API
	return in, errs.Err()
}

// appointmentNew shows the booking form (GET /appointments/new?date=&reason_id=&agenda_id=&start=&patient_id=),
// filled from a free slot's "Book" link: reason, agenda or "No preference", the day's free
// times with the chosen one selected, and the patient search. It shows no patient until a
// search is made (a POST, so the text stays out of URLs), except the one a patient file's
// "Book an appointment" names by id, selected.
func (d *Dashboard) appointmentNew(w http.ResponseWriter, r *http.Request) {
	in, err := readBookInput(r.URL.Query())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	// A patient's details never come from a URL; their id may (the patient file's "Book an
	// appointment" preselects them: searchForBooking lists them if of this clinic's database).
	in.Query, in.Note = "", ""
	in.AllowOutsideHours, in.AllowSameDay = false, false // confirmations are given in the form
	d.showBook(w, r, in, http.StatusOK, nil)
}

// showBook renders the booking form for in, with the refusal of a failed booking (status 409
// or 422: the fields named, a conflict's message, or the confirmations the booking use case
// asks for, booking.HoursError and booking.SameDayError) or none (200). A request from htmx
// (the patient search button) gets the "patient-results" fragment only. Patients listed are
// audited as "patient.search".
func (d *Dashboard) showBook(w http.ResponseWriter, r *http.Request, in bookInput, status int, refusal error) {
	ctx := r.Context()
	var f frame
	var page bookPage
	var shown []clinic.PatientID
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if page, shown, err = d.loadBook(ctx, tx, f, in); err != nil {
			return err
		}
		page.Confirm, err = confirmOf(ctx, tx, f, refusal)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	switch {
	case page.Confirm != nil || web.Status(refusal) != http.StatusConflict:
	case in.Start == "other" && errors.Is(refusal, booking.ErrNotAvailable):
		page.Message = msgNotFree // typed, not picked: nobody took it meanwhile
	default:
		page.Message = conflictMessage(refusal)
	}
	page.Fields = append(page.Fields, clinic.FieldsOf(refusal)...)
	if status == http.StatusOK && len(page.Fields) > 0 {
		status = http.StatusUnprocessableEntity
	}
	rp := reply{
		Status: status,
		Page:   "book",
		View:   view{Title: "Book an appointment", Header: f.header(r, "agenda"), Data: page},
		Audit:  []audit{{"patient.search", shown}},
	}
	if r.Method == http.MethodPost {
		w.Header().Add("Vary", "HX-Request")
		if r.Header.Get("HX-Request") == "true" {
			rp.Block = "patient-results"
		}
	}
	d.send(w, r, rp)
}

// loadBook reads what the booking form shows for in: the clinic's reasons, the agendas
// offering the chosen one, that day's free times (on the chosen agenda, or on any with no
// preference) and the patients the search matches in the clinic's clinical database. A
// reason or agenda that does not fit is replaced and named in the page's fields.
func (d *Dashboard) loadBook(ctx context.Context, tx *store.Tx, f frame, in bookInput) (bookPage, []clinic.PatientID, error) {
	page := bookPage{Clinic: f.Clinic.Name, Zone: f.Clinic.Zone, Query: in.Query, Note: in.Note, Other: in.Start == "other", Time: in.Time}
	if f.Clinic.ID == 0 {
		page.NoClinic = true
		return page, nil, nil
	}
	org := f.Org.ID
	day := in.Date
	switch {
	case !day.IsZero():
	case !in.StartAt.IsZero():
		day = today(in.StartAt, f.Loc)
	default:
		day = today(d.now(), f.Loc)
	}
	page.Date, page.DateLabel = day.Format(time.DateOnly), day.Format("Monday 2 January 2006")
	reasons, err := clinicReasons(ctx, tx, org, f.Clinic.ID)
	if err != nil {
		return page, nil, err
	}
	if len(reasons) == 0 {
		page.NoReason = true
		page.Back = dayLink(page.Date, 0)
		return page, nil, nil
	}
	reason := reasons[0]
	if in.ReasonID != 0 {
		i := slices.IndexFunc(reasons, func(x clinic.Reason) bool { return x.ID == in.ReasonID })
		if i < 0 {
			page.Fields = append(page.Fields, clinic.FieldError{Field: "reason_id", Reason: "is not a consultation reason of this clinic"})
		} else {
			reason = reasons[i]
		}
	}
	page.Back = dayLink(page.Date, reason.ID)
	for _, x := range reasons {
		page.Reasons = append(page.Reasons, option{Value: int64(x.ID), Label: x.Name, Selected: x.ID == reason.ID})
	}
	offering, err := tx.Schedule().AgendasOffering(ctx, org, reason.ID)
	if err != nil {
		return page, nil, err
	}
	agenda := in.AgendaID
	if agenda != 0 && !slices.ContainsFunc(offering, func(a clinic.Agenda) bool { return a.ID == agenda }) {
		page.Fields = append(page.Fields, clinic.FieldError{Field: "agenda_id", Reason: "does not offer this reason"})
		agenda = 0
	}
	page.Agendas = append(page.Agendas, option{Value: 0, Label: "No preference (first free)", Selected: agenda == 0})
	for _, a := range offering {
		page.Agendas = append(page.Agendas, option{Value: int64(a.ID), Label: a.Name, Selected: a.ID == agenda})
	}
	if len(offering) > 0 {
		from, to := dayBounds(day, f.Loc)
		q := booking.Query{ReasonID: reason.ID, From: from, To: to}
		if agenda != 0 {
			q.AgendaIDs = []clinic.AgendaID{agenda}
		}
		av, err := d.booking.AvailabilityTx(ctx, tx, org, q)
		if err != nil {
			return page, nil, err
		}
		var free []time.Time
		for _, as := range av.Agendas {
			for _, s := range as.Slots {
				if !slices.ContainsFunc(free, s.Equal) {
					free = append(free, s)
				}
			}
		}
		slices.SortFunc(free, time.Time.Compare)
		page.Slots = slotList(free, f.Loc, in.Start)
	}
	shown, err := searchForBooking(ctx, tx, f, in, &page)
	return page, shown, err
}

// confirmOf is what refusal asks the person to confirm (booking.HoursError,
// booking.SameDayError, both when both apply), named in the clinic's words: the agenda, and
// the patient's other appointments that day with their times and agendas. nil when refusal
// asks for nothing.
func confirmOf(ctx context.Context, tx *store.Tx, f frame, refusal error) (*bookConfirm, error) {
	var he *booking.HoursError
	var sd *booking.SameDayError
	hours, same := errors.As(refusal, &he), errors.As(refusal, &sd)
	if !hours && !same {
		return nil, nil
	}
	c := &bookConfirm{}
	var values []string
	if hours {
		c.Hours = &hoursPrompt{Agenda: he.Agenda, OffGrid: he.OffGrid, Grid: he.Grid}
		values = append(values, confirmHours)
	}
	if same {
		values = append(values, confirmSameDay)
		names, _, err := patientNames(ctx, tx, f.Org.ID, sd.Others)
		if err != nil {
			return nil, err
		}
		for _, o := range sd.Others {
			ag, err := tx.Directory().Agenda(ctx, f.Org.ID, o.AgendaID)
			if err != nil {
				return nil, err
			}
			c.SameDay = append(c.SameDay, sameDayPrompt{Patient: names[o.PatientID], Time: o.Start.In(f.zoneOf(o.ClinicID)).Format("15:04"), Agenda: ag.Name})
		}
	}
	c.Value = strings.Join(values, " ")
	return c, nil
}

// searchForBooking lists the patients of the clinic's clinical database the search text
// matches, and keeps the patient already chosen listed (and selected) whatever the search.
func searchForBooking(ctx context.Context, tx *store.Tx, f frame, in bookInput, page *bookPage) ([]clinic.PatientID, error) {
	pick, ids, err := pickPatients(ctx, tx, f, in.Query, in.PatientID)
	page.Searched, page.SearchError, page.Patients, page.More = pick.Searched, pick.SearchError, pick.Patients, pick.More
	return ids, err
}

// patientPick is the patient search of a form that chooses one patient (the booking form,
// the waitlist's): templates/parts.html's "patient-results" shows it.
type patientPick struct {
	Searched    bool
	SearchError string
	Patients    []patientChoice
	More        bool // the search matched more patients than are listed
}

// pickPatients lists the patients of the current clinic's clinical database that query
// matches (at most bookSearchSize), and keeps the patient already chosen listed (and
// selected) whatever the search. It returns the patients listed, to be audited.
func pickPatients(ctx context.Context, tx *store.Tx, f frame, query string, chosen clinic.PatientID) (patientPick, []clinic.PatientID, error) {
	var pick patientPick
	var ps []clinic.Patient
	if query != "" {
		pick.Searched = true
		filter, err := searchFilter(query, f.Clinic.Region)
		var ve *clinic.ValidationError
		switch {
		case errors.As(err, &ve):
			pick.SearchError = "Search text " + ve.Fields[0].Reason + "."
		case err != nil:
			return pick, nil, err
		default:
			filter.DatabaseID = f.Clinic.DatabaseID
			if ps, err = tx.Patients().ListPatients(ctx, f.Org.ID, filter, store.Page{Limit: bookSearchSize + 1}); err != nil {
				return pick, nil, err
			}
			if len(ps) > bookSearchSize {
				ps, pick.More = ps[:bookSearchSize], true
			}
		}
	}
	if chosen != 0 && !slices.ContainsFunc(ps, func(p clinic.Patient) bool { return p.ID == chosen }) {
		found, err := tx.Patients().PatientsByIDs(ctx, f.Org.ID, []clinic.PatientID{chosen})
		if err != nil {
			return pick, nil, err
		}
		if p, ok := found[chosen]; ok && p.DatabaseID == f.Clinic.DatabaseID && p.MergedInto == 0 {
			ps = append([]clinic.Patient{p}, ps...)
		}
	}
	ids := make([]clinic.PatientID, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
		pick.Patients = append(pick.Patients, patientChoice{ID: p.ID, Name: p.FullName(), BirthDate: civilDate(p.BirthDate),
			Checked: p.ID == chosen})
	}
	return pick, ids, nil
}
