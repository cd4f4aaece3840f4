package dashboard

import (
	"context"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// conversationPage is the data of templates/conversation.html: one conversation (MSG-4)
// as its viewer may see it, its messages with their authors, times, attachments and read
// receipts, the reply form and the actions the viewer may take.
type conversationPage struct {
	ID         int64
	Subject    string
	PatientID  clinic.PatientID
	Patient    string
	Clinic     string
	FromClinic string // the clinic it was handed over from; "" for none
	State      string
	StateLabel string
	Started    string
	Assigned   string
	Messages   []messageItem
	// LastID is the last message shown: the page asks for the messages after it when its
	// stream says one came. Later is the link to the messages after a full page.
	LastID    int64
	Later     string
	EventsURL string
	// What the viewer may do (messaging.View), and the choices of the forms.
	CanAnswer, CanAssign, CanClose, CanHandover bool
	Closed                                      bool
	Assignees                                   []option
	Clinics                                     []option
	// The forms as typed, and what a refused one names.
	Body, Organisation, OtherClinic string
	Fields                          []clinic.FieldError
	MaxMiB                          int
}

// messageItem is one message as the page shows it.
type messageItem struct {
	ID     int64
	Author string // who wrote it ("" for Tidings)
	By     string // store.ByStaff, ByPatient, BySystem: its side, for the style and receipts
	Body   string // as sent: the template escapes it
	At     string
	When   string // RFC 3339, for <time>
	// Read: a staff message the patient's side read (their last read ≥ this message).
	Read       bool
	Attachment *attachmentItem
}

// attachmentItem is a message's file.
type attachmentItem struct {
	ID            int64
	Name, Type    string
	SizeKey, Size string // "{0} KB", "12"
}

// conversationForm is a refused form of the conversation page, shown again as typed.
type conversationForm struct {
	Body, Organisation, Clinic string
}

// messageShow shows a conversation (GET /messages/{id}?after=) through messaging.Read,
// which answers "not found" to a viewer who may not read it (MSG-6) and audits the read
// ("message.read"), and marks it read up to its last message shown (a read receipt the
// patient's open page shows at once). after shows the messages after that one (the link
// under a full page).
func (d *Dashboard) messageShow(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	after, err := queryID(r, "after")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.showConversation(w, r, id, after, http.StatusOK, nil, conversationForm{})
}

// showConversation renders conversation id from message after on, with a refused form
// (its status, its fields named, what was typed) or none.
func (d *Dashboard) showConversation(w http.ResponseWriter, r *http.Request, id, after int64, status int, refusal error, typed conversationForm) {
	ctx := r.Context()
	actor := web.MustActor(ctx)
	// The newest event before the messages: whatever comes after reaches the page.
	last, err := d.lastEvent(ctx)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v, err := d.messaging.Read(ctx, actor, id, after)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if n := len(v.Messages); n > 0 {
		if err := d.messaging.MarkRead(ctx, actor, id, v.Messages[n-1].ID); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	var f frame
	var page conversationPage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, err = d.conversationPageOf(ctx, tx, f, v)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.EventsURL = eventsURL(last)
	if n := len(v.Messages); n > 0 && n >= messagingPage {
		page.Later = "/messages/" + strconv.FormatInt(id, 10) + "?after=" + strconv.FormatInt(page.LastID, 10)
	}
	page.Body, page.Organisation, page.OtherClinic = typed.Body, typed.Organisation, typed.Clinic
	page.Fields = clinic.FieldsOf(refusal)
	if status == http.StatusOK && len(page.Fields) > 0 {
		status = http.StatusUnprocessableEntity
	}
	d.send(w, r, reply{Status: status, Page: "conversation", View: view{Title: "Conversation", Header: f.header(r, "messages"), Data: page}})
}

// messagingPage is how many messages messaging.Read returns at most: a page that full has
// a link to the next.
const messagingPage = 200

// conversationPageOf builds the page of view v: the names of the patient, the authors and
// the clinics, and the professionals it may be assigned to.
func (d *Dashboard) conversationPageOf(ctx context.Context, tx *store.Tx, f frame, v messaging.View) (conversationPage, error) {
	c := v.Conversation
	page := conversationPage{ID: c.ID, Subject: c.Subject, PatientID: c.PatientID, Clinic: f.clinicName(c.ClinicID), FromClinic: f.clinicName(c.FromClinicID),
		State: c.State, StateLabel: conversationStateLabel(c.State), Started: startedByLabel(c.StartedBy), Closed: c.State == store.ConversationClosed,
		CanAnswer: v.CanAnswer, CanAssign: v.CanAssign, CanClose: v.CanClose, CanHandover: v.CanHandover, MaxMiB: messaging.MaxAttachment >> 20}
	items, err := messageItems(ctx, tx, f, c, v.Messages, v.Reads)
	if err != nil {
		return page, err
	}
	page.Messages = items
	if n := len(items); n > 0 {
		page.LastID = items[n-1].ID
	}
	people, err := tx.Patients().PatientsByIDs(ctx, f.Org.ID, []clinic.PatientID{c.PatientID})
	if err != nil {
		return page, err
	}
	page.Patient = people[c.PatientID].FullName()
	if page.CanAssign {
		set, err := tx.Messaging().MessagingSettingsOf(ctx, f.Org.ID, c.ClinicID)
		if err != nil {
			return page, err
		}
		users, err := all(func(p store.Page) ([]clinic.User, error) { return tx.Staff().Users(ctx, f.Org.ID, p) },
			func(u clinic.User) int64 { return int64(u.ID) })
		if err != nil {
			return page, err
		}
		page.Assignees = append(page.Assignees, option{Value: 0, Label: "", Selected: c.AssignedUserID == 0})
		for _, u := range users {
			if u.ID == c.AssignedUserID {
				page.Assigned = userName(u)
			}
			if u.DisabledAt == nil && messaging.Assignable(set, messaging.StaffPerson(u)) {
				page.Assignees = append(page.Assignees, option{Value: int64(u.ID), Label: userName(u), Selected: u.ID == c.AssignedUserID})
			}
		}
	} else if c.AssignedUserID != 0 {
		us, err := tx.Staff().UsersByIDs(ctx, f.Org.ID, []clinic.UserID{c.AssignedUserID})
		if err != nil {
			return page, err
		}
		if u, ok := us[c.AssignedUserID]; ok {
			page.Assigned = userName(u)
		}
	}
	for _, cl := range f.Clinics {
		if cl.ID != c.ClinicID {
			page.Clinics = append(page.Clinics, option{Value: int64(cl.ID), Label: cl.Name})
		}
	}
	return page, nil
}

// messageItems names the authors of ms (staff by name, the patient or whoever acts for
// them by theirs) and marks the staff messages the patient's side read.
func messageItems(ctx context.Context, tx *store.Tx, f frame, c store.Conversation, ms []store.Message, reads map[string]int64) ([]messageItem, error) {
	var uids []clinic.UserID
	var pids []clinic.PatientID
	for _, m := range ms {
		if m.AuthorUserID != 0 {
			uids = append(uids, m.AuthorUserID)
		}
		if m.AuthorPatientID != 0 {
			pids = append(pids, m.AuthorPatientID)
		}
	}
	users, err := tx.Staff().UsersByIDs(ctx, f.Org.ID, uids)
	if err != nil {
		return nil, err
	}
	people, err := tx.Patients().PatientsByIDs(ctx, f.Org.ID, pids)
	if err != nil {
		return nil, err
	}
	readUpTo := patientReadUpTo(reads)
	out := make([]messageItem, 0, len(ms))
	for _, m := range ms {
		it := messageItem{ID: m.ID, By: m.Author, Body: m.Body, At: f.stamp(m.CreatedAt), When: m.CreatedAt.UTC().Format(time.RFC3339)}
		switch m.Author {
		case store.ByStaff:
			it.Author = userName(users[m.AuthorUserID])
			it.Read = readUpTo >= m.ID
		case store.ByPatient:
			it.Author = people[m.AuthorPatientID].FullName()
		}
		if m.AttachmentID != 0 {
			key, n := sizeLabel(m.AttachmentSize)
			it.Attachment = &attachmentItem{ID: m.AttachmentID, Name: m.AttachmentName, Type: m.AttachmentType, SizeKey: key, Size: n}
		}
		out = append(out, it)
	}
	return out, nil
}

// messageAfter answers the messages of a conversation after message {after} (GET
// /messages/{id}/after/{after}), the list items the page appends when its stream says a
// message came; read through messaging.Read (audited "message.read").
func (d *Dashboard) messageAfter(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	after, err := strconv.ParseInt(r.PathValue("after"), 10, 64)
	if err != nil || after < 0 {
		d.fail(w, r, clinic.ErrNotFound)
		return
	}
	ctx := r.Context()
	v, err := d.messaging.Read(ctx, web.MustActor(ctx), id, after)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var items []messageItem
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		items, err = messageItems(ctx, tx, f, v.Conversation, v.Messages, v.Reads)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "conversation", Block: "message-items", View: view{Header: f.header(r, "messages"), Data: conversationPage{ID: id, Messages: items}}})
}

