package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Notifications queries the notifications (NOT-1..10): the rows the use cases plan in the
// transaction of their change, the dispatcher's claims and outcomes, the status history,
// the clinics' sending settings, SMS accounts, edited templates, the inbound SMS inbox and
// push subscriptions.
//
// The dispatcher's methods (Claim, Expire, Transition) work across organisations, since one
// dispatcher serves them all; every row they return carries its organisation, and every
// write they make matches it with the row's id and fence.
type Notifications struct{ *Tx }

// Notifications returns the notification queries of tx.
func (tx *Tx) Notifications() Notifications { return Notifications{tx} }

// The states of a notification. Terminal states never change again, but for a late
// delivery report (sent → delivered or failed) and a reconciliation (unknown → sent).
const (
	NotePlanned = "planned" // waiting for due_at
	// NoteClaimed is a state no longer written: a dispatcher takes due rows in the
	// transaction that marks them sending (dispatch.Round). Filters still accept it.
	NoteClaimed   = "claimed"
	NoteSending   = "sending"   // handed to the provider; the outcome is not recorded yet
	NoteSent      = "sent"      // the provider accepted it (provider_id)
	NoteDelivered = "delivered" // the provider reported delivery
	NoteFailed    = "failed"    // refused for good, or out of time (reason)
	NoteSkipped   = "skipped"   // decided not to send (reason; the decision log has the trace)
	NoteCancelled = "cancelled" // withdrawn before it was due (superseded, merged)
	NoteUnknown   = "unknown"   // it may have reached the provider: reconciled before any resend
	// NoteRetry is not a state: an event of a notification put back to planned after a
	// transient error, with the reason and the new due time in the reason.
	NoteRetry = "retry"
)

// Notification is one message of one kind on one channel to one patient (or, for a reply,
// to a number), from planning to its final status.
type Notification struct {
	ID            int64
	OrgID         clinic.OrgID
	ClinicID      clinic.ClinicID
	PatientID     clinic.PatientID     // 0: a reply to a number no patient has
	AppointmentID clinic.AppointmentID // 0: not about an appointment
	// OfferID is the waitlist offer the notification makes or withdraws (POR-9); 0: none.
	OfferID int64
	// SequenceID and Step say which step of which recall sequence the notification is
	// (RES-3); SequenceID 0: none.
	SequenceID int64
	Step       int
	Kind       string
	Purpose    string
	Channel    string
	Offset     string    // a reminder's offset ("72h"); empty otherwise
	Due        time.Time // not sent before
	Deadline   time.Time // never sent at or after; zero: none
	State      string
	Reason     string
	Attempts   int
	Fence      int64
	LeaseUntil time.Time
	// Destination, Subject and Body are what was (or is being) sent, captured when it is
	// handed to the provider; a reply is planned with its destination and body.
	Destination    string
	Subject        string
	Body           string
	Segments       int
	AsksReply      bool
	GroupID        int64 // NOT-4: the notification whose SMS carried this one
	Provider       string
	ProviderID     string
	ProviderStatus string
	SendingAt      time.Time
	SentAt         time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const notificationCols = `id, organisation_id, clinic_id, patient_id, appointment_id, kind, purpose, channel, offset_text, due_at, deadline_at,
	state, reason, attempts, fence, lease_until, destination, subject, body, segments, asks_reply, group_id, provider, provider_id,
	provider_status, sending_at, sent_at, created_at, updated_at, offer_id, sequence_id, step`

func scanNotification(r row) (Notification, error) {
	var n Notification
	return n, scanNotificationInto(r, &n)
}

// scanNotificationInto reads notificationCols into n, then the row's further columns into
// more (a join's).
func scanNotificationInto(r row, n *Notification, more ...any) error {
	var pid, aid, gid, oid, sid *int64
	var deadline, lease, sending, sent *time.Time
	err := r.Scan(append([]any{&n.ID, &n.OrgID, &n.ClinicID, &pid, &aid, &n.Kind, &n.Purpose, &n.Channel, &n.Offset, &n.Due, &deadline,
		&n.State, &n.Reason, &n.Attempts, &n.Fence, &lease, &n.Destination, &n.Subject, &n.Body, &n.Segments, &n.AsksReply, &gid,
		&n.Provider, &n.ProviderID, &n.ProviderStatus, &sending, &sent, &n.CreatedAt, &n.UpdatedAt, &oid, &sid, &n.Step}, more...)...)
	if sid != nil {
		n.SequenceID = *sid
	}
	if oid != nil {
		n.OfferID = *oid
	}
	if pid != nil {
		n.PatientID = clinic.PatientID(*pid)
	}
	if aid != nil {
		n.AppointmentID = clinic.AppointmentID(*aid)
	}
	if gid != nil {
		n.GroupID = *gid
	}
	for _, p := range []struct {
		from *time.Time
		to   *time.Time
	}{{deadline, &n.Deadline}, {lease, &n.LeaseUntil}, {sending, &n.SendingAt}, {sent, &n.SentAt}} {
		if p.from != nil {
			*p.to = p.from.UTC()
		}
	}
	n.Due, n.CreatedAt, n.UpdatedAt = n.Due.UTC(), n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	return err
}

func timeNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// PlanNotifications inserts planned notifications, dated now, in statements of up to 50
// rows, and returns their ids in order. A row with a State other than planned (a reply
// answered at once is still planned; a skip decided at planning is not) keeps it.
//
// Errors: clinic.ErrNotFound for a clinic of another organisation.
func (tx Notifications) PlanNotifications(ctx context.Context, org clinic.OrgID, ns []Notification) ([]int64, error) {
	const batch = 50
	ids := make([]int64, 0, len(ns))
	for len(ns) > 0 {
		k := min(len(ns), batch)
		var b strings.Builder
		b.WriteString(`INSERT INTO notifications (organisation_id, clinic_id, patient_id, appointment_id, kind, purpose, channel, offset_text,
			due_at, deadline_at, state, reason, destination, body, segments, created_at, updated_at, offer_id, sequence_id, step) VALUES `)
		args := make([]any, 0, k*20)
		for i, n := range ns[:k] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := range 20 {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", len(args)+j+1)
			}
			b.WriteString(")")
			state := n.State
			if state == "" {
				state = NotePlanned
			}
			args = append(args, org, n.ClinicID, zeroNil(int64(n.PatientID)), zeroNil(int64(n.AppointmentID)), n.Kind, n.Purpose, n.Channel,
				n.Offset, n.Due.UTC(), timeNil(n.Deadline), state, n.Reason, n.Destination, n.Body, n.Segments, tx.Now, tx.Now, zeroNil(n.OfferID),
				zeroNil(n.SequenceID), n.Step)
		}
		b.WriteString(" RETURNING id")
		got, err := collect(ctx, tx, func(r row) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("plan notifications: %w", err)
		}
		ids = append(ids, got...)
		ns = ns[k:]
	}
	return ids, nil
}

