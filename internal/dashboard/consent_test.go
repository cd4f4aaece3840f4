package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// frenchDecision is a recall blocked by the clinical software's opt-out read two days
// before the decision.
func frenchDecision() decide.Explanation {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	f := consent.Facts{Purpose: consent.PurposeRecall, Channel: consent.ChannelSMS, Mobile: consent.Valid,
		Switches: consent.Switches{Agenda: true, Reason: true, Patient: true},
		PMS:      consent.PMS{Respect: true, Profile: clinic.ProfileZedmed, OptedOut: true, ReadAt: now.Add(-49 * time.Hour)}}
	return decide.Explanation{Decision: consent.Decide(f), Facts: f, At: now}
}

// TestConsentLabelsTranslated: the consent pages' labels and the consent engine's keys
// (consent.Keys) are in the French catalog.
func TestConsentLabelsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	texts := consent.Keys()
	for _, c := range consent.Channels() {
		texts = append(texts, channelName(c))
	}
	for _, p := range append(consent.Purposes(), consent.PurposeAll) {
		texts = append(texts, purposeName(p))
	}
	for _, s := range consent.Sources() {
		texts = append(texts, sourceName(s))
	}
	for _, n := range consent.Notices() {
		texts = append(texts, noticeName(n))
	}
	for _, r := range []consent.Result{consent.Pass, consent.Block, consent.Skip} {
		texts = append(texts, resultName(r))
	}
	for _, p := range clinic.SoftwareProfiles() {
		texts = append(texts, profileName(p))
	}
	texts = append(texts, msgConfirmShared, "None", "All clinics", "All channels")
	for _, text := range texts {
		if !cat.Has(i18n.French, text) {
			t.Errorf("no French text for %q", text)
		}
	}
}

// TestDecisionTextInFrench: the consent engine's English sentences, arguments included, are
// translated whole by the catalog's patterns (what the explain page and the communication
// log show).
func TestDecisionTextInFrench(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	on := consent.Switches{Agenda: true, Reason: true, Patient: true}
	stop := consent.Record{Channel: consent.ChannelSMS, Purpose: consent.PurposeAll, Source: consent.SourceSMS, Actor: "system:sms", At: now.Add(-3 * time.Hour)}
	reminderOff := consent.Record{Channel: consent.ChannelEmail, Purpose: consent.PurposeReminder, Source: consent.SourceDashboard, Actor: "user:3", At: now.Add(-20 * time.Minute)}
	optIn := consent.Record{Channel: consent.ChannelSMS, Purpose: consent.PurposeReminder, OptIn: true, Source: consent.SourcePortal, Actor: "patient:9", At: now.Add(-72 * time.Hour)}
	pms := consent.PMS{Respect: true, Profile: clinic.ProfileZedmed, OptedOut: true, ReadAt: now.Add(-49 * time.Hour)}
	base := consent.Facts{Purpose: consent.PurposeReminder, Channel: consent.ChannelSMS, Mobile: consent.Valid, Email: consent.Valid,
		Switches: on, Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff, PMS: consent.PMS{Respect: true, Profile: clinic.ProfileZedmed}}
	tests := []struct {
		name string
		edit func(f *consent.Facts)
		want string
	}{
		{"allowed", func(f *consent.Facts) {}, "Autorisé\u00a0: le consentement et chaque réglage de notification permettent ce message."},
		{"opted out of all sms", func(f *consent.Facts) { f.Consents = []consent.Record{stop} },
			"Non envoyé\u00a0: le patient a refusé tous les messages par SMS via une réponse SMS (il y a 3 heures)."},
		{"opted out of e-mail reminders", func(f *consent.Facts) { f.Channel, f.Consents = consent.ChannelEmail, []consent.Record{reminderOff} },
			"Non envoyé\u00a0: le patient a refusé les rappels par e-mail via le tableau de bord (il y a 20 minutes)."},
		{"pms opt-out", func(f *consent.Facts) { f.PMS = pms },
			"Non envoyé\u00a0: le patient a refusé les messages dans le logiciel médical (lu il y a 2 jours) et cette base médicale en tient compte."},
		{"opt-in over the pms", func(f *consent.Facts) { f.PMS, f.Consents = pms, []consent.Record{optIn} },
			"Autorisé\u00a0: le patient a accepté via le portail patient (il y a 3 jours), ce qui l’emporte sur le refus enregistré dans le logiciel médical."},
		{"agenda switch", func(f *consent.Facts) { f.Switches.Agenda = false },
			"Non envoyé\u00a0: les notifications par SMS sont désactivées pour cet agenda."},
		{"not upcoming", func(f *consent.Facts) { f.Status = clinic.StatusSeen },
			"Non envoyé\u00a0: le rendez-vous n’est plus à venir (statut vu)."},
		{"no mobile", func(f *consent.Facts) { f.Mobile = consent.Missing },
			"Ignoré\u00a0: aucun destinataire, le patient n’a pas de numéro de mobile."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := base
			tc.edit(&f)
			text := consent.Decide(f).Text(now)
			got := cat.OnMissing(func(k string) { t.Errorf("no French for %q", k) }).T(i18n.French, text)
			if got != tc.want {
				t.Errorf("French of %q:\n got %q\nwant %q", text, got, tc.want)
			}
		})
	}
}

