package dashboard

import (
	"errors"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"context"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/sendtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
	"net/url"
	"slices"
)

// frenchPages parses the templates with a catalog that fails t on any text French lacks.
func frenchPages(t *testing.T) *Dashboard {
	t.Helper()
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePagesWith(a, cat.OnMissing(func(key string) { t.Errorf("no French text for %q", key) }))
	if err != nil {
		t.Fatal(err)
	}
	return &Dashboard{pages: pages, assets: a}
}

// TestLabelsTranslated checks the texts the dashboard makes in Go, which the template scan
// of internal/i18n cannot see: labels, flash confirmations, error titles and messages.
func TestLabelsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range clinic.Statuses() {
		texts = append(texts, statusLabel(s), string(s))
		for _, to := range clinic.Statuses() {
			texts = append(texts, actionLabel(s, to))
			texts = append(texts, conflictMessage(&booking.TransitionError{From: s, To: to}))
		}
	}
	for _, b := range []clinic.BookedBy{clinic.BookedByStaff, clinic.BookedByPatient, clinic.BookedBySync} {
		texts = append(texts, bookedByLabel(b))
	}
	for _, r := range []clinic.Relationship{clinic.RelParent, clinic.RelChild, clinic.RelSpouse, clinic.RelGuardian, clinic.RelOther} {
		texts = append(texts, relationshipLabel(r))
	}
	texts = append(texts, languageLabel("en"), languageLabel("fr"), msgTaken, msgBadCredentials, msgRateLimited,
		page.MsgCrossOrigin, "This page does not exist.")
	for _, f := range flashes() {
		texts = append(texts, f)
	}
	for _, wd := range weekOrder() {
		texts = append(texts, wd.String())
	}
	for _, g := range rulesForm(clinic.Clinic{ID: 1}, rulesValues(clinic.DefaultBookingRules())).Grids {
		texts = append(texts, g.Label)
	}
	for _, e := range []clinic.ScheduleException{{Closed: true}, {Closed: true, Start: 540, End: 720}, {Start: 540, End: 720}, {}} {
		texts = append(texts, exceptionText(e))
	}
	// The statuses web.Status answers, and the rate limit's.
	for _, status := range []int{400, 401, 403, 404, 409, 413, 422, 429, 500, 503} {
		texts = append(texts, page.ErrorTitle(status))
	}
	for _, err := range []error{errors.New("x"), web.ErrMalformed, clinic.ErrInvalid, clinic.ErrNotFound, clinic.ErrConflict,
		clinic.ErrUnauthenticated, clinic.ErrForbidden, store.ErrBusy, &http.MaxBytesError{Limit: 1}, booking.ErrNotAvailable} {
		texts = append(texts, web.SafeMessage(err))
	}
	for _, text := range texts {
		miss := false
		if got := cat.OnMissing(func(string) { miss = true }).T(i18n.French, text); miss || (got == text && text != "Agenda" && text != "Parent" && text != "Notifications") {
			t.Errorf("no French text for %q", text)
		}
	}
}

// englishLeftovers are words that must not appear in the text of a French page: what the
// templates and labels say in English. The data below is French so that it cannot trip them.
// Words French writes the same way (Agenda, Date, Patient, Notifications) are not listed.
var englishLeftovers = regexp.MustCompile(`\b(the|and|of|to|with|from|Sign|Search|Show|Save|Delete|Cancel|Move|Book|Booked|` +
	`Week|Today|Time|Day|Status|Reason|Previous|Next|No|None|Monday|Sunday|Wednesday|March|April|Mon|Wed|Sun|` +
	`Free|Times|times|Clinic|Audit|log|Schedules|Reasons|rules|Please|Not|found|appointments?)\b`)

var (
	tags  = regexp.MustCompile(`(?s)<[^>]*>`)
	codes = regexp.MustCompile(`(?s)<code>.*?</code>`)
)