// PlannedForAppointments lists the notifications still planned (not yet claimed) about
// appointments, oldest first, for the planner to merge booking notices and replace
// reminders.
//
// Errors: none of its own.
func (tx Notifications) PlannedForAppointments(ctx context.Context, org clinic.OrgID, ids []clinic.AppointmentID) ([]Notification, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE organisation_id = $1 AND appointment_id IN (`+idList(ids)+`) AND state = 'planned' ORDER BY id`, org)
}

// SentForAppointment reports whether a notification of one of kinds about the appointment
// was handed to a provider (sending, sent, delivered, or unknown), so that the planner knows
// whether the patient heard of a booking before it is cancelled.
//
// Errors: none of its own.
//
// It searches the patient's notifications (the appointment index holds planned rows only,
// so that a notification leaving planned does not write it).
func (tx Notifications) SentForAppointment(ctx context.Context, org clinic.OrgID, patient clinic.PatientID, id clinic.AppointmentID, kinds ...string) (bool, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE organisation_id = $1 AND patient_id = $2 AND appointment_id = $3
		AND state IN ('sending', 'sent', 'delivered', 'unknown') AND kind IN (`+quoteList(kinds)+`)`, org, patient, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("notifications sent for appointment %d: %w", id, err)
	}
	return n > 0, nil
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	if len(q) == 0 {
		return "NULL"
	}
	return strings.Join(q, ",")
}