// consentEnv is the handler test environment with an appointment manager, a second clinic
// sharing the fixture's database, and a patient opted out in the clinical software with an
// upcoming appointment in each clinic.
type consentEnv struct {
	*env
	manager  clinic.User
	second   clinic.Clinic
	optedOut clinic.Patient
}

func newConsentEnv(t *testing.T) *consentEnv {
	e := &consentEnv{env: newEnv(t)}
	e.manager = e.user(clinic.RoleAppointmentManager, "mia@example.com")
	loc, _ := time.LoadLocation("Australia/Sydney")
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		if e.second, err = tx.Directory().CreateClinic(ctx, e.fx.Org.ID, clinic.Clinic{DatabaseID: e.fx.Database.ID, Slug: "second", Name: "Second St",
			Zone: "Australia/Sydney", Region: "AU"}); err != nil {
			return err
		}
		var agenda clinic.Agenda
		if agenda, err = tx.Directory().CreateAgenda(ctx, e.fx.Org.ID, clinic.Agenda{ClinicID: e.second.ID, Name: "Room 2", Active: true}); err != nil {
			return err
		}
		var reason clinic.Reason
		if reason, err = tx.Directory().CreateReason(ctx, e.fx.Org.ID, clinic.Reason{ClinicID: e.second.ID, Name: "Check-up", Duration: 15 * time.Minute,
			Notifications: true, AgendaIDs: []clinic.AgendaID{agenda.ID}}); err != nil {
			return err
		}
		readAt := testNow.Add(-48 * time.Hour) // as the last sync read the flag
		if e.optedOut, err = tx.Patients().CreatePatient(ctx, e.fx.Org.ID, clinic.Patient{DatabaseID: e.fx.Database.ID, GivenName: "Olive",
			FamilyName: "Optout", Mobile: "+61412345679", Language: "en", PMSOptOut: true, PMSOptOutReadAt: &readAt}); err != nil {
			return err
		}
		start := time.Date(2026, 4, 9, 9, 0, 0, 0, loc)
		for _, a := range []clinic.Appointment{
			{ClinicID: e.fx.Clinic.ID, AgendaID: e.fx.Agenda.ID, ReasonID: e.fx.Reason.ID},
			{ClinicID: e.second.ID, AgendaID: agenda.ID, ReasonID: reason.ID},
		} {
			a.PatientID, a.Start, a.End, a.Status, a.BookedBy = e.optedOut.ID, start, start.Add(15*time.Minute), clinic.StatusBooked, clinic.BookedByStaff
			if _, err := tx.Appointments().CreateAppointment(ctx, e.fx.Org.ID, a); err != nil {
				return err
			}
		}
		return nil
	})
	return e
}

