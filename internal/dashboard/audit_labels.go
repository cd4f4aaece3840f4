package dashboard

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/i18n"
)

// The audit log in words (ADM-2, ADM-5): what each action string the code records means to
// the person reading the log, the groups the action filter offers, and the names of the
// fields a settings change lists. Labels are English catalog keys, translated by the
// templates (and by the CSV export through the catalog). TestActionLabels scans the Go
// sources for every action recorded and fails when one is missing here, so a new action
// cannot reach the page as a bare code.

// actionInfo is one action as the audit page shows it.
type actionInfo struct {
	// Label says what the actor did, as a sentence without its subject ("Cancelled an
	// appointment").
	Label string
	// Read marks a read of patient data. The rows one request wrote for one read action
	// (one per patient listed) are shown as one row ("Viewed the agenda — 53 patients").
	Read bool
}

// actions maps every action string recorded anywhere in the code to its label.
var actions = map[string]actionInfo{
	// Reads of patient data, recorded one row per patient shown.
	"appointment.list":        {"Viewed the agenda", true},
	"appointment.read":        {"Viewed an appointment", true},
	"patient.list":            {"Viewed the patient list", true},
	"patient.search":          {"Searched for patients", true},
	"patient.read":            {"Viewed a patient's file", true},
	"patient.relatives":       {"Viewed a patient's relatives", true},
	"relative.list":           {"Viewed a patient's relatives", true},
	"patient.consent.read":    {"Viewed a patient's consent", true},
	"patient.consent.explain": {"Asked why a patient would or would not get a message", true},
	"patient.decisions":       {"Viewed a patient's message decisions", true},
	"notification.list":       {"Viewed the messages sent to patients", true},
	"notification.read":       {"Viewed a message sent to a patient", true},
	"sms_inbox.read":          {"Viewed the SMS inbox", true},
	"audit.list":              {"Viewed the audit log", true},
	"audit.export":            {"Exported the audit log", true},
	"patient.duplicates":      {"Viewed the duplicate e-mail report", true},
	"waitlist.read":           {"Viewed the waitlist", true},
	"recall.checklist":        {"Viewed the recalls action checklist", true},
	"recall.history":          {"Viewed a patient's recalls", true},
	"recall.read":             {"Viewed a recall", true},
	"message.read":            {"Read a secure conversation", true},
	"message.inbox":           {"Viewed the secure messages", true},
	"message.attachment":      {"Opened a secure message's attachment", true},

	// Appointments and schedules.
	"appointment.create":           {"Booked an appointment", false},
	"appointment.reschedule":       {"Moved an appointment", false},
	"appointment.cancel":           {"Cancelled an appointment", false},
	"appointment.status":           {"Changed an appointment's status", false},
	"appointment.update":           {"Changed an appointment", false},
	"appointment.sync":             {"Synced an appointment from the clinical software", false},
	"appointment.write_back_retry": {"Sent an appointment to the clinical software again", false},
	"appointment.write_backs":      {"Viewed the appointments not written back", true},
	"appointment.online_list":      {"Viewed the appointments booked online", true},
	"agenda.hours":                 {"Changed an agenda's working hours", false},
	"agenda.exception.create":      {"Added an exception to an agenda's hours", false},
	"agenda.exception.delete":      {"Removed an exception to an agenda's hours", false},
	"absence.create":               {"Added an absence", false},
	"absence.delete":               {"Removed an absence", false},

	// Patients.
	"patient.create":         {"Created a patient", false},
	"patient.update":         {"Changed a patient's details", false},
	"patient.link_relative":  {"Linked two patients as relatives", false},
	"patient.merge":          {"Merged two patient records", false},
	"patient.notifications":  {"Switched a patient's notifications on or off", false},
	"patient.consent":        {"Changed a patient's consent", false},
	"patient.email_bounced":  {"Marked a patient's e-mail address as failing", false},
	"patient.push_subscribe": {"Subscribed to push notifications", false},
	"sms_inbox.mark_read":    {"Marked SMS replies as read", false},

	// The directory and the clinic's settings.
	"database.create":               {"Added a clinical database", false},
	"database.update":               {"Changed a clinical database", false},
	"database.hl7":                  {"Changed a database's HL7 settings", false},
	"database.quarantine_reprocess": {"Re-processed a refused message", false},
	"database.quarantine_dismiss":   {"Dismissed a refused message", false},
	"database.mapping":              {"Changed how a database's codes map to agendas and reasons", false},
	"database.profile":              {"Changed a database's results profile", false},
	"database.fhir":                 {"Changed a database's FHIR settings", false},
	"database.import":               {"Imported a CSV file into a database", false},
	"clinic.create":                 {"Created a clinic", false},
	"clinic.update":                 {"Changed a clinic", false},
	"clinic.booking_rules":          {"Changed the booking rules", false},
	"clinic.notify_settings":        {"Changed the sending settings", false},
	"clinic.template":               {"Changed a message template", false},
	"clinic.template_reset":         {"Reset a message template to the default", false},
	"practitioner.create":           {"Added a practitioner", false},
	"practitioner.update":           {"Changed a practitioner", false},
	"agenda.create":                 {"Created an agenda", false},
	"agenda.update":                 {"Changed an agenda", false},
	"agenda.channels":               {"Changed an agenda's notification channels", false},
	"reason.create":                 {"Created a consultation reason", false},
	"reason.update":                 {"Changed a consultation reason", false},
	"settings.sms_account":          {"Saved an SMS account", false},
	"settings.sms_account_delete":   {"Deleted an SMS account", false},

	// The patient portal (POR-1, POR-7): its settings, invitations, and what patients ask
	// for on it before they are signed in.
	"portal.settings":       {"Changed the patient portal settings", false},
	"portal.invite":         {"Invited patients to the patient portal", false},
	"portal.invite_request": {"Received a request for an invitation to the portal", false},
	"portal.reset_request":  {"Received a request to reset a portal password", false},
	"portal.password_set":   {"Set their portal password", false},

	// The waitlist (POR-9): a patient put on it or taken off it (by staff or in the
	// portal), and a freed time claimed through its offer.
	"waitlist.join":  {"Put a patient on the waitlist", false},
	"waitlist.leave": {"Took a patient off the waitlist", false},
	"waitlist.claim": {"Took a freed time offered by the waitlist", false},

	// Results and recalls (RES-3..RES-8): staff's actions, bulk creation, the templates and
	// the clinic's switch, and the identity check a message's link opens.
	"recall.start":           {"Started a recall", false},
	"recall.skip":            {"Skipped a recall", false},
	"recall.done":            {"Marked a recall done", false},
	"recall.create":          {"Created recalls", false},
	"recall.template":        {"Changed a recall template", false},
	"recall.settings":        {"Changed the recall settings", false},
	"recall.identity_failed": {"Failed the identity check of a recall's link", false},
	"recall.identity_passed": {"Passed the identity check of a recall's link", false},

	// Secure messaging (MSG-1..MSG-6): conversations and their messages, triage, handover
	// (and its arrival at another organisation), and the clinic's switches.
	"message.start":       {"Started a secure conversation", false},
	"message.send":        {"Sent a secure message", false},
	"message.assign":      {"Assigned a secure conversation", false},
	"message.close":       {"Closed a secure conversation", false},
	"message.reopen":      {"Reopened a secure conversation", false},
	"message.handover":    {"Handed over a secure conversation", false},
	"message.handover_in": {"Received a secure conversation from another organisation", false},
	"message.digest":      {"E-mailed a digest of unread secure messages to staff", false},
	"messaging.settings":  {"Changed the secure messaging settings", false},

	// The organisation and its staff.
	"organisation.create": {"Created the organisation", false},
	"user.create":         {"Created a staff account", false},
	"user.disable":        {"Disabled a staff account", false},
	"user.enable":         {"Enabled a staff account again", false},
	"user.locale":         {"Chose a language", false},
	"user.profile":        {"Changed their name or language", false},
	"user.password":       {"Changed their password", false},
	"user.password_reset": {"Gave a staff member a new password", false},
	"user.role":           {"Changed a staff member's role", false},
	"token.create":        {"Created an API token", false},
	"token.revoke":        {"Revoked an API token", false},
}

