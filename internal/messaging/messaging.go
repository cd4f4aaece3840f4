// Package messaging is secure messaging between patients and a clinic's professionals
// (MSG-1..MSG-6): the clinic's switches, conversations started by a permitted professional,
// by a patient or by another clinic, messages and attachments, read state, assignment,
// closing, handover, and the numbered events that open pages follow in real time.
//
// Every rule is in Decide (rules.go), a pure function of the clinic's settings, the person
// and the conversation; every use case loads those three, asks Decide, writes, records the
// event and the audit row in one transaction. A conversation another person may not read is
// answered clinic.ErrNotFound, as if it did not exist (MSG-6, tenant isolation).
//
// Bodies are stored as sent and never logged; pages render them escaped.
//
// It must not import the dashboard, portal, api or realtime packages: the events it writes
// reach this process's streams through the Published callback after commit, and on
// PostgreSQL every instance's through LISTEN/NOTIFY.
package messaging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
)

// Bounds of what people write.
const (
	MaxSubject    = 200
	MaxBody       = 10000
	MaxAttachment = 5 << 20 // 5 MiB
	MaxFileName   = 200
	pageSize      = 200
)

// AttachmentTypes are the content types an attachment may have, as sniffed from its bytes
// (not as the browser says): images and PDF.
var AttachmentTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}

// Config tunes a Service.
type Config struct {
	// Published is called after the commit of each event, for this process's streams; on
	// PostgreSQL the events also reach every instance through NOTIFY. nil: nobody follows.
	Published func(store.MessageEvent)
	// Alerts turns on the "a secure message is waiting" notifications of messages to
	// patients (MSG-5, alert.go); nil: no alerts.
	Alerts *AlertConfig
}

// Service holds the messaging use cases.
type Service struct {
	db     *store.DB
	cfg    Config
	alerts *AlertConfig // SetAlerts's, with its defaults
}

// New returns the service over db.
func New(db *store.DB, cfg Config) *Service {
	s := &Service{db: db, cfg: cfg}
	if cfg.Alerts != nil {
		s.SetAlerts(*cfg.Alerts)
	}
	return s
}

// SetPublished sets the callback of committed events (the realtime hub, wired after both
// exist).
func (s *Service) SetPublished(f func(store.MessageEvent)) { s.cfg.Published = f }

// person loads who actor is for the rules. An API token is staff of its role but never a
// healthcare professional, whatever its role: it is an integration, not a person the
// clinic's lists could name, and a message needs a professional who wrote it. So a token
// neither starts nor answers conversations (MSG-1, MSG-2); it reads and assigns them when
// the clinic allows triage and its role triages (not a practitioner's), and reads and
// saves the clinic's settings by its role.
func person(ctx context.Context, tx *store.Tx, actor clinic.Actor) (Person, error) {
	switch actor.Kind {
	case clinic.ActorPatient:
		return Person{Patients: actor.Patients}, nil
	case clinic.ActorToken:
		return Person{Staff: true, Role: actor.Role}, nil
	case clinic.ActorStaff:
		if actor.Linked {
			// Read with the user as the request signed in (the session's own read).
			return StaffPerson(clinic.User{ID: actor.UserID, Role: actor.Role, PractitionerID: actor.PractitionerID}), nil
		}
		u, err := tx.Staff().User(ctx, actor.OrgID, actor.UserID)
		if err != nil {
			return Person{}, err
		}
		return StaffPerson(u), nil
	}
	return Person{}, fmt.Errorf("%s cannot take part in conversations: %w", actor.Label, clinic.ErrForbidden)
}

// Reader is how read state names the actor: "user:7", "patient:3", "token:2".
func Reader(actor clinic.Actor) string {
	switch actor.Kind {
	case clinic.ActorPatient:
		return "patient:" + fmt.Sprint(actor.PatientID)
	case clinic.ActorToken:
		return fmt.Sprintf("token:%d", actor.TokenID)
	}
	return fmt.Sprintf("user:%d", actor.UserID)
}

// Settings reads a clinic's switches (staff; the portal reads ButtonShown through Button).
//
// Errors: clinic.ErrForbidden.
func (s *Service) Settings(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID) (store.MessagingSettings, error) {
	if !actor.Can(clinic.PermReadDirectory) {
		return store.MessagingSettings{}, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadDirectory, clinic.ErrForbidden)
	}
	var out store.MessagingSettings
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		if _, err := tx.Directory().Clinic(ctx, actor.OrgID, cl); err != nil {
			return err
		}
		out, err = tx.Messaging().MessagingSettingsOf(ctx, actor.OrgID, cl)
		return err
	})
	return out, err
}

