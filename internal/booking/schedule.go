package booking

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
)

// MaxScheduleNote bounds the note of an exception or an absence.
const MaxScheduleNote = 500

// checkNote refuses a note that is too long or holds control characters (line breaks are
// kept).
func checkNote(v *input.Checker, field, s string) {
	var out string
	v.Note(field, &s, &out, MaxScheduleNote)
}

// CheckHours validates an agenda's weekly hours: weekdays 0 to 6, each interval within the
// day (0 to 1440 minutes) and ending after it starts, and no two intervals of a weekday
// overlapping. Problems name hours[i].weekday, hours[i].start, hours[i].end, or hours[i]
// for an overlap, i being the interval's index in hs. An interval whose start or end is
// negative was not readable (its problem is the surface's) and is only checked for its
// weekday.
func CheckHours(hs []clinic.WorkingHours) error {
	var v clinic.ValidationError
	for i, h := range hs {
		f := fmt.Sprintf("hours[%d]", i)
		if h.Weekday < time.Sunday || h.Weekday > time.Saturday {
			v.Add(f+".weekday", "must be 0 (Sunday) to 6 (Saturday)")
		}
		if h.Start < 0 || h.End < 0 || !checkInterval(&v, f, h.Start, h.End) {
			continue
		}
		for _, o := range hs[:i] {
			if o.Start >= 0 && o.End > o.Start && o.Weekday == h.Weekday && h.Start < o.End && o.Start < h.End {
				v.Add(f, fmt.Sprintf("overlaps %s–%s on the same day", walltime.Clock(o.Start), walltime.Clock(o.End)))
				break
			}
		}
	}
	return v.Err()
}

// checkInterval checks that [start, end) in minutes after midnight lies within one day and
// ends after it starts, naming prefix+"start" or prefix+"end"; it reports whether it does.
// An interval the surface could not read (a negative minute) is its own problem, not this.
func checkInterval(v *clinic.ValidationError, prefix string, start, end int) bool {
	if prefix != "" {
		prefix += "."
	}
	switch {
	case start >= 1440:
		v.Add(prefix+"start", "must be from 00:00 to 23:59")
	case end == 0 || end > 1440:
		v.Add(prefix+"end", "must be from 00:01 to 24:00")
	case end <= start:
		v.Add(prefix+"end", "must be after start")
	default:
		return true
	}
	return false
}

// SetHours replaces an agenda's weekly working hours (POR-2) and returns them as stored.
// It needs the permission to manage schedules.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for an agenda of another organisation;
// *clinic.ValidationError from CheckHours.
//
// problems are the surface's own decoding problems (a time it could not read), reported
// with CheckHours' so that one answer names every field; nothing is written then.
func (s *Service) SetHours(ctx context.Context, actor clinic.Actor, agenda clinic.AgendaID, hs []clinic.WorkingHours, problems []clinic.FieldError) ([]clinic.WorkingHours, error) {
	var out []clinic.WorkingHours
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "set hours"); err != nil {
			return err
		}
		ag, err := tx.Directory().Agenda(ctx, actor.OrgID, agenda)
		if err != nil {
			return err
		}
		if err := input.Merge(problems, CheckHours(hs)); err != nil {
			return err
		}
		was, err := tx.Schedule().WorkingHours(ctx, actor.OrgID, []clinic.AgendaID{ag.ID})
		if err != nil {
			return err
		}
		if err := tx.Schedule().SetWorkingHours(ctx, actor.OrgID, ag.ID, hs); err != nil {
			return err
		}
		got, err := tx.Schedule().WorkingHours(ctx, actor.OrgID, []clinic.AgendaID{ag.ID})
		if err != nil {
			return err
		}
		out = got[ag.ID]
		return audit.Change(ctx, tx, actor, "agenda.hours", ag.Name, hoursAudit(was[ag.ID]), hoursAudit(out))
	})
	return out, err
}

// CheckException validates a dated exception: a day written YYYY-MM-DD, and either closed
// or hours (start before end, within the day), and its note. Problems name day, start,
// end, closed and note.
func CheckException(e clinic.ScheduleException) error {
	var v input.Checker
	day := e.Day
	v.Date("day", &e.Day, &day, false)
	switch {
	case e.Start < 0 || e.End < 0: // not readable: the surface reports it
	case e.End != 0 || e.Start != 0:
		checkInterval(&v.ValidationError, "", e.Start, e.End)
	case !e.Closed:
		v.Add("closed", "an exception either closes the day or adds hours (start and end)")
	}
	checkNote(&v, "note", e.Note)
	return v.Err()
}

