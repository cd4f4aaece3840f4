package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// checklistPageSize is how many recalls a page of the action checklist shows.
const checklistPageSize = 50

// checklistPage is the data of templates/recalls.html: the current clinic's recalls that
// need staff (RES-7), each with why, oldest reason first, filtered by reason and kind, and
// the buttons that deal with them.
type checklistPage struct {
	NoClinic bool
	Clinic   string
	// The filter as asked, its menus (each reason with how many recalls it holds, whatever
	// the reason asked), and what it refused.
	Why, Kind string
	Whys      []whyCount
	Kinds     []choice
	Total     int // the recalls of the clinic (and kind) that need staff, for every reason
	Errors    formErrors
	Rows      []checklistRow
	// Next is the link to the next page, "" on the last.
	Next string
	// CanWrite: the viewer may start, skip and close recalls (PermFollowUp).
	CanWrite bool
	Tabs     recallTabs
}

// whyCount is one reason of the checklist's filter with how many recalls it holds.
type whyCount struct {
	Value    string
	Label    string
	Count    int
	Selected bool
}

// checklistRow is one recall that needs staff.
type checklistRow struct {
	ID        int64
	PatientID clinic.PatientID
	Patient   string
	Title     string
	Kind      string // label
	Clinic    string
	Reason    string // store.Why…, for the badge's class
	Why       string // label
	Age       int    // days since the reason arose
	Since     string // when, in the clinic's zone
	State     string
	Actions   recallActions
}

// checklistLabels name the checklist filter's fields on the page.
var checklistLabels = map[string]fieldLabel{
	"why": {"why", "Why"}, "kind": {"kind", "Kind"}, "after": {"", "Page"}, "since": {"", "Page"},
}

// readChecklistFilter reads the checklist's query: a reason and a kind among those listed,
// and the cursor of a next page (after, the last recall's id, and since, when its reason
// arose, RFC 3339), both or neither.
func readChecklistFilter(q url.Values) (store.ChecklistFilter, store.Page, error) {
	var v clinic.ValidationError
	f := store.ChecklistFilter{Why: q.Get("why"), Kind: q.Get("kind")}
	if f.Why != "" && !slices.Contains(store.ChecklistWhys(), f.Why) {
		v.Add("why", "must be one of the reasons listed")
	}
	if f.Kind != "" && !slices.Contains(recallKinds(), f.Kind) {
		v.Add("kind", "must be one of the kinds listed")
	}
	p := store.Page{Limit: checklistPageSize}
	after, since := q.Get("after"), q.Get("since")
	if after != "" || since != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		t, terr := time.Parse(time.RFC3339Nano, since)
		if err != nil || n <= 0 || terr != nil {
			v.Add("after", "must be a positive whole number")
		} else {
			p.After, p.AfterTime = n, t
		}
	}
	return f, p, v.Err()
}

// recallChecklist shows the action checklist of the current clinic (GET
// /recalls?why=&kind=&after=&since=, RES-7): every recall that needs staff, with why (the
// doctor's action or comments, waiting to be started, no way to reach the patient, every
// message sent without a booking, a message that failed), its patient, title and age in
// days, oldest first, 50 a page, and for those who follow recalls up the Start, Skip and
// Mark done buttons. The counts by reason are the filter's. recall.Checklist audits the
// patients listed ("recall.checklist").
func (d *Dashboard) recallChecklist(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	actor := web.MustActor(ctx)
	page := checklistPage{Clinic: f.Clinic.Name, Why: q.Get("why"), Kind: q.Get("kind"), CanWrite: actor.Can(clinic.PermFollowUp),
		Kinds: choices(recallKinds(), recallKindLabel, q.Get("kind")), Tabs: tabsFor(actor, "checklist")}
	v := view{Title: "Recalls", Header: f.header(r, "recalls"), Data: &page}
	if f.Clinic.ID == 0 {
		page.NoClinic = true
		d.send(w, r, reply{Page: "recalls", View: v})
		return
	}
	filter, p, err := readChecklistFilter(q)
	if err != nil {
		if web.Status(err) != http.StatusUnprocessableEntity {
			d.fail(w, r, err)
			return
		}
		page.Errors = notesOf(err, checklistLabels, nil)
		page.Whys = whyCounts(nil, page.Why)
		d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "recalls", View: v})
		return
	}
	filter.ClinicID = f.Clinic.ID
	items, counts, err := d.recalls.Checklist(ctx, actor, filter, p)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Whys = whyCounts(counts, filter.Why)
	for _, n := range counts {
		page.Total += n
	}
	back := withoutFlash(r.URL)
	now := d.now()
	for _, it := range items {
		name := clinic.Patient{GivenName: it.GivenName, FamilyName: it.FamilyName}.FullName()
		page.Rows = append(page.Rows, checklistRow{ID: it.ID, PatientID: it.PatientID, Patient: name, Title: it.Title,
			Kind: recallKindLabel(it.Kind), Clinic: f.clinicName(it.ClinicID), Reason: it.Reason, Why: recallWhyLabel(it.Reason),
			Age: recall.Age(it, now), Since: f.stamp(it.Since), State: it.State,
			Actions: recallActionsFor(actor, it.ID, it.State, name+", "+it.Title, back)})
	}
	if len(items) == p.Size() {
		last := items[len(items)-1]
		next := url.Values{}
		if filter.Why != "" {
			next.Set("why", filter.Why)
		}
		if filter.Kind != "" {
			next.Set("kind", filter.Kind)
		}
		next.Set("after", strconv.FormatInt(last.ID, 10))
		next.Set("since", last.Since.UTC().Format(time.RFC3339Nano))
		page.Next = "/recalls?" + next.Encode()
	}
	d.send(w, r, reply{Page: "recalls", View: v})
}

// whyCounts is the reason filter's menu: every reason in the checklist's order, with its
// count, selected marked.
func whyCounts(counts map[string]int, selected string) []whyCount {
	var out []whyCount
	for _, w := range store.ChecklistWhys() {
		out = append(out, whyCount{Value: w, Label: recallWhyLabel(w), Count: counts[w], Selected: w == selected})
	}
	return out
}

// clinicName is the name of one of the organisation's clinics, "" for one the frame does
// not list.
func (f frame) clinicName(id clinic.ClinicID) string {
	for _, c := range f.Clinics {
		if c.ID == id {
			return c.Name
		}
	}
	return ""
}
