// Package booking holds the scheduling use cases: availability over the store (working
// hours, exceptions, absences, existing appointments, the clinic's rules) computed by the
// pure availability engine, and the changes: book, reschedule, cancel, set status, edit
// details (usecase.go), and an agenda's hours, exceptions and a practitioner's absences
// (schedule.go) (POR-2, POR-4).
//
// Each change is one exported function taking the actor: it checks the actor's permission,
// including the rules finer than a route's (reinstating a cancelled appointment needs the
// permission to book; only Cancel cancels; a patient reaches only their own appointments and
// their relatives', and acts online within the clinic's notice), runs one transaction, and
// writes the appointment event and the audit row in it. The API, the dashboard and the
// surfaces to come call these functions, so a rule cannot differ between them.
//
// The status rules are one table (rules.go): which status an appointment may take next, and
// on which days, as the clinic's clock reads them (attendance from the appointment's day on,
// no cancelling once the patient has arrived, a seen appointment final). SetStatus and Cancel
// refuse what it does not allow, with the reason in words, and Actions offers exactly what
// it allows, so a surface's buttons match. Some bookings are asked rather than refused
// (confirm.go): staff and API tokens confirm a time outside the agenda's working hours or off
// the grid, and a second appointment for the patient the same day; patients online only ever
// get free slots, and the clinical software's sync is not asked.
//
// Every appointment change is a compare-and-swap on the appointment's version and can never
// double-book an agenda: on PostgreSQL an exclusion constraint refuses overlapping active
// appointments, on SQLite the single writer makes the in-transaction overlap check atomic.
//
// It must not import the web, api, dashboard or server packages.
package booking

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/availability"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
)

// Service runs the use cases over a database.
type Service struct {
	db    *store.DB
	cache *cache
	// parts is how many connections (and cores) a cold availability load and its engine
	// runs use at once: GOMAXPROCS, at most maxParts.
	parts int
}

// maxParts bounds the parallelism of one availability request, leaving connections for the
// others (the SQLite read pool holds 4 by default).
const maxParts = 4

// New returns a Service over db.
func New(db *store.DB) *Service {
	return &Service{db: db, cache: newCache(), parts: min(runtime.GOMAXPROCS(0), maxParts)}
}

// ErrNotAvailable: the requested time is not a bookable slot (outside hours, during an
// absence, too soon, too far ahead, off the grid, or taken).
var ErrNotAvailable = &clinic.ConflictError{Field: "start", Reason: "this time is not available"}

// Query asks for the free slots of one reason.
type Query struct {
	ReasonID  clinic.ReasonID
	AgendaIDs []clinic.AgendaID // empty: every active agenda offering the reason
	From, To  time.Time
	// Online applies the clinic's patient-facing rules (horizon, minimum notice). Staff
	// see every free slot from now on.
	Online bool
}

// AgendaSlots are the free start times of one agenda. Slots may be shared with a cache:
// callers must not modify it.
type AgendaSlots struct {
	AgendaID clinic.AgendaID
	Slots    []time.Time
}

// Availability is the answer to a Query.
type Availability struct {
	Reason  clinic.Reason
	Clinic  clinic.Clinic
	Agendas []AgendaSlots
}

// loaded is everything the engine needs for one reason's agendas, loaded in a fixed number
// of statements whatever the number of agendas.
type loaded struct {
	reason  clinic.Reason
	clinic  clinic.Clinic
	loc     *time.Location
	agendas []clinic.Agenda
	queries []availability.Query
	data    []*agendaData
	cached  bool // data came from committed reads and may be memoised
}

// staffHorizon bounds staff availability queries (they are not held to the online horizon).
const staffHorizon = 3650

func (s *Service) load(ctx context.Context, tx *store.Tx, org clinic.OrgID, q Query, now time.Time) (loaded, error) {
	reason, err := tx.Directory().Reason(ctx, org, q.ReasonID)
	if err != nil {
		return loaded{}, err
	}
	if q.Online && !reason.OnlineBookable {
		// The same refusal as Book's: slots that could not be booked online are not offered
		// online (no "found" for a booking that would then be refused).
		return loaded{}, clinic.Invalid("reason_id", "cannot be booked online")
	}
	cl, err := tx.Directory().Clinic(ctx, org, reason.ClinicID)
	if err != nil {
		return loaded{}, err
	}
	return s.loadFor(ctx, tx, org, reason, cl, q, now)
}

