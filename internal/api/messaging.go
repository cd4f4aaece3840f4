package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Secure messaging (MSG-1..MSG-6). Every rule is the messaging package's (Decide): these
// handlers decode, call its use cases and encode. An API token is staff of its role but no
// healthcare professional, so it reads and triages conversations when the clinic allows
// triage and never starts or answers one (see messaging.person); a conversation the caller
// may not read is a 404, as if it did not exist (MSG-6).

// MessagingSettings are a clinic's secure-messaging switches (MSG-1..MSG-3).
type MessagingSettings struct {
	ClinicID        int64      `json:"clinic_id"`
	StaffStart      bool       `json:"staff_start"`
	StaffStartAll   bool       `json:"staff_start_all"`
	StartList       []int64    `json:"start_list"`
	Incoming        bool       `json:"incoming"`
	IncomingAll     bool       `json:"incoming_all"`
	AnswerList      []int64    `json:"answer_list"`
	PortalButton    bool       `json:"portal_button"`
	ButtonShown     bool       `json:"button_shown"`
	ReceptionTriage bool       `json:"reception_triage"`
	StaffDigest     bool       `json:"staff_digest"`
	UpdatedAt       *time.Time `json:"updated_at"`
}

// MessagingSettingsInput replaces a clinic's switches: every switch is required (an absent
// one would silently turn a permission off); an absent list is empty.
type MessagingSettingsInput struct {
	StaffStart      *bool   `json:"staff_start"`
	StaffStartAll   *bool   `json:"staff_start_all"`
	StartList       []int64 `json:"start_list"`
	Incoming        *bool   `json:"incoming"`
	IncomingAll     *bool   `json:"incoming_all"`
	AnswerList      []int64 `json:"answer_list"`
	PortalButton    *bool   `json:"portal_button"`
	ReceptionTriage *bool   `json:"reception_triage"`
	StaffDigest     *bool   `json:"staff_digest"`
}

// Conversation is one thread between a clinic and a patient (MSG-4).
type Conversation struct {
	ID              int64      `json:"id"`
	ClinicID        int64      `json:"clinic_id"`
	PatientID       int64      `json:"patient_id"`
	Subject         string     `json:"subject"`
	StartedBy       string     `json:"started_by"`
	StartedByUserID *int64     `json:"started_by_user_id"`
	AssignedUserID  *int64     `json:"assigned_user_id"`
	State           string     `json:"state"`
	FromClinicID    *int64     `json:"from_clinic_id"`
	LastMessageID   *int64     `json:"last_message_id"`
	LastMessageAt   *time.Time `json:"last_message_at"`
	CreatedAt       time.Time  `json:"created_at"`
	Unread          *int       `json:"unread,omitempty"`
}

// ConversationInput starts a conversation with a patient of the clinic, with its first
// message (MSG-1).
type ConversationInput messaging.StartInput

// AttachmentInfo describes a message's attachment; its bytes are at url.
type AttachmentInfo struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
}

// Message is one message of a conversation, its body as it was sent.
type Message struct {
	ID              int64           `json:"id"`
	ConversationID  int64           `json:"conversation_id"`
	Author          string          `json:"author"`
	AuthorUserID    *int64          `json:"author_user_id"`
	AuthorPatientID *int64          `json:"author_patient_id"`
	Body            string          `json:"body"`
	Attachment      *AttachmentInfo `json:"attachment"`
	CreatedAt       time.Time       `json:"created_at"`
}

// ReadMark is how far one participant read ("user:7", "patient:3", "token:2").
type ReadMark struct {
	Reader     string `json:"reader"`
	LastReadID int64  `json:"last_read_id"`
}

// ConversationDetail is a conversation with its messages, its read state and what the
// caller may do with it.
type ConversationDetail struct {
	Conversation Conversation `json:"conversation"`
	Messages     []Message    `json:"messages"`
	Reads        []ReadMark   `json:"reads"`
	CanAnswer    bool         `json:"can_answer"`
	CanAssign    bool         `json:"can_assign"`
	CanClose     bool         `json:"can_close"`
	CanHandover  bool         `json:"can_handover"`
}

// MessageInput writes a text message.
type MessageInput struct {
	Body string `json:"body"`
}

// ConversationReadInput marks a conversation read up to a message (absent: all of it).
type ConversationReadInput struct {
	UpTo *int64 `json:"up_to"`
}

// AssignInput gives a conversation to a professional (0 or absent: nobody).
type AssignInput struct {
	UserID int64 `json:"user_id"`
}

// HandoverInput names the clinic a conversation goes to (MSG-4).
type HandoverInput messaging.HandoverInput