// replyLimit bounds a reply's body: the largest attachment and a margin for the text and
// the multipart framing.
const replyLimit = messaging.MaxAttachment + 256<<10

// messageReply writes a message in a conversation (POST /messages/{id}/reply, multipart:
// body, and an optional file attachment) through messaging.Send, which checks the viewer
// may answer, the file's type by its content and its size, marks the conversation for the
// patient's alert (MSG-5) and writes the audit row ("message.send"); then shows the
// conversation again (Post/Redirect/Get). A refused form is shown again (422) with the text
// typed; a file too large is refused naming the attachment.
func (d *Dashboard) messageReply(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, replyLimit)
	var up *messaging.Upload
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(1 << 20)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
	} else {
		err = r.ParseForm()
	}
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		d.showConversation(w, r, id, 0, http.StatusUnprocessableEntity,
			clinic.Invalid("attachment", "must be at most "+strconv.Itoa(messaging.MaxAttachment>>20)+" MiB"), conversationForm{})
		return
	case err != nil:
		d.fail(w, r, errors.Join(web.ErrMalformed, err))
		return
	}
	body := r.PostFormValue("body")
	if file, hdr, ferr := r.FormFile("attachment"); ferr == nil {
		data, rerr := io.ReadAll(io.LimitReader(file, messaging.MaxAttachment+1))
		file.Close()
		if rerr != nil {
			d.fail(w, r, errors.Join(web.ErrMalformed, rerr))
			return
		}
		up = &messaging.Upload{Name: hdr.Filename, Data: data}
	} else if !errors.Is(ferr, http.ErrMissingFile) && !errors.Is(ferr, http.ErrNotMultipart) {
		d.fail(w, r, errors.Join(web.ErrMalformed, ferr))
		return
	}
	ctx := r.Context()
	_, err = d.messaging.Send(ctx, web.MustActor(ctx), id, body, up)
	switch {
	case err == nil:
		http.Redirect(w, r, withDone(conversationPath(id)+"#reply", "message-sent"), http.StatusSeeOther)
	case web.Status(err) == http.StatusUnprocessableEntity:
		d.showConversation(w, r, id, 0, http.StatusUnprocessableEntity, err, conversationForm{Body: body})
	default:
		d.fail(w, r, err)
	}
}