// loadFor is load for a reason and its clinic the caller has already read.
func (s *Service) loadFor(ctx context.Context, tx *store.Tx, org clinic.OrgID, reason clinic.Reason, cl clinic.Clinic, q Query, now time.Time) (loaded, error) {
	in := loaded{reason: reason, clinic: cl}
	var err error
	if in.loc, err = in.clinic.Location(); err != nil {
		return in, fmt.Errorf("clinic %d zone: %w", in.clinic.ID, err)
	}
	offering, err := tx.Schedule().AgendasOffering(ctx, org, q.ReasonID)
	if err != nil {
		return in, err
	}
	for _, a := range offering {
		if len(q.AgendaIDs) == 0 || slices.Contains(q.AgendaIDs, a.ID) {
			in.agendas = append(in.agendas, a)
		}
	}
	for _, id := range q.AgendaIDs {
		if !slices.ContainsFunc(in.agendas, func(a clinic.Agenda) bool { return a.ID == id }) {
			return in, clinic.Invalid("agenda_id", fmt.Sprintf("agenda %d does not offer this reason", id))
		}
	}
	if len(in.agendas) == 0 {
		return in, nil
	}
	data, err := s.agendaData(ctx, tx, org, in.agendas, in.loc, q.From, q.To)
	if err != nil {
		return in, err
	}
	in.data, in.cached = data, tx.Raw() == nil
	rules := availability.Rules{HorizonDays: staffHorizon}
	if q.Online {
		rules.HorizonDays, rules.MinNotice = in.clinic.Rules.HorizonDays, in.clinic.Rules.MinNotice
	}
	if g := in.clinic.Rules.GridMinutes; g > 0 {
		rules.Mode, rules.Grid = availability.GridClock, time.Duration(g)*time.Minute
	} else {
		rules.Mode = availability.GridReason
	}
	for _, d := range data {
		aq := availability.Query{Zone: in.loc, Duration: in.reason.Duration, BufferAfter: in.reason.BufferAfter,
			Window: availability.Interval{Start: q.From, End: q.To}, Rules: rules, Now: now,
			Schedule: d.schedule, Absences: d.absences, Busy: d.busy}
		in.queries = append(in.queries, aq)
	}
	return in, nil
}

func checkWindow(q Query) error {
	var v clinic.ValidationError
	if q.From.IsZero() {
		v.Add("from", "is required")
	}
	if q.To.IsZero() {
		v.Add("to", "is required")
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		if !q.To.After(q.From) {
			v.Add("to", "must be after from")
		} else if q.To.Sub(q.From) > 366*24*time.Hour {
			v.Add("to", "must be at most 366 days after from")
		}
	}
	return v.Err()
}

// Availability returns the free slots of q's reason on each agenda offering it.
func (s *Service) Availability(ctx context.Context, org clinic.OrgID, q Query) (Availability, error) {
	var out Availability
	err := s.db.View(ctx, func(tx *store.Tx) (err error) { out, err = s.AvailabilityTx(ctx, tx, org, q); return err })
	return out, err
}

// AvailabilityTx is Availability inside tx (benchmarks count its statements).
func (s *Service) AvailabilityTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, q Query) (Availability, error) {
	if err := checkWindow(q); err != nil {
		return Availability{}, err
	}
	in, err := s.load(ctx, tx, org, q, tx.Now)
	if err != nil {
		return Availability{}, err
	}
	out := Availability{Reason: in.reason, Clinic: in.clinic, Agendas: make([]AgendaSlots, len(in.agendas))}
	if in.cached {
		s.warm(in)
	}
	for i, aq := range in.queries {
		if in.cached {
			slots, err := in.data[i].slots(aq)
			if err != nil {
				return out, fmt.Errorf("availability of agenda %d: %w", in.agendas[i].ID, err)
			}
			out.Agendas[i] = AgendaSlots{AgendaID: in.agendas[i].ID, Slots: slots}
			continue
		}
		slots, err := availability.Slots(aq)
		if err != nil {
			return out, fmt.Errorf("availability of agenda %d: %w", in.agendas[i].ID, err)
		}
		out.Agendas[i] = AgendaSlots{AgendaID: in.agendas[i].ID, Slots: slots}
	}
	return out, nil
}

