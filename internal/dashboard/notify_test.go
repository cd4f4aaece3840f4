package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/web"
)

// french is the header of a request for a page in French.
var french = map[string]string{"Accept-Language": "fr"}

// sent books the fixture patient on Friday 10 April 2026 at 09:00 in Sydney and lets the
// booking confirmations go out to the outbox (no provider is configured): the SMS and the
// e-mail, sent; the 2 h reminders (SMS and e-mail), planned. It returns the appointment and
// the notifications, newest first.
func (e *env) sent() (clinic.Appointment, []store.Notification) {
	e.t.Helper()
	e.openHours()
	ctx := web.WithRequestID(context.Background(), "req-test")
	b, err := e.d.booking.Book(ctx, actorOf(e.admin), booking.Request{PatientID: e.fx.Patient.ID, ReasonID: e.fx.Reason.ID,
		AgendaID: e.fx.Agenda.ID, Start: at(e.t, 2026, 4, 10, 9, 0)}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(3 * time.Minute) // past the grace period
	d := dispatch.New(e.db, dispatch.Config{}, dispatch.Senders{SMS: &dispatch.SMS{Fallback: dispatch.Outbox{}}, Email: dispatch.Outbox{}}, nil)
	if _, err := d.Round(ctx); err != nil {
		e.t.Fatal(err)
	}
	return b.Appointment, e.notes()
}

// notes lists the organisation's notifications, newest first.
func (e *env) notes() []store.Notification {
	e.t.Helper()
	var ns []store.Notification
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		ns, err = tx.Notifications().ListNotifications(ctx, e.fx.Org.ID, store.NotificationFilter{Page: store.Page{Limit: 500}})
		return err
	})
	return ns
}

// note finds the notification of a kind on a channel.
func note(t *testing.T, ns []store.Notification, kind, channel string) store.Notification {
	t.Helper()
	i := slices.IndexFunc(ns, func(n store.Notification) bool { return n.Kind == kind && n.Channel == channel })
	if i < 0 {
		t.Fatalf("no %s by %s among %d notifications", kind, channel, len(ns))
	}
	return ns[i]
}

// settingsOf reads a clinic's sending settings and phone.
func (e *env) settingsOf(id clinic.ClinicID) (notify.Settings, string) {
	e.t.Helper()
	s, phone, err := e.d.notify.Settings(context.Background(), actorOf(e.admin), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s, phone
}

func wantNoBody(t *testing.T, res response, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(res.body, u) {
			t.Errorf("body holds %q", u)
		}
	}
}

// TestNotifyLabelsTranslated: the labels the notification pages make in Go, and the
// reasons the notification use cases give for a refused field, are in the French catalog
// (the template scan of internal/i18n cannot see them).
func TestNotifyLabelsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range append(noteStates(), store.NoteRetry) {
		texts = append(texts, stateLabel(s))
	}
	for _, k := range compose.Kinds() {
		texts = append(texts, kindLabel(string(k)))
	}
	for _, labels := range []map[string]fieldLabel{logLabels, sendingLabels, templateLabels, smsLabels} {
		for _, l := range labels {
			texts = append(texts, l.Label)
		}
	}
	texts = append(texts, smsForm(frame{}, nil, smsInput{}).Scopes[0].Label)
	// What the use cases answer to a bad form, as the pages show it.
	_, _, err = readSending(sendingInput{Offsets: "72h, 72h, 5m, soon", Grace: "x", Budget: "-1", WindowFrom: "8", WindowTo: "8"})
	bad := clinic.FieldsOf(err)
	_, err = notify.Check(notify.SettingsInput{Channels: []string{"push", "fax", "push"}, GraceSeconds: 7200, SMSBudget: -1, WindowFrom: "08:00", WindowTo: "08:00",
		ReminderOffsets: []string{"1h", "2h", "3h", "4h", "5h", "6h", "7h", "8h", "9h"}})
	bad = append(bad, clinic.FieldsOf(err)...)
	_, err = notify.Check(notify.SettingsInput{})
	bad = append(bad, clinic.FieldsOf(err)...)
	for _, in := range []notify.TemplateInput{
		{Kind: "reminder", Channel: "sms", Lang: "en", Subject: "Hi", Body: "{first_name} {{first_name}} {nope} { }"},
		{Kind: "reminder", Channel: "email", Lang: "en", Subject: "a\nb", Body: "{reply_hint} {{clinic}}"},
		{Kind: "reminder", Channel: "email", Lang: "en", Body: "\t"},
		{Kind: "reminder", Channel: "sms", Lang: "en", Body: strings.Repeat("{clinic} ", 60)},
		{Kind: "reminder", Channel: "push", Lang: "en", Subject: "T", Body: strings.Repeat("{clinic} ", 10)},
		{Kind: "nope", Channel: "sms", Lang: "en", Body: "x"}, {Kind: "reminder", Channel: "sms", Lang: "de", Body: "x"},
		{Kind: "reply_stop", Channel: "email", Lang: "en", Body: "x"},
	} {
		_, notes := previewOf(in)
		for _, n := range notes {
			bad = append(bad, clinic.FieldError{Field: n.Control, Reason: n.Reason})
		}
	}
	for _, f := range bad {
		texts = append(texts, f.Reason)
	}
	if len(bad) < 20 {
		t.Errorf("only %d reasons collected: %v", len(bad), bad)
	}
	for _, text := range texts {
		miss := false
		if got := cat.OnMissing(func(string) { miss = true }).T(i18n.French, text); miss || (got == text && text != "Page") {
			t.Errorf("no French text for %q", text)
		}
	}
}

