package demo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestRemindersReachTheOutboxWithinAMinute: a newcomer who starts the demo sees reminders go
// out in its first minute (NOT-6's outbox channel): the seed plans 2 h reminders due within
// 60 s, and a dispatcher with no provider but the outbox sends them there.
func TestRemindersReachTheOutboxWithinAMinute(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 2, 22, 3, 17, 0, time.UTC) // Thursday 09:03 in Sydney
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := storetest.Open(t, clock)
	res, err := demo.Seed(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	d := dispatch.New(db, dispatch.Config{PublicURL: "http://127.0.0.1:8080"},
		dispatch.Senders{SMS: &dispatch.SMS{Fallback: dispatch.Outbox{}}, Email: dispatch.Outbox{}}, nil)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	for {
		n, err := d.Round(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var sent []store.Notification
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		sent, err = tx.Notifications().ListNotifications(ctx, res.Org.ID, store.NotificationFilter{Provider: dispatch.ProviderOutbox, Page: store.Page{Limit: 100}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reminders := 0
	for _, n := range sent {
		if n.Kind == "reminder" && n.State == store.NoteSent && n.Body != "" {
			reminders++
		}
	}
	if reminders < 3 {
		t.Fatalf("%d reminders in the outbox a minute after the demo started, want at least 3 (one per soon appointment, per channel the patient has)", reminders)
	}
}