// First finds the first free slot of q's reason across its agendas ("no preference").
// ok is false when no agenda has a slot in the window.
func (s *Service) First(ctx context.Context, org clinic.OrgID, q Query) (agenda clinic.AgendaID, start time.Time, ok bool, err error) {
	if err := checkWindow(q); err != nil {
		return 0, time.Time{}, false, err
	}
	var in loaded
	err = s.db.View(ctx, func(tx *store.Tx) (err error) { in, err = s.load(ctx, tx, org, q, tx.Now); return err })
	if err != nil || len(in.queries) == 0 {
		return 0, time.Time{}, false, err
	}
	i, slot, ok, err := availability.First(in.queries)
	if err != nil || !ok {
		return 0, time.Time{}, false, err
	}
	return in.agendas[i].ID, slot, true, nil
}

// Request books an appointment.
type Request struct {
	ReasonID  clinic.ReasonID
	AgendaID  clinic.AgendaID   // 0: no preference, the first agenda free at Start
	AgendaIDs []clinic.AgendaID // with no preference: the candidates (empty: all)
	PatientID clinic.PatientID
	Start     time.Time
	BookedBy  clinic.BookedBy
	Note      string
	// Online holds the booking to the clinic's patient-facing rules and to working hours.
	// Staff bookings may fall outside working hours (a squeezed-in patient) but never
	// overlap another appointment.
	Online bool
	// AllowOutsideHours confirms a staff booking on a named agenda outside its working
	// hours or off the grid of start times; without it such a booking is refused with a
	// *HoursError, for the person to confirm. A patient online is never offered such a time,
	// and the system (the sync) is not asked.
	AllowOutsideHours bool
	// AllowSameDay confirms a staff booking for a patient who already has an active
	// appointment at the clinic that local day; without it the booking is refused with a
	// *SameDayError. Either way Booked.SameDay lists those appointments.
	AllowSameDay bool
}

// BookTx creates the appointment of r inside tx with every booking rule but the actor's
// permission and the audit row, which are the caller's: it exists for a writer that
// composes a booking with its own writes in one transaction (seeding the demo or a
// benchmark, and later sync). Everyone else calls Book.
//
// Errors: ErrNotAvailable (409) when the slot is not free; for a staff or token booking, a
// *HoursError (ErrOutsideHours) and a *SameDayError (ErrSameDay), both 409 and joined when
// both apply, when the booking needs the confirmation Request.AllowOutsideHours or
// Request.AllowSameDay gives; *clinic.ValidationError when the request does not hold
// together; clinic.ErrNotFound for ids of another organisation. After
// an error the caller rolls tx back: on PostgreSQL a booking refused by the exclusion
// constraint (a concurrent winner committed between the check and the insert) leaves tx
// aborted.
func (s *Service) BookTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, r Request) (clinic.Appointment, error) {
	a, _, err := s.bookTx(ctx, tx, actor, r)
	return a, err
}