// AddException records a dated change to an agenda's hours. It needs the permission to
// manage schedules.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for the agenda; *clinic.ValidationError
// from CheckException.
//
// problems are the surface's decoding problems, reported with CheckException's.
func (s *Service) AddException(ctx context.Context, actor clinic.Actor, e clinic.ScheduleException, problems []clinic.FieldError) (clinic.ScheduleException, error) {
	var out clinic.ScheduleException
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "add exception"); err != nil {
			return err
		}
		ag, err := tx.Directory().Agenda(ctx, actor.OrgID, e.AgendaID)
		if err != nil {
			return err
		}
		e.Note = strings.TrimSpace(e.Note)
		if err := input.Merge(problems, CheckException(e)); err != nil {
			return err
		}
		e.AgendaID = ag.ID
		if out, err = tx.Schedule().AddException(ctx, actor.OrgID, e); err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "agenda.exception.create", ag.Name, nil, exceptionAudit(out))
	})
	return out, err
}

// DeleteException removes an exception. Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) DeleteException(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "delete exception"); err != nil {
			return err
		}
		e, err := tx.Schedule().Exception(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		ag, err := tx.Directory().Agenda(ctx, actor.OrgID, e.AgendaID)
		if err != nil {
			return err
		}
		if err := tx.Schedule().DeleteException(ctx, actor.OrgID, id); err != nil {
			return err
		}
		return audit.Change(ctx, tx, actor, "agenda.exception.delete", ag.Name, exceptionAudit(e), nil)
	})
}

// CheckAbsence validates an absence: start and end within the years a clinic records and
// within the booking window around now, end after start, and its note. Problems name
// start, end and note.
func CheckAbsence(x clinic.Absence, now time.Time) error {
	var v input.Checker
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"start", x.Start}, {"end", x.End}} {
		if f.t.IsZero() {
			v.Add(f.name, "is required")
		} else if v.InYears(f.name, f.t) {
			v.Within(f.name, f.t, now, maxPast, maxAhead)
		}
	}
	if len(v.Fields) == 0 && !x.End.After(x.Start) {
		v.Add("end", "must be after start")
	}
	checkNote(&v, "note", x.Note)
	return v.Err()
}

// CreateAbsence records a practitioner's absence and lists the active appointments it
// falls on: staff cancel or move each (each then an ordinary, notified change). Reading
// those appointments is audited. It needs the permission to manage schedules.
//
// Errors: clinic.ErrForbidden; *clinic.ValidationError (practitioner_id that does not
// exist, and CheckAbsence's).
func (s *Service) CreateAbsence(ctx context.Context, actor clinic.Actor, x clinic.Absence) (clinic.Absence, []clinic.Appointment, error) {
	var out clinic.Absence
	var affected []clinic.Appointment
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "create absence"); err != nil {
			return err
		}
		p, err := tx.Directory().Practitioner(ctx, actor.OrgID, x.PractitionerID)
		if err != nil {
			return clinic.MissingReference("practitioner_id", err)
		}
		x.Note = strings.TrimSpace(x.Note)
		if err := CheckAbsence(x, tx.Now); err != nil {
			return err
		}
		created, err := tx.Schedule().CreateAbsence(ctx, actor.OrgID, x)
		if err != nil {
			return err
		}
		out = created
		if affected, err = s.AffectedTx(ctx, tx, actor.OrgID, created.PractitionerID, created.Start, created.End); err != nil {
			return err
		}
		if err := audit.Change(ctx, tx, actor, "absence.create", p.Name, nil, absenceAudit(created)); err != nil {
			return err
		}
		if len(affected) == 0 {
			return nil
		}
		ids := make([]clinic.PatientID, len(affected))
		for i, a := range affected {
			ids[i] = a.PatientID
		}
		return audit.Record(ctx, tx, actor, "appointment.list", ids...)
	})
	return out, affected, err
}