// TestCommunicationLogPage (NOT-9): the clinic's log counts today's messages by state and the
// month's SMS, lists them with their patient, kind, channel, state and provider id in the
// clinic's zone, filters them, and audits the patients it lists.
func TestCommunicationLogPage(t *testing.T) {
	e := newEnv(t)
	_, ns := e.sent()
	sms := note(t, ns, string(compose.KindConfirmation), "sms")
	reminder := note(t, ns, "reminder", "sms")
	p := e.fx.Patient
	res := e.do(request{method: http.MethodGet, path: "/notifications", actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Due today", `<li data-state="sent"><span class="badge note-sent">Sent</span> <strong>2</strong>`,
		"SMS this month: 1 segment (no monthly budget).", fmt.Sprintf(`<tr data-notification-id="%d">`, sms.ID),
		fmt.Sprintf(`href="/notifications/%d">Tue 7 Apr 2026 10:02 AEST</a>`, sms.ID), // due in the clinic's zone
		fmt.Sprintf(`class="patient-link" href="/patients/%d">Grace Hopper</a>`, p.ID), "Booking confirmation", "Reminder", "E-mail",
		"<code>"+sms.ProviderID+"</code>", fmt.Sprintf(`href="/notifications/%d">Fri 10 Apr 2026 07:00 AEST</a>`, reminder.ID),
		`aria-current="page" data-testid="nav-notifications"`)
	checkNoPatientDataInURLs(t, res, p)
	checkCSP(t, res.body)
	if !e.hasAudit(fmt.Sprintf("notification.list %d", p.ID)) {
		t.Errorf("the log is not audited: %v", e.auditRows(e.fx.Org.ID))
	}

	// Filters: state, channel and due days in the clinic's zone (the last day included).
	for _, tc := range []struct {
		query string
		shown []int64
	}{
		{"?state=sent", []int64{sms.ID, note(t, ns, "confirmation", "email").ID}},
		{"?state=planned&channel=sms", []int64{reminder.ID}},
		{"?from=2026-04-10&to=2026-04-10", []int64{reminder.ID, note(t, ns, "reminder", "email").ID}},
		{"?to=2026-04-07&channel=email", []int64{note(t, ns, "confirmation", "email").ID}},
		{"?from=2026-04-11", nil},
	} {
		res := e.do(request{method: http.MethodGet, path: "/notifications" + tc.query, actor: actorOf(e.recep)})
		var got []int64
		for _, m := range regexp.MustCompile(`<tr data-notification-id="(\d+)">`).FindAllStringSubmatch(res.body, -1) {
			var id int64
			fmt.Sscan(m[1], &id)
			got = append(got, id)
		}
		slices.Sort(got)
		slices.Sort(tc.shown)
		if !slices.Equal(got, tc.shown) {
			t.Errorf("%s shows %v, want %v", tc.query, got, tc.shown)
		}
	}

	// A bad filter is named by its label, in the reader's language.
	res = e.do(request{method: http.MethodGet, path: "/notifications?state=lost&from=2026-04-10&to=2026-04-09&after=x", actor: actorOf(e.recep)})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad filter: status %d", res.status)
	}
	wantBody(t, res, `<a href="#state">State</a>: must be one of the states listed`, `<a href="#to">To day</a>: must be the first day or a later one`,
		`id="state" name="state" aria-invalid="true" aria-describedby="state-error"`, `<div class="field-error" id="to-error">`, "Page: must be a positive whole number")
	res = e.do(request{method: http.MethodGet, path: "/notifications?state=lost", actor: actorOf(e.recep), header: french})
	wantBody(t, res, "État</a>\u00a0: doit être l’un des états proposés", "Prévus aujourd’hui")

	// The budget: 80 % used warns.
	if _, err := e.d.notify.SetSettings(context.Background(), actorOf(e.admin), e.fx.Clinic.ID, notify.SettingsInput{Channels: []string{"sms", "email"},
		ReminderOffsets: []string{"2h"}, GraceSeconds: 120, WindowFrom: "08:00", WindowTo: "20:00", SMSBudget: 1}); err != nil {
		t.Fatal(err)
	}
	res = e.do(request{method: http.MethodGet, path: "/notifications", actor: actorOf(e.recep)})
	wantBody(t, res, "SMS this month: 1 of 1 segments (100%).", `id="budget-alert"`)
}

