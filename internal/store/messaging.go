package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Messaging queries secure messaging (MSG-1..MSG-6): the clinics' settings, conversations,
// messages, attachments, read state and the numbered events open pages follow.
type Messaging struct{ *Tx }

// Messaging returns the messaging queries of tx.
func (tx *Tx) Messaging() Messaging { return Messaging{tx} }

// MessagingSettings are a clinic's messaging switches (MSG-1..MSG-3).
type MessagingSettings struct {
	ClinicID        clinic.ClinicID
	StaffStart      bool // MSG-1
	StaffStartAll   bool
	StartList       []clinic.UserID // who may start when not all
	Incoming        bool            // MSG-2
	IncomingAll     bool
	AnswerList      []clinic.UserID // who may answer when not all
	PortalButton    bool            // MSG-3
	ReceptionTriage bool
	StaffDigest     bool
	UpdatedAt       time.Time
}

// MessagingSettingsOf reads a clinic's switches; a clinic that never saved them has
// messaging off (the zero value with its ClinicID).
//
// Errors: none of its own.
func (tx Messaging) MessagingSettingsOf(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID) (MessagingSettings, error) {
	s := MessagingSettings{ClinicID: cl}
	const from = ` FROM messaging_settings WHERE organisation_id = $1 AND clinic_id = $2`
	q := `SELECT staff_start, staff_start_all, incoming, incoming_all, portal_button, reception_triage, staff_digest, updated_at`
	dest := []any{&s.StaffStart, &s.StaffStartAll, &s.Incoming, &s.IncomingAll, &s.PortalButton, &s.ReceptionTriage, &s.StaffDigest, &s.UpdatedAt}
	var start, answer []int64
	if tx.dialect == Postgres {
		// The lists in the same round trip: every send and every read of a conversation
		// asks for them.
		q += `, ` + accessLists("$1", "$2")
		dest = append(dest, &start, &answer)
	}
	err := tx.q.queryRow(ctx, q+from, org, cl).Scan(dest...)
	if errors.Is(err, clinic.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("messaging settings of clinic %d: %w", cl, err)
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	if tx.dialect != Postgres {
		type entry struct {
			list string
			user int64
		}
		es, err := collect(ctx, tx, func(r row) (entry, error) {
			var e entry
			return e, r.Scan(&e.list, &e.user)
		}, `SELECT list, user_id FROM messaging_access WHERE organisation_id = $1 AND clinic_id = $2 ORDER BY list, user_id`, org, cl)
		if err != nil {
			return s, err
		}
		for _, e := range es {
			if e.list == "start" {
				start = append(start, e.user)
			} else {
				answer = append(answer, e.user)
			}
		}
	}
	s.setLists(start, answer)
	return s, nil
}

// accessLists selects a clinic's two lists (who may start, who may answer) as arrays, for
// the clinic of the SQL expressions org and cl: in the statement that reads the switches.
func accessLists(org, cl string) string {
	return `ARRAY(SELECT user_id FROM messaging_access a WHERE a.organisation_id = ` + org + ` AND a.clinic_id = ` + cl + ` AND a.list = 'start' ORDER BY user_id),
		ARRAY(SELECT user_id FROM messaging_access a WHERE a.organisation_id = ` + org + ` AND a.clinic_id = ` + cl + ` AND a.list <> 'start' ORDER BY user_id)`
}

// setLists sets the lists read as ids.
func (s *MessagingSettings) setLists(start, answer []int64) {
	for _, u := range start {
		s.StartList = append(s.StartList, clinic.UserID(u))
	}
	for _, u := range answer {
		s.AnswerList = append(s.AnswerList, clinic.UserID(u))
	}
}

// PutMessagingSettings saves a clinic's switches and lists.
//
// Errors: clinic.ErrNotFound for a clinic or user of another organisation.
func (tx Messaging) PutMessagingSettings(ctx context.Context, org clinic.OrgID, s MessagingSettings) error {
	_, err := tx.q.exec(ctx, `INSERT INTO messaging_settings (clinic_id, organisation_id, staff_start, staff_start_all, incoming, incoming_all,
			portal_button, reception_triage, staff_digest, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (clinic_id) DO UPDATE SET staff_start = excluded.staff_start, staff_start_all = excluded.staff_start_all,
			incoming = excluded.incoming, incoming_all = excluded.incoming_all, portal_button = excluded.portal_button,
			reception_triage = excluded.reception_triage, staff_digest = excluded.staff_digest, updated_at = excluded.updated_at`,
		s.ClinicID, org, s.StaffStart, s.StaffStartAll, s.Incoming, s.IncomingAll, s.PortalButton, s.ReceptionTriage, s.StaffDigest, tx.Now)
	if err != nil {
		return fmt.Errorf("save messaging settings: %w", err)
	}
	if _, err := tx.q.exec(ctx, `DELETE FROM messaging_access WHERE organisation_id = $1 AND clinic_id = $2`, org, s.ClinicID); err != nil {
		return fmt.Errorf("save messaging settings: %w", err)
	}
	for _, l := range []struct {
		name  string
		users []clinic.UserID
	}{{"start", s.StartList}, {"answer", s.AnswerList}} {
		for _, u := range l.users {
			if _, err := tx.q.exec(ctx, `INSERT INTO messaging_access (clinic_id, list, user_id, organisation_id)
				SELECT $1, $2, id, $4 FROM users WHERE id = $3 AND organisation_id = $4 ON CONFLICT DO NOTHING`, s.ClinicID, l.name, u, org); err != nil {
				return fmt.Errorf("save messaging settings: %w", err)
			}
		}
	}
	return nil
}

// The states of a conversation.
const (
	ConversationOpen   = "open"
	ConversationClosed = "closed"
)

// Who starts a conversation or writes a message.
const (
	ByStaff   = "staff"
	ByPatient = "patient"
	ByClinic  = "clinic" // another clinic handed it over or copied it
	BySystem  = "system" // "handed over to …", written by Tidings
)

// Conversation is one thread between a clinic and a patient.
type Conversation struct {
	ID             int64
	OrgID          clinic.OrgID
	ClinicID       clinic.ClinicID
	PatientID      clinic.PatientID
	Subject        string
	StartedBy      string
	StartedByUser  clinic.UserID
	AssignedUserID clinic.UserID
	State          string
	FromClinicID   clinic.ClinicID // the clinic it was handed over from; 0: none
	CopyOf         int64           // the conversation of another organisation it copies
	LastMessageID  int64
	LastMessageAt  time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const conversationCols = `id, organisation_id, clinic_id, patient_id, subject, started_by, started_by_user, assigned_user_id, state, from_clinic_id,
	copy_of, last_message_id, last_message_at, created_at, updated_at`

func scanConversationInto(r row, c *Conversation, more ...any) error {
	var by, asg, from, cp *int64
	var last *time.Time
	err := r.Scan(append([]any{&c.ID, &c.OrgID, &c.ClinicID, &c.PatientID, &c.Subject, &c.StartedBy, &by, &asg, &c.State, &from, &cp,
		&c.LastMessageID, &last, &c.CreatedAt, &c.UpdatedAt}, more...)...)
	if by != nil {
		c.StartedByUser = clinic.UserID(*by)
	}
	if asg != nil {
		c.AssignedUserID = clinic.UserID(*asg)
	}
	if from != nil {
		c.FromClinicID = clinic.ClinicID(*from)
	}
	if cp != nil {
		c.CopyOf = *cp
	}
	if last != nil {
		c.LastMessageAt = last.UTC()
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return err
}

func scanConversation(r row) (Conversation, error) {
	var c Conversation
	return c, scanConversationInto(r, &c)
}

// CreateConversation stores a new conversation, open.
//
// Errors: clinic.ErrNotFound for a clinic or patient of another organisation.
func (tx Messaging) CreateConversation(ctx context.Context, c Conversation) (Conversation, error) {
	c.State, c.CreatedAt, c.UpdatedAt = ConversationOpen, tx.Now, tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO conversations (organisation_id, clinic_id, patient_id, subject, started_by, started_by_user,
			assigned_user_id, state, from_clinic_id, copy_of, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $10) RETURNING id`,
		c.OrgID, c.ClinicID, c.PatientID, c.Subject, c.StartedBy, zeroNil(int64(c.StartedByUser)), zeroNil(int64(c.AssignedUserID)),
		zeroNil(int64(c.FromClinicID)), zeroNil(c.CopyOf), tx.Now).Scan(&c.ID)
	if err != nil {
		return c, fmt.Errorf("create conversation: %w", err)
	}
	return c, nil
}

// Conversation reads conversation id of org.
//
// Errors: clinic.ErrNotFound.
func (tx Messaging) Conversation(ctx context.Context, org clinic.OrgID, id int64) (Conversation, error) {
	c, err := scanConversation(tx.q.queryRow(ctx, `SELECT `+conversationCols+` FROM conversations WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, err)
	}
	return c, nil
}

// ConversationWithSettings reads a conversation and its clinic's messaging switches
// (MessagingSettingsOf's): what every use case of one conversation asks its rules. One
// round trip on PostgreSQL.
//
// Errors: clinic.ErrNotFound.
func (tx Messaging) ConversationWithSettings(ctx context.Context, org clinic.OrgID, id int64) (Conversation, MessagingSettings, error) {
	if tx.dialect != Postgres {
		c, err := tx.Conversation(ctx, org, id)
		if err != nil {
			return c, MessagingSettings{}, err
		}
		set, err := tx.MessagingSettingsOf(ctx, org, c.ClinicID)
		return c, set, err
	}
	var c Conversation
	var set MessagingSettings
	var saved *time.Time
	var start, answer []int64
	err := scanConversationInto(tx.q.queryRow(ctx, `SELECT `+prefixed("c.", conversationCols)+`, s.updated_at,
			COALESCE(s.staff_start, false), COALESCE(s.staff_start_all, false), COALESCE(s.incoming, false), COALESCE(s.incoming_all, false),
			COALESCE(s.portal_button, false), COALESCE(s.reception_triage, false), COALESCE(s.staff_digest, false),
			`+accessLists("c.organisation_id", "c.clinic_id")+`
		FROM conversations c LEFT JOIN messaging_settings s ON s.organisation_id = c.organisation_id AND s.clinic_id = c.clinic_id
		WHERE c.organisation_id = $1 AND c.id = $2`, org, id), &c,
		&saved, &set.StaffStart, &set.StaffStartAll, &set.Incoming, &set.IncomingAll, &set.PortalButton, &set.ReceptionTriage, &set.StaffDigest, &start, &answer)
	if err != nil {
		return c, set, fmt.Errorf("conversation %d: %w", id, err)
	}
	if saved == nil {
		return c, MessagingSettings{ClinicID: c.ClinicID}, nil // never saved: messaging off
	}
	set.ClinicID, set.UpdatedAt = c.ClinicID, saved.UTC()
	set.setLists(start, answer)
	return c, set, nil
}

// UpdateConversation writes a conversation's clinic, assignment, state and origin (a
// handover, an assignment, closing and reopening).
//
// Errors: clinic.ErrNotFound.
func (tx Messaging) UpdateConversation(ctx context.Context, c Conversation) error {
	n, err := tx.q.exec(ctx, `UPDATE conversations SET clinic_id = $3, assigned_user_id = $4, state = $5, from_clinic_id = $6, updated_at = $7
		WHERE organisation_id = $1 AND id = $2`, c.OrgID, c.ID, c.ClinicID, zeroNil(int64(c.AssignedUserID)), c.State, zeroNil(int64(c.FromClinicID)), tx.Now)
	if err != nil {
		return fmt.Errorf("update conversation %d: %w", c.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("conversation %d: %w", c.ID, clinic.ErrNotFound)
	}
	return nil
}

// ConversationFilter narrows a list of conversations.
type ConversationFilter struct {
	ClinicID   clinic.ClinicID    // staff's inbox: one clinic
	PatientIDs []clinic.PatientID // the portal: the patient and those they act for
	Assigned   *clinic.UserID     // 0: unassigned; a user: theirs; nil: any
	State      string             // "": any
	// Reader is whose unread count each item carries ("user:7", "patient:3").
	Reader string
}

// ConversationItem is a conversation in a list, with its unread count for the reader.
type ConversationItem struct {
	Conversation
	Unread int
}

// Conversations lists conversations, the latest message first, with their unread counts.
//
// Errors: none of its own.
func (tx Messaging) Conversations(ctx context.Context, org clinic.OrgID, f ConversationFilter, limit int) ([]ConversationItem, error) {
	args := []any{org, f.Reader}
	var b strings.Builder
	b.WriteString(` WHERE c.organisation_id = $1`)
	if f.ClinicID != 0 {
		args = append(args, f.ClinicID)
		fmt.Fprintf(&b, " AND c.clinic_id = $%d", len(args))
	}
	if len(f.PatientIDs) > 0 {
		b.WriteString(" AND c.patient_id IN (" + idList(f.PatientIDs) + ")")
	}
	if f.Assigned != nil {
		if *f.Assigned == 0 {
			b.WriteString(" AND c.assigned_user_id IS NULL")
		} else {
			args = append(args, *f.Assigned)
			fmt.Fprintf(&b, " AND c.assigned_user_id = $%d", len(args))
		}
	}
	if f.State != "" {
		args = append(args, f.State)
		fmt.Fprintf(&b, " AND c.state = $%d", len(args))
	}
	args = append(args, limit)
	return collect(ctx, tx, func(r row) (ConversationItem, error) {
		var it ConversationItem
		return it, scanConversationInto(r, &it.Conversation, &it.Unread)
	}, `SELECT `+qualifiedCols("c", conversationCols)+`, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id
			AND m.id > COALESCE((SELECT last_read_id FROM conversation_reads cr WHERE cr.conversation_id = c.id AND cr.reader = $2), 0)
			AND NOT (m.author = 'staff' AND $2 = 'user:' || CAST(m.author_user_id AS TEXT))
			AND NOT (m.author = 'patient' AND $2 = 'patient:' || CAST(m.author_patient_id AS TEXT)))
		FROM conversations c`+b.String()+fmt.Sprintf(` ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC LIMIT $%d`, len(args)), args...)
}

// Attachment is a file of a conversation.
type Attachment struct {
	ID             int64
	OrgID          clinic.OrgID
	ConversationID int64
	Name           string
	ContentType    string
	Size           int64
	SHA256         string
	Data           []byte // nil when the bytes are in the blob store
	Blob           string // the blob store's key; "" when Data holds the bytes
	CreatedAt      time.Time
}

// AddAttachment stores an attachment's record (and its bytes when Data is set).
//
// Errors: none of its own.
func (tx Messaging) AddAttachment(ctx context.Context, a Attachment) (Attachment, error) {
	a.CreatedAt = tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO attachments (organisation_id, conversation_id, name, content_type, size, sha256, data, blob, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, a.OrgID, a.ConversationID, a.Name, a.ContentType, a.Size, a.SHA256, a.Data, a.Blob, tx.Now).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("add attachment: %w", err)
	}
	return a, nil
}

// Attachment reads attachment id of org with its bytes.
//
// Errors: clinic.ErrNotFound.
func (tx Messaging) Attachment(ctx context.Context, org clinic.OrgID, id int64) (Attachment, error) {
	var a Attachment
	err := tx.q.queryRow(ctx, `SELECT id, organisation_id, conversation_id, name, content_type, size, sha256, data, blob, created_at
		FROM attachments WHERE organisation_id = $1 AND id = $2`, org, id).
		Scan(&a.ID, &a.OrgID, &a.ConversationID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Data, &a.Blob, &a.CreatedAt)
	if err != nil {
		return a, fmt.Errorf("attachment %d: %w", id, err)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

// Message is one message of a conversation, with its attachment's name and type.
type Message struct {
	ID              int64
	OrgID           clinic.OrgID
	ConversationID  int64
	Author          string
	AuthorUserID    clinic.UserID
	AuthorPatientID clinic.PatientID
	Body            string
	AttachmentID    int64
	AttachmentName  string
	AttachmentType  string
	AttachmentSize  int64
	CreatedAt       time.Time
}

// MessageWrite says what else a message's write records, in the same statement on
// PostgreSQL.
type MessageWrite struct {
	// ReadBy is its author as a reader (MarkRead's), who has read the conversation up to
	// it; "": none (a system note).
	ReadBy string
	// AwaitAlert marks the conversation as waiting for its patient's message alert: the
	// oldest such time is kept, and the alert round (ClaimDueAlerts) takes it once the
	// alert's delay has passed.
	AwaitAlert bool
}

// AddMessage stores a message and makes it the conversation's last, with what w asks.
//
// Errors: none of its own.
func (tx Messaging) AddMessage(ctx context.Context, m Message, w MessageWrite) (Message, error) {
	m.CreatedAt = tx.Now
	const insert = `INSERT INTO messages (organisation_id, conversation_id, author, author_user_id, author_patient_id, body, attachment_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
	args := []any{m.OrgID, m.ConversationID, m.Author, zeroNil(int64(m.AuthorUserID)), zeroNil(int64(m.AuthorPatientID)), m.Body, zeroNil(m.AttachmentID), tx.Now}
	if tx.dialect == Postgres {
		// One round trip: the message, its conversation's pointer to it (and alert mark)
		// and its author's read mark.
		err := tx.q.queryRow(ctx, `WITH m AS (`+insert+`),
			c AS (UPDATE conversations SET last_message_id = (SELECT id FROM m), last_message_at = $8, updated_at = $8,
					alert_from = CASE WHEN $10::boolean THEN COALESCE(alert_from, $8) ELSE alert_from END
				WHERE organisation_id = $1 AND id = $2),
			r AS (INSERT INTO conversation_reads (conversation_id, reader, organisation_id, last_read_id, read_at)
				SELECT $2, $9::text, $1, id, $8 FROM m WHERE $9::text <> ''
				ON CONFLICT (conversation_id, reader) DO UPDATE SET last_read_id = excluded.last_read_id, read_at = excluded.read_at
				WHERE conversation_reads.last_read_id < excluded.last_read_id)
			SELECT id FROM m`, append(args, w.ReadBy, w.AwaitAlert)...).Scan(&m.ID)
		if err != nil {
			return m, fmt.Errorf("add message: %w", err)
		}
		return m, nil
	}
	if err := tx.q.queryRow(ctx, insert, args...).Scan(&m.ID); err != nil {
		return m, fmt.Errorf("add message: %w", err)
	}
	if _, err := tx.q.exec(ctx, `UPDATE conversations SET last_message_id = $3, last_message_at = $4, updated_at = $4,
		alert_from = CASE WHEN $5 THEN COALESCE(alert_from, $4) ELSE alert_from END
		WHERE organisation_id = $1 AND id = $2`, m.OrgID, m.ConversationID, m.ID, tx.Now, w.AwaitAlert); err != nil {
		return m, fmt.Errorf("add message: %w", err)
	}
	if w.ReadBy != "" {
		if _, err := tx.MarkRead(ctx, m.OrgID, m.ConversationID, w.ReadBy, m.ID); err != nil {
			return m, err
		}
	}
	return m, nil
}

const messageCols = `m.id, m.organisation_id, m.conversation_id, m.author, m.author_user_id, m.author_patient_id, m.body, m.attachment_id,
	COALESCE(a.name, ''), COALESCE(a.content_type, ''), COALESCE(a.size, 0), m.created_at`

func scanMessage(r row) (Message, error) {
	var m Message
	var u, p, a *int64
	err := r.Scan(&m.ID, &m.OrgID, &m.ConversationID, &m.Author, &u, &p, &m.Body, &a, &m.AttachmentName, &m.AttachmentType, &m.AttachmentSize, &m.CreatedAt)
	if u != nil {
		m.AuthorUserID = clinic.UserID(*u)
	}
	if p != nil {
		m.AuthorPatientID = clinic.PatientID(*p)
	}
	if a != nil {
		m.AttachmentID = *a
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

// Messages lists a conversation's messages after message after (0: from the first), oldest
// first.
//
// Errors: none of its own.
func (tx Messaging) Messages(ctx context.Context, org clinic.OrgID, conversation, after int64, limit int) ([]Message, error) {
	return collect(ctx, tx, scanMessage, `SELECT `+messageCols+` FROM messages m LEFT JOIN attachments a ON a.id = m.attachment_id
		WHERE m.organisation_id = $1 AND m.conversation_id = $2 AND m.id > $3 ORDER BY m.id LIMIT $4`, org, conversation, after, limit)
}

// Message reads one message of org.
//
// Errors: clinic.ErrNotFound.
func (tx Messaging) Message(ctx context.Context, org clinic.OrgID, id int64) (Message, error) {
	m, err := scanMessage(tx.q.queryRow(ctx, `SELECT `+messageCols+` FROM messages m LEFT JOIN attachments a ON a.id = m.attachment_id
		WHERE m.organisation_id = $1 AND m.id = $2`, org, id))
	if err != nil {
		return m, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// MarkRead records that reader read conversation up to message upTo (never backwards).
//
// Errors: none of its own.
func (tx Messaging) MarkRead(ctx context.Context, org clinic.OrgID, conversation int64, reader string, upTo int64) (bool, error) {
	n, err := tx.q.exec(ctx, `INSERT INTO conversation_reads (conversation_id, reader, organisation_id, last_read_id, read_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (conversation_id, reader) DO UPDATE SET last_read_id = excluded.last_read_id, read_at = excluded.read_at
		WHERE conversation_reads.last_read_id < excluded.last_read_id`, conversation, reader, org, upTo, tx.Now)
	if err != nil {
		return false, fmt.Errorf("mark conversation %d read: %w", conversation, err)
	}
	return n > 0, nil
}

// Reads lists how far each participant read a conversation: reader → last message read.
//
// Errors: none of its own.
func (tx Messaging) Reads(ctx context.Context, org clinic.OrgID, conversation int64) (map[string]int64, error) {
	type kv struct {
		k string
		v int64
	}
	rs, err := collect(ctx, tx, func(r row) (kv, error) {
		var x kv
		return x, r.Scan(&x.k, &x.v)
	}, `SELECT reader, last_read_id FROM conversation_reads WHERE organisation_id = $1 AND conversation_id = $2`, org, conversation)
	out := map[string]int64{}
	for _, x := range rs {
		out[x.k] = x.v
	}
	return out, err
}

// The kinds of message event.
const (
	EventMessage  = "message"
	EventRead     = "read"
	EventClosed   = "closed"
	EventReopened = "reopened"
	EventAssigned = "assigned"
	EventHandover = "handover"
)

// MessageEvent is one numbered change open pages follow. It carries ids only: a page reads
// what it may see through the use cases.
type MessageEvent struct {
	ID             int64
	OrgID          clinic.OrgID
	ConversationID int64
	ClinicID       clinic.ClinicID
	PatientID      clinic.PatientID
	Kind           string
	MessageID      int64
	Reader         string
	CreatedAt      time.Time
}

// AddMessageEvent records an event; the event it returns has its id once the transaction
// has committed. On PostgreSQL the event is stored at commit, with a notification on the
// channel "tidings_messages" carrying its ids (delivered at commit to every instance), and
// an organisation's events commit in the order of their ids, so that a stream (which reads
// one organisation's events after the last id it sent) that read up to id N never sees one
// below N commit later: the commit takes a transaction-level advisory lock of each
// organisation it writes events of, numbers the events and commits in one round trip
// (Update's commitBatch), so the lock is held only while the server inserts and commits,
// never across a round trip to this process. SQLite has one writer, which orders them
// already: the event is stored at once.
//
// Errors: none of its own.
func (tx Messaging) AddMessageEvent(ctx context.Context, e MessageEvent) (*MessageEvent, error) {
	e.CreatedAt = tx.Now
	ev := &e
	if tx.dialect == Postgres {
		tx.events = append(tx.events, ev)
		return ev, nil
	}
	err := tx.q.queryRow(ctx, `INSERT INTO message_events (organisation_id, conversation_id, clinic_id, patient_id, kind, message_id, reader, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, e.OrgID, e.ConversationID, e.ClinicID, e.PatientID, e.Kind, zeroNil(e.MessageID), e.Reader, tx.Now).Scan(&ev.ID)
	if err != nil {
		return ev, fmt.Errorf("add message event: %w", err)
	}
	return ev, nil
}

// commitBatch ends a PostgreSQL transaction in one round trip: the statements deferred to
// the commit (execLater), the message events tx recorded (the organisations' order locks
// first, in ascending order so that two transactions never wait for each other, then each
// event with its notification), and COMMIT. The pgx transaction is left as it is: Update
// releases its connection, idle once the batch committed.
func (tx *Tx) commitBatch(ctx context.Context, ptx pgx.Tx) error {
	b := &pgx.Batch{}
	for _, q := range tx.later {
		b.Queue(q.sql, q.args...)
	}
	var orgs []clinic.OrgID
	for _, e := range tx.events {
		orgs = append(orgs, e.OrgID)
	}
	slices.Sort(orgs)
	orgs = slices.Compact(orgs)
	for _, o := range orgs {
		b.Queue(`SELECT pg_advisory_xact_lock(731047, $1::int)`, o)
	}
	for _, e := range tx.events {
		b.Queue(`WITH e AS (INSERT INTO message_events (organisation_id, conversation_id, clinic_id, patient_id, kind, message_id, reader, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id)
			SELECT id, pg_notify('tidings_messages', id || ' ' || $9::text) FROM e`,
			e.OrgID, e.ConversationID, e.ClinicID, e.PatientID, e.Kind, zeroNil(e.MessageID), e.Reader, e.CreatedAt, eventFields(*e))
	}
	b.Queue("COMMIT")
	tx.statements.Add(int64(b.Len()))
	br := ptx.SendBatch(ctx, b)
	var err error
	for i := range len(tx.later) + len(orgs) {
		if _, err = br.Exec(); err != nil {
			if i < len(tx.later) {
				err = fmt.Errorf("%s: %w", tx.later[i].what, err)
			}
			break
		}
	}
	for _, e := range tx.events {
		if err != nil {
			break
		}
		if err = br.QueryRow().Scan(&e.ID, new(any)); err != nil {
			err = fmt.Errorf("add message event: %w", err)
		}
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		for _, e := range tx.events {
			e.ID = 0
		}
		return err
	}
	return nil
}

// queued is a statement deferred to the commit.
type queued struct {
	what string // for its error: "audit"
	sql  string
	args []any
}

// execLater runs a statement whose result the transaction never reads: on PostgreSQL with
// the commit (commitBatch), at once on SQLite (whose statements cost no round trip). Its
// failure fails the commit, and the transaction with it.
func (tx *Tx) execLater(ctx context.Context, what, sql string, args ...any) error {
	if tx.dialect == Postgres && tx.pgxTx != nil {
		tx.later = append(tx.later, queued{what: what, sql: sql, args: args})
		return nil
	}
	if _, err := tx.q.exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// EncodeEvent writes an event as its notification's payload, the fields separated by
// spaces: "id org conv clinic patient kind message reader" (message 0 when none, reader "-"
// when none); an event without a kind, as the five ids alone (DecodeEvent's older form).
// commitBatch's statement puts the id, known only there, before eventFields'. An instance's
// streams take the event from it as it comes, without reading the database (realtime).
func EncodeEvent(e MessageEvent) string {
	if e.Kind == "" {
		return fmt.Sprintf("%d %d %d %d %d", e.ID, e.OrgID, e.ConversationID, e.ClinicID, e.PatientID)
	}
	return strconv.FormatInt(e.ID, 10) + " " + eventFields(e)
}

// eventFields is EncodeEvent's payload after the id.
func eventFields(e MessageEvent) string {
	r := e.Reader
	if r == "" {
		r = "-"
	}
	return fmt.Sprintf("%d %d %d %d %s %d %s", e.OrgID, e.ConversationID, e.ClinicID, e.PatientID, e.Kind, e.MessageID, r)
}

// DecodeEvent reads EncodeEvent's payload. The five ids alone (an instance of the release
// before, during an upgrade) decode too, with no kind: the event then only says that the
// streams it concerns must read what came.
func DecodeEvent(s string) (MessageEvent, error) {
	bad := fmt.Errorf("message event %q: %w", s, clinic.ErrInvalid)
	f := strings.Fields(s)
	if len(f) != 5 && len(f) != 8 {
		return MessageEvent{}, bad
	}
	// The numbers: the five ids, and the message's when the event is whole.
	nums := f[:5:5]
	if len(f) == 8 {
		nums = append(nums, f[6])
	}
	n := make([]int64, len(nums))
	for i, x := range nums {
		v, err := strconv.ParseInt(x, 10, 64)
		if err != nil || v < 0 {
			return MessageEvent{}, bad
		}
		n[i] = v
	}
	e := MessageEvent{ID: n[0], OrgID: clinic.OrgID(n[1]), ConversationID: n[2], ClinicID: clinic.ClinicID(n[3]), PatientID: clinic.PatientID(n[4])}
	if len(f) == 8 {
		e.Kind, e.MessageID, e.Reader = f[5], n[5], f[7]
		if e.Reader == "-" {
			e.Reader = ""
		}
	}
	return e, nil
}

// EventFilter says whose events a stream follows: a clinic's (staff) or patients' (the
// portal).
type EventFilter struct {
	ClinicIDs  []clinic.ClinicID
	PatientIDs []clinic.PatientID
}

// MessageEventsAfter lists org's events after id after that f follows, oldest first: what a
// stream missed while it was away.
//
// Errors: none of its own.
func (tx Messaging) MessageEventsAfter(ctx context.Context, org clinic.OrgID, f EventFilter, after int64, limit int) ([]MessageEvent, error) {
	var who []string
	if len(f.ClinicIDs) > 0 {
		who = append(who, "clinic_id IN ("+idList(f.ClinicIDs)+")")
	}
	if len(f.PatientIDs) > 0 {
		who = append(who, "patient_id IN ("+idList(f.PatientIDs)+")")
	}
	if len(who) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, func(r row) (MessageEvent, error) {
		var e MessageEvent
		var m *int64
		err := r.Scan(&e.ID, &e.OrgID, &e.ConversationID, &e.ClinicID, &e.PatientID, &e.Kind, &m, &e.Reader, &e.CreatedAt)
		if m != nil {
			e.MessageID = *m
		}
		e.CreatedAt = e.CreatedAt.UTC()
		return e, err
	}, `SELECT id, organisation_id, conversation_id, clinic_id, patient_id, kind, message_id, reader, created_at FROM message_events
		WHERE organisation_id = $1 AND id > $2 AND (`+strings.Join(who, " OR ")+`) ORDER BY id LIMIT $3`, org, after, limit)
}

// LastMessageEvent is the newest event id (0: none): a stream opened without Last-Event-ID
// starts after it.
//
// Errors: none of its own.
func (tx Messaging) LastMessageEvent(ctx context.Context) (int64, error) {
	var id *int64
	if err := tx.q.queryRow(ctx, `SELECT MAX(id) FROM message_events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last message event: %w", err)
	}
	if id == nil {
		return 0, nil
	}
	return *id, nil
}

// AlertDue is a conversation whose message alert is due: whose patient to alert, from which
// clinic.
type AlertDue struct {
	OrgID          clinic.OrgID
	ConversationID int64
	ClinicID       clinic.ClinicID
	PatientID      clinic.PatientID
}

// ClaimDueAlerts takes up to limit conversations waiting for a message alert since before
// (MessageWrite.AwaitAlert), oldest first, and clears their mark, so that no other round
// takes them (locked, and others skipped, on PostgreSQL). A message written after the
// claim marks its conversation anew.
//
// Errors: none of its own.
func (tx Messaging) ClaimDueAlerts(ctx context.Context, before time.Time, limit int) ([]AlertDue, error) {
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return collect(ctx, tx, func(r row) (AlertDue, error) {
		var a AlertDue
		return a, r.Scan(&a.OrgID, &a.ConversationID, &a.ClinicID, &a.PatientID)
	}, `UPDATE conversations SET alert_from = NULL WHERE id IN (
		SELECT id FROM conversations WHERE alert_from <= $1 ORDER BY alert_from, id LIMIT $2`+lock+`)
		RETURNING organisation_id, id, clinic_id, patient_id`, before.UTC(), limit)
}

// WaitingAlerts returns which of the patients already have a message alert waiting to be
// sent (one alert covers the messages that follow it).
//
// Errors: none of its own.
func (tx Messaging) WaitingAlerts(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID) (map[clinic.PatientID]bool, error) {
	out := map[clinic.PatientID]bool{}
	if len(patients) == 0 {
		return out, nil
	}
	ps, err := collect(ctx, tx, func(r row) (clinic.PatientID, error) {
		var p clinic.PatientID
		return p, r.Scan(&p)
	}, `SELECT DISTINCT patient_id FROM notifications WHERE organisation_id = $1 AND patient_id IN (`+idList(patients)+`)
		AND kind = 'message_alert' AND state IN ('planned', 'claimed')`, org)
	for _, p := range ps {
		out[p] = true
	}
	if err != nil {
		return out, fmt.Errorf("planned message alerts: %w", err)
	}
	return out, nil
}

// UnreadByPatients counts, for each patient, the messages staff wrote to them that they
// have not read yet (a message alert is sent only while one is unread, MSG-5). A patient
// with none is absent from the map.
//
// Errors: none of its own.
func (tx Messaging) UnreadByPatients(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID) (map[clinic.PatientID]int, error) {
	out := map[clinic.PatientID]int{}
	if len(patients) == 0 {
		return out, nil
	}
	type kv struct {
		p clinic.PatientID
		n int
	}
	rows, err := collect(ctx, tx, func(r row) (kv, error) {
		var x kv
		return x, r.Scan(&x.p, &x.n)
	}, `SELECT c.patient_id, COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.organisation_id = $1 AND c.patient_id IN (`+idList(patients)+`) AND m.author <> 'patient'
		AND m.id > COALESCE((SELECT last_read_id FROM conversation_reads cr WHERE cr.conversation_id = c.id
			AND cr.reader = 'patient:' || CAST(c.patient_id AS TEXT)), 0)
		GROUP BY c.patient_id`, org)
	for _, x := range rows {
		out[x.p] = x.n
	}
	return out, err
}