// actionGroups name the first part of the action strings ("appointment" of
// "appointment.cancel"), in the order the filter lists them. The filter's "every action"
// choice of a group is the prefix "appointment.", which store.AuditFilter matches.
var actionGroups = []struct{ Prefix, Label string }{
	{"appointment", "Appointments"},
	{"agenda", "Agendas and working hours"},
	{"absence", "Absences"},
	{"patient", "Patients"},
	{"relative", "Relatives"},
	{"notification", "Messages"},
	{"sms_inbox", "SMS inbox"},
	{"clinic", "Clinics and their settings"},
	{"database", "Clinical databases"},
	{"practitioner", "Practitioners"},
	{"reason", "Consultation reasons"},
	{"settings", "SMS accounts"},
	{"portal", "Patient portal"},
	{"waitlist", "Waitlist"},
	{"recall", "Recalls"},
	{"message", "Secure messages"},
	{"messaging", "Secure messaging"},
	{"organisation", "Organisation"},
	{"user", "Staff accounts"},
	{"token", "API tokens"},
	{"audit", "Audit log"},
}

// actionOf is the label of action and whether it is a read; an action this table does not
// know (one recorded by an older version) is shown as its code.
func actionOf(action string) (auditText, bool) {
	if a, ok := actions[action]; ok {
		return auditText{Key: a.Label}, a.Read
	}
	return auditText{Plain: action}, false
}