// SetSettings saves a clinic's switches (administrators): the lists hold only users of the
// organisation who are professionals. Audited as "messaging.settings".
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for a clinic of another organisation (the
// clinic is what is changed, as Settings reads it); *clinic.ValidationError naming
// start_list or answer_list.
func (s *Service) SetSettings(ctx context.Context, actor clinic.Actor, set store.MessagingSettings) error {
	if !actor.Can(clinic.PermManageDirectory) {
		return fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Directory().Clinic(ctx, actor.OrgID, set.ClinicID); err != nil {
			return err
		}
		var v input.Checker
		for _, l := range []struct {
			field string
			ids   []clinic.UserID
		}{{"start_list", set.StartList}, {"answer_list", set.AnswerList}} {
			for _, id := range l.ids {
				u, err := tx.Staff().User(ctx, actor.OrgID, id)
				if err != nil || !StaffPerson(u).Professional {
					v.Add(l.field, fmt.Sprintf("user %d is not a healthcare professional of this organisation", id))
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, err := tx.Messaging().MessagingSettingsOf(ctx, actor.OrgID, set.ClinicID)
		if err != nil {
			return err
		}
		if err := tx.Messaging().PutMessagingSettings(ctx, actor.OrgID, set); err != nil {
			return err
		}
		before.UpdatedAt, set.UpdatedAt = before.UpdatedAt.UTC(), before.UpdatedAt.UTC()
		return audit.Change(ctx, tx, actor, "messaging.settings", fmt.Sprint(set.ClinicID), before, set)
	})
}

// Button is MSG-3 for the portal's home page.
//
// Errors: none of its own.
func (s *Service) Button(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID) (bool, error) {
	var shown bool
	err := s.db.View(ctx, func(tx *store.Tx) error {
		set, err := tx.Messaging().MessagingSettingsOf(ctx, org, cl)
		shown = ButtonShown(set)
		return err
	})
	return shown, err
}

// StartInput starts a conversation: staff name the patient; a patient names themselves or
// a person they act for.
type StartInput struct {
	ClinicID  clinic.ClinicID  `json:"clinic_id"`
	PatientID clinic.PatientID `json:"patient_id"`
	Subject   string           `json:"subject"`
	Body      string           `json:"body"`
}

// Start starts a conversation with its first message (MSG-1 for staff, MSG-2/MSG-3 for a
// patient). Audited as "message.start".
//
// Errors: clinic.ErrForbidden when the clinic's switches refuse; *clinic.ValidationError.
func (s *Service) Start(ctx context.Context, actor clinic.Actor, in StartInput) (store.Conversation, error) {
	var c store.Conversation
	var v input.Checker
	subject, body := strings.TrimSpace(in.Subject), in.Body
	v.Text("subject", &in.Subject, &subject, true, true, MaxSubject)
	checkBody(&v, body, false)
	if actor.Kind == clinic.ActorPatient && !actor.Reaches(in.PatientID) {
		v.Add("patient_id", "does not exist")
	}
	if err := v.Err(); err != nil {
		return c, err
	}
	err := s.update(ctx, func(tx *store.Tx) ([]*store.MessageEvent, error) {
		p, err := person(ctx, tx, actor)
		if err != nil {
			return nil, err
		}
		cl, err := tx.Directory().Clinic(ctx, actor.OrgID, in.ClinicID)
		if err != nil {
			return nil, clinic.MissingReference("clinic_id", err)
		}
		pt, err := tx.Patients().Patient(ctx, actor.OrgID, in.PatientID)
		if err != nil || pt.MergedInto != 0 || pt.DatabaseID != cl.DatabaseID {
			return nil, clinic.Invalid("patient_id", "is not a patient of this clinic")
		}
		set, err := tx.Messaging().MessagingSettingsOf(ctx, actor.OrgID, cl.ID)
		if err != nil {
			return nil, err
		}
		c = store.Conversation{OrgID: actor.OrgID, ClinicID: cl.ID, PatientID: pt.ID, Subject: subject, StartedBy: store.ByPatient}
		if p.Staff {
			c.StartedBy, c.StartedByUser = store.ByStaff, actor.UserID
		}
		if err := Decide(set, p, ActStart, c).Err(); err != nil {
			return nil, err
		}
		if c, err = tx.Messaging().CreateConversation(ctx, c); err != nil {
			return nil, err
		}
		// The audit row first: the event, written last, holds PostgreSQL's order lock
		// until commit, so as little as possible comes after it.
		if err := audit.Record(ctx, tx, actor, "message.start", c.PatientID); err != nil {
			return nil, err
		}
		_, events, err := s.write(ctx, tx, actor, &c, body, nil, false)
		return events, err
	})
	return c, err
}

func checkBody(v *input.Checker, body string, attached bool) {
	switch {
	case strings.TrimSpace(body) == "" && !attached:
		v.Add("body", "is required")
	case utf8.RuneCountInString(body) > MaxBody:
		v.Add("body", fmt.Sprintf("must be at most %d characters", MaxBody))
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		v.Add("body", "must be text")
	}
}

// Upload is an attachment as received: its name and bytes (the type is sniffed).
type Upload struct {
	Name string
	Data []byte
}

// Send writes a message (text, and optionally one attachment) in a conversation the actor
// may answer. Audited as "message.send".
//
// Errors: clinic.ErrNotFound when the actor may not read it; clinic.ErrForbidden when they
// may read but not answer; *clinic.ValidationError naming body or attachment.
func (s *Service) Send(ctx context.Context, actor clinic.Actor, id int64, body string, up *Upload) (store.Message, error) {
	var v input.Checker
	checkBody(&v, body, up != nil)
	var kind string
	if up != nil {
		kind = checkUpload(&v, up)
	}
	var out store.Message
	err := s.update(ctx, func(tx *store.Tx) ([]*store.MessageEvent, error) {
		c, set, p, err := s.load(ctx, tx, actor, id)
		if err != nil {
			return nil, err // a conversation the actor may not read does not exist, whatever was sent
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if err := Decide(set, p, ActAnswer, c).Err(); err != nil {
			return nil, err
		}
		var att *store.Attachment
		if up != nil {
			sum := sha256.Sum256(up.Data)
			a, err := tx.Messaging().AddAttachment(ctx, store.Attachment{OrgID: actor.OrgID, ConversationID: c.ID, Name: cleanName(up.Name),
				ContentType: kind, Size: int64(len(up.Data)), SHA256: hex.EncodeToString(sum[:]), Data: up.Data})
			if err != nil {
				return nil, err
			}
			att = &a
		}
		if err := audit.Record(ctx, tx, actor, "message.send", c.PatientID); err != nil {
			return nil, err
		}
		var events []*store.MessageEvent
		out, events, err = s.write(ctx, tx, actor, &c, body, att, false)
		return events, err
	})
	return out, err
}

// checkUpload names what is wrong with an attachment, and returns its sniffed type.
func checkUpload(v *input.Checker, up *Upload) string {
	if len(up.Data) == 0 {
		v.Add("attachment", "is empty")
		return ""
	}
	if len(up.Data) > MaxAttachment {
		v.Add("attachment", fmt.Sprintf("must be at most %d MiB", MaxAttachment>>20))
		return ""
	}
	kind, _, _ := strings.Cut(http.DetectContentType(up.Data), ";")
	if !slices.Contains(AttachmentTypes, kind) {
		v.Add("attachment", "must be an image (PNG, JPEG, GIF, WebP) or a PDF")
		return ""
	}
	if strings.TrimSpace(up.Name) == "" || utf8.RuneCountInString(up.Name) > MaxFileName {
		v.Add("attachment", fmt.Sprintf("needs a file name of at most %d characters", MaxFileName))
	}
	return kind
}

// cleanName keeps a file name's last path element, without control characters or quotes.
func cleanName(n string) string {
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, n)
}

// write stores a message by actor in c, marks it read by its author, records the events
// and, when staff wrote or tell asks it of a system note, marks the conversation as waiting
// for the patient's alert (MSG-5).
func (s *Service) write(ctx context.Context, tx *store.Tx, actor clinic.Actor, c *store.Conversation, body string, att *store.Attachment,
	tell bool) (store.Message, []*store.MessageEvent, error) {
	m := store.Message{OrgID: c.OrgID, ConversationID: c.ID, Body: body}
	if att != nil {
		m.AttachmentID, m.AttachmentName, m.AttachmentType, m.AttachmentSize = att.ID, att.Name, att.ContentType, att.Size
	}
	switch actor.Kind {
	case clinic.ActorPatient:
		m.Author, m.AuthorPatientID = store.ByPatient, actor.PatientID
	case clinic.ActorStaff:
		m.Author, m.AuthorUserID = store.ByStaff, actor.UserID
	default:
		m.Author = store.BySystem
	}
	// Its author has read the conversation up to it (a system note has no reader).
	w := store.MessageWrite{AwaitAlert: s.alerts != nil && (m.Author == store.ByStaff || tell)}
	if m.Author != store.BySystem {
		w.ReadBy = Reader(actor)
	}
	m, err := tx.Messaging().AddMessage(ctx, m, w)
	if err != nil {
		return m, nil, err
	}
	c.LastMessageID, c.LastMessageAt = m.ID, m.CreatedAt
	e, err := s.event(ctx, tx, *c, store.EventMessage, m.ID, "")
	if err != nil {
		return m, nil, err
	}
	return m, []*store.MessageEvent{e}, nil
}

// event records one event of c.
func (s *Service) event(ctx context.Context, tx *store.Tx, c store.Conversation, kind string, msg int64, who string) (*store.MessageEvent, error) {
	return tx.Messaging().AddMessageEvent(ctx, store.MessageEvent{OrgID: c.OrgID, ConversationID: c.ID, ClinicID: c.ClinicID, PatientID: c.PatientID,
		Kind: kind, MessageID: msg, Reader: who})
}

// update runs f in a write transaction and, once it has committed, publishes the events f
// returns.
func (s *Service) update(ctx context.Context, f func(tx *store.Tx) ([]*store.MessageEvent, error)) error {
	var events []*store.MessageEvent
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		events, err = f(tx)
		return err
	})
	if err == nil {
		s.publish(events)
	}
	return err
}

// publish hands committed events to this process's streams at once. On PostgreSQL the
// NOTIFY brings them too (and to the other instances): a stream takes an event as a
// wake-up and reads what came after its last id, so hearing it twice changes nothing.
func (s *Service) publish(events []*store.MessageEvent) {
	if s.cfg.Published == nil {
		return
	}
	for _, e := range events {
		s.cfg.Published(*e)
	}
}

// load reads conversation id with its clinic's settings and the actor as a person; a
// conversation the actor may not read is clinic.ErrNotFound.
func (s *Service) load(ctx context.Context, tx *store.Tx, actor clinic.Actor, id int64) (store.Conversation, store.MessagingSettings, Person, error) {
	var set store.MessagingSettings
	p, err := person(ctx, tx, actor)
	if err != nil {
		return store.Conversation{}, set, p, err
	}
	c, set, err := tx.Messaging().ConversationWithSettings(ctx, actor.OrgID, id)
	if errors.Is(err, clinic.ErrNotFound) {
		return c, set, p, fmt.Errorf("conversation %d: %w", id, clinic.ErrNotFound)
	}
	if err != nil {
		return c, set, p, err
	}
	if !Decide(set, p, ActRead, c).Allowed {
		return c, set, p, fmt.Errorf("conversation %d: %w", id, clinic.ErrNotFound)
	}
	return c, set, p, nil
}

// loadFor is load for an act the actor must be allowed: a conversation they may read but
// not act on is clinic.ErrForbidden.
func (s *Service) loadFor(ctx context.Context, tx *store.Tx, actor clinic.Actor, id int64, act Act) (store.Conversation, store.MessagingSettings, error) {
	c, set, p, err := s.load(ctx, tx, actor, id)
	if err != nil {
		return c, set, err
	}
	return c, set, Decide(set, p, act, c).Err()
}

// View is a conversation as a page shows it: its messages and how far each participant
// read, and what the viewer may do.
type View struct {
	Conversation store.Conversation
	Messages     []store.Message
	Reads        map[string]int64
	CanAnswer    bool
	CanAssign    bool
	CanClose     bool
	CanHandover  bool
}

// Read shows a conversation to the actor (its messages after message after; 0: all).
// Audited as "message.read".
//
// Errors: clinic.ErrNotFound when the actor may not read it.
func (s *Service) Read(ctx context.Context, actor clinic.Actor, id, after int64) (View, error) {
	var v View
	err := s.db.View(ctx, func(tx *store.Tx) error {
		c, set, p, err := s.load(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		v.Conversation = c
		if v.Messages, err = tx.Messaging().Messages(ctx, actor.OrgID, id, after, pageSize); err != nil {
			return err
		}
		if v.Reads, err = tx.Messaging().Reads(ctx, actor.OrgID, id); err != nil {
			return err
		}
		v.CanAnswer = Decide(set, p, ActAnswer, c).Allowed
		v.CanAssign = p.Staff && Decide(set, p, ActAssign, c).Allowed
		v.CanClose = p.Staff && Decide(set, p, ActClose, c).Allowed
		v.CanHandover = p.Staff && Decide(set, p, ActHand, c).Allowed
		return nil
	})
	if err != nil {
		return v, err
	}
	return v, audit.Read(ctx, s.db, actor, "message.read", v.Conversation.PatientID)
}

// MarkRead records that the actor read a conversation up to message upTo, and tells the
// other side's open pages (a read receipt).
//
// Errors: clinic.ErrNotFound.
func (s *Service) MarkRead(ctx context.Context, actor clinic.Actor, id, upTo int64) error {
	return s.update(ctx, func(tx *store.Tx) ([]*store.MessageEvent, error) {
		c, _, _, err := s.load(ctx, tx, actor, id)
		if err != nil {
			return nil, err
		}
		upTo = min(upTo, c.LastMessageID)
		changed, err := tx.Messaging().MarkRead(ctx, actor.OrgID, id, Reader(actor), upTo)
		if err != nil || !changed {
			return nil, err
		}
		e, err := s.event(ctx, tx, c, store.EventRead, upTo, Reader(actor))
		return []*store.MessageEvent{e}, err
	})
}

// Box is a staff inbox's filter (MSG-4).
type Box string

// The inboxes.
const (
	BoxUnassigned Box = "unassigned"
	BoxMine       Box = "mine"
	BoxAll        Box = "all"
)

// Inbox lists a clinic's conversations the actor may read, or a patient's own. Audited as
// "message.inbox" with the patients listed.
//
// Errors: clinic.ErrForbidden.
func (s *Service) Inbox(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID, box Box) ([]store.ConversationItem, error) {
	var out []store.ConversationItem
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := person(ctx, tx, actor)
		if err != nil {
			return err
		}
		f := store.ConversationFilter{Reader: Reader(actor)}
		if !p.Staff {
			f.PatientIDs = actor.Patients
		} else {
			f.ClinicID = cl
			switch box {
			case BoxUnassigned:
				var none clinic.UserID
				f.Assigned, f.State = &none, store.ConversationOpen
			case BoxMine:
				if actor.UserID == 0 {
					return nil // an API token: nothing is assigned to it (a 0 filter means unassigned)
				}
				f.Assigned = &actor.UserID
			}
		}
		items, err := tx.Messaging().Conversations(ctx, actor.OrgID, f, pageSize)
		if err != nil {
			return err
		}
		sets := map[clinic.ClinicID]store.MessagingSettings{}
		for _, it := range items {
			set, ok := sets[it.ClinicID]
			if !ok {
				if set, err = tx.Messaging().MessagingSettingsOf(ctx, actor.OrgID, it.ClinicID); err != nil {
					return err
				}
				sets[it.ClinicID] = set
			}
			if Decide(set, p, ActRead, it.Conversation).Allowed {
				out = append(out, it)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]clinic.PatientID, len(out))
	for i, it := range out {
		ids[i] = it.PatientID
	}
	if len(ids) > 0 {
		err = audit.Read(ctx, s.db, actor, "message.inbox", ids...)
	}
	return out, err
}

// Unread counts a staff user's unread patient messages in clinics cls, in the
// conversations they may read (UnreadOf).
//
// Errors: none of its own.
func (s *Service) Unread(ctx context.Context, actor clinic.Actor, cls []clinic.ClinicID) (int, error) {
	var n int
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := person(ctx, tx, actor)
		if err != nil {
			return err
		}
		us, err := UnreadOf(ctx, tx, actor.OrgID, p, Reader(actor), cls, nil)
		for _, u := range us {
			n += u.Count
		}
		return err
	})
	return n, err
}

