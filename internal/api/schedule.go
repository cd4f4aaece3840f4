package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
	"strings"
)

// AgendaAvailability is one agenda's free start times: as RFC 3339 instants in UTC in
// slots, or with format=offsets as seconds after the window's start in offsets (a 90-day
// window of 50 agendas is some 100,000 slots: the compact form is a sixth of the size and far
// cheaper to produce and parse). The list of the chosen format is always there, [] when the
// agenda has no free slot; the other one is absent.
type AgendaAvailability struct {
	AgendaID int64       `json:"agenda_id"`
	Slots    []time.Time `json:"slots,omitzero"`
	Offsets  []int64     `json:"offsets,omitzero"`
}

// AvailabilityResult answers GET /availability. Its instants are RFC 3339 in UTC (Z); zone
// is the clinic's IANA time zone, in which its opening hours and the patient's wall-clock
// times are read (FirstAvailable follows the same convention).
type AvailabilityResult struct {
	ReasonID        int64                `json:"reason_id"`
	DurationMinutes int                  `json:"duration_minutes"`
	Zone            string               `json:"zone"`
	Agendas         []AgendaAvailability `json:"agendas"`
}

// FirstAvailable answers GET /availability/first; found is false (and nothing else is said)
// when no slot is free. start is the instant in UTC; local_start is the same moment as the
// clinic's wall clock reads it in zone, without an offset, labelled local so it is never
// taken for an instant.
type FirstAvailable struct {
	Found      bool       `json:"found"`
	AgendaID   int64      `json:"agenda_id,omitempty"`
	Start      *time.Time `json:"start,omitempty"`
	Zone       string     `json:"zone,omitempty"`
	LocalStart string     `json:"local_start,omitempty"`
}

// localLayout writes a wall-clock time without an offset (RFC 3339's local date-time).
const localLayout = "2006-01-02T15:04:05"

// BookingInput books an appointment. Without agenda_id the first agenda free at start is
// chosen ("no preference"), among agenda_ids when given.
type BookingInput struct {
	ReasonID  *int64  `json:"reason_id"`
	AgendaID  *int64  `json:"agenda_id"`
	AgendaIDs []int64 `json:"agenda_ids,omitempty"`
	PatientID *int64  `json:"patient_id"`
	Start     *string `json:"start"`
	BookedBy  *string `json:"booked_by"`
	Note      *string `json:"note"`
	// AllowOutsideHours confirms a time outside the agenda's working hours or off the
	// clinic's grid of start times (a patient squeezed in): without it such a booking is
	// refused, 409 naming start, for the person to confirm.
	AllowOutsideHours *bool `json:"allow_outside_hours"`
}

// RescheduleInput moves an appointment; agenda_id absent keeps the agenda.
// allow_outside_hours confirms a time outside the agenda's working hours or off the grid, as
// for a booking.
type RescheduleInput struct {
	Start             *string `json:"start"`
	AgendaID          *int64  `json:"agenda_id"`
	Version           *int64  `json:"version"`
	AllowOutsideHours *bool   `json:"allow_outside_hours"`
}

// CancelInput cancels an appointment read at version. reason, optional (at most 300
// characters), is kept in the appointment's history: the dashboard asks staff for one, while
// the API leaves it optional so that integrations that do not know it (and clients written
// before it existed) keep working.
type CancelInput struct {
	Version *int64  `json:"version"`
	Reason  *string `json:"reason"`
}

// HoursInterval is one working interval: weekday 0 (Sunday) to 6, times "HH:MM" local.
type HoursInterval struct {
	Weekday int    `json:"weekday"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

// WorkingHours is an agenda's weekly hours.
type WorkingHours struct {
	Hours []HoursInterval `json:"hours"`
}

// Exception is a dated change to an agenda's hours: closed removes the day's weekly hours;
// start/end add hours that day.
type Exception struct {
	ID       int64  `json:"id"`
	AgendaID int64  `json:"agenda_id"`
	Day      string `json:"day"`
	Closed   bool   `json:"closed"`
	Start    string `json:"start,omitempty"`
	End      string `json:"end,omitempty"`
	Note     string `json:"note"`
}

// ExceptionInput creates an exception.
type ExceptionInput struct {
	Day    *string `json:"day"`
	Closed *bool   `json:"closed"`
	Start  *string `json:"start"`
	End    *string `json:"end"`
	Note   *string `json:"note"`
}

// Absence is a practitioner's time away.
type Absence struct {
	ID             int64     `json:"id"`
	PractitionerID int64     `json:"practitioner_id"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Note           string    `json:"note"`
}

