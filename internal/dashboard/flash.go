package dashboard

import (
	"net/http"
	"net/url"

	"github.com/tidings-health/tidings/internal/page"
)

// flashes are the dashboard's confirmations (page.Flashes): a form that changed something
// redirects (Post/Redirect/Get) to a page with ?done=KEY, and that page shows the text of
// KEY, translated when the page is rendered. The key is one of this fixed set, so the URL
// carries neither patient data nor free text, and a crafted link cannot put words on a page.
func flashes() page.Flashes {
	return page.Flashes{
		"booked":                "Appointment booked.",
		"moved":                 "Appointment moved.",
		"moved-earlier":         "Appointment moved. That time happens twice that night because the clocks go back: the earlier one, before the change, was used.",
		"cancelled":             "Appointment cancelled.",
		"status":                "Status updated.",
		"waitlist-joined":       "Patient put on the waitlist: they are offered the matching times that free up.",
		"waitlist-left":         "Patient taken off the waitlist.",
		"hours":                 "Working hours saved.",
		"exception-added":       "Exception added.",
		"exception-deleted":     "Exception deleted.",
		"absence-added":         "Absence recorded. Cancel or move the appointments it falls on, below.",
		"absence-added-earlier": "Absence recorded. A time you gave happens twice because the clocks go back: the earlier one was used. Cancel or move the appointments it falls on, below.",
		"absence-deleted":       "Absence deleted.",
		"reason-created":        "Reason created.",
		"reason-saved":          "Reason saved.",
		"rules-saved":           "Booking rules saved.",
		"portal-saved":          "Patient portal settings saved.",
		"invites-sent":          "Invitations sent: each patient receives an e-mail with a link to set their password.",
		"invites-none":          "No patient to invite: no invitation was sent.",
		"invite-sent":           "Invitation sent: the patient receives an e-mail with a link to set their password.",
		"database-saved":        "Setting saved.",
		"results-profile-saved": "Results profile saved: results received from now on follow it.",
		"results-profile-reset": "Results profile back to the software's defaults.",
		"fhir-saved":            "FHIR settings saved: the server is read at the next run.",
		"hl7-saved":             "HL7 settings saved: messages naming this sending facility now go to this database.",
		"mapping-saved":         "Mapping saved. Re-process the refused messages it concerns from the refused messages page.",
		"mapping-deleted":       "Mapping deleted: later messages are matched by name again.",
		"quarantine-applied":    "Message re-processed and applied.",
		"write-back-retried":    "The appointment will be sent to the clinical software again.",
		"quarantine-refused":    "Message re-processed but refused again: its new reason is shown.",
		"quarantine-dismissed":  "Message dismissed.",
		"channels-saved":        "Notification channels saved.",
		"notifications-on":      "Notifications switched on for this patient.",
		"notifications-off":     "Notifications switched off for this patient.",
		"consent-recorded":      "Consent recorded.",
		"sending-saved":         "Sending settings saved.",
		"template-saved":        "Template saved.",
		"template-reset":        "Template reset to the text Tidings ships.",
		"sms-saved":             "SMS account saved.",
		"sms-deleted":           "SMS account deleted.",
		"inbox-read":            "Marked as read.",
		"role-changed":          "Role saved.",
		"user-disabled":         "Account disabled: it was signed out and cannot sign in.",
		"user-enabled":          "Account enabled: it can sign in again.",
		"profile-saved":         "Profile saved.",
		"password-changed":      "Password changed. Your other sessions were signed out.",
		"patient-created":       "Patient created.",
		"patient-saved":         "Patient saved.",
		"patients-merged":       "Records merged: the other record's appointments, relatives, consent and messages are now this one's.",
		// The recalls (RES-3..RES-8): a staff action done, or refused because of the
		// recall's state (recallFlash), a bulk creation, a template and the switch saved.
		"recall-started":        "Recall started: its messages are planned.",
		"recall-skipped":        "Recall skipped: no more messages are sent for it.",
		"recall-done":           "Recall marked done: no more messages are sent for it.",
		"recall-closed":         "Nothing was changed: this recall is already closed.",
		"recall-running":        "Nothing was changed: this recall is already sending its messages.",
		"recall-booked":         "Nothing was started: the patient has booked an appointment, which paused this recall.",
		"recall-unreachable":    "Nothing was started: no message of its template can reach this patient. Contact them another way, then mark the recall done.",
		"recall-refused":        "Nothing was changed: this recall changed meanwhile.",
		"recalls-created":       "Recalls created.",
		"recall-template-saved": "Recall template saved: recalls already sending use its steps from their next message on.",
		"recall-settings-saved": "Recall settings saved.",
		// Secure messaging (MSG-1..MSG-6): the clinic's settings, a conversation started,
		// a message sent, and a conversation's actions (or a refusal because it changed).
		"messaging-saved":          "Secure messaging settings saved.",
		"conversation-started":     "Conversation started: the patient is told a secure message is waiting.",
		"message-sent":             "Message sent.",
		"conversation-assigned":    "Assignment saved.",
		"conversation-closed":      "Conversation closed.",
		"conversation-reopened":    "Conversation reopened.",
		"conversation-handed-over": "Conversation handed over: the patient is told.",
		"conversation-unchanged":   "Nothing was changed: this conversation changed meanwhile.",
	}
}

// flashText is the confirmation of key (English, a catalog key), or "".
func flashText(key string) string { return flashes().Text(key) }

// flashFor is the confirmation the request's ?done= names, or "".
func flashFor(r *http.Request) string { return flashes().For(r) }

// withDone returns the local path p with done=key set, for the redirect after a change.
func withDone(p, key string) string { return page.WithDone(p, key) }

// withoutFlash is u's path and query without done, so that switching clinic from a page
// does not show its confirmation a second time.
func withoutFlash(u *url.URL) string { return page.WithoutFlash(u) }