// Withdraw moves planned notifications to cancelled with reason (superseded by a later
// change, merged into another notice) and records the event. Rows no longer planned (a
// dispatcher claimed them meanwhile) are left alone: they are decided at send time.
//
// Errors: none of its own.
func (tx Notifications) Withdraw(ctx context.Context, org clinic.OrgID, ids []int64, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	got, err := collect(ctx, tx, func(r row) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, `UPDATE notifications SET state = 'cancelled', reason = $2, updated_at = $3
		WHERE organisation_id = $1 AND id IN (`+idList(ids)+`) AND state = 'planned' RETURNING id`, org, reason, tx.Now)
	if err != nil {
		return fmt.Errorf("withdraw notifications: %w", err)
	}
	evs := make([]Event, len(got))
	for i, id := range got {
		evs[i] = Event{OrgID: org, NotificationID: id, State: NoteCancelled, Reason: reason}
	}
	return tx.Notifications().RecordEvents(ctx, evs)
}

// Postpone sets the due time and deadline of planned notifications (a booking notice
// debounced again by a later change within the grace period, its deadline the
// appointment's new start).
//
// Errors: none of its own.
func (tx Notifications) Postpone(ctx context.Context, org clinic.OrgID, ids []int64, due, deadline time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.q.exec(ctx, `UPDATE notifications SET due_at = $2, deadline_at = $3, updated_at = $4
		WHERE organisation_id = $1 AND id IN (`+idList(ids)+`) AND state = 'planned'`, org, due.UTC(), timeNil(deadline), tx.Now)
	if err != nil {
		return fmt.Errorf("postpone notifications: %w", err)
	}
	return nil
}

// Event is one entry of a notification's status history.
type Event struct {
	ID             int64
	OrgID          clinic.OrgID
	NotificationID int64
	State          string
	Reason         string
	At             time.Time
}

// RecordEvents appends status events, dated now, in one statement whatever their number
// (the rows travel as one JSON parameter, so the statement's text, and its parse, stay the
// same size).
//
// Errors: none of its own.
func (tx Notifications) RecordEvents(ctx context.Context, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	type ev struct {
		Org    int64  `json:"org"`
		ID     int64  `json:"id"`
		State  string `json:"state"`
		Reason string `json:"reason"`
	}
	rows := make([]ev, len(evs))
	for i, e := range evs {
		rows[i] = ev{int64(e.OrgID), e.NotificationID, e.State, e.Reason}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = tx.q.exec(ctx, `INSERT INTO notification_events (organisation_id, notification_id, state, reason, at)
		SELECT v.org, v.id, v.state, v.reason, $2 FROM `+tx.jsonRows([][2]string{{"org", "bigint"}, {"id", "bigint"}, {"state", "text"}, {"reason", "text"}}),
		string(b), tx.Now)
	if err != nil {
		return fmt.Errorf("record notification events: %w", err)
	}
	return nil
}

// Events lists the status history of a notification, oldest first.
//
// Errors: none of its own.
func (tx Notifications) Events(ctx context.Context, org clinic.OrgID, id int64) ([]Event, error) {
	return collect(ctx, tx, func(r row) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.OrgID, &e.NotificationID, &e.State, &e.Reason, &e.At)
		e.At = e.At.UTC()
		return e, err
	}, `SELECT id, organisation_id, notification_id, state, reason, at FROM notification_events
		WHERE organisation_id = $1 AND notification_id = $2 ORDER BY id`, org, id)
}