// AbsenceInput creates an absence.
type AbsenceInput struct {
	PractitionerID *int64  `json:"practitioner_id"`
	Start          *string `json:"start"`
	End            *string `json:"end"`
	Note           *string `json:"note"`
}

// AbsenceCreated is the new absence and the appointments it falls on: staff cancel or move
// each one (each is then notified).
type AbsenceCreated struct {
	Absence  Absence       `json:"absence"`
	Affected []Appointment `json:"affected"`
}

func (a *API) scheduleRoutes() []web.Route {
	read, write, manage := clinic.PermReadSchedule, clinic.PermWriteSchedule, clinic.PermManageSchedule
	avQuery := []web.Param{
		{Name: "reason_id", Type: "integer", Description: "required: the consultation reason"},
		{Name: "agenda_id", Type: "integer", Description: "repeatable: only these agendas (default: every agenda offering the reason)"},
		{Name: "from", Type: "string", Description: "required: RFC 3339 start of the window"},
		{Name: "to", Type: "string", Description: "required: RFC 3339 end of the window (at most 366 days after from)"},
		{Name: "online", Type: "boolean", Description: "apply the clinic's patient-facing rules (horizon, minimum notice); a reason that cannot be booked online is refused (422 naming reason_id), as booking it online would be"},
		{Name: "format", Type: "string", Enum: []string{"times", "offsets"}, Description: "times (default: slots, RFC 3339 instants in UTC) or offsets (seconds after from)"},
	}
	return []web.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/availability", Perm: read, Handler: a.handler(a.availability),
			Doc: &web.Doc{Summary: "Free slots of a reason per agenda", Tag: "Scheduling", Response: AvailabilityResult{}, Query: avQuery}},
		{Method: http.MethodGet, Pattern: Prefix + "/availability/first", Perm: read, Handler: a.handler(a.firstAvailable),
			Doc: &web.Doc{Summary: "First free slot across agendas (no preference)", Tag: "Scheduling", Response: FirstAvailable{}, Query: avQuery}},
		{Method: http.MethodPost, Pattern: Prefix + "/appointments/{id}/reschedule", Perm: write, Handler: a.handler(a.reschedule),
			Doc: &web.Doc{Summary: "Move an appointment atomically (a time outside the agenda's working hours or off the grid needs allow_outside_hours: true, else 409 naming start)", Tag: "Appointments", Request: RescheduleInput{}, Response: Appointment{}, Errors: []int{409}}},
		{Method: http.MethodPost, Pattern: Prefix + "/appointments/{id}/cancel", Perm: write, Handler: a.handler(a.cancel),
			Doc: &web.Doc{Summary: "Cancel an appointment, with an optional reason kept in its history (409 once the patient has arrived, or after its day)", Tag: "Appointments", Request: CancelInput{}, Response: Appointment{}, Errors: []int{409}}},
		{Method: http.MethodGet, Pattern: Prefix + "/agendas/{id}/hours", Perm: clinic.PermReadDirectory, Handler: a.handler(a.getHours),
			Doc: &web.Doc{Summary: "An agenda's weekly working hours", Tag: "Scheduling", Response: WorkingHours{}}},
		{Method: http.MethodPut, Pattern: Prefix + "/agendas/{id}/hours", Perm: manage, Handler: a.handler(a.putHours),
			Doc: &web.Doc{Summary: "Replace an agenda's weekly working hours", Tag: "Scheduling", Request: WorkingHours{}, Response: WorkingHours{}}},
		{Method: http.MethodGet, Pattern: Prefix + "/agendas/{id}/exceptions", Perm: clinic.PermReadDirectory, Handler: a.handler(a.listExceptions),
			Doc: &web.Doc{Summary: "An agenda's dated exceptions", Tag: "Scheduling", Response: Exception{}, List: true,
				Query: []web.Param{{Name: "from", Type: "string", Description: "first day, YYYY-MM-DD"}, {Name: "to", Type: "string", Description: "last day, YYYY-MM-DD"}}}},
		{Method: http.MethodPost, Pattern: Prefix + "/agendas/{id}/exceptions", Perm: manage, Handler: a.handler(a.addException),
			Doc: &web.Doc{Summary: "Close a day or add hours on a day", Tag: "Scheduling", Request: ExceptionInput{}, Response: Exception{}, Status: http.StatusCreated}},
		{Method: http.MethodDelete, Pattern: Prefix + "/exceptions/{id}", Perm: manage, Handler: a.handler(a.deleteException),
			Doc: &web.Doc{Summary: "Remove an exception", Tag: "Scheduling", Status: http.StatusNoContent}},
		{Method: http.MethodGet, Pattern: Prefix + "/absences", Perm: read, Handler: a.handler(a.listAbsences),
			Doc: &web.Doc{Summary: "Absences overlapping a window", Tag: "Scheduling", Response: Absence{}, List: true,
				Query: []web.Param{{Name: "practitioner_id", Type: "integer", Description: "required"}, {Name: "from", Type: "string", Description: "RFC 3339"}, {Name: "to", Type: "string", Description: "RFC 3339"}}}},
		{Method: http.MethodPost, Pattern: Prefix + "/absences", Perm: manage, Handler: a.handler(a.createAbsence),
			Doc: &web.Doc{Summary: "Record an absence; lists the appointments it falls on", Tag: "Scheduling", Request: AbsenceInput{}, Response: AbsenceCreated{}, Status: http.StatusCreated}},
		{Method: http.MethodDelete, Pattern: Prefix + "/absences/{id}", Perm: manage, Handler: a.handler(a.deleteAbsence),
			Doc: &web.Doc{Summary: "Remove an absence", Tag: "Scheduling", Status: http.StatusNoContent}},
	}
}