// TestCommunicationLogPages: 50 a page, the next page continuing below the last id shown and
// keeping the filter.
func TestCommunicationLogPages(t *testing.T) {
	e := newEnv(t)
	var ids []int64
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		var ns []store.Notification
		for i := range logPageSize + 1 {
			ns = append(ns, store.Notification{ClinicID: e.fx.Clinic.ID, PatientID: e.fx.Patient.ID, Kind: "reminder", Purpose: "reminder",
				Channel: "sms", Offset: "2h", Due: testNow.Add(time.Duration(i) * time.Hour)})
		}
		ids, err = tx.Notifications().PlanNotifications(ctx, e.fx.Org.ID, ns)
		return err
	})
	res := e.do(request{method: http.MethodGet, path: "/notifications?channel=sms", actor: actorOf(e.admin)})
	if n := strings.Count(res.body, "<tr data-notification-id="); n != logPageSize {
		t.Errorf("first page shows %d, want %d", n, logPageSize)
	}
	next := fmt.Sprintf(`href="/notifications?after=%d&amp;channel=sms"`, ids[1])
	if !strings.Contains(res.body, next) {
		t.Fatalf("first page lacks %s", next)
	}
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/notifications?after=%d&channel=sms", ids[1]), actor: actorOf(e.admin)})
	if n := strings.Count(res.body, "<tr data-notification-id="); n != 1 || strings.Contains(res.body, "Older messages") {
		t.Errorf("last page shows %d (want 1) or an older link", n)
	}
}

// TestNotificationPage: one notification with its history, the consent decision in plain
// words with its trace, and the text sent; another organisation's is not found.
func TestNotificationPage(t *testing.T) {
	e := newEnv(t)
	_, ns := e.sent()
	sms := note(t, ns, "confirmation", "sms")
	path := fmt.Sprintf("/notifications/%d", sms.ID)
	res := e.do(request{method: http.MethodGet, path: path, actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "<h1>Booking confirmation <span class=\"sub\">SMS</span></h1>", `data-testid="state">In the outbox (not delivered)</span>`,
		"This message went to the outbox", "Fri 10 Apr 2026 09:00 AEST", "&#43;61412345678", `<code data-testid="provider-id">`+sms.ProviderID+`</code>`,
		`<pre class="message-text" data-testid="body">Grace, you&#39;re booked with Dr Ada Lovelace`, `data-testid="events"`,
		`<span class="badge note-sent">Sent</span></td>`, `data-testid="decision-log"`, "Allowed: consent and every notification switch permit this message.",
		"<code>CON-5 agenda_switch pass: channel=sms agenda_on=true booked_by=staff</code>",
		"Booking notices", fmt.Sprintf(`class="patient-link" href="/patients/%d">Grace Hopper</a>`, e.fx.Patient.ID))
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("notification.read %d", e.fx.Patient.ID)) {
		t.Error("the read is not audited")
	}
	fr := e.do(request{method: http.MethodGet, path: path, actor: actorOf(e.recep), header: french})
	wantBody(t, fr, "Confirmation de réservation", "Historique", "Autorisé\u00a0:")

	// Planned: no text yet, no decision yet.
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/notifications/%d", note(t, ns, "reminder", "sms").ID), actor: actorOf(e.recep)})
	wantBody(t, res, "Not written yet", "Not decided yet", "(2h before)")

	other := storetest.Seed(t, e.db, "other")
	var theirs []int64
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		theirs, err = tx.Notifications().PlanNotifications(ctx, other.Org.ID, []store.Notification{{ClinicID: other.Clinic.ID, PatientID: other.Patient.ID,
			Kind: "reminder", Purpose: "reminder", Channel: "sms", Due: testNow}})
		return err
	})
	for _, p := range []string{fmt.Sprintf("/notifications/%d", theirs[0]), "/notifications/999999", "/notifications/x"} {
		res := e.do(request{method: http.MethodGet, path: p, actor: actorOf(e.admin)})
		if res.status != http.StatusNotFound || strings.Contains(res.body, "Hopper") {
			t.Errorf("%s: status %d, want 404 without patient data", p, res.status)
		}
	}
}