// actionMenu is one group of the action filter's menu: the group's prefix first when the
// group has several actions ("Every action: Appointments"), then each action by label.
type actionMenu struct {
	Label   string // the group's, a catalog key
	Options []actionChoice
}

// actionChoice is one option of the action filter: Value is an action or, with All, a
// group's prefix; Label a catalog key.
type actionChoice struct {
	Value, Label  string
	All, Selected bool
}

// actionMenus is the action filter's menu with selected marked, in the order of
// actionGroups; within a group, actions are in the order of their codes, so that the
// list/read and create/update pairs stay together.
func actionMenus(selected string) []actionMenu {
	var out []actionMenu
	for _, g := range actionGroups {
		var opts []actionChoice
		for action, a := range actions {
			if groupOf(action) == g.Prefix {
				opts = append(opts, actionChoice{Value: action, Label: a.Label, Selected: action == selected})
			}
		}
		if len(opts) == 0 {
			continue
		}
		slices.SortFunc(opts, func(a, b actionChoice) int { return strings.Compare(a.Value, b.Value) })
		if len(opts) > 1 {
			all := actionChoice{Value: g.Prefix + ".", Label: g.Label, All: true, Selected: g.Prefix+"." == selected}
			opts = append([]actionChoice{all}, opts...)
		}
		out = append(out, actionMenu{Label: g.Label, Options: opts})
	}
	return out
}

// groupOf is the group an action belongs to: its text before the first dot.
func groupOf(action string) string {
	g, _, _ := strings.Cut(action, ".")
	return g
}

// validAction reports whether the filter may ask for action: one of the table's actions,
// or a group's prefix.
func validAction(action string) bool {
	if _, ok := actions[action]; ok {
		return true
	}
	for _, g := range actionGroups {
		if action == g.Prefix+"." {
			return true
		}
	}
	return false
}

// auditText is a text of the audit page: a catalog key with at most one argument (Key,
// Arg), translated by the template, or a text shown as it is (Plain: a name, a value typed
// in a setting).
type auditText struct {
	Key   string
	Arg   string
	Plain string
}

// whoOf names who acted: a staff member by name, an API token by its name, the patient
// portal, or what the system was doing. users and tokens hold the organisation's;
// patients the names of the patients the viewer may see (nil when they may not).
func whoOf(e auditEntryRef, users map[clinic.UserID]clinic.User, tokens map[clinic.TokenID]clinic.Token, patients map[clinic.PatientID]string) auditText {
	switch {
	case e.UserID != 0:
		if u, ok := users[e.UserID]; ok {
			if u.Name != "" {
				return auditText{Plain: u.Name}
			}
			return auditText{Plain: u.Email}
		}
		return auditText{Key: "Staff account {0}", Arg: "#" + strconv.FormatInt(int64(e.UserID), 10)}
	case e.TokenID != 0:
		if t, ok := tokens[e.TokenID]; ok {
			return auditText{Key: "API token {0}", Arg: t.Name}
		}
		return auditText{Key: "API token {0}", Arg: "#" + strconv.FormatInt(int64(e.TokenID), 10)}
	}
	kind, name, _ := strings.Cut(e.Actor, ":")
	switch {
	case clinic.ActorKind(e.ActorKind) == clinic.ActorPatient || kind == "patient":
		if id, err := strconv.ParseInt(name, 10, 64); err == nil && patients != nil && patients[clinic.PatientID(id)] != "" {
			return auditText{Key: "Patient portal: {0}", Arg: patients[clinic.PatientID(id)]}
		}
		return auditText{Key: "Patient portal"}
	case kind == "system":
		switch name {
		case "sync":
			return auditText{Key: "Sync from the clinical software"}
		case "import":
			return auditText{Key: "Import from the clinical software"}
		case "sms":
			return auditText{Key: "SMS replies from patients"}
		case "email":
			return auditText{Key: "E-mail delivery reports"}
		case "cli":
			return auditText{Key: "Command line"}
		}
		return auditText{Key: "Tidings ({0})", Arg: name}
	}
	return auditText{Plain: e.Actor}
}