// availabilityParams is booking.Query plus the answer's format.
type availabilityParams struct {
	booking.Query
	Offsets bool
}

func (a *API) availabilityQuery(r *http.Request) (availabilityParams, error) {
	q := &query{r: r}
	var bq availabilityParams
	bq.ReasonID = clinic.ReasonID(q.id("reason_id"))
	if bq.ReasonID == 0 && q.str("reason_id") == "" {
		q.v.Add("reason_id", "is required")
	}
	for i, s := range r.URL.Query()["agenda_id"] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			q.v.Add(fmt.Sprintf("agenda_id[%d]", i), "must be a positive integer")
		}
		bq.AgendaIDs = append(bq.AgendaIDs, clinic.AgendaID(n))
	}
	var c checker
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &bq.From}, {"to", &bq.To}} {
		s := q.str(p.name)
		if s == "" {
			q.v.Add(p.name, "is required")
			continue
		}
		c.Instant(p.name, &s, p.dst)
	}
	q.v.Fields = append(q.v.Fields, c.Fields...)
	switch q.str("format") {
	case "", "times":
	case "offsets":
		bq.Offsets = true
	default:
		q.v.Add("format", "must be times or offsets")
	}
	switch q.str("online") {
	case "", "false":
	case "true":
		bq.Online = true
	default:
		q.v.Add("online", "must be true or false")
	}
	return bq, q.v.Err()
}

func (a *API) availability(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	q, err := a.availabilityQuery(r)
	if err != nil {
		return 0, nil, err
	}
	av, err := a.booking.Availability(ctx, web.MustActor(ctx).OrgID, q.Query)
	if err != nil {
		return 0, nil, clinic.MissingReference("reason_id", err)
	}
	buf, _ := a.buffers.Get().(*pooledJSON)
	if buf == nil {
		buf = &pooledJSON{pool: &a.buffers}
	}
	buf.b = appendAvailability(buf.b[:0], av, q)
	return http.StatusOK, buf, nil
}

func (a *API) firstAvailable(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	q, err := a.availabilityQuery(r)
	if err != nil {
		return 0, nil, err
	}
	agenda, start, ok, err := a.booking.First(ctx, web.MustActor(ctx).OrgID, q.Query)
	if err != nil {
		return 0, nil, clinic.MissingReference("reason_id", err)
	}
	if !ok {
		return http.StatusOK, FirstAvailable{}, nil
	}
	// The engine gives slots in the clinic's zone (availability.Query.Zone).
	utc := start.UTC()
	return http.StatusOK, FirstAvailable{Found: true, AgendaID: int64(agenda), Start: &utc,
		Zone: start.Location().String(), LocalStart: start.Format(localLayout)}, nil
}