func (x Conversation) location() string {
	return Prefix + "/conversations/" + strconv.FormatInt(x.ID, 10)
}

// A message has no URL of its own: its Location is its conversation's, which lists it.
func (x Message) location() string {
	return Prefix + "/conversations/" + strconv.FormatInt(x.ConversationID, 10)
}

func (a *API) messagingRoutes() []web.Route {
	const tag = "Messaging"
	conv := Prefix + "/conversations/{id}"
	action := func(path, summary string, request any, h func(context.Context, *http.Request, http.ResponseWriter) (int, any, error)) web.Route {
		return web.Route{Method: http.MethodPost, Pattern: conv + path, Perm: clinic.PermReadPatients, Handler: a.handler(h),
			Doc: &web.Doc{Summary: summary, Tag: tag, Request: request, Status: http.StatusNoContent}}
	}
	return []web.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/clinics/{id}/messaging", Perm: clinic.PermReadDirectory, Handler: a.handler(a.getMessagingSettings),
			Doc: &web.Doc{Summary: "A clinic's secure-messaging switches (MSG-1..MSG-3)", Tag: tag, Response: MessagingSettings{}}},
		{Method: http.MethodPut, Pattern: Prefix + "/clinics/{id}/messaging", Perm: clinic.PermManageDirectory, Handler: a.handler(a.putMessagingSettings),
			Doc: &web.Doc{Summary: "Replace a clinic's secure-messaging switches", Tag: tag, Request: MessagingSettingsInput{}, Response: MessagingSettings{}}},
		{Method: http.MethodGet, Pattern: Prefix + "/conversations", Perm: clinic.PermReadPatients, Handler: a.handler(a.listConversations),
			Doc: &web.Doc{Summary: "A clinic's conversations the caller may read, the latest first (at most 200)", Tag: tag, Response: Conversation{}, List: true,
				Query: []web.Param{{Name: "clinic_id", Type: "integer", Description: "the clinic's (absent: every clinic's)"},
					{Name: "box", Type: "string", Description: "unassigned (open and given to nobody), mine (given to the caller), all (the default)",
						Enum: []string{string(messaging.BoxUnassigned), string(messaging.BoxMine), string(messaging.BoxAll)}}}}},
		{Method: http.MethodPost, Pattern: Prefix + "/conversations", Perm: clinic.PermReadPatients, Handler: a.handler(a.startConversation),
			Doc: &web.Doc{Summary: "Start a conversation with a patient (MSG-1: permitted healthcare professionals only, so never an API token)", Tag: tag,
				Request: ConversationInput{}, Response: Conversation{}, Status: http.StatusCreated}},
		{Method: http.MethodGet, Pattern: conv, Perm: clinic.PermReadPatients, Handler: a.handler(a.getConversation),
			Doc: &web.Doc{Summary: "A conversation with its messages and read state (MSG-6: 404 unless the caller may read it)", Tag: tag, Response: ConversationDetail{},
				Query: []web.Param{{Name: "after", Type: "integer", Description: "only the messages after this one (at most 200 a page)"}}}},
		{Method: http.MethodPost, Pattern: conv + "/messages", Perm: clinic.PermReadPatients, Handler: a.handler(a.sendMessage),
			Doc: &web.Doc{Summary: "Write a message (JSON with a body; or multipart/form-data with body and an attachment file, an image or a PDF of at most 5 MiB)", Tag: tag,
				Request: MessageInput{}, Response: Message{}, Status: http.StatusCreated}},
		action("/read", "Mark a conversation read (a read receipt for the other side)", ConversationReadInput{}, a.markConversationRead),
		action("/assign", "Give a conversation to a professional who may answer it (triage)", AssignInput{}, a.assignConversation),
		action("/close", "Close a conversation", nil, a.closeConversation),
		action("/reopen", "Reopen a closed conversation", nil, a.reopenConversation),
		action("/handover", "Hand a conversation over to another clinic that takes incoming conversations (MSG-4)", HandoverInput{}, a.handoverConversation),
		{Method: http.MethodGet, Pattern: Prefix + "/attachments/{id}", Perm: clinic.PermReadPatients, Handler: a.getAttachment,
			Doc: &web.Doc{Summary: "An attachment's bytes, with its stored content type, as a download (404 unless the caller may read its conversation)", Tag: tag}},
	}
}