// bookTx is BookTx, and the patient's other active appointments that day for a staff or
// token booking (what AllowSameDay confirms).
//
// Errors, besides BookTx's: a *HoursError and a *SameDayError (both 409, joined when both
// apply, so that one answer asks every confirmation) when the booking needs confirming.
func (s *Service) bookTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, r Request) (clinic.Appointment, []clinic.Appointment, error) {
	var a clinic.Appointment
	var others []clinic.Appointment
	org := actor.OrgID
	var v input.Checker
	if r.Start.IsZero() {
		v.Add("start", "is required")
	} else if v.InYears("start", r.Start) {
		v.Within("start", r.Start, tx.Now, maxPast, maxAhead)
	}
	note := r.Note
	v.Note("note", &note, &r.Note, MaxNote)
	if err := v.Err(); err != nil {
		return a, others, err
	}
	reason, err := tx.Directory().Reason(ctx, org, r.ReasonID)
	if err != nil {
		return a, others, clinic.MissingReference("reason_id", err)
	}
	patient, err := tx.Patients().Patient(ctx, org, r.PatientID)
	if err != nil {
		return a, others, clinic.MissingReference("patient_id", err)
	}
	cl, err := tx.Directory().Clinic(ctx, org, reason.ClinicID)
	if err != nil {
		return a, others, err
	}
	if patient.DatabaseID != cl.DatabaseID {
		return a, others, clinic.Invalid("patient_id", "is a patient of another clinical database than this clinic's")
	}
	if r.Online && !reason.OnlineBookable {
		return a, others, clinic.Invalid("reason_id", "cannot be booked online")
	}
	if actor.Kind == clinic.ActorPatient {
		if _, err := PortalOpen(ctx, tx, org, cl.ID, true); err != nil {
			return a, others, err
		}
		if err := onlineFor(ctx, tx, org, cl.ID, reason, patient.ID); err != nil {
			return a, others, err
		}
	}
	if r.BookedBy == "" {
		r.BookedBy = clinic.BookedByStaff
	}
	start := r.Start.UTC().Truncate(time.Second)
	end := start.Add(reason.Duration)
	var confirm []error // what the person booking is asked to confirm
	var loc *time.Location
	if asks(actor) {
		if loc, err = cl.Location(); err != nil {
			return a, others, fmt.Errorf("clinic %d zone: %w", cl.ID, err)
		}
		if others, err = sameDay(ctx, tx, org, cl.ID, loc, patient.ID, start, 0); err != nil {
			return a, others, err
		}
		if len(others) > 0 && !r.AllowSameDay {
			confirm = append(confirm, &SameDayError{Others: others})
		}
	}
	if !r.Online && r.AgendaID != 0 {
		// Staff booking on a named agenda: it must offer the reason and its practitioner
		// must not be away. Working hours bind staff only as far as a person confirms a
		// time outside them (the system books as it is told).
		ag, err := tx.Directory().Agenda(ctx, org, r.AgendaID)
		if err != nil {
			return a, others, clinic.MissingReference("agenda_id", err)
		}
		if !slices.Contains(reason.AgendaIDs, ag.ID) {
			return a, others, clinic.Invalid("agenda_id", "does not offer this reason")
		}
		if ag.PractitionerID != nil {
			abs, err := tx.Schedule().Absences(ctx, org, []clinic.PractitionerID{*ag.PractitionerID}, start, end.Add(reason.BufferAfter))
			if err != nil {
				return a, others, err
			}
			if len(abs) > 0 {
				return a, others, fmt.Errorf("book: practitioner absent: %w", ErrNotAvailable)
			}
		}
		if asks(actor) && !r.AllowOutsideHours {
			sched, err := agendaSchedule(ctx, tx, org, ag.ID, loc, start)
			if err != nil {
				return a, others, err
			}
			if err := checkHours(sched, loc, cl, reason, ag.Name, start); err != nil {
				// First in the list: the time is what a person looks at first.
				confirm = append([]error{err}, confirm...)
			}
		}
		if err := errors.Join(confirm...); err != nil {
			switch busy, terr := taken(ctx, tx, org, ag.ID, start, end, 0); {
			case terr != nil:
				return a, others, terr
			case busy:
				return a, others, fmt.Errorf("book: %w", ErrNotAvailable)
			}
			return a, others, fmt.Errorf("book: %w", err)
		}
		a, err = s.insert(ctx, tx, org, actor, r, cl, reason, patient, ag.ID, start, false)
		return a, others, err
	}
	q := Query{ReasonID: r.ReasonID, From: start, To: end, Online: r.Online}
	if r.AgendaID != 0 {
		q.AgendaIDs = []clinic.AgendaID{r.AgendaID}
	} else {
		if r.Online && !cl.Rules.AllowNoPreference {
			return a, others, clinic.Invalid("agenda_id", "is required: this clinic does not offer \"no preference\"")
		}
		q.AgendaIDs = r.AgendaIDs
	}
	in, err := s.loadFor(ctx, tx, org, reason, cl, q, tx.Now)
	if err != nil {
		return a, others, err
	}
	for i, ag := range in.agendas {
		// The time must be one of the agenda's slots: in working hours, on the grid, clear
		// of absences and buffers (and, online, within the clinic's rules).
		slots, err := availability.Slots(in.queries[i])
		if err != nil {
			return a, others, fmt.Errorf("availability of agenda %d: %w", ag.ID, err)
		}
		if !slices.ContainsFunc(slots, start.Equal) {
			continue
		}
		if err := errors.Join(confirm...); err != nil {
			return a, others, fmt.Errorf("book: %w", err) // the time is free: now ask
		}
		a, err = s.insert(ctx, tx, org, actor, r, cl, reason, patient, ag.ID, start, i < len(in.agendas)-1)
		if errors.Is(err, clinic.ErrConflict) {
			continue // taken meanwhile: with no preference, try the next agenda
		}
		return a, others, err
	}
	return a, others, fmt.Errorf("book: %w", ErrNotAvailable)
}