// TestOutboxPage: what the outbox "sent", newest first, with the full text, and the plain
// statement that no patient received it.
func TestOutboxPage(t *testing.T) {
	e := newEnv(t)
	_, ns := e.sent()
	email := note(t, ns, "confirmation", "email")
	res := e.do(request{method: http.MethodGet, path: "/outbox", actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "These messages were not delivered to patients", "grace@example.com", "Your appointment on Friday 10 April at 9:00am",
		"Hello Grace,\n\nYour appointment with Dr Ada Lovelace", "&#43;61412345678", "1 segment", fmt.Sprintf(`href="/notifications/%d"`, email.ID))
	wantNoBody(t, res, "Reminder") // planned, not sent
	if strings.Index(res.body, fmt.Sprintf(`data-notification-id="%d"`, email.ID)) > strings.Index(res.body, fmt.Sprintf(`data-notification-id="%d"`, email.ID-1)) {
		t.Error("the outbox is not newest first")
	}
	checkCSP(t, res.body)
	fr := e.do(request{method: http.MethodGet, path: "/outbox", actor: actorOf(e.recep), header: french})
	wantBody(t, fr, "Boîte d’envoi", "n’ont pas été remis aux patients")
}

// TestInboxPage (NOT-10): inbound SMS with their patient and appointment, the text escaped,
// handled replies dimmed, the unread count in the navigation, and "mark read".
func TestInboxPage(t *testing.T) {
	e := newEnv(t)
	a, _ := e.sent()
	var staff, handled int64
	e.update(func(ctx context.Context, tx *store.Tx) error {
		for _, m := range []store.InboxMessage{
			{ClinicID: e.fx.Clinic.ID, PatientID: e.fx.Patient.ID, AppointmentID: a.ID, ProviderID: "SM1", From: "+61412345678", Body: "C", Why: "handled: appointment confirmed"},
			{ClinicID: e.fx.Clinic.ID, PatientID: e.fx.Patient.ID, AppointmentID: a.ID, ProviderID: "SM2", From: "+61412345678", Body: "<b>late</b> by 10 min", Why: "a reply for staff"},
			{ProviderID: "SM3", From: "+61499999999", Body: "who is this?", Why: "a reply for staff"},
		} {
			if _, err := tx.Notifications().AddInbox(ctx, e.fx.Org.ID, m); err != nil {
				return err
			}
		}
		return nil
	})
	var ms []store.InboxMessage
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		ms, err = tx.Notifications().Inbox(ctx, e.fx.Org.ID, 0, store.Page{})
		return err
	})
	for _, m := range ms {
		switch m.ProviderID {
		case "SM1":
			handled = m.ID
		case "SM2":
			staff = m.ID
		}
	}
	res := e.do(request{method: http.MethodGet, path: "/inbox", actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, fmt.Sprintf(`<tr data-inbox-id="%d" class="dimmed">`, handled), fmt.Sprintf(`<tr data-inbox-id="%d" class="unread">`, staff),
		"&lt;b&gt;late&lt;/b&gt; by 10 min", "handled: appointment confirmed", "a reply for staff", "Unknown number",
		`<a href="/agenda?date=2026-04-10">Fri 10 Apr 2026 09:00 AEST</a>`, fmt.Sprintf(`class="patient-link" href="/patients/%d">Grace Hopper</a>`, e.fx.Patient.ID),
		`<span class="nav-badge" data-testid="unread" aria-hidden="true">3</span>`, "3 unread messages", `name="next" value="/inbox"`)
	wantNoBody(t, res, "<b>late</b>")
	checkCSP(t, res.body)
	if !e.hasAudit(fmt.Sprintf("sms_inbox.read %d", e.fx.Patient.ID)) {
		t.Error("the inbox is not audited")
	}

	wantRedirect(t, e.do(request{method: http.MethodPost, path: "/inbox/read", actor: actorOf(e.recep),
		form: url.Values{"id": {fmt.Sprint(staff)}, "next": {"/inbox"}}}), "/inbox?done=inbox-read")
	res = e.do(request{method: http.MethodGet, path: "/patients", actor: actorOf(e.recep)})
	wantBody(t, res, `data-testid="unread" aria-hidden="true">2</span>`)
	res = e.do(request{method: http.MethodGet, path: "/inbox?done=inbox-read", actor: actorOf(e.recep)})
	wantBody(t, res, "Marked as read.")
	if strings.Contains(res.body, fmt.Sprintf(`<tr data-inbox-id="%d" class="unread">`, staff)) {
		t.Error("the message read is still unread")
	}
	for _, form := range []url.Values{{}, {"id": {"x"}}} {
		if res := e.do(request{method: http.MethodPost, path: "/inbox/read", actor: actorOf(e.recep), form: form}); res.status != http.StatusUnprocessableEntity {
			t.Errorf("mark read %v: status %d, want 422", form, res.status)
		}
	}
	fr := e.do(request{method: http.MethodGet, path: "/inbox", actor: actorOf(e.recep), header: french})
	wantBody(t, fr, "Boîte de réception", "une réponse pour l’équipe", "traité\u00a0: rendez-vous confirmé")
}

