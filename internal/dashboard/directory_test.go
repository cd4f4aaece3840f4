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
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

func (e *env) reason(id clinic.ReasonID) clinic.Reason {
	e.t.Helper()
	var x clinic.Reason
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		x, err = tx.Directory().Reason(ctx, e.fx.Org.ID, id)
		return err
	})
	return x
}

func TestReasons(t *testing.T) {
	e := newEnv(t)
	var room clinic.Agenda
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		room, err = tx.Directory().CreateAgenda(ctx, e.fx.Org.ID, clinic.Agenda{ClinicID: e.fx.Clinic.ID, Name: "Treatment room", Active: true})
		return err
	})
	for route, want := range map[string]clinic.Permission{"GET /reasons": clinic.PermReadDirectory, "GET /reasons/new": clinic.PermManageDirectory,
		"POST /reasons": clinic.PermManageDirectory, "GET /reasons/{id}/edit": clinic.PermManageDirectory, "POST /reasons/{id}": clinic.PermManageDirectory} {
		if got := routePerm(t, e.d, route); got != want {
			t.Errorf("%s needs %s, want %s", route, got, want)
		}
	}

	// Everyone reads the list; only an administrator gets the edit links.
	res := e.do(request{method: "GET", path: "/reasons", actor: actorOf(e.recep)})
	if res.status != http.StatusOK {
		t.Fatalf("list: %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Standard consult", "15 min", "Dr Lovelace", `aria-current="page"`)
	if strings.Contains(res.body, "/edit") || strings.Contains(res.body, `href="/reasons/new"`) {
		t.Error("reception sees edit links")
	}
	res = e.do(request{method: "GET", path: "/reasons", actor: actorOf(e.admin)})
	wantBody(t, res, fmt.Sprintf(`href="/reasons/%d/edit"`, e.fx.Reason.ID), `href="/reasons/new"`)

	path := fmt.Sprintf("/reasons/%d", e.fx.Reason.ID)
	res = e.do(request{method: "GET", path: path + "/edit", actor: actorOf(e.admin)})
	wantBody(t, res, `value="Standard consult"`, `name="duration_minutes" type="number" min="5" max="720" step="1" value="15"`,
		fmt.Sprintf(`name="agenda_id" value="%d" checked`, e.fx.Agenda.ID), fmt.Sprintf(`name="agenda_id" value="%d">`, room.ID),
		`name="notifications" value="on" checked`, `name="online_for"`, `<option value="all" selected>Every patient</option>`)
	checkCSP(t, res.body)

	// Saving changes what the reason is and which agendas offer it.
	form := url.Values{"name": {" Long consult "}, "duration_minutes": {"30"}, "buffer_after_minutes": {"5"}, "online_bookable": {"on"},
		"agenda_id": {fmt.Sprint(room.ID), fmt.Sprint(e.fx.Agenda.ID)}}
	wantRedirect(t, e.do(request{method: "POST", path: path, form: form, actor: actorOf(e.admin)}), "/reasons?done=reason-saved")
	got := e.reason(e.fx.Reason.ID)
	// A form without online_for keeps the saved choice: every patient, the default.
	want := clinic.Reason{Name: "Long consult", Duration: 30 * time.Minute, BufferAfter: 5 * time.Minute, Notifications: false, OnlineBookable: true,
		OnlineFor: clinic.OnlineForAll, AgendaIDs: []clinic.AgendaID{e.fx.Agenda.ID, room.ID}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(clinic.Reason{}, "ID", "OrgID", "ClinicID", "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("reason (-want +got):\n%s", diff)
	}
	res = e.do(request{method: "GET", path: "/reasons?done=reason-saved", actor: actorOf(e.admin)})
	wantBody(t, res, "Reason saved.", "Long consult", "30 min", "5 min", "Treatment room")

	// The agenda no longer offering it is no longer offered by the availability.
	wantRedirect(t, e.do(request{method: "POST", path: path, actor: actorOf(e.admin),
		form: url.Values{"name": {"Long consult"}, "duration_minutes": {"30"}, "agenda_id": {fmt.Sprint(room.ID)}}}), "/reasons?done=reason-saved")
	if got := e.reason(e.fx.Reason.ID).AgendaIDs; !cmp.Equal(got, []clinic.AgendaID{room.ID}) {
		t.Errorf("agendas %v, want only the room", got)
	}

	// Who may book it online: the choice is saved, shown selected, and a value the form
	// does not offer is refused on its field.
	wantRedirect(t, e.do(request{method: "POST", path: path, actor: actorOf(e.admin),
		form: url.Values{"name": {"Long consult"}, "duration_minutes": {"30"}, "online_bookable": {"on"}, "online_for": {"existing"},
			"agenda_id": {fmt.Sprint(room.ID)}}}), "/reasons?done=reason-saved")
	if got := e.reason(e.fx.Reason.ID).OnlineFor; got != clinic.OnlineForExisting {
		t.Errorf("online for %q, want existing", got)
	}
	wantBody(t, e.do(request{method: "GET", path: path + "/edit", actor: actorOf(e.admin)}),
		`<option value="existing" selected>Only patients the clinic has seen before</option>`)
	res = e.do(request{method: "POST", path: path, actor: actorOf(e.admin),
		form: url.Values{"name": {"Long consult"}, "duration_minutes": {"30"}, "online_for": {"everyone"}}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("online_for everyone: %d, want 422", res.status)
	}
	wantBody(t, res, `data-field="online_for"`, `id="online_for" aria-invalid="true"`, "Who may book it online")
	if got := e.reason(e.fx.Reason.ID).OnlineFor; got != clinic.OnlineForExisting {
		t.Errorf("a refused form saved online for %q", got)
	}

	other := storetest.Seed(t, e.db, "other")
	for _, tc := range []struct {
		name   string
		form   url.Values
		fields []string
	}{
		{"too short", url.Values{"name": {"X"}, "duration_minutes": {"2"}}, []string{"duration_minutes"}},
		{"empty", url.Values{}, []string{"name", "duration_minutes"}},
		{"buffer too long, not a number", url.Values{"name": {"X"}, "duration_minutes": {"ten"}, "buffer_after_minutes": {"500"}}, []string{"duration_minutes", "buffer_after_minutes"}},
		{"another organisation's agenda", url.Values{"name": {"X"}, "duration_minutes": {"10"}, "agenda_id": {fmt.Sprint(other.Agenda.ID)}}, []string{"agenda_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: "POST", path: path, form: tc.form, actor: actorOf(e.admin)})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			for _, f := range tc.fields {
				wantBody(t, res, `data-field="`+f+`"`)
			}
			wantBody(t, res, `id="reason-form"`)
			if got := e.reason(e.fx.Reason.ID); got.Name != "Long consult" {
				t.Errorf("a refused form saved: %+v", got)
			}
		})
	}
	for _, rq := range []request{{method: "GET", path: fmt.Sprintf("/reasons/%d/edit", other.Reason.ID)},
		{method: "POST", path: fmt.Sprintf("/reasons/%d", other.Reason.ID), form: form}} {
		rq.actor = actorOf(e.admin)
		if res := e.do(rq); res.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", rq.method, rq.path, res.status)
		}
	}

	// Creating a reason for the current clinic.
	res = e.do(request{method: "GET", path: "/reasons/new", actor: actorOf(e.admin)})
	wantBody(t, res, `action="/reasons"`, `value="15"`)
	wantRedirect(t, e.do(request{method: "POST", path: "/reasons", actor: actorOf(e.admin),
		form: url.Values{"name": {"Vaccination"}, "duration_minutes": {"10"}, "notifications": {"on"}, "agenda_id": {fmt.Sprint(e.fx.Agenda.ID)}}}),
		"/reasons?done=reason-created")
	var rs []clinic.Reason
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		rs, err = tx.Directory().Reasons(ctx, e.fx.Org.ID, store.ReasonFilter{ClinicID: e.fx.Clinic.ID}, store.Page{})
		return err
	})
	if len(rs) != 2 || rs[1].Name != "Vaccination" || rs[1].Duration != 10*time.Minute || !rs[1].Notifications || rs[1].OnlineBookable ||
		!cmp.Equal(rs[1].AgendaIDs, []clinic.AgendaID{e.fx.Agenda.ID}) {
		t.Errorf("created: %+v", rs)
	}
	res = e.do(request{method: "POST", path: "/reasons", actor: actorOf(e.admin), form: url.Values{"duration_minutes": {"10"}}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="name"`) || !strings.Contains(res.body, `action="/reasons"`) {
		t.Errorf("create without a name: %d", res.status)
	}
}

func (e *env) rules() clinic.BookingRules {
	e.t.Helper()
	var c clinic.Clinic
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		c, err = tx.Directory().Clinic(ctx, e.fx.Org.ID, e.fx.Clinic.ID)
		return err
	})
	return c.Rules
}

func TestBookingRules(t *testing.T) {
	e := newEnv(t)
	for _, route := range []string{"GET /settings/booking", "POST /settings/booking"} {
		if got := routePerm(t, e.d, route); got != clinic.PermManageDirectory {
			t.Errorf("%s needs %s", route, got)
		}
	}
	res := e.do(request{method: "GET", path: "/settings/booking", actor: actorOf(e.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `name="horizon_days" type="number" min="1" max="730" step="1" value="90"`, `value="2" required`, `value="24" required`,
		`<option value="15" selected>`, `name="allow_no_preference" value="on" checked`, `name="allow_online_changes" value="on" checked`,
		fmt.Sprintf(`name="clinic_id" value="%d"`, e.fx.Clinic.ID), `data-testid="nav-rules"`)
	checkCSP(t, res.body)

	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "horizon_days": {"30"}, "min_notice_hours": {"4"}, "cancel_notice_hours": {"48"},
		"grid_minutes": {"30"}, "allow_no_preference": {"on"}}
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/booking", form: form, actor: actorOf(e.admin)}), "/settings/booking?done=rules-saved")
	want := clinic.BookingRules{HorizonDays: 30, MinNotice: 4 * time.Hour, CancelNotice: 48 * time.Hour, GridMinutes: 30, AllowNoPreference: true}
	if diff := cmp.Diff(want, e.rules()); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	res = e.do(request{method: "GET", path: "/settings/booking?done=rules-saved", actor: actorOf(e.admin)})
	wantBody(t, res, "Booking rules saved.", `<option value="30" selected>`, `value="48" required`)

	for _, tc := range []struct {
		name   string
		set    map[string]string
		fields []string
	}{
		{"grid off the list", map[string]string{"grid_minutes": "20"}, []string{"grid_minutes"}},
		{"reason's own grid is 0", map[string]string{"grid_minutes": "0", "horizon_days": "0"}, []string{"horizon_days"}},
		{"notice out of range", map[string]string{"min_notice_hours": "-1", "cancel_notice_hours": "721"}, []string{"min_notice_hours", "cancel_notice_hours"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			for k, v := range tc.set {
				f.Set(k, v)
			}
			res := e.do(request{method: "POST", path: "/settings/booking", form: f, actor: actorOf(e.admin)})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.status, res.body)
			}
			for _, fl := range tc.fields {
				wantBody(t, res, `data-field="`+fl+`"`)
			}
			if diff := cmp.Diff(want, e.rules()); diff != "" {
				t.Errorf("a refused form saved (-want +got):\n%s", diff)
			}
		})
	}
	form.Set("grid_minutes", "0")
	wantRedirect(t, e.do(request{method: "POST", path: "/settings/booking", form: form, actor: actorOf(e.admin)}), "/settings/booking?done=rules-saved")
	if got := e.rules().GridMinutes; got != 0 {
		t.Errorf("grid %d, want 0 (each reason's own)", got)
	}
	other := storetest.Seed(t, e.db, "other")
	form.Set("clinic_id", fmt.Sprint(other.Clinic.ID))
	if res := e.do(request{method: "POST", path: "/settings/booking", form: form, actor: actorOf(e.admin)}); res.status != http.StatusNotFound {
		t.Errorf("another organisation's clinic: %d, want 404", res.status)
	}
}