// book is POST /appointments. With an Idempotency-Key header, a retried request (same key,
// same body) gets the first answer again and books nothing more; the same key with another
// body is refused. Only successful answers are kept (for a day): a failed request changed
// nothing, so running it again is safe.
func (a *API) book(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	body, err := web.ReadBody(w, r)
	if err != nil {
		return 0, nil, err
	}
	var in BookingInput
	if err := web.DecodeBytes(body, &in); err != nil {
		return 0, nil, err
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		return 0, nil, clinic.Invalid("Idempotency-Key", "must be at most 255 characters")
	}
	var c checker
	req := booking.Request{BookedBy: clinic.BookedByStaff}
	for _, f := range []struct {
		name string
		in   *int64
		set  func(int64)
	}{
		{"reason_id", in.ReasonID, func(v int64) { req.ReasonID = clinic.ReasonID(v) }},
		{"patient_id", in.PatientID, func(v int64) { req.PatientID = clinic.PatientID(v) }},
	} {
		if c.Required(f.name, f.in != nil, true) {
			f.set(*f.in)
		}
	}
	if in.AgendaID != nil {
		req.AgendaID = clinic.AgendaID(*in.AgendaID)
	}
	for _, id := range in.AgendaIDs {
		req.AgendaIDs = append(req.AgendaIDs, clinic.AgendaID(id))
	}
	if c.Required("start", in.Start != nil, true) {
		c.Instant("start", in.Start, &req.Start)
	}
	if in.Note != nil {
		req.Note = *in.Note // booking.BookTx checks it
	}
	if in.AllowOutsideHours != nil {
		req.AllowOutsideHours = *in.AllowOutsideHours
	}
	// The API does not stop to ask about the patient's other appointment that day, as the
	// dashboard does: it books, and says so in the answer's warnings.
	req.AllowSameDay = true
	if in.BookedBy != nil {
		// The use case decides who may say what (only the sync says "sync").
		req.BookedBy = clinic.BookedBy(*in.BookedBy)
		if !req.BookedBy.Valid() {
			c.Add("booked_by", "must be staff")
		}
	}
	if err := c.Err(); err != nil {
		return 0, nil, err
	}
	var idem *booking.Idempotency
	if key != "" {
		hash := sha256.Sum256(body)
		idem = &booking.Idempotency{Key: key, Hash: hash[:], Encode: func(b booking.Booked) ([]byte, error) { return json.Marshal(bookedOut(b)) }}
	}
	res, err := a.booking.Book(ctx, web.MustActor(ctx), req, idem)
	if err != nil {
		return 0, nil, err
	}
	if idem != nil {
		return res.Status, rawJSON(res.Body), nil
	}
	return http.StatusCreated, bookedOut(res), nil
}

// change decodes the path's appointment id and version for one booking change.
func change(r *http.Request, version *int64, c *checker) (booking.Change, error) {
	id, err := pathID(r)
	if err != nil {
		return booking.Change{}, err
	}
	ch := booking.Change{ID: clinic.AppointmentID(id), Problems: c.Fields}
	if version != nil {
		ch.Version = *version
		if ch.Version <= 0 {
			ch.Problems = append(ch.Problems, clinic.FieldError{Field: "version", Reason: "must be the version you read"})
		}
	}
	return ch, nil
}

func (a *API) reschedule(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in RescheduleInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	var start time.Time
	if c.Required("start", in.Start != nil, true) {
		c.Instant("start", in.Start, &start)
	}
	var agenda clinic.AgendaID
	if in.AgendaID != nil {
		agenda = clinic.AgendaID(*in.AgendaID)
	}
	ch, err := change(r, in.Version, &c)
	if err != nil {
		return 0, nil, err
	}
	ch.AllowOutsideHours = in.AllowOutsideHours != nil && *in.AllowOutsideHours
	appt, err := a.booking.Reschedule(ctx, web.MustActor(ctx), ch, agenda, start)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, appointmentOut(appt), nil
}

