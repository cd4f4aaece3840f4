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
	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/sendtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/waitlist"
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
	for _, sz := range portalForm(directory.Portal{}, portalTyped{}, "", 0).Sizes {
		texts = append(texts, sz.Label)
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
	actions := actionsFor(clinic.Appointment{ID: 3, Version: 2, Status: clinic.StatusBooked}, booking.BeforeTheDay, clinic.Actor{Kind: clinic.ActorStaff, OrgID: 1, Role: clinic.RoleAdministrator}, "/agenda", "09:00–09:15", true)
	appt := agendaAppointment{ID: 3, Time: "09:00–09:15", PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation",
		Status: clinic.StatusBooked, StatusLabel: statusLabel(clinic.StatusBooked), Active: true, Actions: actions, Open: true}
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
			Upcoming: []appointmentRow{row}, Past: []appointmentRow{row}, PastHidden: 3, CanAudit: true,
			Recalls: []patientRecallRow{{ID: 4, Title: "Bilan lipidique", Kind: recallKindLabel(store.SeqKindResults), State: store.SeqManual,
				StateLabel: recallStateLabel(store.SeqManual), Why: recallWhyLabel(store.WhyComments), Started: f.stamp(start), Sent: 2}}},
			[]string{"1er déc. 1980", "Enfant", "Français", "dim. 29 mars 2026", "Patient (en ligne)", "3 rendez-vous plus anciens ne sont pas affichés.",
				"Relances", "Bilan lipidique", "L’équipe doit agir", "Un résultat porte des commentaires du médecin", "Messages envoyés"}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont"}, []string{"Aucun résultat ni relance suivis pour l’instant."}},
		{"patient_form", "", "New patient", patientFormPage{Database: "Dossiers Tidings", Values: patientValues{Language: "fr"}, Languages: patientLanguages("fr"),
			Errors: notesOf(&clinic.ValidationError{Fields: []clinic.FieldError{{Field: "mobile", Reason: "is not a mobile number"},
				{Field: "birth_date", Reason: "must be between 1900-01-01 and today"}}}, patientLabels, nil)},
			[]string{"Nouveau patient", "n’est pas un numéro de mobile", "Français", "Date de naissance"}},
		{"patient_form", "", "Edit patient", patientFormPage{ID: 7, Version: 2, Name: "Léa Dupont", Database: "Logiciel", Synced: true,
			Values: patientValues{GivenName: "Léa", FamilyName: "Dupont"}, Languages: patientLanguages("fr"), Message: msgPatientChanged},
			[]string{"Modifier le patient", "Logiciel gère ces informations", "modifié par quelqu’un d’autre"}},
		{"patient_form", "", "New patient", patientFormPage{Database: "Logiciel", Synced: true}, []string{"sont gérés dans son logiciel médical"}},
		{"patient_merge", "", "Merge records", patientMergePage{ID: 7, Name: "Léa Dupont", Database: "Dossiers", Searched: true, Query: "dupont",
			Candidates: []patientRow{{ID: 8, Name: "Léa Dupond", BirthDate: "1980-12-09", Mobile: "06 12 34 56 78"}}},
			[]string{"Fusionner des dossiers", "Comparer et fusionner", "Autres dossiers correspondants"}},
		{"patient_merge", "", "Merge records", patientMergePage{ID: 7, Name: "Léa Dupont", Confirm: true,
			Keep: mergeSide{ID: 7, GivenName: "Léa", Language: languageLabel("fr"), NotificationsOn: true}, Remove: mergeSide{ID: 8, GivenName: "Léa"},
			Counts: []mergeCount{{Label: "Appointments", Count: 2}, {Label: "Audit log entries", Count: 5, Stays: true}}, SwitchOff: true},
			[]string{"Dossier conservé", "Rendez-vous : 2", "Entrées du journal d'audit : 5", "n° 8", "Fusionner les deux dossiers"}},
		{"patient_merge", "", "Merge records", patientMergePage{ID: 7, Synced: true}, []string{"se fusionnent dans son logiciel médical"}},
		{"patients", "", "Patients", patientsPage{Database: "Dossiers", CanCreate: true, Rows: []patientRow{{ID: 7, Name: "Léa Dupont",
			Age: &age{N: 14, Months: true}, Mobile: "06 12 34 56 78"}, {ID: 8, Name: "Hugo Dupont", Age: &age{N: 45}}}},
			[]string{"Nouveau patient", "14 mois", "45 ans", "Âge"}},
		{"agenda", "", "Agenda", agendaPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Date: "2026-03-29", PrevLink: "/agenda?date=2026-03-28",
			NextLink: "/agenda?date=2026-03-30", TodayLink: "/agenda?date=2026-03-30", WeekLink: "/agenda/week?date=2026-03-29", CanBook: true, ReasonID: 5,
			Reason: "Consultation", Reasons: []option{{Value: 5, Label: "Consultation", Selected: true}},
			Practitioners: []option{{Value: 1, Label: "Dr Martin"}, {Value: 2, Label: "Dr Bernard"}}, Agendas: []option{{Value: 1, Label: "Dr Martin"}, {Value: 2, Label: "Salle 2"}},
			Grid: sampleGrid(t, "Europe/Paris", grid{ID: "agenda", ReasonID: 5, Reason: "Consultation", CanMove: true}, []sampleCol{
				{id: 1, name: "Dr Martin", date: "2026-03-29", offers: true, slots: []string{"09:15"}, appts: []sampleAppt{{"09:00", 15, appt}}},
				{id: 2, name: "Salle 2", date: "2026-03-29", inactive: true, closed: true}})},
			[]string{"dimanche 29 mars 2026", "Jour précédent", "Réservé", "Confirmer", "Déplacer", "Annuler", "Heures de Europe/Paris.",
				"Tous les praticiens", "Réserver Consultation avec Dr Martin à", "Fermé", "08:00 CEST"}},
		{"week", "", "Week", weekPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Monday: "2026-03-23", PrevLink: "/agenda/week?date=2026-03-16",
			NextLink: "/agenda/week?date=2026-03-30", ThisWeekLink: "/agenda/week?date=2026-03-30", AgendaID: 1, Agenda: "Dr Martin", Count: 1, CanBook: true,
			Agendas: []option{{Value: 1, Label: "Dr Martin", Selected: true}, {Value: 2, Label: "Salle 2"}}, Reasons: []option{{Value: 5, Label: "Consultation"}},
			Grid: sampleGrid(t, "Europe/Paris", grid{ID: "week", Week: true, CanMove: true}, []sampleCol{
				{id: 1, name: "Dr Martin", date: "2026-03-23"}, {id: 1, name: "Dr Martin", date: "2026-03-28", closed: true},
				{id: 1, name: "Dr Martin", date: "2026-03-29", appts: []sampleAppt{{"09:00", 15, appt}}}})},
			[]string{"23 – 29 mars 2026", "lun. 23 mars", "dim. 29 mars", "Semaine précédente", "1 réservés", "Ne pas déplacer", "faites-le glisser"}},
		{"book", "", "Book an appointment", bookPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Date: "2026-03-29", Back: "/agenda",
			Reasons: []option{{Value: 5, Label: "Consultation", Selected: true}}, Agendas: []option{{Value: 0, Label: "No preference (first free)", Selected: true}, {Value: 1, Label: "Dr Martin"}},
			Slots: []freeSlot{{Label: "09:15", Value: "x"}}, Searched: true, More: true,
			Patients: []patientChoice{{ID: 7, Name: "Léa Dupont", BirthDate: civilDate("1980-12-09")}}, Message: msgTaken, Fields: fields},
			[]string{"Sans préférence (premier libre)", "Créneaux libres le dimanche 29 mars 2026", "né(e) le 9 déc. 1980", "doit faire au plus 2000 caractères"}},
		{"book", "patient-results", "Book an appointment", bookPage{Searched: true}, []string{"Aucun patient de ce cabinet ne correspond."}},
		{"waitlist", "", "Waitlist", waitlistPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", CanWrite: true,
			Entries: []waitlistEntryRow{{ID: 4, PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation", From: "2026-03-29", To: "2026-04-26",
				Days: weekdayNames(1<<time.Monday | 1<<time.Thursday), Times: minuteSpan(8*60+30, 12*60), Added: f.stamp(start),
				AddedBy: auditText{Key: "Patient portal"}},
				{ID: 5, PatientID: 8, Patient: "Hugo Dupont", Reason: "Consultation", Practitioner: "Dr Martin", From: "2026-03-29", To: "2026-03-30",
					Days: weekdayNames(127), Added: f.stamp(start), AddedBy: auditText{Plain: "Camille Martin"}}},
			Reasons: []option{{Value: 5, Label: "Consultation", Selected: true}}, Agendas: []option{{Value: 0, Label: "Any practitioner", Selected: true}, {Value: 1, Label: "Dr Martin"}},
			From: "2026-03-29", To: "2026-04-26", Days: []dayCheck{{Value: 1, Label: "Monday", Checked: true}, {Value: 0, Label: "Sunday"}},
			Searched: true, Patients: []patientChoice{{ID: 7, Name: "Léa Dupont", Checked: true}},
			Fields: []clinic.FieldError{{Field: "to_time", Reason: "must be after the earliest time"}, {Field: "from", Reason: "must be today or later"}},
			Slots: []waitlistSlotRow{{ID: 9, When: "dim. 29 mars 2026 09:00–09:30 CEST", Practitioner: "Dr Martin", State: store.SlotTaken,
				StateLabel: slotStateLabel(store.SlotTaken), Why: slotWhy("claimed from the waitlist"), Wave: 2, AppointmentID: 3,
				Offers: []waitlistOfferRow{{PatientID: 7, Patient: "Léa Dupont", Time: "09:00", Wave: 1, Offered: f.stamp(start), Expires: f.stamp(start),
					State: store.OfferExpired, StateLabel: offerStateLabel(store.OfferExpired)},
					{PatientID: 8, Patient: "Hugo Dupont", Time: "09:00", Wave: 2, Offered: f.stamp(start), Expires: f.stamp(start),
						State: store.OfferClaimed, StateLabel: offerStateLabel(store.OfferClaimed)}}},
				{ID: 10, When: "lun. 30 mars 2026 10:00–10:15 CEST", State: store.SlotLapsed, StateLabel: slotStateLabel(store.SlotLapsed),
					Why: slotWhy("no one else on the waitlist wants this time"), Wave: 1},
				{ID: 11, When: "lun. 30 mars 2026 11:00–11:15 CEST", State: store.SlotOpen, StateLabel: slotStateLabel(store.SlotOpen)}}},
			[]string{"Liste d’attente", "2 patients en attente.", "Du 29 mars 2026 au 26 avr. 2026", "Lundi, Jeudi", "08:30–12:00",
				"N’importe quel praticien", "N’importe quel jour", "N’importe quelle heure", "Portail patient", "Retirer",
				"Inscrire un patient sur la liste d’attente", "Premier jour", "Pas avant", "Jours (aucun coché\u00a0: n’importe quel jour)",
				"doit être après l’heure au plus tôt", "doit être aujourd’hui ou plus tard",
				"Horaires libérés et leurs offres", "Pris", "Vague 2", "Un patient de la liste d’attente l’a pris.", "Ouvrir le rendez-vous",
				"Expiré", "Réservé", "Non pris", "Personne d’autre sur la liste d’attente ne veut cet horaire.", "En cours de proposition",
				"Pas encore proposé", "Horaire proposé", "Choisissez le patient"}},
		{"waitlist", "", "Waitlist", waitlistPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Message: waitlist.ErrOfferClosed.Reason},
			[]string{"Aucun patient n’est en attente dans ce cabinet.", "Aucun horaire ne s’est encore libéré pour la liste d’attente."}},
		{"waitlist", "", "Waitlist", waitlistPage{NoClinic: true}, []string{"Cette organisation n'a pas encore de cabinet."}},
		{"waitlist", "patient-results", "Waitlist", waitlistPage{Searched: true, SearchError: "Search text is not a valid e-mail address."},
			[]string{"Le texte recherché n'est pas une adresse e-mail valide."}},
		{"move", "", "Move an appointment", movePage{ID: 3, Version: 4, PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation", Agenda: "Dr Martin",
			Current: f.Locale.LongDate(start) + ", 09:00–09:15 CEST", StatusLabel: statusLabel(clinic.StatusBooked), Movable: true, Zone: "Europe/Paris",
			Date: "2026-03-29", Time: "09:00", Agendas: []option{{Value: 1, Label: "Dr Martin", Selected: true}},
			Free:    []moveFree{{AgendaID: 1, Name: "Dr Martin", Slots: []freeSlot{{Label: "10:00", Value: "x"}}}},
			Message: conflictMessage(&booking.TransitionError{From: clinic.StatusSeen, To: clinic.StatusBooked})},
			[]string{"dimanche 29 mars 2026, 09:00–09:15 CEST", "Ce rendez-vous est maintenant", "«\u00a0Vu\u00a0»"}},
		{"move", "", "Move an appointment", movePage{ID: 3, StatusLabel: statusLabel(clinic.StatusSeen)}, []string{"celui-ci est «\u00a0Vu\u00a0»"}},
		{"appointment", "", "Appointment", appointmentPage{ID: 3, PatientID: 7, Patient: "Léa Dupont", Clinic: "Cabinet du Marais", Agenda: "Dr Martin",
			Practitioner: "Dr Martin", Date: f.Locale.LongDate(start), Time: "09:00–09:15 CEST", Duration: "15 min", Reason: "Consultation", Note: "Apporter les radios",
			Status: clinic.StatusCancelled, StatusLabel: statusLabel(clinic.StatusCancelled), BookedBy: bookedByLabel(clinic.BookedByStaff),
			BookedWho: actorName{Key: "API token {0}", Name: "Accueil"}, Zone: "Europe/Paris", ShowNotes: true, NotYet: true,
			History: []apptEvent{{At: f.stamp(start), Kind: "booked", Who: actorName{Key: "The patient, online"}},
				{At: f.stamp(start), Kind: "rescheduled", From: "lun. 30 mars 09:00", Who: actorName{Name: "Camille Martin"}},
				{At: f.stamp(start), Kind: "status", StatusLabel: statusLabel(clinic.StatusConfirmed), Who: actorName{Key: "The clinical software"}},
				{At: f.stamp(start), Kind: "cancelled", Reason: splitCancelReason("The patient is unwell: fièvre"), Who: actorName{Key: "A relative, online"}}},
			Notes:   []noteRow{{ID: 9, Due: f.stamp(start), Kind: kindLabel("cancellation"), Channel: noteChannel("sms"), State: store.NotePlanned, StateLabel: stateLabel(store.NotePlanned)}},
			Actions: actionsFor(clinic.Appointment{ID: 3, Version: 4, Status: clinic.StatusCancelled}, booking.BeforeTheDay, clinic.Actor{Kind: clinic.ActorStaff, OrgID: 1, Role: clinic.RoleAdministrator}, "/appointments/3", "09:00–09:15", true)},
			[]string{"Jeton d’API Accueil", "Déplacé depuis le lun. 30 mars 09:00", "Statut passé à «\u00a0Confirmé\u00a0»", "Le patient est souffrant\u00a0: fièvre",
				"Le patient, en ligne", "Un proche, en ligne", "Le logiciel médical", "Messages sur ce rendez-vous", "s’enregistrent à partir du jour du rendez-vous"}},
		{"appointment", "", "Appointment", appointmentPage{ID: 3, StatusLabel: statusLabel(clinic.StatusBooked), BookedBy: bookedByLabel(clinic.BookedBySync), ShowNotes: true},
			[]string{"Aucune modification enregistrée", "Aucun message sur ce rendez-vous."}},
		{"appointment_cancel", "", "Cancel an appointment", func() cancelPage {
			p := cancelPage{ID: 3, Version: 2, PatientID: 7, Patient: "Léa Dupont", When: f.Locale.LongDate(start) + ", 09:00–09:15 CEST", Agenda: "Dr Martin",
				Reason: "Consultation", StatusLabel: statusLabel(clinic.StatusBooked), Back: "/appointments/3",
				Errors: notesOf(&clinic.ValidationError{Fields: []clinic.FieldError{{Field: "reason", Reason: "is required: choose why the appointment is cancelled"},
					{Field: "reason_detail", Reason: "is required with another reason: say why"}}}, cancelLabels, nil)}
			for _, c := range cancelReasons() {
				p.Reasons = append(p.Reasons, cancelChoice{Value: c.Value, Label: c.Label})
			}
			return p
		}(), []string{"Annuler un rendez-vous", "Pourquoi est-il annulé\u00a0?", "À la demande du patient", "Autre motif", "Garder le rendez-vous",
			"est obligatoire\u00a0: choisissez pourquoi le rendez-vous est annulé", "(obligatoire avec un autre motif)"}},
		{"appointment_cancel", "", "Cancel an appointment", cancelPage{ID: 3, StatusLabel: statusLabel(clinic.StatusArrived),
			Refusal: transitionMessage(&booking.TransitionError{From: clinic.StatusArrived, To: clinic.StatusCancelled, Why: booking.WhyCancelArrived})},
			[]string{"Le patient est arrivé\u00a0: ce rendez-vous ne peut plus être annulé.", "Ouvrir le rendez-vous"}},
		{"book", "", "Book an appointment", bookPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Date: "2026-03-29", Back: "/agenda", Other: true, Time: "07:30",
			Reasons: []option{{Value: 5, Label: "Consultation", Selected: true}}, Agendas: []option{{Value: 1, Label: "Dr Martin", Selected: true}},
			Confirm: &bookConfirm{Hours: &hoursPrompt{Agenda: "Dr Martin"}, SameDay: []sameDayPrompt{{Patient: "Léa Dupont", Time: "10:30", Agenda: "Dr Martin"}}, Value: "outside_hours same_day"}},
			[]string{"En dehors des horaires de Dr Martin — réserver quand même\u00a0?", "Léa Dupont a déjà un rendez-vous ce jour-là à 10:30 avec Dr Martin",
				"Réserver quand même", "Autre horaire\u00a0:"}},
		{"book", "", "Book an appointment", bookPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Date: "2026-03-29", Back: "/agenda",
			Reasons: []option{{Value: 5, Label: "Consultation", Selected: true}}, Confirm: &bookConfirm{Hours: &hoursPrompt{Agenda: "Dr Martin", OffGrid: true, Grid: 15}, Value: "outside_hours"}},
			[]string{"Hors de la grille de 15 minutes des horaires de Dr Martin"}},
		{"move", "", "Move an appointment", movePage{ID: 3, Version: 4, PatientID: 7, Patient: "Léa Dupont", StatusLabel: statusLabel(clinic.StatusBooked), Movable: true,
			Zone: "Europe/Paris", Date: "2026-03-29", Time: "07:30", Confirm: &bookConfirm{Hours: &hoursPrompt{Agenda: "Dr Martin"}, Value: "outside_hours"}},
			[]string{"En dehors des horaires de Dr Martin — déplacer quand même\u00a0?", "Déplacer quand même"}},
		{"schedules", "", "Schedules", schedulesPage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris",
			Agendas: []scheduleAgenda{{ID: 1, Name: "Dr Martin", Days: []hoursDay{{Name: "Monday", Rows: []hoursRow{{Index: 0, N: 1, Start: "08:00", End: "12:00",
				StartName: "hours[Monday][0].start", EndName: "hours[Monday][0].end"}}}},
				HoursErrors: []clinic.FieldError{{Field: "hours[Monday][0].end", Reason: "overlaps 09:00–12:00 on the same day"}},
				Exceptions:  []exceptionRow{{ID: 9, Day: "2026-12-25", What: exceptionText(clinic.ScheduleException{Closed: true}), Note: "Fermeture"}}}},
			Practitioners: []schedulePractitioner{{ID: 4, Name: "Dr Martin", Absences: []absenceRow{{ID: 6, From: f.stamp(start), To: f.stamp(start.Add(time.Hour))}}}}},
			[]string{"Lundi", "ven. 25 déc. 2026", "Fermé", "chevauche 09:00–12:00 le même jour", "dim. 29 mars 2026 09:00 CEST",
				"Lundi, première plage, fin", "n’annule aucun rendez-vous"}},
		{"absences", "", "Absences", absencesPage{PractitionerID: 4, Practitioner: "Dr Martin", Zone: "Europe/Paris", Hidden: 2,
			Absences: []absenceBlock{{ID: 6, From: f.stamp(start), To: f.stamp(start.Add(time.Hour)), Affected: []affectedRow{{ID: 3, Date: f.Locale.DayDate(start),
				Time: "09:00–09:15 CEST", Agenda: "Dr Martin", PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation", Status: clinic.StatusBooked,
				StatusLabel: statusLabel(clinic.StatusBooked), Actions: actions, Notice: &noticeView{Channels: []channelNoticeView{
					{Channel: "sms", Label: channelName("sms"), Sent: true, Text: "Allowed: consent and every notification switch permit this message."},
					{Channel: "email", Label: channelName("email"), Text: "Skipped: no destination, the patient has no e-mail address."},
					{Channel: "push", Label: channelName("push"), Text: msgChannelOff}}}}}}, {ID: 8, From: "x", To: "y"}}},
			[]string{"rendez-vous réservé tombe pendant cette absence", "2 absences ultérieures ne sont pas affichées.", "Si vous l’annulez",
				"avis d’annulation", "aucun message", "ce cabinet n’envoie pas de notifications par ce canal", "Une absence n’annule aucun rendez-vous"}},
		{"exceptions", "", "Exceptions", exceptionsPage{AgendaID: 1, Agenda: "Dr Martin", Zone: "Europe/Paris", Hidden: 1, Days: []exceptionDay{
			{Day: "2026-12-25", Closed: true, Exceptions: []exceptionRow{{ID: 9, Day: "2026-12-25", What: exceptionText(clinic.ScheduleException{Closed: true, Start: 540, End: 720})}},
				Affected: []affectedRow{{ID: 3, Date: f.Locale.DayDate(start), Time: "09:00–09:15 CEST", Agenda: "Dr Martin", PatientID: 7, Patient: "Léa Dupont",
					Status: clinic.StatusBooked, StatusLabel: statusLabel(clinic.StatusBooked), Actions: actions, Notice: &noticeView{Silent: true}}}},
			{Day: "2026-12-26", Closed: true, Exceptions: []exceptionRow{{ID: 10, Day: "2026-12-26", What: "Closed"}}}}},
			[]string{"ven. 25 déc. 2026", "Fermé, ouvert de 09:00–12:00 à la place", "rendez-vous réservé se retrouve sans horaires ce jour-là",
				"Aucun rendez-vous réservé ne se retrouve sans horaires ce jour-là.", "le patient n’a pas encore été informé", "1 jour ultérieur n’est pas affiché."}},
		{"closure", "", "Check the appointments this absence falls on", closurePage{Absence: true, Subject: "Dr Martin", From: f.stamp(start),
			To: f.stamp(start.Add(time.Hour)), Zone: "Europe/Paris", Action: "/practitioners/4/absences", Back: "/schedules",
			Affected: []affectedRow{{ID: 3, Date: f.Locale.DayDate(start), Patient: "Léa Dupont", StatusLabel: statusLabel(clinic.StatusBooked)}}},
			[]string{"Vérifiez les rendez-vous pendant cette absence", "Absence pas encore enregistrée", "Enregistrer l’absence", "Revenir sans enregistrer",
				"L’enregistrer n’annule aucun rendez-vous", "Ne peut pas être annulé ici."}},
		{"closure", "", "Check the appointments this exception falls on", closurePage{Subject: "Dr Martin", Day: "2026-12-25", What: "Closed",
			Zone: "Europe/Paris", Affected: []affectedRow{{ID: 3, Patient: "Léa Dupont"}}},
			[]string{"Exception pas encore enregistrée", "ven. 25 déc. 2026", "rendez-vous réservé se retrouverait sans horaires", "Enregistrer l’exception"}},
		{"reasons", "", "Reasons", reasonsPage{Clinic: "Cabinet du Marais", CanManage: true, Rows: []reasonRow{{ID: 5, Name: "Consultation", Duration: "15 min", Buffer: "—", Online: true, Agendas: []string{"Dr Martin"}}}},
			[]string{"Nouveau motif", "Notifications désactivées", "Oui"}},
		{"reason", "", "Edit reason", reasonPage{ID: 5, Clinic: "Cabinet du Marais", Name: "Consultation", Duration: "15", Agendas: []agendaCheck{{ID: 1, Name: "Dr Martin", Inactive: true}},
			Fields: []clinic.FieldError{{Field: "duration_minutes", Reason: "must be a whole number of minutes from 5 to 720"}}},
			[]string{"Modifier le motif", "doit être un nombre entier de minutes de 5 à 720", "(inactif)"}},
		{"portal", "", "Patient portal", func() portalPage {
			p := portalForm(directory.Portal{PortalSettings: store.PortalSettings{ClinicID: 1, Slug: "cabinet-du-marais", LateFeeCents: 2500,
				LateFeeWindow: 24 * time.Hour, ButtonSize: "medium", ButtonColour: "#0b5cad"}, Clinic: clinic.Clinic{ID: 1, Name: "Cabinet du Marais",
				Rules: clinic.DefaultBookingRules()}, FeeCancelsOut: true},
				portalTyped{Settings: &portalSettingsTyped{Slug: "marais!", LateFee: "25", LateFeeHours: "24"}, Button: &portalButtonTyped{Size: "large", Colour: "#ffcc00"}},
				"https://tidings.marais.fr", 3)
			p.Fields = []clinic.FieldError{{Field: "slug", Reason: "must be 1 to 60 lower-case letters, digits and dashes, not starting or ending with a dash"},
				{Field: "late_fee_hours", Reason: "is required with a fee: how many hours before the appointment a cancellation is late"},
				{Field: "button_colour", Reason: "must be a colour such as #0b5cad"},
				{Field: "waitlist_hold_minutes", Reason: "must be a whole number of minutes from 5 to 1440"}}
			p.Sent, p.ShowSent = 2, true
			return p
		}(), []string{"Portail patient", "Adresse du portail", "Portail désactivé", "Frais d’annulation tardive", "s’annulent l’un l’autre",
			"Le délai des frais (24 heures) n’est pas plus long que le délai minimal pour annuler en ligne (24 heures)", "moins de 24 heures",
			"Envoyer (3) invitations", "2 invitations envoyées.", "Prendre un rendez-vous", "doit faire de 1 à 60 lettres minuscules",
			"est obligatoire avec des frais", "doit être une couleur",
			"non enregistré", "Grand", "Adresses e-mail en double", "Règles de réservation", "Liste d’attente",
			"Patients à qui chaque horaire libéré est proposé en même temps", "Délai laissé à chaque vague pour le prendre, en minutes", "doit être un nombre entier de minutes de 5 à 1440"}},
		{"portal", "button-preview", "Patient portal", portalForm(directory.Portal{PortalSettings: store.PortalSettings{ClinicID: 1, Slug: "marais",
			ButtonSize: "small", ButtonColour: "#0b5cad"}, Clinic: clinic.Clinic{ID: 1}}, portalTyped{}, "", 0),
			[]string{"Aperçu", "Code HTML à coller dans votre site", "Il mène à /p/marais/book"}},
		{"portal", "", "Patient portal", portalPage{NoClinic: true}, []string{"Cette organisation n'a pas encore de cabinet."}},
		{"duplicates", "", "Duplicate e-mail report", duplicatesPage{Groups: []duplicateGroup{{Email: "dupont@exemple.fr", People: []duplicatePerson{
			{Name: "Léa Dupont", BirthDate: "1980-12-01", Records: []duplicateRecord{{PatientID: 7, Database: "Logiciel"}}},
			{Name: "Hugo Dupont", Records: []duplicateRecord{{PatientID: 8, Database: "Logiciel"}, {PatientID: 9, Database: "Dossiers"}}}}}}},
			[]string{"Adresses e-mail en double", "1 adresse partagée.", "1er déc. 1980", "Dossier n° 9", "Proches", "n’est plus un doublon", "Filtrer"}},
		{"duplicates", "", "Duplicate e-mail report", duplicatesPage{Searched: true, Query: "dupont"}, []string{"Aucune adresse partagée ne correspond.", "Afficher toutes les adresses partagées"}},
		{"duplicates", "", "Duplicate e-mail report", duplicatesPage{}, []string{"Aucune adresse e-mail n’est partagée"}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", Portal: &portalState{Clinic: "Cabinet du Marais", Invited: true, CanInvite: true,
			On: true, Here: true, CanSend: true}}, []string{"Portail patient", "Invité", "Renvoyer l’invitation", "valable 72 heures"}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", Portal: &portalState{Clinic: "Cabinet du Marais", Active: true}},
			[]string{"Compte actif", "Le patient se connecte au portail"}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", Portal: &portalState{Clinic: "Cabinet du Marais", Why: account.ManagedReason, Managed: true, Here: true}},
			[]string{"Ce patient est un proche géré par le titulaire de cette adresse e-mail : invitez le titulaire", "Pas de compte sur le portail."}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", Portal: &portalState{Clinic: "Cabinet du Marais", Why: account.SharedEmailReason, Shared: true, Here: true}},
			[]string{"Ce patient partage cette adresse e-mail", "Adresses e-mail en double"}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", Portal: &portalState{Clinic: "Cabinet du Marais", Why: account.NoEmailReason, Here: true}},
			[]string{"Ce patient n’a pas d’adresse e-mail valide"}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", Portal: &portalState{Clinic: "Cabinet du Marais", CanInvite: true, Here: true, CanSettings: true}},
			[]string{"Le portail patient de ce cabinet est désactivé", "Réglages du portail patient"}},
		{"patient", "", "Patient file", patientFile{ID: 7, Name: "Léa Dupont", Portal: &portalState{Clinic: "Cabinet du Marais"}},
			[]string{"Ce cabinet n’utilise pas la base médicale de ce patient"}},
		{"error", "", page.ErrorTitle(409), page.ErrorOf(&clinic.ConflictError{Field: "portal", Reason: "the clinic's patient portal is off: switch it on before inviting patients"}),
			[]string{"le portail patient du cabinet est désactivé"}},
		{"error", "", page.ErrorTitle(422), page.ErrorOf(clinic.Invalid("email", account.ActiveReason)), []string{"E-mail", "a déjà un compte sur le portail"}},
		{"rules", "", "Booking rules", rulesForm(clinic.Clinic{ID: 1, Name: "Cabinet du Marais"}, rulesValues(clinic.DefaultBookingRules())),
			[]string{"Règles de réservation", "Toutes les 15 minutes", "Sans préférence"}},
		{"audit", "", "Audit log", frenchAuditPage(),
			[]string{"Journal d'audit", "Entrées plus anciennes", "A consulté le dossier d’un patient", "A consulté la liste des patients — 2 patients",
				"Réservation jusqu’à (jours à l’avance)", "Toutes les actions\u00a0: Rendez-vous"}},
		{"databases", "", "Clinical databases", databasesPage{Rows: []databaseRow{{ID: 1, Name: "Logiciel", Profile: profileName(clinic.ProfileGeneric), Clinics: []string{"Cabinet du Marais"}, Respect: true},
			{ID: 2, Name: "Ancien", Profile: profileName(clinic.ProfileBestPractice), Unavailable: true}}},
			[]string{"Bases médicales", "Générique", "Désactiver…", "Indisponible", "géré dans Tidings uniquement"}},
		{"database_hl7", "", "HL7 settings", hl7Page{ID: 1, Database: "Logiciel", Facility: "A|B",
			Errors: formErrors{{Control: "facility", Label: "Sending facility (MSH-4)", Reason: `must not hold the HL7 delimiters | ^ ~ \ & # or control characters`}}},
			[]string{"Réglages HL7", "Établissement émetteur (MSH-4)", "Enregistrer", "Messages reçus", "Aucun pour l’instant", "Aucun message aujourd’hui.",
				"Codes du logiciel médical", "Identifiant du praticien (AIP-3)", "Associer ce code"}},
		{"database_hl7", "", "HL7 settings", hl7Page{ID: 1, Database: "Logiciel", LastMessage: "1 avr. 2026", Today: []store.SyncCount{{Type: "SIU^S12", Applied: 2, Refused: 1}},
			Mappings:  []mappingRow{{Kind: "reason", KindLabel: "Appointment type code (SCH-7)", Code: "STD", Target: "Consultation"}},
			MapErrors: formErrors{{Control: "map-target", Label: "Agenda or reason", Reason: "must be a reason: an appointment type code maps to a reason"}}},
			[]string{"Aujourd'hui", "Appliqués", "Refusés", "Code du type de rendez-vous (SCH-7)", "doit être un motif", "Supprimer"}},
		{"quarantine", "", "Refused messages", quarantinePage{Rows: []quarantineRow{{ID: 1, Received: "1 avr. 2026", Database: "Logiciel", Type: "ADT^A04",
			ControlID: "C1", Code: 207, Reason: "MSH-4"}}, More: 1}, []string{"Messages refusés", "Retraiter", "Écarter", "Messages plus anciens"}},
		{"quarantine", "", "Refused messages", quarantinePage{}, []string{"Aucun message refusé."}},
		{"write_backs", "", "Appointments not written back", writeBacksPage{Rows: []writeBackRow{{AppointmentID: 1, PatientID: 2, Patient: "Camille Martin",
			When: "8 déc. 2026 10:00", Database: "Logiciel", Reason: "AE: no such practitioner", At: "1 déc. 2026"}}},
			[]string{"Rendez-vous non transmis", "Renvoyer", "Les rendez-vous pris, déplacés ou annulés"}},
		{"write_backs", "", "Appointments not written back", writeBacksPage{}, []string{"Tous les rendez-vous ont été transmis au logiciel médical."}},
		{"database_import", "", "Import a CSV file", importPage{ID: 1, Database: "Logiciel", Report: &importReport{DryRun: true, Kind: "patients", Total: 3,
			Created: 1, Rejected: 1, Rows: []integration.CSVResult{{Line: 3, Outcome: "rejected", Reason: "line 3, column mobile: …"}, {Line: 2, Outcome: "created"}}, More: 2}},
			[]string{"Importer un fichier CSV", "Vérifier le fichier", "Vérification\u00a0: ce que ferait l’import", "refusée", "créée", "2 autres lignes ne sont pas listées."}},
		{"database_profile", "", "Results profile", resultsProfilePage{ID: 1, Database: "Logiciel", Software: profileName(clinic.ProfileMedicalDirector), ReadsOpt: true,
			Adjusted: true, Categories: "Result", Templates: []string{"discuss"}, Rules: []resultsProfileRule{{Index: 0, Action: "Discuss", Comments: "without",
				Outcome: "template", Template: "discuss"}, {Index: 1, Outcome: "manual"}},
			Errors: formErrors{{Control: "template-0", Label: "Template", Reason: "is empty"}}},
			[]string{"Profil des résultats", "Catégories de résultats prises", "Sans commentaire", "Un modèle de résultat", "Revenir aux valeurs par défaut du logiciel", "Ajusté pour cette base"}},
		{"database_fhir", "", "FHIR settings", fhirPage{ID: 1, Database: "Logiciel", In: integration.FHIRSettingsInput{Auth: "bearer", BaseURL: "ftp://x"}, Every: "5",
			TokenSet: true, LastErr: "read Patient: HTTP 401",
			Errors: formErrors{{Control: "base-url", Label: "FHIR base URL", Reason: "must be an http or https URL, such as https://fhir.clinic.example/r4"}}},
			[]string{"Réglages FHIR", "URL de base FHIR", "Un jeton est enregistré", "Aucun pour l’instant", "Dernière erreur", "doit être une URL http ou https", "Lire toutes les (minutes)"}},
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
		// Staff accounts, profile and "My day" (ADM-1, ADM-6, ADM-7).
		{"staff", "", "Staff accounts", staffPage{Rows: []staffRow{{ID: 1, Name: "Camille Martin", Email: "camille@marais.fr",
			Role: roleLabel(clinic.RoleAdministrator), Self: true, LastSignIn: "lun. 30 mars 2026 09:00 CEST"}, {ID: 2, Email: "lea@marais.fr",
			Role: roleLabel(clinic.RolePractitioner), Disabled: true, Practitioner: "Dr Léa Dupont", Temporary: true}}},
			[]string{"Comptes du personnel", "Administrateur", "Praticien", "Désactivé", "Mot de passe provisoire", "Aucune connexion enregistrée", "Vous"}},
		{"staff_new", "", "Add a staff account", staffNewPage{Roles: roleOptions(clinic.RoleReception),
			Practitioners: []practitionerOption{{ID: 1, Name: "Dr Léa Dupont", Taken: "Léa"}, {ID: 2, Name: "Dr Paul Marchand", Selected: true}},
			Errors:        staffNotes(&clinic.ConflictError{Field: "email", Reason: "a staff account with this e-mail already exists"})},
			[]string{"Ajouter un compte", "Accueil", "compte de Léa", "un compte avec cet e-mail existe déjà", "«\u00a0Ma journée\u00a0»"}},
		{"staff_user", "", "Staff account", staffUserPage{ID: 2, Name: "Léa", Email: "lea@marais.fr", Role: roleLabel(clinic.RoleReception), Temporary: true,
			Roles: roleOptions(clinic.RoleReception), Errors: staffNotes(&clinic.ConflictError{Field: "user", Reason: "the organisation's last administrator cannot be disabled"})},
			[]string{"Gestionnaire des rendez-vous", "Désactiver le compte", "Donner un nouveau mot de passe", "le dernier administrateur"}},
		{"staff_user", "", "Staff account", staffUserPage{ID: 1, Name: "Camille", Email: "camille@marais.fr", Role: roleLabel(clinic.RoleAdministrator), Self: true, Disabled: true},
			[]string{"Vous ne pouvez pas changer votre propre rôle", "Votre profil"}},
		{"staff_password", "", "Staff account created", passwordPage{ID: 2, Name: "Léa", Email: "lea@marais.fr", Password: "abcd-efgh-jkmn-pqrs", Created: true},
			[]string{"Le compte de Léa est prêt", "n’est affiché que cette fois"}},
		{"staff_password", "", "New password", passwordPage{ID: 2, Name: "Léa", Email: "lea@marais.fr", Password: "abcd-efgh-jkmn-pqrs"},
			[]string{"Léa se connecte désormais avec ce mot de passe"}},
		{"profile", "", "Your profile", profilePage{Name: "Camille Martin", Email: "camille@marais.fr", Role: roleLabel(clinic.RoleAppointmentManager), Locale: "fr",
			Temporary: true, Errors: staffNotes(clinic.Invalid("locale", "must be en, fr, or empty to follow the browser")),
			Password: staffNotes(&clinic.ValidationError{Fields: []clinic.FieldError{{Field: "new_password", Reason: "password must be at least 12 characters long"},
				{Field: "current_password", Reason: "is not your current password"}}})},
			[]string{"Votre profil", "Nom et langue", "Langue du navigateur", "Mot de passe actuel", "au moins 12 caractères", "n’est pas votre mot de passe actuel"}},
		{"profile", "", "Your profile", profilePage{NoAccount: true}, []string{"Seul un membre du personnel connecté a un profil."}},
		{"myday", "", "My day", myDayPage{}, []string{"Ma journée", "n’est lié à aucun praticien"}},
		{"myday", "", "My day", myDayPage{Linked: true, Practitioner: "Dr Léa Dupont", Zone: "Europe/Paris", Date: "2026-03-30", Prev: "2026-03-29",
			Next: "2026-03-31", Today: "2026-03-29", ManyClinics: true, Rows: []myDayRow{{ID: 3, Time: "09:00–09:15", Clinic: "Cabinet du Marais",
				Agenda: "Dr Dupont", PatientID: 7, Patient: "Léa Dupont", Reason: "Consultation", Status: clinic.StatusBooked,
				StatusLabel: statusLabel(clinic.StatusBooked), Active: true, Actions: actions}}},
			[]string{"lundi 30 mars 2026", "Jour précédent", "Cabinet du Marais · Dr Dupont"}},
		{"myday", "", "My day", myDayPage{Linked: true, Practitioner: "Dr Léa Dupont", Zone: "Europe/Paris", Date: "2026-03-30", Today: "2026-03-30", IsToday: true},
			[]string{"Aucun rendez-vous ce jour-là."}},
		{"online", "", "Appointments booked online", onlinePage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Days: 14, Limit: 200, More: true, AlertOff: true,
			Rows: []onlineRow{{ID: 3, Booked: f.stamp(start.Add(-48 * time.Hour)), When: f.stamp(start), PatientID: 7, Patient: "Léa Dupont", Agenda: "Dr Martin",
				Reason: "Consultation", Status: clinic.StatusCancelled, StatusLabel: statusLabel(clinic.StatusCancelled), New: true}}},
			[]string{"Rendez-vous pris en ligne", "Pris le", "ces 14 derniers jours", "«\u00a0Nouveau\u00a0»", "Nouveau", "Annulé", "dim. 29 mars 2026 09:00 CEST",
				"ne prévient pas l’équipe", "seuls les 200 derniers sont listés"}},
		{"online", "", "Appointments booked online", onlinePage{Clinic: "Cabinet du Marais", Zone: "Europe/Paris", Days: 14},
			[]string{"Aucun rendez-vous n’a été pris en ligne ces 14 derniers jours."}},
		{"online", "", "Appointments booked online", onlinePage{NoClinic: true}, []string{"Rendez-vous pris en ligne"}},
		{"recalls", "", "Recalls", frenchChecklist(f, start), []string{"Relances", "Liste des actions", "1 relance demande l’intervention de l’équipe.",
			"Un résultat porte des commentaires du médecin (1)", "L’action du médecin demande l’intervention de l’équipe (0)", "Toutes les raisons",
			"Bilan lipidique", "Résultats", "3 jours", "depuis dim. 29 mars 2026 09:00 CEST", "Lancer", "Marquer comme faite", "Ignorer", "Page suivante"}},
		{"recalls", "", "Recalls", checklistPage{Clinic: "Cabinet du Marais", Why: store.WhyNoContact, Whys: whyCounts(nil, store.WhyNoContact),
			Kinds: choices(recallKinds(), recallKindLabel, "")}, []string{"Aucune relance de ce type ne demande l’intervention de l’équipe pour cette raison."}},
		{"recalls", "", "Recalls", checklistPage{Clinic: "Cabinet du Marais", Errors: notesOf(&clinic.ValidationError{Fields: []clinic.FieldError{
			{Field: "kind", Reason: "must be one of the kinds listed"}}}, checklistLabels, nil)}, []string{"doit être l’un des types proposés"}},
		{"recalls", "", "Recalls", checklistPage{NoClinic: true}, []string{"Relances"}},
		{"recall", "", "Recall", recallPage{ID: 4, PatientID: 7, Patient: "Léa Dupont", Title: "Bilan lipidique", Kind: recallKindLabel(store.SeqKindResults),
			Clinic: "Cabinet du Marais", Day: "2026-03-27", Doctor: "Dr Martin", State: store.SeqActive, StateLabel: recallStateLabel(store.SeqActive),
			Template: "Rendez-vous non urgent", TemplateKey: "non_urgent_appointment", Purpose: purposeName(consent.PurposeResult), Steps: 3,
			Started: f.stamp(start), Ends: f.stamp(start.Add(7 * 24 * time.Hour)), CreatedBy: "sync",
			Results: []resultRow{{Test: "Bilan lipidique", Performed: f.stamp(start), Doctor: "Dr Martin", Action: "Rendez-vous non urgent",
				Comments: "À revoir", State: resultStateLabel(""), Outcome: resultOutcomeLabel("template")}},
			Sent: []recallStepRow{{NotificationID: 9, Step: "1", Channel: noteChannel("sms"), Due: f.stamp(start), State: store.NoteSent, StateLabel: stateLabel(store.NoteSent)},
				{NotificationID: 10, Step: "2", Channel: noteChannel("email"), Due: f.stamp(start), State: store.NoteCancelled, StateLabel: stateLabel(store.NoteCancelled),
					Reason: "the patient booked an appointment (RES-4)"}},
			Actions: recallActions{ID: 4, What: "Léa Dupont, Bilan lipidique", Next: "/recalls/4", Start: true, Close: true}},
			[]string{"Bilan lipidique", "Envoi de ses messages en cours", "Résultats du", "27 mars 2026", "Action du médecin", "Pas encore informé", "Suit un modèle",
				"3 étapes", "Messages de résultats", "Étape", "le patient a pris rendez-vous (RES-4)", "Dernier message prévu"}},
		{"recall", "", "Recall", recallPage{ID: 4, Title: "Contrôle annuel", Kind: recallKindLabel(store.SeqKindRecall), Due: "2026-05-01", State: store.SeqUnreachable,
			StateLabel: recallStateLabel(store.SeqUnreachable), Why: recallWhyLabel(store.WhyOptedOut)},
			[]string{"Patient injoignable", "Le patient refuse tous les canaux de ses messages", "Échéance", "Aucun message prévu pour l’instant.",
				"Aucun résultat\u00a0: cette relance n’a pas été créée à partir de résultats."}},
		{"recall_summary", "", "Recalls summary", frenchSummary(), []string{"Synthèse des relances", "Rendez-vous non urgent", "En pause\u00a0: le patient a pris rendez-vous",
			"Non suivie", "Total"}},
		{"recall_summary", "", "Recalls summary", recallSummaryPage{Clinic: "Cabinet du Marais"}, []string{"Ce cabinet n’a encore aucun résultat ni relance suivis."}},
		{"recall_summary", "", "Recalls summary", recallSummaryPage{NoClinic: true}, []string{"Synthèse des relances"}},
		{"recall_templates", "", "Recall templates", recallTemplatesPage{Clinic: "Cabinet du Marais", ClinicID: 1, ResumeOnCancel: true,
			Templates: []recallTemplateRow{{Key: "discuss", Name: "Discuter des résultats", Purpose: purposeName(consent.PurposeResult), AutoStart: true, Steps: 3},
				{Key: "rappel", Name: "Contrôle", Purpose: purposeName(consent.PurposeRecall), Steps: 2, Custom: true, Updated: f.stamp(start)}}},
			[]string{"Modèles de relance", "Tout seul", "Quand l’équipe le lance", "Tel que Tidings le fournit", "Propre à l’organisation",
				"Reprendre la relance quand le rendez-vous est annulé"}},
		{"recall_template", "", "Edit recall template", frenchTemplate(f), []string{"Rappel annuel", "Étape 1", "Étape 10", "Texte en français", "Délai, en jours",
			"Étape 2, Texte en français\u00a0: est obligatoire", "Tel que Tidings le fournit"}},
		{"recall_new", "", "Create recalls", recallNewPage{Clinic: "Cabinet du Marais", Query: "dupont", Searched: true, More: true, Max: 1000, Shown: true,
			Created: 3, Skipped: 1, Patients: []patientChoice{{ID: 7, Name: "Léa Dupont", BirthDate: "1980-12-09", Checked: true}},
			Templates: []choice{{Value: "rappel", Label: "Contrôle annuel", Selected: true}},
			Errors:    notesOf(&clinic.ValidationError{Fields: []clinic.FieldError{{Field: "title", Reason: "is required"}}}, recallNewLabels, nil)},
			[]string{"Créer des relances", "3 relances créées.", "1 patient a été écarté", "Cochez les patients", "Tous les patients que la recherche trouve (1\u00a0000 au plus)",
				"Créer les relances", "Échéance"}},
		{"recall_new", "", "Create recalls", recallNewPage{Clinic: "Cabinet du Marais", Max: 1000}, []string{"Recherchez, puis cochez les patients."}},
		{"recall_new", "", "Create recalls", recallNewPage{NoClinic: true}, []string{"Créer des relances"}},
		// Secure messaging (MSG-1..MSG-6).
		{"messaging", "", "Secure messaging", messagingSettingsPage{ClinicID: 1, Clinic: "Cabinet du Marais", StaffStart: true, PortalButton: true, ButtonWaits: true,
			ListSize: 2, Professionals: []professionalChoice{{ID: 4, Name: "Dr Léa Dupont", Start: true}},
			Fields: []clinic.FieldError{{Field: "answer_list", Reason: "must list only healthcare professionals of this organisation"}}},
			[]string{"Messagerie sécurisée", "Autoriser les professionnels de santé à démarrer des conversations", "Accessible à tous les professionnels de santé",
				"Messages entrants", "Interface patient", "Non affiché : les messages entrants ne sont pas autorisés", "au plus une fois par heure"}},
		{"messaging", "", "Secure messaging", messagingSettingsPage{ClinicID: 1, Clinic: "Cabinet du Marais", ButtonShown: true}, []string{"Aucun compte", "Affiché sur le portail"}},
		{"messaging", "", "Secure messaging", messagingSettingsPage{NoClinic: true}, []string{"Messagerie sécurisée"}},
		{"messages", "", "Secure messages", &messagesPage{ClinicID: 1, Clinic: "Cabinet du Marais", Box: "unassigned", EventsURL: "/events?after=3",
			Tabs: frenchBoxTabs(), CanStart: true, CanSettings: true, Searched: true, Query: "dupont",
			Patients: []patientChoice{{ID: 7, Name: "Léa Dupont", BirthDate: "1980-12-09"}},
			Rows: []conversationRow{{ID: 3, Subject: "Résultats", PatientID: 7, Patient: "Léa Dupont", Assigned: "Dr Martin", State: store.ConversationOpen,
				StateLabel: conversationStateLabel(store.ConversationOpen), Started: startedByLabel(store.ByPatient), Last: f.stamp(start), Unread: 2},
				{ID: 4, Subject: "Ordonnance", PatientID: 7, Patient: "Léa Dupont", State: store.ConversationClosed,
					StateLabel: conversationStateLabel(store.ConversationClosed), Started: startedByLabel(store.ByClinic), Last: f.stamp(start)}}},
			[]string{"Messages sécurisés", "Non attribuées", "Les miennes", "Toutes", "Démarrée par le patient", "Transmise par un autre cabinet", "Conversation fermée",
				"2 messages non lus", "Personne", "Nouvelle conversation", "Objet", "Envoyer"}},
		{"messages", "", "Secure messages", &messagesPage{ClinicID: 1, Clinic: "Cabinet du Marais", Tabs: frenchBoxTabs(), WhyNot: messagingReasons()[2]},
			[]string{"Aucune conversation ici.", "Vous ne pouvez pas démarrer de conversation dans ce cabinet :", "liste du cabinet"}},
		{"messages", "conversation-list", "", &messagesPage{}, []string{"Aucune conversation ici."}},
		{"messages", "", "Secure messages", &messagesPage{NoClinic: true}, []string{"Messages sécurisés"}},
		{"conversation", "", "Conversation", conversationPage{ID: 3, Subject: "Résultats", PatientID: 7, Patient: "Léa Dupont", Clinic: "Cabinet du Marais",
			FromClinic: "Cabinet Bastille", State: store.ConversationOpen, StateLabel: conversationStateLabel(store.ConversationOpen),
			Started: startedByLabel(store.ByStaff), Assigned: "Dr Martin", EventsURL: "/events?after=3", LastID: 12, MaxMiB: 5,
			Messages: []messageItem{{ID: 11, Author: "Léa Dupont", By: store.ByPatient, Body: "Bonjour,\nmerci", At: f.stamp(start)},
				{ID: 12, Author: "Dr Martin", By: store.ByStaff, Body: "Voici", At: f.stamp(start), Read: true,
					Attachment: &attachmentItem{ID: 5, Name: "bilan.pdf", Type: "application/pdf", SizeKey: "{0} KB", Size: "12"}}},
			CanAnswer: true, CanAssign: true, CanClose: true, CanHandover: true, Assignees: []option{{Value: 0}, {Value: 4, Label: "Dr Martin", Selected: true}},
			Clinics: []option{{Value: 2, Label: "Cabinet Bastille"}}, Fields: []clinic.FieldError{{Field: "attachment", Reason: "is required"}}},
			[]string{"Résultats", "transmise par Cabinet Bastille", "Démarrée par le cabinet", "Lu", "12 Ko", "Écrire une réponse", "Pièce jointe", "Attribuer",
				"Fermer la conversation", "Transmettre", "Envoyer une copie", "de 5 Mio au plus"}},
		{"conversation", "", "Conversation", conversationPage{ID: 3, Subject: "Résultats", State: store.ConversationClosed,
			StateLabel: conversationStateLabel(store.ConversationClosed), Closed: true, CanClose: true},
			[]string{"Cette conversation est fermée", "Rouvrir la conversation", "Aucun message pour l’instant."}},
		{"conversation", "", "Conversation", conversationPage{ID: 3, Subject: "Résultats", State: store.ConversationOpen},
			[]string{"Vous pouvez lire cette conversation mais pas y répondre"}},
		{"conversation", "message-items", "", conversationPage{ID: 3, Messages: []messageItem{{ID: 13, By: store.ByStaff, Author: "Dr Martin", Body: "Voici"}}},
			[]string{"Dr Martin", "Voici"}},
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
				// Codes (rule ids, a forged field's name) are not words; field names are shown in words.
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

