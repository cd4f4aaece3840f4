package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// sequence stores a recall of the fixture patient at the fixture clinic, as sync or a use
// case would have left it.
func (e *env) sequence(kind, state, why, title string) store.Sequence {
	e.t.Helper()
	var s store.Sequence
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		in := store.Sequence{OrgID: e.fx.Org.ID, ClinicID: e.fx.Clinic.ID, PatientID: e.fx.Patient.ID, Kind: kind, Title: title,
			TemplateKey: "recall", State: state, Why: why, CreatedBy: "system:test"}
		if kind == store.SeqKindResults {
			in.DatabaseID, in.GroupDay, in.TemplateKey = e.fx.Database.ID, "2026-04-0"+fmt.Sprint(len(title)%9+1), "non_urgent_appointment"
		}
		s, err = tx.Recalls().InsertSequence(ctx, in)
		return err
	})
	return s
}

// seqState reads a recall's state back.
func (e *env) seqState(id int64) string {
	e.t.Helper()
	var s store.Sequence
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		s, err = tx.Recalls().Sequence(ctx, e.fx.Org.ID, id)
		return err
	})
	return s.State
}

// TestRecallChecklist (RES-7): a recall raised for staff is listed with why, its patient
// linking to their file, its title and age, with the buttons of those who follow recalls
// up; the filter counts each reason and narrows the list; a bad filter is named (422); the
// patients listed are audited.
func TestRecallChecklist(t *testing.T) {
	e := newEnv(t)
	manual := e.sequence(store.SeqKindResults, store.SeqManual, store.WhyComments, "Lipids")
	waiting := e.sequence(store.SeqKindRecall, store.SeqWaiting, store.WhyAwaitingStart, "Skin check")
	e.sequence(store.SeqKindRecall, store.SeqDone, "", "Closed one")
	e.clock.Advance(3 * 24 * time.Hour)
	recep := actorOf(e.recep)

	res := e.do(request{method: http.MethodGet, path: "/recalls", actor: recep})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `data-testid="checklist"`, fmt.Sprintf(`<tr data-recall-id="%d" data-why="comments">`, manual.ID),
		fmt.Sprintf(`<tr data-recall-id="%d" data-why="awaiting_start">`, waiting.ID),
		fmt.Sprintf(`href="/patients/%d">Grace Hopper</a>`, e.fx.Patient.ID), fmt.Sprintf(`href="/recalls/%d">Lipids</a>`, manual.ID),
		"A result has the doctor&#39;s comments", "Waiting for staff to start it", "3 days", "2 recalls need staff.",
		fmt.Sprintf(`action="/recalls/%d/start"`, manual.ID), fmt.Sprintf(`action="/recalls/%d/skip"`, manual.ID), fmt.Sprintf(`action="/recalls/%d/done"`, manual.ID),
		`data-count="1">A result has the doctor&#39;s comments (1)`, `data-testid="nav-recalls"`)
	if strings.Contains(res.body, "Closed one") {
		t.Error("a closed recall is on the checklist")
	}
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("recall.checklist %d", e.fx.Patient.ID)) {
		t.Error("the checklist's patients are not audited")
	}

	res = e.do(request{method: http.MethodGet, path: "/recalls?why=awaiting_start", actor: recep})
	// The total and the counts are the clinic's, whatever the reason asked.
	wantBody(t, res, fmt.Sprintf(`data-recall-id="%d"`, waiting.ID), "2 recalls need staff.", `value="awaiting_start" selected data-count="1"`)
	if strings.Contains(res.body, fmt.Sprintf(`data-recall-id="%d"`, manual.ID)) {
		t.Error("the reason filter lists another reason")
	}
	res = e.do(request{method: http.MethodGet, path: "/recalls?kind=results", actor: recep})
	if strings.Contains(res.body, fmt.Sprintf(`data-recall-id="%d"`, waiting.ID)) || !strings.Contains(res.body, fmt.Sprintf(`data-recall-id="%d"`, manual.ID)) {
		t.Error("the kind filter does not keep the results only")
	}
	res = e.do(request{method: http.MethodGet, path: "/recalls?why=bogus", actor: recep})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad reason: status %d, want 422", res.status)
	}
	wantBody(t, res, "must be one of the reasons listed", `aria-invalid="true"`)

	// A practitioner reads the checklist and follows recalls up too.
	prac := actorOf(e.user(clinic.RolePractitioner, "pat@example.com"))
	wantBody(t, e.do(request{method: http.MethodGet, path: "/recalls", actor: prac}), fmt.Sprintf(`action="/recalls/%d/start"`, manual.ID))
}