// LockDue takes up to limit planned notifications due by now, oldest due first, for the
// caller's transaction: on PostgreSQL they are locked (FOR UPDATE SKIP LOCKED), so a
// concurrent dispatcher takes others; on SQLite the transaction holds the single writer. The
// dispatcher decides them and marks them sending in the same transaction, so a row is
// written once before it leaves, not twice (a claim, then the mark). Its rows are planned
// until that mark commits; a crash before it leaves them planned.
//
// Errors: none of its own.
func (tx Notifications) LockDue(ctx context.Context, limit int) ([]Notification, error) {
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	ns, err := collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE state = 'planned' AND due_at <= $1 ORDER BY due_at LIMIT $2`+lock, tx.Now, limit)
	if err != nil {
		return nil, fmt.Errorf("lock due notifications: %w", err)
	}
	return ns, nil
}

// LockPlanned locks those of ids still planned for the caller's transaction, skipping rows
// another transaction holds (PostgreSQL), and returns the ids locked.
//
// Errors: none of its own.
func (tx Notifications) LockPlanned(ctx context.Context, org clinic.OrgID, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return collect(ctx, tx, func(r row) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, `SELECT id FROM notifications WHERE organisation_id = $1 AND id IN (`+idList(ids)+`) AND state = 'planned'`+lock, org)
}

// NextDue reports the earliest due time of a planned notification (zero when none), so
// that an idle dispatcher sleeps until then.
//
// Errors: none of its own.
func (tx Notifications) NextDue(ctx context.Context) (time.Time, error) {
	// The column itself, not MIN(due_at): on SQLite an aggregate has no declared type, so
	// it comes back as text that does not scan into a time, and every dispatcher loop then
	// slept its full idle second while reminders fell due (bench dispatch: lateness p99
	// 700–850 ms). The partial index on planned rows answers it with one probe.
	ts, err := collect(ctx, tx, func(r row) (time.Time, error) {
		var t time.Time
		return t, r.Scan(&t)
	}, `SELECT due_at FROM notifications WHERE state = 'planned' ORDER BY due_at LIMIT 1`)
	if err != nil {
		return time.Time{}, fmt.Errorf("next due notification: %w", err)
	}
	if len(ts) == 0 {
		return time.Time{}, nil
	}
	return ts[0].UTC(), nil
}

// Expire takes back the notifications whose dispatcher's lease ran out while they were
// being sent (it crashed or hung): they become unknown, since they may have reached the
// provider, and their fence moves on, so the old dispatcher can record nothing. The
// dispatcher reconciles unknown SMS before any resend.
//
// Errors: none of its own.
func (tx Notifications) Expire(ctx context.Context, limit int) error {
	const why = "the dispatcher stopped while sending: it may have reached the provider"
	unknown, err := collect(ctx, tx, func(r row) (Event, error) {
		e := Event{State: NoteUnknown, Reason: why}
		return e, r.Scan(&e.NotificationID, &e.OrgID)
	}, `UPDATE notifications SET state = 'unknown', reason = $3, fence = fence + 1, lease_until = NULL, updated_at = $1
		WHERE id IN (SELECT id FROM notifications WHERE state = 'sending' AND lease_until < $1 LIMIT $2) RETURNING id, organisation_id`, tx.Now, limit, why)
	if err != nil {
		return fmt.Errorf("expire sends: %w", err)
	}
	return tx.Notifications().RecordEvents(ctx, unknown)
}

// Transition is one fenced change of a notification by its dispatcher.
type Transition struct {
	ID    int64
	OrgID clinic.OrgID
	Fence int64  // the fence of the claim; a row whose fence moved on is not changed
	From  string // the state the row must still be in ("": any)
	State string // the new state
	// Reason is why (skipped, failed, retry, unknown); Event overrides the event's state
	// (NoteRetry for a row put back to planned).
	Reason string
	Event  string
	// Due is the new due time of a retry (state planned).
	Due time.Time
	// Lease extends the claim (state sending).
	Lease time.Time
	// What was sent, captured when the row becomes sending.
	Destination, Subject, Body string
	Segments                   int
	AsksReply                  bool
	Provider, ProviderID       string
	GroupID                    int64
	// Attempt counts one more attempt.
	Attempt bool
	// Bump moves the fence on (a row handed to a provider): a later write must match the
	// new fence, Fence+1.
	Bump bool
}

// transitionRow is a Transition as the JSON the batch statements read.
type transitionRow struct {
	ID          int64   `json:"id"`
	Org         int64   `json:"org"`
	Fence       int64   `json:"fence"`
	From        string  `json:"from_state"`
	State       string  `json:"state"`
	Reason      string  `json:"reason"`
	Due         *string `json:"due"`
	Lease       *string `json:"lease"`
	Destination string  `json:"destination"`
	Subject     string  `json:"subject"`
	Body        string  `json:"body"`
	Segments    int     `json:"segments"`
	AsksReply   int     `json:"asks_reply"`
	Provider    string  `json:"provider"`
	ProviderID  string  `json:"provider_id"`
	GroupID     *int64  `json:"group_id"`
	Attempt     int     `json:"attempt"`
	Bump        int     `json:"bump"`
}

// jsonRows is the dialect's table expression over a JSON array of objects with the given
// columns (name and SQL type), bound to parameter $1: json_to_recordset on PostgreSQL,
// json_each on SQLite. It lets one statement apply a whole batch of different changes.
func (tx *Tx) jsonRows(cols [][2]string) string {
	var b strings.Builder
	if tx.dialect == Postgres {
		b.WriteString("json_to_recordset($1::json) AS v(")
		for i, c := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c[0] + " " + c[1])
		}
		b.WriteString(")")
		return b.String()
	}
	b.WriteString("(SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "json_extract(value, '$.%s') AS %s", c[0], c[0])
	}
	b.WriteString(" FROM json_each($1)) AS v")
	return b.String()
}

var transitionCols = [][2]string{{"id", "bigint"}, {"org", "bigint"}, {"fence", "bigint"}, {"from_state", "text"}, {"state", "text"}, {"reason", "text"},
	{"due", "timestamptz"}, {"lease", "timestamptz"}, {"destination", "text"}, {"subject", "text"}, {"body", "text"},
	{"segments", "int"}, {"asks_reply", "int"}, {"provider", "text"}, {"provider_id", "text"}, {"group_id", "bigint"}, {"attempt", "int"}, {"bump", "int"}}

// Transitions applies fenced changes in one statement and returns the ids it changed; a
// row whose fence moved on (its lease expired and another dispatcher took it) is not
// changed and not returned, and the caller must not act on it. Each change records its
// event. Rows becoming sent get sent_at, rows becoming sending get sending_at.
//
// Errors: none of its own.
func (tx Notifications) Transitions(ctx context.Context, ts []Transition) ([]int64, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	rows := make([]transitionRow, len(ts))
	stamp := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format(sqlTimeLayout)
		return &s
	}
	for i, t := range ts {
		r := transitionRow{ID: t.ID, Org: int64(t.OrgID), Fence: t.Fence, From: t.From, State: t.State, Reason: t.Reason, Due: stamp(t.Due), Lease: stamp(t.Lease),
			Destination: t.Destination, Subject: t.Subject, Body: t.Body, Segments: t.Segments, Provider: t.Provider, ProviderID: t.ProviderID}
		if t.AsksReply {
			r.AsksReply = 1
		}
		if t.Attempt {
			r.Attempt = 1
		}
		if t.Bump {
			r.Bump = 1
		}
		if t.GroupID != 0 {
			r.GroupID = &t.GroupID
		}
		rows[i] = r
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("notification transitions: %w", err)
	}
	asBool := "v.asks_reply <> 0"
	if tx.dialect == SQLite {
		asBool = "v.asks_reply"
	}
	q := `UPDATE notifications SET state = v.state,
			reason = v.reason,
			attempts = notifications.attempts + v.attempt,
			fence = notifications.fence + v.bump,
			due_at = COALESCE(v.due, notifications.due_at),
			lease_until = CASE WHEN v.state IN ('claimed', 'sending') THEN COALESCE(v.lease, notifications.lease_until) ELSE NULL END,
			destination = CASE WHEN v.destination <> '' THEN v.destination ELSE notifications.destination END,
			subject = CASE WHEN v.subject <> '' THEN v.subject ELSE notifications.subject END,
			body = CASE WHEN v.body <> '' THEN v.body ELSE notifications.body END,
			segments = CASE WHEN v.segments <> 0 THEN v.segments ELSE notifications.segments END,
			asks_reply = CASE WHEN v.state = 'sending' THEN ` + asBool + ` ELSE notifications.asks_reply END,
			provider = CASE WHEN v.provider <> '' THEN v.provider ELSE notifications.provider END,
			provider_id = CASE WHEN v.provider_id <> '' THEN v.provider_id ELSE notifications.provider_id END,
			group_id = CASE WHEN v.state = 'sending' THEN v.group_id ELSE COALESCE(v.group_id, notifications.group_id) END,
			sending_at = CASE WHEN v.state = 'sending' THEN $2 ELSE notifications.sending_at END,
			sent_at = CASE WHEN v.state = 'sent' AND notifications.sent_at IS NULL THEN $2 ELSE notifications.sent_at END,
			updated_at = $2
		FROM ` + tx.jsonRows(transitionCols) + `
		WHERE notifications.id = v.id AND notifications.organisation_id = v.org AND notifications.fence = v.fence
			AND (v.from_state = '' OR notifications.state = v.from_state)
		RETURNING notifications.id`
	ids, err := collect(ctx, tx, func(r row) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, q, string(payload), tx.Now)
	if err != nil {
		return nil, fmt.Errorf("notification transitions: %w", err)
	}
	done := make(map[int64]bool, len(ids))
	for _, id := range ids {
		done[id] = true
	}
	evs := make([]Event, 0, len(ids))
	for _, t := range ts {
		if !done[t.ID] {
			continue
		}
		state := t.State
		if t.Event != "" {
			state = t.Event
		}
		if state == NotePlanned || state == NoteSending || (state == NoteSent && t.Reason == "") {
			// The row's own times say these: created_at (planned), sending_at, sent_at;
			// the history shows them from there (notify.Detail). An event row each would
			// double the writes of a send.
			continue
		}
		evs = append(evs, Event{OrgID: t.OrgID, NotificationID: t.ID, State: state, Reason: t.Reason})
	}
	return ids, tx.Notifications().RecordEvents(ctx, evs)
}

// Notification reads one notification of org.
//
// Errors: clinic.ErrNotFound.
func (tx Notifications) Notification(ctx context.Context, org clinic.OrgID, id int64) (Notification, error) {
	n, err := scanNotification(tx.q.queryRow(ctx, `SELECT `+notificationCols+` FROM notifications WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return n, fmt.Errorf("notification %d: %w", id, err)
	}
	return n, nil
}

