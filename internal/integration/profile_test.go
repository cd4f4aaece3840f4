package integration_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
)

func TestProfileDefaults(t *testing.T) {
	wantCategories := map[clinic.SoftwareProfile][]string{
		clinic.ProfileBestPractice:    {"Investigation report", "Correspondence in"},
		clinic.ProfileMedicalDirector: {"Result"},
		clinic.ProfileZedmed:          {},
		clinic.ProfileOptomate:        {},
		clinic.ProfileGeneric:         {},
	}
	for _, sw := range clinic.SoftwareProfiles() {
		p := integration.DefaultProfile(sw)
		if p.Software != sw || p.ReadsOptOut != sw.CanReadOptOut() {
			t.Errorf("%s: software %q, reads opt-out %v", sw, p.Software, p.ReadsOptOut)
		}
		if diff := cmp.Diff(wantCategories[sw], p.ResultCategories); diff != "" {
			t.Errorf("%s categories (-want +got):\n%s", sw, diff)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: default profile invalid: %v", sw, err)
		}
	}
	if integration.DefaultProfile(clinic.ProfileBestPractice).ReadsOptOut {
		t.Error("Best Practice reads the opt-out flag (CON-4)")
	}
	// The defaults are fresh values: changing one does not change the next.
	p := integration.DefaultProfile(clinic.ProfileBestPractice)
	p.ResultCategories[0] = "changed"
	*p.Actions[0].WithComments = true
	if q := integration.DefaultProfile(clinic.ProfileBestPractice); q.ResultCategories[0] != "Investigation report" || *q.Actions[0].WithComments {
		t.Error("DefaultProfile shares its slices between calls")
	}
	if p := integration.DefaultProfile("unknown"); p.Software != "unknown" || !p.ReadsOptOut || len(p.ResultCategories) != 0 || p.Validate() == nil {
		t.Errorf("unknown software: %+v", p)
	}
}

func TestProfileTakes(t *testing.T) {
	bp, md, gen := integration.DefaultProfile(clinic.ProfileBestPractice), integration.DefaultProfile(clinic.ProfileMedicalDirector),
		integration.DefaultProfile(clinic.ProfileGeneric)
	tests := []struct {
		prof     integration.Profile
		category string
		want     bool
	}{
		{bp, "Investigation report", true},
		{bp, " investigation REPORT ", true},
		{bp, "Correspondence  in", true},
		{bp, "Correspondence out", false},
		{bp, "Result", false},
		{bp, "", false},
		{md, "Result", true},
		{md, "result", true},
		{md, "Results", false},
		{gen, "", true},
		{gen, "anything at all", true},
	}
	for _, tt := range tests {
		if got := tt.prof.Takes(tt.category); got != tt.want {
			t.Errorf("%s.Takes(%q) = %v, want %v", tt.prof.Software, tt.category, got, tt.want)
		}
	}
}

func TestProfileDecide(t *testing.T) {
	bp, md, zm := integration.DefaultProfile(clinic.ProfileBestPractice), integration.DefaultProfile(clinic.ProfileMedicalDirector),
		integration.DefaultProfile(clinic.ProfileZedmed)
	yes := true
	custom := integration.Profile{Software: clinic.ProfileGeneric, Actions: []integration.ActionRule{
		{Action: "Call patient", WithComments: &yes, Outcome: integration.OutcomeTemplate, Template: "call_with_note"},
		{Action: "Call patient", Outcome: integration.OutcomeTemplate, Template: "call"},
		{Action: "Broken", Outcome: integration.OutcomeTemplate}, // no template: manual, never an empty template
	}}
	tests := []struct {
		prof         integration.Profile
		action       string
		comments     bool
		want         integration.ActionOutcome
		wantTemplate string
	}{
		{bp, "Non-urgent appointment", false, integration.OutcomeTemplate, integration.TemplateNonUrgentAppointment},
		{bp, "NON-URGENT  APPOINTMENT ", false, integration.OutcomeTemplate, integration.TemplateNonUrgentAppointment},
		{bp, "Non-urgent appointment", true, integration.OutcomeManual, ""}, // RES-2: results with comments
		{bp, "Urgent appointment", false, integration.OutcomeManual, ""},
		{bp, "Return urgently", false, integration.OutcomeManual, ""},
		{bp, "Nurse to advise", false, integration.OutcomeManual, ""},
		{bp, "Discuss", false, integration.OutcomeManual, ""},
		{bp, "My custom action", false, integration.OutcomeManual, ""},
		{bp, "", false, integration.OutcomeManual, ""},
		{md, "Discuss", false, integration.OutcomeTemplate, integration.TemplateDiscuss},
		{md, "discuss", false, integration.OutcomeTemplate, integration.TemplateDiscuss},
		{md, "Discuss", true, integration.OutcomeManual, ""},
		{md, "Return urgently", false, integration.OutcomeManual, ""},
		{md, "Nurse to advise", false, integration.OutcomeManual, ""},
		{md, "Non-urgent appointment", false, integration.OutcomeManual, ""},
		{zm, "Discuss", false, integration.OutcomeTemplate, integration.TemplateDiscuss},
		{zm, "Non-urgent appointment", false, integration.OutcomeTemplate, integration.TemplateNonUrgentAppointment},
		{zm, "Non-urgent appointment", true, integration.OutcomeManual, ""},
		{custom, "Call patient", true, integration.OutcomeTemplate, "call_with_note"},
		{custom, "Call patient", false, integration.OutcomeTemplate, "call"},
		{custom, "Broken", false, integration.OutcomeManual, ""},
	}
	for _, tt := range tests {
		got, tmpl := tt.prof.Decide(tt.action, tt.comments)
		if got != tt.want || tmpl != tt.wantTemplate {
			t.Errorf("%s.Decide(%q, %v) = %q %q, want %q %q", tt.prof.Software, tt.action, tt.comments, got, tmpl, tt.want, tt.wantTemplate)
		}
	}
}

