package portal

import "github.com/tidings-health/tidings/internal/page"

// flashes are the portal's confirmations (page.Flashes), by the key a Post/Redirect/Get
// puts in ?done=.
var flashes = page.Flashes{
	"booked":       "Your appointment is booked.",
	"cancelled":    "Your appointment is cancelled.",
	"moved":        "Your appointment has moved.",
	"preferences":  "Your preferences are saved.",
	"password":     "Your password is set. You are signed in.",
	"signed-out":   "You are signed out.",
	"push":         "Notifications are on for this browser.",
	"waitlist":     "You are on the waitlist. We will tell you when a time frees up.",
	"left":         "You have left the waitlist.",
	"claimed":      "The appointment is yours.",
	"message-sent": "Your message is sent.",
}

// fieldLabel names the portal's form fields in words for error messages.
func fieldLabel(field string) (page.FieldLabel, bool) {
	key, ok := map[string]string{
		"email":        "E-mail address",
		"password":     "Password",
		"confirm":      "Password again",
		"patient_id":   "Who the appointment is for",
		"reason_id":    "Reason",
		"agenda_id":    "Practitioner",
		"start":        "Time",
		"day":          "Day",
		"reason":       "Reason for cancelling",
		"appointment":  "Appointment",
		"portal":       "Patient portal",
		"from":         "From",
		"to":           "To",
		"days":         "Days",
		"subscription": "Notifications on this browser",
		"offer":        "Offer",
		"from_time":    "Not before",
		"to_time":      "Not after",
		"surname":      "Surname",
		"birth_date":   "Date of birth",
		"for":          "Who the message is about",
		"subject":      "Subject",
		"body":         "Message",
		"attachment":   "Attachment",
	}[field]
	return page.FieldLabel{Key: key}, ok
}
