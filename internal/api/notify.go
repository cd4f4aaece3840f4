package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Notification is one message to a patient (NOT-1..10), from planning to its final state:
// what was sent (destination, subject, body, captured when it was handed to the provider),
// and the provider's id and status.
type Notification struct {
	ID             int64      `json:"id"`
	ClinicID       int64      `json:"clinic_id"`
	PatientID      *int64     `json:"patient_id"`
	AppointmentID  *int64     `json:"appointment_id"`
	Kind           string     `json:"kind"`
	Purpose        string     `json:"purpose"`
	Channel        string     `json:"channel"`
	Offset         string     `json:"offset,omitempty"`
	DueAt          time.Time  `json:"due_at"`
	DeadlineAt     *time.Time `json:"deadline_at"`
	State          string     `json:"state"`
	Reason         string     `json:"reason"`
	Attempts       int        `json:"attempts"`
	Destination    string     `json:"destination"`
	Subject        string     `json:"subject"`
	Body           string     `json:"body"`
	Segments       int        `json:"segments"`
	AsksReply      bool       `json:"asks_reply"`
	GroupID        *int64     `json:"group_id"`
	Provider       string     `json:"provider"`
	ProviderID     string     `json:"provider_id"`
	ProviderStatus string     `json:"provider_status"`
	SentAt         *time.Time `json:"sent_at"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// NotificationEvent is one step of a notification's status history.
type NotificationEvent struct {
	State  string    `json:"state"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// NotificationDetail is a notification with its status history, the consent decisions taken
// on it (CON-9) and, for an SMS that carried several family members' reminders (NOT-4), the
// other notifications of that SMS.
type NotificationDetail struct {
	Notification Notification        `json:"notification"`
	Events       []NotificationEvent `json:"events"`
	Decisions    []StoredDecision    `json:"decisions"`
	Members      []Notification      `json:"members"`
}

// NotificationSettings are a clinic's sending settings, read and written in the same shape:
// channels, reminder offsets ("72h", "2h", "1d@10:00"), the grace period, the SMS window
// ("08:00" to "20:00"; "00:00" to "24:00" for any hour), the monthly SMS budget in segments
// (0: no limit), whether confirmed appointments are reminded, whether SMS reminders invite a C
// reply, and the clinic's phone number for HELP answers (null on a PUT: unchanged).
type NotificationSettings notify.SettingsInput

// Template is one kind × channel × language of a clinic's messages (NOT-2): its text, whether
// it is the clinic's own or the one Tidings ships, and the variables it may use.
type Template struct {
	Kind      string     `json:"kind"`
	Channel   string     `json:"channel"`
	Lang      string     `json:"lang"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	Custom    bool       `json:"custom"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at"`
	Variables []string   `json:"variables"`
}

// TemplateInput edits one template; an empty body resets it to the text Tidings ships.
type TemplateInput notify.TemplateInput

// TemplatePreview is a template rendered with sample values: the text, the e-mail's HTML, and
// for SMS the segments it costs and their encoding (GSM-7 or UCS-2).
type TemplatePreview struct {
	Subject  string `json:"subject"`
	Text     string `json:"text"`
	HTML     string `json:"html"`
	Segments int    `json:"segments"`
	Encoding string `json:"encoding"`
}

// SMSAccount is a Twilio-compatible account as shown: never its token, only the token's last
// four characters.
type SMSAccount notify.Account

// SMSAccountInput adds an account or replaces the one of the same scope (clinic_id, 0 for the
// organisation's) and role (failover).
type SMSAccountInput notify.AccountInput

// InboxMessage is an inbound SMS (NOT-10): who sent it, the patient and appointment it was
// matched to, its text, and why it reached staff ("handled: …" for one the system answered).
type InboxMessage struct {
	ID             int64      `json:"id"`
	ClinicID       *int64     `json:"clinic_id"`
	PatientID      *int64     `json:"patient_id"`
	AppointmentID  *int64     `json:"appointment_id"`
	NotificationID *int64     `json:"notification_id"`
	From           string     `json:"from"`
	Body           string     `json:"body"`
	Why            string     `json:"why"`
	ReceivedAt     time.Time  `json:"received_at"`
	ReadAt         *time.Time `json:"read_at"`
}

// MarkReadInput names the inbound SMS to mark read.
type MarkReadInput struct {
	IDs []int64 `json:"ids"`
}

// stateReason is the field error of an unknown notification state.
const stateReason = "must be one of planned, claimed, sending, sent, delivered, skipped, failed, cancelled, unknown"

// notifyStates are the states of a notification a filter may name.
var notifyStates = []string{store.NotePlanned, store.NoteClaimed, store.NoteSending, store.NoteSent, store.NoteDelivered,
	store.NoteSkipped, store.NoteFailed, store.NoteCancelled, store.NoteUnknown}

func (a *API) notifyRoutes() []web.Route {
	const tag = "Notifications"
	return []web.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/notifications", Perm: clinic.PermReadPatients, Handler: a.handler(a.listNotifications),
			Doc: &web.Doc{Summary: "The communication log: notifications newest first (NOT-9)", Tag: tag, Response: Notification{}, List: true,
				Query: append([]web.Param{
					{Name: "clinic_id", Type: "integer", Description: "only this clinic's"},
					{Name: "patient_id", Type: "integer", Description: "only this patient's"},
					{Name: "state", Type: "string", Description: "only in this state: planned, claimed, sending, sent, delivered, skipped, failed, cancelled or unknown"},
					{Name: "channel", Type: "string", Description: "only on this channel: sms, email or push"},
					{Name: "from", Type: "string", Description: "due at or after this RFC 3339 time"},
					{Name: "to", Type: "string", Description: "due before this RFC 3339 time"},
				}, pageParams...)}},
		{Method: http.MethodGet, Pattern: Prefix + "/notifications/{id}", Perm: clinic.PermReadPatients, Handler: a.handler(a.getNotification),
			Doc: &web.Doc{Summary: "A notification with its status history, consent decisions and the SMS it shared (NOT-4)", Tag: tag, Response: NotificationDetail{}}},
		{Method: http.MethodGet, Pattern: Prefix + "/clinics/{id}/notification-settings", Perm: clinic.PermReadDirectory, Handler: a.handler(a.getNotifySettings),
			Doc: &web.Doc{Summary: "A clinic's sending settings: channels, reminder offsets, grace period, SMS window, budget (NOT-1, NOT-8, NOT-9)", Tag: tag,
				Response: NotificationSettings{}}},
		{Method: http.MethodPut, Pattern: Prefix + "/clinics/{id}/notification-settings", Perm: clinic.PermManageDirectory, Handler: a.handler(a.putNotifySettings),
			Doc: &web.Doc{Summary: "Replace a clinic's sending settings", Tag: tag, Request: NotificationSettings{}, Response: NotificationSettings{}}},
		{Method: http.MethodGet, Pattern: Prefix + "/clinics/{id}/templates", Perm: clinic.PermReadDirectory, Handler: a.handler(a.listTemplates),
			Doc: &web.Doc{Summary: "A clinic's message templates, per kind, channel and language (NOT-2)", Tag: tag, Response: Template{}, List: true}},
		{Method: http.MethodPut, Pattern: Prefix + "/clinics/{id}/templates", Perm: clinic.PermManageDirectory, Handler: a.handler(a.putTemplate),
			Doc: &web.Doc{Summary: "Save one of a clinic's templates; an empty body resets it to the shipped text", Tag: tag, Request: TemplateInput{}, Response: Template{}}},
		{Method: http.MethodPost, Pattern: Prefix + "/templates/preview", Perm: clinic.PermReadDirectory, Handler: a.handler(a.previewTemplate),
			Doc: &web.Doc{Summary: "Render a template with sample values, with its SMS segments (NOT-2)", Tag: tag, Request: TemplateInput{}, Response: TemplatePreview{}}},
		{Method: http.MethodGet, Pattern: Prefix + "/sms-accounts", Perm: clinic.PermManageDirectory, Handler: a.handler(a.listSMSAccounts),
			Doc: &web.Doc{Summary: "The organisation's SMS accounts (tokens are never returned)", Tag: tag, Response: SMSAccount{}, List: true}},
		{Method: http.MethodPost, Pattern: Prefix + "/sms-accounts", Perm: clinic.PermManageDirectory, Handler: a.handler(a.postSMSAccount),
			Doc: &web.Doc{Summary: "Add an SMS account, replacing the one of the same scope and role", Tag: tag, Request: SMSAccountInput{}, Response: SMSAccount{},
				Status: http.StatusCreated}},
		{Method: http.MethodDelete, Pattern: Prefix + "/sms-accounts/{id}", Perm: clinic.PermManageDirectory, Handler: a.handler(a.deleteSMSAccount),
			Doc: &web.Doc{Summary: "Delete an SMS account", Tag: tag, Status: http.StatusNoContent}},
		{Method: http.MethodGet, Pattern: Prefix + "/sms-inbox", Perm: clinic.PermReadPatients, Handler: a.handler(a.listInbox),
			Doc: &web.Doc{Summary: "Inbound SMS, newest first (NOT-10)", Tag: tag, Response: InboxMessage{}, List: true,
				Query: append([]web.Param{{Name: "clinic_id", Type: "integer", Description: "only this clinic's (and those no clinic was found for)"}}, pageParams...)}},
		{Method: http.MethodPost, Pattern: Prefix + "/sms-inbox/read", Perm: clinic.PermReadPatients, Handler: a.handler(a.markInboxRead),
			Doc: &web.Doc{Summary: "Mark inbound SMS read", Tag: tag, Request: MarkReadInput{}, Status: http.StatusNoContent}},
	}
}

