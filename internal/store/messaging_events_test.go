package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestMessageEventsRecordedAtCommit (MSG-4): the events of a transaction get their ids at
// commit, in the order they were recorded, across organisations (a handover across
// organisations writes both sides'); a rolled-back transaction or savepoint stores none of
// its own.
func TestMessageEventsRecordedAtCommit(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	ev := func(org clinic.OrgID, conv int64) store.MessageEvent {
		return store.MessageEvent{OrgID: org, ConversationID: conv, ClinicID: 10, PatientID: 100, Kind: store.EventMessage, MessageID: conv}
	}
	var a, b, undone *store.MessageEvent
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if a, err = tx.Messaging().AddMessageEvent(ctx, ev(2, 1)); err != nil {
			return err
		}
		serr := tx.Savepoint(ctx, func() (err error) {
			if undone, err = tx.Messaging().AddMessageEvent(ctx, ev(1, 99)); err != nil {
				return err
			}
			return errors.New("undo")
		})
		if serr == nil || serr.Error() != "undo" {
			t.Errorf("Savepoint = %v, want undo", serr)
		}
		b, err = tx.Messaging().AddMessageEvent(ctx, ev(1, 2))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || b.ID <= a.ID {
		t.Errorf("ids after commit: %d then %d, want both set, in the order recorded", a.ID, b.ID)
	}
	var rolled *store.MessageEvent
	errRollback := errors.New("roll back")
	err = db.Update(ctx, func(tx *store.Tx) (err error) {
		rolled, err = tx.Messaging().AddMessageEvent(ctx, ev(1, 3))
		return errors.Join(err, errRollback)
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	for _, o := range []struct {
		org  clinic.OrgID
		want []int64 // conversations
	}{{1, []int64{2}}, {2, []int64{1}}} {
		var got []store.MessageEvent
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.Messaging().MessageEventsAfter(ctx, o.org, store.EventFilter{ClinicIDs: []clinic.ClinicID{10}}, 0, 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var convs []int64
		for _, e := range got {
			convs = append(convs, e.ConversationID)
		}
		if !slices.Equal(convs, o.want) {
			t.Errorf("organisation %d: events of conversations %v, want %v (undone %+v, rolled back %+v)", o.org, convs, o.want, undone, rolled)
		}
	}
}

// TestMessageEventsCommitInOrder (MSG-4): while writers record an organisation's events
// at once, a reader that follows them by "after the last id I read" (as every stream does)
// sees each event exactly once: no event commits with an id below one already read.
func TestMessageEventsCommitInOrder(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	const writers, each = 8, 40
	f := store.EventFilter{ClinicIDs: []clinic.ClinicID{10}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := db.Update(ctx, func(tx *store.Tx) error {
					// Work before the event, as a send does (the message, the audit row).
					if _, err := tx.Messaging().LastMessageEvent(ctx); err != nil {
						return err
					}
					_, err := tx.Messaging().AddMessageEvent(ctx, store.MessageEvent{OrgID: 1, ConversationID: int64(w*each + i + 1), ClinicID: 10, PatientID: 100, Kind: store.EventMessage})
					return err
				})
				if err != nil && !errors.Is(err, store.ErrBusy) {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	seen := map[int64]int{}
	var last int64
	read := func() {
		var es []store.MessageEvent
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			es, err = tx.Messaging().MessageEventsAfter(ctx, 1, f, last, 1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			seen[e.ConversationID]++
			last = e.ID
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		read()
	}
	read()
	var total int
	if err := db.View(ctx, func(tx *store.Tx) error {
		es, err := tx.Messaging().MessageEventsAfter(ctx, 1, f, 0, writers*each+1)
		total = len(es)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != total {
		t.Errorf("the reader saw %d of the %d events committed: an event committed below an id already read", len(seen), total)
	}
	for c, n := range seen {
		if n != 1 {
			t.Errorf("conversation %d's event read %d times", c, n)
		}
	}
}

// TestConversationWithSettings (MSG-1, MSG-2): a conversation read with its clinic's
// switches gets what MessagingSettingsOf reads, lists included, and a clinic that never
// saved them has messaging off; another organisation's conversation is not found.
func TestConversationWithSettings(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	a, b := storetest.Seed(t, db, "a"), storetest.Seed(t, db, "b")
	var conv store.Conversation
	var users []clinic.UserID
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		for _, e := range []string{"one@example.com", "two@example.com"} {
			u, err := tx.Staff().CreateUser(ctx, a.Org.ID, clinic.User{Email: e, Name: e, Role: clinic.RolePractitioner})
			if err != nil {
				return err
			}
			users = append(users, u.ID)
		}
		conv, err = tx.Messaging().CreateConversation(ctx, store.Conversation{OrgID: a.Org.ID, ClinicID: a.Clinic.ID, PatientID: a.Patient.ID,
			Subject: "Results", StartedBy: store.ByPatient})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func() (store.Conversation, store.MessagingSettings, store.MessagingSettings) {
		t.Helper()
		var c store.Conversation
		var got, want store.MessagingSettings
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			if c, got, err = tx.Messaging().ConversationWithSettings(ctx, a.Org.ID, conv.ID); err != nil {
				return err
			}
			want, err = tx.Messaging().MessagingSettingsOf(ctx, a.Org.ID, a.Clinic.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return c, got, want
	}
	c, got, want := read()
	if c.ID != conv.ID || c.Subject != "Results" || !reflect.DeepEqual(got, want) || got.Incoming || got.ClinicID != a.Clinic.ID {
		t.Errorf("never saved: %+v %+v, want %+v (messaging off)", c, got, want)
	}
	saved := store.MessagingSettings{ClinicID: a.Clinic.ID, StaffStart: true, StartList: users[:1], Incoming: true, AnswerList: users, PortalButton: true, StaffDigest: true}
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Messaging().PutMessagingSettings(ctx, a.Org.ID, saved) }); err != nil {
		t.Fatal(err)
	}
	_, got, want = read()
	if !reflect.DeepEqual(got, want) || !slices.Equal(got.AnswerList, users) || !slices.Equal(got.StartList, users[:1]) || !got.StaffDigest || got.UpdatedAt.IsZero() {
		t.Errorf("saved: %+v, want %+v", got, want)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		_, _, err := tx.Messaging().ConversationWithSettings(ctx, b.Org.ID, conv.ID)
		return err
	})
	if !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another organisation's conversation: %v, want not found", err)
	}
}

// TestMessageEventNotified (MSG-4): on PostgreSQL the commit notifies each event whole, as
// EncodeEvent writes it, so that a stream can send it without reading.
func TestMessageEventNotified(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	if db.Dialect() != store.Postgres {
		t.Skip("SQLite: the use cases publish their events in process, nothing is notified")
	}
	conn, err := db.PgxPool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN tidings_messages"); err != nil {
		t.Fatal(err)
	}
	var evs []*store.MessageEvent
	err = db.Update(ctx, func(tx *store.Tx) error {
		for _, e := range []store.MessageEvent{
			{OrgID: 1, ConversationID: 2, ClinicID: 3, PatientID: 4, Kind: store.EventMessage, MessageID: 5},
			{OrgID: 1, ConversationID: 2, ClinicID: 3, PatientID: 4, Kind: store.EventRead, Reader: "patient:4"},
		} {
			ev, err := tx.Messaging().AddMessageEvent(ctx, e)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, want := range evs {
		n, err := conn.Conn().WaitForNotification(wctx)
		if err != nil {
			t.Fatal(err)
		}
		if n.Payload != store.EncodeEvent(*want) {
			t.Errorf("notified %q, want %q", n.Payload, store.EncodeEvent(*want))
		}
	}
}
