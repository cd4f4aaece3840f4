package dashboard

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
)

// testPages parses the embedded templates the way New does, without a database.
func testPages(t *testing.T) *Dashboard {
	t.Helper()
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages(a)
	if err != nil {
		t.Fatal(err)
	}
	return &Dashboard{pages: pages, assets: a}
}

func sampleHeader(nav string) *header {
	return &header{
		OrgName: "Harbour Health", UserName: "Ada Admin", UserEmail: "ada@example.com", Next: "/agenda?date=2026-04-05",
		Nav: nav, CanAgenda: true, CanPatient: true, CanAudit: true, CanSchedules: true, CanReasons: true, CanRules: true,
		Clinics: []clinicOption{{ID: 1, Name: "Main St", Selected: true}, {ID: 2, Name: "Harbour Rd"}},
	}
}

// TestTemplatesRender executes every page template, in each layout it can appear in, with
// data that reaches every branch that matters; any template error fails it.
func TestTemplatesRender(t *testing.T) {
	d := testPages(t)
	rows := []patientRow{{ID: 7, Name: "Grace Hopper", BirthDate: "9 Dec 1980", Mobile: "+61412345678", ExternalID: "P1"}}
	appt := appointmentRow{ID: 3, Date: "Sun 5 Apr 2026", Time: "09:00–09:15 AEST", Clinic: "Main St", Agenda: "Dr Lovelace",
		Reason: "Standard consult", Status: clinic.StatusBooked, StatusLabel: "Booked", BookedBy: "Staff"}
	tests := []struct {
		name  string
		page  string
		block string
		view  view
		want  []string
	}{
		{"login", "login", "", view{Title: "Sign in", Data: loginPage{}},
			[]string{`id="email"`, `id="password"`, `id="sign-in"`, `name="viewport"`, `htmx.min.js?v=`}},
		{"login failed", "login", "", view{Title: "Sign in", Data: loginPage{Email: "a@example.com", Next: "/patients/7", Error: msgBadCredentials}},
			[]string{msgBadCredentials, `value="/patients/7"`, `value="a@example.com"`}},
		{"patient list", "patients", "", view{Title: "Patients", Header: sampleHeader("patients"), Data: patientsPage{Rows: rows, NextAfter: 7}},
			[]string{`id="q"`, `class="patient-link" href="/patients/7"`, `href="/patients?after=7"`, `id="clinic-switch"`, `aria-current="page"`, `href="/audit"`}},
		{"patient list empty", "patients", "", view{Title: "Patients", Header: sampleHeader("patients"), Data: patientsPage{}},
			[]string{"No patients yet."}},
		{"search results", "patients", "", view{Title: "Patient search", Header: sampleHeader("patients"), Data: patientsPage{Searched: true, Query: "gra", Rows: rows, NextAfter: 7}},
			[]string{`name="after" value="7"`, `value="gra"`, "Matching patients"}},
		{"search fragment", "patients", "results", view{Data: patientsPage{Searched: true, Query: "gra", Rows: rows}},
			[]string{`id="results"`, "Grace Hopper"}},
		{"search error fragment", "patients", "results", view{Data: patientsPage{Searched: true, Error: "Search text is not a valid e-mail address."}},
			[]string{`id="q-error"`, "not a valid e-mail"}},
		{"patient file", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{
			ID: 7, Name: "Grace Hopper", GivenName: "Grace", FamilyName: "Hopper", BirthDate: "9 Dec 1980", Mobile: "+61412345678",
			Email: "grace@example.com", Language: "English", PMSOptOut: true, Database: "PMS", ExternalID: "P1",
			Relatives: []relativeRow{{ID: 8, Name: "Walter Hopper", Relationship: "child"}},
			Upcoming:  []appointmentRow{appt}, Past: []appointmentRow{appt}, PastHidden: 3, ShowClinic: true, CanAudit: true}},
			[]string{`<h1 id="patient-name">Grace Hopper</h1>`, `href="/patients/8"`, "09:00–09:15 AEST", "3 older appointments", `href="/audit?patient=7"`}},
		{"patient file bare", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B"}},
			[]string{"No relatives recorded.", "None."}},
		{"patient file actions", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B",
			CanEdit: true, CanMerge: true, CanBook: true, BookHere: true}},
			[]string{`href="/patients/7/edit"`, `href="/appointments/new?patient_id=7"`, `href="/patients/7/merge"`}},
		{"patient file synced, another clinic", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B",
			Database: "PMS", CanEdit: true, CanMerge: true, CanBook: true, BookElsewhere: true, Synced: true}},
			[]string{"Edit the language", `id="book-elsewhere"`, `id="synced-note"`}},
		{"patient file merged", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B",
			MergedInto: 9, MergedName: "Grace Hopper"}},
			[]string{`id="merged-banner"`, `href="/patients/9"`, "Grace Hopper"}},
		{"new patient", "patient_form", "", view{Title: "New patient", Header: sampleHeader("patients"), Data: patientFormPage{Database: "Tidings records",
			Values: patientValues{Language: "fr"}, Languages: patientLanguages("fr"),
			Errors: notesOf(&clinic.ValidationError{Fields: []clinic.FieldError{{Field: "mobile", Reason: "is not a mobile number"},
				{Field: "database_id", Reason: "does not exist"}}}, patientLabels, nil)}},
			[]string{`action="/patients/new"`, `<option value="fr" selected>`, `<a href="#mobile">Mobile</a>`, `id="mobile-error"`, `aria-invalid="true"`,
				"Clinical database", "Create"}},
		{"edit patient, stale", "patient_form", "", view{Title: "Edit patient", Header: sampleHeader("patients"), Data: patientFormPage{ID: 7, Version: 3,
			Name: "Grace Hopper", Values: patientValues{GivenName: "Grace", Mobile: "0412 345 678"}, Languages: patientLanguages("de"), Message: msgPatientChanged}},
			[]string{`action="/patients/7/edit"`, `name="version" value="3"`, `value="0412 345 678"`, `id="patient-conflict"`, `<option value="de" selected>`}},
		{"edit patient, synced", "patient_form", "", view{Title: "Edit patient", Header: sampleHeader("patients"), Data: patientFormPage{ID: 7, Version: 3,
			Name: "Grace Hopper", Database: "PMS", Synced: true, Values: patientValues{GivenName: "Grace", BirthDate: "1980-12-09"}, Languages: patientLanguages("en")}},
			[]string{`data-testid="software-details"`, `id="language"`, "9 Dec 1980"}},
		{"new patient, synced", "patient_form", "", view{Title: "New patient", Header: sampleHeader("patients"), Data: patientFormPage{Database: "PMS", Synced: true}},
			[]string{`id="synced-note"`}},
		{"edit patient, merged", "patient_form", "", view{Title: "Edit patient", Header: sampleHeader("patients"), Data: patientFormPage{ID: 7, MergedInto: 9}},
			[]string{`href="/patients/9/edit"`}},
		{"merge search", "patient_merge", "", view{Title: "Merge records", Header: sampleHeader("patients"), Data: patientMergePage{ID: 7, Name: "Grace Hopper",
			Database: "Tidings records", Searched: true, Query: "hop", Candidates: rows, More: true}},
			[]string{`action="/patients/7/merge/search"`, `value="hop"`, `href="/patients/7/merge/7"`, "More records match"}},
		{"merge results fragment", "patient_merge", "merge-results", view{Data: patientMergePage{ID: 7, Searched: true}},
			[]string{`id="merge-results"`, "No other record of this database matches."}},
		{"merge confirmation", "patient_merge", "", view{Title: "Merge records", Header: sampleHeader("patients"), Data: patientMergePage{ID: 7, Name: "Grace Hopper",
			Confirm: true, Keep: mergeSide{ID: 7, GivenName: "Grace", NotificationsOn: true}, Remove: mergeSide{ID: 8, GivenName: "Grace M."},
			Counts: []mergeCount{{Label: "Appointments", Count: 2}, {Label: "Audit log entries", Count: 5, Stays: true}}, SwitchOff: true}},
			[]string{`name="remove" value="8"`, `action="/patients/7/merge"`, "Appointments: 2", "Audit log entries: 5, they stay", `id="switch-off"`, `href="/patients/8/merge/7"`}},
		{"merge refused", "patient_merge", "", view{Title: "Merge records", Header: sampleHeader("patients"), Data: patientMergePage{ID: 7, Confirm: true,
			Keep: mergeSide{ID: 7}, Remove: mergeSide{ID: 8}, Problem: "One of these records was merged into another already."}},
			[]string{`id="merge-problem"`}},
		{"merge synced", "patient_merge", "", view{Title: "Merge records", Header: sampleHeader("patients"), Data: patientMergePage{ID: 7, Synced: true}},
			[]string{`id="synced-merge"`}},
		{"agenda", "agenda", "", view{Title: "Agenda", Header: sampleHeader("agenda"), Data: agendaPage{
			Clinic: "Main St", Zone: "Australia/Sydney", Date: "2026-04-05", DateLabel: "Sunday 5 April 2026", PrevLink: "/agenda?date=2026-04-04",
			NextLink: "/agenda?date=2026-04-06", TodayLink: "/agenda?date=2026-04-07", WeekLink: "/agenda/week?date=2026-04-05",
			Grid: sampleGrid(t, "Australia/Sydney", grid{ID: "agenda"}, []sampleCol{
				{id: 1, name: "Dr Lovelace", date: "2026-04-05", appts: []sampleAppt{{"09:00", 15, agendaAppointment{ID: 3, Time: "09:00–09:15", PatientID: 7,
					Patient: "Grace Hopper", Reason: "Standard consult", Status: clinic.StatusCancelled, StatusLabel: "Cancelled"}}}},
				{id: 2, name: "Room 2", date: "2026-04-05", inactive: true, closed: true},
			})}},
			[]string{`id="agenda"`, `href="/agenda?date=2026-04-04"`, `href="/agenda?date=2026-04-07"`, "status-cancelled", "appt-freed", "not active here",
				`class="ag-appt r-25 s-3 k1-0 status-cancelled appt-freed"`, "Closed"}},
		{"agenda with actions and free slots", "agenda", "", view{Title: "Agenda", Header: sampleHeader("agenda"), Flash: "Appointment booked.", Data: agendaPage{
			Clinic: "Main St", Zone: "Australia/Sydney", Date: "2026-04-08", DateLabel: "Wednesday 8 April 2026", PrevLink: "/agenda?date=2026-04-07&reason_id=5",
			NextLink: "/agenda?date=2026-04-09&reason_id=5", TodayLink: "/agenda?date=2026-04-07&reason_id=5", WeekLink: "/agenda/week?date=2026-04-08",
			CanBook: true, ReasonID: 5, Reason: "Standard consult", Reasons: []option{{Value: 5, Label: "Standard consult", Selected: true}},
			Practitioners: []option{{Value: 1, Label: "Dr Ada Lovelace"}, {Value: 2, Label: "Dr Alan Turing"}},
			Agendas:       []option{{Value: 1, Label: "Dr Lovelace", Selected: true}, {Value: 2, Label: "Room 2"}}, AgendaID: 1,
			Grid: sampleGrid(t, "Australia/Sydney", grid{ID: "agenda", ReasonID: 5, Reason: "Standard consult", CanMove: true, Next: "/agenda?date=2026-04-08&reason_id=5"}, []sampleCol{
				{id: 1, name: "Dr Lovelace", date: "2026-04-08", offers: true, slots: []string{"09:15"},
					appts: []sampleAppt{{"09:00", 15, agendaAppointment{ID: 3, Time: "09:00–09:15", PatientID: 7, Patient: "Grace Hopper",
						Reason: "Standard consult", Status: clinic.StatusBooked, StatusLabel: "Booked", Active: true, Open: true,
						Actions: apptActions{ID: 3, Version: 2, Next: "/agenda?date=2026-04-08", What: "09:00–09:15", Target: "#agenda",
							Statuses: []statusAction{{clinic.StatusConfirmed, "Confirm"}, {clinic.StatusArrived, "Arrived"}}, Move: true, Cancel: true}}}}},
				{id: 2, name: "Room 2", date: "2026-04-08"},
			})}},
			[]string{`id="flash"`, "Appointment booked.", `action="/appointments/3/status"`, `name="version" value="2"`, `value="confirmed"`,
				`hx-target="#agenda"`, `href="/appointments/3/move"`, `data-action="cancel"`, `id="reason_id"`,
				`href="/appointments/new?reason_id=5&amp;agenda_id=1&amp;start=2026-04-07T23%3a15%3a00Z"`, "Does not offer this reason",
				`href="/agenda/week?date=2026-04-08"`, `href="/appointments/new?date=2026-04-08&amp;reason_id=5"`, `id="practitioner-filter"`,
				`id="phone-agenda"`, `id="agenda-drop"`, `data-appointment-id="3" data-move data-version="2"`, "ag-phone"}},
		{"agenda no clinic", "agenda", "", view{Title: "Agenda", Header: sampleHeader("agenda"), Data: agendaPage{NoClinic: true}},
			[]string{"no clinic yet"}},
		{"agenda no agenda", "agenda", "", view{Title: "Agenda", Header: sampleHeader("agenda"), Data: agendaPage{Clinic: "Main St", Date: "2026-04-05", IsToday: true}},
			[]string{"no active agenda", "Today"}},
		{"week", "week", "", view{Title: "Week", Header: sampleHeader("week"), Data: weekPage{Clinic: "Main St", Zone: "Australia/Sydney",
			Monday: "2026-03-30", Label: "30 March – 5 April 2026", PrevLink: "/agenda/week?date=2026-03-23", NextLink: "/agenda/week?date=2026-04-06",
			ThisWeekLink: "/agenda/week?date=2026-04-07", AgendaID: 1, Agenda: "Dr Lovelace", Count: 1,
			Agendas: []option{{Value: 1, Label: "Dr Lovelace", Selected: true}, {Value: 2, Label: "Room 2"}},
			Grid: sampleGrid(t, "Australia/Sydney", grid{ID: "week", Week: true}, []sampleCol{
				{id: 1, name: "Dr Lovelace", date: "2026-03-30"},
				{id: 1, name: "Dr Lovelace", date: "2026-04-05", closed: true, appts: []sampleAppt{{"23:30", 15, agendaAppointment{ID: 3, Time: "23:30–23:45",
					PatientID: 7, Patient: "Grace Hopper", Reason: "Standard consult", Status: clinic.StatusArrived, StatusLabel: "Arrived", Active: true}}}},
				{id: 1, name: "Dr Lovelace", date: "2026-04-04", closed: true},
			})}},
			[]string{`id="week"`, "30 March – 5 April 2026", `href="/agenda/week?date=2026-03-23"`, `href="/agenda/week?date=2026-04-06"`,
				`href="/agenda/week?date=2026-04-07"`, `data-date="2026-04-05"`, "23:30–23:45", `href="/agenda?date=2026-03-30"`, "ag-collapsed", `id="agenda-picker"`}},
		{"week no agenda", "week", "", view{Title: "Week", Header: sampleHeader("week"), Data: weekPage{Clinic: "Main St", IsThisWeek: true}},
			[]string{"no active agenda", "This week"}},
		{"booking form", "book", "", view{Title: "Book an appointment", Header: sampleHeader("agenda"), Data: bookPage{Clinic: "Main St",
			Zone: "Australia/Sydney", Date: "2026-04-08", DateLabel: "Wednesday 8 April 2026", Back: "/agenda?date=2026-04-08",
			Reasons: []option{{Value: 5, Label: "Standard consult", Selected: true}}, Agendas: []option{{Value: 0, Label: "No preference (first free)"}, {Value: 1, Label: "Dr Lovelace", Selected: true}},
			Slots: []freeSlot{{Label: "09:15", Value: "2026-04-07T23:15:00Z", Checked: true}}, Query: "hop", Searched: true,
			Patients: []patientChoice{{ID: 7, Name: "Grace Hopper", BirthDate: "9 Dec 1980", Checked: true}}, More: true,
			Message: msgTaken, Fields: []clinic.FieldError{{Field: "patient_id", Reason: "is required"}}}},
			[]string{`action="/appointments"`, `formaction="/appointments/new"`, `hx-post="/appointments/new"`, `value="2026-04-07T23:15:00Z" checked`,
				`name="patient_id" value="7" checked`, `id="book-conflict"`, msgTaken, `data-field="patient_id"><strong>Patient</strong>: is required`, `value="hop"`, "More patients match"}},
		{"booking form fragment", "book", "patient-results", view{Data: bookPage{Searched: true, SearchError: "Search text is empty."}},
			[]string{`id="patient-results"`, `id="q-error"`}},
		{"booking form, no match", "book", "patient-results", view{Data: bookPage{Searched: true}},
			[]string{"No patient of this clinic matches."}},
		{"booking form, no reason", "book", "", view{Title: "Book", Header: sampleHeader("agenda"), Data: bookPage{Clinic: "Main St", NoReason: true}},
			[]string{"no consultation reason"}},
		{"move form", "move", "", view{Title: "Move", Header: sampleHeader("agenda"), Data: movePage{ID: 3, Version: 4, PatientID: 7,
			Patient: "Grace Hopper", Reason: "Standard consult", Agenda: "Dr Lovelace", Current: "Wednesday 8 April 2026, 09:00–09:15 AEST",
			StatusLabel: "Booked", Movable: true, Zone: "Australia/Sydney", Date: "2026-10-04", DateLabel: "Sunday 4 October 2026", Time: "02:30",
			Agendas: []option{{Value: 1, Label: "Dr Lovelace", Selected: true}}, Next: "/practitioners/1/absences", Back: "/practitioners/1/absences",
			Free:   []moveFree{{AgendaID: 1, Name: "Dr Lovelace", Slots: []freeSlot{{Label: "09:00", Value: "2026-10-03T23:00:00Z"}}}},
			Fields: []clinic.FieldError{{Field: "time", Reason: "does not exist on that day"}}}},
			[]string{`action="/appointments/3/move"`, `name="version" value="4"`, `value="2026-10-04"`, `value="02:30"`, `data-field="time"><strong>Time</strong>: does not exist on that day`,
				`name="slot" value="2026-10-03T23:00:00Z"`, `name="next" value="/practitioners/1/absences"`, `action="/appointments/3/move" class="inline filter"`}},
		{"move refused", "move", "", view{Title: "Move", Header: sampleHeader("agenda"), Data: movePage{ID: 3, StatusLabel: "Seen"}},
			[]string{"can be moved; this one is Seen"}},
		{"schedules", "schedules", "", view{Title: "Schedules", Header: sampleHeader("schedules"), Data: schedulesPage{Clinic: "Main St", Zone: "Australia/Sydney",
			Agendas: []scheduleAgenda{{ID: 1, Name: "Dr Lovelace", Days: []hoursDay{{Name: "Monday", Rows: []hoursRow{
				{Index: 0, N: 1, Start: "08:00", End: "12:30", StartName: "hours[Monday][0].start", EndName: "hours[Monday][0].end"},
				{Index: 1, N: 2, Start: "13:30", End: "12:00", StartName: "hours[Monday][1].start", EndName: "hours[Monday][1].end", EndInvalid: true}}}},
				HoursErrors:  []clinic.FieldError{{Field: "hours[Monday][1].end", Reason: "must be after the start"}},
				Exceptions:   []exceptionRow{{ID: 9, Day: "2026-12-25", DayLabel: "Fri 25 Dec 2026", What: "Closed", Note: "Christmas"}},
				NewException: exceptionForm{Kind: "hours"}}},
			Practitioners: []schedulePractitioner{{ID: 4, Name: "Dr Ada Lovelace", Absences: []absenceRow{{ID: 6, From: "Wed 8 Apr 2026 00:00 AEST", To: "Thu 9 Apr 2026 00:00 AEST"}},
				Errors: []clinic.FieldError{{Field: "start_time", Reason: "does not exist"}}}}}},
			[]string{`action="/agendas/1/hours"`, `name="hours[Monday][1].end" value="12:00"`, `aria-invalid="true"`, "<strong>Monday, second interval, end</strong>: must be after the start",
				`action="/exceptions/9/delete"`, "Christmas", `value="hours" checked`, `action="/agendas/1/exceptions"`,
				`action="/practitioners/4/absences"`, `action="/absences/6/delete"`, `href="/practitioners/4/absences"`, `data-field="start_time"><strong>From time</strong>: does not exist`,
				`href="/agendas/1/exceptions"`, `name="preview" value="1"`}},
		{"schedules empty", "schedules", "", view{Title: "Schedules", Header: sampleHeader("schedules"), Data: schedulesPage{Clinic: "Main St"}},
			[]string{"no agenda", "No practitioner"}},
		{"absences", "absences", "", view{Title: "Absences", Header: sampleHeader("schedules"), Data: absencesPage{PractitionerID: 4,
			Practitioner: "Dr Ada Lovelace", Zone: "Australia/Sydney", Hidden: 2, Absences: []absenceBlock{{ID: 6, From: "Wed 8 Apr 2026 00:00 AEST",
				To: "Thu 9 Apr 2026 00:00 AEST", Note: "Conference", Affected: []affectedRow{{ID: 3, Date: "Wed 8 Apr 2026", Time: "09:00–09:15 AEST",
					Agenda: "Dr Lovelace", PatientID: 7, Patient: "Grace Hopper", Reason: "Standard consult", Status: clinic.StatusBooked, StatusLabel: "Booked",
					Actions: apptActions{ID: 3, Version: 1, Next: "/practitioners/4/absences", MoveNext: "/practitioners/4/absences", Move: true, Cancel: true},
					Notice: &noticeView{Channels: []channelNoticeView{{Channel: "sms", Label: "SMS", Sent: true, Text: "Allowed: consent and every notification switch permit this message."},
						{Channel: "push", Label: "Push notifications", Text: msgChannelOff}}}}}},
				{ID: 8, From: "x", To: "y"}}}},
			[]string{`id="absence-6"`, "1</strong> booked appointment falls", `data-action="cancel"`,
				`href="/appointments/3/move?next=%2fpractitioners%2f4%2fabsences"`, "No booked appointment falls", "2 later absences",
				`data-channel="sms" data-sent="true"`, `data-channel="push" data-sent="false"`, "cancellation notice", msgChannelOff, "An absence cancels no appointment"}},
		{"exceptions", "exceptions", "", view{Title: "Exceptions", Header: sampleHeader("schedules"), Data: exceptionsPage{AgendaID: 1, Agenda: "Dr Lovelace",
			Zone: "Australia/Sydney", Hidden: 3, Days: []exceptionDay{{Day: "2026-12-25", Closed: true,
				Exceptions: []exceptionRow{{ID: 9, Day: "2026-12-25", What: "Closed", Note: "Christmas"}},
				Affected: []affectedRow{{ID: 3, PatientID: 7, Patient: "Grace Hopper", Status: clinic.StatusBooked, StatusLabel: "Booked",
					Notice: &noticeView{Silent: true}}}},
				{Day: "2026-12-27", Exceptions: []exceptionRow{{ID: 10, Day: "2026-12-27", What: "Extra hours 09:00–12:00"}}}}}},
			[]string{`id="day-2026-12-25"`, "Fri 25 Dec 2026", "Christmas", `action="/exceptions/9/delete"`, `name="next" value="/agendas/1/exceptions"`,
				"1</strong> booked appointment is left without hours", "the patient has not been told of this booking yet", "Extra hours 09:00–12:00",
				"3 later days are not listed", "Closing a day cancels no appointment"}},
		{"closure preview, absence", "closure", "", view{Title: "Check", Header: sampleHeader("schedules"), Data: closurePage{Absence: true,
			Subject: "Dr Ada Lovelace", From: "Wed 8 Apr 2026 00:00 AEST", To: "Thu 9 Apr 2026 00:00 AEST", Note: "Conference", Zone: "Australia/Sydney",
			Action: "/practitioners/4/absences", Back: "/schedules#absence-form-4", Fields: []hiddenField{{"start_date", "2026-04-08"}, {"note", "Conference"}},
			Affected: []affectedRow{{ID: 3, PatientID: 7, Patient: "Grace Hopper", StatusLabel: "Booked"}}}},
			[]string{"Absence not recorded yet", `action="/practitioners/4/absences"`, `name="start_date" value="2026-04-08"`, `name="note" value="Conference"`,
				"Record the absence", `href="/schedules#absence-form-4"`, "Cannot be cancelled here.", "Recording it cancels no appointment"}},
		{"closure preview, exception", "closure", "", view{Title: "Check", Header: sampleHeader("schedules"), Data: closurePage{Subject: "Dr Lovelace",
			Day: "2026-12-25", What: "Closed, open 09:00–12:00 instead", Action: "/agendas/1/exceptions", Back: "/schedules#exception-1",
			Fields: []hiddenField{{"day", "2026-12-25"}, {"kind", "replace"}}, Affected: []affectedRow{{ID: 3, PatientID: 7, Patient: "Grace Hopper"}}}},
			[]string{"Exception not recorded yet", "Fri 25 Dec 2026", "Closed, open 09:00–12:00 instead", `name="kind" value="replace"`, "Record the exception",
				"1</strong> booked appointment would be left without hours"}},
		{"reasons", "reasons", "", view{Title: "Reasons", Header: sampleHeader("reasons"), Data: reasonsPage{Clinic: "Main St", CanManage: true,
			Rows: []reasonRow{{ID: 5, Name: "Standard consult", Duration: "15 min", Buffer: "—", Notifications: false, Online: true, Agendas: []string{"Dr Lovelace"}}}}},
			[]string{`href="/reasons/5/edit"`, `href="/reasons/new"`, "15 min", `data-testid="notifications-off">Notifications off</span>`, "Dr Lovelace"}},
		{"reasons read only", "reasons", "", view{Title: "Reasons", Header: sampleHeader("reasons"), Data: reasonsPage{Clinic: "Main St"}},
			[]string{"No reason yet."}},
		{"reason edit", "reason", "", view{Title: "Edit reason", Header: sampleHeader("reasons"), Data: reasonPage{ID: 5, Clinic: "Main St",
			Name: "Standard consult", Duration: "15", Buffer: "0", Notifications: true, Agendas: []agendaCheck{{ID: 1, Name: "Dr Lovelace", Checked: true}, {ID: 2, Name: "Room", Inactive: true}},
			Fields: []clinic.FieldError{{Field: "duration_minutes", Reason: "must be"}}}},
			[]string{`action="/reasons/5"`, `name="agenda_id" value="1" checked`, `name="notifications" value="on" checked`, `data-field="duration_minutes"><strong>Duration</strong>`, "(not active)"}},
		{"reason new", "reason", "", view{Title: "New reason", Header: sampleHeader("reasons"), Data: reasonPage{Clinic: "Main St", Duration: "15"}},
			[]string{`action="/reasons"`, "Create", "This clinic has no agenda."}},
		{"booking rules", "rules", "", view{Title: "Booking rules", Header: sampleHeader("settings"), Data: rulesForm(clinic.Clinic{ID: 1, Name: "Main St"},
			rulesValues(clinic.DefaultBookingRules()))},
			[]string{`action="/settings/booking"`, `name="clinic_id" value="1"`, `value="90"`, `<option value="15" selected>`, `name="allow_no_preference" value="on" checked`}},
		{"portal", "portal", "", view{Title: "Patient portal", Header: sampleHeader("portal"), Data: samplePortalPage()},
			[]string{`action="/settings/portal"`, `name="clinic_id" value="1"`, `name="slug" value="main-st"`, `href="/p/main-st"`, `id="fee-cancels-out"`,
				`data-field="late_fee"`, `<option value="large" selected>`, `type="color" value="#ffcc00"`, "not saved", `class="book-preview book-preview-large"`,
				`&lt;a href=&#34;https://tidings.example/p/main-st/book&#34; style=&#34;display:inline-block;padding:16px 28px;`, "Send (3) invites",
				"2 invitations sent.", `href="/patients/duplicates"`, `href="/settings/booking"`, `hx-get="/settings/portal/button"`}},
		{"portal preview fragment", "portal", "button-preview", view{Data: samplePortalPage()},
			[]string{`id="button-preview"`, `color:#000000;background-color:#ffcc00;`}},
		{"portal no clinic", "portal", "", view{Title: "Patient portal", Header: sampleHeader("portal"), Data: portalPage{NoClinic: true}},
			[]string{"no clinic yet"}},
		{"duplicates", "duplicates", "", view{Title: "Duplicate e-mail report", Header: sampleHeader("patients"), Data: duplicatesPage{Groups: []duplicateGroup{
			{Email: "lee@example.com", People: []duplicatePerson{{Name: "Ann Lee", BirthDate: "1980-01-02", Records: []duplicateRecord{{PatientID: 7, Database: "PMS"}, {PatientID: 9, Database: "Other"}}},
				{Name: "Bob Lee", Records: []duplicateRecord{{PatientID: 8, Database: "PMS"}}}}}}}},
			[]string{`rowspan="2">lee@example.com</th>`, `href="/patients/7"`, `href="/patients/9#relatives"`, "2 Jan 1980", "1 shared address.", "File no. 9"}},
		{"duplicates none", "duplicates", "", view{Title: "Duplicate e-mail report", Header: sampleHeader("patients"), Data: duplicatesPage{Searched: true, Query: "zed"}},
			[]string{"No shared address matches.", `value="zed"`}},
		{"patient file, portal", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B",
			Portal: &portalState{Clinic: "Main St", Invited: true, CanInvite: true, On: true, Here: true, CanSend: true}}},
			[]string{`id="portal"`, `action="/patients/7/invite"`, "Send the invitation again", "Invited"}},
		{"patient file, portal refused", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B",
			Portal: &portalState{Clinic: "Main St", Why: account.SharedEmailReason, Shared: true, Here: true, On: true}}},
			[]string{`id="portal-why"`, "This patient shares this e-mail address", "No portal account."}},
		{"patient file, portal off", "patient", "", view{Title: "Patient file", Header: sampleHeader("patients"), Data: patientFile{ID: 7, Name: "A B",
			Portal: &portalState{Clinic: "Main St", CanInvite: true, Here: true, CanSettings: true}}},
			[]string{`id="portal-off"`, `href="/settings/portal"`}},
		{"audit", "audit", "", view{Title: "Audit log", Header: sampleHeader("audit"), Data: sampleAuditPage()},
			[]string{`href="/audit?after=40&amp;patient=7"`, "Viewed a patient&#39;s file", "patient.read", "req-1", "token:2", "API token Sync bridge",
				`<summary>Viewed the patient list — 2 patients</summary>`, `href="/patients/8"`, "Book up to (days ahead)", `90</span> → <span class="audit-after">120`, "Each reason&#39;s own duration"}},
		{"audit empty", "audit", "", view{Title: "Audit log", Header: sampleHeader("audit"), Data: auditPage{Zone: "UTC"}},
			[]string{"No entries."}},
		{"error signed in", "error", "", view{Title: "Please check your request", Header: sampleHeader(""), RequestID: "req-2", Data: errorPage{
			Status: 422, Title: "Please check your request", Message: "Some fields are not valid.",
			Fields: []clinic.FieldError{{Field: "date", Reason: "must be a date"}}}},
			[]string{`data-field="date"><strong>Day</strong>: must be a date`, "req-2", `id="clinic-switch"`}},
		{"error signed out", "error", "", view{Title: "Not Found", Data: errorPage{Status: 404, Title: "Not found", Message: "Not found."}},
			[]string{"Not found.", `href="/login"`}},
		// Secure messaging (MSG-1..MSG-6): the settings, the inbox and its list, a
		// conversation and the items its stream appends.
		{"messaging settings", "messaging", "", view{Title: "Secure messaging", Header: sampleHeader("messaging"), Data: messagingSettingsPage{ClinicID: 1,
			Clinic: "Main St", StaffStart: true, Incoming: true, IncomingAll: true, PortalButton: true, ButtonShown: true, ListSize: 2,
			Professionals: []professionalChoice{{ID: 4, Name: "Dr Ada", Start: true}, {ID: 5, Name: "Dr Alan", Answer: true}},
			Fields:        []clinic.FieldError{{Field: "start_list", Reason: "must list only healthcare professionals of this organisation"}}}},
			[]string{`action="/settings/messaging"`, `<option value="4" selected>Dr Ada</option>`, `name="staff_start" value="on" id="staff_start" checked`,
				`id="button-state"`, "Shown on the portal", `data-field="start_list"`, "never a patient&#39;s name or a message", `data-testid="nav-messaging"`}},
		{"messages inbox", "messages", "", view{Title: "Secure messages", Header: sampleHeader("messages"), Data: &messagesPage{ClinicID: 1, Clinic: "Main St",
			Box: "mine", Tabs: []boxTab{{Value: "unassigned", Label: "Unassigned"}, {Value: "mine", Label: "Mine", Current: true}}, EventsURL: "/events?after=9",
			Rows:     []conversationRow{{ID: 3, Subject: "Results", PatientID: 7, Patient: "Grace Hopper", State: "open", StateLabel: "Conversation open", Started: "Started by the patient", Last: "Tue 7 Apr 2026 10:00 AEST", Unread: 2}},
			CanStart: true}},
			[]string{`data-events-url="/events?after=9"`, `href="/messages/3"`, `aria-current="page" data-box="mine"`, `id="start-form"`, `data-unread="2"`,
				`src="/rt/events.js?v=`, `data-testid="nav-messages"`}},
		{"messages cannot start", "messages", "", view{Title: "Secure messages", Header: sampleHeader("messages"), Data: &messagesPage{ClinicID: 1, Clinic: "Main St",
			WhyNot: "only healthcare professionals start conversations (MSG-1)"}},
			[]string{`id="start-why"`, "only healthcare professionals", `id="no-conversations"`}},
		{"messages list fragment", "messages", "conversation-list", view{Data: &messagesPage{Rows: []conversationRow{{ID: 3, Subject: "Results", State: "closed", StateLabel: "Conversation closed"}}}},
			[]string{`id="conversation-list"`, `data-state="closed"`}},
		{"conversation", "conversation", "", view{Title: "Conversation", Header: sampleHeader("messages"), Data: conversationPage{ID: 3, Subject: "Results",
			PatientID: 7, Patient: "Grace Hopper", Clinic: "Main St", State: "open", StateLabel: "Conversation open", EventsURL: "/events?after=9", LastID: 12,
			Messages: []messageItem{{ID: 11, Author: "Grace Hopper", By: "patient", Body: "<b>hi</b>\nthere", At: "today"},
				{ID: 12, Author: "Dr Ada", By: "staff", Body: "ok", Read: true, Attachment: &attachmentItem{ID: 5, Name: "x.png", SizeKey: "{0} KB", Size: "3"}}},
			CanAnswer: true, CanAssign: true, CanClose: true, CanHandover: true, MaxMiB: 5,
			Assignees: []option{{Value: 0, Selected: true}, {Value: 4, Label: "Dr Ada"}}, Clinics: []option{{Value: 2, Label: "Harbour Rd"}}}},
			[]string{`data-conversation-id="3" data-last-message-id="12"`, "&lt;b&gt;hi&lt;/b&gt;\nthere", `href="/messages/attachments/5"`, `enctype="multipart/form-data"`,
				`action="/messages/3/assign"`, `action="/messages/3/close"`, `id="handover-copy-form"`, `data-receipt>Read</span>`, "3 KB"}},
		{"conversation closed, read only", "conversation", "", view{Title: "Conversation", Header: sampleHeader("messages"), Data: conversationPage{ID: 3,
			State: "closed", StateLabel: "Conversation closed", Closed: true, CanClose: true}},
			[]string{`id="closed-note"`, `action="/messages/3/reopen"`, `id="no-messages"`}},
		{"conversation items fragment", "conversation", "message-items", view{Data: conversationPage{ID: 3, Messages: []messageItem{{ID: 13, By: "staff", Body: "later"}}}},
			[]string{`id="m-13"`, `data-receipt hidden`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := d.execute(tc.page, tc.block, tc.view)
			if err != nil {
				t.Fatal(err)
			}
			body := string(b)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("output lacks %q\n%s", w, body)
				}
			}
			if tc.block == "" && !strings.HasPrefix(body, "<!doctype html>") {
				t.Errorf("page does not start with a doctype: %.40q", body)
			}
			if tc.block != "" && strings.Contains(body, "<html") {
				t.Errorf("fragment %s renders a whole page", tc.block)
			}
			if tc.view.Header == nil && strings.Contains(body, "clinic-switch") {
				t.Error("a visitor's page shows the clinic switcher")
			}
			checkCSP(t, body)
		})
	}
}

