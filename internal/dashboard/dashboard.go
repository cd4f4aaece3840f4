package dashboard

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/waitlist"
	"github.com/tidings-health/tidings/internal/web"
)

// Deps are what the dashboard needs from the process; the server builds them once at
// start-up (house rule 2: dependencies passed to the constructor, no package state).
type Deps struct {
	// DB is the store every page reads from and audit rows are written to. Required.
	DB *store.DB
	// Sessions signs staff in and out. Required.
	Sessions *session.Manager
	// Logger receives internal error causes, with the request id and never patient data.
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock, injected so tests can pin "today" (the agenda's default day).
	// Default: time.Now.
	Now func() time.Time
	// The use cases every write goes through, built once in the wiring and shared with
	// the API (one availability cache). Required.
	Booking   *booking.Service
	Directory *directory.Service
	Patients  *patient.Service
	// Notify is the notification settings, templates, communication log and SMS inbox.
	Notify *notify.Service
	// Sync is the clinical-software sync: HL7 settings and the quarantine.
	Sync *integration.Service
	// Accounts are the patients' portal accounts: invitations and the duplicate-e-mail
	// report.
	Accounts *account.Service
	// Waitlist puts patients on a clinic's waitlist and takes them off it (POR-9).
	Waitlist *waitlist.Service
	// Recalls follows up results and recalls (RES-3..RES-8): the action checklist, one
	// recall and its staff actions, the summary, the templates and bulk creation.
	Recalls *recall.Service
	// Messaging is secure messaging (MSG-1..MSG-6): the clinic's switches, the staff inbox,
	// conversations and their attachments. Hub delivers its events to the open pages'
	// streams (GET /events).
	Messaging *messaging.Service
	Hub       *realtime.Hub
}

// Dashboard serves the staff pages. Build it with New; it is safe for concurrent use.
type Dashboard struct {
	db        *store.DB // reads only: every write goes through a use case
	booking   *booking.Service
	directory *directory.Service
	patients  *patient.Service
	notify    *notify.Service
	sync      *integration.Service
	accounts  *account.Service
	waitlist  *waitlist.Service
	recalls   *recall.Service
	messaging *messaging.Service
	hub       *realtime.Hub
	sessions  *session.Manager
	log       *slog.Logger
	now       func() time.Time

	pages  *pageSet
	assets *assets
}

// New checks d, loads the embedded static assets and parses every template, so that a
// broken template stops the boot instead of failing a request.
func New(d Deps) (*Dashboard, error) {
	if d.DB == nil {
		return nil, errors.New("dashboard: Deps.DB is required")
	}
	if d.Sessions == nil {
		return nil, errors.New("dashboard: Deps.Sessions is required")
	}
	if d.Booking == nil || d.Directory == nil || d.Patients == nil || d.Notify == nil || d.Sync == nil || d.Accounts == nil || d.Waitlist == nil ||
		d.Recalls == nil || d.Messaging == nil || d.Hub == nil {
		return nil, errors.New("dashboard: Deps.Booking, Directory, Patients, Notify, Sync, Accounts, Waitlist, Recalls, Messaging and Hub are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages(a)
	if err != nil {
		return nil, err
	}
	return &Dashboard{db: d.DB, booking: d.Booking, directory: d.Directory, patients: d.Patients, notify: d.Notify, sync: d.Sync, accounts: d.Accounts, waitlist: d.Waitlist, recalls: d.Recalls,
		messaging: d.Messaging, hub: d.Hub, sessions: d.Sessions, log: d.Logger, now: d.Now, pages: pages, assets: a}, nil
}

// Routes is the dashboard's route table. The server mounts each entry as
// Method + " " + Pattern, authenticates Session routes and checks Perm before the handler
// runs. It includes GET /static/, served by the same handler Static returns, so a server
// that mounts the table must not mount Static a second time. The home page's pattern is
// "/{$}" so that it matches "/" only, not every unknown path.
//
// Each action has its own route and the permission it needs, so the table stays the whole
// access policy: status buttons need PermSetStatus (every role), booking, moving and
// cancelling PermWriteSchedule, working hours, exceptions and absences PermManageSchedule,
// editing reasons, booking rules, a database's opt-out setting and the agenda × channel
// table PermManageDirectory, and a patient's switch and consent and the consent conflicts
// PermPatientConsent. Creating and editing a patient need PermWritePatients (reception and
// above), and so does inviting one to the patient portal; the duplicate-e-mail report
// needs PermReadPatients (it lists patients), the portal's settings and "Send (N)
// invites" PermManageDirectory; merging two records PermPatientConsent (appointment managers and above), since the
// merge carries one record's consent history and notification switch into the other, which
// changes who is messaged (patient.Merge also checks PermWritePatients). The communication log, the outbox and the SMS inbox need
// PermReadPatients (they show messages to patients); the clinic's sending settings, its
// message templates and the SMS accounts PermManageDirectory, like the booking rules (the use
// cases check the same permissions again). The staff accounts need PermManageStaff
// (administrators only); a user's own profile PermSignedIn, and their "My day"
// PermReadSchedule. The waitlist page lists who waits and the offers made of freed times
// with PermReadSchedule, like the agenda; putting a patient on it, the patient search of
// its form and taking an entry off need PermWriteSchedule, like booking (the waitlist's
// use cases check it again). The list of appointments patients booked online needs
// PermReadSchedule, like the agenda; the header's alert that links to it is shown to staff
// who book (PermWriteSchedule) when the clinic's portal alerts staff. The recalls (RES-3..RES-8):
// the action checklist, one recall, the summary and the patient file's recall history need
// PermReadPatients (they name patients and their results); starting, skipping and marking
// a recall done, and creating recalls in bulk from a patient search, PermFollowUp (every
// role: reception phones patients, practitioners act on results), which their use cases
// check again; the recall templates and the clinic's recall switch
// PermManageDirectory, like the message templates. Secure messaging (MSG-1..MSG-6): the
// clinic's switches need PermManageDirectory (administrators); the staff inbox, a
// conversation, its attachments, writing, starting, assigning, closing, reopening, handing
// over and the stream of events (GET /events) need PermReadPatients, since they name
// patients: who may read, answer or start is the clinic's own lists and switches, which the
// messaging use cases decide for each conversation (another's conversation is "not found").
func (d *Dashboard) Routes() []web.Route {
	const get, post = http.MethodGet, http.MethodPost
	session := func(method, pattern string, perm clinic.Permission, h http.HandlerFunc) web.Route {
		return web.Route{Method: method, Pattern: pattern, Auth: web.Session, Perm: perm, Handler: h}
	}
	// An import of 50,000 rows takes most of a minute (bench import): its answer, the
	// report, may come after the default write deadline.
	slow := func(r web.Route) web.Route {
		r.WriteTimeout = 10 * time.Minute
		return r
	}
	// A stream of events (SSE) writes for as long as its page is open.
	stream := func(r web.Route) web.Route {
		r.WriteTimeout = web.NoWriteDeadline
		return r
	}
	return []web.Route{
		{Method: get, Pattern: "/login", Auth: web.Public, Handler: d.loginForm},
		{Method: post, Pattern: "/login", Auth: web.Public, Handler: d.loginSubmit},
		session(post, "/logout", clinic.PermSignedIn, d.logout),
		session(post, "/settings/language", clinic.PermSignedIn, d.languageSave),
		session(get, "/{$}", clinic.PermSignedIn, d.home),
		session(post, "/clinic", clinic.PermSignedIn, d.clinicSwitch),
		session(get, "/patients", clinic.PermReadPatients, d.patientList),
		session(post, "/patients/search", clinic.PermReadPatients, d.patientSearch),
		session(get, "/patients/{id}", clinic.PermReadPatients, d.patientShow),
		session(get, "/patients/duplicates", clinic.PermReadPatients, d.duplicateList),
		session(post, "/patients/duplicates", clinic.PermReadPatients, d.duplicateList),
		session(post, "/patients/{id}/invite", clinic.PermWritePatients, d.patientInvite),
		session(get, "/patients/new", clinic.PermWritePatients, d.patientNew),
		session(post, "/patients/new", clinic.PermWritePatients, d.patientCreate),
		session(get, "/patients/{id}/edit", clinic.PermWritePatients, d.patientEdit),
		session(post, "/patients/{id}/edit", clinic.PermWritePatients, d.patientSave),
		session(get, "/patients/{id}/merge", clinic.PermPatientConsent, d.patientMerge),
		session(post, "/patients/{id}/merge/search", clinic.PermPatientConsent, d.patientMergeSearch),
		session(get, "/patients/{id}/merge/{other}", clinic.PermPatientConsent, d.patientMergeConfirm),
		session(post, "/patients/{id}/merge", clinic.PermPatientConsent, d.patientMergeSave),
		session(get, "/agenda", clinic.PermReadSchedule, d.agendaDay),
		session(get, "/agenda/week", clinic.PermReadSchedule, d.agendaWeek),
		session(get, "/agenda/appointments/{id}", clinic.PermReadSchedule, d.agendaPanel),
		session(get, "/waitlist", clinic.PermReadSchedule, d.waitlistList),
		session(post, "/waitlist", clinic.PermWriteSchedule, d.waitlistJoin),
		session(post, "/waitlist/search", clinic.PermWriteSchedule, d.waitlistSearch),
		session(post, "/waitlist/{id}/leave", clinic.PermWriteSchedule, d.waitlistLeave),
		session(get, "/appointments/new", clinic.PermWriteSchedule, d.appointmentNew),
		session(get, "/appointments/online", clinic.PermReadSchedule, d.appointmentOnline),
		session(post, "/appointments/new", clinic.PermWriteSchedule, d.appointmentForm),
		session(post, "/appointments", clinic.PermWriteSchedule, d.appointmentCreate),
		session(post, "/appointments/{id}/status", clinic.PermSetStatus, d.appointmentStatus),
		session(get, "/appointments/{id}", clinic.PermReadSchedule, d.appointmentShow),
		session(get, "/appointments/{id}/cancel", clinic.PermWriteSchedule, d.appointmentCancelConfirm),
		session(post, "/appointments/{id}/cancel", clinic.PermWriteSchedule, d.appointmentCancel),
		session(get, "/appointments/{id}/move", clinic.PermWriteSchedule, d.appointmentMove),
		session(post, "/appointments/{id}/move", clinic.PermWriteSchedule, d.appointmentReschedule),
		session(get, "/schedules", clinic.PermManageSchedule, d.scheduleList),
		session(post, "/agendas/{id}/hours", clinic.PermManageSchedule, d.hoursSave),
		session(post, "/agendas/{id}/exceptions", clinic.PermManageSchedule, d.exceptionCreate),
		session(get, "/agendas/{id}/exceptions", clinic.PermManageSchedule, d.exceptionList),
		session(post, "/exceptions/{id}/delete", clinic.PermManageSchedule, d.exceptionDelete),
		session(get, "/practitioners/{id}/absences", clinic.PermManageSchedule, d.absenceList),
		session(post, "/practitioners/{id}/absences", clinic.PermManageSchedule, d.absenceCreate),
		session(post, "/absences/{id}/delete", clinic.PermManageSchedule, d.absenceDelete),
		session(get, "/reasons", clinic.PermReadDirectory, d.reasonList),
		session(get, "/reasons/new", clinic.PermManageDirectory, d.reasonNew),
		session(post, "/reasons", clinic.PermManageDirectory, d.reasonCreate),
		session(get, "/reasons/{id}/edit", clinic.PermManageDirectory, d.reasonEdit),
		session(post, "/reasons/{id}", clinic.PermManageDirectory, d.reasonSave),
		session(get, "/settings/booking", clinic.PermManageDirectory, d.bookingRulesEdit),
		session(post, "/settings/booking", clinic.PermManageDirectory, d.bookingRulesSave),
		session(get, "/settings/portal", clinic.PermManageDirectory, d.portalEdit),
		session(post, "/settings/portal", clinic.PermManageDirectory, d.portalSave),
		session(get, "/settings/portal/button", clinic.PermManageDirectory, d.portalButton),
		session(post, "/settings/portal/invite", clinic.PermManageDirectory, d.portalInvite),
		session(get, "/settings/databases", clinic.PermManageDirectory, d.databaseList),
		session(get, "/settings/databases/{id}/dry-run", clinic.PermManageDirectory, d.databaseDryRun),
		session(post, "/settings/databases/{id}", clinic.PermManageDirectory, d.databaseSave),
		session(get, "/settings/databases/{id}/hl7", clinic.PermManageDirectory, d.databaseHL7),
		session(post, "/settings/databases/{id}/hl7", clinic.PermManageDirectory, d.databaseHL7Save),
		session(post, "/settings/databases/{id}/mappings", clinic.PermManageDirectory, d.databaseMappingAdd),
		session(get, "/settings/databases/{id}/fhir", clinic.PermManageDirectory, d.databaseFHIR),
		session(get, "/settings/databases/{id}/import", clinic.PermManageDirectory, d.databaseImport),
		session(get, "/settings/databases/{id}/profile", clinic.PermManageDirectory, d.databaseProfile),
		session(post, "/settings/databases/{id}/profile", clinic.PermManageDirectory, d.databaseProfileSave),
		session(post, "/settings/databases/{id}/profile/reset", clinic.PermManageDirectory, d.databaseProfileReset),
		slow(session(post, "/settings/databases/{id}/import", clinic.PermManageDirectory, d.databaseImportRun)),
		session(post, "/settings/databases/{id}/fhir", clinic.PermManageDirectory, d.databaseFHIRSave),
		session(post, "/settings/databases/{id}/mappings/delete", clinic.PermManageDirectory, d.databaseMappingDelete),
		session(get, "/sync/quarantine", clinic.PermManageDirectory, d.quarantineList),
		session(get, "/sync/write-backs", clinic.PermWriteSchedule, d.writeBackList),
		session(post, "/sync/write-backs/{id}/retry", clinic.PermWriteSchedule, d.writeBackRetry),
		session(post, "/sync/quarantine/{id}/reprocess", clinic.PermManageDirectory, d.quarantineReprocess),
		session(post, "/sync/quarantine/{id}/dismiss", clinic.PermManageDirectory, d.quarantineDismiss),
		session(get, "/settings/channels", clinic.PermManageDirectory, d.channelsEdit),
		session(post, "/settings/channels", clinic.PermManageDirectory, d.channelsSave),
		session(post, "/patients/{id}/notifications", clinic.PermPatientConsent, d.patientNotifications),
		session(post, "/patients/{id}/consents", clinic.PermPatientConsent, d.patientConsent),
		session(get, "/patients/{id}/explain", clinic.PermReadPatients, d.patientExplain),
		session(get, "/consent/conflicts", clinic.PermPatientConsent, d.consentConflicts),
		session(get, "/audit", clinic.PermReadAudit, d.auditList),
		session(get, "/audit.csv", clinic.PermReadAudit, d.auditExport),
		session(get, "/notifications", clinic.PermReadPatients, d.notificationList),
		session(get, "/notifications/{id}", clinic.PermReadPatients, d.notificationShow),
		session(get, "/outbox", clinic.PermReadPatients, d.outboxList),
		session(get, "/inbox", clinic.PermReadPatients, d.inboxList),
		session(post, "/inbox/read", clinic.PermReadPatients, d.inboxRead),
		session(get, "/settings/notifications", clinic.PermManageDirectory, d.sendingEdit),
		session(post, "/settings/notifications", clinic.PermManageDirectory, d.sendingSave),
		session(get, "/settings/templates", clinic.PermManageDirectory, d.templateList),
		session(get, "/settings/templates/{kind}/{channel}/{lang}", clinic.PermManageDirectory, d.templateEdit),
		session(post, "/settings/templates/{kind}/{channel}/{lang}", clinic.PermManageDirectory, d.templateSave),
		session(post, "/settings/templates/{kind}/{channel}/{lang}/preview", clinic.PermManageDirectory, d.templatePreview),
		session(get, "/settings/sms", clinic.PermManageDirectory, d.smsAccountList),
		session(post, "/settings/sms", clinic.PermManageDirectory, d.smsAccountSave),
		session(post, "/settings/sms-accounts/{id}/delete", clinic.PermManageDirectory, d.smsAccountDelete),
		session(get, "/staff", clinic.PermManageStaff, d.staffList),
		session(get, "/staff/new", clinic.PermManageStaff, d.staffNew),
		session(post, "/staff/new", clinic.PermManageStaff, d.staffCreate),
		session(get, "/staff/{id}", clinic.PermManageStaff, d.staffEdit),
		session(post, "/staff/{id}/role", clinic.PermManageStaff, d.staffRole),
		session(post, "/staff/{id}/disable", clinic.PermManageStaff, d.staffDisable),
		session(post, "/staff/{id}/enable", clinic.PermManageStaff, d.staffEnable),
		session(post, "/staff/{id}/password", clinic.PermManageStaff, d.staffPassword),
		session(get, "/profile", clinic.PermSignedIn, d.profileEdit),
		session(post, "/profile", clinic.PermSignedIn, d.profileSave),
		session(post, "/profile/password", clinic.PermSignedIn, d.profilePassword),
		session(get, "/my-day", clinic.PermReadSchedule, d.myDay),
		session(get, "/recalls", clinic.PermReadPatients, d.recallChecklist),
		session(get, "/recalls/summary", clinic.PermReadPatients, d.recallSummary),
		session(get, "/recalls/new", clinic.PermFollowUp, d.recallNew),
		session(post, "/recalls/new", clinic.PermFollowUp, d.recallCreate),
		session(post, "/recalls/search", clinic.PermFollowUp, d.recallSearch),
		session(get, "/recalls/templates", clinic.PermManageDirectory, d.recallTemplates),
		session(post, "/recalls/templates", clinic.PermManageDirectory, d.recallTemplateSave),
		session(get, "/recalls/templates/{key}", clinic.PermManageDirectory, d.recallTemplateEdit),
		session(post, "/recalls/settings", clinic.PermManageDirectory, d.recallSettingsSave),
		session(get, "/recalls/{id}", clinic.PermReadPatients, d.recallShow),
		session(post, "/recalls/{id}/start", clinic.PermFollowUp, d.recallStart),
		session(post, "/recalls/{id}/skip", clinic.PermFollowUp, d.recallSkip),
		session(post, "/recalls/{id}/done", clinic.PermFollowUp, d.recallDone),
		session(get, "/settings/messaging", clinic.PermManageDirectory, d.messagingSettingsEdit),
		session(post, "/settings/messaging", clinic.PermManageDirectory, d.messagingSettingsSave),
		session(get, "/messages", clinic.PermReadPatients, d.messageInbox),
		session(post, "/messages", clinic.PermReadPatients, d.messageStart),
		session(post, "/messages/search", clinic.PermReadPatients, d.messageSearch),
		session(get, "/messages/{id}", clinic.PermReadPatients, d.messageShow),
		session(get, "/messages/{id}/after/{after}", clinic.PermReadPatients, d.messageAfter),
		session(post, "/messages/{id}/reply", clinic.PermReadPatients, d.messageReply),
		session(post, "/messages/{id}/read", clinic.PermReadPatients, d.messageRead),
		session(post, "/messages/{id}/assign", clinic.PermReadPatients, d.messageAssign),
		session(post, "/messages/{id}/close", clinic.PermReadPatients, d.messageClose),
		session(post, "/messages/{id}/reopen", clinic.PermReadPatients, d.messageReopen),
		session(post, "/messages/{id}/handover", clinic.PermReadPatients, d.messageHandover),
		session(get, "/messages/attachments/{id}", clinic.PermReadPatients, d.messageAttachment),
		stream(session(get, "/events", clinic.PermReadPatients, d.events)),
		{Method: get, Pattern: "/static/", Auth: web.Public, Handler: d.Static().ServeHTTP},
	}
}