// frenchChecklist is an action checklist with one recall, in French.
func frenchChecklist(f frame, start time.Time) checklistPage {
	actor := clinic.Actor{Kind: clinic.ActorStaff, OrgID: 1, Role: clinic.RoleReception}
	return checklistPage{Clinic: "Cabinet du Marais", Whys: whyCounts(map[string]int{store.WhyComments: 1}, ""), Kinds: choices(recallKinds(), recallKindLabel, ""),
		Total: 1, CanWrite: true, Tabs: tabsFor(actor, "checklist"), Next: "/recalls?after=4&since=2026-03-29T07%3A00%3A00Z",
		Rows: []checklistRow{{ID: 4, PatientID: 7, Patient: "Léa Dupont", Title: "Bilan lipidique", Kind: recallKindLabel(store.SeqKindResults),
			Clinic: "Cabinet du Marais", Reason: store.WhyComments, Why: recallWhyLabel(store.WhyComments), Age: 3, Since: f.stamp(start), State: store.SeqManual,
			Actions: recallActionsFor(actor, 4, store.SeqManual, "Léa Dupont, Bilan lipidique", "/recalls")}}}
}

// frenchSummary is a recalls summary of two templates, in French.
func frenchSummary() recallSummaryPage {
	states := store.SequenceStates()
	rows, totals, total := summaryTable([]store.SummaryRow{{TemplateKey: "non_urgent_appointment", State: store.SeqBooked, Count: 4},
		{TemplateKey: "non_urgent_appointment", State: store.SeqSkipped, Count: 1}, {TemplateKey: "recall", State: store.SeqActive, Count: 2}},
		states, map[string]string{"non_urgent_appointment": "Rendez-vous non urgent", "recall": "Contrôle"})
	return recallSummaryPage{Clinic: "Cabinet du Marais", States: choices(states, recallStateLabel, ""), Rows: rows, Totals: totals, Total: total}
}

// frenchTemplate is the editor of a template with two steps and a refused French text.
func frenchTemplate(f frame) recallTemplatePage {
	p := recallTemplateForm(f, store.RecallTemplate{Key: "annual", Name: "Rappel annuel", Purpose: string(consent.PurposeRecall),
		Steps: []store.RecallStep{{Channel: "sms", BodyEN: "Hello {first_name}, call {clinic_phone}.", BodyFR: "Bonjour {first_name}, appelez le {clinic_phone}."},
			{Channel: "email", DelayMinutes: 14 * 24 * 60, SubjectEN: "Hello", BodyEN: "Hello {first_name}.", SubjectFR: "Bonjour"}}})
	p.Errors = recallNotesOf(&clinic.ValidationError{Fields: []clinic.FieldError{{Field: "steps[2].body_fr", Reason: "is required"}}})
	return p
}

// frenchBoxTabs are the inbox's tabs, the first current.
func frenchBoxTabs() []boxTab {
	var out []boxTab
	for i, b := range boxes() {
		out = append(out, boxTab{Value: string(b), Label: boxLabel(b), Current: i == 0})
	}
	return out
}