// NotificationsByIDs reads notifications by id across organisations (a status callback or
// a reconciliation knows only the id it put in the callback URL).
//
// Errors: none of its own.
func (tx Notifications) NotificationsByIDs(ctx context.Context, ids []int64) ([]Notification, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications WHERE id IN (`+idList(ids)+`) ORDER BY id`)
}

// GroupMembers lists the notifications a NOT-4 message carried with id.
//
// Errors: none of its own.
func (tx Notifications) GroupMembers(ctx context.Context, org clinic.OrgID, id int64) ([]Notification, error) {
	return collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications WHERE organisation_id = $1 AND (group_id = $2 OR id = $2) ORDER BY id`, org, id)
}

// SetProviderStatus records a provider's delivery report on a sent notification (and the
// members of its group): the provider status, and the state it implies (delivered or
// failed) when given. provider and providerID fill the notification's own when it has none
// (a callback that came before the dispatcher recorded the send's answer, or for a send
// whose answer was lost). The caller checks the status never goes backwards.
//
// Errors: none of its own.
func (tx Notifications) SetProviderStatus(ctx context.Context, org clinic.OrgID, ids []int64, provider, providerID, status, state, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.q.exec(ctx, `UPDATE notifications SET provider_status = $2, provider_id = CASE WHEN provider_id = '' THEN $3 ELSE provider_id END,
		provider = CASE WHEN provider = '' THEN $7 ELSE provider END,
		state = CASE WHEN $4 <> '' THEN $4 ELSE state END, reason = CASE WHEN $4 <> '' THEN $5 ELSE reason END,
		sent_at = COALESCE(sent_at, $6), updated_at = $6
		WHERE organisation_id = $1 AND id IN (`+idList(ids)+`)`, org, status, providerID, state, reason, tx.Now, provider)
	if err != nil {
		return fmt.Errorf("set provider status: %w", err)
	}
	if state == "" {
		return nil
	}
	evs := make([]Event, len(ids))
	for i, id := range ids {
		evs[i] = Event{OrgID: org, NotificationID: id, State: state, Reason: reason}
	}
	return tx.Notifications().RecordEvents(ctx, evs)
}