func (e *consentEnv) database() clinic.Database {
	e.t.Helper()
	var d clinic.Database
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		d, err = tx.Directory().Database(ctx, e.fx.Org.ID, e.fx.Database.ID)
		return err
	})
	return d
}

func (e *consentEnv) patient(id clinic.PatientID) clinic.Patient {
	e.t.Helper()
	var p clinic.Patient
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		p, err = tx.Patients().Patient(ctx, e.fx.Org.ID, id)
		return err
	})
	return p
}

func (e *consentEnv) channels() []directory.AgendaChannels {
	e.t.Helper()
	rows, err := directory.New(e.db).ClinicChannels(context.Background(), actorOf(e.admin), e.fx.Clinic.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

func (e *consentEnv) records(id clinic.PatientID) []store.ConsentRecord {
	e.t.Helper()
	var rs []store.ConsentRecord
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		rs, err = tx.Consent().ConsentRecords(ctx, e.fx.Org.ID, []clinic.PatientID{id})
		return err
	})
	return rs
}

// TestDatabaseSettingSharedConfirmation: the dry run names the clinics and counts per clinic
// (CON-1, CON-2); saving without the confirmation, or with a stale one, changes nothing and
// shows the confirmation again; confirming saves; a Best Practice database shows the setting
// unavailable (CON-4).
func TestDatabaseSettingSharedConfirmation(t *testing.T) {
	e := newConsentEnv(t)
	admin := actorOf(e.admin)
	dbPath := fmt.Sprintf("/settings/databases/%d", e.fx.Database.ID)

	res := e.do(request{method: http.MethodGet, path: "/settings/databases", actor: admin})
	wantBody(t, res, `data-testid="databases-table"`, "Main St", "Second St", `data-testid="respect-value">On`, `name="respect_opt_out" value="off"`, `href="/settings/databases"`)

	res = e.do(request{method: http.MethodGet, path: dbPath + "/dry-run?respect_opt_out=off", actor: admin})
	if res.status != http.StatusOK {
		t.Fatalf("dry run: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "1 patient would start getting reminders.", "0 patients would stop getting reminders.", `id="confirm-shared"`,
		fmt.Sprintf(`<li data-clinic-id="%d">Main St`, e.fx.Clinic.ID), fmt.Sprintf(`<li data-clinic-id="%d">Second St`, e.second.ID),
		fmt.Sprintf(`class="patient-link" href="/patients/%d">Olive Optout</a>`, e.optedOut.ID), "Confirm and save for these 2 clinics", `href="/settings/databases" id="cancel-save"`)
	if !e.hasAudit(fmt.Sprintf("patient.list %d", e.optedOut.ID)) {
		t.Error("the patients the dry run named are not audited")
	}
	if !e.database().RespectOptOut {
		t.Fatal("the dry run saved the setting")
	}

	both := []string{fmt.Sprint(e.fx.Clinic.ID), fmt.Sprint(e.second.ID)}
	for name, form := range map[string]url.Values{
		"no confirmation":       {"respect_opt_out": {"off"}},
		"stale: one clinic":     {"respect_opt_out": {"off"}, "confirm_shared": {"yes"}, "clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}},
		"confirm without names": {"respect_opt_out": {"off"}, "confirm_shared": {"yes"}},
	} {
		res := e.do(request{method: http.MethodPost, path: dbPath, actor: admin, form: form})
		if res.status != http.StatusConflict {
			t.Errorf("%s: status %d, want 409", name, res.status)
		}
		wantBody(t, res, `id="confirm-error"`, "Main St", "Second St", `id="confirm-shared"`)
		if !e.database().RespectOptOut {
			t.Fatalf("%s: the setting changed", name)
		}
	}
	res = e.do(request{method: http.MethodPost, path: dbPath, actor: admin, form: url.Values{"respect_opt_out": {"maybe"}, "confirm_shared": {"yes"}, "clinic_id": both}})
	if res.status != http.StatusUnprocessableEntity || !e.database().RespectOptOut {
		t.Errorf("respect_opt_out=maybe: %d, want 422 and nothing saved", res.status)
	}
	res = e.do(request{method: http.MethodPost, path: dbPath, actor: admin, form: url.Values{"respect_opt_out": {"off"}, "confirm_shared": {"yes"}, "clinic_id": both}})
	wantRedirect(t, res, "/settings/databases?done=database-saved")
	if e.database().RespectOptOut {
		t.Error("the confirmed change was not saved")
	}
	if !e.hasAudit("database.update 0") {
		t.Error("no audit row for the change")
	}

	// Another organisation's database is not found, by every route.
	other := storetest.Seed(t, e.db, "other")
	otherPath := fmt.Sprintf("/settings/databases/%d", other.Database.ID)
	for _, rq := range []request{{method: http.MethodGet, path: otherPath + "/dry-run?respect_opt_out=off", actor: admin},
		{method: http.MethodPost, path: otherPath, actor: admin, form: url.Values{"respect_opt_out": {"off"}, "confirm_shared": {"yes"}}}} {
		if res := e.do(rq); res.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", rq.method, rq.path, res.status)
		}
	}

	// CON-4: Best Practice cannot read the flag.
	e.update(func(ctx context.Context, tx *store.Tx) error {
		d := e.database()
		d.Profile = clinic.ProfileBestPractice
		_, err := tx.Directory().UpdateDatabase(ctx, e.fx.Org.ID, d)
		return err
	})
	res = e.do(request{method: http.MethodGet, path: "/settings/databases", actor: admin})
	wantBody(t, res, `data-testid="respect-unavailable"`, "consent is managed in Tidings only")
	if strings.Contains(res.body, "/dry-run") {
		t.Error("an unavailable setting is offered")
	}
	res = e.do(request{method: http.MethodGet, path: dbPath + "/dry-run?respect_opt_out=on", actor: admin})
	wantBody(t, res, `data-testid="respect-unavailable"`)
	if strings.Contains(res.body, `id="save-database"`) {
		t.Error("the dry run of an unavailable setting offers to save")
	}
}

// TestAgendaChannelsTable: the agenda × channel table is saved at once and shown again
// (CON-5); bad cells change nothing.
func TestAgendaChannelsTable(t *testing.T) {
	e := newConsentEnv(t)
	admin := actorOf(e.admin)
	a := e.fx.Agenda.ID
	res := e.do(request{method: http.MethodGet, path: "/settings/channels", actor: admin})
	wantBody(t, res, `data-testid="channels-table"`, "Dr Lovelace", fmt.Sprintf(`value="%d:sms" data-cell="%d:sms" checked`, a, a))
	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "agenda": {fmt.Sprint(a)}, "on": {fmt.Sprintf("%d:email", a)}}
	wantRedirect(t, e.do(request{method: http.MethodPost, path: "/settings/channels", actor: admin, form: form}), "/settings/channels?done=channels-saved")
	want := []directory.AgendaChannels{{AgendaID: a, Off: []consent.Channel{consent.ChannelPush, consent.ChannelSMS}}}
	if got := e.channels(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("saved %+v, want %+v", got, want)
	}
	res = e.do(request{method: http.MethodGet, path: "/settings/channels?done=channels-saved", actor: admin})
	wantBody(t, res, "Notification channels saved.", fmt.Sprintf(`value="%d:email" data-cell="%d:email" checked`, a, a))
	if strings.Contains(res.body, fmt.Sprintf(`data-cell="%d:sms" checked`, a)) {
		t.Error("SMS is shown on after it was switched off")
	}
	for name, on := range map[string][]string{"unknown channel": {fmt.Sprintf("%d:fax", a)}, "agenda not in the table": {"999:sms"}} {
		form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "agenda": {fmt.Sprint(a)}, "on": on}
		res := e.do(request{method: http.MethodPost, path: "/settings/channels", actor: admin, form: form})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, res.status)
		}
		wantBody(t, res, `data-field="on[0]"`)
	}
	// An agenda of the other clinic is refused by the use case.
	var other clinic.AgendaID
	e.view(func(ctx context.Context, tx *store.Tx) error {
		as, err := clinicAgendas(ctx, tx, e.fx.Org.ID, e.second.ID)
		other = as[0].ID
		return err
	})
	res = e.do(request{method: http.MethodPost, path: "/settings/channels", actor: admin,
		form: url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "agenda": {fmt.Sprint(other)}}})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("another clinic's agenda: %d, want 422", res.status)
	}
	if got := e.channels(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after refused saves: %+v, want %+v", got, want)
	}
}