// TestRecallChecklistPages: the checklist pages by (since, id), the next page's link
// carrying the cursor and the filter, never patient data.
func TestRecallChecklistPages(t *testing.T) {
	e := newEnv(t)
	var ids []int64
	for i := range checklistPageSize + 1 {
		s := e.sequence(store.SeqKindRecall, store.SeqManual, store.WhyManualAction, fmt.Sprintf("Recall %d", i))
		ids = append(ids, s.ID)
	}
	recep := actorOf(e.recep)
	res := e.do(request{method: http.MethodGet, path: "/recalls?kind=recall", actor: recep})
	if strings.Contains(res.body, fmt.Sprintf(`data-recall-id="%d"`, ids[checklistPageSize])) {
		t.Error("the first page shows more than a page")
	}
	m := regexpNext.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no next page link\n%s", res.body)
	}
	next := strings.ReplaceAll(m[1], "&amp;", "&")
	if !strings.Contains(next, "kind=recall") || !strings.Contains(next, fmt.Sprintf("after=%d", ids[checklistPageSize-1])) {
		t.Errorf("next page %q lacks the filter or the cursor", next)
	}
	res = e.do(request{method: http.MethodGet, path: next, actor: recep})
	wantBody(t, res, fmt.Sprintf(`data-recall-id="%d"`, ids[checklistPageSize]))
	if strings.Contains(res.body, fmt.Sprintf(`data-recall-id="%d"`, ids[0])) || strings.Contains(res.body, `rel="next"`) {
		t.Error("the second page repeats the first, or has a next page")
	}
}

// TestRecallActions: Start, Skip and Mark done change the recall's state through their use
// cases, which write the audit row, and return to the page the form came from with a
// confirmation; a refusal because of the state returns there too with why, never an error
// page; another organisation's recall, or a bad id, is "not found".
func TestRecallActions(t *testing.T) {
	tests := []struct {
		name, action, state, why, want, flash string
	}{
		{"start a waiting recall", "start", store.SeqWaiting, store.WhyAwaitingStart, store.SeqActive, "recall-started"},
		{"start a manual one once dealt with", "start", store.SeqManual, store.WhyManualAction, store.SeqActive, "recall-started"},
		{"skip", "skip", store.SeqManual, store.WhyComments, store.SeqSkipped, "recall-skipped"},
		{"mark done", "done", store.SeqUnreachable, store.WhyNoContact, store.SeqDone, "recall-done"},
		{"mark a booked one done", "done", store.SeqBooked, "", store.SeqDone, "recall-done"},
		{"skip a closed one", "skip", store.SeqDone, "", store.SeqDone, "recall-closed"},
		{"mark a skipped one done", "done", store.SeqSkipped, "", store.SeqSkipped, "recall-closed"},
		{"start a booked one", "start", store.SeqBooked, "", store.SeqBooked, "recall-booked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.sequence(store.SeqKindRecall, tc.state, tc.why, "Skin check")
			back := fmt.Sprintf("/recalls/%d", s.ID)
			res := e.do(request{method: http.MethodPost, path: fmt.Sprintf("/recalls/%d/%s", s.ID, tc.action), actor: actorOf(e.recep),
				form: url.Values{"next": {back}}})
			wantRedirect(t, res, back+"?done="+tc.flash)
			if got := e.seqState(s.ID); got != tc.want {
				t.Errorf("state %s, want %s", got, tc.want)
			}
			audited := e.hasAudit(fmt.Sprintf("recall.%s %d", tc.action, e.fx.Patient.ID))
			if changed := tc.want != tc.state; audited != changed {
				t.Errorf("audit row recall.%s: %v, want %v", tc.action, audited, changed)
			}
			if flashText(tc.flash) == "" {
				t.Errorf("flash %q has no text", tc.flash)
			}
			// The page it returns to says so.
			res = e.do(request{method: http.MethodGet, path: back + "?done=" + tc.flash, actor: actorOf(e.recep)})
			wantBody(t, res, strings.ReplaceAll(flashText(tc.flash), "'", "&#39;"))
		})
	}

	e := newEnv(t)
	s := e.sequence(store.SeqKindRecall, store.SeqManual, store.WhyComments, "Skin check")
	// A crafted next cannot send the user off-site.
	res := e.do(request{method: http.MethodPost, path: fmt.Sprintf("/recalls/%d/skip", s.ID), actor: actorOf(e.recep), form: url.Values{"next": {"//evil.example"}}})
	wantRedirect(t, res, "/recalls?done=recall-skipped")
	other := storeSeedOther(t, e)
	for _, p := range []string{fmt.Sprintf("/recalls/%d/done", other), "/recalls/abc/done", fmt.Sprintf("/recalls/%d", other)} {
		method := http.MethodPost
		if !strings.HasSuffix(p, "/done") {
			method = http.MethodGet
		}
		if res := e.do(request{method: method, path: p, actor: actorOf(e.admin), form: url.Values{}}); res.status != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", method, p, res.status)
		}
	}
}