func settingsOutOf(s store.MessagingSettings) MessagingSettings {
	out := MessagingSettings{ClinicID: int64(s.ClinicID), StaffStart: s.StaffStart, StaffStartAll: s.StaffStartAll, StartList: []int64{},
		Incoming: s.Incoming, IncomingAll: s.IncomingAll, AnswerList: []int64{}, PortalButton: s.PortalButton, ButtonShown: messaging.ButtonShown(s),
		ReceptionTriage: s.ReceptionTriage, StaffDigest: s.StaffDigest}
	for _, u := range s.StartList {
		out.StartList = append(out.StartList, int64(u))
	}
	for _, u := range s.AnswerList {
		out.AnswerList = append(out.AnswerList, int64(u))
	}
	if !s.UpdatedAt.IsZero() {
		out.UpdatedAt = timePtr(s.UpdatedAt)
	}
	return out
}

func (a *API) getMessagingSettings(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	s, err := a.messaging.Settings(ctx, web.MustActor(ctx), clinic.ClinicID(id))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, settingsOutOf(s), nil
}

func (a *API) putMessagingSettings(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in MessagingSettingsInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	set := store.MessagingSettings{ClinicID: clinic.ClinicID(id)}
	var c checker
	for _, f := range []struct {
		name string
		in   *bool
		dst  *bool
	}{{"staff_start", in.StaffStart, &set.StaffStart}, {"staff_start_all", in.StaffStartAll, &set.StaffStartAll},
		{"incoming", in.Incoming, &set.Incoming}, {"incoming_all", in.IncomingAll, &set.IncomingAll}, {"portal_button", in.PortalButton, &set.PortalButton},
		{"reception_triage", in.ReceptionTriage, &set.ReceptionTriage}, {"staff_digest", in.StaffDigest, &set.StaffDigest}} {
		if c.Required(f.name, f.in != nil, true) {
			*f.dst = *f.in
		}
	}
	for _, u := range in.StartList {
		set.StartList = append(set.StartList, clinic.UserID(u))
	}
	for _, u := range in.AnswerList {
		set.AnswerList = append(set.AnswerList, clinic.UserID(u))
	}
	actor := web.MustActor(ctx)
	if err := c.Err(); err != nil {
		// The clinic first: another organisation's is "not found", whatever the body.
		if _, gerr := a.messaging.Settings(ctx, actor, set.ClinicID); gerr != nil {
			return 0, nil, gerr
		}
		return 0, nil, err
	}
	if err := a.messaging.SetSettings(ctx, actor, set); err != nil {
		return 0, nil, err
	}
	return a.getMessagingSettings(ctx, r, w)
}

func userPtr(u clinic.UserID) *int64 { return idPtr(int64(u)) }

func conversationOut(c store.Conversation) Conversation {
	out := Conversation{ID: c.ID, ClinicID: int64(c.ClinicID), PatientID: int64(c.PatientID), Subject: c.Subject, StartedBy: c.StartedBy,
		StartedByUserID: userPtr(c.StartedByUser), AssignedUserID: userPtr(c.AssignedUserID), State: c.State, FromClinicID: idPtr(int64(c.FromClinicID)),
		LastMessageID: idPtr(c.LastMessageID), CreatedAt: c.CreatedAt}
	if !c.LastMessageAt.IsZero() {
		out.LastMessageAt = timePtr(c.LastMessageAt)
	}
	return out
}

func messageOut(m store.Message) Message {
	out := Message{ID: m.ID, ConversationID: m.ConversationID, Author: m.Author, AuthorUserID: userPtr(m.AuthorUserID),
		AuthorPatientID: idPtr(int64(m.AuthorPatientID)), Body: m.Body, CreatedAt: m.CreatedAt}
	if m.AttachmentID != 0 {
		out.Attachment = &AttachmentInfo{ID: m.AttachmentID, Name: m.AttachmentName, ContentType: m.AttachmentType, Size: m.AttachmentSize,
			URL: Prefix + "/attachments/" + strconv.FormatInt(m.AttachmentID, 10)}
	}
	return out
}

func (a *API) listConversations(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	q := &query{r: r}
	cl := q.id("clinic_id")
	box := messaging.Box(q.str("box"))
	switch box {
	case "":
		box = messaging.BoxAll
	case messaging.BoxUnassigned, messaging.BoxMine, messaging.BoxAll:
	default:
		q.v.Add("box", "must be one of unassigned, mine, all")
	}
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	items, err := a.messaging.Inbox(ctx, web.MustActor(ctx), clinic.ClinicID(cl), box)
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[Conversation]{Items: make([]Conversation, 0, len(items))}
	for _, it := range items {
		c := conversationOut(it.Conversation)
		c.Unread = &it.Unread
		out.Items = append(out.Items, c)
	}
	return http.StatusOK, out, nil
}

