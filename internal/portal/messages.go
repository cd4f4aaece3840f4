package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Secure messaging's pages (MSG-2..MSG-6): the patient's conversations, a new one with the
// clinic (only when the clinic shows the "New message" button, MSG-3), a conversation with
// its reply form and attachments, and the stream of events that keeps the open pages
// current (SSE, through internal/realtime). Every rule is the messaging use cases': a
// conversation the patient may not read is "not found".

// eventsPage is how many events the stream reads from the database at a time.
const eventsPage = 500

// msgNoReply is why a reply was refused: the conversation was closed meanwhile.
const msgNoReply = "You can no longer write in this conversation."

// messagesPage is the list of the patient's conversations.
type messagesPage struct {
	NoRecord   bool
	NewMessage bool
	Items      []convItem
	// Events is the stream the page follows (data-events-url), after the last event
	// before the page was read.
	Events string
}

// convItem is a conversation in the list.
type convItem struct {
	ID      int64
	Subject string
	With    string // the clinic's name
	For     string // the relative it is about; "" when it is about the patient
	When    string
	Unread  int
	Closed  bool
}

// messages lists the conversations of the patient and of the relatives they act for (GET
// /p/{slug}/messages).
func (p *Portal) messages(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.messagesData(r.Context(), v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "messages", "Messages", data)
}

func (p *Portal) messagesData(ctx context.Context, v *visit) (messagesPage, error) {
	data := messagesPage{NoRecord: v.SelfID() == 0}
	if data.NoRecord {
		return data, nil
	}
	var err error
	// The stream's start first: whatever happens after it reaches the page.
	if data.Events, err = p.eventsURL(ctx, v); err != nil {
		return data, err
	}
	if data.NewMessage, err = p.d.Messaging.Button(ctx, v.Site.Clinic.OrgID, v.Site.Clinic.ID); err != nil {
		return data, err
	}
	items, err := p.d.Messaging.Inbox(ctx, ctxActor(ctx), 0, messaging.BoxAll)
	if err != nil {
		return data, err
	}
	loc, err := v.Site.Clinic.Location()
	if err != nil {
		return data, err
	}
	var cls []clinic.ClinicID
	for _, it := range items {
		cls = append(cls, it.ClinicID)
	}
	names, err := p.clinicNames(ctx, v, cls)
	if err != nil {
		return data, err
	}
	for _, it := range items {
		at := it.LastMessageAt
		if at.IsZero() {
			at = it.CreatedAt
		}
		data.Items = append(data.Items, convItem{ID: it.ID, Subject: it.Subject, With: names[it.ClinicID], For: p.aboutWhom(v, it.PatientID),
			When: stamp(v, at, loc), Unread: it.Unread, Closed: it.State == store.ConversationClosed})
	}
	return data, nil
}

// stamp is when a message was written, in the clinic's zone and the page's words.
func stamp(v *visit, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return v.Locale.DayDate(t) + " " + v.Locale.Time(t)
}

// aboutWhom names the relative a conversation is about; "" for the patient themselves.
func (p *Portal) aboutWhom(v *visit, id clinic.PatientID) string {
	if id == v.SelfID() {
		return ""
	}
	for _, pt := range v.Session.Patients() {
		if pt.ID == id {
			return pt.GivenName
		}
	}
	return ""
}

// clinicNames reads the names of clinics of the portal's organisation.
func (p *Portal) clinicNames(ctx context.Context, v *visit, ids []clinic.ClinicID) (map[clinic.ClinicID]string, error) {
	out := map[clinic.ClinicID]string{v.Site.Clinic.ID: v.Site.Clinic.Name}
	err := p.d.DB.View(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			c, err := tx.Directory().Clinic(ctx, v.Site.Clinic.OrgID, id)
			if err != nil {
				return err
			}
			out[id] = c.Name
		}
		return nil
	})
	return out, err
}