// insert writes the appointment and its event. With more candidate agendas to try it does
// so under a savepoint, so that a conflict leaves the transaction usable for the next one;
// the last (or only) candidate needs none, since a conflict then ends the booking: that
// spares a contended booking two of its statements (SAVEPOINT and ROLLBACK TO, or RELEASE).
func (s *Service) insert(ctx context.Context, tx *store.Tx, org clinic.OrgID, actor clinic.Actor, r Request, cl clinic.Clinic, reason clinic.Reason,
	patient clinic.Patient, agenda clinic.AgendaID, start time.Time, more bool) (clinic.Appointment, error) {
	appt := clinic.Appointment{ClinicID: cl.ID, AgendaID: agenda, ReasonID: reason.ID, PatientID: patient.ID, Start: start,
		End: start.Add(reason.Duration), Status: clinic.StatusBooked, BookedBy: r.BookedBy, Note: r.Note}
	var a clinic.Appointment
	write := func() error {
		created, err := tx.Appointments().CreateAppointment(ctx, org, appt)
		if err != nil {
			return err
		}
		a = created
		if err := tx.Appointments().RecordEvent(ctx, org, store.AppointmentEvent{AppointmentID: a.ID, Kind: store.EventBooked, Status: a.Status, Actor: actor.Label}); err != nil {
			return err
		}
		if err := tx.Sync().PlanWriteBack(ctx, org, a); err != nil {
			return err
		}
		return notify.Plan(ctx, tx, org, notify.Change{Kind: notify.Booked, Appointment: a})
	}
	var err error
	if more {
		err = tx.Savepoint(ctx, write)
	} else {
		err = write()
	}
	if errors.Is(err, store.ErrSlotTaken) {
		return a, fmt.Errorf("book: %w", ErrNotAvailable)
	}
	return a, err
}

func overlapsAny(start, end time.Time, ivs []availability.Interval) bool {
	for _, iv := range ivs {
		if start.Before(iv.End) && iv.Start.Before(end) {
			return true
		}
	}
	return false
}

// Change is a reschedule, cancellation or status change of one appointment, made only if
// the appointment is still at Version (compare-and-swap).
type Change struct {
	ID      clinic.AppointmentID
	Version int64 // 0: not sent, a field error
	// Problems are the surface's own decoding problems (a malformed start, say). They are
	// reported after the appointment is found, so another organisation's appointment is
	// "not found" whatever the request says, and together with the use case's own.
	Problems []clinic.FieldError
	// Reason is why the appointment is cancelled (Cancel only), kept on the cancellation
	// event: optional here, at most MaxCancelReason characters of plain text. The dashboard
	// asks for one, since a person is there to give it; the API keeps it optional, for
	// integrations that do not know it.
	Reason string
	// AllowOutsideHours confirms a staff move outside the agenda's working hours or off
	// the grid of start times (Reschedule only), as Request.AllowOutsideHours does a booking.
	AllowOutsideHours bool
	// online: a patient acting in the portal, held to the clinic's notice rules; asks: a
	// principal that is asked to confirm (staff, tokens). Set from the actor's kind, never
	// by a surface.
	online, asks bool
	actor        string
}

// MaxCancelReason bounds the reason given for a cancellation.
const MaxCancelReason = 300

