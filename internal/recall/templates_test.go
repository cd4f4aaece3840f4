package recall_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// TestCheckTemplate (RES-3): a template an administrator saves is checked whole, each
// problem named by its field (steps counted from 1, texts by language); the shipped
// defaults pass, ask the patient to book and carry the identity-check link.
func TestCheckTemplate(t *testing.T) {
	for _, d := range recall.DefaultTemplates() {
		if err := recall.CheckTemplate(d); err != nil {
			t.Errorf("default %s: %v", d.Key, err)
		}
		for i, s := range d.Steps {
			if !strings.Contains(s.BodyEN, "{portal_link}") || !strings.Contains(s.BodyFR, "{portal_link}") {
				t.Errorf("default %s step %d carries no link", d.Key, i+1)
			}
		}
	}
	base := func() store.RecallTemplate {
		t := recall.DefaultTemplates()[0]
		t.Key, t.Name = "custom", "Custom"
		t.Steps = slices.Clone(t.Steps)
		return t
	}
	for _, c := range []struct {
		name   string
		edit   func(*store.RecallTemplate)
		fields []string
	}{
		{"key with capitals", func(t *store.RecallTemplate) { t.Key = "Bad Key" }, []string{"key"}},
		{"empty key", func(t *store.RecallTemplate) { t.Key = "" }, []string{"key"}},
		{"key starting with _", func(t *store.RecallTemplate) { t.Key = "_x" }, []string{"key"}},
		{"long key", func(t *store.RecallTemplate) { t.Key = strings.Repeat("k", 61) }, []string{"key"}},
		{"blank name", func(t *store.RecallTemplate) { t.Name = "   " }, []string{"name"}},
		{"long name", func(t *store.RecallTemplate) { t.Name = strings.Repeat("n", recall.MaxNameLen+1) }, []string{"name"}},
		{"purpose", func(t *store.RecallTemplate) { t.Purpose = "reminder" }, []string{"purpose"}},
		{"no steps", func(t *store.RecallTemplate) { t.Steps = nil }, []string{"steps"}},
		{"too many steps", func(t *store.RecallTemplate) {
			for len(t.Steps) <= recall.MaxSteps {
				t.Steps = append(t.Steps, t.Steps[0])
			}
		}, []string{"steps"}},
		{"unknown channel", func(t *store.RecallTemplate) { t.Steps[1].Channel = "fax" }, []string{"steps[2].channel"}},
		{"negative delay", func(t *store.RecallTemplate) { t.Steps[1].DelayMinutes = -1 }, []string{"steps[2].delay"}},
		{"delay over a year", func(t *store.RecallTemplate) { t.Steps[2].DelayMinutes = (recall.MaxDelayDays + 1) * 24 * 60 }, []string{"steps[3].delay"}},
		{"no English text", func(t *store.RecallTemplate) { t.Steps[0].BodyEN = "" }, []string{"steps[1].body_en"}},
		{"no French text", func(t *store.RecallTemplate) { t.Steps[2].BodyFR = " " }, []string{"steps[3].body_fr"}},
		{"unknown variable", func(t *store.RecallTemplate) { t.Steps[0].BodyEN = "Hi {first_name}, your {test}: {portal_link}" }, []string{"steps[1].body_en"}},
		{"a date is not a step's to say", func(t *store.RecallTemplate) { t.Steps[0].BodyFR = "Le {date} : {portal_link}" }, []string{"steps[1].body_fr"}},
		{"SMS with a subject", func(t *store.RecallTemplate) { t.Steps[0].SubjectEN = "Hello" }, []string{"steps[1].subject_en"}},
		{"e-mail without subject", func(t *store.RecallTemplate) { t.Steps[1].SubjectEN, t.Steps[1].SubjectFR = "", "" }, []string{"steps[2].subject_en", "steps[2].subject_fr"}},
		{"SMS too long", func(t *store.RecallTemplate) { t.Steps[2].BodyEN = strings.Repeat("Please book now. ", 200) }, []string{"steps[3].body_en"}},
		{"several at once", func(t *store.RecallTemplate) { t.Name, t.Steps[1].DelayMinutes, t.Steps[2].BodyEN = "", -5, "" },
			[]string{"name", "steps[2].delay", "steps[3].body_en"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tpl := base()
			c.edit(&tpl)
			err := recall.CheckTemplate(tpl)
			fs := clinic.FieldsOf(err)
			if len(fs) == 0 {
				t.Fatalf("accepted (%v), want errors on %v", err, c.fields)
			}
			for _, f := range c.fields {
				if !clinic.HasField(fs, f) {
					t.Errorf("errors %v, want one on %s", fs, f)
				}
			}
			for _, f := range fs {
				if !slices.Contains(c.fields, f.Field) {
					t.Errorf("unexpected error on %s: %s", f.Field, f.Reason)
				}
			}
		})
	}
}

// TestSavedTemplateApplies (RES-3): the clinic's saved template replaces the shipped one
// for the sequences that start after, and SaveTemplate refuses what CheckTemplate refuses.
func TestSavedTemplateApplies(t *testing.T) {
	w := newWorld(t)
	tpl := waitingTemplate()
	tpl.AutoStart = true
	tpl.Steps = tpl.Steps[:1]
	tpl.Steps[0].BodyEN = "Hi {first_name}, {clinic} needs to see you: {portal_link}"
	if err := w.svc.SaveTemplate(ctx, w.admin, tpl); err != nil {
		t.Fatal(err)
	}
	bad := tpl
	bad.Steps = nil
	if err := w.svc.SaveTemplate(ctx, w.admin, bad); !clinic.HasField(clinic.FieldsOf(err), "steps") {
		t.Errorf("saving a template without steps: %v", err)
	}
	w.results(fbc)
	s := w.only(w.f.Patient.ID)
	if steps := w.steps(s.ID); len(steps) != 1 || !s.EndsAt.Equal(steps[0].Due) {
		t.Fatalf("steps %+v (ends %s), want the saved template's one", steps, s.EndsAt)
	}
	w.drain()
	sent := inState(w.steps(s.ID), store.NoteSent)
	if len(sent) != 1 || !strings.HasPrefix(sent[0].Body, "Hi Grace, Main St needs to see you: https://tidings.example/r/") {
		t.Errorf("sent %+v", sent)
	}
	ts, err := func() (out []store.RecallTemplate, err error) {
		err = w.db.View(ctx, func(tx *store.Tx) error {
			out, err = recall.Templates(ctx, tx, w.f.Org.ID)
			return err
		})
		return out, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, x := range ts {
		keys = append(keys, x.Key)
		if x.Key == recall.KeyNonUrgentAppointment && len(x.Steps) != 1 {
			t.Errorf("templates list the shipped %s, not the saved one", x.Key)
		}
	}
	if !slices.Equal(keys, []string{recall.KeyDiscuss, recall.KeyNonUrgentAppointment, recall.KeyRecall}) {
		t.Errorf("templates %v", keys)
	}
}