// samplePortalPage is a portal page with every part shown: a refused field, the POR-3
// warning, a previewed button and a count of invitations sent.
func samplePortalPage() portalPage {
	p := portalForm(directory.Portal{PortalSettings: store.PortalSettings{ClinicID: 1, Slug: "main-st", LateFeeCents: 2500, LateFeeWindow: 24 * time.Hour,
		ButtonSize: "medium", ButtonColour: "#0b5cad"}, Clinic: clinic.Clinic{ID: 1, Name: "Main St", Rules: clinic.DefaultBookingRules()}, FeeCancelsOut: true},
		portalTyped{Button: &portalButtonTyped{Size: "large", Colour: "#ffcc00"}}, "https://tidings.example", 3)
	p.Fields = []clinic.FieldError{{Field: "late_fee", Reason: "must be an amount from 0 to 100000, with at most two decimals"}}
	p.Sent, p.ShowSent = 2, true
	return p
}

// TestEveryPageTemplateRenders guards against a page added to pageNames without a case above.
func TestEveryPageTemplateRenders(t *testing.T) {
	d := testPages(t)
	for _, name := range pageNames() {
		for _, h := range []*header{nil, sampleHeader("")} {
			if _, err := d.execute(name, "", view{Header: h, Data: zeroData(name)}); err != nil {
				t.Errorf("%s (header %v): %v", name, h != nil, err)
			}
		}
	}
}

