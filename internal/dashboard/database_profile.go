package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// resultsProfilePage is the data of templates/database_profile.html: a database's software profile
// (SYN-1, RES-1, RES-2) — the result categories it takes and what each doctor's action
// leads to — with its software's defaults as the starting point.
type resultsProfilePage struct {
	ID         clinic.DatabaseID
	Database   string
	Software   string // label
	ReadsOpt   bool
	Adjusted   bool
	Categories string // one per line
	Rules      []resultsProfileRule
	Templates  []string
	Errors     formErrors
}

// resultsProfileRule is one row of the action table; a few empty rows follow the rules to add new
// ones.
type resultsProfileRule struct {
	Index    int
	Action   string
	Comments string // "", "without", "with"
	Outcome  string
	Template string
}

// extraRules is how many empty rows the form offers for new rules.
const extraRules = 3

func (d *Dashboard) loadProfile(r *http.Request, f frame, id clinic.DatabaseID) (resultsProfilePage, error) {
	ctx := r.Context()
	db, err := d.databaseOf(r, f, id)
	page := resultsProfilePage{ID: id, Database: db.Name, Software: profileName(db.Profile)}
	if err != nil {
		return page, err
	}
	// RES-2: an action points at one of the organisation's result templates.
	err = d.db.View(ctx, func(tx *store.Tx) error {
		ts, err := recall.Templates(ctx, tx, f.Org.ID)
		for _, t := range ts {
			if t.Purpose == string(consent.PurposeResult) {
				page.Templates = append(page.Templates, t.Key)
			}
		}
		return err
	})
	if err != nil {
		return page, err
	}
	dp, err := d.sync.ProfileOfDatabase(ctx, web.MustActor(ctx), id)
	if err != nil {
		return page, err
	}
	page.Adjusted, page.ReadsOpt = dp.Adjusted, dp.Profile.ReadsOptOut
	page.Categories = strings.Join(dp.Profile.ResultCategories, "\n")
	for i, a := range dp.Profile.Actions {
		rule := resultsProfileRule{Index: i, Action: a.Action, Outcome: string(a.Outcome), Template: a.Template}
		if a.WithComments != nil {
			rule.Comments = map[bool]string{true: "with", false: "without"}[*a.WithComments]
		}
		page.Rules = append(page.Rules, rule)
	}
	page.addEmptyRows()
	return page, nil
}

func (p *resultsProfilePage) addEmptyRows() {
	for range extraRules {
		p.Rules = append(p.Rules, resultsProfileRule{Index: len(p.Rules), Outcome: string(integration.OutcomeManual)})
	}
}

// databaseProfile shows the profile (GET /settings/databases/{id}/profile).
func (d *Dashboard) databaseProfile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	var page resultsProfilePage
	if err == nil {
		page, err = d.loadProfile(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "database_profile", View: view{Title: "Results profile", Header: f.header(r, "databases"), Data: page}})
}

// databaseProfileSave saves an adjusted profile (POST /settings/databases/{id}/profile:
// categories, one per line; action_N, comments_N, outcome_N, template_N per rule, rows with
// no action skipped) through integration.SetProfile; refused, the form is shown again with
// the reasons (422).
func (d *Dashboard) databaseProfileSave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	f, err := d.loadFrame(r)
	var page resultsProfilePage
	if err == nil {
		page, err = d.loadProfile(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var p integration.Profile
	page.Categories = r.PostFormValue("categories")
	for _, line := range strings.Split(page.Categories, "\n") {
		if c := strings.TrimSpace(line); c != "" {
			p.ResultCategories = append(p.ResultCategories, c)
		}
	}
	page.Rules = nil
	for i := 0; i < integration.MaxProfileRules+extraRules; i++ {
		n := strconv.Itoa(i)
		if _, ok := r.PostForm["action_"+n]; !ok {
			break
		}
		rule := resultsProfileRule{Index: len(page.Rules), Action: strings.TrimSpace(r.PostFormValue("action_" + n)), Comments: r.PostFormValue("comments_" + n),
			Outcome: r.PostFormValue("outcome_" + n), Template: r.PostFormValue("template_" + n)}
		if rule.Action == "" {
			continue
		}
		page.Rules = append(page.Rules, rule)
		a := integration.ActionRule{Action: rule.Action, Outcome: integration.ActionOutcome(rule.Outcome)}
		if rule.Outcome == string(integration.OutcomeTemplate) {
			a.Template = rule.Template
		}
		switch rule.Comments {
		case "with", "without":
			v := rule.Comments == "with"
			a.WithComments = &v
		}
		p.Actions = append(p.Actions, a)
	}
	err = d.sync.SetProfile(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id), p)
	if err == nil {
		http.Redirect(w, r, withDone(fmt.Sprintf("/settings/databases/%d/profile", id), "results-profile-saved"), http.StatusSeeOther)
		return
	}
	if web.Status(err) != http.StatusUnprocessableEntity {
		d.fail(w, r, err)
		return
	}
	page.addEmptyRows()
	page.Errors = notesOf(err, profileLabels(len(page.Rules)), nil)
	d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "database_profile", View: view{Title: "Results profile", Header: f.header(r, "databases"), Data: page}})
}

// profileLabels names the profile's fields for the form's notes: the use case names them by
// JSON path ("actions[2].template"), the form by control.
func profileLabels(rules int) map[string]fieldLabel {
	m := map[string]fieldLabel{"result_categories": {"categories", "Result categories taken"}, "actions": {"action-0", "Doctor's actions"}}
	for i := range rules {
		n := strconv.Itoa(i)
		p := "actions[" + n + "]"
		m[p] = fieldLabel{"action-" + n, "Doctor's actions"}
		m[p+".action"] = fieldLabel{"action-" + n, "Action"}
		m[p+".outcome"] = fieldLabel{"outcome-" + n, "What Tidings does"}
		m[p+".template"] = fieldLabel{"template-" + n, "Template"}
	}
	for i := range integration.MaxProfileCategories {
		m["result_categories["+strconv.Itoa(i)+"]"] = fieldLabel{"categories", "Result categories taken"}
	}
	return m
}

// databaseProfileReset goes back to the software's defaults (POST
// /settings/databases/{id}/profile/reset).
func (d *Dashboard) databaseProfileReset(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	if err := d.sync.ResetProfile(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id)); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone(fmt.Sprintf("/settings/databases/%d/profile", id), "results-profile-reset"), http.StatusSeeOther)
}