// eventsURL is the address of the patient's stream, resuming after the newest event.
func (p *Portal) eventsURL(ctx context.Context, v *visit) (string, error) {
	last, err := p.lastEvent(ctx)
	return fmt.Sprintf("%s/events?after=%d", v.base(), last), err
}

// lastEvent is the id of the newest message event: a stream from now follows those after it.
func (p *Portal) lastEvent(ctx context.Context) (last int64, err error) {
	err = p.d.DB.View(ctx, func(tx *store.Tx) (err error) {
		last, err = tx.Messaging().LastMessageEvent(ctx)
		return err
	})
	return last, err
}

// newMessagePage is the form of a new conversation with the clinic.
type newMessagePage struct {
	Closed     bool // the clinic does not take messages from patients (MSG-2, MSG-3)
	Patients   []choice
	Subject    string
	Body       string
	Fields     []clinic.FieldError
	MaxSubject int
	MaxBody    int
}

// newMessageForm shows the form of a new conversation (GET /p/{slug}/messages/new), only
// when the clinic shows the "New message" button (MSG-3).
func (p *Portal) newMessageForm(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.newMessageData(r.Context(), v, v.SelfID())
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "message_new", "New message", data)
}

func (p *Portal) newMessageData(ctx context.Context, v *visit, who clinic.PatientID) (newMessagePage, error) {
	data := newMessagePage{Closed: v.SelfID() == 0, MaxSubject: messaging.MaxSubject, MaxBody: messaging.MaxBody}
	if data.Closed {
		return data, nil
	}
	shown, err := p.d.Messaging.Button(ctx, v.Site.Clinic.OrgID, v.Site.Clinic.ID)
	if err != nil {
		return data, err
	}
	data.Closed = !shown
	if ps := v.Session.Patients(); len(ps) > 1 {
		for _, pt := range ps {
			data.Patients = append(data.Patients, choice{Value: strconv.FormatInt(int64(pt.ID), 10), Label: pt.GivenName + " " + pt.FamilyName, Selected: pt.ID == who})
		}
	}
	return data, nil
}

// startConversation starts a conversation with the clinic (POST /p/{slug}/messages: for,
// subject, body) and opens it.
func (p *Portal) startConversation(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	ctx := r.Context()
	actor := ctxActor(ctx)
	f := r.PostForm
	who := v.SelfID()
	if s := f.Get("for"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !actor.Reaches(clinic.PatientID(id)) {
			p.fail(w, r, v, fmt.Errorf("patient %q: %w", s, clinic.ErrNotFound))
			return
		}
		who = clinic.PatientID(id)
	}
	c, err := p.d.Messaging.Start(ctx, actor, messaging.StartInput{ClinicID: v.Site.Clinic.ID, PatientID: who, Subject: f.Get("subject"), Body: f.Get("body")})
	status := p.messageSent(w, r, v, c.ID, err)
	if status == 0 {
		return
	}
	data, derr := p.newMessageData(ctx, v, who)
	if derr != nil {
		p.fail(w, r, v, derr)
		return
	}
	if status == http.StatusForbidden {
		data.Closed = true
	}
	data.Subject, data.Body, data.Fields = f.Get("subject"), f.Get("body"), messageFields(err)
	p.render(w, r, v, status, "message_new", "New message", data)
}

// messageSent answers a message form's POST when it can: err nil, it opens conversation id
// ("message-sent"); an error other than a refusal the patient can read on the form
// (invalid, conflict or forbidden) fails the page. Either way it returns 0; else the status
// with which the caller shows the form again.
func (p *Portal) messageSent(w http.ResponseWriter, r *http.Request, v *visit, id int64, err error) (status int) {
	if err == nil {
		http.Redirect(w, r, page.WithDone(fmt.Sprintf("%s/messages/%d", v.base(), id), "message-sent"), http.StatusSeeOther)
		return 0
	}
	status = web4xx(err)
	if errors.Is(err, clinic.ErrForbidden) {
		status = http.StatusForbidden
	}
	if status == 0 {
		p.fail(w, r, v, err)
	}
	return status
}