// TestConsentRoles: reception changes no switch; an appointment manager changes a patient's
// switch and consent but not an agenda's channels nor a database's setting (CON-5, CON-7).
func TestConsentRoles(t *testing.T) {
	e := newConsentEnv(t)
	p := e.fx.Patient
	patientPath := fmt.Sprintf("/patients/%d", p.ID)
	switchOff := request{method: http.MethodPost, path: patientPath + "/notifications", form: url.Values{"on": {"off"}}}
	consentOff := request{method: http.MethodPost, path: patientPath + "/consents", form: url.Values{"channel": {"sms"}, "purpose": {"reminder"}, "opt_in": {"off"}}}
	channelsOff := request{method: http.MethodPost, path: "/settings/channels", form: url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "agenda": {fmt.Sprint(e.fx.Agenda.ID)}}}
	databaseOff := request{method: http.MethodPost, path: fmt.Sprintf("/settings/databases/%d", e.fx.Database.ID),
		form: url.Values{"respect_opt_out": {"off"}, "confirm_shared": {"yes"}, "clinic_id": {fmt.Sprint(e.fx.Clinic.ID), fmt.Sprint(e.second.ID)}}}
	as := func(rq request, u clinic.User) request { rq.actor = actorOf(u); return rq }

	for _, rq := range []request{switchOff, consentOff, channelsOff, databaseOff} {
		if res := e.do(as(rq, e.recep)); res.status != http.StatusForbidden {
			t.Errorf("reception %s: %d, want 403", rq.path, res.status)
		}
	}
	for _, rq := range []request{channelsOff, databaseOff} {
		if res := e.do(as(rq, e.manager)); res.status != http.StatusForbidden {
			t.Errorf("appointment manager %s: %d, want 403", rq.path, res.status)
		}
	}
	if res := e.do(request{method: http.MethodGet, path: "/consent/conflicts", actor: actorOf(e.recep)}); res.status != http.StatusForbidden {
		t.Errorf("reception sees the conflicts: %d", res.status)
	}
	if got := e.patient(p.ID); got.NotificationsOff {
		t.Fatal("a refused switch changed the patient")
	}
	if len(e.records(p.ID)) != 0 || !e.database().RespectOptOut || len(e.channels()[0].Off) != 0 {
		t.Fatal("a refused change was saved")
	}

	// Reception reads the file but is offered no switch.
	res := e.do(request{method: http.MethodGet, path: patientPath, actor: actorOf(e.recep)})
	wantBody(t, res, `data-testid="patient-switch"`, `data-testid="consent-table"`, "It does not apply to appointments the patient books online themselves (CON-8).")
	if strings.Contains(res.body, `action="`+patientPath+`/notifications"`) || strings.Contains(res.body, `action="`+patientPath+`/consents"`) {
		t.Error("reception is offered the switch or the consent forms")
	}

	wantRedirect(t, e.do(as(switchOff, e.manager)), patientPath+"?done=notifications-off#notifications")
	if !e.patient(p.ID).NotificationsOff {
		t.Error("the manager's switch was not saved")
	}
	wantRedirect(t, e.do(as(consentOff, e.manager)), patientPath+"?done=consent-recorded#consent")
	rs := e.records(p.ID)
	if len(rs) != 1 || rs[0].Source != "dashboard" || rs[0].OptIn || rs[0].Actor != fmt.Sprintf("user:%d", e.manager.ID) {
		t.Errorf("records %+v, want one opt-out from the dashboard by the manager", rs)
	}
	if !e.hasAudit(fmt.Sprintf("patient.notifications %d", p.ID)) || !e.hasAudit(fmt.Sprintf("patient.consent %d", p.ID)) {
		t.Error("the changes are not audited")
	}

	// The file shows the switch, the consent that counts and the history.
	res = e.do(request{method: http.MethodGet, path: patientPath + "?done=consent-recorded", actor: actorOf(e.manager)})
	wantBody(t, res, "Consent recorded.", "Appointment reminders and booking notices are switched off for this patient.", "Switch notifications on",
		`data-consent="sms:reminder">`, "Opted out", "set by user:", "the dashboard", `data-testid="consent-history"`, `action="`+patientPath+`/explain"`)
}