func zeroData(page string) any {
	switch page {
	case "login":
		return loginPage{}
	case "patients":
		return patientsPage{}
	case "patient":
		return patientFile{}
	case "agenda":
		return agendaPage{}
	case "week":
		return weekPage{}
	case "book":
		return bookPage{}
	case "waitlist":
		return waitlistPage{}
	case "move":
		return movePage{}
	case "appointment":
		return appointmentPage{}
	case "appointment_cancel":
		return cancelPage{}
	case "schedules":
		return schedulesPage{}
	case "absences":
		return absencesPage{}
	case "exceptions":
		return exceptionsPage{}
	case "closure":
		return closurePage{}
	case "reasons":
		return reasonsPage{}
	case "reason":
		return reasonPage{}
	case "rules":
		return rulesPage{}
	case "portal":
		return portalPage{}
	case "duplicates":
		return duplicatesPage{}
	case "audit":
		return auditPage{}
	case "databases":
		return databasesPage{}
	case "database_hl7":
		return hl7Page{}
	case "quarantine":
		return quarantinePage{}
	case "write_backs":
		return writeBacksPage{}
	case "online":
		return onlinePage{}
	case "recalls":
		return checklistPage{}
	case "recall":
		return recallPage{}
	case "recall_summary":
		return recallSummaryPage{}
	case "recall_templates":
		return recallTemplatesPage{}
	case "recall_template":
		return recallTemplatePage{}
	case "recall_new":
		return recallNewPage{}
	case "messaging":
		return messagingSettingsPage{}
	case "messages":
		return messagesPage{}
	case "conversation":
		return conversationPage{}
	case "database_fhir":
		return fhirPage{}
	case "database_import":
		return importPage{}
	case "database_profile":
		return resultsProfilePage{}
	case "dryrun":
		return dryRunPage{}
	case "channels":
		return channelsPage{}
	case "explain":
		return explainPage{}
	case "conflicts":
		return conflictsPage{}
	case "notifications":
		return logPage{}
	case "notification":
		return notePage{}
	case "outbox":
		return outboxPage{}
	case "inbox":
		return inboxPage{}
	case "sending":
		return sendingPage{}
	case "templates":
		return templatesPage{}
	case "template":
		return templatePage{}
	case "sms":
		return smsPage{}
	case "patient_form":
		return patientFormPage{}
	case "patient_merge":
		return patientMergePage{}
	case "staff":
		return staffPage{}
	case "staff_new":
		return staffNewPage{}
	case "staff_user":
		return staffUserPage{}
	case "staff_password":
		return passwordPage{}
	case "profile":
		return profilePage{}
	case "myday":
		return myDayPage{}
	}
	return errorPage{}
}