// UnreadOf counts, for staff person p reading as reader, the unread patient messages of the
// open conversations of clinics cls that p may read (MSG-6: a professional off a clinic's
// answer list is not told of messages they cannot open), clinic by clinic with each one's
// newest unread message; clinics with none are absent. It runs in the caller's transaction
// (the dashboard's header counts in the page's own): one COUNT over cls, then, only for a
// clinic with unread messages, its settings, and where p reads some of its conversations
// but not all (neither readsAll nor readsNone), those conversations, each asked of Decide.
// sets holds the clinics' settings the caller has read already (the digest's, for every
// user of the organisation); nil: none.
//
// Errors: none of its own.
func UnreadOf(ctx context.Context, tx *store.Tx, org clinic.OrgID, p Person, reader string, cls []clinic.ClinicID,
	sets map[clinic.ClinicID]store.MessagingSettings) ([]store.UnreadClinic, error) {
	us, err := tx.Messaging().UnreadByClinic(ctx, org, cls, reader)
	if err != nil || len(us) == 0 {
		return nil, err
	}
	out := us[:0]
	for _, u := range us {
		set, ok := sets[u.ClinicID]
		if !ok {
			if set, err = tx.Messaging().MessagingSettingsOf(ctx, org, u.ClinicID); err != nil {
				return nil, err
			}
		}
		switch {
		case readsNone(set, p):
			continue
		case readsAll(set, p):
			out = append(out, u)
			continue
		}
		cs, err := tx.Messaging().UnreadConversations(ctx, org, u.ClinicID, reader)
		if err != nil {
			return nil, err
		}
		mine := store.UnreadClinic{ClinicID: u.ClinicID}
		for _, c := range cs {
			if Decide(set, p, ActRead, c.Conversation).Allowed {
				mine.Count += c.Count
				mine.Newest = max(mine.Newest, c.Newest)
			}
		}
		if mine.Count > 0 {
			out = append(out, mine)
		}
	}
	return out, nil
}

