package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	auditlog "github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// The audit log's page (GET /audit, ADM-2, ADM-5).
//
// Reads are recorded one row per patient shown, so one look at a busy agenda writes 53
// rows. The page shows the rows one request wrote for one read action as one row ("Viewed
// the agenda — 53 patients", the names behind a <details>), and a page holds auditPageSize
// such rows. Grouping is done here rather than in SQL: a GROUP BY request id would have to
// rebuild each group's patients and newest id portably on SQLite and PostgreSQL, lose the
// rows' order, and could not keep the patient filter finding the one row of a patient
// inside a list. So the page reads entries in batches of auditBatch, newest first, until
// it has started auditPageSize+1 groups (the last page group is then complete) or has read
// auditScanMax entries; the cursor of "Older entries" is the last entry read, so a group
// that a very long scan cuts (a list of more than auditScanMax patients) continues on the
// next page. Entries of one request are consecutive ids (one INSERT each), which is what
// makes a group contiguous.
const (
	auditPageSize = 50   // rows a page shows
	auditBatch    = 500  // entries read per statement (store.Page's maximum)
	auditScanMax  = 5000 // entries one page reads at most
)

// auditPage is the data of templates/audit.html.
type auditPage struct {
	Zone string
	// The filter as typed, and its menus.
	User, Action, From, To string
	Patient                clinic.PatientID
	// PatientName names the filtered patient for a viewer who may read patients; "" else.
	PatientName string
	Users       []userChoice
	Actions     []actionMenu
	Filtered    bool
	Errors      formErrors
	Rows        []auditRow
	// Older is the link to the next page, "" on the last; CSV the export of the same
	// filter; WithoutPatient the same filter for every patient.
	Older, CSV, WithoutPatient string
	MaxExport                  int
}

// userChoice is one staff member of the user filter; Disabled accounts are listed, since
// their entries stay.
type userChoice struct {
	Value    int64
	Name     string
	Disabled bool
	Selected bool
}

// auditRow is one row of the log: one entry, or the entries one request wrote for one read
// action (Group).
type auditRow struct {
	ID      int64  // the newest entry's
	At      string // in the clinic's zone, for people
	Stamp   string // RFC 3339, for <time datetime>
	Actor   auditText
	ActorID string // the actor's label, "user:12"
	Action  auditText
	Code    string // the action's code, "appointment.list"
	Group   bool
	Entries int // how many entries the row stands for
	// Patients are those the row concerns, named when the viewer may read patients; Count
	// is how many, and Hidden says their names and ids are not shown ("a patient").
	Patients []auditPatient
	Count    int
	Hidden   bool
	// Subject and Changes are a settings change's (audit.Change); Detail says the entry
	// has one, even without a change ("saved without a change").
	Subject   string
	Changes   []auditChange
	Detail    bool
	RequestID string
}

// auditPatient is a patient a row names; Name is "" for a record no longer found.
type auditPatient struct {
	ID   clinic.PatientID
	Name string
}

// auditChange is one field of a settings change, its values in words.
type auditChange struct {
	Field         auditText
	Before, After []auditText
}

// auditQuery is the filter as the query string carries it.
type auditQuery struct{ User, Patient, Action, From, To, After string }

func readAuditQuery(r *http.Request) auditQuery {
	q := r.URL.Query()
	return auditQuery{User: q.Get("user"), Patient: q.Get("patient"), Action: q.Get("action"), From: q.Get("from"), To: q.Get("to"),
		After: q.Get("after")}
}

// values is the query string of the filter, without the cursor.
func (q auditQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"user": q.User, "patient": q.Patient, "action": q.Action, "from": q.From, "to": q.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// auditLabels name the filter's fields as the page shows them.
var auditLabels = map[string]fieldLabel{
	"user": {"user", "Staff member"}, "action": {"action", "Action"}, "from": {"from", "From day"}, "to": {"to", "To day"},
	"patient": {"", "Patient"}, "after": {"", "Page"},
}

// filter reads q: a staff member of users, a patient id, an action of the table or a group
// of them, days written YYYY-MM-DD bounded by the clinic's midnights (the last day
// included), and the cursor. Each problem names its field.
func (q auditQuery) filter(loc *time.Location, users []clinic.User) (store.AuditFilter, int64, error) {
	var v clinic.ValidationError
	var f store.AuditFilter
	id := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			v.Add(field, "must be a positive whole number")
			return 0
		}
		return n
	}
	if u := id("user", q.User); u != 0 {
		if !slices.ContainsFunc(users, func(x clinic.User) bool { return int64(x.ID) == u }) {
			v.Add("user", "must be one of the staff listed")
		}
		f.UserID = clinic.UserID(u)
	}
	f.PatientID = clinic.PatientID(id("patient", q.Patient))
	after := id("after", q.After)
	if q.Action != "" {
		if validAction(q.Action) {
			f.Action = q.Action
		} else {
			v.Add("action", "must be one of the actions listed")
		}
	}
	f.From, f.To = dayRange(&v, q.From, q.To, loc)
	return f, after, v.Err()
}