func (a *API) cancel(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in CancelInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	ch, err := change(r, in.Version, &checker{})
	if err != nil {
		return 0, nil, err
	}
	if in.Reason != nil {
		ch.Reason = *in.Reason // booking.Cancel checks it
	}
	appt, err := a.booking.Cancel(ctx, web.MustActor(ctx), ch)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, appointmentOut(appt), nil
}

// clock parses a wall-clock time (walltime.ParseClock: "9:30", "09:30", 24:00 as an end)
// into minutes after midnight.
func clock(c *checker, field, s string, end bool) int {
	m, ok := walltime.ParseClock(s, end)
	if !ok {
		c.Add(field, walltime.ClockReason)
		return -1
	}
	return m
}

func clockString(m int) string { return walltime.Clock(m) }

func (a *API) agendaOf(ctx context.Context, tx *store.Tx, r *http.Request) (clinic.Agenda, error) {
	id, err := pathID(r)
	if err != nil {
		return clinic.Agenda{}, err
	}
	return tx.Directory().Agenda(ctx, web.MustActor(ctx).OrgID, clinic.AgendaID(id))
}

func hoursOut(hs []clinic.WorkingHours) WorkingHours {
	out := WorkingHours{Hours: []HoursInterval{}}
	for _, h := range hs {
		out.Hours = append(out.Hours, HoursInterval{Weekday: int(h.Weekday), Start: clockString(h.Start), End: clockString(h.End)})
	}
	return out
}

func (a *API) getHours(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	var out WorkingHours
	err := a.db.View(ctx, func(tx *store.Tx) error {
		ag, err := a.agendaOf(ctx, tx, r)
		if err != nil {
			return err
		}
		hs, err := tx.Schedule().WorkingHours(ctx, ag.OrgID, []clinic.AgendaID{ag.ID})
		out = hoursOut(hs[ag.ID])
		return err
	})
	return http.StatusOK, out, err
}

func (a *API) putHours(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in WorkingHours
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	hs := make([]clinic.WorkingHours, 0, len(in.Hours))
	for i, h := range in.Hours {
		f := fmt.Sprintf("hours[%d]", i)
		start, end := clock(&c, f+".start", h.Start, false), clock(&c, f+".end", h.End, true)
		hs = append(hs, clinic.WorkingHours{Weekday: time.Weekday(h.Weekday), Start: start, End: end})
	}
	got, err := a.booking.SetHours(ctx, web.MustActor(ctx), clinic.AgendaID(id), hs, c.Fields)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, hoursOut(got), nil
}

func exceptionOut(e clinic.ScheduleException) Exception {
	out := Exception{ID: e.ID, AgendaID: int64(e.AgendaID), Day: e.Day, Closed: e.Closed, Note: e.Note}
	if e.End > 0 {
		out.Start, out.End = clockString(e.Start), clockString(e.End)
	}
	return out
}

func (a *API) listExceptions(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	var c checker
	for _, p := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if p.v != "" {
			if _, err := time.Parse(time.DateOnly, p.v); err != nil {
				c.Add(p.name, "must be a date written YYYY-MM-DD")
			}
		}
	}
	if err := c.Err(); err != nil {
		return 0, nil, err
	}
	if from == "" {
		from = "0000-01-01"
	}
	if to == "" {
		to = "9999-12-31"
	}
	out := ListOf[Exception]{Items: []Exception{}}
	err := a.db.View(ctx, func(tx *store.Tx) error {
		ag, err := a.agendaOf(ctx, tx, r)
		if err != nil {
			return err
		}
		es, err := tx.Schedule().Exceptions(ctx, ag.OrgID, []clinic.AgendaID{ag.ID}, from, to)
		for _, e := range es {
			out.Items = append(out.Items, exceptionOut(e))
		}
		return err
	})
	return http.StatusOK, out, err
}

func (a *API) addException(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in ExceptionInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	e := clinic.ScheduleException{AgendaID: clinic.AgendaID(id)}
	if c.Required("day", in.Day != nil, true) {
		e.Day = *in.Day
	}
	if in.Closed != nil {
		e.Closed = *in.Closed
	}
	if (in.Start == nil) != (in.End == nil) {
		c.Add("end", "start and end go together")
	} else if in.Start != nil {
		e.Start, e.End = clock(&c, "start", *in.Start, false), clock(&c, "end", *in.End, true)
	}
	if in.Note != nil {
		e.Note = strings.TrimSpace(*in.Note)
	}
	e, err = a.booking.AddException(ctx, web.MustActor(ctx), e, c.Fields)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, exceptionOut(e), nil
}