// Assign gives a conversation to a professional who may answer it (0: unassigned).
// Audited as "message.assign".
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; *clinic.ValidationError naming user_id.
func (s *Service) Assign(ctx context.Context, actor clinic.Actor, id int64, to clinic.UserID) error {
	return s.change(ctx, actor, id, ActAssign, "message.assign", func(tx *store.Tx, c *store.Conversation, set store.MessagingSettings) (string, error) {
		if to != 0 {
			u, err := tx.Staff().User(ctx, actor.OrgID, to)
			if err != nil || !Assignable(set, StaffPerson(u)) {
				return "", clinic.Invalid("user_id", "is not a professional who may answer this clinic's conversations")
			}
		}
		c.AssignedUserID = to
		return store.EventAssigned, nil
	})
}

// Close closes a conversation (nobody writes until it is reopened). Audited as
// "message.close".
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; *clinic.ConflictError when closed.
func (s *Service) Close(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.setState(ctx, actor, id, "message.close", store.ConversationClosed, store.EventClosed, "is already closed")
}

// Reopen reopens a closed conversation. Audited as "message.reopen".
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; *clinic.ConflictError when open.
func (s *Service) Reopen(ctx context.Context, actor clinic.Actor, id int64) error {
	return s.setState(ctx, actor, id, "message.reopen", store.ConversationOpen, store.EventReopened, "is already open")
}

