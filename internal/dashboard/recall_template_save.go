package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// maxTemplateForm bounds the template form's body: ten steps of two texts of up to 5,000
// characters in each language, percent-encoded, are well over parseForm's bound.
const maxTemplateForm = 2 << 20

// typedStep is one step slot as typed, its delay still text.
type typedStep struct {
	Channel, Days, Hours                 string
	SubjectEN, BodyEN, SubjectFR, BodyFR string
}

// empty reports whether the slot holds no text: such a slot is not a step.
func (s typedStep) empty() bool {
	return strings.TrimSpace(s.SubjectEN+s.BodyEN+s.SubjectFR+s.BodyFR) == ""
}

// readRecallTemplate reads the template form (key, name, purpose, auto_start, and for each
// slot n from 1 steps[n].channel, .days, .hours, .subject_en, .body_en, .subject_fr,
// .body_fr): the steps are the slots holding text, in order, numbered again from 1, so
// that recall.CheckTemplate's "steps[2]" is the second slot shown when the form comes back.
// A delay that is not whole days and hours (0 to 23) is named on its step.
func readRecallTemplate(v url.Values) (store.RecallTemplate, []typedStep, error) {
	t := store.RecallTemplate{Key: strings.TrimSpace(v.Get("key")), Name: v.Get("name"), Purpose: v.Get("purpose"), AutoStart: v.Get("auto_start") == "on"}
	var typed []typedStep
	for n := 1; n <= recall.MaxSteps; n++ {
		f := func(name string) string { return v.Get(fmt.Sprintf("steps[%d].%s", n, name)) }
		s := typedStep{Channel: f("channel"), Days: strings.TrimSpace(f("days")), Hours: strings.TrimSpace(f("hours")),
			SubjectEN: f("subject_en"), BodyEN: f("body_en"), SubjectFR: f("subject_fr"), BodyFR: f("body_fr")}
		if !s.empty() {
			typed = append(typed, s)
		}
	}
	var errs clinic.ValidationError
	for i, s := range typed {
		days, derr := wholeOrZero(s.Days)
		hours, herr := wholeOrZero(s.Hours)
		if derr != nil || herr != nil || hours > 23 || days > recall.MaxDelayDays {
			errs.Add(fmt.Sprintf("steps[%d].delay", i+1), fmt.Sprintf("must be whole days from 0 to %d and hours from 0 to 23", recall.MaxDelayDays))
		}
		t.Steps = append(t.Steps, store.RecallStep{Channel: s.Channel, DelayMinutes: days*24*60 + hours*60,
			SubjectEN: s.SubjectEN, BodyEN: s.BodyEN, SubjectFR: s.SubjectFR, BodyFR: s.BodyFR})
	}
	return t, typed, errs.Err()
}

// wholeOrZero reads a whole number that is not negative; "" is 0.
func wholeOrZero(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return n, nil
}

// recallTemplateSave saves a template (POST /recalls/templates, the editor's form; see
// readRecallTemplate) through recall.SaveTemplate, which checks it (recall.CheckTemplate:
// every text in both languages, per channel), checks the permission and writes the audit
// row ("recall.template"), then returns to the list. A refused form is shown again (422)
// as typed, each problem beside its field, named in the summary by step and field.
func (d *Dashboard) recallTemplateSave(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxTemplateForm)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, fmt.Errorf("%w: form: %w", web.ErrMalformed, err))
		return
	}
	ctx := r.Context()
	t, typed, inErr := readRecallTemplate(r.PostForm)
	err := inErr
	if err == nil {
		err = d.recalls.SaveTemplate(ctx, web.MustActor(ctx), t)
	} else if web.Status(err) == http.StatusUnprocessableEntity {
		// The other fields are checked too, so that the form names every problem at once.
		err = joinInvalid(inErr, recall.CheckTemplate(t))
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/recalls/templates", "recall-template-saved"), http.StatusSeeOther)
	case web.Status(err) == http.StatusUnprocessableEntity:
		d.showTypedTemplate(w, r, t, typed, err)
	default:
		d.fail(w, r, err)
	}
}

// showTypedTemplate shows the editor again (422) with the template as typed and err's
// problems beside their fields.
func (d *Dashboard) showTypedTemplate(w http.ResponseWriter, r *http.Request, t store.RecallTemplate, typed []typedStep, refusal error) {
	ctx := r.Context()
	var f frame
	var saved store.RecallTemplate
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if t.Key != "" {
			saved, _, err = recall.TemplateOf(ctx, tx, f.Org.ID, t.Key)
		}
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	t.ID, t.UpdatedAt = saved.ID, saved.UpdatedAt
	page := recallTemplateForm(f, t)
	for i, s := range typed {
		page.Slots[i].Days, page.Slots[i].Hours = s.Days, s.Hours
		page.Slots[i].Channels = recallChannels(s.Channel)
	}
	page.Errors = recallNotesOf(refusal)
	d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "recall_template",
		View: view{Title: "Edit recall template", Header: f.header(r, "recalls"), Data: page}})
}