func (a *API) deleteException(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.booking.DeleteException(ctx, web.MustActor(ctx), id)
}

func absenceOut(x clinic.Absence) Absence {
	return Absence{ID: x.ID, PractitionerID: int64(x.PractitionerID), Start: x.Start, End: x.End, Note: x.Note}
}

func (a *API) listAbsences(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	q := &query{r: r}
	pid := q.id("practitioner_id")
	if pid == 0 && q.str("practitioner_id") == "" {
		q.v.Add("practitioner_id", "is required")
	}
	from, to := time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	var c checker
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := q.str(p.name); s != "" {
			c.Instant(p.name, &s, p.dst)
		}
	}
	q.v.Fields = append(q.v.Fields, c.Fields...)
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	out := ListOf[Absence]{Items: []Absence{}}
	org := web.MustActor(ctx).OrgID
	err := a.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Directory().Practitioner(ctx, org, clinic.PractitionerID(pid)); err != nil {
			return clinic.MissingReference("practitioner_id", err)
		}
		xs, err := tx.Schedule().Absences(ctx, org, []clinic.PractitionerID{clinic.PractitionerID(pid)}, from, to)
		for _, x := range xs {
			out.Items = append(out.Items, absenceOut(x))
		}
		return err
	})
	return http.StatusOK, out, err
}

func (a *API) createAbsence(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in AbsenceInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	var x clinic.Absence
	if c.Required("practitioner_id", in.PractitionerID != nil, true) {
		x.PractitionerID = clinic.PractitionerID(*in.PractitionerID)
	}
	if c.Required("start", in.Start != nil, true) {
		c.Instant("start", in.Start, &x.Start)
	}
	if c.Required("end", in.End != nil, true) {
		c.Instant("end", in.End, &x.End)
	}
	if in.Note != nil {
		x.Note = *in.Note // booking.CheckAbsence checks it
	}
	if err := c.Err(); err != nil {
		return 0, nil, err
	}
	created, affected, err := a.booking.CreateAbsence(ctx, web.MustActor(ctx), x)
	if err != nil {
		return 0, nil, err
	}
	out := AbsenceCreated{Absence: absenceOut(created), Affected: []Appointment{}}
	for _, ap := range affected {
		out.Affected = append(out.Affected, appointmentOut(ap))
	}
	return http.StatusCreated, out, nil
}

func (a *API) deleteAbsence(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.booking.DeleteAbsence(ctx, web.MustActor(ctx), id)
}

// appendAvailability writes an AvailabilityResult by hand: at some 100,000 slots a 90-day
// answer spends most of its time in encoding/json's reflection otherwise. The shape is
// exactly AvailabilityResult's (TestAvailabilityEncoding decodes it back).
func appendAvailability(b []byte, av booking.Availability, q availabilityParams) []byte {
	b = append(b, `{"reason_id":`...)
	b = strconv.AppendInt(b, int64(av.Reason.ID), 10)
	b = append(b, `,"duration_minutes":`...)
	b = strconv.AppendInt(b, int64(av.Reason.Duration/time.Minute), 10)
	b = append(b, `,"zone":`...)
	b = strconv.AppendQuote(b, av.Clinic.Zone)
	b = append(b, `,"agendas":[`...)
	from := q.From.Unix()
	for i, ag := range av.Agendas {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"agenda_id":`...)
		b = strconv.AppendInt(b, int64(ag.AgendaID), 10)
		// The format's list is always written, [] when the agenda has no free slot.
		if q.Offsets {
			b = append(b, `,"offsets":[`...)
		} else {
			b = append(b, `,"slots":[`...)
		}
		for j, s := range ag.Slots {
			if j > 0 {
				b = append(b, ',')
			}
			if q.Offsets {
				b = strconv.AppendInt(b, s.Unix()-from, 10)
			} else {
				b = append(b, '"')
				b = s.UTC().AppendFormat(b, time.RFC3339)
				b = append(b, '"')
			}
		}
		b = append(b, "]}"...)
	}
	b = append(b, "]}\n"...)
	return b
}
