package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// bulkShown is how many of a search's patients the bulk creation form lists to tick; "all
// the patients the search finds" takes up to recall.MaxBulk.
const bulkShown = 50

// recallNewPage is the data of templates/recall_new.html: the bulk creation of recalls of
// another kind than results (RES-8, "annual check due") from a patient search of the
// current clinic's clinical database.
type recallNewPage struct {
	NoClinic bool
	Clinic   string
	// The search (the patient list's): Query is echoed into the form body only, never into
	// a URL. Patients are the first bulkShown it found, More says it found more.
	Query       string
	Searched    bool
	SearchError string
	Patients    []patientChoice
	More        bool
	All         bool
	Max         int
	// The recall, as typed.
	Title     string
	DueDate   string
	Templates []choice
	Errors    formErrors
	// Created and Skipped are what the last creation did (its redirect's query); Shown: one
	// was made.
	Created, Skipped int
	Shown            bool
	Tabs             recallTabs
}

// recallNewInput is the bulk creation form as typed.
type recallNewInput struct {
	Query       string
	All         bool
	PatientIDs  []clinic.PatientID
	Title       string
	DueDate     string
	TemplateKey string
}

// recallNewLabels name the form's fields on the page.
var recallNewLabels = map[string]fieldLabel{
	"q": {"q", "Search"}, "patient_ids": {"patients", "Patients"}, "all": {"all", "Patients"}, "title": {"title", "Title"},
	"due_date": {"due_date", "Due by"}, "template": {"template", "Template"}, "clinic_id": {"", "Clinic"},
}

// readRecallNew reads the form: q, all ("on": every patient the search finds), patient_ids
// (repeated), title, due_date (YYYY-MM-DD, optional) and template (a key).
func readRecallNew(v url.Values) (recallNewInput, error) {
	in := recallNewInput{Query: strings.TrimSpace(v.Get("q")), All: v.Get("all") == "on", Title: v.Get("title"),
		DueDate: strings.TrimSpace(v.Get("due_date")), TemplateKey: v.Get("template")}
	var errs clinic.ValidationError
	for _, s := range v["patient_ids"] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			errs.Add("patient_ids", "must be positive whole numbers")
			continue
		}
		if id := clinic.PatientID(n); !slices.Contains(in.PatientIDs, id) {
			in.PatientIDs = append(in.PatientIDs, id)
		}
	}
	return in, errs.Err()
}

// recallNew shows the bulk creation form (GET /recalls/new), and after a creation how many
// recalls were made and how many patients were left out (?created=&skipped=, counts only).
func (d *Dashboard) recallNew(w http.ResponseWriter, r *http.Request) {
	in := recallNewInput{TemplateKey: recall.KeyRecall}
	page := recallNewPage{}
	q := r.URL.Query()
	if q.Get("done") == "recalls-created" {
		page.Created, _ = strconv.Atoi(q.Get("created"))
		page.Skipped, _ = strconv.Atoi(q.Get("skipped"))
		page.Shown = true
	}
	d.showRecallNew(w, r, in, page, http.StatusOK, nil)
}

// recallSearch shows the form again with the patients its search text (q) matches in the
// current clinic's clinical database (POST /recalls/search, the form's Search button): a
// POST so that the text never lands in a URL; it changes nothing, so it answers directly.
func (d *Dashboard) recallSearch(w http.ResponseWriter, r *http.Request) {
	in, err, ok := postedForm(d, w, r, readRecallNew)
	if !ok {
		return
	}
	d.showRecallNew(w, r, in, recallNewPage{}, http.StatusOK, err)
}