// messageFields are a messaging error's fields, named as the portal's forms name them.
func messageFields(err error) []clinic.FieldError {
	fs := clinic.FieldsOf(err)
	for i := range fs {
		if fs[i].Field == "patient_id" {
			fs[i].Field = "for"
		}
	}
	return fs
}

// conversationPage is a conversation with its reply form.
type conversationPage struct {
	Base      string
	ID        int64
	Subject   string
	With      string // the clinic's name
	For       string // the relative it is about
	Closed    bool
	CanAnswer bool
	Messages  []msgView
	Last      int64 // the last message shown: the page script fetches what follows
	Events    string
	Body      string
	Fields    []clinic.FieldError
	Problem   string
	MaxBody   int
	MaxMiB    int
}

// msgView is a message as the patient reads it. Body is shown escaped, as written.
type msgView struct {
	ID             int64
	Mine           bool   // written by the signed-in patient: "You"
	System         bool   // written by Tidings (a handover)
	Author         string // the professional's name, else the clinic's
	Body           string
	When           string
	Attachment     int64
	AttachmentName string
	AttachmentKB   int64
	Read           bool // Mine, and the clinic's team read it
}

// conversation shows a conversation and marks it read (GET /p/{slug}/messages/{id}).
func (p *Portal) conversation(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.conversationData(r.Context(), v, pathID(r, "id"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "conversation", "Message", data)
}

// pathID reads a numeric path value; an unreadable one is 0, which exists nowhere.
func pathID(r *http.Request, name string) int64 {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func (p *Portal) conversationData(ctx context.Context, v *visit, id int64) (conversationPage, error) {
	data := conversationPage{Base: v.base(), ID: id, MaxBody: messaging.MaxBody, MaxMiB: messaging.MaxAttachment >> 20}
	actor := ctxActor(ctx)
	var err error
	if data.Events, err = p.eventsURL(ctx, v); err != nil {
		return data, err
	}
	var view messaging.View
	for after := int64(0); ; {
		part, err := p.d.Messaging.Read(ctx, actor, id, after)
		if err != nil {
			return data, err
		}
		if after == 0 {
			view = part
		} else {
			view.Messages = append(view.Messages, part.Messages...)
		}
		if len(part.Messages) < readPage || len(part.Messages) == 0 {
			break
		}
		after = part.Messages[len(part.Messages)-1].ID
	}
	c := view.Conversation
	names, err := p.clinicNames(ctx, v, []clinic.ClinicID{c.ClinicID})
	if err != nil {
		return data, err
	}
	data.Subject, data.With, data.For = c.Subject, names[c.ClinicID], p.aboutWhom(v, c.PatientID)
	data.Closed, data.CanAnswer = c.State == store.ConversationClosed, view.CanAnswer
	if data.Messages, err = p.messageViews(ctx, v, view, names[c.ClinicID]); err != nil {
		return data, err
	}
	if n := len(view.Messages); n > 0 {
		data.Last = view.Messages[n-1].ID
		// Opened: read up to what it shows (the clinic's page shows the receipt).
		if err := p.d.Messaging.MarkRead(ctx, actor, id, data.Last); err != nil {
			return data, err
		}
	}
	return data, nil
}

// readPage is messaging.Read's page of messages.
const readPage = 200

// messageViews writes a conversation's messages for the patient: who wrote each (the
// patient as "You", a professional by their practitioner's name, other staff as the
// clinic), and whether the clinic's team read the patient's own.
func (p *Portal) messageViews(ctx context.Context, v *visit, view messaging.View, clinicName string) ([]msgView, error) {
	loc, err := v.Site.Clinic.Location()
	if err != nil {
		return nil, err
	}
	var staffRead int64
	for who, upTo := range view.Reads {
		if strings.HasPrefix(who, "user:") {
			staffRead = max(staffRead, upTo)
		}
	}
	org := v.Site.Clinic.OrgID
	var userIDs []clinic.UserID
	var patientIDs []clinic.PatientID
	for _, m := range view.Messages {
		switch {
		case m.Author == store.ByStaff && m.AuthorUserID != 0:
			userIDs = append(userIDs, m.AuthorUserID)
		case m.Author == store.ByPatient && m.AuthorPatientID != v.SelfID():
			patientIDs = append(patientIDs, m.AuthorPatientID)
		}
	}
	staff := map[clinic.UserID]string{}
	patients := map[clinic.PatientID]clinic.Patient{}
	err = p.d.DB.View(ctx, func(tx *store.Tx) error {
		if len(userIDs) > 0 {
			us, err := tx.Staff().UsersByIDs(ctx, org, userIDs)
			if err != nil {
				return err
			}
			for id, u := range us {
				switch {
				case u.PractitionerID != 0:
					pr, err := tx.Directory().Practitioner(ctx, org, u.PractitionerID)
					if err == nil && pr.Name != "" {
						staff[id] = pr.Name
					}
				case u.Role == clinic.RolePractitioner && u.Name != "":
					staff[id] = u.Name
				}
			}
		}
		if len(patientIDs) > 0 {
			var err error
			if patients, err = tx.Patients().PatientsByIDs(ctx, org, patientIDs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]msgView, 0, len(view.Messages))
	for _, m := range view.Messages {
		mv := msgView{ID: m.ID, Body: m.Body, When: stamp(v, m.CreatedAt, loc), Attachment: m.AttachmentID, AttachmentName: m.AttachmentName,
			AttachmentKB: (m.AttachmentSize + 1023) / 1024, Author: clinicName}
		switch m.Author {
		case store.ByPatient:
			mv.Mine = m.AuthorPatientID == v.SelfID()
			mv.Read = mv.Mine && staffRead >= m.ID
			if pt, ok := patients[m.AuthorPatientID]; ok {
				mv.Author = pt.GivenName
			}
		case store.ByStaff:
			if n, ok := staff[m.AuthorUserID]; ok {
				mv.Author = n
			}
		case store.BySystem:
			mv.System = true
		}
		out = append(out, mv)
	}
	return out, nil
}

// reply writes a message, with an optional attachment (POST /p/{slug}/messages/{id},
// multipart: body, attachment), and shows the conversation again.
func (p *Portal) reply(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	id := pathID(r, "id")
	body, up, err := readReply(w, r)
	if err == nil {
		_, err = p.d.Messaging.Send(ctx, ctxActor(ctx), id, body, up)
	}
	status := p.messageSent(w, r, v, id, err)
	if status == 0 {
		return
	}
	data, derr := p.conversationData(ctx, v, id)
	if derr != nil {
		p.fail(w, r, v, derr)
		return
	}
	data.Body, data.Fields = body, messageFields(err)
	if status == http.StatusForbidden {
		data.Problem = msgNoReply
	}
	p.render(w, r, v, status, "conversation", "Message", data)
}

// readReply reads a reply's form: its text and the file attached, if any. A body larger
// than an attachment may be is refused naming the attachment.
func readReply(w http.ResponseWriter, r *http.Request) (string, *messaging.Upload, error) {
	tooLarge := clinic.Invalid("attachment", fmt.Sprintf("must be at most %d MiB", messaging.MaxAttachment>>20))
	r.Body = http.MaxBytesReader(w, r.Body, messaging.MaxAttachment+64<<10)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	multipart := ct == "multipart/form-data"
	var err error
	if multipart {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", nil, tooLarge
		}
		return "", nil, clinic.Invalid("form", "could not be read")
	}
	if !multipart {
		return r.PostForm.Get("body"), nil, nil
	}
	defer r.MultipartForm.RemoveAll()
	body := r.FormValue("body")
	file, hdr, err := r.FormFile("attachment")
	if errors.Is(err, http.ErrMissingFile) {
		return body, nil, nil
	}
	if err != nil {
		return body, nil, clinic.Invalid("attachment", "could not be read")
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, messaging.MaxAttachment+1))
	if err != nil {
		return body, nil, clinic.Invalid("attachment", "could not be read")
	}
	if hdr.Filename == "" && len(b) == 0 {
		return body, nil, nil
	}
	// The use case checks the size, the type (by content) and the name.
	return body, &messaging.Upload{Name: hdr.Filename, Data: b}, nil
}

// messagesAfter is the fragment of a conversation's messages after message after (GET
// /p/{slug}/messages/{id}/after/{after}), which the page script appends when the stream
// tells of a new message.
func (p *Portal) messagesAfter(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	view, err := p.d.Messaging.Read(ctx, ctxActor(ctx), pathID(r, "id"), pathID(r, "after"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	names, err := p.clinicNames(ctx, v, []clinic.ClinicID{view.Conversation.ClinicID})
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := conversationPage{Base: v.base(), ID: view.Conversation.ID}
	if data.Messages, err = p.messageViews(ctx, v, view, names[view.Conversation.ClinicID]); err != nil {
		p.fail(w, r, v, err)
		return
	}
	body, err := p.pages.Execute(v.Locale, "conversation", "message-items", data)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	page.WriteHTML(w, http.StatusOK, v.Locale, body)
}

// markRead records that the patient read a conversation up to a message (POST
// /p/{slug}/messages/{id}/read: up_to), for the page script when a message arrives on an
// open page; 204.
func (p *Portal) markRead(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	upTo, _ := strconv.ParseInt(r.PostForm.Get("up_to"), 10, 64)
	ctx := r.Context()
	if err := p.d.Messaging.MarkRead(ctx, ctxActor(ctx), pathID(r, "id"), upTo); err != nil {
		p.fail(w, r, v, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// attachment downloads an attachment of a conversation the patient may read (GET
// /p/{slug}/messages/attachments/{id}): always as a download, never rendered by the
// browser, never cached.
func (p *Portal) attachment(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	a, err := p.d.Messaging.Attachment(ctx, ctxActor(ctx), pathID(r, "id"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	if a.Data == nil && a.Blob != "" {
		p.fail(w, r, v, fmt.Errorf("attachment %d is in the blob store, which the portal cannot read", a.ID))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.Data)
}

// events is the stream of the patient's message events (GET /p/{slug}/events, SSE): those
// of the conversations of the patient and of the relatives they act for, after the
// Last-Event-ID a reconnecting browser sends, else after the page's ?after=, else from now.
// Each event carries ids only (realtime.EventJSON); the page reads the rest through the
// pages above.
func (p *Portal) events(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	actor := ctxActor(ctx)
	if len(actor.Patients) == 0 {
		// No record at this clinic: nothing to follow (204 tells EventSource to stop).
		w.WriteHeader(http.StatusNoContent)
		return
	}
	org := actor.OrgID
	f := store.EventFilter{PatientIDs: actor.Patients}
	after, ok := realtime.After(r)
	if !ok {
		var err error
		if after, err = p.lastEvent(ctx); err != nil {
			p.fail(w, r, v, err)
			return
		}
	}
	// Serve owns the subscription (it outlives this handler once the stream is parked).
	src := realtime.Source{Sub: p.d.Hub.Subscribe(org, f), Page: eventsPage,
		Load: func(ctx context.Context, after int64) ([]store.MessageEvent, error) {
			var es []store.MessageEvent
			err := p.d.DB.ViewStream(ctx, func(tx *store.Tx) (err error) {
				es, err = tx.Messaging().MessageEventsAfter(ctx, org, f, after, eventsPage)
				return err
			})
			return es, err
		},
		Render: func(_ context.Context, e store.MessageEvent) (string, string, bool) {
			return e.Kind, realtime.EventJSON(e), true
		},
	}
	if err := realtime.Serve(ctx, w, src, after); err != nil && ctx.Err() == nil {
		p.d.Logger.WarnContext(ctx, "portal message events", "request_id", web.RequestID(ctx), "err", err)
	}
}