func (s *Service) current(ctx context.Context, tx *store.Tx, org clinic.OrgID, c Change) (clinic.Appointment, error) {
	a, err := tx.Appointments().Appointment(ctx, org, c.ID)
	if err != nil {
		return a, err
	}
	v := clinic.ValidationError{Fields: c.Problems}
	if c.Version == 0 && !clinic.HasField(v.Fields, "version") {
		v.Add("version", "is required: send the version you read, so that a concurrent change is not overwritten")
	}
	if err := v.Err(); err != nil {
		return a, err
	}
	if a.Version != c.Version {
		return a, &clinic.ConflictError{Field: "version", Reason: "the appointment was changed by someone else; reload it"}
	}
	return a, nil
}

// PortalOpen checks that a patient may act in clinic cl's portal now: it is on, and, to
// book, it takes bookings (POR-1). It returns the portal's settings. The booking use cases
// apply it to every patient's change; the waitlist to a patient joining it.
func PortalOpen(ctx context.Context, tx *store.Tx, org clinic.OrgID, cl clinic.ClinicID, booking bool) (store.PortalSettings, error) {
	set, ok, err := tx.Portal().PortalSettingsOf(ctx, org, cl)
	switch {
	case err != nil:
		return set, err
	case !ok || !set.Enabled:
		return set, &clinic.ConflictError{Field: "portal", Reason: "this clinic's patient portal is off; please call the clinic"}
	case booking && !set.OnlineBooking:
		return set, &clinic.ConflictError{Field: "portal", Reason: "this clinic does not take bookings online; please call the clinic"}
	}
	return set, nil
}

// onlineFor applies a reason's "bookable online by" (POR-1): new patients only, or only
// patients the clinic has seen.
func onlineFor(ctx context.Context, tx *store.Tx, org clinic.OrgID, cl clinic.ClinicID, reason clinic.Reason, p clinic.PatientID) error {
	if reason.OnlineFor == clinic.OnlineForAll || reason.OnlineFor == "" {
		return nil
	}
	seen, err := tx.Portal().SeenAt(ctx, org, cl, p)
	switch {
	case err != nil:
		return err
	case BookableOnlineBy(reason, seen):
		return nil
	case reason.OnlineFor == clinic.OnlineForExisting:
		return clinic.Invalid("reason_id", "can be booked online only by patients the clinic has seen before; please call the clinic")
	default:
		return clinic.Invalid("reason_id", "can be booked online only by new patients; please call the clinic")
	}
}

// BookableOnlineBy reports whether a patient may book reason r online: it is bookable
// online, and for everyone, or for patients seen before (seen), or for new ones (!seen).
// The booking refuses the others; the portal offers only these.
func BookableOnlineBy(r clinic.Reason, seen bool) bool {
	switch r.OnlineFor {
	case clinic.OnlineForExisting:
		return r.OnlineBookable && seen
	case clinic.OnlineForNew:
		return r.OnlineBookable && !seen
	}
	return r.OnlineBookable
}

// CheckOnlineChange applies the clinic's rules for patients changing an appointment online:
// the use cases apply it, and the portal asks it before offering the buttons.
func CheckOnlineChange(cl clinic.Clinic, a clinic.Appointment, now time.Time) error {
	if a.BookedBy == clinic.BookedBySync {
		// The clinical software is the record of its appointments (SYN-5 writes back only
		// what Tidings booked).
		return &clinic.ConflictError{Field: "appointment", Reason: "this appointment was booked in the clinic's own software: please call the clinic to change it"}
	}
	if !cl.Rules.AllowOnlineChanges {
		return &clinic.ConflictError{Field: "appointment", Reason: "this clinic does not allow changes online; please call the clinic"}
	}
	if a.Start.Sub(now) < cl.Rules.CancelNotice {
		return &clinic.ConflictError{Field: "appointment", Reason: "it is too close to the appointment to change it online; please call the clinic"}
	}
	return nil
}

