package integration

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
)

// ActionOutcome is what Tidings does with an actioned result (RES-2): start (or offer) the
// clinic's result template, or put the result on the staff's action checklist (RES-7),
// because only a person can tell the patient what an urgent or commented result means.
type ActionOutcome string

// The outcomes of a doctor's action. There are two on purpose: anything Tidings cannot
// handle on its own is manual, never dropped.
const (
	OutcomeTemplate ActionOutcome = "template" // send the named result template (RES-3)
	OutcomeManual   ActionOutcome = "manual"   // staff act on it from the checklist (RES-7)
)

// Valid reports whether o is one of the two outcomes, so that a profile edited by an
// administrator cannot name a third that nothing handles.
func (o ActionOutcome) Valid() bool { return o == OutcomeTemplate || o == OutcomeManual }

// ActionRule maps one doctor's action, as the clinical software names it, to an outcome.
// WithComments narrows the rule to results with (true) or without (false) the doctor's
// comments, since a comment is something the template cannot say for the doctor; nil
// matches either.
type ActionRule struct {
	Action       string        `json:"action"`
	WithComments *bool         `json:"with_comments,omitempty"`
	Outcome      ActionOutcome `json:"outcome"`
	Template     string        `json:"template,omitempty"` // with OutcomeTemplate: the template's key
}

// Profile is what Tidings knows about one kind of clinical software, as data, so that an
// administrator can adjust it per clinical database (stored as JSON) without a release:
// whether its opt-out flag can be read (CON-1, CON-4), which filing categories of results it
// takes (RES-1) and what each doctor's action leads to (RES-2).
type Profile struct {
	Software clinic.SoftwareProfile `json:"software"`
	// ReadsOptOut: the PMS opt-out flag is read (PD1-12, PD1-11). False for Best Practice,
	// whose flag is not exposed: consent is managed in Tidings only (CON-4).
	ReadsOptOut bool `json:"reads_opt_out"`
	// ResultCategories are the filing categories taken; empty means every category.
	ResultCategories []string `json:"result_categories"`
	// Actions are tried in order; the first match decides. No match means manual.
	Actions []ActionRule `json:"actions"`
}

// Limits on a profile, so an administrator's edit cannot make every result cost a long scan
// or store an unbounded document.
const (
	MaxProfileCategories     = 50  // result categories per profile
	MaxProfileCategoryLength = 100 // characters per category
	MaxProfileRules          = 100 // action rules per profile
	MaxProfileNameLength     = 100 // characters per action or template name
)

// Template keys of the default action rules. The clinic edits the templates' steps (RES-3);
// the keys tie a software's action to one of them.
const (
	TemplateNonUrgentAppointment = "non_urgent_appointment"
	TemplateDiscuss              = "discuss"
)

// DefaultProfile returns the built-in profile of software p, the starting point an
// administrator may adjust (see docs/hl7-mapping.md for the table). An unknown p gets the
// generic profile's rules under its own name, with the opt-out flag read as p allows.
func DefaultProfile(p clinic.SoftwareProfile) Profile {
	no := false
	manual := func(action string) ActionRule { return ActionRule{Action: action, Outcome: OutcomeManual} }
	template := func(action, key string) ActionRule {
		// Without comments only: a result with comments is manual (RES-2).
		return ActionRule{Action: action, WithComments: &no, Outcome: OutcomeTemplate, Template: key}
	}
	prof := Profile{Software: p, ReadsOptOut: p.CanReadOptOut()}
	switch p {
	case clinic.ProfileBestPractice:
		prof.ResultCategories = []string{"Investigation report", "Correspondence in"}
		prof.Actions = []ActionRule{
			template("Non-urgent appointment", TemplateNonUrgentAppointment),
			manual("Urgent appointment"),
			manual("Return urgently"),
			manual("Nurse to advise"),
		}
	case clinic.ProfileMedicalDirector:
		prof.ResultCategories = []string{"Result"}
		prof.Actions = []ActionRule{
			template("Discuss", TemplateDiscuss),
			manual("Return urgently"),
			manual("Nurse to advise"),
		}
	default: // generic, Zedmed, Optomate: every category, the common actions
		prof.ResultCategories = []string{}
		prof.Actions = []ActionRule{
			template("Non-urgent appointment", TemplateNonUrgentAppointment),
			template("Discuss", TemplateDiscuss),
			manual("Urgent appointment"),
			manual("Return urgently"),
			manual("Nurse to advise"),
		}
	}
	return prof
}