// conversationPath is a conversation's page.
func conversationPath(id int64) string { return "/messages/" + strconv.FormatInt(id, 10) }

// messageRead marks a conversation read up to a message (POST /messages/{id}/read, field
// up_to; none: its last) through messaging.MarkRead, which tells the other side's open
// pages: the page sends it when it shows a message that came while it was open, once the
// viewer is looking at it. htmx gets 204; a form, the conversation again.
func (d *Dashboard) messageRead(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	upTo, err := formID(r, "up_to")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if upTo == 0 {
		upTo = math.MaxInt64
	}
	ctx := r.Context()
	if err := d.messaging.MarkRead(ctx, web.MustActor(ctx), id, upTo); err != nil {
		d.fail(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, conversationPath(id), http.StatusSeeOther)
}

// messageAssign gives a conversation to a professional who may answer it, or to nobody
// (POST /messages/{id}/assign, field user_id; 0 or empty: unassigned) through
// messaging.Assign ("message.assign").
func (d *Dashboard) messageAssign(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	to, err := formID(r, "user_id")
	if err == nil {
		ctx := r.Context()
		err = d.messaging.Assign(ctx, web.MustActor(ctx), id, clinic.UserID(to))
	}
	d.conversationChanged(w, r, id, err, "conversation-assigned", conversationForm{})
}

// messageClose closes a conversation (POST /messages/{id}/close) through messaging.Close
// ("message.close"): nobody writes in it until it is reopened.
func (d *Dashboard) messageClose(w http.ResponseWriter, r *http.Request) {
	d.conversationAct(w, r, d.messaging.Close, "conversation-closed")
}

// messageReopen reopens a closed conversation (POST /messages/{id}/reopen) through
// messaging.Reopen ("message.reopen").
func (d *Dashboard) messageReopen(w http.ResponseWriter, r *http.Request) {
	d.conversationAct(w, r, d.messaging.Reopen, "conversation-reopened")
}

// conversationAct runs act, a form-less action, on the posted conversation as the viewer,
// and ends as conversationChanged with done's confirmation.
func (d *Dashboard) conversationAct(w http.ResponseWriter, r *http.Request, act func(context.Context, clinic.Actor, int64) error, done string) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d.conversationChanged(w, r, id, act(ctx, web.MustActor(ctx), id), done, conversationForm{})
}