// storeSeedOther makes another organisation with a recall of its own patient and returns
// the recall's id.
func storeSeedOther(t *testing.T, e *env) int64 {
	t.Helper()
	other := storetest.Seed(t, e.db, "other")
	var id int64
	e.update(func(ctx context.Context, tx *store.Tx) error {
		s, err := tx.Recalls().InsertSequence(ctx, store.Sequence{OrgID: other.Org.ID, ClinicID: other.Clinic.ID, PatientID: other.Patient.ID,
			Kind: store.SeqKindRecall, Title: "Theirs", TemplateKey: "recall", State: store.SeqManual, Why: store.WhyManualAction, CreatedBy: "system:test"})
		id = s.ID
		return err
	})
	return id
}

// regexpNext finds the checklist's link to its next page.
var regexpNext = regexp.MustCompile(`rel="next" href="([^"]*)"`)

// TestRecallShow: one recall with its results and its steps, the buttons its state allows,
// audited as "recall.read"; the patient file lists the patient's recalls ("recall.history").
func TestRecallShow(t *testing.T) {
	e := newEnv(t)
	s := e.sequence(store.SeqKindRecall, store.SeqWaiting, store.WhyAwaitingStart, "Skin check")
	recep := actorOf(e.recep)
	if res := e.do(request{method: http.MethodPost, path: fmt.Sprintf("/recalls/%d/start", s.ID), actor: recep, form: url.Values{}}); res.status != http.StatusSeeOther {
		t.Fatalf("start: %d\n%s", res.status, res.body)
	}
	res := e.do(request{method: http.MethodGet, path: fmt.Sprintf("/recalls/%d", s.ID), actor: recep})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "Skin check", "Sending its messages", `data-testid="recall-steps"`, "Recall", // the shipped template's name
		fmt.Sprintf(`href="/patients/%d"`, e.fx.Patient.ID), fmt.Sprintf(`action="/recalls/%d/done"`, s.ID))
	if n := strings.Count(res.body, `<tr data-notification-id=`); n == 0 {
		t.Error("no step listed")
	}
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("recall.read %d", e.fx.Patient.ID)) {
		t.Error("the recall's read is not audited")
	}

	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/patients/%d", e.fx.Patient.ID), actor: recep})
	wantBody(t, res, `data-testid="patient-recalls"`, fmt.Sprintf(`<tr data-recall-id="%d">`, s.ID), fmt.Sprintf(`href="/recalls/%d">Skin check</a>`, s.ID),
		"Sending its messages")
	if !e.hasAudit(fmt.Sprintf("recall.history %d", e.fx.Patient.ID)) {
		t.Error("the patient file's recalls are not audited")
	}
}

// TestRecallSummary counts the clinic's recalls by template and state.
func TestRecallSummary(t *testing.T) {
	e := newEnv(t)
	e.sequence(store.SeqKindRecall, store.SeqManual, store.WhyManualAction, "One")
	e.sequence(store.SeqKindRecall, store.SeqDone, "", "Two")
	e.sequence(store.SeqKindRecall, store.SeqDone, "", "Three")
	res := e.do(request{method: http.MethodGet, path: "/recalls/summary", actor: actorOf(e.recep)})
	wantBody(t, res, `data-testid="recall-summary"`, `<tr data-template="recall">`, `data-testid="summary-total"><strong>3</strong>`)
}