// TestPagesInFrench renders every page in French, with the catalog failing on a missing key,
// and checks the visible text holds no English word and the page says lang="fr".
func TestPagesInFrench(t *testing.T) {
	d := frenchPages(t)
	h := sampleHeader("agenda")
	h.OrgName, h.UserName, h.Clinics = "Santé Marais", "Camille Martin", []clinicOption{{ID: 1, Name: "Cabinet du Marais", Selected: true}}
	h.Locale = i18n.French
	actions := actionsFor(clinic.Appointment{ID: 3, Version: 2, Status: clinic.StatusBooked}, clinic.Actor{Kind: clinic.ActorStaff, OrgID: 1, Role: clinic.RoleAdministrator}, "/agenda", "09:00–09:15", true)
	appt := agendaAppointment{ID: 3, Time: "09:00–09:15", PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation",
		Status: clinic.StatusBooked, StatusLabel: statusLabel(clinic.StatusBooked), Active: true, Actions: actions}
	fields := []clinic.FieldError{{Field: "date", Reason: "must be a date in the form YYYY-MM-DD, such as 2026-04-05"},
		{Field: "note", Reason: "must be at most 2000 characters"}}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	f := frame{Loc: paris, Locale: i18n.French}
	start := time.Date(2026, 3, 29, 9, 0, 0, 0, paris)
	row := appointmentRow{ID: 3, Date: f.Locale.DayDate(start), Time: span(start, start.Add(15*time.Minute), paris) + " CEST",
		Clinic: "Cabinet du Marais", Agenda: "Dr Martin", Reason: "Consultation", Status: clinic.StatusSeen,
		StatusLabel: statusLabel(clinic.StatusSeen), BookedBy: bookedByLabel(clinic.BookedByPatient)}
	tests := []struct {
		page, block string
		title       string
		data        any
		want        []string
	}{
		{"login", "", "Sign in", loginPage{Error: msgBadCredentials}, []string{"Se connecter", "Mot de passe", "E-mail ou mot de passe incorrect."}},
		{"patients", "", "Patients", patientsPage{Rows: []patientRow{{ID: 7, Name: "Léa Dupont", BirthDate: civilDate("1980-12-09"), Mobile: "+33612345678"}}, NextAfter: 7},
			[]string{"9 déc. 1980", "Page suivante", "Date de naissance"}},
		{"patients", "results", "Patient search", patientsPage{Searched: true, Error: "Search text is not a valid e-mail address."},
			[]string{"Le texte recherché n'est pas une adresse e-mail valide."}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", GivenName: "Léa", FamilyName: "Dupont", BirthDate: civilDate("1980-12-01"),
			Language: languageLabel("fr"), PMSOptOut: true, Database: "Logiciel", Relatives: []relativeRow{{ID: 8, Name: "Hugo Dupont", Relationship: relationshipLabel(clinic.RelChild)}},
			Upcoming: []appointmentRow{row}, Past: []appointmentRow{row}, PastHidden: 3, CanAudit: true},
			[]string{"1er déc. 1980", "Enfant", "Français", "dim. 29 mars 2026", "Patient (en ligne)", "3 rendez-vous plus anciens ne sont pas affichés."}},
		{"agenda", "", "Agenda", agendaPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Date: "2026-03-29", Prev: "2026-03-28", Next: "2026-03-30",
			Today: "2026-03-30", CanBook: true, ReasonID: 5, Reason: "Consultation", Reasons: []option{{Value: 5, Label: "Consultation", Selected: true}},
			Columns: []agendaColumn{{ID: 1, Name: "Dr Martin", Appointments: []agendaAppointment{appt}, Offers: true,
				Slots: []freeSlot{{Label: "09:15", Value: "2026-03-29T07:15:00Z"}}}, {ID: 2, Name: "Salle 2", Inactive: true}}},
			[]string{"dimanche 29 mars 2026", "Jour précédent", "Réservé", "Confirmer", "Déplacer", "Annuler", "Heures de Europe/Paris."}},
		{"week", "", "Week", weekPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Monday: "2026-03-23", Prev: "2026-03-16", Next: "2026-03-30", ThisWeek: "2026-03-30",
			Days:    []weekDay{{Date: "2026-03-23"}, {Date: "2026-03-29"}},
			Agendas: []weekAgenda{{ID: 1, Name: "Dr Martin", Count: 1, Days: []weekCell{{Date: "2026-03-23"}, {Date: "2026-03-29", Appointments: []agendaAppointment{appt}}}}}},
			[]string{"23 – 29 mars 2026", "lun. 23 mars", "dim. 29 mars", "Semaine précédente", "1 réservés"}},
		{"book", "", "Book an appointment", bookPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Date: "2026-03-29", Back: "/agenda",
			Reasons: []option{{Value: 5, Label: "Consultation", Selected: true}}, Agendas: []option{{Value: 0, Label: "No preference (first free)", Selected: true}, {Value: 1, Label: "Dr Martin"}},
			Slots: []freeSlot{{Label: "09:15", Value: "x"}}, Searched: true, More: true,
			Patients: []patientChoice{{ID: 7, Name: "Léa Dupont", BirthDate: civilDate("1980-12-09")}}, Message: msgTaken, Fields: fields},
			[]string{"Sans préférence (premier libre)", "Créneaux libres le dimanche 29 mars 2026", "né(e) le 9 déc. 1980", "doit faire au plus 2000 caractères"}},
		{"book", "patient-results", "Book an appointment", bookPage{Searched: true}, []string{"Aucun patient de ce cabinet ne correspond."}},
		{"move", "", "Move an appointment", movePage{ID: 3, Version: 4, PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation", Agenda: "Dr Martin",
			Current: f.Locale.LongDate(start) + ", 09:00–09:15 CEST", StatusLabel: statusLabel(clinic.StatusBooked), Movable: true, Zone: "Europe/Paris",
			Date: "2026-03-29", Time: "09:00", Agendas: []option{{Value: 1, Label: "Dr Martin", Selected: true}},
			Free:    []moveFree{{AgendaID: 1, Name: "Dr Martin", Slots: []freeSlot{{Label: "10:00", Value: "x"}}}},
			Message: conflictMessage(&booking.TransitionError{From: clinic.StatusSeen, To: clinic.StatusBooked})},
			[]string{"dimanche 29 mars 2026, 09:00–09:15 CEST", "Ce rendez-vous est maintenant", "«\u00a0Vu\u00a0»"}},
		{"move", "", "Move an appointment", movePage{ID: 3, StatusLabel: statusLabel(clinic.StatusSeen)}, []string{"celui-ci est «\u00a0Vu\u00a0»"}},
		{"schedules", "", "Schedules", schedulesPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris",
			Agendas: []scheduleAgenda{{ID: 1, Name: "Dr Martin", Days: []hoursDay{{Name: "Monday", Rows: []hoursRow{{Index: 0, N: 1, Start: "08:00", End: "12:00",
				StartName: "hours[Monday][0].start", EndName: "hours[Monday][0].end"}}}},
				HoursErrors: []clinic.FieldError{{Field: "hours[Monday][0].end", Reason: "overlaps 09:00–12:00 on the same day"}},
				Exceptions:  []exceptionRow{{ID: 9, Day: "2026-12-25", What: exceptionText(clinic.ScheduleException{Closed: true}), Note: "Fermeture"}}}},
			Practitioners: []schedulePractitioner{{ID: 4, Name: "Dr Martin", Absences: []absenceRow{{ID: 6, From: f.stamp(start), To: f.stamp(start.Add(time.Hour))}}}}},
			[]string{"Lundi", "ven. 25 déc. 2026", "Fermé", "chevauche 09:00–12:00 le même jour", "dim. 29 mars 2026 09:00 CEST"}},
		{"absences", "", "Absences", absencesPage{PractitionerID: 4, Practitioner: "Dr Martin", Zone: "Europe/Paris", Hidden: 2,
			Absences: []absenceBlock{{ID: 6, From: f.stamp(start), To: f.stamp(start.Add(time.Hour)), Affected: []affectedRow{{ID: 3, Date: f.Locale.DayDate(start),
				Time: "09:00–09:15 CEST", Agenda: "Dr Martin", PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation", Status: clinic.StatusBooked,
				StatusLabel: statusLabel(clinic.StatusBooked), Actions: actions}}}, {ID: 8, From: "x", To: "y"}}},
			[]string{"rendez-vous réservé tombe pendant cette absence", "2 absences ultérieures ne sont pas affichées."}},
		{"reasons", "", "Reasons", reasonsPage{Clinic: "Cabinet du Marais", CanManage: true, Rows: []reasonRow{{ID: 5, Name: "Consultation", Duration: "15 min", Buffer: "—", Online: true, Agendas: []string{"Dr Martin"}}}},
			[]string{"Nouveau motif", "Notifications désactivées", "Oui"}},
		{"reason", "", "Edit reason", reasonPage{ID: 5, Clinic: "Cabinet du Marais", Name: "Consultation", Duration: "15", Agendas: []agendaCheck{{ID: 1, Name: "Dr Martin", Inactive: true}},
			Fields: []clinic.FieldError{{Field: "duration_minutes", Reason: "must be a whole number of minutes from 5 to 720"}}},
			[]string{"Modifier le motif", "doit être un nombre entier de minutes de 5 à 720", "(inactif)"}},
		{"rules", "", "Booking rules", rulesForm(clinic.Clinic{ID: 1, Name: "Cabinet du Marais"}, rulesValues(clinic.DefaultBookingRules())),
			[]string{"Règles de réservation", "Toutes les 15 minutes", "Sans préférence"}},
		{"audit", "", "Audit log", auditPage{Zone: "Europe/Paris", Patient: 7, Older: 40, Rows: []auditRow{{ID: 41, At: "2026-03-29 09:00:00 CEST", Actor: "Camille Martin",
			ActorID: "user:1", Action: "patient.read", PatientID: 7, RequestID: "req-1"}}},
			[]string{"Journal d'audit", "Entrées plus anciennes"}},
		{"databases", "", "Clinical databases", databasesPage{Rows: []databaseRow{{ID: 1, Name: "Logiciel", Profile: profileName(clinic.ProfileGeneric), Clinics: []string{"Cabinet du Marais"}, Respect: true},
			{ID: 2, Name: "Ancien", Profile: profileName(clinic.ProfileBestPractice), Unavailable: true}}},
			[]string{"Bases médicales", "Générique", "Désactiver…", "Indisponible", "géré dans Tidings uniquement"}},
		{"dryrun", "", "Respect opt-out status: preview", dryRunPage{ID: 1, Database: "Logiciel", Start: 3, Stop: 0, WithoutAppointment: 1, Shared: true,
			Message: msgConfirmShared, Clinics: []impactRow{{ID: 1, Name: "Cabinet du Marais", Start: 2, Sample: []patientRef{{ID: 7, Name: "Léa Dupont"}}}, {ID: 2, Name: "Cabinet Bastille", Start: 1}}},
			[]string{"Aperçu de la désactivation du réglage.", "3 patients recevraient désormais les rappels.", "0 patient ne recevrait plus les rappels.",
				"Confirmer et enregistrer pour ces 2 cabinets", "Enregistrer change le réglage pour chacun d’eux", "Non enregistré"}},
		{"dryrun", "", "Respect opt-out status: preview", dryRunPage{ID: 1, Database: "Logiciel", Respect: true, Unchanged: true}, []string{"Le réglage est déjà activé"}},
		{"channels", "", "Notification channels", channelsTable(clinic.Clinic{ID: 1, Name: "Cabinet du Marais"}, []clinic.Agenda{{ID: 1, Name: "Dr Martin", Active: true}},
			[]directory.AgendaChannels{{AgendaID: 1, Off: []consent.Channel{consent.ChannelPush}}}), []string{"Canaux de notification", "Notifications push", "E-mail"}},
		{"explain", "", "Why would or wouldn't this patient get a message?", explainPage{ID: 7, Name: "Léa Dupont",
			Form: explainFormFor(7, []clinic.Agenda{{ID: 1, Name: "Dr Martin"}}, nil, url.Values{"purpose": {"recall"}}), Asked: true,
			Answer: decisionOf(frenchDecision())},
			[]string{"Ne serait pas envoyé", "Non envoyé\u00a0: le patient a refusé les messages dans le logiciel médical (lu il y a 2 jours) et cette base médicale en tient compte.",
				"Relances", "bloque", "ne s’applique pas"}},
		{"conflicts", "", "Consent conflicts", conflictsPage{Clinics: []option{{Value: 0, Label: "All clinics", Selected: true}, {Value: 1, Label: "Cabinet du Marais"}},
			Rows: []conflictRow{{PatientID: 7, Name: "Léa Dupont", Database: "Cabinet du Marais", PMSOptOut: true, PMSReadAt: f.stamp(start), OptIn: true, Since: f.stamp(start),
				Actor: "user:3", Source: sourceName(consent.SourceDashboard)}}},
			[]string{"Désaccords de consentement", "Tous les cabinets", "Refusé", "Accepté", "par user:3 via le tableau de bord"}},
		{"error", "", page.ErrorTitle(422), page.ErrorOf(clinic.Invalid("date", "is required")), []string{"Vérifiez votre demande", "Certains champs ne sont pas valides.", "est obligatoire"}},
		{"notifications", "", "Messages", logPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris",
			Summary: summaryOf(notify.Summary{Counts: map[string]int{store.NoteSent: 3}, SMSUsed: 850, SMSBudget: 1000, BudgetAlert: true, Unread: 2}),
			States:  choices(noteStates(), stateLabel, store.NoteSkipped), Channels: choices(consent.Channels(), channelName, ""),
			Rows: []noteRow{{ID: 9, Due: f.stamp(start), PatientID: 7, Patient: "Léa Dupont", Kind: kindLabel("reminder"), Channel: noteChannel("sms"),
				State: store.NoteSkipped, StateLabel: stateLabel(store.NoteSkipped), Reason: "quiet hours: waiting for the clinic's SMS window (08:00-20:00)",
				ProviderID: "SM9", Segments: 2}}, Older: "/notifications?after=9"},
			[]string{"Prévus aujourd’hui", "(85\u00a0%)", "Au moins 80\u00a0%", "2 réponses non lues", "Ignoré", "heures de silence\u00a0: en attente", "Messages plus anciens", "Rappel"}},
		{"notifications", "", "Messages", logPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", To: "2026-03-01",
			Errors: notesOf(clinic.Invalid("to", "must be the first day or a later one"), logLabels, nil)},
			[]string{"Au jour", "doit être le premier jour ou un jour suivant"}},
		{"notification", "", "Message", notePage{ID: 9, Kind: kindLabel("reminder_group"), Channel: noteChannel("sms"), Purpose: purposeName(consent.PurposeReminder),
			State: store.NoteSent, StateLabel: stateLabel(store.NoteSent), Reason: "reconciled: the provider had it", PatientID: 7, Patient: "Léa Dupont",
			AppointmentID: 3, Appointment: f.stamp(start), Offset: "72h", Due: f.stamp(start), Created: f.stamp(start), Sent: f.stamp(start), Attempts: 1,
			Destination: "+33612345678", Body: "Bonjour, rappel de vos rendez-vous", Segments: 1, AsksReply: true, Provider: "outbox", ProviderID: "outbox-9",
			Outbox: true, Zone: "Europe/Paris", Events: []eventRow{{At: f.stamp(start), State: store.NotePlanned, StateLabel: stateLabel(store.NotePlanned)},
				{At: f.stamp(start), State: store.NoteCancelled, StateLabel: stateLabel(store.NoteCancelled), Reason: "carried by notification 8 (NOT-4)"}},
			Decisions: decisionRows(f, []store.Decision{{Purpose: "recall", Channel: "sms", Text: frenchDecision().Decision.Text(frenchDecision().At),
				Trace: "CON-1 block", At: start}}),
			Members:  []noteRow{{ID: 8, PatientID: 8, Patient: "Hugo Dupont", Kind: kindLabel("reminder"), State: store.NoteCancelled, StateLabel: stateLabel(store.NoteCancelled)}},
			Carrying: true},
			[]string{"Rappel familial", "Envoyé", "rapproché\u00a0: le fournisseur", "boîte d’envoi", "Historique", "porté par la notification 8 (NOT-4)",
				"le logiciel médical (lu il y a 2 jours)", "Relances", "Ce SMS portait aussi", "Invite le patient à répondre C"}},
		{"notification", "", "Message", notePage{ID: 9, Kind: kindLabel("confirmation"), Channel: noteChannel("email"), State: store.NotePlanned,
			StateLabel: stateLabel(store.NotePlanned), AppointmentID: 3}, []string{"Pas encore rédigé", "N’existe plus", "Pas encore décidé"}},
		{"outbox", "", "Outbox", outboxPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Older: "/outbox?after=9",
			Rows: []outboxRow{{ID: 9, At: f.stamp(start), PatientID: 7, Patient: "Léa Dupont", Kind: kindLabel("confirmation"), Channel: noteChannel("email"),
				Destination: "lea@example.fr", Subject: "Votre rendez-vous", Body: "Bonjour Léa,\n\nVotre rendez-vous est réservé.", Segments: 2}}},
			[]string{"Boîte d’envoi", "n’ont pas été remis aux patients", "Confirmation de réservation", "Votre rendez-vous est réservé.", "2 segments"}},
		{"inbox", "", "Inbox", inboxPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Next: "/inbox",
			Rows: []inboxRow{{ID: 4, Received: f.stamp(start), From: "+33612345678", PatientID: 7, Patient: "Léa Dupont", Appointment: f.stamp(start),
				AgendaDay: "/agenda?date=2026-03-29", Body: "Je serai en retard", Why: "a reply for staff"},
				{ID: 3, Received: f.stamp(start), From: "+33612345678", Body: "C", Why: "handled: appointment confirmed", Handled: true, Read: true}}},
			[]string{"Boîte de réception", "une réponse pour l’équipe", "traité\u00a0: rendez-vous confirmé", "Marquer comme lu", "Numéro inconnu", "Je serai en retard"}},
		{"sending", "", "Sending settings", func() sendingPage {
			p := sendingForm(clinic.Clinic{ID: 1, Name: "Cabinet du Marais", Zone: "Europe/Paris"}, sendingValues(notify.DefaultSettings(1), "+33123456789"))
			p.Errors = notesOf(&clinic.ValidationError{Fields: []clinic.FieldError{{Field: "reminder_offsets[1]", Reason: sendtime.OffsetReason},
				{Field: "grace_seconds", Reason: "must be a whole number of seconds"}, {Field: "window_to", Reason: sendtime.WindowReason}}},
				sendingLabels, map[string][]string{"reminder_offsets": {"72h", "3 jours"}})
			return p
		}(), []string{"Réglages d’envoi", "Rappels avant le rendez-vous", "doit être un délai avant le rendez-vous", "la veille à 10:00",
			"Délai de regroupement", "doit être un nombre entier de secondes", "doit différer du début de la plage", "Plage d’envoi des SMS",
			"Ce sont les réglages par défaut", "Inviter les patients à répondre C"}},
		{"templates", "", "Message templates", templatesPage{Clinic: "Cabinet du Marais", Rows: []templateRow{{Kind: "reminder", Channel: "sms", Lang: "fr",
			KindLabel: kindLabel("reminder"), ChannelLabel: noteChannel("sms"), LangLabel: languageLabel("fr"), Custom: true, UpdatedBy: "Camille Martin", UpdatedAt: f.stamp(start)},
			{Kind: "reply_stop", Channel: "sms", Lang: "en", KindLabel: kindLabel("reply_stop"), ChannelLabel: noteChannel("sms"), LangLabel: languageLabel("en")}}},
			[]string{"Modèles de messages", "Modifié", "par Camille Martin", "Par défaut", "Réponse\u00a0: désinscription", "Anglais"}},
		{"template", "", "Edit template", templatePage{ClinicID: 1, Clinic: "Cabinet du Marais", Kind: "reminder", Channel: "sms", Lang: "fr",
			KindLabel: kindLabel("reminder"), ChannelLabel: noteChannel("sms"), LangLabel: languageLabel("fr"), Body: "Rappel {first_name}",
			Variables: []string{"{first_name}", "{reply_hint}"}, Preview: previewView{Shown: true, Text: "Rappel Camille", SMS: true, Segments: 1, Encoding: "GSM-7"}},
			[]string{"Le texte fourni avec Tidings", "Aperçu", "avec des valeurs d’exemple", "1 segment (GSM-7)", "Écrivez {{ et }}"}},
		{"template", "", "Edit template", func() templatePage {
			p := templatePage{ClinicID: 1, Clinic: "Cabinet du Marais", Kind: "reminder", Channel: "email", Lang: "fr", KindLabel: kindLabel("reminder"),
				ChannelLabel: noteChannel("email"), LangLabel: languageLabel("fr"), HasSubject: true, Custom: true, Body: "Bonjour {prenom}"}
			_, p.Errors = previewOf(notify.TemplateInput{Kind: "reminder", Channel: "email", Lang: "fr", Subject: "", Body: "Bonjour {prenom}"})
			return p
		}(), []string{"Objet", "est obligatoire", "variable inconnue {prenom}\u00a0; les variables sont", "Rétablir le texte par défaut"}},
		{"sms", "", "SMS accounts", func() smsPage {
			p := smsForm(frame{Clinics: []clinic.Clinic{{ID: 1, Name: "Cabinet du Marais"}}}, []notify.Account{{ID: 2, ClinicID: 1, BaseURL: "https://api.twilio.com",
				AccountSID: "AC123", Sender: "+33600000000", TokenHint: "…abcd"}, {ID: 3, Failover: true, AccountSID: "AC456", Sender: "Marais"}}, smsInput{ClinicID: "1"})
			p.Errors = notesOf(clinic.Invalid("auth_token", "must be the account's auth token (8 to 128 characters)"), smsLabels, nil)
			return p
		}(), []string{"Comptes SMS", "Toute l’organisation", "Secours", "Principal", "Jeton d’authentification", "doit être le jeton d’authentification",
			"votre URL publique", "Webhook entrant"}},
		{"sms", "", "SMS accounts", smsForm(frame{}, nil, smsInput{}), []string{"Aucun compte SMS"}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.page] = true
		t.Run(tc.page+"/"+tc.block, func(t *testing.T) {
			for _, hd := range []*header{h, nil} {
				if tc.block != "" && hd == nil {
					continue
				}
				v := view{Title: tc.title, Header: hd, Data: tc.data, Locale: i18n.French, Flash: flashText("booked"), RequestID: "req-1"}
				b, err := d.execute(tc.page, tc.block, v)
				if err != nil {
					t.Fatal(err)
				}
				body := string(b)
				if tc.block == "" && !strings.Contains(body, `<html lang="fr">`) {
					t.Error(`the page does not say lang="fr"`)
				}
				// Field names (<code>hours[Monday][0].end</code>) are the form's, not words.
				text := html.UnescapeString(tags.ReplaceAllString(codes.ReplaceAllString(body, " "), " "))
				if m := englishLeftovers.FindAllString(text, -1); len(m) > 0 {
					t.Errorf("English left on the French page: %q\n%s", m, text)
				}
				for _, w := range tc.want {
					if !strings.Contains(text, w) {
						t.Errorf("the page lacks %q\n%s", w, text)
					}
				}
			}
		})
	}
	for _, name := range pageNames() {
		if !seen[name] {
			t.Errorf("page %s is not rendered in French here", name)
		}
	}
}

