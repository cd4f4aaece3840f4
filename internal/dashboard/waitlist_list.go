package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// The waitlist page's bounds: the waiting entries listed (the waitlist's own bound on a
// clinic's entries), and the freed times shown with their offers, newest first.
const (
	waitlistEntriesShown = 500
	waitlistSlotsShown   = 50
	// waitlistDays is the window the form offers by default, from today (the portal's).
	waitlistDays = 28
)

// waitlistPage is the data of templates/waitlist.html (POR-9): who waits at the current
// clinic, the times freed for them with each offer made and its outcome, and the form
// that puts a patient on the waitlist.
type waitlistPage struct {
	NoClinic bool
	Clinic   string
	Zone     string
	// CanWrite: the viewer may add and remove entries (PermWriteSchedule).
	CanWrite bool
	Entries  []waitlistEntryRow
	Slots    []waitlistSlotRow
	// The form, as typed (or its defaults), and why it was refused: the fields named, or a
	// conflict's message (a catalog key).
	Reasons  []option
	Agendas  []option // the first is "Any practitioner" (0)
	From, To string   // YYYY-MM-DD
	Days     []dayCheck
	FromTime string // HH:MM, "" for the start of the day
	ToTime   string
	Message  string
	Fields   []clinic.FieldError
	// The patient search (templates/parts.html's "patient-results"): Query is echoed into
	// the form body only, never into a URL.
	Query       string
	Searched    bool
	SearchError string
	Patients    []patientChoice
	More        bool
}

// SearchURL is where the form's patient search posts (templates/parts.html's
// "patient-search"): the waitlist page again, adding no one.
func (waitlistPage) SearchURL() string { return "/waitlist/search" }

// dayCheck is one weekday's checkbox of the form: Value is its time.Weekday, Label its
// English name (a catalog key).
type dayCheck struct {
	Value   int
	Label   string
	Checked bool
}

// waitlistEntryRow is one patient waiting: for what, with whom, when, and who added them.
type waitlistEntryRow struct {
	ID           int64
	PatientID    clinic.PatientID
	Patient      string
	Reason       string
	Practitioner string   // "" for any practitioner
	From, To     string   // YYYY-MM-DD
	Days         []string // English weekday names (catalog keys); empty for any day
	Times        string   // "08:30–12:00"; "" for any time of day
	Added        string   // when, in the clinic's zone
	AddedBy      auditText
}

// waitlistSlotRow is one freed time: where its offering stands and the offers made of it.
type waitlistSlotRow struct {
	ID            int64
	When          string // its day and span, in the clinic's zone
	Practitioner  string
	State         string // store.SlotOpen, SlotTaken, SlotLapsed
	StateLabel    string
	Why           auditText // why it was taken or lapsed; empty while open
	Wave          int       // the waves offered so far
	AppointmentID clinic.AppointmentID
	Offers        []waitlistOfferRow
}

// waitlistOfferRow is one offer of a freed time to one waiting patient.
type waitlistOfferRow struct {
	PatientID  clinic.PatientID
	Patient    string
	Time       string // the start offered, in the clinic's zone
	Wave       int
	Offered    string
	Expires    string
	State      string // store.OfferOffered, OfferClaimed, …
	StateLabel string
}

// waitlistInput is the waitlist form as typed.
type waitlistInput struct {
	PatientID        clinic.PatientID
	Query            string
	ReasonID         clinic.ReasonID
	AgendaID         clinic.AgendaID // 0: any practitioner
	From, To         string
	Days             []time.Weekday
	FromTime, ToTime string
	// Defaults: fill the window with today and the weeks after (a form not sent yet).
	Defaults bool
}