// LastAsking finds the latest SMS sent to a number that asked for a reply, within since;
// the inbound C/Y is matched to it (NOT-10). A NOT-4 message is found by its carrier (the
// notifications it carried have group_id set). ok is false when there is none; ambiguous is
// true when two such messages were sent at the same second for different appointments
// (the reply goes to staff rather than guessing).
//
// Errors: none of its own.
func (tx Notifications) LastAsking(ctx context.Context, org clinic.OrgID, number string, since time.Time) (n Notification, ok, ambiguous bool, err error) {
	ns, err := collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE organisation_id = $1 AND destination = $2 AND channel = 'sms' AND asks_reply AND state IN ('sent', 'delivered') AND sent_at >= $3
		AND group_id IS NULL
		ORDER BY sent_at DESC, id DESC LIMIT 2`, org, number, since.UTC())
	if err != nil || len(ns) == 0 {
		return n, false, false, err
	}
	if len(ns) == 2 && ns[0].SentAt.Truncate(time.Second).Equal(ns[1].SentAt.Truncate(time.Second)) && ns[0].AppointmentID != ns[1].AppointmentID {
		return ns[0], true, true, nil
	}
	return ns[0], true, false, nil
}

// PlannedSMSFor lists the SMS still planned for patients (a STOP withdraws them).
//
// Errors: none of its own.
func (tx Notifications) PlannedSMSFor(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID) ([]int64, error) {
	if len(patients) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, func(r row) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, `SELECT id FROM notifications WHERE organisation_id = $1 AND channel = 'sms' AND state = 'planned' AND purpose <> 'reply'
		AND patient_id IN (`+idList(patients)+`)`, org)
}

// NotificationFilter selects notifications for the communication log.
type NotificationFilter struct {
	PatientID clinic.PatientID // 0: any
	ClinicID  clinic.ClinicID  // 0: any
	State     string           // "": any
	Channel   string           // "": any
	Provider  string           // "": any (ProviderOutbox: the outbox)
	From, To  time.Time        // due in [From, To); zero: unbounded
	Page      Page             // After: an id to continue below

	// AppointmentID narrows to the notifications about one appointment (0: any); give
	// its PatientID too, so that the patient's index serves the query.
	AppointmentID clinic.AppointmentID
}

// ListNotifications lists org's notifications, newest first.
//
// Errors: none of its own.
func (tx Notifications) ListNotifications(ctx context.Context, org clinic.OrgID, f NotificationFilter) ([]Notification, error) {
	c := conds{args: []any{org}}
	if f.PatientID != 0 {
		c.add("patient_id = $%d", f.PatientID)
	}
	if f.AppointmentID != 0 {
		c.add("appointment_id = $%d", f.AppointmentID)
	}
	if f.ClinicID != 0 {
		c.add("clinic_id = $%d", f.ClinicID)
	}
	if f.State != "" {
		c.add("state = $%d", f.State)
	}
	if f.Channel != "" {
		c.add("channel = $%d", f.Channel)
	}
	if f.Provider != "" {
		c.add("provider = $%d", f.Provider)
	}
	if !f.From.IsZero() {
		c.add("due_at >= $%d", f.From.UTC())
	}
	if !f.To.IsZero() {
		c.add("due_at < $%d", f.To.UTC())
	}
	if f.Page.After > 0 {
		c.add("id < $%d", f.Page.After)
	}
	limit := f.Page.Size()
	return collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications WHERE organisation_id = $1`+c.sql.String()+
		fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), c.args...)
}