// setState closes or reopens a conversation (ActClose): it moves to state, recording event
// kind; a conversation already in state is a conflict, for the reason given.
func (s *Service) setState(ctx context.Context, actor clinic.Actor, id int64, action, state, kind, already string) error {
	return s.change(ctx, actor, id, ActClose, action, func(tx *store.Tx, c *store.Conversation, _ store.MessagingSettings) (string, error) {
		if c.State == state {
			return "", &clinic.ConflictError{Field: "conversation", Reason: already}
		}
		c.State = state
		return kind, nil
	})
}

// change runs one staff action on a conversation: load, decide act, apply, record the
// event and the audit row.
func (s *Service) change(ctx context.Context, actor clinic.Actor, id int64, act Act, action string,
	f func(*store.Tx, *store.Conversation, store.MessagingSettings) (string, error)) error {
	return s.update(ctx, func(tx *store.Tx) ([]*store.MessageEvent, error) {
		c, set, err := s.loadFor(ctx, tx, actor, id, act)
		if err != nil {
			return nil, err
		}
		kind, err := f(tx, &c, set)
		if err != nil {
			return nil, err
		}
		if err := tx.Messaging().UpdateConversation(ctx, c); err != nil {
			return nil, err
		}
		e, err := s.event(ctx, tx, c, kind, 0, "")
		if err != nil {
			return nil, err
		}
		return []*store.MessageEvent{e}, audit.Record(ctx, tx, actor, action, c.PatientID)
	})
}

