package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// messagesPage is the data of templates/messages.html: the current clinic's staff inbox
// (MSG-4) on one tab (unassigned, mine, all), each conversation with its unread count for
// the viewer, and the form that starts a conversation with a patient, for those the clinic
// lets start one (MSG-1), or why not.
type messagesPage struct {
	NoClinic bool
	ClinicID clinic.ClinicID
	Clinic   string
	Box      string
	Tabs     []boxTab
	Rows     []conversationRow
	// EventsURL is the stream the page follows (/events?after=N, N the newest event when
	// the page was read): the list is read again when a conversation changes.
	EventsURL string
	// Reader is how read receipts name the viewer ("user:7"): the list is read again when
	// they read a conversation elsewhere, not when someone else does.
	Reader string
	// The new conversation's form: shown when CanStart, else WhyNot (a catalog key).
	CanStart      bool
	WhyNot        string
	CanSettings   bool // the viewer may change the clinic's switches (a link)
	Subject, Body string
	Fields        []clinic.FieldError
	// The patient search (templates/parts.html's "patient-results").
	Query       string
	Searched    bool
	SearchError string
	Patients    []patientChoice
	More        bool
}

// SearchURL is where the form's patient search posts (templates/parts.html's
// "patient-search"): the inbox again, starting nothing.
func (messagesPage) SearchURL() string { return "/messages/search" }

// boxTab is one tab of the inbox.
type boxTab struct {
	Value, Label string
	Current      bool
}

// conversationRow is one conversation of the inbox.
type conversationRow struct {
	ID         int64
	Subject    string
	PatientID  clinic.PatientID
	Patient    string
	Assigned   string // the professional it is assigned to; "" for none
	State      string
	StateLabel string
	Started    string // who started it (a label)
	Last       string // its last message, in the clinic's zone
	Unread     int
}

// startInput is the new conversation's form as typed.
type startInput struct {
	PatientID     clinic.PatientID
	Query         string
	Subject, Body string
}

// readStartInput reads the form's fields (patient_id, q, subject, body), naming a
// malformed patient.
func readStartInput(v url.Values) (startInput, error) {
	var errs clinic.ValidationError
	in := startInput{Query: strings.TrimSpace(v.Get("q")), Subject: v.Get("subject"), Body: v.Get("body")}
	in.PatientID = clinic.PatientID(valuesID(v, "patient_id", &errs))
	return in, errs.Err()
}

// readBox reads the inbox's tab (box=unassigned|mine|all; default unassigned).
func readBox(r *http.Request) (messaging.Box, error) {
	b := messaging.Box(r.URL.Query().Get("box"))
	if b == "" {
		return messaging.BoxUnassigned, nil
	}
	if !slices.Contains(boxes(), b) {
		return b, clinic.Invalid("box", "must be one of the tabs listed")
	}
	return b, nil
}

// messageInbox shows the current clinic's secure messages (GET /messages?box=): the
// conversations of the tab that the viewer may read (messaging.Inbox decides, and audits
// the patients listed as "message.inbox"), and the new conversation's form. A request from
// htmx (the page following its stream) gets the list alone.
func (d *Dashboard) messageInbox(w http.ResponseWriter, r *http.Request) {
	d.showInbox(w, r, startInput{}, http.StatusOK, nil)
}

// messageSearch shows the inbox again with the new conversation's form as typed and the
// patients its search text (field q) matches in the current clinic's clinical database
// (POST /messages/search: the search text never lands in a URL). htmx's Search button
// gets the patient list alone.
func (d *Dashboard) messageSearch(w http.ResponseWriter, r *http.Request) {
	in, err, ok := postedForm(d, w, r, readStartInput)
	if !ok {
		return
	}
	d.showInbox(w, r, in, http.StatusOK, err)
}