// StateCount is how many notifications of a clinic are in a state.
type StateCount struct {
	State string
	Count int
}

// CountStates counts a clinic's notifications by state among those due in [from, to).
//
// Errors: none of its own.
func (tx Notifications) CountStates(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, from, to time.Time) ([]StateCount, error) {
	return collect(ctx, tx, func(r row) (StateCount, error) {
		var s StateCount
		return s, r.Scan(&s.State, &s.Count)
	}, `SELECT state, COUNT(*) FROM notifications WHERE organisation_id = $1 AND clinic_id = $2 AND due_at >= $3 AND due_at < $4
		GROUP BY state ORDER BY state`, org, cl, from.UTC(), to.UTC())
}

// SegmentsSent sums the SMS segments a clinic handed to its provider among the SMS due since
// from (its monthly budget counts the messages of the month by their due time, which one
// index serves with the day's counts).
//
// Errors: none of its own.
func (tx Notifications) SegmentsSent(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, from time.Time) (int, error) {
	var n *int64
	err := tx.q.queryRow(ctx, `SELECT SUM(segments) FROM notifications WHERE organisation_id = $1 AND clinic_id = $2 AND due_at >= $3
		AND channel = 'sms' AND state IN ('sending', 'sent', 'delivered', 'unknown')`, org, cl, from.UTC()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("SMS segments sent: %w", err)
	}
	if n == nil {
		return 0, nil
	}
	return int(*n), nil
}