// Attachment reads an attachment for the actor, who must be able to read its conversation.
// Audited as "message.attachment".
//
// Errors: clinic.ErrNotFound.
func (s *Service) Attachment(ctx context.Context, actor clinic.Actor, id int64) (store.Attachment, error) {
	var a store.Attachment
	var patient clinic.PatientID
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.Messaging().Attachment(ctx, actor.OrgID, id); err != nil {
			return fmt.Errorf("attachment %d: %w", id, clinic.ErrNotFound)
		}
		c, _, _, err := s.load(ctx, tx, actor, a.ConversationID)
		patient = c.PatientID
		return err
	})
	if err != nil {
		return store.Attachment{}, err
	}
	return a, audit.Read(ctx, s.db, actor, "message.attachment", patient)
}

// HandoverInput names the clinic a conversation goes to: a clinic of the same organisation
// by id, or another organisation's clinic by the two slugs (a copy).
type HandoverInput struct {
	ClinicID     clinic.ClinicID `json:"clinic_id"`
	Organisation string          `json:"organisation"` // another organisation's slug; "": this one
	Clinic       string          `json:"clinic"`       // with Organisation: the clinic's slug
}

// Handover passes a conversation to another clinic that takes incoming conversations
// (MSG-4, MSG-2). Within the organisation the conversation moves: the other clinic's
// professionals answer it from then on. To another organisation's clinic it is copied, to
// that organisation's record of the same person (same e-mail, surname and date of birth),
// and the original is closed; each side's audit log records it. Either way the patient is
// told, in the conversation and by the message alert. Audited as "message.handover" (and
// "message.handover_in" on the receiving organisation's side for a copy).
//
// Errors: clinic.ErrNotFound; clinic.ErrForbidden; *clinic.ValidationError naming clinic_id,
// clinic or organisation.
func (s *Service) Handover(ctx context.Context, actor clinic.Actor, id int64, in HandoverInput) error {
	return s.update(ctx, func(tx *store.Tx) ([]*store.MessageEvent, error) {
		c, _, err := s.loadFor(ctx, tx, actor, id, ActHand)
		if err != nil {
			return nil, err
		}
		from, err := tx.Directory().Clinic(ctx, actor.OrgID, c.ClinicID)
		if err != nil {
			return nil, err
		}
		var events []*store.MessageEvent
		var note string
		if in.Organisation == "" {
			events, note, err = s.moveWithin(ctx, tx, actor, &c, from, in.ClinicID)
		} else {
			events, note, err = s.copyAcross(ctx, tx, actor, &c, from, in)
		}
		if err != nil {
			return nil, err
		}
		// The note tells the patient, and so does the message alert (MSG-4, MSG-5).
		_, evs, err := s.write(ctx, tx, clinic.SystemActor(actor.OrgID, "handover"), &c, note, nil, true)
		if err != nil {
			return nil, err
		}
		events = append(events, evs...)
		return events, audit.Record(ctx, tx, actor, "message.handover", c.PatientID)
	})
}