func TestProfileValidate(t *testing.T) {
	no, yes := false, true
	valid := func() integration.Profile { return integration.DefaultProfile(clinic.ProfileMedicalDirector) }
	many := func(n int, s string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s + strings.Repeat("x", i)
		}
		return out
	}
	tests := []struct {
		name   string
		edit   func(*integration.Profile)
		fields []string
	}{
		{"default", func(*integration.Profile) {}, nil},
		{"unknown software", func(p *integration.Profile) { p.Software = "acme" }, []string{"software"}},
		{"Best Practice reading opt-out", func(p *integration.Profile) { p.Software = clinic.ProfileBestPractice }, []string{"reads_opt_out"}},
		{"50 categories", func(p *integration.Profile) { p.ResultCategories = many(50, "c") }, nil},
		{"51 categories", func(p *integration.Profile) { p.ResultCategories = many(51, "c") }, []string{"result_categories"}},
		{"empty category", func(p *integration.Profile) { p.ResultCategories = []string{"Result", "  "} }, []string{"result_categories[1]"}},
		{"category of 100", func(p *integration.Profile) { p.ResultCategories = []string{strings.Repeat("é", 100)} }, nil},
		{"category of 101", func(p *integration.Profile) { p.ResultCategories = []string{strings.Repeat("é", 101)} }, []string{"result_categories[0]"}},
		{"repeated category", func(p *integration.Profile) { p.ResultCategories = []string{"Result", " result"} }, []string{"result_categories[1]"}},
		{"100 rules", func(p *integration.Profile) {
			p.Actions = nil
			for _, a := range many(100, "a") {
				p.Actions = append(p.Actions, integration.ActionRule{Action: a, Outcome: integration.OutcomeManual})
			}
		}, nil},
		{"101 rules", func(p *integration.Profile) {
			p.Actions = nil
			for _, a := range many(101, "a") {
				p.Actions = append(p.Actions, integration.ActionRule{Action: a, Outcome: integration.OutcomeManual})
			}
		}, []string{"actions"}},
		{"empty action", func(p *integration.Profile) { p.Actions[1].Action = " " }, []string{"actions[1].action"}},
		{"long action", func(p *integration.Profile) { p.Actions[1].Action = strings.Repeat("a", 101) }, []string{"actions[1].action"}},
		{"unknown outcome", func(p *integration.Profile) { p.Actions[0].Outcome = "email" }, []string{"actions[0].outcome"}},
		{"template without a name", func(p *integration.Profile) { p.Actions[0].Template = "" }, []string{"actions[0].template"}},
		{"long template", func(p *integration.Profile) { p.Actions[0].Template = strings.Repeat("t", 101) }, []string{"actions[0].template"}},
		{"manual with a template", func(p *integration.Profile) { p.Actions[1].Template = "x" }, []string{"actions[1].template"}},
		{"repeated rule", func(p *integration.Profile) {
			p.Actions = append(p.Actions, integration.ActionRule{Action: "discuss", WithComments: &no, Outcome: integration.OutcomeManual})
		}, []string{"actions[3]"}},
		{"shadowed rule", func(p *integration.Profile) {
			p.Actions = append(p.Actions, integration.ActionRule{Action: "Return urgently", WithComments: &yes, Outcome: integration.OutcomeManual})
		}, []string{"actions[3]"}},
		{"with and without comments", func(p *integration.Profile) {
			p.Actions = append(p.Actions, integration.ActionRule{Action: "Discuss", WithComments: &yes, Outcome: integration.OutcomeManual})
		}, nil},
		{"several problems", func(p *integration.Profile) {
			p.Software = ""
			p.ResultCategories = []string{""}
			p.Actions[2].Outcome = ""
		}, []string{"software", "result_categories[0]", "actions[2].outcome"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.edit(&p)
			err := p.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *clinic.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, clinic.ErrInvalid) {
				t.Fatalf("Validate: %v (%T), want a *clinic.ValidationError", err, err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
				if f.Reason == "" {
					t.Errorf("%s: no reason", f.Field)
				}
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("fields %q, want %q", got, tt.fields)
			}
		})
	}
}

func TestProfileJSON(t *testing.T) {
	p := integration.DefaultProfile(clinic.ProfileMedicalDirector)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"software":"medical_director","reads_opt_out":true,"result_categories":["Result"],"actions":[` +
		`{"action":"Discuss","with_comments":false,"outcome":"template","template":"discuss"},` +
		`{"action":"Return urgently","outcome":"manual"},{"action":"Nurse to advise","outcome":"manual"}]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	for _, sw := range clinic.SoftwareProfiles() {
		p := integration.DefaultProfile(sw)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back integration.Profile
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", sw, diff)
		}
		if err := back.Validate(); err != nil {
			t.Errorf("%s after a round trip: %v", sw, err)
		}
	}
}