// auditList shows the organisation's audit log, newest first (GET /audit?user=&patient=
// &action=&from=&to=&after=ID), auditPageSize rows a page, times in the current clinic's
// zone: who (staff by name, API tokens, the portal, the system), what in words, the
// patients (by name for a viewer who may read patients, else "a patient"), and what a
// settings change changed. The patient names it shows are a read of patient data, recorded
// as "audit.list" before the page is sent. A filter it cannot read is answered 422 with the
// form, each problem under its field's label.
func (d *Dashboard) auditList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := readAuditQuery(r)
	var f frame
	var page auditPage
	var shown []clinic.PatientID
	var invalid error
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, shown, invalid, err = d.loadAudit(ctx, tx, f, q)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v := view{Title: "Audit log", Header: f.header(r, "audit"), Data: page}
	if invalid != nil {
		page.Errors = notesOf(invalid, auditLabels, nil)
		v.Data = page
		d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "audit", View: v})
		return
	}
	d.send(w, r, reply{Page: "audit", View: v, Audit: []audit{{"audit.list", shown}}})
}

// loadAudit reads one page of the log in tx: the staff (one statement), the entries (one
// statement per auditBatch), the API tokens and the patients they name (one statement
// each). invalid is the filter's problems, for a 422; shown the patients whose names the
// page shows.
func (d *Dashboard) loadAudit(ctx context.Context, tx *store.Tx, f frame, q auditQuery) (page auditPage, shown []clinic.PatientID, invalid error, err error) {
	page = auditPage{Zone: f.Clinic.Zone, User: q.User, Action: q.Action, From: q.From, To: q.To, MaxExport: auditExportMax,
		Actions: actionMenus(q.Action)}
	if page.Zone == "" {
		page.Zone = "UTC"
	}
	users, err := tx.AuditTrail().AuditUsers(ctx, f.Org.ID)
	if err != nil {
		return page, nil, nil, err
	}
	for _, u := range users {
		name := u.Name
		if name == "" {
			name = u.Email
		}
		page.Users = append(page.Users, userChoice{Value: int64(u.ID), Name: name, Disabled: u.DisabledAt != nil,
			Selected: strconv.FormatInt(int64(u.ID), 10) == q.User})
	}
	filter, after, invalid := q.filter(f.Loc, users)
	if invalid != nil {
		var ve *clinic.ValidationError
		if !errors.As(invalid, &ve) {
			return page, nil, nil, invalid
		}
		return page, nil, invalid, nil
	}
	page.Patient = filter.PatientID
	page.Filtered = q.User != "" || q.Patient != "" || q.Action != "" || q.From != "" || q.To != ""
	page.CSV = "/audit.csv"
	if vs := q.values(); len(vs) > 0 {
		page.CSV += "?" + vs.Encode()
	}
	without := q
	without.Patient = ""
	page.WithoutPatient = "/audit"
	if vs := without.values(); len(vs) > 0 {
		page.WithoutPatient += "?" + vs.Encode()
	}

	groups, older, err := auditGroups(ctx, tx, f.Org.ID, filter, after)
	if err != nil {
		return page, nil, nil, err
	}
	if older != 0 {
		next := q.values()
		next.Set("after", strconv.FormatInt(older, 10))
		page.Older = "/audit?" + next.Encode()
	}
	var entries []store.AuditEntry
	for _, g := range groups {
		entries = append(entries, g...)
	}
	canRead := f.Actor.Can(clinic.PermReadPatients)
	names, err := loadAuditNames(ctx, tx, f.Org.ID, users, entries, canRead, filter.PatientID)
	if err != nil {
		return page, nil, nil, err
	}
	if canRead && filter.PatientID != 0 {
		page.PatientName = names.patients[filter.PatientID]
	}
	for _, g := range groups {
		page.Rows = append(page.Rows, names.row(f, g))
	}
	return page, names.shown, nil, nil
}

// auditGroups reads a page of f's entries below after, grouped (see the top of this file),
// newest first; older is the cursor of the next page, 0 on the last.
func auditGroups(ctx context.Context, tx *store.Tx, org clinic.OrgID, f store.AuditFilter, after int64) (groups [][]store.AuditEntry, older int64, err error) {
	read, cursor := 0, after
	for read < auditScanMax {
		batch, err := tx.AuditTrail().AuditLog(ctx, org, f, store.Page{After: cursor, Limit: auditBatch})
		if err != nil {
			return nil, 0, err
		}
		for _, e := range batch {
			if n := len(groups); n > 0 && sameRead(groups[n-1][0], e) {
				groups[n-1] = append(groups[n-1], e)
			} else if n == auditPageSize {
				// The first entry of the next page: the page's last group is whole.
				return groups, cursor, nil
			} else {
				groups = append(groups, []store.AuditEntry{e})
			}
			cursor = e.ID
			read++
		}
		if len(batch) < auditBatch {
			return groups, 0, nil
		}
	}
	return groups, cursor, nil
}