// reschedule moves an appointment to start (and agenda, when not 0) in one statement: the
// patient never holds both slots, nor neither.
func (s *Service) reschedule(ctx context.Context, tx *store.Tx, org clinic.OrgID, c Change, agenda clinic.AgendaID, start time.Time) (clinic.Appointment, error) {
	if !start.IsZero() {
		var v input.Checker
		if v.InYears("start", start) {
			v.Within("start", start, tx.Now, maxPast, maxAhead)
		}
		c.Problems = append(c.Problems, v.Fields...)
	} else if !clinic.HasField(c.Problems, "start") {
		c.Problems = append(c.Problems, clinic.FieldError{Field: "start", Reason: "is required"})
	}
	a, err := s.current(ctx, tx, org, c)
	if err != nil {
		return a, err
	}
	if !a.Status.Upcoming() {
		return a, &clinic.ConflictError{Field: "status", Reason: fmt.Sprintf("a %s appointment cannot be moved", a.Status)}
	}
	if a.BookedBy == clinic.BookedBySync {
		// The clinical software is the record of a synced appointment: a move made here
		// would be undone by the next sync (write-back is the sync work's).
		return a, &clinic.ConflictError{Field: "appointment", Reason: "this appointment comes from the clinical software: move it there"}
	}
	reason, err := tx.Directory().Reason(ctx, org, a.ReasonID)
	if err != nil {
		return a, err
	}
	cl, err := tx.Directory().Clinic(ctx, org, reason.ClinicID)
	if err != nil {
		return a, err
	}
	if c.online {
		if _, err := PortalOpen(ctx, tx, org, cl.ID, false); err != nil {
			return a, err
		}
		if err := CheckOnlineChange(cl, a, tx.Now); err != nil {
			return a, err
		}
	}
	if agenda == 0 {
		agenda = a.AgendaID
	}
	start = start.UTC().Truncate(time.Second)
	in, err := s.loadFor(ctx, tx, org, reason, cl, Query{ReasonID: a.ReasonID, AgendaIDs: []clinic.AgendaID{agenda}, From: start, To: start.Add(reason.Duration), Online: c.online}, tx.Now)
	if err != nil {
		return a, err
	}
	aq := in.queries[0]
	// The appointment's own time does not block its move.
	aq.Busy = slices.DeleteFunc(slices.Clone(aq.Busy), func(b availability.Interval) bool {
		return b.Start.Equal(a.Start) && agenda == a.AgendaID
	})
	if c.online {
		slots, err := availability.Slots(aq)
		if err != nil {
			return a, err
		}
		if !slices.ContainsFunc(slots, start.Equal) {
			return a, fmt.Errorf("reschedule: %w", ErrNotAvailable)
		}
	} else if overlapsAny(start, start.Add(reason.Duration+reason.BufferAfter), aq.Absences) {
		return a, fmt.Errorf("reschedule: practitioner absent: %w", ErrNotAvailable)
	} else if c.asks && !c.AllowOutsideHours {
		// The agenda's schedule is loaded already, with its availability.
		if err := checkHours(aq.Schedule, in.loc, cl, reason, in.agendas[0].Name, start); err != nil {
			switch busy, terr := taken(ctx, tx, org, agenda, start, start.Add(reason.Duration), a.ID); {
			case terr != nil:
				return a, terr
			case busy:
				return a, fmt.Errorf("reschedule: %w", ErrNotAvailable)
			}
			return a, fmt.Errorf("reschedule: %w", err)
		}
	}
	prev, prevEnd, prevAgenda, prevClinic := a.Start, a.End, a.AgendaID, a.ClinicID
	a.AgendaID, a.ClinicID, a.Start, a.End = agenda, in.agendas[0].ClinicID, start, start.Add(reason.Duration)
	updated, err := tx.Appointments().UpdateAppointment(ctx, org, a)
	if errors.Is(err, store.ErrSlotTaken) {
		return a, fmt.Errorf("reschedule: %w", ErrNotAvailable)
	}
	if err != nil {
		return a, err
	}
	if err := tx.Appointments().RecordEvent(ctx, org, store.AppointmentEvent{AppointmentID: a.ID, Kind: store.EventRescheduled, Status: updated.Status, PreviousStart: &prev, Actor: c.actor}); err != nil {
		return updated, err
	}
	// The time left is free: offered to the waitlist (POR-9).
	if prev.After(tx.Now) {
		if err := tx.Waitlist().FreeSlot(ctx, org, prevClinic, prevAgenda, prev, prevEnd); err != nil {
			return updated, err
		}
	}
	if err := tx.Sync().PlanWriteBack(ctx, org, updated); err != nil {
		return updated, err
	}
	return updated, notify.Plan(ctx, tx, org, notify.Change{Kind: notify.Rescheduled, Appointment: updated})
}