// messageStart starts a conversation with a patient of the current clinic (POST /messages,
// fields clinic_id (the clinic the form was shown for), patient_id, subject and body)
// through messaging.Start, which checks the clinic's switches (MSG-1), writes the first
// message, marks the conversation for the patient's alert (MSG-5) and writes the audit row
// ("message.start"), then opens the conversation (Post/Redirect/Get). A refused form is
// shown again (422) as typed.
func (d *Dashboard) messageStart(w http.ResponseWriter, r *http.Request) {
	in, inErr, ok := postedForm(d, w, r, readStartInput)
	if !ok {
		return
	}
	c, _, err := d.formClinic(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v := clinic.ValidationError{Fields: clinic.FieldsOf(inErr)}
	if in.PatientID == 0 && !clinic.HasField(v.Fields, "patient_id") {
		v.Add("patient_id", "is required: search by name, mobile number or e-mail, then choose the patient")
	}
	err = v.Err()
	var conv store.Conversation
	if err == nil {
		ctx := r.Context()
		conv, err = d.messaging.Start(ctx, web.MustActor(ctx), messaging.StartInput{ClinicID: c.ID, PatientID: in.PatientID, Subject: in.Subject, Body: in.Body})
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/messages/"+strconv.FormatInt(conv.ID, 10), "conversation-started"), http.StatusSeeOther)
	case formError(err):
		d.showInbox(w, r, in, web.Status(err), err)
	default:
		d.fail(w, r, err)
	}
}

// showInbox renders the inbox with the new conversation's form holding in, and the
// refusal of a form not saved (its fields named) or none. The patients the search lists
// are audited as "patient.search".
func (d *Dashboard) showInbox(w http.ResponseWriter, r *http.Request, in startInput, status int, refusal error) {
	ctx := r.Context()
	actor := web.MustActor(ctx)
	box, err := readBox(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	htmx := r.Header.Get("HX-Request") == "true"
	// The frame, the clinic's switches, the patient search, and the newest event, read
	// before the list: whatever changes after it reaches the page's stream.
	var f frame
	var after int64
	var searched []clinic.PatientID
	page := messagesPage{Box: string(box), CanSettings: actor.Can(clinic.PermManageDirectory),
		Query: in.Query, Subject: in.Subject, Body: in.Body, Fields: clinic.FieldsOf(refusal)}
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if after, err = tx.Messaging().LastMessageEvent(ctx); err != nil || f.Clinic.ID == 0 {
			return err
		}
		set, err := tx.Messaging().MessagingSettingsOf(ctx, f.Org.ID, f.Clinic.ID)
		if err != nil {
			return err
		}
		page.WhyNot = whyNotStart(set, f.User)
		page.CanStart = page.WhyNot == ""
		if page.CanStart {
			var pick patientPick
			if pick, searched, err = pickPatients(ctx, tx, f, in.Query, in.PatientID); err != nil {
				return err
			}
			page.Searched, page.SearchError, page.Patients, page.More = pick.Searched, pick.SearchError, pick.Patients, pick.More
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.ClinicID, page.Clinic, page.NoClinic, page.EventsURL = f.Clinic.ID, f.Clinic.Name, f.Clinic.ID == 0, eventsURL(after)
	page.Reader = staffReader(actor.UserID)
	for _, b := range boxes() {
		page.Tabs = append(page.Tabs, boxTab{Value: string(b), Label: boxLabel(b), Current: b == box})
	}
	rp := reply{Status: status, Page: "messages", View: view{Title: "Secure messages", Header: f.header(r, "messages"), Data: &page},
		Audit: []audit{{"patient.search", searched}}}
	if rp.Status == http.StatusOK && len(page.Fields) > 0 {
		rp.Status = http.StatusUnprocessableEntity
	}
	w.Header().Add("Vary", "HX-Request")
	if htmx && r.Method != http.MethodGet {
		// The Search button: the patients matched, nothing else.
		rp.Block = "patient-results"
		d.send(w, r, rp)
		return
	}
	if !page.NoClinic {
		// messaging.Inbox lists what the viewer may read and audits the patients listed.
		items, err := d.messaging.Inbox(ctx, actor, f.Clinic.ID, box)
		if err == nil {
			err = d.db.View(ctx, func(tx *store.Tx) (err error) {
				page.Rows, err = conversationRows(ctx, tx, f, items)
				return err
			})
		}
		if err != nil {
			d.fail(w, r, err)
			return
		}
	}
	if htmx {
		rp.Block = "conversation-list"
	}
	d.send(w, r, rp)
}

// conversationRows names the conversations of the inbox: their patients and the
// professionals they are assigned to, in two statements.
func conversationRows(ctx context.Context, tx *store.Tx, f frame, items []store.ConversationItem) ([]conversationRow, error) {
	var pids []clinic.PatientID
	var uids []clinic.UserID
	for _, it := range items {
		pids = append(pids, it.PatientID)
		if it.AssignedUserID != 0 {
			uids = append(uids, it.AssignedUserID)
		}
	}
	people, err := tx.Patients().PatientsByIDs(ctx, f.Org.ID, pids)
	if err != nil {
		return nil, err
	}
	users, err := tx.Staff().UsersByIDs(ctx, f.Org.ID, uids)
	if err != nil {
		return nil, err
	}
	rows := make([]conversationRow, 0, len(items))
	for _, it := range items {
		last := it.LastMessageAt
		if last.IsZero() {
			last = it.CreatedAt
		}
		row := conversationRow{ID: it.ID, Subject: it.Subject, PatientID: it.PatientID, Patient: people[it.PatientID].FullName(),
			State: it.State, StateLabel: conversationStateLabel(it.State), Started: startedByLabel(it.StartedBy), Last: f.stamp(last), Unread: it.Unread}
		if u, ok := users[it.AssignedUserID]; ok {
			row.Assigned = userName(u)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// lastEvent is the newest message event's id: a page's stream starts after it.
func (d *Dashboard) lastEvent(ctx context.Context) (int64, error) {
	var n int64
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.Messaging().LastMessageEvent(ctx)
		return err
	})
	return n, err
}

// eventsURL is the stream a page follows from event after on.
func eventsURL(after int64) string { return "/events?after=" + strconv.FormatInt(after, 10) }