func idPtr(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func notificationOut(n store.Notification) Notification {
	return Notification{ID: n.ID, ClinicID: int64(n.ClinicID), PatientID: idPtr(int64(n.PatientID)), AppointmentID: idPtr(int64(n.AppointmentID)),
		Kind: n.Kind, Purpose: n.Purpose, Channel: n.Channel, Offset: n.Offset, DueAt: n.Due, DeadlineAt: timePtr(n.Deadline), State: n.State,
		Reason: n.Reason, Attempts: n.Attempts, Destination: n.Destination, Subject: n.Subject, Body: n.Body, Segments: n.Segments,
		AsksReply: n.AsksReply, GroupID: idPtr(n.GroupID), Provider: n.Provider, ProviderID: n.ProviderID, ProviderStatus: n.ProviderStatus,
		SentAt: timePtr(n.SentAt), CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
}

func (a *API) listNotifications(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	q := &query{r: r}
	f := store.NotificationFilter{ClinicID: clinic.ClinicID(q.id("clinic_id")), PatientID: clinic.PatientID(q.id("patient_id")), Page: q.page()}
	if f.State = q.str("state"); f.State != "" && !slices.Contains(notifyStates, f.State) {
		q.v.Add("state", stateReason)
	}
	if f.Channel = q.str("channel"); f.Channel != "" && !consent.Channel(f.Channel).Valid() {
		q.v.Add("channel", consent.ChannelReason)
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.str(p.name); s != "" {
			var c checker
			c.Instant(p.name, &s, p.dst)
			q.v.Fields = append(q.v.Fields, c.Fields...)
		}
	}
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	// The store's default page is not Page.Size's: ask for the size the cursor is judged by.
	f.Page.Limit = f.Page.Size()
	ns, err := a.notify.List(ctx, web.MustActor(ctx), f)
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[Notification]{Items: make([]Notification, 0, len(ns))}
	for _, n := range ns {
		out.Items = append(out.Items, notificationOut(n))
	}
	if len(ns) == f.Page.Size() {
		out.NextCursor = encodeCursor(ns[len(ns)-1].ID)
	}
	return http.StatusOK, out, nil
}

func (a *API) getNotification(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	d, err := a.notify.Detail(ctx, web.MustActor(ctx), id)
	if err != nil {
		return 0, nil, err
	}
	out := NotificationDetail{Notification: notificationOut(d.Notification), Events: []NotificationEvent{}, Decisions: []StoredDecision{},
		Members: []Notification{}}
	for _, e := range d.Events {
		out.Events = append(out.Events, NotificationEvent{State: e.State, Reason: e.Reason, At: e.At})
	}
	for _, x := range d.Decisions {
		out.Decisions = append(out.Decisions, StoredDecision{ID: x.ID, NotificationID: idPtr(x.NotificationID), Purpose: x.Purpose, Channel: x.Channel,
			Allowed: x.Allowed, Outcome: x.Outcome, Rule: x.Rule, Text: x.Text, Trace: strings.Split(x.Trace, "\n"), At: x.At})
	}
	for _, m := range d.Members {
		out.Members = append(out.Members, notificationOut(m))
	}
	return http.StatusOK, out, nil
}

// settingsOut writes settings in the shape a PUT takes.
func settingsOut(s notify.Settings, phone string) NotificationSettings {
	out := NotificationSettings{Channels: []string{}, ReminderOffsets: []string{}, GraceSeconds: int(s.Grace / time.Second),
		SMSBudget: s.SMSBudget, RemindConfirmed: s.RemindConfirmed, AskReply: s.AskReply, Phone: &phone}
	for _, c := range s.Channels {
		out.Channels = append(out.Channels, string(c))
	}
	for _, o := range s.Offsets {
		out.ReminderOffsets = append(out.ReminderOffsets, o.String())
	}
	out.WindowFrom, out.WindowTo, _ = strings.Cut(s.Window.String(), "-")
	return out
}

func (a *API) getNotifySettings(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	s, phone, err := a.notify.Settings(ctx, web.MustActor(ctx), clinic.ClinicID(id))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, settingsOut(s, phone), nil
}

func (a *API) putNotifySettings(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in NotificationSettings
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	actor := web.MustActor(ctx)
	if _, err := a.notify.SetSettings(ctx, actor, clinic.ClinicID(id), notify.SettingsInput(in)); err != nil {
		return 0, nil, err
	}
	// Read back, so that the answer has the phone number as stored (E.164).
	return a.getNotifySettings(ctx, r, w)
}

func templateOut(v notify.TemplateView) Template {
	out := Template{Kind: string(v.Kind), Channel: string(v.Channel), Lang: v.Lang, Subject: v.Subject, Body: v.Body, Custom: v.Custom,
		UpdatedBy: v.UpdatedBy, Variables: []string{}}
	if v.Custom {
		out.UpdatedAt = timePtr(v.UpdatedAt)
	}
	for _, name := range compose.Variables(v.Kind) {
		if name == compose.VarReplyHint && v.Channel != compose.ChannelSMS {
			continue // SMS only (compose.Check)
		}
		out.Variables = append(out.Variables, name)
	}
	return out
}

func (a *API) listTemplates(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	views, err := a.notify.Templates(ctx, web.MustActor(ctx), clinic.ClinicID(id))
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[Template]{Items: make([]Template, 0, len(views))}
	for _, v := range views {
		out.Items = append(out.Items, templateOut(v))
	}
	return http.StatusOK, out, nil
}

func (a *API) putTemplate(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in TemplateInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	actor := web.MustActor(ctx)
	if err := a.notify.SetTemplate(ctx, actor, clinic.ClinicID(id), notify.TemplateInput(in)); err != nil {
		return 0, nil, err
	}
	views, err := a.notify.Templates(ctx, actor, clinic.ClinicID(id))
	if err != nil {
		return 0, nil, err
	}
	for _, v := range views {
		if string(v.Kind) == in.Kind && string(v.Channel) == in.Channel && v.Lang == in.Lang {
			return http.StatusOK, templateOut(v), nil
		}
	}
	// SetTemplate refuses a template that does not exist, so this is a bug.
	return 0, nil, fmt.Errorf("template %s/%s/%s saved but not listed", in.Kind, in.Channel, in.Lang)
}

func (a *API) previewTemplate(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in TemplateInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := notify.Preview(notify.TemplateInput(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, TemplatePreview{Subject: out.Subject, Text: out.Text, HTML: out.HTML, Segments: out.Segments, Encoding: out.Encoding}, nil
}

func (a *API) listSMSAccounts(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	as, err := a.notify.Accounts(ctx, web.MustActor(ctx))
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[SMSAccount]{Items: make([]SMSAccount, 0, len(as))}
	for _, x := range as {
		out.Items = append(out.Items, SMSAccount(x))
	}
	return http.StatusOK, out, nil
}

func (a *API) postSMSAccount(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in SMSAccountInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	acct, err := a.notify.SetAccount(ctx, web.MustActor(ctx), notify.AccountInput(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, SMSAccount(acct), nil
}

func (a *API) deleteSMSAccount(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.notify.DeleteAccount(ctx, web.MustActor(ctx), id)
}

func (a *API) listInbox(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	q := &query{r: r}
	cl := q.id("clinic_id")
	page := q.page()
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	page.Limit = page.Size()
	ms, err := a.notify.Inbox(ctx, web.MustActor(ctx), clinic.ClinicID(cl), page)
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[InboxMessage]{Items: make([]InboxMessage, 0, len(ms))}
	for _, m := range ms {
		out.Items = append(out.Items, InboxMessage{ID: m.ID, ClinicID: idPtr(int64(m.ClinicID)), PatientID: idPtr(int64(m.PatientID)),
			AppointmentID: idPtr(int64(m.AppointmentID)), NotificationID: idPtr(m.NotificationID), From: m.From, Body: m.Body, Why: m.Why,
			ReceivedAt: m.ReceivedAt, ReadAt: timePtr(m.ReadAt)})
	}
	if len(ms) == page.Size() {
		out.NextCursor = encodeCursor(ms[len(ms)-1].ID)
	}
	return http.StatusOK, out, nil
}

func (a *API) markInboxRead(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	var in MarkReadInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	if len(in.IDs) == 0 {
		c.Add("ids", "is required: the ids of the messages to mark read")
	}
	for i, id := range in.IDs {
		if id <= 0 {
			c.Add(fmt.Sprintf("ids[%d]", i), "must be a positive integer")
		}
	}
	if err := c.Err(); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.notify.MarkRead(ctx, web.MustActor(ctx), in.IDs)
}