// moveWithin moves c from clinic from to clinic toID of the same organisation (Handover),
// and returns its events and the note that tells the patient.
func (s *Service) moveWithin(ctx context.Context, tx *store.Tx, actor clinic.Actor, c *store.Conversation, from clinic.Clinic,
	toID clinic.ClinicID) ([]*store.MessageEvent, string, error) {
	to, err := tx.Directory().Clinic(ctx, actor.OrgID, toID)
	if err != nil || to.ID == c.ClinicID {
		return nil, "", clinic.Invalid("clinic_id", "must be another clinic of this organisation")
	}
	if err := takesIncoming(ctx, tx, actor.OrgID, to.ID, "clinic_id"); err != nil {
		return nil, "", err
	}
	if to.DatabaseID != from.DatabaseID {
		return nil, "", clinic.Invalid("clinic_id", "that clinic keeps its patients in another clinical database: the patient is not its patient")
	}
	c.FromClinicID, c.ClinicID, c.AssignedUserID = c.ClinicID, to.ID, 0
	if err := tx.Messaging().UpdateConversation(ctx, *c); err != nil {
		return nil, "", err
	}
	e, err := s.event(ctx, tx, *c, store.EventHandover, 0, "")
	if err != nil {
		return nil, "", err
	}
	return []*store.MessageEvent{e}, "Handed over from " + from.Name + " to " + to.Name + ".", nil
}