// TestPageLanguage checks which language a request gets: the browser's, else the clinic's
// (the fixture's clinic is in Australia: English), and the visitor's sign-in page too.
func TestPageLanguage(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		rq     request
		lang   string
		want   string
		absent string
	}{
		{"sign-in, no preference", request{method: http.MethodGet, path: "/login"}, "en", "Sign in", "Se connecter"},
		{"sign-in in French", request{method: http.MethodGet, path: "/login", header: map[string]string{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}},
			"fr", "Se connecter", ">Sign in<"},
		{"agenda, Australian clinic", request{method: http.MethodGet, path: "/agenda?date=2026-04-08", actor: actorOf(e.admin)},
			"en", "Wednesday 8 April 2026", "mercredi"},
		{"agenda, French browser", request{method: http.MethodGet, path: "/agenda?date=2026-04-08", actor: actorOf(e.admin),
			header: map[string]string{"Accept-Language": "fr"}}, "fr", "mercredi 8 avril 2026", "Wednesday"},
		{"error page in French", request{method: http.MethodGet, path: "/agenda?date=2026-13-45", actor: actorOf(e.admin),
			header: map[string]string{"Accept-Language": "fr"}}, "fr", "doit être une date au format AAAA-MM-JJ", "must be a date"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(tc.rq)
			if !strings.Contains(res.body, `<html lang="`+tc.lang+`">`) {
				t.Errorf("page is not lang=%q (status %d)", tc.lang, res.status)
			}
			if got := res.header.Get("Content-Language"); got != tc.lang {
				t.Errorf("Content-Language %q, want %q", got, tc.lang)
			}
			if !strings.Contains(res.body, tc.want) {
				t.Errorf("page lacks %q\n%s", tc.want, res.body)
			}
			if strings.Contains(res.body, tc.absent) {
				t.Errorf("page holds %q", tc.absent)
			}
		})
	}
}

