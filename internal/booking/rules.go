package booking

import (
	"fmt"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Day is where today falls against an appointment's day, both read on the clinic's clock:
// the status rules turn on it (attendance is recorded from the appointment's day on; a past
// appointment is no longer confirmed, booked again or cancelled).
type Day int

// The three days of the status table.
const (
	BeforeTheDay Day = iota // the appointment is on a later day
	OnTheDay                // the appointment is today
	AfterTheDay             // the appointment's day is past
)

// Days lists the days of the status table in order, for tables that cover each one.
func Days() []Day { return []Day{BeforeTheDay, OnTheDay, AfterTheDay} }

// String names the day for messages and test names.
func (d Day) String() string {
	switch d {
	case BeforeTheDay:
		return "before the day"
	case OnTheDay:
		return "on the day"
	case AfterTheDay:
		return "after the day"
	}
	return fmt.Sprintf("Day(%d)", int(d))
}

// DayOf says where now falls against the local day of an appointment starting at start, both
// read in loc, the clinic's zone (a 23:30 appointment in Sydney is "today" there while it is
// still the day before in UTC).
func DayOf(start, now time.Time, loc *time.Location) Day {
	ay, am, ad := start.In(loc).Date()
	ny, nm, nd := now.In(loc).Date()
	switch c := cmpDate(ny, nm, nd, ay, am, ad); {
	case c < 0:
		return BeforeTheDay
	case c == 0:
		return OnTheDay
	}
	return AfterTheDay
}

func cmpDate(y1 int, m1 time.Month, d1, y2 int, m2 time.Month, d2 int) int {
	switch {
	case y1 != y2:
		return y1 - y2
	case m1 != m2:
		return int(m1) - int(m2)
	}
	return d1 - d2
}

// statusTable is the status rule table, the one place the rules live: the use cases
// (SetStatus, Cancel) refuse what it does not allow and Actions offers exactly what it
// allows. Its rules:
//   - Attendance (arrived, seen, no-show, excused absence) is recorded from the day on, never
//     ahead of it.
//   - Booked and confirmed describe an appointment to come: a past appointment is not
//     confirmed or booked again; what happened is recorded instead. Undoing a mistaken
//     attendance click (back to booked) is for the day itself.
//   - Cancelling is for an appointment to come or of today, before the patient arrives; a
//     past one is a no-show or an excused absence, not a cancellation.
//   - Seen is final: the visit took place.
//   - A patient marked absent who turns up after all is marked arrived.
//   - A cancelled appointment is booked again (reinstated) while its day has not passed.
//
// Each row is the status an appointment is in; each column, in the order of
// clinic.Statuses, a status staff may set next, with the days on which they may: B before
// the appointment's day, O on it, A after it; a dot, never.
//
//	from \ to        booked confirmed arrived seen no_show excused cancelled
//	booked           ·      B O       O A     O A  O A     O A     B O
//	confirmed        B O    ·         O A     O A  O A     O A     B O
//	arrived          O      O         ·       O A  O A     ·       ·
//	seen             ·      ·         ·       ·    ·       ·       ·
//	no_show          O      O         O A     ·    ·       O A     ·
//	excused_absence  O      O         ·       ·    O A     ·       ·
//	cancelled        B O    ·         ·       ·    ·       ·       ·
func statusTable(from, to clinic.Status) string {
	table := [...]struct {
		from clinic.Status
		to   [7]string // booked, confirmed, arrived, seen, no_show, excused_absence, cancelled
	}{
		{clinic.StatusBooked, [7]string{"", "BO", "OA", "OA", "OA", "OA", "BO"}},
		{clinic.StatusConfirmed, [7]string{"BO", "", "OA", "OA", "OA", "OA", "BO"}},
		{clinic.StatusArrived, [7]string{"O", "O", "", "OA", "OA", "", ""}},
		{clinic.StatusSeen, [7]string{"", "", "", "", "", "", ""}},
		{clinic.StatusNoShow, [7]string{"O", "O", "OA", "", "", "OA", ""}},
		{clinic.StatusExcusedAbsence, [7]string{"O", "O", "", "", "OA", "", ""}},
		{clinic.StatusCancelled, [7]string{"BO", "", "", "", "", "", ""}},
	}
	col := slices.Index(clinic.Statuses(), to)
	for _, row := range table {
		if row.from == from && col >= 0 {
			return row.to[col]
		}
	}
	return ""
}

// dayLetter is a Day's letter in statusTable.
func dayLetter(d Day) byte { return "BOA"[d] }

// CanTransition reports whether staff may ever move an appointment from one status to
// another, on some day; CheckStatus says whether they may today.
func CanTransition(from, to clinic.Status) bool { return statusTable(from, to) != "" }

// Why says why a status change was refused, so that each surface can say it in its words.
type Why int

// The refusals of CheckStatus.
const (
	WhyNoSuchChange  Why = iota // the table has no such change on any day
	WhySameStatus               // the appointment is already in that status
	WhyNotYet                   // attendance before the appointment's day
	WhyDayPast                  // booked or confirmed after the appointment's day
	WhyCancelPast               // cancelling after the appointment's day
	WhyCancelArrived            // cancelling once the patient has arrived or been seen
	WhySeenFinal                // any change of a seen appointment
	WhyReinstatePast            // booking a cancelled appointment again after its day
)

// TransitionError refuses a status change the status table does not allow on the
// appointment's day. It is a conflict (409): the appointment's state or date stands in the
// way, and its ConflictError names the field "status" with the reason in words.
type TransitionError struct {
	From, To clinic.Status
	Day      Day
	Why      Why
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("status %s → %s %s: %s", e.From, e.To, e.Day, e.Reason())
}

// Is makes it a conflict: the appointment's current state stands in the way.
func (e *TransitionError) Is(target error) bool { return target == clinic.ErrConflict }

// Unwrap gives the API's problem document its field and reason.
func (e *TransitionError) Unwrap() error {
	return &clinic.ConflictError{Field: "status", Reason: e.Reason()}
}

// Reason is the refusal in words, for people reading the API's answer.
func (e *TransitionError) Reason() string {
	switch e.Why {
	case WhySameStatus:
		return fmt.Sprintf("the appointment is already %s", e.To)
	case WhyNotYet:
		return fmt.Sprintf("%s can be recorded only from the day of the appointment", e.To)
	case WhyDayPast:
		return fmt.Sprintf("the day of the appointment has passed: it cannot be set to %s; record whether the patient came instead", e.To)
	case WhyCancelPast:
		return "the day of the appointment has passed: it cannot be cancelled; record a no-show or an excused absence instead"
	case WhyCancelArrived:
		return "the patient has arrived: the appointment can no longer be cancelled"
	case WhySeenFinal:
		return "the patient has been seen: the appointment's status is final"
	case WhyReinstatePast:
		return "the day of the appointment has passed: it cannot be booked again; book a new appointment instead"
	}
	return fmt.Sprintf("an appointment cannot go from %s to %s", e.From, e.To)
}

// CheckStatus says whether staff may set an appointment in status from to status to on day
// (statusTable): nil, or a *TransitionError saying why not.
func CheckStatus(from, to clinic.Status, day Day) error {
	days := statusTable(from, to)
	if days != "" && slices.Contains([]byte(days), dayLetter(day)) {
		return nil
	}
	e := &TransitionError{From: from, To: to, Day: day}
	attendance := to == clinic.StatusArrived || to == clinic.StatusSeen || to == clinic.StatusNoShow || to == clinic.StatusExcusedAbsence
	switch {
	case from == to:
		e.Why = WhySameStatus
	case from == clinic.StatusSeen:
		e.Why = WhySeenFinal
	case to == clinic.StatusCancelled && from == clinic.StatusArrived:
		e.Why = WhyCancelArrived
	case days == "":
		e.Why = WhyNoSuchChange
	case day == BeforeTheDay && attendance:
		e.Why = WhyNotYet
	case day == AfterTheDay && to == clinic.StatusCancelled:
		e.Why = WhyCancelPast
	case day == AfterTheDay && from == clinic.StatusCancelled:
		e.Why = WhyReinstatePast
	case day == AfterTheDay:
		e.Why = WhyDayPast
	}
	return e
}
