package dashboard

import (
	"regexp"
	"strconv"

	"github.com/tidings-health/tidings/internal/page"
)

// fieldWords names the fields of the dashboard's forms (and query strings) in the words
// their forms show, for error messages (page.FieldLabels): staff read "Day: must be a
// date…", never "date". The API keeps the wire names, which are its contract. A name used
// by several forms has the words that fit each of them ("start" is the free time chosen
// in the booking form and the start of an exception's hours: "Start time"). Each label is a
// catalog key; TestFieldLabelsTranslated checks the French catalog has every one.
var fieldWords = map[string]string{
	// Appointments: the booking and move forms, status and cancel buttons, the day view.
	"date":       "Day",
	"time":       "Time",
	"slot":       "Time",
	"start":      "Start time",
	"end":        "End time",
	"reason_id":  "Reason",
	"agenda_id":  "Agenda",
	"agenda_ids": "Offered by",
	"patient_id": "Patient",
	"patient":    "Patient",
	"q":          "Search",
	"note":       "Note",
	"status":     "Status",
	"version":    "This form",
	"clinic_id":  "Clinic",
	"clinic":     "Clinic",
	// Schedules: exceptions and absences.
	"day":             "Day",
	"kind":            "Change",
	"closed":          "Change",
	"hours":           "Weekly working hours",
	"start_date":      "From day",
	"start_time":      "From time",
	"end_date":        "To day",
	"end_time":        "To time",
	"practitioner_id": "Practitioner",
	// Reasons and booking rules.
	"name":                 "Name",
	"duration_minutes":     "Duration",
	"buffer_after_minutes": "Buffer after",
	"notifications":        "Notifications",
	"online_bookable":      "Bookable online",
	"online_for":           "Who may book it online",
	"horizon_days":         "Book up to",
	"min_notice_hours":     "Notice to book",
	"cancel_notice_hours":  "Notice to cancel or reschedule",
	"grid_minutes":         "Start times",
	// The patient portal.
	"enabled":        "Portal on",
	"slug":           "Address of the portal",
	"online_booking": "Allow patients to book appointments online",
	"staff_alert":    "Alert the clinic's staff of each appointment booked online",
	"late_fee":       "Late-cancellation fee",
	"late_fee_hours": "Late when cancelled less than",
	"button_size":    "Size",
	"button_colour":  "Colour",
	// The waitlist: its settings on the portal page, and the form that puts a patient on it
	// (from and to are also the audit log filter's days).
	"waitlist_wave":         "Patients offered each freed time at once",
	"waitlist_hold_minutes": "Time each wave has to take it, in minutes",
	"from":                  "First day",
	"to":                    "Last day",
	"days":                  "Days",
	"from_time":             "Not before",
	"to_time":               "Not after",
	// Consent: databases, the agenda × channel table, a patient's consent, "why…?".
	"respect_opt_out": "Respect opt-out status",
	"on":              "Notification channels",
	"channel":         "Channel",
	"purpose":         "Message",
	"notice":          "Booking notice",
	"booked_by":       "Booked by",
	"opt_in":          "Choice",
	// Secure messaging: the clinic's settings, the inbox's tab, a conversation's forms.
	"start_list":   "Healthcare professionals who may start conversations",
	"answer_list":  "Healthcare professionals who answer incoming conversations",
	"box":          "Conversations",
	"subject":      "Subject",
	"body":         "Message",
	"attachment":   "Attachment",
	"user_id":      "Assign to",
	"organisation": "Organisation",
	"up_to":        "Message",
	// Lists' paging, the inbox, the language menu, signing in.
	"after":    "Page",
	"before":   "Page",
	"id":       "Message",
	"locale":   "Language",
	"email":    "E-mail",
	"password": "Password",
}

// ordinals name the intervals of a weekday in the hours form, first to twelfth
// (maxHoursRows).
var ordinals = []string{"first interval", "second interval", "third interval", "fourth interval", "fifth interval", "sixth interval",
	"seventh interval", "eighth interval", "ninth interval", "tenth interval", "eleventh interval", "twelfth interval"}

// ordinalOf names the i-th interval of a weekday (0 is "first interval"); beyond the
// form's rows it says "interval {n}" in digits.
func ordinalOf(i int) string {
	if i >= 0 && i < len(ordinals) {
		return ordinals[i]
	}
	return "interval " + strconv.Itoa(i+1)
}

// The labels of the hours form's fields: the weekday, the interval's ordinal, its start or
// end ("Tuesday, first interval, end").
const (
	labelHoursStart = "{0}, {1}, start"
	labelHoursEnd   = "{0}, {1}, end"
)

// indexed matches a list field's name and its index: agenda_ids[2], on[0].
var indexed = regexp.MustCompile(`^([a-z_]+)\[([0-9]+)\]$`)

// formFieldLabel is the dashboard's page.FieldLabels: the words of a field's wire name, false
// for a name no form of the dashboard has.
func formFieldLabel(name string) (page.FieldLabel, bool) {
	if m := hoursField.FindStringSubmatch(name); m != nil {
		i, _ := strconv.Atoi(m[2])
		if !isWeekday(m[1]) || i >= len(ordinals) {
			return page.FieldLabel{}, false
		}
		key := labelHoursStart
		if m[3] == "end" {
			key = labelHoursEnd
		}
		return page.FieldLabel{Key: key, Args: []string{m[1], ordinals[i]}}, true
	}
	if m := indexed.FindStringSubmatch(name); m != nil {
		name = m[1]
	}
	if w, ok := fieldWords[name]; ok {
		return page.FieldLabel{Key: w}, true
	}
	return page.FieldLabel{}, false
}

// isWeekday reports whether s is an English weekday name as the hours form writes it.
func isWeekday(s string) bool {
	for _, wd := range weekOrder() {
		if wd.String() == s {
			return true
		}
	}
	return false
}
