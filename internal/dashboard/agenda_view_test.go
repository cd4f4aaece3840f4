package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/zonetest"
)

// tagWith returns the opening tag holding attr (data-appointment-id="3"), or "".
func tagWith(body, attr string) string {
	return regexp.MustCompile(`<[a-z0-9]+ [^>]*` + regexp.QuoteMeta(attr) + `[^>]*>`).FindString(body)
}

// column returns the markup of the grid column of agenda id (day view) or date (week view).
func column(t *testing.T, body, attr string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<section class="ag-col[^"]*"[^>]*` + regexp.QuoteMeta(attr) + `[^>]*>.*?</section>`).FindString(body)
	if m == "" {
		t.Fatalf("no column with %s", attr)
	}
	return m
}

// bookAt creates an appointment of the fixture patient on agenda from start to end.
func (e *env) bookAt(agenda clinic.AgendaID, start, end time.Time, by clinic.BookedBy) clinic.Appointment {
	e.t.Helper()
	var a clinic.Appointment
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		a, err = tx.Appointments().CreateAppointment(ctx, e.fx.Org.ID, clinic.Appointment{ClinicID: e.fx.Clinic.ID, AgendaID: agenda,
			ReasonID: e.fx.Reason.ID, PatientID: e.fx.Patient.ID, Start: start, End: end, Status: clinic.StatusBooked, BookedBy: by})
		return err
	})
	return a
}

// secondAgenda adds practitioner "Dr Alan Turing" with the active agenda "Dr Turing", open
// 08:00–18:00 every day and offering the fixture reason.
func (e *env) secondAgenda() (clinic.Practitioner, clinic.Agenda) {
	e.t.Helper()
	var p clinic.Practitioner
	var a clinic.Agenda
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		if p, err = tx.Directory().CreatePractitioner(ctx, e.fx.Org.ID, clinic.Practitioner{Name: "Dr Alan Turing"}); err != nil {
			return err
		}
		pid := p.ID
		if a, err = tx.Directory().CreateAgenda(ctx, e.fx.Org.ID, clinic.Agenda{ClinicID: e.fx.Clinic.ID, PractitionerID: &pid, Name: "Dr Turing", Active: true}); err != nil {
			return err
		}
		var hs []clinic.WorkingHours
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			hs = append(hs, clinic.WorkingHours{Weekday: wd, Start: 8 * 60, End: 18 * 60})
		}
		if err := tx.Schedule().SetWorkingHours(ctx, e.fx.Org.ID, a.ID, hs); err != nil {
			return err
		}
		r := e.fx.Reason
		r.AgendaIDs = append(r.AgendaIDs, a.ID)
		_, err = tx.Directory().UpdateReason(ctx, e.fx.Org.ID, r)
		return err
	})
	return p, a
}