// TestLanguageChoice: the language a user chooses wins over the browser's, stays for their
// later pages, is theirs alone, and "" returns to the browser's (ADM-6).
func TestLanguageChoice(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	english := map[string]string{"Accept-Language": "en"}
	lang := func(a clinic.Actor) string {
		t.Helper()
		var u clinic.User
		ctx := context.Background()
		e.db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.Staff().User(ctx, a.OrgID, a.UserID); return err })
		res := e.do(request{method: http.MethodGet, path: "/agenda?date=2026-04-08", actor: clinic.StaffActor(u), header: english})
		if i := strings.Index(res.body, `<html lang="`); i >= 0 {
			return res.body[i+12 : i+14]
		}
		return "?"
	}
	choose := func(locale string) response {
		return e.do(request{method: http.MethodPost, path: "/settings/language", actor: admin,
			form: url.Values{"locale": {locale}, "next": {"/agenda"}}})
	}
	if got := lang(admin); got != "en" {
		t.Fatalf("before choosing: lang %s", got)
	}
	if res := choose("fr"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/agenda" {
		t.Fatalf("choose fr: %d %s", res.status, res.header.Get("Location"))
	}
	if got := lang(admin); got != "fr" {
		t.Errorf("after choosing fr with an English browser: lang %s", got)
	}
	if got := lang(actorOf(e.recep)); got != "en" {
		t.Errorf("another user's pages: lang %s, want the browser's", got)
	}
	if res := choose("de"); res.status != http.StatusUnprocessableEntity {
		t.Errorf("choose de: %d, want 422", res.status)
	}
	choose("")
	if got := lang(admin); got != "en" {
		t.Errorf("after choosing the browser's: lang %s", got)
	}
	if rows := e.auditRows(e.admin.OrgID); !slices.Contains(rows, "user.locale 0") {
		t.Errorf("no audit row for the choice: %v", rows)
	}
}