// TestConsentBadInput: unknown purposes and channels are refused naming the field, another
// organisation's patient is not found, and nothing is saved.
func TestConsentBadInput(t *testing.T) {
	e := newConsentEnv(t)
	admin := actorOf(e.admin)
	p := e.fx.Patient
	other := storetest.Seed(t, e.db, "other")
	tests := []struct {
		name   string
		rq     request
		status int
		field  string
	}{
		{"unknown purpose", request{method: http.MethodPost, path: fmt.Sprintf("/patients/%d/consents", p.ID), form: url.Values{"channel": {"sms"}, "purpose": {"gossip"}, "opt_in": {"off"}}}, 422, "purpose"},
		{"unknown channel", request{method: http.MethodPost, path: fmt.Sprintf("/patients/%d/consents", p.ID), form: url.Values{"channel": {"fax"}, "purpose": {"reminder"}, "opt_in": {"off"}}}, 422, "channel"},
		{"no opt_in", request{method: http.MethodPost, path: fmt.Sprintf("/patients/%d/consents", p.ID), form: url.Values{"channel": {"sms"}, "purpose": {"reminder"}}}, 422, "opt_in"},
		{"switch without value", request{method: http.MethodPost, path: fmt.Sprintf("/patients/%d/notifications", p.ID), form: url.Values{}}, 422, "on"},
		{"explain: unknown purpose", request{method: http.MethodGet, path: fmt.Sprintf("/patients/%d/explain?purpose=gossip&channel=sms", p.ID)}, 422, "purpose"},
		{"explain: unknown channel", request{method: http.MethodGet, path: fmt.Sprintf("/patients/%d/explain?purpose=reminder&channel=fax&agenda_id=x", p.ID)}, 422, "agenda_id"},
		{"another organisation's patient: consent", request{method: http.MethodPost, path: fmt.Sprintf("/patients/%d/consents", other.Patient.ID), form: url.Values{"channel": {"sms"}, "purpose": {"reminder"}, "opt_in": {"off"}}}, 404, ""},
		{"another organisation's patient: switch", request{method: http.MethodPost, path: fmt.Sprintf("/patients/%d/notifications", other.Patient.ID), form: url.Values{"on": {"off"}}}, 404, ""},
		{"another organisation's patient: explain", request{method: http.MethodGet, path: fmt.Sprintf("/patients/%d/explain?purpose=reminder&channel=sms", other.Patient.ID)}, 404, ""},
		{"conflicts of another organisation's clinic", request{method: http.MethodGet, path: fmt.Sprintf("/consent/conflicts?clinic_id=%d", other.Clinic.ID)}, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.rq.actor = admin
			res := e.do(tc.rq)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.status, tc.status, res.body)
			}
			if tc.field != "" {
				wantBody(t, res, `data-field="`+tc.field+`"`)
			}
			if tc.status == 404 && strings.Contains(res.body, "Hopper") {
				t.Error("the error page shows patient data")
			}
		})
	}
	if len(e.records(p.ID)) != 0 || len(e.records(other.Patient.ID)) != 0 || e.patient(p.ID).NotificationsOff {
		t.Error("a refused change was saved")
	}
}