// recallCreate makes a recall for each patient ticked, or for every patient the search
// finds (POST /recalls/new; at most recall.MaxBulk), through recall.Create, which checks
// the permission and the fields, starts each recall (or leaves it waiting for staff when
// its template says so) and writes the audit row ("recall.create"). It returns to the form
// with how many were made and how many patients were left out; a refused form is shown
// again (422) as typed with its fields named.
func (d *Dashboard) recallCreate(w http.ResponseWriter, r *http.Request) {
	in, f, v, ok := postedClinicForm(d, w, r, readRecallNew)
	if !ok {
		return
	}
	ctx := r.Context()
	ids := in.PatientIDs
	switch {
	case f.Clinic.ID == 0:
		// v names clinic_id: nothing else to check.
	case in.All:
		var found []clinic.PatientID
		err := d.db.View(ctx, func(tx *store.Tx) (err error) {
			found, err = searchAll(ctx, tx, f, in.Query, recall.MaxBulk+1)
			return err
		})
		var ve *clinic.ValidationError
		switch {
		case errors.As(err, &ve):
			v.Add("q", ve.Fields[0].Reason)
		case err != nil:
			d.fail(w, r, err)
			return
		case len(found) > recall.MaxBulk:
			v.Add("all", fmt.Sprintf("the search finds more than %d patients: narrow it", recall.MaxBulk))
		case len(found) == 0:
			v.Add("all", "the search finds no patient")
		}
		ids = found
	case len(ids) == 0 && !clinic.HasField(v.Fields, "patient_ids"):
		v.Add("patient_ids", "is required: search, then tick the patients, or all the patients the search finds")
	}
	err := v.Err()
	var out recall.Created
	if err == nil {
		out, err = d.recalls.Create(ctx, web.MustActor(ctx), recall.CreateInput{ClinicID: f.Clinic.ID, PatientIDs: ids, Title: in.Title,
			DueDate: in.DueDate, TemplateKey: in.TemplateKey})
	}
	switch {
	case err == nil:
		next := url.Values{"done": {"recalls-created"}, "created": {strconv.Itoa(out.Created)}, "skipped": {strconv.Itoa(out.Skipped)}}
		http.Redirect(w, r, "/recalls/new?"+next.Encode(), http.StatusSeeOther)
	case formError(err):
		d.showRecallNew(w, r, in, recallNewPage{}, web.Status(err), err)
	default:
		d.fail(w, r, err)
	}
}

// showRecallNew renders the form holding in, the patients its search finds (the first
// bulkShown, those ticked kept ticked), and the refusal of a form not saved (its fields
// named; 422) or none. The patients listed are audited as "patient.search".
func (d *Dashboard) showRecallNew(w http.ResponseWriter, r *http.Request, in recallNewInput, page recallNewPage, status int, refusal error) {
	ctx := r.Context()
	actor := web.MustActor(ctx)
	var f frame
	var shown []clinic.PatientID
	var ts []store.RecallTemplate
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if _, ts, err = templateNames(ctx, tx, f.Org.ID); err != nil {
			return err
		}
		if f.Clinic.ID == 0 || in.Query == "" {
			return nil
		}
		page.Searched = true
		filter, err := searchFilter(in.Query, f.Clinic.Region)
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			page.SearchError = "Search text " + ve.Fields[0].Reason + "."
			return nil
		}
		if err != nil {
			return err
		}
		filter.DatabaseID = f.Clinic.DatabaseID
		ps, err := tx.Patients().ListPatients(ctx, f.Org.ID, filter, store.Page{Limit: bulkShown + 1})
		if err != nil {
			return err
		}
		if len(ps) > bulkShown {
			ps, page.More = ps[:bulkShown], true
		}
		for _, p := range ps {
			shown = append(shown, p.ID)
			page.Patients = append(page.Patients, patientChoice{ID: p.ID, Name: p.FullName(), BirthDate: civilDate(p.BirthDate),
				Checked: slices.Contains(in.PatientIDs, p.ID)})
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.NoClinic, page.Clinic, page.Max, page.Tabs = f.Clinic.ID == 0, f.Clinic.Name, recall.MaxBulk, tabsFor(actor, "new")
	page.Query, page.All, page.Title, page.DueDate = in.Query, in.All, in.Title, in.DueDate
	for _, t := range ts {
		page.Templates = append(page.Templates, choice{Value: t.Key, Label: t.Name, Selected: t.Key == in.TemplateKey})
	}
	page.Errors = notesOf(refusal, recallNewLabels, nil)
	if status == http.StatusOK && len(page.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	d.send(w, r, reply{Status: status, Page: "recall_new", View: view{Title: "Create recalls", Header: f.header(r, "recalls"), Data: page},
		Audit: []audit{{"patient.search", shown}}})
}

// searchAll lists the ids of every patient of the current clinic's clinical database that
// query finds, up to limit, a page at a time (the store's pages hold at most 500).
func searchAll(ctx context.Context, tx *store.Tx, f frame, query string, limit int) ([]clinic.PatientID, error) {
	filter, err := searchFilter(query, f.Clinic.Region)
	if err != nil {
		return nil, err
	}
	filter.DatabaseID = f.Clinic.DatabaseID
	var out []clinic.PatientID
	p := store.Page{Limit: 500}
	for len(out) < limit {
		ps, err := tx.Patients().ListPatients(ctx, f.Org.ID, filter, p)
		if err != nil {
			return nil, err
		}
		for _, x := range ps {
			out = append(out, x.ID)
		}
		if len(ps) < p.Size() {
			break
		}
		p.After = int64(ps[len(ps)-1].ID)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