func TestStatic(t *testing.T) {
	d := testPages(t)
	tests := []struct {
		name        string
		path        string
		status      int
		contentType string
	}{
		{"css", "/static/app.css", http.StatusOK, "text/css; charset=utf-8"},
		{"htmx", "/static/htmx.min.js", http.StatusOK, "text/javascript; charset=utf-8"},
		{"app js", "/static/app.js", http.StatusOK, "text/javascript; charset=utf-8"},
		{"licence", "/static/htmx.LICENSE.txt", http.StatusOK, "text/plain; charset=utf-8"},
		{"directory", "/static/", http.StatusNotFound, ""},
		{"unknown", "/static/nope.js", http.StatusNotFound, ""},
		{"traversal", "/static/../render.go", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			d.Static().ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			if got := w.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := w.Header().Get("Cache-Control"); !strings.Contains(got, "max-age=31536000") {
				t.Errorf("Cache-Control %q, want a long max-age", got)
			}
		})
	}
}

var (
	scriptTag   = regexp.MustCompile(`<script[^>]*>`)
	inlineStyle = regexp.MustCompile(`<style|\sstyle=`)
	inlineEvent = regexp.MustCompile(`\son[a-z]+=`)
)

// textareas matches a textarea and its text: text, not markup (the portal page's embed code
// holds a style attribute to copy, which no browser applies here).
var textareas = regexp.MustCompile(`(?s)<textarea[^>]*>.*?</textarea>`)

// checkCSP fails on markup the Content-Security-Policy (default-src 'self') would block:
// inline scripts, inline styles and event-handler attributes. A textarea's text is not
// markup and is not checked.
func checkCSP(t *testing.T, body string) {
	t.Helper()
	body = textareas.ReplaceAllString(body, "<textarea></textarea>")
	for _, tag := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(tag, " src=") || !strings.Contains(tag, " defer") {
			t.Errorf("script without src or defer: %s", tag)
		}
	}
	if m := inlineStyle.FindString(body); m != "" {
		t.Errorf("inline style %q", m)
	}
	if m := inlineEvent.FindString(body); m != "" {
		t.Errorf("inline event handler %q", m)
	}
}