// messageHandover hands a conversation over to another clinic that takes incoming
// conversations (POST /messages/{id}/handover): one of the organisation's (field
// clinic_id), where it moves, or another organisation's (fields organisation and clinic,
// their short names in addresses), which gets a copy while this one is closed; through
// messaging.Handover, which tells the patient and writes the audit rows
// ("message.handover", and "message.handover_in" on the other side). Then the inbox, since
// the conversation may no longer be the viewer's; a refused form is shown again (422).
func (d *Dashboard) messageHandover(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	typed := conversationForm{Organisation: strings.TrimSpace(r.PostFormValue("organisation")), Clinic: strings.TrimSpace(r.PostFormValue("clinic"))}
	in := messaging.HandoverInput{Organisation: typed.Organisation, Clinic: typed.Clinic}
	var err error
	if in.Organisation == "" {
		var cl int64
		if cl, err = formID(r, "clinic_id"); err == nil && cl == 0 {
			err = clinic.Invalid("clinic_id", "is required")
		}
		in.ClinicID = clinic.ClinicID(cl)
	} else if in.Clinic == "" {
		err = clinic.Invalid("clinic", "is required")
	}
	if err == nil {
		ctx := r.Context()
		err = d.messaging.Handover(ctx, web.MustActor(ctx), id, in)
	}
	if err == nil {
		http.Redirect(w, r, withDone("/messages", "conversation-handed-over"), http.StatusSeeOther)
		return
	}
	d.conversationChanged(w, r, id, err, "", typed)
}

// conversationChanged ends a conversation's action: back to its page with done's
// confirmation; a refused form shown again (422); a conflict (closing a closed one) back to
// the page saying nothing changed; anything else the error page.
func (d *Dashboard) conversationChanged(w http.ResponseWriter, r *http.Request, id int64, err error, done string, typed conversationForm) {
	switch web.Status(err) {
	case http.StatusOK:
		http.Redirect(w, r, withDone(conversationPath(id), done), http.StatusSeeOther)
	case http.StatusUnprocessableEntity:
		d.showConversation(w, r, id, 0, http.StatusUnprocessableEntity, err, typed)
	case http.StatusConflict:
		http.Redirect(w, r, withDone(conversationPath(id), "conversation-unchanged"), http.StatusSeeOther)
	default:
		d.fail(w, r, err)
	}
}

// messageAttachment serves an attachment's bytes (GET /messages/attachments/{id}) to a
// viewer who may read its conversation, through messaging.Attachment (audited
// "message.attachment"; "not found" to anyone else, MSG-6): with its stored type, as a
// download, never sniffed, never cached by a shared cache, and sandboxed should a browser
// show it.
func (d *Dashboard) messageAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	a, err := d.messaging.Attachment(ctx, web.MustActor(ctx), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if a.Data == nil && a.Blob != "" {
		d.fail(w, r, errors.New("attachment "+strconv.FormatInt(a.ID, 10)+" is in the blob store, which this server does not read"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})
	if disposition == "" {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.Data)
	}
}