// setStatus changes an appointment's status when the status table allows it on the
// appointment's day (CheckStatus), and records the event, with the reason of a
// cancellation.
func (s *Service) setStatus(ctx context.Context, tx *store.Tx, org clinic.OrgID, c Change, to clinic.Status) (clinic.Appointment, error) {
	a, err := s.current(ctx, tx, org, c)
	if err != nil {
		return a, err
	}
	if c.online && to != clinic.StatusCancelled {
		return a, clinic.Invalid("status", "patients can only cancel")
	}
	cl, err := tx.Directory().Clinic(ctx, org, a.ClinicID)
	if err != nil {
		return a, err
	}
	loc, err := cl.Location()
	if err != nil {
		return a, fmt.Errorf("clinic %d zone: %w", cl.ID, err)
	}
	// The status table, on the appointment's day as the clinic's clock reads it.
	if err := CheckStatus(a.Status, to, DayOf(a.Start, tx.Now, loc)); err != nil {
		return a, err
	}
	if a.BookedBy == clinic.BookedBySync && !a.Status.Active() && to.Active() {
		// Taking time back for a synced appointment is a booking the PMS does not know of;
		// the store keeps synced appointments as the PMS has them, overlaps included, so
		// it would not be checked either.
		return a, &clinic.ConflictError{Field: "appointment", Reason: "this appointment comes from the clinical software: book it again there"}
	}
	late := false
	if c.online {
		set, err := PortalOpen(ctx, tx, org, cl.ID, false)
		if err != nil {
			return a, err
		}
		if err := CheckOnlineChange(cl, a, tx.Now); err != nil {
			return a, err
		}
		// POR-3: inside the fee window (allowed when the notice to cancel online is
		// shorter), the cancellation is marked late for staff to assess the fee.
		late = set.LateFeeWindow > 0 && a.Start.Sub(tx.Now) < set.LateFeeWindow
	}
	from := a.Status
	a.Status = to
	updated, err := tx.Appointments().UpdateAppointment(ctx, org, a)
	if errors.Is(err, store.ErrSlotTaken) {
		return a, fmt.Errorf("reinstate: %w", ErrNotAvailable)
	}
	if err != nil {
		return a, err
	}
	e := store.AppointmentEvent{AppointmentID: a.ID, Kind: store.EventStatus, Status: to, Actor: c.actor}
	if to == clinic.StatusCancelled {
		e.Kind, e.Reason, e.Late = store.EventCancelled, c.Reason, late
	}
	if err := tx.Appointments().RecordEvent(ctx, org, e); err != nil {
		return updated, err
	}
	// The clinical software takes every status the clinic sets (SYN-5).
	if err := tx.Sync().PlanWriteBack(ctx, org, updated); err != nil {
		return updated, err
	}
	// Other statuses plan nothing: reminders are decided at their send time (NOT-3), so a
	// status set and removed again before then changes nothing.
	if to == clinic.StatusCancelled && updated.Start.After(tx.Now) {
		// The time is free: offered to the waitlist (POR-9).
		if err := tx.Waitlist().FreeSlot(ctx, org, updated.ClinicID, updated.AgendaID, updated.Start, updated.End); err != nil {
			return updated, err
		}
	}
	switch {
	case to == clinic.StatusCancelled:
		return updated, notify.Plan(ctx, tx, org, notify.Change{Kind: notify.Cancelled, Appointment: updated})
	case from == clinic.StatusCancelled:
		return updated, notify.Plan(ctx, tx, org, notify.Change{Kind: notify.Reinstated, Appointment: updated})
	}
	return updated, nil
}

// AffectedTx lists the active appointments of a practitioner's agendas during [start, end),
// the ones an absence would hit: staff cancel or move each (each a notified event).
func (s *Service) AffectedTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, practitioner clinic.PractitionerID, start, end time.Time) ([]clinic.Appointment, error) {
	return tx.Appointments().PractitionerAppointments(ctx, org, practitioner, start, end)
}
