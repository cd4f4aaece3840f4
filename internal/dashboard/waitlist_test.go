package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// waitlistEntries reads back org's waitlist entries of the fixture's clinic, in every state.
func (e *env) waitlistEntries() []store.WaitlistEntry {
	e.t.Helper()
	var out []store.WaitlistEntry
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		out, err = tx.Waitlist().WaitlistEntries(ctx, e.fx.Org.ID, store.WaitlistFilter{ClinicID: e.fx.Clinic.ID}, 100)
		return err
	})
	return out
}

// TestWaitlistPage (POR-9): staff who may book put a patient on the clinic's waitlist,
// chosen by a search like the booking form's, see who waits and every offer of each freed
// time with its outcome, and take an entry off; who may only read the agenda sees the lists
// without the form; every patient shown is audited.
func TestWaitlistPage(t *testing.T) {
	e := newEnv(t)
	for route, want := range map[string]clinic.Permission{"GET /waitlist": clinic.PermReadSchedule, "POST /waitlist": clinic.PermWriteSchedule,
		"POST /waitlist/search": clinic.PermWriteSchedule, "POST /waitlist/{id}/leave": clinic.PermWriteSchedule} {
		if got := routePerm(t, e.d, route); got != want {
			t.Errorf("%s needs %s, want %s", route, got, want)
		}
	}
	p := e.fx.Patient

	// Nobody waits yet: the page says so, and offers the form with today's window.
	res := e.do(request{method: "GET", path: "/waitlist", actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="no-entries"`, `id="no-slots"`, `aria-current="page" data-testid="nav-waitlist"`, `id="waitlist-form"`,
		`name="from" value="2026-04-07"`, `name="to" value="2026-05-05"`, `name="days" value="1"`, `name="days" value="0"`,
		fmt.Sprintf(`<option value="%d">Standard consult</option>`, e.fx.Reason.ID), `<option value="0" selected>Any practitioner</option>`,
		"Search, then choose the patient.", "Australia/Sydney")
	checkCSP(t, res.body)
	if strings.Contains(res.body, "Grace") {
		t.Error("a patient is shown before any search")
	}

	// The search lists the clinic's patients, in the form body (never in a URL); htmx
	// gets the results alone. Both are audited as searches.
	form := url.Values{"q": {"hopper"}, "reason_id": {fmt.Sprint(e.fx.Reason.ID)}, "from": {"2026-04-08"}, "to": {"2026-04-30"}}
	res = e.do(request{method: "POST", path: "/waitlist/search", form: form, actor: actorOf(e.recep)})
	wantBody(t, res, fmt.Sprintf(`name="patient_id" value="%d"`, p.ID), "Grace Hopper", `name="q" type="search" value="hopper"`,
		`name="from" value="2026-04-08"`, fmt.Sprintf(`<option value="%d" selected>Standard consult</option>`, e.fx.Reason.ID))
	checkNoPatientDataInURLs(t, res, p)
	res = e.do(request{method: "POST", path: "/waitlist/search", form: form, actor: actorOf(e.recep), header: map[string]string{"HX-Request": "true"}})
	if !strings.HasPrefix(res.body, `<div id="patient-results"`) || strings.Contains(res.body, "<html") || !strings.Contains(res.body, "Grace Hopper") {
		t.Errorf("htmx search: not the results fragment\n%s", res.body)
	}
	if res.header.Get("Vary") != "HX-Request" {
		t.Errorf("Vary %q", res.header.Get("Vary"))
	}
	if !e.hasAudit(fmt.Sprintf("patient.search %d", p.ID)) {
		t.Errorf("the search is not audited: %v", e.auditRows(e.fx.Org.ID))
	}

	// Refused forms are shown again, as typed, with their fields named; nothing is saved.
	for _, tc := range []struct {
		name   string
		set    url.Values
		fields []string
	}{
		{"no patient", url.Values{"patient_id": {""}}, []string{"patient_id"}},
		{"no reason", url.Values{"reason_id": {""}}, []string{"reason_id"}},
		{"a day before today", url.Values{"from": {"2026-04-06"}}, []string{"from"}},
		{"the window upside down, times too", url.Values{"to": {"2026-04-01"}, "from_time": {"12:00"}, "to_time": {"09:00"}}, []string{"to", "to_time"}},
		{"a weekday that is not one", url.Values{"days": {"9"}}, []string{"days"}},
		{"another clinic's practitioner", url.Values{"agenda_id": {"999999"}}, []string{"agenda_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{"patient_id": {fmt.Sprint(p.ID)}, "reason_id": {fmt.Sprint(e.fx.Reason.ID)}, "from": {"2026-04-08"}, "to": {"2026-04-30"}}
			for k, v := range tc.set {
				f[k] = v
			}
			res := e.do(request{method: "POST", path: "/waitlist", form: f, actor: actorOf(e.recep)})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			for _, fl := range tc.fields {
				wantBody(t, res, `data-field="`+fl+`"`)
			}
			wantBody(t, res, `id="waitlist-form"`, `name="to" value="`+f.Get("to")+`"`)
			if n := len(e.waitlistEntries()); n != 0 {
				t.Errorf("a refused form saved %d entries", n)
			}
		})
	}

	// Putting Grace on the waitlist: Mondays and Thursdays, 08:30 to 12:00, any practitioner.
	form = url.Values{"patient_id": {fmt.Sprint(p.ID)}, "reason_id": {fmt.Sprint(e.fx.Reason.ID)}, "agenda_id": {"0"}, "from": {"2026-04-08"},
		"to": {"2026-04-30"}, "days": {"1", "4"}, "from_time": {"08:30"}, "to_time": {"12:00"}}
	wantRedirect(t, e.do(request{method: "POST", path: "/waitlist", form: form, actor: actorOf(e.recep)}), "/waitlist?done=waitlist-joined")
	entries := e.waitlistEntries()
	want := []store.WaitlistEntry{{OrgID: e.fx.Org.ID, ClinicID: e.fx.Clinic.ID, PatientID: p.ID, ReasonID: e.fx.Reason.ID, FromDate: "2026-04-08",
		ToDate: "2026-04-30", Weekdays: 1<<time.Monday | 1<<time.Thursday, FromMinute: 8*60 + 30, ToMinute: 12 * 60, State: store.EntryWaiting,
		AddedBy: fmt.Sprintf("user:%d", e.recep.ID)}}
	if d := cmp.Diff(want, entries, cmpopts.IgnoreFields(store.WaitlistEntry{}, "ID", "CreatedAt", "UpdatedAt")); d != "" {
		t.Fatalf("entries (-want +got):\n%s", d)
	}
	entry := entries[0]
	if !e.hasAudit(fmt.Sprintf("waitlist.join %d", p.ID)) {
		t.Errorf("no waitlist.join row: %v", e.auditRows(e.fx.Org.ID))
	}

	// A freed time of Dr Lovelace's, offered to Grace in a first wave that lapsed, then
	// to her again… (written by hand: the worker's rules are the waitlist's tests).
	start := time.Date(2026, 4, 9, 0, 0, 0, 0, time.UTC) // Thursday 9 April, 10:00 in Sydney
	var slot store.WaitlistSlot
	e.update(func(ctx context.Context, tx *store.Tx) error {
		if err := tx.Waitlist().FreeSlot(ctx, e.fx.Org.ID, e.fx.Clinic.ID, e.fx.Agenda.ID, start, start.Add(30*time.Minute)); err != nil {
			return err
		}
		slots, err := tx.Waitlist().WaitlistSlots(ctx, e.fx.Org.ID, e.fx.Clinic.ID, 10)
		if err != nil || len(slots) != 1 {
			return fmt.Errorf("slots %v: %w", slots, err)
		}
		slot = slots[0]
		o, err := tx.Waitlist().AddWaitlistOffer(ctx, store.WaitlistOffer{OrgID: e.fx.Org.ID, SlotID: slot.ID, EntryID: entry.ID, PatientID: p.ID,
			Start: start, Wave: 1, Code: "1234", ExpiresAt: testNow.Add(30 * time.Minute)})
		if err != nil {
			return err
		}
		if err := tx.Waitlist().DecideOffer(ctx, e.fx.Org.ID, o.ID, store.OfferExpired); err != nil {
			return err
		}
		slot.State, slot.Wave, slot.Why = store.SlotLapsed, 1, "no one else on the waitlist wants this time"
		return tx.Waitlist().UpdateWaitlistSlot(ctx, slot)
	})

	// The page lists her entry and the freed time with its offer, names her once in the
	// audit log per list read, and shows the confirmation.
	res = e.do(request{method: "GET", path: "/waitlist?done=waitlist-joined", actor: actorOf(e.recep)})
	wantBody(t, res, "Patient put on the waitlist", fmt.Sprintf(`data-entry-id="%d"`, entry.ID), fmt.Sprintf(`href="/patients/%d">Grace Hopper</a>`, p.ID),
		"Standard consult", "From 8 Apr 2026 to 30 Apr 2026", "Monday, Thursday", "08:30–12:00", "Rita Reception", "Any practitioner",
		fmt.Sprintf(`action="/waitlist/%d/leave"`, entry.ID), fmt.Sprintf(`data-slot-id="%d" data-state="lapsed"`, slot.ID),
		"Thu 9 Apr 2026 10:00–10:30 AEST · Dr Lovelace", "Not taken", "Wave 1", "No one else on the waitlist wants this time.",
		`<tr data-state="expired">`, "Expired", "Tue 7 Apr 2026 10:00 AEST", "Tue 7 Apr 2026 10:30 AEST")
	checkCSP(t, res.body)
	if n := strings.Count(strings.Join(e.auditRows(e.fx.Org.ID), "\n"), fmt.Sprintf("waitlist.read %d", p.ID)); n != 1 {
		t.Errorf("%d waitlist.read rows for Grace, want 1: %v", n, e.auditRows(e.fx.Org.ID))
	}

	// A practitioner reads the lists, without the form or the Remove buttons, and cannot
	// post either.
	var doc clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		doc, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: "doc@example.com", Name: "Dr Who", Role: clinic.RolePractitioner, PasswordHash: "x"})
		return err
	})
	res = e.do(request{method: "GET", path: "/waitlist", actor: actorOf(doc)})
	wantBody(t, res, "Grace Hopper", "Wave 1")
	if strings.Contains(res.body, `id="waitlist-form"`) || strings.Contains(res.body, "/leave") {
		t.Error("a practitioner is offered the form or the Remove buttons")
	}
	for _, path := range []string{"/waitlist", fmt.Sprintf("/waitlist/%d/leave", entry.ID)} {
		if res := e.do(request{method: "POST", path: path, form: form, actor: actorOf(doc)}); res.status != http.StatusForbidden {
			t.Errorf("practitioner POST %s: %d, want 403", path, res.status)
		}
	}

	// The patient file links to the page with her preselected.
	res = e.do(request{method: "GET", path: fmt.Sprintf("/patients/%d", p.ID), actor: actorOf(e.recep)})
	wantBody(t, res, fmt.Sprintf(`href="/waitlist?patient_id=%d#add" id="waitlist-patient"`, p.ID))
	res = e.do(request{method: "GET", path: fmt.Sprintf("/waitlist?patient_id=%d", p.ID), actor: actorOf(e.recep)})
	wantBody(t, res, fmt.Sprintf(`name="patient_id" value="%d" checked`, p.ID))

	// Another organisation's entry is not found; removing Grace's takes her off, once.
	other := storetest.Seed(t, e.db, "other")
	var foreign store.WaitlistEntry
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		foreign, err = tx.Waitlist().AddWaitlistEntry(ctx, store.WaitlistEntry{OrgID: other.Org.ID, ClinicID: other.Clinic.ID, PatientID: other.Patient.ID,
			ReasonID: other.Reason.ID, FromDate: "2026-04-08", ToDate: "2026-04-30", Weekdays: 127, ToMinute: 24 * 60, AddedBy: "user:1"})
		return err
	})
	if res := e.do(request{method: "POST", path: fmt.Sprintf("/waitlist/%d/leave", foreign.ID), form: url.Values{}, actor: actorOf(e.recep)}); res.status != http.StatusNotFound {
		t.Errorf("another organisation's entry: %d, want 404", res.status)
	}
	leave := fmt.Sprintf("/waitlist/%d/leave", entry.ID)
	wantRedirect(t, e.do(request{method: "POST", path: leave, form: url.Values{}, actor: actorOf(e.recep)}), "/waitlist?done=waitlist-left")
	if got := e.waitlistEntries(); len(got) != 1 || got[0].State != store.EntryLeft {
		t.Errorf("after Remove: %+v", got)
	}
	if !e.hasAudit(fmt.Sprintf("waitlist.leave %d", p.ID)) {
		t.Errorf("no waitlist.leave row: %v", e.auditRows(e.fx.Org.ID))
	}
	res = e.do(request{method: "POST", path: leave, form: url.Values{}, actor: actorOf(e.recep)})
	if res.status != http.StatusConflict || !strings.Contains(res.body, "this entry is no longer waiting") {
		t.Errorf("removing twice: %d\n%s", res.status, res.body)
	}
	res = e.do(request{method: "GET", path: "/waitlist?done=waitlist-left", actor: actorOf(e.recep)})
	wantBody(t, res, "Patient taken off the waitlist.", `id="no-entries"`, "Grace Hopper") // still named by her offer
}

// TestWaitlistLabels: every state and reason the waitlist page shows has French words.
func TestWaitlistLabels(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range []string{store.SlotOpen, store.SlotTaken, store.SlotLapsed} {
		texts = append(texts, slotStateLabel(s))
	}
	for _, s := range []string{store.OfferOffered, store.OfferClaimed, store.OfferTaken, store.OfferExpired, store.OfferWithdrawn} {
		texts = append(texts, offerStateLabel(s))
	}
	for _, why := range []string{"claimed from the waitlist", "the time was booked otherwise", "the time came too close to offer",
		"no one else on the waitlist wants this time"} {
		w := slotWhy(why)
		if w.Key == "" {
			t.Errorf("%q has no words", why)
		}
		texts = append(texts, w.Key)
	}
	for _, o := range []clinic.OnlineFor{clinic.OnlineForAll, clinic.OnlineForExisting, clinic.OnlineForNew} {
		texts = append(texts, onlineForLabel(o))
	}
	for _, text := range texts {
		if !cat.Has(i18n.French, text) {
			t.Errorf("no French for %q", text)
		}
	}
	if got := weekdayNames(127); got != nil {
		t.Errorf("every day: %v, want none listed", got)
	}
	if got, want := weekdayNames(1<<time.Sunday|1<<time.Monday), []string{"Monday", "Sunday"}; !cmp.Equal(got, want) {
		t.Errorf("Sunday and Monday: %v, want %v", got, want)
	}
	for _, tc := range []struct {
		from, to int
		want     string
	}{{0, 1440, ""}, {510, 720, "08:30–12:00"}, {0, 720, "00:00–12:00"}, {780, 1440, "13:00–24:00"}} {
		if got := minuteSpan(tc.from, tc.to); got != tc.want {
			t.Errorf("minuteSpan(%d, %d) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestPortalWaitlistSettings: the portal page saves the waitlist's wave and hold, shows
// them, and refuses values out of bounds on their fields; a form without them keeps them.
func TestPortalWaitlistSettings(t *testing.T) {
	e := newEnv(t)
	res := e.do(request{method: "GET", path: "/settings/portal", actor: actorOf(e.admin)})
	wantBody(t, res, `name="waitlist_wave" type="number" min="1" max="50" step="1" value="3"`,
		`name="waitlist_hold_minutes" type="number" min="5" max="1440" step="1" value="30"`, "Patients offered each freed time at once")
	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "part": {"settings"}, "enabled": {"on"}, "online_booking": {"on"}, "slug": {"acme-main"},
		"late_fee": {"0"}, "late_fee_hours": {"0"}, "waitlist_wave": {" 5 "}, "waitlist_hold_minutes": {"45"}}
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal", form: form, actor: actorOf(e.admin)}), "/settings/portal?done=portal-saved")
	if s := e.portalSettings(); s.WaitlistWave != 5 || s.WaitlistHoldMinutes != 45 {
		t.Errorf("saved wave %d, hold %d; want 5, 45", s.WaitlistWave, s.WaitlistHoldMinutes)
	}
	for _, tc := range []struct{ field, value string }{{"waitlist_wave", "0"}, {"waitlist_wave", "51"}, {"waitlist_hold_minutes", "4"},
		{"waitlist_hold_minutes", "1441"}, {"waitlist_hold_minutes", "half an hour"}} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(tc.field, tc.value)
		res := e.do(request{method: "POST", path: "/settings/portal", form: f, actor: actorOf(e.admin)})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %q: %d, want 422", tc.field, tc.value, res.status)
			continue
		}
		wantBody(t, res, `data-field="`+tc.field+`"`, `name="`+tc.field+`" type="number"`, `value="`+tc.value+`" required aria-invalid="true"`)
	}
	form.Del("waitlist_wave")
	form.Del("waitlist_hold_minutes")
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/portal", form: form, actor: actorOf(e.admin)}), "/settings/portal?done=portal-saved")
	if s := e.portalSettings(); s.WaitlistWave != 5 || s.WaitlistHoldMinutes != 45 {
		t.Errorf("a form without them changed them: wave %d, hold %d", s.WaitlistWave, s.WaitlistHoldMinutes)
	}
}