// TestAgendaDayGrid checks where the day grid puts things (POR-4): with hours 08:00–18:00
// the grid runs 07:00–19:00 in 5-minute rows, so 09:30 is row 31; an appointment spans a
// row per 5 minutes of its duration, overlapping ones share the width in lanes, an absence
// and a closed day are shaded with their labels, free time is cut into cells at the
// clinic's 15-minute grid, the chosen reason's free starts are Book links, and today has a
// line at the current time (10:00 in Sydney).
func TestAgendaDayGrid(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	ag := e.fx.Agenda.ID
	short := e.appt(at(t, 2026, 4, 8, 9, 30), clinic.StatusConfirmed)
	long := e.bookAt(ag, at(t, 2026, 4, 8, 11, 0), at(t, 2026, 4, 8, 11, 45), clinic.BookedByStaff)
	// The clinical software double-books: two synced appointments overlap.
	x := e.bookAt(ag, at(t, 2026, 4, 8, 16, 0), at(t, 2026, 4, 8, 16, 30), clinic.BookedBySync)
	y := e.bookAt(ag, at(t, 2026, 4, 8, 16, 15), at(t, 2026, 4, 8, 16, 45), clinic.BookedBySync)
	cancelled := e.appt(at(t, 2026, 4, 8, 17, 0), clinic.StatusCancelled)
	e.update(func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Schedule().CreateAbsence(ctx, e.fx.Org.ID, clinic.Absence{PractitionerID: e.fx.Practitioner.ID,
			Start: at(t, 2026, 4, 8, 13, 0), End: at(t, 2026, 4, 8, 15, 0), Note: "Training"}); err != nil {
			return err
		}
		_, err := tx.Schedule().AddException(ctx, e.fx.Org.ID, clinic.ScheduleException{AgendaID: ag, Day: "2026-04-09", Closed: true, Note: "Easter"})
		return err
	})

	res := e.do(request{method: "GET", path: fmt.Sprintf("/agenda?date=2026-04-08&reason_id=%d", e.fx.Reason.ID), actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	checkCSP(t, res.body)
	tests := []struct {
		name string
		attr string // an attribute of the element
		want string // classes it must have
	}{
		{"a 15-minute appointment at 09:30", fmt.Sprintf(`data-appointment-id="%d"`, short.ID), "ag-appt r-31 s-3 k1-0 status-confirmed"},
		{"a 45-minute appointment at 11:00", fmt.Sprintf(`data-appointment-id="%d"`, long.ID), "ag-appt r-49 s-9 k1-0 status-booked"},
		{"overlapping, first lane", fmt.Sprintf(`data-appointment-id="%d"`, x.ID), "ag-appt r-109 s-6 k2-0"},
		{"overlapping, second lane", fmt.Sprintf(`data-appointment-id="%d"`, y.ID), "ag-appt r-112 s-6 k2-1"},
		{"a cancelled appointment", fmt.Sprintf(`data-appointment-id="%d"`, cancelled.ID), "ag-appt r-121 s-3 k1-0 status-cancelled appt-freed"},
		{"the bookable start after it", `data-start="` + utc(at(t, 2026, 4, 8, 9, 45)) + `"`, "ag-slot r-34 s-3"},
		{"a bookable start", `href="/appointments/new?reason_id=` + fmt.Sprint(e.fx.Reason.ID) + `&amp;agenda_id=` + fmt.Sprint(ag) + `&amp;start=` +
			strings.ReplaceAll(utc(at(t, 2026, 4, 8, 8, 0)), ":", "%3a") + `"`, "ag-slot r-13 s-3"},
		{"the hours outside work", `class="ag-off r-1 s-144"`, "ag-off r-1 s-144"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tag := tagWith(res.body, tc.attr)
			if !strings.Contains(tag, `class="`+tc.want) {
				t.Errorf("element %s is %s, want class %q", tc.attr, tag, tc.want)
			}
		})
	}
	wantBody(t, res, `class="ag-absence r-73 s-24"`, "Absent 13:00–15:00 · Training", "09:30–09:45", "11:00–11:45",
		`<span class="ag-hour r-13 s-12">08:00</span>`, fmt.Sprintf(`data-appointment-id="%d" data-move data-version="1"`, short.ID), `id="agenda-drop"`)
	// Nothing is free, nor bookable, while the appointment or the absence holds the time.
	for _, s := range []time.Time{at(t, 2026, 4, 8, 9, 30), at(t, 2026, 4, 8, 11, 30), at(t, 2026, 4, 8, 14, 0), at(t, 2026, 4, 8, 16, 30)} {
		if strings.Contains(res.body, `data-start="`+utc(s)+`"`) {
			t.Errorf("%s is offered", s.Format("15:04"))
		}
	}
	if !strings.Contains(res.body, `data-start="`+utc(at(t, 2026, 4, 8, 17, 0))+`"`) {
		t.Error("the time a cancelled appointment freed is not offered")
	}
	if diff := cmp.Diff([]string{fmt.Sprintf("appointment.list %d", e.fx.Patient.ID)}, e.auditRows(e.fx.Org.ID)); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}

	// Each appointment opens to a link to its actions; only the one opened (?open=ID) carries
	// its forms, which return to the grid with it opened.
	if strings.Contains(res.body, "/status") {
		t.Error("the grid carries status forms with no appointment opened")
	}
	wantBody(t, res, fmt.Sprintf(`href="/agenda?date=2026-04-08&amp;reason_id=%d&amp;open=%d#appt-%d" data-actions>`, e.fx.Reason.ID, short.ID, short.ID))
	res = e.do(request{method: "GET", path: fmt.Sprintf("/agenda?date=2026-04-08&reason_id=%d&open=%d", e.fx.Reason.ID, short.ID), actor: actorOf(e.recep)})
	wantBody(t, res, fmt.Sprintf(`id="appt-%d" data-appointment-id="%d" data-move data-version="1" open>`, short.ID, short.ID),
		fmt.Sprintf(`action="/appointments/%d/status"`, short.ID), `hx-target="#agenda"`,
		fmt.Sprintf(`name="next" value="/agenda?date=2026-04-08&amp;reason_id=%d&amp;open=%d"`, e.fx.Reason.ID, short.ID))
	if n := strings.Count(res.body, `class="action-form"`); n != 1 {
		t.Errorf("%d status forms, want the opened appointment's", n)
	}
	checkNoPatientDataInURLs(t, res, e.fx.Patient)

	// With no reason chosen, free time is cells to drop on, cut at the 15-minute grid.
	res = e.do(request{method: "GET", path: "/agenda?date=2026-04-08", actor: actorOf(e.recep)})
	if tag := tagWith(res.body, `data-start="`+utc(at(t, 2026, 4, 8, 9, 45))+`"`); !strings.Contains(tag, `class="ag-cell r-34 s-3"`) {
		t.Errorf("the free cell after 09:30 is %s", tag)
	}
	if strings.Contains(res.body, "ag-slot") {
		t.Error("bookable starts with no reason chosen")
	}

	// The exception's day is closed, shaded and labelled with its note.
	res = e.do(request{method: "GET", path: "/agenda?date=2026-04-09", actor: actorOf(e.recep)})
	col := column(t, res.body, fmt.Sprintf(`data-agenda-id="%d"`, ag))
	for _, w := range []string{"ag-closed", "Closed: Easter", `<span>Closed</span>`} {
		if !strings.Contains(col, w) {
			t.Errorf("closed day lacks %q:\n%s", w, col)
		}
	}
	if strings.Contains(col, "ag-cell") || strings.Contains(col, "ag-open") {
		t.Error("a closed day shows free time")
	}

	// An absence over the whole day shades all of it, with no times.
	e.update(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Schedule().CreateAbsence(ctx, e.fx.Org.ID, clinic.Absence{PractitionerID: e.fx.Practitioner.ID,
			Start: at(t, 2026, 4, 9, 0, 0), End: at(t, 2026, 4, 11, 0, 0), Note: "Conference"})
		return err
	})
	res = e.do(request{method: "GET", path: "/agenda?date=2026-04-10", actor: actorOf(e.recep)})
	wantBody(t, res, `<div class="ag-absence r-1 s-144"><span>Absent · Conference</span></div>`)
	if strings.Contains(res.body, "data-start") {
		t.Error("a day of absence offers free time")
	}

	// Today: the line at the current time, 10:00 (row 37).
	res = e.do(request{method: "GET", path: "/agenda", actor: actorOf(e.recep)})
	wantBody(t, res, `class="ag-now r-37 s-1"`, "ag-today")
	// A practitioner sees the grid but may neither book nor drag.
	doc := e.user(clinic.RolePractitioner, "doc@example.com")
	res = e.do(request{method: "GET", path: "/agenda?date=2026-04-08", actor: actorOf(doc)})
	wantBody(t, res, fmt.Sprintf(`data-appointment-id="%d"`, short.ID))
	for _, s := range []string{"data-move", "ag-drop", "data-start", "/move"} {
		if strings.Contains(res.body, s) {
			t.Errorf("the practitioner's grid holds %q", s)
		}
	}
}