// sameRead reports whether entry e belongs to the row that a starts: the same request,
// actor and read action. Entries without a request id (jobs, sync) stay rows of their own.
func sameRead(a, e store.AuditEntry) bool {
	if e.RequestID == "" || e.RequestID != a.RequestID || e.Action != a.Action || e.Actor != a.Actor {
		return false
	}
	_, read := actionOf(e.Action)
	return read
}

// auditNames are the names a page of entries needs, each kind read in one statement.
type auditNames struct {
	users  map[clinic.UserID]clinic.User
	tokens map[clinic.TokenID]clinic.Token
	// patients is nil when the viewer may not read patients: their names and ids are then
	// not shown.
	patients map[clinic.PatientID]string
	// shown are the patients whose names were found, for the audit row of the read.
	shown []clinic.PatientID
}

// loadAuditNames reads the tokens the entries name and, when withPatients, the patients
// they concern or who acted through the portal (and extra, the filter's patient).
func loadAuditNames(ctx context.Context, tx *store.Tx, org clinic.OrgID, users []clinic.User, entries []store.AuditEntry,
	withPatients bool, extra clinic.PatientID) (auditNames, error) {
	n := auditNames{users: make(map[clinic.UserID]clinic.User, len(users))}
	for _, u := range users {
		n.users[u.ID] = u
	}
	var tokens []clinic.TokenID
	var patients []clinic.PatientID
	seenToken, seenPatient := map[clinic.TokenID]bool{}, map[clinic.PatientID]bool{}
	addPatient := func(id clinic.PatientID) {
		if id != 0 && !seenPatient[id] {
			seenPatient[id] = true
			patients = append(patients, id)
		}
	}
	addPatient(extra)
	for _, e := range entries {
		if e.TokenID != 0 && !seenToken[e.TokenID] {
			seenToken[e.TokenID] = true
			tokens = append(tokens, e.TokenID)
		}
		addPatient(e.PatientID)
		addPatient(patientActorOf(e.Actor, e.ActorKind))
	}
	var err error
	if n.tokens, err = tx.AuditTrail().AuditTokens(ctx, org, tokens); err != nil {
		return n, err
	}
	if !withPatients {
		return n, nil
	}
	ps, err := tx.Patients().PatientsByIDs(ctx, org, patients)
	if err != nil {
		return n, err
	}
	n.patients = make(map[clinic.PatientID]string, len(ps))
	for _, id := range patients {
		if p, ok := ps[id]; ok {
			n.patients[id] = p.FullName()
			n.shown = append(n.shown, id)
		}
	}
	return n, nil
}

// row is the entries es (one, or one request's read) as the page shows them.
func (n auditNames) row(f frame, es []store.AuditEntry) auditRow {
	e := es[0]
	at := e.At.In(f.Loc)
	label, _ := actionOf(e.Action)
	row := auditRow{ID: e.ID, At: f.Locale.DayDate(at) + " " + at.Format("15:04:05 MST"), Stamp: at.Format(time.RFC3339),
		Actor:   whoOf(auditEntryRef{Actor: e.Actor, ActorKind: e.ActorKind, UserID: e.UserID, TokenID: e.TokenID}, n.users, n.tokens, n.patients),
		ActorID: e.Actor, Action: label, Code: e.Action, Group: len(es) > 1, Entries: len(es), RequestID: e.RequestID,
		Hidden: n.patients == nil}
	if row.Hidden && patientActorOf(e.Actor, e.ActorKind) != 0 {
		row.ActorID = "patient" // the label holds the patient's id
	}
	var ids []clinic.PatientID
	seen := make(map[clinic.PatientID]bool, len(es))
	for _, x := range es {
		if x.PatientID != 0 && !seen[x.PatientID] {
			seen[x.PatientID] = true
			ids = append(ids, x.PatientID)
		}
	}
	row.Count = len(ids)
	if !row.Hidden {
		for _, id := range ids {
			row.Patients = append(row.Patients, auditPatient{ID: id, Name: n.patients[id]})
		}
	}
	if e.Detail != "" {
		row.Detail = true
		var d auditlog.ChangeDetail
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			// Not written by audit.Change: shown as stored rather than lost.
			row.Subject = e.Detail
		} else {
			row.Subject = d.Subject
			for _, c := range d.Changes {
				row.Changes = append(row.Changes, auditChange{Field: fieldOf(c.Field), Before: valueOf(c.Field, c.Before, f.Loc, f.Locale), After: valueOf(c.Field, c.After, f.Loc, f.Locale)})
			}
		}
	}
	return row
}

// joinInvalid merges the field errors of several validations into one, so a page names every
// refused field at once.
func joinInvalid(errs ...error) error {
	var v clinic.ValidationError
	for _, err := range errs {
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			v.Fields = append(v.Fields, ve.Fields...)
		} else if err != nil {
			return err
		}
	}
	return v.Err()
}