// DeleteAbsence removes an absence. Errors: clinic.ErrForbidden, clinic.ErrNotFound.
func (s *Service) DeleteAbsence(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, clinic.PermManageSchedule, "delete absence"); err != nil {
			return err
		}
		x, err := tx.Schedule().Absence(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		p, err := tx.Directory().Practitioner(ctx, actor.OrgID, x.PractitionerID)
		if err != nil {
			return err
		}
		if err := tx.Schedule().DeleteAbsence(ctx, actor.OrgID, id); err != nil {
			return err
		}
		// The practitioner's time is free again: offered to the waitlist (POR-9).
		if x.End.After(tx.Now) {
			ags, err := tx.Directory().Agendas(ctx, actor.OrgID, store.AgendaFilter{}, store.Page{Limit: 10000})
			if err != nil {
				return err
			}
			for _, a := range ags {
				if a.PractitionerID != nil && *a.PractitionerID == x.PractitionerID && a.Active {
					if err := tx.Waitlist().FreeSlot(ctx, actor.OrgID, a.ClinicID, a.ID, later(x.Start, tx.Now), x.End); err != nil {
						return err
					}
				}
			}
		}
		return audit.Change(ctx, tx, actor, "absence.delete", p.Name, absenceAudit(x), nil)
	})
}

// later is the later of two instants.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// weekHours is an agenda's weekly hours as the audit log records them (audit.Change): one
// member per weekday, Monday first, listing its intervals ("08:00–12:30"), so that the log
// shows which days changed and how. A day without hours is an empty list.
type weekHours struct {
	Monday    []string `json:"monday"`
	Tuesday   []string `json:"tuesday"`
	Wednesday []string `json:"wednesday"`
	Thursday  []string `json:"thursday"`
	Friday    []string `json:"friday"`
	Saturday  []string `json:"saturday"`
	Sunday    []string `json:"sunday"`
}

func hoursAudit(hs []clinic.WorkingHours) weekHours {
	days := map[time.Weekday][]string{}
	for _, h := range hs {
		days[h.Weekday] = append(days[h.Weekday], walltime.Clock(h.Start)+"–"+walltime.Clock(h.End))
	}
	day := func(wd time.Weekday) []string {
		if d := days[wd]; d != nil {
			return d
		}
		return []string{}
	}
	return weekHours{Monday: day(time.Monday), Tuesday: day(time.Tuesday), Wednesday: day(time.Wednesday), Thursday: day(time.Thursday),
		Friday: day(time.Friday), Saturday: day(time.Saturday), Sunday: day(time.Sunday)}
}

// exceptionRecord is an exception as the audit log records it. Change is "closed" (the
// day is closed), "hours" (hours added that day) or "replace" (closed, these hours open
// instead), the words of the exception form.
type exceptionRecord struct {
	Day    string `json:"day"`
	Change string `json:"change"`
	Hours  string `json:"hours,omitempty"`
	Note   string `json:"note,omitempty"`
}

func exceptionAudit(e clinic.ScheduleException) exceptionRecord {
	r := exceptionRecord{Day: e.Day, Change: "closed", Note: e.Note}
	if e.End > 0 {
		r.Hours = walltime.Clock(e.Start) + "–" + walltime.Clock(e.End)
		r.Change = "hours"
		if e.Closed {
			r.Change = "replace"
		}
	}
	return r
}

// absenceRecord is an absence as the audit log records it: its instants in UTC (the
// practitioner may work in clinics of several zones) and its note.
type absenceRecord struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Note  string    `json:"note,omitempty"`
}

func absenceAudit(x clinic.Absence) absenceRecord {
	return absenceRecord{Start: x.Start.UTC(), End: x.End.UTC(), Note: x.Note}
}

// TimeRange is a stretch of time [Start, End).
type TimeRange struct{ Start, End time.Time }

// dayOpen is what the exceptions of one day of an agenda leave of it: whether one closes
// the day, and the intervals they open that day (the hours of a "replace", or of an extra
// hours exception on a closed day), as instants of the clinic's zone.
func dayOpen(day string, es []clinic.ScheduleException, loc *time.Location) (closed bool, open []TimeRange) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return false, nil
	}
	for _, e := range es {
		if e.Day != day {
			continue
		}
		closed = closed || e.Closed
		if e.End > 0 {
			open = append(open, TimeRange{wallInstant(d, e.Start, loc), wallInstant(d, e.End, loc)})
		}
	}
	return closed, open
}