// TestAgendaDayFilters: the practitioner filter keeps that practitioner's columns (and
// audits only the patients they show); agenda_id picks the column a phone shows, falling
// back to the first; ids that do not fit are refused naming the field.
func TestAgendaDayFilters(t *testing.T) {
	e := newEnv(t)
	e.openHours()
	turing, turingAgenda := e.secondAgenda()
	e.appt(at(t, 2026, 4, 8, 9, 0), clinic.StatusBooked) // on Dr Lovelace's agenda
	lovelace := fmt.Sprintf(`data-agenda-id="%d"`, e.fx.Agenda.ID)
	theirs := fmt.Sprintf(`data-agenda-id="%d"`, turingAgenda.ID)
	tests := []struct {
		name    string
		query   string
		columns []string
		phone   string
		audited bool
	}{
		{"all", "", []string{lovelace, theirs}, lovelace, true},
		{"one practitioner", fmt.Sprintf("&practitioner_id=%d", turing.ID), []string{theirs}, theirs, false},
		{"a phone's column", fmt.Sprintf("&agenda_id=%d", turingAgenda.ID), []string{lovelace, theirs}, theirs, true},
		{"a column not shown", fmt.Sprintf("&practitioner_id=%d&agenda_id=%d", turing.ID, e.fx.Agenda.ID), []string{theirs}, theirs, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.auditRows(e.fx.Org.ID))
			res := e.do(request{method: "GET", path: "/agenda?date=2026-04-08" + tc.query, actor: actorOf(e.recep)})
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			for _, c := range []string{lovelace, theirs} {
				shown := strings.Contains(res.body, c)
				if want := strings.Contains(strings.Join(tc.columns, " "), c); shown != want {
					t.Errorf("column %s shown %v, want %v", c, shown, want)
				}
			}
			if tag := tagWith(res.body, tc.phone); !strings.Contains(tag, "ag-phone") {
				t.Errorf("the phone's column is not %s: %s", tc.phone, tag)
			}
			if n := strings.Count(res.body, "ag-phone") - strings.Count(res.body, "ag-phone-pick"); n != 1 {
				t.Errorf("%d columns marked for a phone", n)
			}
			wantBody(t, res, `id="practitioner-filter"`, "Dr Alan Turing", "All practitioners")
			if got := len(e.auditRows(e.fx.Org.ID)) > before; got != tc.audited {
				t.Errorf("audited %v, want %v", got, tc.audited)
			}
		})
	}
	for _, q := range []string{"practitioner_id=999", "practitioner_id=x", "agenda_id=-1", "reason_id=999"} {
		res := e.do(request{method: "GET", path: "/agenda?date=2026-04-08&" + q, actor: actorOf(e.recep)})
		field, _, _ := strings.Cut(q, "=")
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="`+field+`"`) {
			t.Errorf("%s: status %d, want 422 naming %s", q, res.status, field)
		}
	}
}

// TestAgendaDayDST renders the days Paris changes its clocks (2026): on 25 October the grid
// has 25 hours (300 rows), 02:00–03:00 twice, and 02:30 CEST and 02:30 CET are an hour
// apart; on 29 March it has 23 hours (276 rows) and 03:00 follows 01:55.
func TestAgendaDayDST(t *testing.T) {
	e := newEnv(t)
	paris := zonetest.Load(t, "Europe/Paris")
	e.update(func(ctx context.Context, tx *store.Tx) error {
		c := e.fx.Clinic
		c.Zone = "Europe/Paris"
		if _, err := tx.Directory().UpdateClinic(ctx, e.fx.Org.ID, c); err != nil {
			return err
		}
		var hs []clinic.WorkingHours
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			hs = append(hs, clinic.WorkingHours{Weekday: wd, Start: 0, End: 24 * 60})
		}
		return tx.Schedule().SetWorkingHours(ctx, e.fx.Org.ID, e.fx.Agenda.ID, hs)
	})
	cest := e.appt(time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), clinic.StatusBooked) // 02:30 CEST
	cet := e.appt(time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), clinic.StatusBooked)  // 02:30 CET
	spring := e.appt(time.Date(2026, 3, 29, 3, 0, 0, 0, paris), clinic.StatusBooked)    // 03:00 CEST, 01:00 UTC
	tests := []struct {
		name  string
		date  string
		want  []string
		never []string
	}{
		{"25 hours", "2026-10-25", []string{`class="ag-off r-1 s-300"`, `<span class="ag-hour r-25 s-12">02:00 CEST</span>`,
			`<span class="ag-hour r-37 s-12">02:00 CET</span>`, `<span class="ag-hour r-49 s-12">03:00 CET</span>`,
			fmt.Sprintf(`class="ag-appt r-31 s-3 k1-0 status-booked" id="appt-%d"`, cest.ID),
			fmt.Sprintf(`class="ag-appt r-43 s-3 k1-0 status-booked" id="appt-%d"`, cet.ID)}, nil},
		{"23 hours", "2026-03-29", []string{`class="ag-off r-1 s-276"`, `<span class="ag-hour r-13 s-12">01:00 CET</span>`,
			`<span class="ag-hour r-25 s-12">03:00 CEST</span>`, fmt.Sprintf(`class="ag-appt r-25 s-3 k1-0 status-booked" id="appt-%d"`, spring.ID)},
			[]string{">02:00 C"}},
		{"an ordinary day", "2026-10-26", []string{`class="ag-off r-1 s-288"`, `<span class="ag-hour r-25 s-12">02:00</span>`}, []string{"CET<"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "GET", path: "/agenda?date=" + tc.date, actor: actorOf(e.recep)})
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			wantBody(t, res, tc.want...)
			for _, s := range tc.never {
				if strings.Contains(res.body, s) {
					t.Errorf("the grid shows %q", s)
				}
			}
		})
	}
}

// TestAgendaWeekGrid: the week grid shows one agenda (chosen by agenda_id) with a column per
// day; a closed day with nothing booked is collapsed, one with an appointment is not; with
// a reason chosen its free starts are Book links; reception can drag (the drop form), and
// only the shown agenda's patients are audited.
func TestAgendaWeekGrid(t *testing.T) {
	e := newEnv(t)
	var hs []clinic.WorkingHours
	for wd := time.Monday; wd <= time.Friday; wd++ {
		hs = append(hs, clinic.WorkingHours{Weekday: wd, Start: 9 * 60, End: 17 * 60})
	}
	e.update(func(ctx context.Context, tx *store.Tx) error {
		return tx.Schedule().SetWorkingHours(ctx, e.fx.Org.ID, e.fx.Agenda.ID, hs)
	})
	_, turing := e.secondAgenda()
	wed := e.appt(at(t, 2026, 4, 8, 10, 0), clinic.StatusBooked)
	sat := e.appt(at(t, 2026, 4, 11, 10, 0), clinic.StatusArrived) // outside hours
	e.bookAt(turing.ID, at(t, 2026, 4, 8, 10, 0), at(t, 2026, 4, 8, 10, 15), clinic.BookedByStaff)

	res := e.do(request{method: "GET", path: fmt.Sprintf("/agenda/week?date=2026-04-08&reason_id=%d", e.fx.Reason.ID), actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	checkCSP(t, res.body)
	// 08:00–18:00 (half an hour around 09:00–17:00, in whole hours): 10:00 is row 25.
	wantBody(t, res, `id="week"`, `id="agenda-picker"`, "Dr Turing", `id="week-drop"`, `data-date="2026-04-06"`,
		fmt.Sprintf(`class="ag-appt r-25 s-3 k1-0 status-booked" id="appt-%d"`, wed.ID),
		fmt.Sprintf(`class="ag-appt r-25 s-3 k1-0 status-arrived" id="appt-%d"`, sat.ID),
		fmt.Sprintf(`href="/appointments/new?reason_id=%d&amp;agenda_id=%d&amp;start=%s"`, e.fx.Reason.ID, e.fx.Agenda.ID,
			strings.ReplaceAll(utc(at(t, 2026, 4, 9, 9, 0)), ":", "%3a")),
		`href="/agenda?date=2026-04-09&amp;reason_id=`+fmt.Sprint(e.fx.Reason.ID)+`"`)
	if c := column(t, res.body, `data-date="2026-04-12"`); !strings.Contains(c, "ag-collapsed") || !strings.Contains(c, "<span>Closed</span>") {
		t.Errorf("Sunday is not collapsed:\n%s", c)
	}
	if c := column(t, res.body, `data-date="2026-04-11"`); strings.Contains(c, "ag-collapsed") || !strings.Contains(c, "ag-closed") {
		t.Errorf("Saturday, closed with an appointment, is collapsed or not shaded:\n%s", c)
	}
	if n := strings.Count(res.body, `class="patient-link"`); n != 2 {
		t.Errorf("%d appointments shown, want Dr Lovelace's 2", n)
	}

	// The other agenda, chosen.
	before := len(e.auditRows(e.fx.Org.ID))
	res = e.do(request{method: "GET", path: fmt.Sprintf("/agenda/week?date=2026-04-08&agenda_id=%d", turing.ID), actor: actorOf(e.recep)})
	if n := strings.Count(res.body, `class="patient-link"`); n != 1 || strings.Contains(res.body, fmt.Sprintf(`data-appointment-id="%d"`, wed.ID)) {
		t.Errorf("Dr Turing's week shows %d appointments", n)
	}
	if strings.Contains(res.body, "ag-collapsed") {
		t.Error("Dr Turing works every day: no day is collapsed")
	}
	if got := len(e.auditRows(e.fx.Org.ID)) - before; got != 1 {
		t.Errorf("%d audit rows, want 1", got)
	}
	for _, q := range []string{"agenda_id=999", "agenda_id=x", "reason_id=999"} {
		res := e.do(request{method: "GET", path: "/agenda/week?date=2026-04-08&" + q, actor: actorOf(e.recep)})
		field, _, _ := strings.Cut(q, "=")
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="`+field+`"`) {
			t.Errorf("%s: status %d, want 422 naming %s", q, res.status, field)
		}
	}
}