// readWaitlistInput reads the waitlist form's fields from v (patient_id, q, reason_id,
// agenda_id, from, to, days repeated per weekday ticked (0 is Sunday), from_time and
// to_time), naming each malformed one. Dates and times are checked by the waitlist's use
// case, as for every surface.
func readWaitlistInput(v url.Values) (waitlistInput, error) {
	in := waitlistInput{Query: strings.TrimSpace(v.Get("q")), From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		FromTime: strings.TrimSpace(v.Get("from_time")), ToTime: strings.TrimSpace(v.Get("to_time"))}
	var errs clinic.ValidationError
	id := func(field string) int64 { return valuesID(v, field, &errs) }
	in.PatientID = clinic.PatientID(id("patient_id"))
	in.ReasonID = clinic.ReasonID(id("reason_id"))
	in.AgendaID = clinic.AgendaID(id("agenda_id"))
	for _, s := range v["days"] {
		n, err := strconv.Atoi(s)
		if err != nil || n < int(time.Sunday) || n > int(time.Saturday) {
			errs.Add("days", "must be days of the week")
			continue
		}
		if !slices.Contains(in.Days, time.Weekday(n)) {
			in.Days = append(in.Days, time.Weekday(n))
		}
	}
	return in, errs.Err()
}

// waitlistList shows the current clinic's waitlist (GET /waitlist?patient_id=): the
// patients waiting, with a Remove button each for those who may book, the times freed
// lately with their state and every offer made of them and its outcome, and the form that
// puts a patient on the waitlist (patient_id preselects one, as a patient file's link
// does; a patient's details never come from a URL). Every patient shown is audited as
// "waitlist.read".
func (d *Dashboard) waitlistList(w http.ResponseWriter, r *http.Request) {
	id, err := queryID(r, "patient_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.showWaitlist(w, r, waitlistInput{PatientID: clinic.PatientID(id), Defaults: true}, http.StatusOK, nil)
}

// showWaitlist renders the waitlist page with the form holding in, and the refusal of a
// form that was not saved (its fields named, or a conflict's message; status 422 or 409)
// or none. A request from htmx (the form's Search button) gets the "patient-results"
// fragment only. The patients the lists show are audited as "waitlist.read", those the
// search lists as "patient.search".
func (d *Dashboard) showWaitlist(w http.ResponseWriter, r *http.Request, in waitlistInput, status int, refusal error) {
	ctx := r.Context()
	var f frame
	var page waitlistPage
	var shown, searched []clinic.PatientID
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, shown, searched, err = d.loadWaitlist(ctx, tx, f, in)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Fields = append(page.Fields, clinic.FieldsOf(refusal)...)
	if refusal != nil && len(clinic.FieldsOf(refusal)) == 0 {
		page.Message = web.SafeMessage(refusal)
	}
	if status == http.StatusOK && len(page.Fields) > 0 {
		status = http.StatusUnprocessableEntity
	}
	rp := reply{
		Status: status,
		Page:   "waitlist",
		View:   view{Title: "Waitlist", Header: f.header(r, "waitlist"), Data: page},
		Audit:  []audit{{"waitlist.read", shown}, {"patient.search", searched}},
	}
	if r.Method == http.MethodPost {
		w.Header().Add("Vary", "HX-Request")
		if r.Header.Get("HX-Request") == "true" {
			rp.Block = "patient-results"
			rp.Audit = []audit{{"patient.search", searched}}
		}
	}
	d.send(w, r, rp)
}

// loadWaitlist reads what the waitlist page shows of the current clinic, in a few
// statements whatever the number of entries and offers: the waiting entries, the latest
// freed times and their offers, the names of the patients, reasons, agendas and staff they
// refer to, and the form for in with the patients its search matches. It returns the
// patients the lists show and those the search lists.
func (d *Dashboard) loadWaitlist(ctx context.Context, tx *store.Tx, f frame, in waitlistInput) (waitlistPage, []clinic.PatientID, []clinic.PatientID, error) {
	page := waitlistPage{Clinic: f.Clinic.Name, Zone: f.Clinic.Zone, CanWrite: f.Actor.Role.Can(clinic.PermWriteSchedule),
		Query: in.Query, From: in.From, To: in.To, FromTime: in.FromTime, ToTime: in.ToTime}
	if f.Clinic.ID == 0 {
		page.NoClinic = true
		return page, nil, nil, nil
	}
	org, cl := f.Org.ID, f.Clinic.ID
	if in.Defaults {
		day := today(d.now(), f.Loc)
		page.From, page.To = day.Format(time.DateOnly), day.AddDate(0, 0, waitlistDays).Format(time.DateOnly)
	}
	entries, err := tx.Waitlist().WaitlistEntries(ctx, org, store.WaitlistFilter{ClinicID: cl, State: store.EntryWaiting}, waitlistEntriesShown)
	if err != nil {
		return page, nil, nil, err
	}
	slots, err := tx.Waitlist().WaitlistSlots(ctx, org, cl, waitlistSlotsShown)
	if err != nil {
		return page, nil, nil, err
	}
	slotIDs := make([]int64, len(slots))
	for i, s := range slots {
		slotIDs[i] = s.ID
	}
	offers, err := tx.Waitlist().OffersOfSlots(ctx, org, slotIDs)
	if err != nil {
		return page, nil, nil, err
	}
	// The patients the lists name, once each, in the order they are shown.
	var shown []clinic.PatientID
	see := func(id clinic.PatientID) {
		if !slices.Contains(shown, id) {
			shown = append(shown, id)
		}
	}
	for _, e := range entries {
		see(e.PatientID)
	}
	for _, o := range offers {
		see(o.PatientID)
	}
	people, err := tx.Patients().PatientsByIDs(ctx, org, shown)
	if err != nil {
		return page, nil, nil, err
	}
	reasons, err := clinicReasons(ctx, tx, org, cl)
	if err != nil {
		return page, nil, nil, err
	}
	agendas, err := clinicAgendas(ctx, tx, org, cl)
	if err != nil {
		return page, nil, nil, err
	}
	reasonNames := map[clinic.ReasonID]string{}
	for _, x := range reasons {
		reasonNames[x.ID] = x.Name
		page.Reasons = append(page.Reasons, option{Value: int64(x.ID), Label: x.Name, Selected: x.ID == in.ReasonID})
	}
	agendaNames := map[clinic.AgendaID]string{}
	page.Agendas = append(page.Agendas, option{Value: 0, Label: "Any practitioner", Selected: in.AgendaID == 0})
	for _, a := range agendas {
		agendaNames[a.ID] = a.Name
		if a.Active || a.ID == in.AgendaID {
			page.Agendas = append(page.Agendas, option{Value: int64(a.ID), Label: a.Name, Selected: a.ID == in.AgendaID})
		}
	}
	for _, wd := range weekOrder() {
		page.Days = append(page.Days, dayCheck{Value: int(wd), Label: wd.String(), Checked: slices.Contains(in.Days, wd)})
	}
	added, err := addedByNames(ctx, tx, org, entries)
	if err != nil {
		return page, nil, nil, err
	}
	for _, e := range entries {
		page.Entries = append(page.Entries, waitlistEntryRow{ID: e.ID, PatientID: e.PatientID, Patient: people[e.PatientID].FullName(),
			Reason: reasonNames[e.ReasonID], Practitioner: agendaNames[e.AgendaID], From: e.FromDate, To: e.ToDate, Days: weekdayNames(e.Weekdays),
			Times: minuteSpan(e.FromMinute, e.ToMinute), Added: f.stamp(e.CreatedAt), AddedBy: added[e.AddedBy]})
	}
	bySlot := map[int64][]waitlistOfferRow{}
	for _, o := range offers {
		bySlot[o.SlotID] = append(bySlot[o.SlotID], waitlistOfferRow{PatientID: o.PatientID, Patient: people[o.PatientID].FullName(),
			Time: f.Locale.Time(o.Start.In(f.Loc)), Wave: o.Wave, Offered: f.stamp(o.OfferedAt), Expires: f.stamp(o.ExpiresAt),
			State: o.State, StateLabel: offerStateLabel(o.State)})
	}
	for _, s := range slots {
		start := s.Start.In(f.Loc)
		page.Slots = append(page.Slots, waitlistSlotRow{ID: s.ID, When: f.Locale.DayDate(start) + " " + span(s.Start, s.End, f.Loc) + " " + start.Format("MST"),
			Practitioner: agendaNames[s.AgendaID], State: s.State, StateLabel: slotStateLabel(s.State), Why: slotWhy(s.Why), Wave: s.Wave,
			AppointmentID: s.AppointmentID, Offers: bySlot[s.ID]})
	}
	var searched []clinic.PatientID
	if page.CanWrite {
		var pick patientPick
		if pick, searched, err = pickPatients(ctx, tx, f, in.Query, in.PatientID); err != nil {
			return page, nil, nil, err
		}
		page.Searched, page.SearchError, page.Patients, page.More = pick.Searched, pick.SearchError, pick.Patients, pick.More
	}
	return page, shown, searched, nil
}

// addedByNames names who added each entry, from the actor labels the entries keep ("user:12",
// "token:3", "portal:9" for a patient's portal account, "system:…"): staff by name, API
// tokens by theirs, the patient portal, or the system, as the audit log names actors.
func addedByNames(ctx context.Context, tx *store.Tx, org clinic.OrgID, entries []store.WaitlistEntry) (map[string]auditText, error) {
	refs := map[string]auditEntryRef{}
	var tokenIDs []clinic.TokenID
	staff := false
	for _, e := range entries {
		if _, ok := refs[e.AddedBy]; ok {
			continue
		}
		ref := auditEntryRef{Actor: e.AddedBy}
		kind, id, _ := strings.Cut(e.AddedBy, ":")
		n, _ := strconv.ParseInt(id, 10, 64)
		switch kind {
		case "user":
			ref.ActorKind, ref.UserID, staff = string(clinic.ActorStaff), clinic.UserID(n), true
		case "token":
			ref.ActorKind, ref.TokenID = string(clinic.ActorToken), clinic.TokenID(n)
			tokenIDs = append(tokenIDs, ref.TokenID)
		case "portal", "patient":
			ref.ActorKind = string(clinic.ActorPatient)
		}
		refs[e.AddedBy] = ref
	}
	users := map[clinic.UserID]clinic.User{}
	if staff {
		us, err := tx.AuditTrail().AuditUsers(ctx, org)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			users[u.ID] = u
		}
	}
	tokens := map[clinic.TokenID]clinic.Token{}
	if len(tokenIDs) > 0 {
		var err error
		if tokens, err = tx.AuditTrail().AuditTokens(ctx, org, tokenIDs); err != nil {
			return nil, err
		}
	}
	out := make(map[string]auditText, len(refs))
	for label, ref := range refs {
		out[label] = whoOf(ref, users, tokens, nil)
	}
	return out, nil
}