// wallInstant is the instant loc's clock shows minute on day; a minute the clocks skip (a
// daylight-saving gap) is read with the offset before the change, as time.Date does, since
// the bounds of hours typed for that day must still order the day's instants.
func wallInstant(day time.Time, minute int, loc *time.Location) time.Time {
	if t, _, ok := walltime.At(day, minute, loc); ok {
		return t
	}
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, minute, 0, 0, loc)
}

// localDay is the local midnights that bound day (YYYY-MM-DD) in loc: 23 to 25 hours.
func localDay(day string, loc *time.Location) (from, to time.Time, ok bool) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return from, to, false
	}
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc), time.Date(y, m, dd+1, 0, 0, 0, 0, loc), true
}

// closedOut reports whether appointment a, on a day the exceptions close, falls outside
// every interval they open instead: it is then one staff must cancel or move.
func closedOut(a clinic.Appointment, open []TimeRange) bool {
	for _, o := range open {
		if !a.Start.Before(o.Start) && !a.End.After(o.End) {
			return false
		}
	}
	return true
}

// ExceptionAffectedTx lists, by start time, the active appointments of agenda on day
// (YYYY-MM-DD, the clinic's calendar) that its exceptions leave without hours: on a day an
// exception closes, every appointment that is not wholly within hours an exception of that
// day opens instead. extra are exceptions not recorded yet (a preview), counted with the
// stored ones. A day no exception closes affects none: extra hours only add. Staff cancel
// or move each (each then an ordinary, notified change).
//
// Errors: clinic.ErrNotFound for an agenda of another organisation.
func (s *Service) ExceptionAffectedTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, agenda clinic.AgendaID, day string, extra ...clinic.ScheduleException) ([]clinic.Appointment, error) {
	ag, err := tx.Directory().Agenda(ctx, org, agenda)
	if err != nil {
		return nil, err
	}
	loc, err := clinicZone(ctx, tx, org, ag.ClinicID)
	if err != nil {
		return nil, err
	}
	stored, err := tx.Schedule().Exceptions(ctx, org, []clinic.AgendaID{ag.ID}, day, day)
	if err != nil {
		return nil, err
	}
	closed, open := dayOpen(day, append(stored, extra...), loc)
	from, to, ok := localDay(day, loc)
	if !closed || !ok {
		return nil, nil
	}
	appts, err := tx.Appointments().AppointmentsByTime(ctx, org, store.AppointmentFilter{AgendaID: ag.ID, From: from.Add(-store.MaxDuration), To: to})
	if err != nil {
		return nil, err
	}
	var out []clinic.Appointment
	for _, a := range appts {
		if a.Status.Active() && a.End.After(from) && closedOut(a, open) {
			out = append(out, a)
		}
	}
	return out, nil
}

// clinicZone is the time zone of one of org's clinics.
func clinicZone(ctx context.Context, tx *store.Tx, org clinic.OrgID, id clinic.ClinicID) (*time.Location, error) {
	cl, err := tx.Directory().Clinic(ctx, org, id)
	if err != nil {
		return nil, err
	}
	loc, err := cl.Location()
	if err != nil {
		return nil, fmt.Errorf("zone of clinic %d: %w", id, err)
	}
	return loc, nil
}

// ClosureKind says why an agenda is closed for a while.
type ClosureKind string

// The kinds of closure.
const (
	// ClosureDay is a day a dated exception closes (with, maybe, other hours open instead).
	ClosureDay ClosureKind = "day"
	// ClosureAbsence is an absence of the agenda's practitioner.
	ClosureAbsence ClosureKind = "absence"
)

// Closure is a stretch of time an agenda takes no appointment beyond what its weekly hours
// say, for the agenda views to mark (POR-4): a day its exceptions close, or an absence of
// its practitioner. Availability already leaves these out; this is what staff read.
type Closure struct {
	AgendaID clinic.AgendaID
	Kind     ClosureKind
	// Start and End bound it: a closed day's local midnights (23 to 25 hours apart), or the
	// absence's own instants, which may run beyond the window asked for.
	Start, End time.Time
	// Day is a closed day's date (YYYY-MM-DD, the clinic's calendar); "" for an absence.
	Day string
	// Open are the hours exceptions open on a closed day instead (a "replace"), as instants.
	Open []TimeRange
	// ExceptionIDs are the exceptions that make a closed day (several may: one closes, one
	// opens other hours); AbsenceID is the absence's.
	ExceptionIDs []int64
	AbsenceID    int64
	// Note is the exception's or absence's note ("Christmas", "Conference"); a day several
	// exceptions make has their notes joined by "; ".
	Note string
}