// TestSendingSettingsPage: administrators read and save the clinic's sending settings; a
// refused form names each field by its label, beside the field; reception may not.
func TestSendingSettingsPage(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	res := e.do(request{method: http.MethodGet, path: "/settings/notifications", actor: admin})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="channel-sms" name="channel" value="sms" checked`, `id="channel-push" name="channel" value="push">`,
		`name="reminder_offsets" type="text" value="72h, 2h"`, `value="120"`, `name="window_from" type="time" value="08:00"`,
		`name="window_to" type="time" value="20:00"`, `name="remind_confirmed" value="on" checked`, "These are the default settings",
		"1d@10:00 is the day before at 10:00", `aria-current="page" data-testid="nav-sending"`)
	checkCSP(t, res.body)

	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "channel": {"sms", "push"}, "reminder_offsets": {" 48h , 1d@18:30,90m"},
		"grace_seconds": {"60"}, "window_from": {"09:00"}, "window_to": {"19:30"}, "sms_budget": {"500"}, "ask_reply": {"on"}, "phone": {"02 9999 0000"}}
	wantRedirect(t, e.do(request{method: http.MethodPost, path: "/settings/notifications", actor: admin, form: form}),
		"/settings/notifications?done=sending-saved")
	s, phone := e.settingsOf(e.fx.Clinic.ID)
	var offs []string
	for _, o := range s.Offsets {
		offs = append(offs, o.String())
	}
	if got := fmt.Sprintln(s.Channels, offs, s.Grace, s.Window.String(), s.SMSBudget, s.RemindConfirmed, s.AskReply, phone); got !=
		"[sms push] [48h 1d@18:30 1h30m] 1m0s 09:00-19:30 500 false true +61299990000\n" {
		t.Errorf("saved %s", got)
	}
	res = e.do(request{method: http.MethodGet, path: "/settings/notifications?done=sending-saved", actor: admin})
	wantBody(t, res, "Sending settings saved.", `value="48h, 1d@18:30, 1h30m"`, `value="09:00"`)
	wantNoBody(t, res, "These are the default settings")

	// Any hour: 00:00 to 24:00, which a time input cannot write.
	form.Set("any_hour", "on")
	wantRedirect(t, e.do(request{method: http.MethodPost, path: "/settings/notifications", actor: admin, form: form}), "/settings/notifications?done=sending-saved")
	if s, _ := e.settingsOf(e.fx.Clinic.ID); s.Window.String() != "00:00-24:00" {
		t.Errorf("any hour saved as %s", s.Window)
	}
	wantBody(t, e.do(request{method: http.MethodGet, path: "/settings/notifications", actor: admin}), `name="any_hour" value="on" checked`)

	// Refused: every field named by its label, beside its field, as typed; nothing saved.
	bad := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "reminder_offsets": {"72h, 3 days, 72h"}, "grace_seconds": {"two minutes"},
		"window_from": {"08:00"}, "window_to": {"08:00"}, "sms_budget": {"-5"}, "phone": {"123"}}
	res = e.do(request{method: http.MethodPost, path: "/settings/notifications", actor: admin, form: bad})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.status)
	}
	wantBody(t, res, `<a href="#channel-sms">Channels</a>: choose at least one channel`,
		`<a href="#offsets">Reminders before the appointment</a> <code>3 days</code>: must be a time before the appointment`,
		`<a href="#offsets">Reminders before the appointment</a> <code>72h</code>: is listed twice`,
		`<a href="#grace">Grace period</a>: must be a whole number of seconds`, `<a href="#window_to">SMS until</a>: must differ from the start of the window`,
		`<a href="#budget">Monthly SMS budget</a>: must be between 0 (no limit)`, `<div class="field-error" id="grace-error">`,
		`id="grace" name="grace_seconds" type="number" min="0" max="3600" step="1" value="two minutes" aria-describedby="grace-help grace-error" aria-invalid="true"`,
		`value="72h, 3 days, 72h"`)
	wantNoBody(t, res, "<code>reminder_offsets", "grace_seconds</code>")
	if s, _ := e.settingsOf(e.fx.Clinic.ID); s.SMSBudget != 500 {
		t.Error("a refused form changed the settings")
	}
	// With whole numbers, the phone is checked too.
	bad.Set("grace_seconds", "60")
	res = e.do(request{method: http.MethodPost, path: "/settings/notifications", actor: admin, form: bad})
	wantBody(t, res, `<a href="#phone">Clinic phone number</a>: `)
	fr := e.do(request{method: http.MethodPost, path: "/settings/notifications", actor: admin, form: bad, header: french})
	wantBody(t, fr, "Rappels avant le rendez-vous</a> <code>3 days</code>\u00a0: doit être un délai avant le rendez-vous", "Budget SMS mensuel")

	// Reception may neither read nor change them.
	for _, rq := range []request{{method: http.MethodGet, path: "/settings/notifications"}, {method: http.MethodPost, path: "/settings/notifications", form: form}} {
		rq.actor = actorOf(e.recep)
		if res := e.do(rq); res.status != http.StatusForbidden {
			t.Errorf("reception %s: status %d, want 403", rq.method, res.status)
		}
	}
	// Another organisation's clinic: refused naming the field.
	other := storetest.Seed(t, e.db, "other")
	form.Set("clinic_id", fmt.Sprint(other.Clinic.ID))
	if res := e.do(request{method: http.MethodPost, path: "/settings/notifications", actor: admin, form: form}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("another organisation's clinic: status %d, want 422", res.status)
	}
	if s, _, err := e.d.notify.Settings(context.Background(), clinic.SystemActor(other.Org.ID, "test"), other.Clinic.ID); err != nil || s.Custom {
		t.Errorf("another organisation's settings changed: %+v %v", s, err)
	}
}

// TestTemplatePages (NOT-2): the list of templates, the editor with its variables and live
// preview (segments and encoding), save, reset to the default, and refusals.
func TestTemplatePages(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	res := e.do(request{method: http.MethodGet, path: "/settings/templates", actor: admin})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `<tr data-template="reminder/sms/en">`, `<tr data-template="reply_stop/sms/fr">`, `href="/settings/templates/reminder/email/fr"`, "Default")
	wantNoBody(t, res, `data-template="reply_stop/email`)

	path := "/settings/templates/reminder/sms/en"
	res = e.do(request{method: http.MethodGet, path: path, actor: admin})
	wantBody(t, res, "<h1>Reminder <span class=\"sub\">SMS · English · Main St</span></h1>", "<code>{first_name}</code>", "<code>{reply_hint}</code>",
		`data-preview="/settings/templates/reminder/sms/en/preview"`, `formaction="/settings/templates/reminder/sms/en/preview"`,
		`data-testid="preview-text">Reminder: Olivia, your appointment`, `<p data-testid="segments">1 segment (GSM-7)</p>`, "preview.js?v=")
	wantNoBody(t, res, `id="subject"`, `id="reset-template"`)
	checkCSP(t, res.body)
	email := e.do(request{method: http.MethodGet, path: "/settings/templates/reminder/email/en", actor: admin})
	wantBody(t, email, `id="subject"`, "Reminder: your appointment on {date} at {time}")
	wantNoBody(t, email, "<code>{reply_hint}</code>", `data-testid="segments"`)

	// The preview as one types: the fragment only, no layout; UCS-2 counted as such.
	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "body": {"Hi {first_name}, see you {date} at {time} – {clinic} {reply_hint}"}}
	res = e.do(request{method: http.MethodPost, path: path + "/preview", actor: admin, form: form, header: map[string]string{"HX-Request": "true"}})
	if res.status != http.StatusOK || strings.Contains(res.body, "<html") || !strings.HasPrefix(res.body, `<section class="card" id="preview"`) {
		t.Fatalf("preview fragment: status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Hi Olivia, see you Wednesday 14 October at 10:30am – Harbour Medical Reply C to confirm.", "2 segments (UCS-2)")
	// Without JavaScript: the whole editor, the text as typed and its preview.
	res = e.do(request{method: http.MethodPost, path: path + "/preview", actor: admin, form: form})
	wantBody(t, res, "<html", "Hi {first_name}, see you", "2 segments (UCS-2)")
	// A text the editor refuses: its problems instead of a preview, 422.
	bad := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "body": {"Hi {firstname}"}}
	res = e.do(request{method: http.MethodPost, path: path + "/preview", actor: admin, form: bad, header: map[string]string{"HX-Request": "true"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("bad preview: status %d", res.status)
	}
	wantBody(t, res, `data-testid="preview-errors"`, "Text: unknown variable {firstname}")

	// Save, then reset to the default.
	form.Set("body", "Hi {first_name}, see you {date} at {time}. {reply_hint}")
	wantRedirect(t, e.do(request{method: http.MethodPost, path: path, actor: admin, form: form}), "/settings/templates?done=template-saved")
	res = e.do(request{method: http.MethodGet, path: "/settings/templates?done=template-saved", actor: admin})
	wantBody(t, res, "Template saved.", `<span class="badge">Edited</span>`, "by user:")
	res = e.do(request{method: http.MethodGet, path: path, actor: admin})
	wantBody(t, res, ">Hi {first_name}, see you {date} at {time}. {reply_hint}</textarea>", `id="reset-template"`, "This clinic&#39;s own text")
	res = e.do(request{method: http.MethodPost, path: path, actor: admin, form: bad})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad save: status %d", res.status)
	}
	wantBody(t, res, `<a href="#body">Text</a>: unknown variable {firstname}`, `aria-invalid="true">Hi {firstname}</textarea>`)
	wantRedirect(t, e.do(request{method: http.MethodPost, path: path, actor: admin, form: url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)},
		"body": {"ignored"}, "reset": {"on"}}}), "/settings/templates?done=template-reset")
	views, err := e.d.notify.Templates(context.Background(), admin, e.fx.Clinic.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.Custom {
			t.Errorf("%s/%s/%s is still the clinic's own after the reset", v.Kind, v.Channel, v.Lang)
		}
	}

	// An e-mail needs a subject; French labels.
	res = e.do(request{method: http.MethodPost, path: "/settings/templates/reminder/email/fr", actor: admin, header: french,
		form: url.Values{"body": {"Bonjour {first_name}"}, "subject": {""}}})
	wantBody(t, res, `<a href="#subject">Objet</a>`, "est obligatoire")

	for _, p := range []string{"/settings/templates/reply_stop/email/en", "/settings/templates/nope/sms/en", "/settings/templates/reminder/sms/de"} {
		if res := e.do(request{method: http.MethodGet, path: p, actor: admin}); res.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, res.status)
		}
	}
	for _, rq := range []request{{method: http.MethodGet, path: "/settings/templates"}, {method: http.MethodGet, path: path},
		{method: http.MethodPost, path: path, form: form}, {method: http.MethodPost, path: path + "/preview", form: form}} {
		rq.actor = actorOf(e.recep)
		if res := e.do(rq); res.status != http.StatusForbidden {
			t.Errorf("reception %s %s: status %d, want 403", rq.method, rq.path, res.status)
		}
	}
}