// AppointmentsByIDs reads appointments by id in one statement (the dispatcher decides a
// batch's reminders with the appointments as they are at send time).
//
// Errors: none of its own; an id of another organisation is absent from the map.
func (tx Notifications) AppointmentsByIDs(ctx context.Context, org clinic.OrgID, ids []clinic.AppointmentID) (map[clinic.AppointmentID]clinic.Appointment, error) {
	out := make(map[clinic.AppointmentID]clinic.Appointment, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	as, err := collect(ctx, tx, scanAppointment, `SELECT `+appointmentCols+` FROM appointments WHERE organisation_id = $1 AND id IN (`+idList(ids)+`)`, org)
	for _, a := range as {
		out[a.ID] = a
	}
	return out, err
}

// GroupCandidate is a planned SMS reminder that NOT-4 may fold into another: with its
// appointment and the mobile it would go to.
type GroupCandidate struct {
	Notification
	Appointment clinic.Appointment
	Mobile      string
}

// GroupCandidates lists the planned SMS reminders of appointments on agendas starting in
// [from, to) for patients whose mobile is one of mobiles (one statement); the dispatcher
// keeps those on the same local day as a reminder it is sending to the same number.
//
// Errors: none of its own.
func (tx Notifications) GroupCandidates(ctx context.Context, org clinic.OrgID, mobiles []string, agendas []clinic.AgendaID, from, to time.Time) ([]GroupCandidate, error) {
	if len(mobiles) == 0 || len(agendas) == 0 {
		return nil, nil
	}
	// Most mobiles belong to one patient: find the shared ones first (an index search), and
	// look for candidates among those only.
	shared, err := tx.SharedMobiles(ctx, org, mobiles)
	if err != nil || len(shared) == 0 {
		return nil, err
	}
	mobiles = shared
	cols := qualifiedCols("n", notificationCols)
	acols := qualifiedCols("a", appointmentCols)
	args := []any{org, from.UTC(), to.UTC()}
	ph := make([]string, len(mobiles))
	for i, m := range mobiles {
		args = append(args, m)
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	return collect(ctx, tx, func(r row) (GroupCandidate, error) {
		var c GroupCandidate
		a := &c.Appointment
		var ext *string
		err := scanNotificationInto(r, &c.Notification, &a.ID, &a.OrgID, &a.ClinicID, &a.AgendaID, &a.ReasonID, &a.PatientID, &ext, &a.Start, &a.End,
			&a.Status, &a.BookedBy, &a.Note, &a.Version, &a.CreatedAt, &a.UpdatedAt, &c.Mobile)
		if ext != nil {
			a.ExternalID = *ext
		}
		a.Start, a.End = a.Start.UTC(), a.End.UTC()
		return c, err
	}, `SELECT `+cols+`, `+acols+`, p.mobile FROM notifications n
		JOIN appointments a ON a.organisation_id = n.organisation_id AND a.id = n.appointment_id
		JOIN patients p ON p.organisation_id = n.organisation_id AND p.id = n.patient_id
		WHERE n.organisation_id = $1 AND n.state = 'planned' AND n.channel = 'sms' AND n.kind = 'reminder'
		AND a.starts_at >= $2 AND a.starts_at < $3 AND a.agenda_id IN (`+idList(agendas)+`) AND p.mobile IN (`+strings.Join(ph, ", ")+`)`, args...)
}

// UnknownSMS lists SMS whose outcome is unknown, with no provider id yet, handed to the
// provider before before (older ones first): the dispatcher reconciles them (NOT-6).
//
// Errors: none of its own.
func (tx Notifications) UnknownSMS(ctx context.Context, before time.Time, limit int) ([]Notification, error) {
	return collect(ctx, tx, scanNotification, `SELECT `+notificationCols+` FROM notifications
		WHERE state = 'unknown' AND channel = 'sms' AND provider_id = '' AND COALESCE(sending_at, updated_at) < $1
		ORDER BY id LIMIT $2`, before.UTC(), limit)
}

// SharedMobiles returns those of mobiles that more than one of org's patients has (records merged
// into another left out).
//
// Errors: none of its own.
func (tx Notifications) SharedMobiles(ctx context.Context, org clinic.OrgID, mobiles []string) ([]string, error) {
	if len(mobiles) == 0 {
		return nil, nil
	}
	scan := func(r row) (string, error) {
		var m string
		return m, r.Scan(&m)
	}
	const q = `SELECT mobile FROM patients WHERE organisation_id = $1 AND merged_into IS NULL AND mobile %s GROUP BY mobile HAVING COUNT(*) > 1`
	if tx.dialect == Postgres {
		// An array, not a JSON set: the planner sizes = ANY by its elements and probes
		// patients_mobile, where a set-returning function left it guessing and, on a
		// freshly filled table, scanning the organisation's patients (2.5 s a round).
		return collect(ctx, tx, scan, fmt.Sprintf(q, "= ANY($2::text[])"), org, mobiles)
	}
	b, err := json.Marshal(mobiles)
	if err != nil {
		return nil, err
	}
	return collect(ctx, tx, scan, fmt.Sprintf(q, "IN (SELECT value FROM json_each($2))"), org, string(b))
}