// ClosuresTx lists the closures of agendas (all of one clinic, whose zone is loc) that
// overlap [from, to): the days their exceptions close and their practitioners' absences,
// by agenda and start, in two statements whatever the number of agendas. An absence of a
// practitioner with several agendas is listed for each.
//
// Errors: none of its own (nothing closed is an empty list).
func (s *Service) ClosuresTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, agendas []clinic.Agenda, loc *time.Location, from, to time.Time) ([]Closure, error) {
	if len(agendas) == 0 || !from.Before(to) {
		return nil, nil
	}
	ids := make([]clinic.AgendaID, len(agendas))
	var pids []clinic.PractitionerID
	for i, a := range agendas {
		ids[i] = a.ID
		if a.PractitionerID != nil {
			pids = append(pids, *a.PractitionerID)
		}
	}
	first, last := from.In(loc).Format(time.DateOnly), to.Add(-time.Nanosecond).In(loc).Format(time.DateOnly)
	es, err := tx.Schedule().Exceptions(ctx, org, ids, first, last)
	if err != nil {
		return nil, fmt.Errorf("closures: %w", err)
	}
	var out []Closure
	type key struct {
		agenda clinic.AgendaID
		day    string
	}
	seen := map[key]bool{}
	for _, e := range es {
		k := key{e.AgendaID, e.Day}
		if seen[k] {
			continue
		}
		seen[k] = true
		var same []clinic.ScheduleException
		for _, o := range es {
			if o.AgendaID == e.AgendaID && o.Day == e.Day {
				same = append(same, o)
			}
		}
		closed, open := dayOpen(e.Day, same, loc)
		start, end, ok := localDay(e.Day, loc)
		if !closed || !ok {
			continue
		}
		c := Closure{AgendaID: e.AgendaID, Kind: ClosureDay, Start: start, End: end, Day: e.Day, Open: open}
		var notes []string
		for _, o := range same {
			c.ExceptionIDs = append(c.ExceptionIDs, o.ID)
			if o.Note != "" {
				notes = append(notes, o.Note)
			}
		}
		c.Note = strings.Join(notes, "; ")
		out = append(out, c)
	}
	if len(pids) > 0 {
		abs, err := tx.Schedule().Absences(ctx, org, pids, from, to)
		if err != nil {
			return nil, fmt.Errorf("closures: %w", err)
		}
		for _, x := range abs {
			for _, a := range agendas {
				if a.PractitionerID != nil && *a.PractitionerID == x.PractitionerID {
					out = append(out, Closure{AgendaID: a.ID, Kind: ClosureAbsence, Start: x.Start, End: x.End, AbsenceID: x.ID, Note: x.Note})
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Closure) int {
		if a.AgendaID != b.AgendaID {
			return cmp.Compare(a.AgendaID, b.AgendaID)
		}
		return a.Start.Compare(b.Start)
	})
	return out, nil
}

// CancelNotice is what the patient of an appointment would be told if staff cancelled it
// now (NOT-1, CON-9): the notice planning would make (notify.PreviewNotices) and, for each
// channel, the consent engine's decision as the dispatcher would make it now. It is decided
// again when the notice falls due (NOT-3): a consent or switch changed meanwhile counts.
type CancelNotice struct {
	AppointmentID clinic.AppointmentID
	// Silent is true when cancelling would tell the patient nothing: the booking's
	// confirmation is still waiting its grace period and the patient has heard nothing of the
	// appointment, so the confirmation is withdrawn and no notice planned.
	Silent bool
	// Channels are SMS, e-mail and push, in that order (consent.Channels).
	Channels []ChannelNotice
	// At is when it was decided, for the relative times of the decisions' sentences.
	At time.Time
}

// ChannelNotice is one channel of a CancelNotice.
type ChannelNotice struct {
	Channel consent.Channel
	// Planned is false when the clinic does not send on this channel (its sending
	// settings): no notice is planned on it, whatever consent says.
	Planned bool
	// Decision is the consent engine's (when Planned): Allowed, and its sentence with
	// Decision.Text.
	Decision consent.Decision
}

// Sent reports whether a notice would go out on this channel: planned and allowed.
func (c ChannelNotice) Sent() bool { return c.Planned && c.Decision.Allowed }

// CancelNoticesTx says, for each of appts, what its patient would be told if staff
// cancelled it now, in the order of appts. It reads, in a fixed number of statements for
// any number of appointments: the planner's (notify.PreviewNotices) and the consent facts
// (decide.LoadPatients). It neither writes nor audits: a page that shows the patients
// audits what it shows.
func (s *Service) CancelNoticesTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, appts []clinic.Appointment) ([]CancelNotice, error) {
	if len(appts) == 0 {
		return nil, nil
	}
	changes := make([]notify.Change, len(appts))
	for i, a := range appts {
		a.Status = clinic.StatusCancelled // as planning sees it once cancelled
		changes[i] = notify.Change{Kind: notify.Cancelled, Appointment: a}
	}
	planned, err := notify.PreviewNotices(ctx, tx, org, changes...)
	if err != nil {
		return nil, fmt.Errorf("cancellation notices: %w", err)
	}
	type ref struct{ appt, channel int }
	var msgs []decide.Message
	var refs []ref
	out := make([]CancelNotice, len(appts))
	for i, p := range planned {
		a := changes[i].Appointment
		out[i] = CancelNotice{AppointmentID: a.ID, Silent: p.Kind == "", At: tx.Now}
		for j, ch := range consent.Channels() {
			out[i].Channels = append(out[i].Channels, ChannelNotice{Channel: ch})
			if p.Kind == "" || !slices.Contains(p.Channels, ch) {
				continue
			}
			out[i].Channels[j].Planned = true
			// The question the dispatcher asks of this notice (dispatch.message).
			msgs = append(msgs, decide.Message{PatientID: a.PatientID, Channel: ch, Purpose: consent.PurposeBookingNotice,
				Notice: notify.NoticeOf(p.Kind), AgendaID: a.AgendaID, ReasonID: a.ReasonID, BookedBy: a.BookedBy, Status: a.Status})
			refs = append(refs, ref{i, j})
		}
	}
	if len(msgs) == 0 {
		return out, nil
	}
	facts, _, _, err := decide.LoadPatients(ctx, tx, org, msgs)
	if err != nil {
		return nil, fmt.Errorf("cancellation notices: %w", err)
	}
	for k, r := range refs {
		out[r.appt].Channels[r.channel].Decision = consent.Decide(facts[k])
	}
	return out, nil
}

// PreviewAbsenceTx checks absence x as CreateAbsence would and, recording nothing, lists
// the active appointments it would fall on, by start time: the preview staff see before
// they record it, with what each patient would be told if cancelled (CancelNoticesTx).
// Recording an absence cancels nothing and tells no patient: staff cancel or move each
// appointment. It needs the permission to manage schedules.
//
// Errors: as CreateAbsence's.
func (s *Service) PreviewAbsenceTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, x clinic.Absence) ([]clinic.Appointment, error) {
	if err := allow(actor, clinic.PermManageSchedule, "preview absence"); err != nil {
		return nil, err
	}
	if _, err := tx.Directory().Practitioner(ctx, actor.OrgID, x.PractitionerID); err != nil {
		return nil, clinic.MissingReference("practitioner_id", err)
	}
	x.Note = strings.TrimSpace(x.Note)
	if err := CheckAbsence(x, tx.Now); err != nil {
		return nil, err
	}
	return s.AffectedTx(ctx, tx, actor.OrgID, x.PractitionerID, x.Start, x.End)
}

// PreviewExceptionTx checks exception e as AddException would (problems are the surface's
// decoding problems) and, recording nothing, lists the active appointments it would leave
// without hours (ExceptionAffectedTx), by start time. It needs the permission to manage
// schedules.
//
// Errors: as AddException's.
func (s *Service) PreviewExceptionTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, e clinic.ScheduleException, problems []clinic.FieldError) ([]clinic.Appointment, error) {
	if err := allow(actor, clinic.PermManageSchedule, "preview exception"); err != nil {
		return nil, err
	}
	ag, err := tx.Directory().Agenda(ctx, actor.OrgID, e.AgendaID)
	if err != nil {
		return nil, err
	}
	e.Note = strings.TrimSpace(e.Note)
	if err := input.Merge(problems, CheckException(e)); err != nil {
		return nil, err
	}
	return s.ExceptionAffectedTx(ctx, tx, actor.OrgID, ag.ID, e.Day, e)
}
