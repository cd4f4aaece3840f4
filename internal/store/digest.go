package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// DigestClinic is a clinic whose staff get the e-mail digest of unread messages (MSG-5).
type DigestClinic struct {
	OrgID    clinic.OrgID
	ClinicID clinic.ClinicID
}

// DigestClinics lists the clinics of every organisation whose digest switch is on, by
// organisation then clinic.
//
// Errors: none of its own.
func (tx Messaging) DigestClinics(ctx context.Context) ([]DigestClinic, error) {
	return collect(ctx, tx, func(r row) (DigestClinic, error) {
		var d DigestClinic
		return d, r.Scan(&d.OrgID, &d.ClinicID)
	}, `SELECT organisation_id, clinic_id FROM messaging_settings WHERE staff_digest ORDER BY organisation_id, clinic_id`)
}

// UnreadClinic is one clinic's unread messages for a staff reader: how many, and the
// newest's id.
type UnreadClinic struct {
	ClinicID clinic.ClinicID
	Count    int
	Newest   int64
}

// UnreadByClinic counts, for a staff reader, the unread patient messages of the open
// conversations of clinics cls, clinic by clinic, with each clinic's newest unread message
// (the digest compares it with the last one it counted). Clinics with none are absent. It
// counts whatever the reader may read: the rules are messaging's (messaging.UnreadOf, which
// asks UnreadConversations where the reader reads only some).
//
// Errors: none of its own.
func (tx Messaging) UnreadByClinic(ctx context.Context, org clinic.OrgID, cls []clinic.ClinicID, reader string) ([]UnreadClinic, error) {
	if len(cls) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, func(r row) (UnreadClinic, error) {
		var u UnreadClinic
		return u, r.Scan(&u.ClinicID, &u.Count, &u.Newest)
	}, `SELECT c.clinic_id, COUNT(*), MAX(m.id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.organisation_id = $1 AND c.clinic_id IN (`+idList(cls)+`) AND c.state = 'open' AND m.author = 'patient'
		AND m.id > COALESCE((SELECT last_read_id FROM conversation_reads cr WHERE cr.conversation_id = c.id AND cr.reader = $2), 0)
		GROUP BY c.clinic_id ORDER BY c.clinic_id`, org, reader)
}

// LastDigest is the newest message the last digest sent to user counted (0: none sent).
//
// Errors: none of its own.
func (tx Messaging) LastDigest(ctx context.Context, org clinic.OrgID, user clinic.UserID) (int64, error) {
	var id int64
	err := tx.q.queryRow(ctx, `SELECT COALESCE(MAX(last_message_id), 0) FROM messaging_digests WHERE organisation_id = $1 AND user_id = $2`, org, user).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("last digest of user %d: %w", user, err)
	}
	return id, nil
}

// PutDigest records that user was sent a digest counting messages up to lastMessage.
//
// Errors: none of its own.
func (tx Messaging) PutDigest(ctx context.Context, org clinic.OrgID, user clinic.UserID, lastMessage int64, at time.Time) error {
	_, err := tx.q.exec(ctx, `INSERT INTO messaging_digests (organisation_id, user_id, last_message_id, sent_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (organisation_id, user_id) DO UPDATE SET last_message_id = excluded.last_message_id, sent_at = excluded.sent_at`,
		org, user, lastMessage, at.UTC())
	if err != nil {
		return fmt.Errorf("record the digest of user %d: %w", user, err)
	}
	return nil
}

// UnreadConversation is an open conversation with patient messages a staff reader has not
// read: how many, and the newest's id.
type UnreadConversation struct {
	Conversation
	Count  int
	Newest int64
}

// UnreadConversations lists the open conversations of clinic cl with patient messages the
// staff reader has not read, with their counts (UnreadByClinic's, conversation by
// conversation), so that the caller can keep those the reader may read.
//
// Errors: none of its own.
func (tx Messaging) UnreadConversations(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, reader string) ([]UnreadConversation, error) {
	return collect(ctx, tx, func(r row) (UnreadConversation, error) {
		var u UnreadConversation
		return u, scanConversationInto(r, &u.Conversation, &u.Count, &u.Newest)
	}, `SELECT `+qualifiedCols("c", conversationCols)+`, COUNT(*), MAX(m.id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.organisation_id = $1 AND c.clinic_id = $2 AND c.state = 'open' AND m.author = 'patient'
		AND m.id > COALESCE((SELECT last_read_id FROM conversation_reads cr WHERE cr.conversation_id = c.id AND cr.reader = $3), 0)
		GROUP BY c.id ORDER BY c.id`, org, cl, reader)
}