// TestSMSAccountPages: administrators add, replace and delete SMS accounts; the token is
// never shown again; refused fields are named by their labels; reception may not.
func TestSMSAccountPages(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	res := e.do(request{method: http.MethodGet, path: "/settings/sms", actor: admin})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="no-account"`, "<code>/hooks/sms/status</code>", "<code>/hooks/sms/inbound</code>", "on your public URL",
		fmt.Sprintf(`<option value="%d" selected>Main St</option>`, e.fx.Clinic.ID), "The whole organisation")
	checkCSP(t, res.body)

	const token = "secret-token-5678"
	form := url.Values{"clinic_id": {"0"}, "account_sid": {"AC0123456789abcdef0123456789abcdef"}, "auth_token": {token}, "sender": {"+61400000000"}}
	wantRedirect(t, e.do(request{method: http.MethodPost, path: "/settings/sms", actor: admin, form: form}), "/settings/sms?done=sms-saved")
	res = e.do(request{method: http.MethodGet, path: "/settings/sms?done=sms-saved", actor: admin})
	wantBody(t, res, "SMS account saved.", "<code>AC0123456789abcdef0123456789abcdef</code>", "<code>…5678</code>", "<code>https://api.twilio.com</code>", "Primary")
	wantNoBody(t, res, token, `id="no-account"`)

	// Refused: the labels, and the token is not sent back.
	bad := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "failover": {"on"}, "base_url": {"http://sms.example"}, "account_sid": {"AC 1"},
		"auth_token": {"short"}, "sender": {""}}
	res = e.do(request{method: http.MethodPost, path: "/settings/sms", actor: admin, form: bad})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.status)
	}
	wantBody(t, res, `<a href="#base_url">API address</a>: must be an https:// URL`, `<a href="#account_sid">Account SID</a>: must be the account SID`,
		`<a href="#auth_token">Auth token</a>: must be the account&#39;s auth token`, `<a href="#sender">Sender</a>: must be a phone number`,
		`value="http://sms.example"`, `<option value="on" selected>Failover</option>`)
	wantNoBody(t, res, `value="short"`)
	res = e.do(request{method: http.MethodPost, path: "/settings/sms", actor: admin, form: url.Values{"clinic_id": {"x"}}})
	wantBody(t, res, `<a href="#scope">Used by</a>: must be the organisation or one of its clinics`)

	accounts, err := e.d.notify.Accounts(context.Background(), admin)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("accounts %v %v, want the one saved", accounts, err)
	}
	other := storetest.Seed(t, e.db, "other")
	var theirs store.SMSAccount
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		theirs, err = tx.Notifications().PutSMSAccount(ctx, other.Org.ID, store.SMSAccount{AccountSID: "ACother", AuthToken: "other-token", Sender: "+61400000001"})
		return err
	})
	if res := e.do(request{method: http.MethodPost, path: fmt.Sprintf("/settings/sms-accounts/%d/delete", theirs.ID), actor: admin}); res.status != http.StatusNotFound {
		t.Errorf("deleting another organisation's account: status %d, want 404", res.status)
	}
	del := request{method: http.MethodPost, path: fmt.Sprintf("/settings/sms-accounts/%d/delete", accounts[0].ID)}
	for _, rq := range []request{{method: http.MethodGet, path: "/settings/sms"}, {method: http.MethodPost, path: "/settings/sms", form: form}, del} {
		rq.actor = actorOf(e.recep)
		if res := e.do(rq); res.status != http.StatusForbidden {
			t.Errorf("reception %s %s: status %d, want 403", rq.method, rq.path, res.status)
		}
	}
	del.actor = admin
	wantRedirect(t, e.do(del), "/settings/sms?done=sms-deleted")
	if accounts, _ := e.d.notify.Accounts(context.Background(), admin); len(accounts) != 0 {
		t.Errorf("accounts after delete: %v", accounts)
	}
	if !e.hasAudit("settings.sms_account_delete 0") {
		t.Error("the delete is not audited")
	}
	fr := e.do(request{method: http.MethodPost, path: "/settings/sms", actor: admin, form: bad, header: french})
	wantBody(t, fr, "Comptes SMS", "votre URL publique", "doit être une adresse https://", "doit être le SID du compte", "doit être le jeton d’authentification",
		"doit être un numéro au format international")
}