// TestRecallTemplates: administrators list and edit the templates; a refused template is
// shown again (422) with each problem named beside its field, as typed; a saved one is
// audited; the clinic's switch is saved; reception may not open them.
func TestRecallTemplates(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	res := e.do(request{method: http.MethodGet, path: "/recalls/templates", actor: admin})
	wantBody(t, res, `href="/recalls/templates/non_urgent_appointment"`, `href="/recalls/templates/recall"`, `id="resume_on_cancel"`, "checked")
	res = e.do(request{method: http.MethodGet, path: "/recalls/templates/discuss", actor: admin})
	wantBody(t, res, `name="steps[1].body_en"`, `name="steps[10].body_fr"`, `id="step-3-body_fr"`, "Discuss results")
	if res := e.do(request{method: http.MethodGet, path: "/recalls/templates/nope", actor: admin}); res.status != http.StatusNotFound {
		t.Errorf("unknown template: status %d, want 404", res.status)
	}
	if res := e.do(request{method: http.MethodGet, path: "/recalls/templates", actor: actorOf(e.recep)}); res.status != http.StatusForbidden {
		t.Errorf("reception: status %d, want 403", res.status)
	}

	form := url.Values{"key": {"discuss"}, "name": {"Discuss"}, "purpose": {"result"}, "auto_start": {"on"},
		"steps[1].channel": {"sms"}, "steps[1].body_en": {"Hi {first_name}, call {clinic_phone}."}, "steps[1].body_fr": {"Bonjour {prenom}."},
		// An empty slot between two steps is not a step: the third slot is the second step.
		"steps[3].channel": {"email"}, "steps[3].days": {"x"}, "steps[3].subject_en": {"Book"}, "steps[3].body_en": {"Please book."},
		"steps[3].subject_fr": {"Réservez"}, "steps[3].body_fr": {"Réservez."}}
	res = e.do(request{method: http.MethodPost, path: "/recalls/templates", actor: admin, form: form})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad template: status %d, want 422\n%s", res.status, res.body)
	}
	wantBody(t, res, `data-field="step-1-body_fr"`, `id="step-1-body_fr-error"`, `aria-describedby="step-1-body_fr-error"`, "Step 1, Text in French",
		`data-field="step-2-days"`, "Step 2, Delay", `value="x"`, "Bonjour {prenom}.", "Réservez.")
	if strings.Contains(res.body, `data-field="step-3-days"`) {
		t.Error("the problem of the second step is named on the third slot")
	}

	form.Set("steps[1].body_fr", "Bonjour {first_name}, appelez le {clinic_phone}.")
	form.Set("steps[3].days", "2")
	res = e.do(request{method: http.MethodPost, path: "/recalls/templates", actor: admin, form: form})
	wantRedirect(t, res, "/recalls/templates?done=recall-template-saved")
	if !e.hasAudit("recall.template 0") {
		t.Error("the template's change is not audited")
	}
	res = e.do(request{method: http.MethodGet, path: "/recalls/templates/discuss", actor: admin})
	wantBody(t, res, `name="steps[2].days" type="number" min="0" max="365" inputmode="numeric" value="2"`, "Please book.")

	res = e.do(request{method: http.MethodPost, path: "/recalls/settings", actor: admin, form: url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}}})
	wantRedirect(t, res, "/recalls/templates?done=recall-settings-saved")
	res = e.do(request{method: http.MethodGet, path: "/recalls/templates", actor: admin})
	if strings.Contains(res.body, `id="resume_on_cancel" checked`) {
		t.Error("the switch is still on")
	}
	if !e.hasAudit("recall.settings 0") {
		t.Error("the switch's change is not audited")
	}
}