// foldName is how names from the clinical software are compared: case-insensitive, with
// surrounding and repeated inner white space ignored, since the same category or action
// reaches Tidings typed slightly differently by different versions and administrators.
func foldName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Takes reports whether a result filed under category is synced (RES-1). Comparison is
// case-insensitive and ignores surrounding white space; an empty ResultCategories takes
// every category, including none.
func (p Profile) Takes(category string) bool {
	if len(p.ResultCategories) == 0 {
		return true
	}
	c := foldName(category)
	if c == "" {
		return false
	}
	for _, want := range p.ResultCategories {
		if foldName(want) == c {
			return true
		}
	}
	return false
}

// Decide returns what the doctor's action on a result leads to (RES-2) and, for a
// template, its key. The first rule whose action matches (compared as Takes compares
// categories) and whose WithComments is nil or equal to hasComments decides; an action no
// rule names — a custom action, a typo, none — is manual, so nothing reaches a patient
// that no one chose to send.
func (p Profile) Decide(action string, hasComments bool) (ActionOutcome, string) {
	a := foldName(action)
	if a == "" {
		return OutcomeManual, ""
	}
	for _, r := range p.Actions {
		if foldName(r.Action) != a || (r.WithComments != nil && *r.WithComments != hasComments) {
			continue
		}
		if r.Outcome == OutcomeTemplate && strings.TrimSpace(r.Template) != "" {
			return OutcomeTemplate, strings.TrimSpace(r.Template)
		}
		return OutcomeManual, ""
	}
	return OutcomeManual, ""
}

// Validate checks a profile an administrator edited before it is stored: a known software,
// an opt-out flag only where the software exposes one, bounded lists of non-empty names,
// outcomes that exist and templates only where they are used. It returns a
// *clinic.ValidationError naming each bad field by its JSON path (e.g.
// "actions[2].template"), never quoting the value.
func (p Profile) Validate() error {
	v := &clinic.ValidationError{}
	if !p.Software.Valid() {
		v.Add("software", "is not a known clinical software")
	} else if p.ReadsOptOut && !p.Software.CanReadOptOut() {
		v.Add("reads_opt_out", "this software's opt-out flag cannot be read; consent is managed in Tidings only")
	}
	if len(p.ResultCategories) > MaxProfileCategories {
		v.Add("result_categories", "has more than "+strconv.Itoa(MaxProfileCategories)+" categories")
	} else {
		seen := map[string]int{}
		for i, c := range p.ResultCategories {
			field := "result_categories[" + strconv.Itoa(i) + "]"
			switch f := foldName(c); {
			case f == "":
				v.Add(field, "is empty")
			case utf8.RuneCountInString(c) > MaxProfileCategoryLength:
				v.Add(field, "is longer than "+strconv.Itoa(MaxProfileCategoryLength)+" characters")
			default:
				if j, dup := seen[f]; dup {
					v.Add(field, "repeats result_categories["+strconv.Itoa(j)+"]")
				} else {
					seen[f] = i
				}
			}
		}
	}
	if len(p.Actions) > MaxProfileRules {
		v.Add("actions", "has more than "+strconv.Itoa(MaxProfileRules)+" rules")
		return v.Err()
	}
	type key struct {
		action   string
		comments int // 0 either, 1 without, 2 with
	}
	seen := map[key]int{}
	for i, r := range p.Actions {
		field := "actions[" + strconv.Itoa(i) + "]"
		a := foldName(r.Action)
		switch {
		case a == "":
			v.Add(field+".action", "is empty")
		case utf8.RuneCountInString(r.Action) > MaxProfileNameLength:
			v.Add(field+".action", "is longer than "+strconv.Itoa(MaxProfileNameLength)+" characters")
		}
		switch {
		case !r.Outcome.Valid():
			v.Add(field+".outcome", "is neither template nor manual")
		case r.Outcome == OutcomeTemplate && strings.TrimSpace(r.Template) == "":
			v.Add(field+".template", "is empty")
		case r.Outcome == OutcomeTemplate && utf8.RuneCountInString(r.Template) > MaxProfileNameLength:
			v.Add(field+".template", "is longer than "+strconv.Itoa(MaxProfileNameLength)+" characters")
		case r.Outcome == OutcomeManual && r.Template != "":
			v.Add(field+".template", "is set on a manual rule")
		}
		if a == "" {
			continue
		}
		k := key{action: a}
		if r.WithComments != nil {
			k.comments = 1
			if *r.WithComments {
				k.comments = 2
			}
		}
		if j, dup := seen[k]; dup {
			v.Add(field, "repeats actions["+strconv.Itoa(j)+"] and would never apply")
		} else if j, dup := seen[key{action: a}]; dup && k.comments != 0 {
			v.Add(field, "is shadowed by actions["+strconv.Itoa(j)+"], which matches with or without comments")
		} else {
			seen[k] = i
		}
	}
	return v.Err()
}