func (a *API) startConversation(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in ConversationInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	c, err := a.messaging.Start(ctx, web.MustActor(ctx), messaging.StartInput(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, conversationOut(c), nil
}

func (a *API) getConversation(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	q := &query{r: r}
	after := q.id("after")
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	v, err := a.messaging.Read(ctx, web.MustActor(ctx), id, after)
	if err != nil {
		return 0, nil, err
	}
	out := ConversationDetail{Conversation: conversationOut(v.Conversation), Messages: make([]Message, 0, len(v.Messages)), Reads: []ReadMark{},
		CanAnswer: v.CanAnswer, CanAssign: v.CanAssign, CanClose: v.CanClose, CanHandover: v.CanHandover}
	for _, m := range v.Messages {
		out.Messages = append(out.Messages, messageOut(m))
	}
	for who, upTo := range v.Reads {
		out.Reads = append(out.Reads, ReadMark{Reader: who, LastReadID: upTo})
	}
	slices.SortFunc(out.Reads, func(x, y ReadMark) int { return strings.Compare(x.Reader, y.Reader) })
	return http.StatusOK, out, nil
}

// sendMessage takes JSON ({"body": ...}) or, to attach a file, multipart/form-data with a
// body field and an attachment file part; the file's type is the one its bytes show.
func (a *API) sendMessage(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var body string
	var up *messaging.Upload
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		if body, up, err = readMultipartMessage(w, r); err != nil {
			return 0, nil, err
		}
	} else {
		var in MessageInput
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return 0, nil, err
		}
		body = in.Body
	}
	m, err := a.messaging.Send(ctx, web.MustActor(ctx), id, body, up)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, messageOut(m), nil
}

// readMultipartMessage reads a message's body field and its attachment file from a
// multipart form of at most the attachment's limit (and room for the rest); a larger file
// is refused naming attachment.
func readMultipartMessage(w http.ResponseWriter, r *http.Request) (string, *messaging.Upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, messaging.MaxAttachment+web.MaxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, &web.DecodeError{Field: "body", Reason: "is not a multipart form"}
	}
	var body string
	var up *messaging.Upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return "", nil, clinic.Invalid("attachment", fmt.Sprintf("must be at most %d MiB", messaging.MaxAttachment>>20))
		}
		if err != nil {
			return "", nil, &web.DecodeError{Field: "body", Reason: "is not a multipart form"}
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, io.LimitReader(part, messaging.MaxAttachment+1))
		if errors.As(err, &mb) {
			return "", nil, clinic.Invalid("attachment", fmt.Sprintf("must be at most %d MiB", messaging.MaxAttachment>>20))
		}
		if err != nil {
			return "", nil, &web.DecodeError{Field: part.FormName(), Reason: "could not be read"}
		}
		switch part.FormName() {
		case "body":
			body = buf.String()
		case "attachment":
			up = &messaging.Upload{Name: part.FileName(), Data: buf.Bytes()}
		default:
			return "", nil, &web.DecodeError{Field: part.FormName(), Reason: "is not a field of a message"}
		}
	}
	return body, up, nil
}

func (a *API) markConversationRead(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in ConversationReadInput
	b, err := web.ReadBody(w, r)
	if err != nil {
		return 0, nil, err
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := web.DecodeBytes(b, &in); err != nil {
			return 0, nil, err
		}
	}
	upTo := int64(math.MaxInt64) // all of it: the use case stops at the last message
	if in.UpTo != nil {
		if *in.UpTo < 1 {
			return 0, nil, clinic.Invalid("up_to", "must be a message id")
		}
		upTo = *in.UpTo
	}
	return http.StatusNoContent, nil, a.messaging.MarkRead(ctx, web.MustActor(ctx), id, upTo)
}

func (a *API) assignConversation(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in AssignInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.messaging.Assign(ctx, web.MustActor(ctx), id, clinic.UserID(in.UserID))
}

func (a *API) closeConversation(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.messaging.Close(ctx, web.MustActor(ctx), id)
}

func (a *API) reopenConversation(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.messaging.Reopen(ctx, web.MustActor(ctx), id)
}

func (a *API) handoverConversation(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in HandoverInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.messaging.Handover(ctx, web.MustActor(ctx), id, messaging.HandoverInput(in))
}

// getAttachment writes an attachment's bytes as a download: its stored (sniffed) type, never
// sniffed again by the browser, never shown inline, and sandboxed should it be opened.
func (a *API) getAttachment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		web.WriteProblem(w, r, a.log, err)
		return
	}
	att, err := a.messaging.Attachment(ctx, web.MustActor(ctx), id)
	if err != nil {
		web.WriteProblem(w, r, a.log, err)
		return
	}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": att.Name})
	if disposition == "" {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", att.ContentType)
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(att.Data)))
	w.WriteHeader(http.StatusOK)
	w.Write(att.Data)
}