// TestRecallCreate (RES-8): recalls made in bulk from the patients ticked, or from every
// patient a search finds; the form says how many were made; a refused form names its
// fields (422).
func TestRecallCreate(t *testing.T) {
	e := newEnv(t)
	recep := actorOf(e.recep)
	res := e.do(request{method: http.MethodGet, path: "/recalls/new", actor: recep})
	wantBody(t, res, `id="recall-new-form"`, `<option value="recall" selected>Recall</option>`)

	res = e.do(request{method: http.MethodPost, path: "/recalls/search", actor: recep, form: url.Values{"q": {"hopper"}}})
	wantBody(t, res, fmt.Sprintf(`name="patient_ids" value="%d"`, e.fx.Patient.ID), "Grace Hopper")
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("patient.search %d", e.fx.Patient.ID)) {
		t.Error("the search's patients are not audited")
	}

	res = e.do(request{method: http.MethodPost, path: "/recalls/new", actor: recep, form: url.Values{"q": {"hopper"}, "title": {""},
		"patient_ids": {fmt.Sprint(e.fx.Patient.ID)}}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("no title: status %d, want 422\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="title-error"`, fmt.Sprintf(`value="%d" checked`, e.fx.Patient.ID))
	res = e.do(request{method: http.MethodPost, path: "/recalls/new", actor: recep, form: url.Values{"title": {"Skin check"}}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="patients-error"`) {
		t.Errorf("no patient: status %d, want 422 naming the patients", res.status)
	}

	res = e.do(request{method: http.MethodPost, path: "/recalls/new", actor: recep, form: url.Values{"title": {"Skin check"}, "due_date": {"2026-06-01"},
		"template": {"recall"}, "patient_ids": {fmt.Sprint(e.fx.Patient.ID)}}})
	wantRedirect(t, res, "/recalls/new?created=1&done=recalls-created&skipped=0")
	res = e.do(request{method: http.MethodPost, path: "/recalls/new", actor: recep, form: url.Values{"title": {"Flu shot"}, "q": {"hopper"}, "all": {"on"}}})
	wantRedirect(t, res, "/recalls/new?created=1&done=recalls-created&skipped=0")
	res = e.do(request{method: http.MethodGet, path: "/recalls/new?created=1&done=recalls-created&skipped=0", actor: recep})
	wantBody(t, res, "1 recall created.", "Recalls created.")
	if !e.hasAudit(fmt.Sprintf("recall.create %d", e.fx.Patient.ID)) {
		t.Error("the creation is not audited")
	}
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/patients/%d", e.fx.Patient.ID), actor: recep})
	wantBody(t, res, "Skin check", "Flu shot")
}

// TestRecallChecklistInFrench: the checklist served to a French browser is in French: its
// title, reasons, age and buttons.
func TestRecallChecklistInFrench(t *testing.T) {
	e := newEnv(t)
	e.sequence(store.SeqKindResults, store.SeqManual, store.WhyManualAction, "Bilan lipidique")
	e.clock.Advance(48 * time.Hour)
	res := e.do(request{method: http.MethodGet, path: "/recalls", actor: actorOf(e.recep), header: map[string]string{"Accept-Language": "fr-FR,fr;q=0.9"}})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `<html lang="fr">`, "<h1>Relances", "Liste des actions", "L’action du médecin demande l’intervention de l’équipe", "2 jours",
		"Lancer", "Marquer comme faite", "Ignorer", "1 relance demande l’intervention de l’équipe.")
}

// TestRecallLabelsTranslated: every state, reason, kind and result label the recall pages
// make in Go has its French text, for every value the store defines, and so have the
// reasons the recall use cases and the dispatcher give a step they withdraw or skip.
func TestRecallLabelsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range store.SequenceStates() {
		texts = append(texts, recallStateLabel(s))
	}
	for _, w := range store.ChecklistWhys() {
		texts = append(texts, recallWhyLabel(w))
	}
	for _, k := range recallKinds() {
		texts = append(texts, recallKindLabel(k))
	}
	for _, s := range []string{"", "notified", "given", "discussed"} {
		texts = append(texts, resultStateLabel(s))
	}
	for _, o := range []string{"template", "manual", "held"} {
		texts = append(texts, resultOutcomeLabel(o))
	}
	for _, n := range recallStepFields {
		texts = append(texts, n.Label)
	}
	for _, n := range recallTemplateFields {
		texts = append(texts, n.Label)
	}
	texts = append(texts, "the patient booked an appointment (RES-4)",
		"the clinic told the patient: the result is marked notified, given or discussed (RES-5)",
		"a result of the same day needs staff: nothing automatic is sent (RES-6)", "staff closed the recall",
		"the clinical software completed or cancelled the recall", "the recall is no longer running (booked, done, or raised for staff)",
		fmt.Sprintf("the search finds more than %d patients: narrow it", recall.MaxBulk),
		fmt.Sprintf("must be whole days from 0 to %d and hours from 0 to 23", recall.MaxDelayDays))
	for _, text := range texts {
		miss := false
		if got := cat.OnMissing(func(string) { miss = true }).T(i18n.French, text); miss || (got == text && text != "Messages") {
			t.Errorf("no French text for %q", text)
		}
	}
	for _, s := range store.SequenceStates() {
		if recallStateLabel(s) == s {
			t.Errorf("state %q has no label", s)
		}
	}
	for _, w := range store.ChecklistWhys() {
		if recallWhyLabel(w) == w {
			t.Errorf("reason %q has no label", w)
		}
	}
}