// sampleCol is one column of a sample grid: an agenda's date, open 08:00–18:00 unless
// closed, with appointments and bookable starts at wall times of that date.
type sampleCol struct {
	id               clinic.AgendaID
	name             string
	date             string
	closed, inactive bool
	offers           bool
	appts            []sampleAppt
	slots            []string // "09:15"
}

type sampleAppt struct {
	at      string // "09:00"
	minutes int
	a       agendaAppointment
}

// sampleGrid lays out cols the way the day and week views do, without a database, for the
// tests that render every template (TestTemplatesRender, TestPagesInFrench).
func sampleGrid(t testing.TB, zone string, g grid, cols []sampleCol) grid {
	t.Helper()
	loc := zonetest.Load(t, zone)
	wall := func(date, hm string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", date+" "+hm, loc)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	days := map[string]*gridDay{}
	var srcs []*columnSource
	for _, c := range cols {
		d := days[c.date]
		if d == nil {
			civil, err := time.Parse(time.DateOnly, c.date)
			if err != nil {
				t.Fatal(err)
			}
			gd := newGridDay(civil, loc)
			d, days[c.date] = &gd, &gd
		}
		src := &columnSource{day: d, col: gridColumn{Key: fmt.Sprintf("a%d-%s", c.id, c.date), AgendaID: c.id, Agenda: c.name, Date: c.date,
			Inactive: c.inactive, Offers: c.offers}}
		var hours []clinic.WorkingHours
		if !c.closed {
			hours = []clinic.WorkingHours{{Weekday: d.date.Weekday(), Start: 8 * 60, End: 18 * 60}}
		}
		src.working, src.col.Status, src.col.StatusNote = working(d, hours, nil)
		src.col.Closed = c.closed
		src.col.Collapsed = g.Week && c.closed && len(c.appts) == 0
		for _, x := range c.appts {
			s := wall(c.date, x.at)
			x.a.Start = x.at
			x.a.Acts = len(x.a.Actions.Statuses) > 0 || x.a.Actions.Move || x.a.Actions.Cancel
			x.a.attrs(openLink("/agenda?date="+c.date, x.a.ID))
			src.col.Booked = true
			src.appts = append(src.appts, x.a)
			src.spans = append(src.spans, [2]time.Time{s, s.Add(time.Duration(x.minutes) * time.Minute)})
		}
		for _, s := range c.slots {
			src.slots = append(src.slots, wall(c.date, s))
		}
		srcs = append(srcs, src)
	}
	layout(&g, srcs, gridOptions{step: 15, now: testNow, loc: loc, reason: 15 * time.Minute, drop: g.CanMove})
	return g
}

// BenchmarkAgendaDayTemplate renders a day grid of 10 agendas with 24 appointments each
// (the `tidings bench pages` day), the template alone.
func BenchmarkAgendaDayTemplate(b *testing.B) {
	d := testPages(&testing.T{})
	var cols []sampleCol
	for a := range 10 {
		c := sampleCol{id: clinic.AgendaID(a + 1), name: fmt.Sprintf("Dr %02d", a), date: "2026-04-08", offers: true}
		for i := range 24 {
			m := 8*60 + 15*i
			if m >= 12*60 {
				m += 60
			}
			c.appts = append(c.appts, sampleAppt{fmt.Sprintf("%02d:%02d", m/60, m%60), 15, agendaAppointment{ID: clinic.AppointmentID(a*100 + i),
				Time: "09:00–09:15", PatientID: 7, Patient: "Grace Hopper", Reason: "Standard consult", Status: clinic.StatusBooked,
				StatusLabel: "Booked", Active: true, Actions: apptActions{ID: 3, Version: 2, Next: "/agenda?date=2026-04-08", What: "09:00–09:15",
					Target: "#agenda", Statuses: []statusAction{{clinic.StatusConfirmed, "Confirm"}, {clinic.StatusArrived, "Arrived"}, {clinic.StatusNoShow, "No show"}},
					Move: true, Cancel: true}}})
		}
		c.slots = []string{"17:00", "17:15", "17:30", "17:45"}
		cols = append(cols, c)
	}
	page := agendaPage{Clinic: "Main St", Zone: "Australia/Sydney", Date: "2026-04-08", CanBook: true, ReasonID: 5, Reason: "Standard consult",
		Grid: sampleGrid(b, "Australia/Sydney", grid{ID: "agenda", ReasonID: 5, Reason: "Standard consult", CanMove: true}, cols)}
	v := view{Title: "Agenda", Header: sampleHeader("agenda"), Data: page}
	b.ReportAllocs()
	for b.Loop() {
		out, err := d.execute("agenda", "", v)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}

// TestAgendaPanel: an appointment's panel (the fragment the grid loads when it is opened)
// holds the actions the role allows, returning to the grid it came from; in the week, Move
// returns there too and a status button swaps #week. Another organisation's appointment
// is not found; the patient shown is audited as read.
func TestAgendaPanel(t *testing.T) {
	e := newEnv(t)
	a := e.appt(at(t, 2026, 4, 8, 9, 0), clinic.StatusBooked)
	doc := e.user(clinic.RolePractitioner, "doc@example.com")
	other := storetest.Seed(t, e.db, "other")
	var theirs clinic.Appointment
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		s := at(t, 2026, 4, 8, 9, 0)
		theirs, err = tx.Appointments().CreateAppointment(ctx, other.Org.ID, clinic.Appointment{ClinicID: other.Clinic.ID, AgendaID: other.Agenda.ID,
			ReasonID: other.Reason.ID, PatientID: other.Patient.ID, Start: s, End: s.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
		return err
	})
	week := "/agenda/week?date=2026-04-08&open=" + fmt.Sprint(a.ID)
	tests := []struct {
		name   string
		actor  clinic.Actor
		query  string
		status int
		want   []string
		never  []string
	}{
		{"day", actorOf(e.recep), "?next=" + url.QueryEscape("/agenda?date=2026-04-08&open="+fmt.Sprint(a.ID)), http.StatusOK,
			[]string{`class="ag-pop"`, `hx-target="#agenda"`, fmt.Sprintf(`href="/appointments/%d/move"`, a.ID), `value="confirmed"`,
				fmt.Sprintf(`name="next" value="/agenda?date=2026-04-08&amp;open=%d"`, a.ID), "Grace Hopper", "Standard consult"}, []string{"<html"}},
		{"week", actorOf(e.recep), "?view=week&next=" + url.QueryEscape(week), http.StatusOK,
			[]string{`hx-target="#week"`, fmt.Sprintf(`href="/appointments/%d/move?next=%%2fagenda%%2fweek%%3fdate%%3d2026-04-08%%26open%%3d%d"`, a.ID, a.ID)}, nil},
		{"no next: the appointment's day", actorOf(e.recep), "?next=https://evil.example/", http.StatusOK,
			[]string{`name="next" value="/agenda?date=2026-04-08"`}, []string{"evil"}},
		{"a practitioner", actorOf(doc), "", http.StatusOK, []string{`value="confirmed"`}, []string{"/move", "/cancel"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "GET", path: fmt.Sprintf("/agenda/appointments/%d%s", a.ID, tc.query), actor: tc.actor})
			if res.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tc.status, res.body)
			}
			wantBody(t, res, tc.want...)
			for _, s := range tc.never {
				if strings.Contains(res.body, s) {
					t.Errorf("the panel holds %q", s)
				}
			}
			checkCSP(t, res.body)
			checkNoPatientDataInURLs(t, res, e.fx.Patient)
		})
	}
	if !e.hasAudit(fmt.Sprintf("appointment.read %d", e.fx.Patient.ID)) {
		t.Error("the panel's patient is not audited")
	}
	for _, id := range []string{fmt.Sprint(theirs.ID), "x", "0"} {
		if res := e.do(request{method: "GET", path: "/agenda/appointments/" + id, actor: actorOf(e.recep)}); res.status != http.StatusNotFound {
			t.Errorf("appointment %s: %d, want 404", id, res.status)
		}
	}
}