// auditEntryRef is what whoOf reads of an entry.
type auditEntryRef struct {
	Actor, ActorKind string
	UserID           clinic.UserID
	TokenID          clinic.TokenID
}

// patientActorOf is the patient an entry's actor is (a patient signed in to the portal),
// or 0.
func patientActorOf(actor, kind string) clinic.PatientID {
	k, name, _ := strings.Cut(actor, ":")
	if clinic.ActorKind(kind) != clinic.ActorPatient && k != "patient" {
		return 0
	}
	id, err := strconv.ParseInt(name, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return clinic.PatientID(id)
}

// fieldLabels name the fields settings changes record (the JSON names of
// internal/directory/audit.go, internal/notify's settings, templates and SMS accounts); a
// field not listed is shown by its name.
var fieldLabels = map[string]string{
	// Clinical databases.
	"kind":             "Kind of database",
	"software_profile": "Clinical software",
	"respect_opt_out":  "Respect opt-out status",
	// Clinics and their booking rules.
	"name":                 "Name",
	"slug":                 "Short name in addresses",
	"zone":                 "Time zone",
	"region":               "Country code",
	"address":              "Address",
	"database":             "Database",
	"horizon_days":         "Book up to (days ahead)",
	"min_notice_hours":     "Notice to book (hours)",
	"cancel_notice_hours":  "Notice to cancel or reschedule (hours)",
	"grid_minutes":         "Start times",
	"allow_no_preference":  "Offer \"No preference\" of practitioner",
	"allow_online_changes": "Patients can cancel and reschedule online",
	// The patient portal.
	"enabled":        "Portal on",
	"online_booking": "Allow patients to book appointments online",
	"late_fee_cents": "Late-cancellation fee (cents)",
	"late_fee_hours": "Late when cancelled less than (hours)",
	"staff_alert":    "Alert the clinic's staff of each appointment booked online",
	"button_size":    "Book button: size",
	"button_colour":  "Book button: colour",
	// The waitlist's settings, on the portal page.
	"waitlist_wave":         "Patients offered each freed time at once",
	"waitlist_hold_minutes": "Time each wave has to take it, in minutes",
	// Practitioners, agendas, reasons.
	"title":                "Title",
	"clinic":               "Clinic",
	"practitioner":         "Practitioner",
	"active":               "Active",
	"duration_minutes":     "Duration (minutes)",
	"buffer_after_minutes": "Buffer after (minutes)",
	"notifications":        "Send notifications for this reason",
	"online_bookable":      "Patients can book it online",
	"online_for":           "Who may book it online",
	"agendas":              "Offered by",
	// An agenda's channels.
	"sms":   "SMS",
	"email": "E-mail",
	"push":  "Push notifications",
	// Sending settings.
	"channels":         "Channels",
	"reminder_offsets": "Reminders before the appointment",
	"grace_seconds":    "Grace period (seconds)",
	"window_from":      "SMS from",
	"window_to":        "SMS until",
	"sms_budget":       "Monthly SMS budget",
	"remind_confirmed": "Remind confirmed appointments too",
	"ask_reply":        "Invite patients to reply C to confirm an SMS reminder",
	"phone":            "Clinic phone number",
	// Message templates.
	"subject": "Subject",
	"body":    "Text",
	// Recall templates and a clinic's recall switch (internal/recall's audit views, whose
	// fields carry no JSON names).
	"Name":           "Name",
	"Purpose":        "Messages",
	"AutoStart":      "Start by itself",
	"Steps":          "Steps",
	"ResumeOnCancel": "Resume the recall when the booking is cancelled",
	// Working hours, exceptions, absences (internal/booking).
	"monday":    "Monday",
	"tuesday":   "Tuesday",
	"wednesday": "Wednesday",
	"thursday":  "Thursday",
	"friday":    "Friday",
	"saturday":  "Saturday",
	"sunday":    "Sunday",
	"day":       "Day",
	"change":    "Change",
	"hours":     "Hours",
	"note":      "Note",
	"start":     "From",
	"end":       "To",
	// Staff accounts (internal/staff).
	"role":            "Role",
	"practitioner_id": "Practitioner",
	"status":          "Status",
	"locale":          "Language",
	// Secure messaging's settings (store.MessagingSettings, recorded by its Go names).
	"StaffStart":      "Allow healthcare professionals to start conversations",
	"StaffStartAll":   "Starting: accessible for all healthcare professionals",
	"StartList":       "Healthcare professionals who may start conversations",
	"Incoming":        "Allow patients and other clinics to start or hand over conversations",
	"IncomingAll":     "Answering: accessible for all healthcare professionals",
	"AnswerList":      "Healthcare professionals who answer incoming conversations",
	"PortalButton":    "Show a “New message” button on the home page of the patient portal",
	"ReceptionTriage": "Reception may triage (read and assign) without answering",
	"StaffDigest":     "E-mail digest of unread messages to staff",
	"ClinicID":        "Clinic",
	// SMS accounts.
	"failover":    "Failover",
	"sender":      "Sender",
	"account_sid": "Account SID",
	"base_url":    "API address",
	"token_hint":  "Auth token (last four characters)",
}

// fieldOf is a field's label, or its name when the table does not know it.
func fieldOf(field string) auditText {
	if l, ok := fieldLabels[field]; ok {
		return auditText{Key: l}
	}
	return auditText{Plain: field}
}

// valueOf writes one recorded value in words: a missing value as "—", yes/no (on/off for
// an agenda's channels), a list item by item, a channel, clinical software, role, language
// or exception by its name, a start-time grid as the booking rules form names it, an
// instant in the page's zone (loc, l); anything else as it was recorded.
func valueOf(field string, raw json.RawMessage, loc *time.Location, l i18n.Locale) []auditText {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return []auditText{{Plain: "—"}}
	}
	switch x := v.(type) {
	case bool:
		on, off := "Yes", "No"
		if field == "sms" || field == "email" || field == "push" {
			on, off = "On", "Off"
		}
		if x {
			return []auditText{{Key: on}}
		}
		return []auditText{{Key: off}}
	case string:
		switch {
		case x == "":
			return []auditText{{Key: "(empty)"}}
		case field == "software_profile" && profileName(clinic.SoftwareProfile(x)) != x:
			return []auditText{{Key: profileName(clinic.SoftwareProfile(x))}}
		case field == "role" && roleLabel(clinic.Role(x)) != x:
			return []auditText{{Key: roleLabel(clinic.Role(x))}}
		case field == "locale" && languageLabel(x) != x:
			return []auditText{{Key: languageLabel(x)}}
		case field == "status" && (x == "active" || x == "disabled"):
			return []auditText{{Key: map[string]string{"active": "Active", "disabled": "Disabled"}[x]}}
		case field == "online_for" && clinic.OnlineFor(x).Valid():
			return []auditText{{Key: onlineForLabel(clinic.OnlineFor(x))}}
		case field == "change" && (x == "closed" || x == "hours" || x == "replace"):
			return []auditText{{Key: map[string]string{"closed": "Closed", "hours": "Extra hours", "replace": "Closed, other hours instead"}[x]}}
		}
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			t = t.In(loc)
			return []auditText{{Plain: l.DayDate(t) + " " + l.Time(t) + " " + t.Format("MST")}}
		}
		return []auditText{{Plain: x}}
	case float64:
		if field == "grid_minutes" {
			for _, g := range rulesForm(clinic.Clinic{}, rulesInput{}).Grids {
				if float64(g.Value) == x {
					return []auditText{{Key: g.Label}}
				}
			}
		}
		return []auditText{{Plain: strconv.FormatFloat(x, 'f', -1, 64)}}
	case []any:
		if len(x) == 0 {
			return []auditText{{Key: "(none)"}}
		}
		out := make([]auditText, 0, len(x))
		for _, item := range x {
			s, ok := item.(string)
			if !ok {
				b, _ := json.Marshal(item)
				s = string(b)
			}
			if field == "channels" && consent.Channel(s).Valid() {
				out = append(out, auditText{Key: channelName(consent.Channel(s))})
			} else {
				out = append(out, auditText{Plain: s})
			}
		}
		return out
	}
	return []auditText{{Plain: string(raw)}}
}