// weekdayNames are the weekdays of an entry's mask (bit d is time.Weekday d), Monday first;
// none when it holds every day.
func weekdayNames(mask int) []string {
	if mask&127 == 127 {
		return nil
	}
	var out []string
	for _, wd := range weekOrder() {
		if mask&(1<<wd) != 0 {
			out = append(out, wd.String())
		}
	}
	return out
}

// minuteSpan writes an entry's times of day, "08:30–12:00" (24:00 for the end of the day);
// "" for the whole day.
func minuteSpan(from, to int) string {
	if from <= 0 && to >= 24*60 {
		return ""
	}
	hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	return hm(from) + "–" + hm(to)
}

// The waitlist's states and reasons in staff's words: English catalog keys, translated by
// the template; TestWaitlistLabels checks the French catalog has each.

func slotStateLabel(s string) string {
	switch s {
	case store.SlotOpen:
		return "Being offered"
	case store.SlotTaken:
		return "Taken"
	case store.SlotLapsed:
		return "Not taken"
	}
	return s
}

func offerStateLabel(s string) string {
	switch s {
	case store.OfferOffered:
		return "Offered"
	case store.OfferClaimed:
		return "Booked"
	case store.OfferTaken:
		return "Taken by someone else"
	case store.OfferExpired:
		return "Expired"
	case store.OfferWithdrawn:
		return "Withdrawn"
	}
	return s
}

// slotWhy says why a freed time was taken or lapsed, as the waitlist records it; a reason
// this table does not know is shown as recorded.
func slotWhy(why string) auditText {
	switch why {
	case "":
		return auditText{}
	case "claimed from the waitlist":
		return auditText{Key: "A patient on the waitlist took it."}
	case "the time was booked otherwise":
		return auditText{Key: "It was booked otherwise, not through the waitlist."}
	case "the time came too close to offer":
		return auditText{Key: "The time came too close to offer it."}
	case "no one else on the waitlist wants this time":
		return auditText{Key: "No one else on the waitlist wants this time."}
	}
	return auditText{Plain: why}
}