// errNoCopy is the one answer to a copy another organisation cannot take, whatever the
// cause (no such organisation or clinic, it takes no conversations, it has no record of
// the person): another tenant's patients are not to be probed from here.
var errNoCopy = clinic.Invalid("clinic", "no clinic at this address can take a copy of this conversation for this patient (it must take incoming conversations and know the patient by the same e-mail, surname and date of birth)")

// copyAcross copies c from clinic from to another organisation's clinic, to its record of
// the same person, and closes c (Handover); it returns the events and the note that tells
// the patient.
func (s *Service) copyAcross(ctx context.Context, tx *store.Tx, actor clinic.Actor, c *store.Conversation, from clinic.Clinic,
	in HandoverInput) ([]*store.MessageEvent, string, error) {
	org, err := tx.Directory().OrganisationBySlug(ctx, in.Organisation)
	if err != nil || org.ID == actor.OrgID {
		return nil, "", errNoCopy
	}
	var to clinic.Clinic
	cs, err := tx.Directory().Clinics(ctx, org.ID, store.Page{Limit: 500})
	if err != nil {
		return nil, "", err
	}
	for _, x := range cs {
		if x.Slug == in.Clinic {
			to = x
		}
	}
	if to.ID == 0 {
		return nil, "", errNoCopy
	}
	if set, err := tx.Messaging().MessagingSettingsOf(ctx, org.ID, to.ID); err != nil {
		return nil, "", err
	} else if !set.Incoming {
		return nil, "", errNoCopy
	}
	pt, err := tx.Patients().Patient(ctx, actor.OrgID, c.PatientID)
	if err != nil {
		return nil, "", err
	}
	var match clinic.PatientID
	if pt.Email != "" {
		ps, err := tx.Patients().PatientsByEmail(ctx, org.ID, to.DatabaseID, pt.Email)
		if err != nil {
			return nil, "", err
		}
		for _, q := range ps {
			if q.MergedInto == 0 && strings.EqualFold(q.FamilyName, pt.FamilyName) && q.BirthDate == pt.BirthDate {
				match = q.ID
			}
		}
	}
	if match == 0 {
		return nil, "", errNoCopy
	}
	copied, err := tx.Messaging().CreateConversation(ctx, store.Conversation{OrgID: org.ID, ClinicID: to.ID, PatientID: match,
		Subject: c.Subject, StartedBy: store.ByClinic, CopyOf: c.ID})
	if err != nil {
		return nil, "", err
	}
	msgs, err := tx.Messaging().Messages(ctx, actor.OrgID, c.ID, 0, 10000)
	if err != nil {
		return nil, "", err
	}
	sys := clinic.SystemActor(org.ID, "handover")
	var b strings.Builder
	fmt.Fprintf(&b, "A copy of a conversation with %s (%s).", from.Name, from.Address)
	for _, m := range msgs {
		if m.Author == store.BySystem {
			continue
		}
		fmt.Fprintf(&b, "\n\n[%s, %s]\n%s", m.CreatedAt.Format("2006-01-02 15:04 MST"), m.Author, m.Body)
		if m.AttachmentID != 0 {
			fmt.Fprintf(&b, "\n(attachment not copied: %s)", m.AttachmentName)
		}
	}
	_, events, err := s.write(ctx, tx, sys, &copied, clip(b.String(), MaxBody), nil, false)
	if err != nil {
		return nil, "", err
	}
	if err := audit.Record(ctx, tx, clinic.SystemActor(org.ID, fmt.Sprintf("handover from organisation %d", actor.OrgID)), "message.handover_in", match); err != nil {
		return nil, "", err
	}
	c.State = store.ConversationClosed
	if err := tx.Messaging().UpdateConversation(ctx, *c); err != nil {
		return nil, "", err
	}
	return events, "A copy was sent to " + to.Name + "; this conversation is closed.", nil
}

// takesIncoming is nil when clinic cl of org takes conversations from other clinics
// (MSG-2), else a validation error naming field.
func takesIncoming(ctx context.Context, tx *store.Tx, org clinic.OrgID, cl clinic.ClinicID, field string) error {
	set, err := tx.Messaging().MessagingSettingsOf(ctx, org, cl)
	if err != nil {
		return err
	}
	if !set.Incoming {
		return clinic.Invalid(field, "that clinic does not take conversations from other clinics (MSG-2)")
	}
	return nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