// TestExplainAndConflicts: the explain page says in words why a message would not be sent,
// with the trace; the conflicts page lists a patient whose clinical software and Tidings
// choice disagree, filterable by clinic.
func TestExplainAndConflicts(t *testing.T) {
	e := newConsentEnv(t)
	manager := actorOf(e.manager)
	o := e.optedOut
	res := e.do(request{method: http.MethodGet, path: fmt.Sprintf("/patients/%d/explain?purpose=recall&channel=sms&booked_by=staff", o.ID), actor: manager})
	if res.status != http.StatusOK {
		t.Fatalf("explain: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Would not be sent", "Not sent: the patient is opted out in the clinical software", `data-testid="trace-table"`,
		"<code>CON-1</code>", "<code>pms_opt_out</code>", "blocks", "<code>opted_out=true</code>", `<option value="recall" selected>`)
	if !e.hasAudit(fmt.Sprintf("patient.consent.explain %d", o.ID)) {
		t.Error("the explanation is not audited")
	}
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/patients/%d/explain", o.ID), actor: manager})
	wantBody(t, res, `id="explain-form"`, "Olive Optout")
	if strings.Contains(res.body, `id="decision"`) {
		t.Error("a decision is shown before anything was asked")
	}

	// Olive opts in by the dashboard: the clinical software says opted out, Tidings opted in.
	wantRedirect(t, e.do(request{method: http.MethodPost, path: fmt.Sprintf("/patients/%d/consents", o.ID), actor: manager,
		form: url.Values{"channel": {"sms"}, "purpose": {"reminder"}, "opt_in": {"on"}}}), fmt.Sprintf("/patients/%d?done=consent-recorded#consent", o.ID))
	res = e.do(request{method: http.MethodGet, path: "/consent/conflicts", actor: manager})
	wantBody(t, res, `data-testid="conflicts-table"`, fmt.Sprintf(`href="/patients/%d">Olive Optout</a>`, o.ID), "Opted out", "Opted in",
		fmt.Sprintf("set by user:%d through the dashboard", e.manager.ID), "Main St, Second St")
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/consent/conflicts?clinic_id=%d", e.second.ID), actor: manager})
	wantBody(t, res, "Olive Optout", fmt.Sprintf(`<option value="%d" selected>Second St`, e.second.ID))
	if !slices.Contains(e.auditRows(e.fx.Org.ID), fmt.Sprintf("patient.list %d", o.ID)) {
		t.Error("the conflicts list is not audited")
	}
}

// TestCommunicationLog: a decision the notification work stored is shown on the patient file
// in plain words and in the reader's language, with the rules checked (CON-9).
func TestCommunicationLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := decide.Message{PatientID: e.fx.Patient.ID, Channel: consent.ChannelSMS, Purpose: consent.PurposeReminder, Status: clinic.StatusBooked,
		BookedBy: clinic.BookedByStaff, AgendaID: e.fx.Agenda.ID, ReasonID: e.fx.Reason.ID}
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Consent().SetAgendaChannelsOff(ctx, e.fx.Org.ID, e.fx.Agenda.ID, []string{"sms"}); err != nil {
			return err
		}
		facts, err := decide.Load(ctx, tx, e.fx.Org.ID, []decide.Message{m})
		if err != nil {
			return err
		}
		return decide.LogTx(ctx, tx, e.fx.Org.ID, []decide.Decided{{Message: m, Decision: consent.Decide(facts[0])}})
	})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/patients/%d", e.fx.Patient.ID)
	en := e.do(request{method: http.MethodGet, path: path, actor: actorOf(e.recep)})
	if !strings.Contains(en.body, "Not sent: notifications by SMS are switched off for this agenda.") || !strings.Contains(en.body, "CON-5") {
		t.Errorf("English log lacks the decision or its trace:\n%s", en.body)
	}
	fr := e.do(request{method: http.MethodGet, path: path, actor: actorOf(e.recep), header: map[string]string{"Accept-Language": "fr"}})
	if strings.Contains(fr.body, "Not sent:") || !strings.Contains(fr.body, "Non envoyé") {
		t.Errorf("French log is not in French")
	}
}