// TestPatientFileMessages: the patient file lists the patient's messages, each linking to its
// page, and warns when e-mails to the patient's address bounced.
func TestPatientFileMessages(t *testing.T) {
	e := newEnv(t)
	_, ns := e.sent()
	path := fmt.Sprintf("/patients/%d", e.fx.Patient.ID)
	res := e.do(request{method: http.MethodGet, path: path, actor: actorOf(e.recep)})
	wantBody(t, res, `data-testid="patient-messages"`, fmt.Sprintf(`href="/notifications/%d"`, note(t, ns, "confirmation", "sms").ID),
		"Booking confirmation", `<span class="badge note-planned">Planned</span>`, "· SMS · Booking notices ·")
	wantNoBody(t, res, `data-testid="email-bounce"`)
	e.update(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Notifications().FlagEmailBounce(ctx, e.fx.Org.ID, e.fx.Patient.Email, "bounced: 550 mailbox unavailable")
		return err
	})
	res = e.do(request{method: http.MethodGet, path: path, actor: actorOf(e.recep)})
	wantBody(t, res, `<span class="badge badge-warn" data-testid="email-bounce">E-mails to this address bounced: bounced: 550 mailbox unavailable</span>`)
	fr := e.do(request{method: http.MethodGet, path: path, actor: actorOf(e.recep), header: french})
	wantBody(t, fr, "Les e-mails à cette adresse ont été rejetés", "Confirmation de réservation")
}
