package dispatch_test

import (
	"context"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestTwoDispatchersNoDuplicates: two dispatchers, each with its own connections, accounts
// and breakers as two servers would have, each running two rounds at once, drain 2,000 due
// SMS from one PostgreSQL database (NOT-6: claims skip each other's rows, and every write
// is fenced). The provider must hold exactly one message per notification — none twice by
// body and number or by the notification in the callback URL — and every notification must
// be sent with that message's id. Both dispatchers must have sent some, or the test proved
// nothing about two.
func TestTwoDispatchersNoDuplicates(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("two dispatchers share a database only on PostgreSQL: set " + storetest.EnvPostgres + " to run this test")
	}
	const total = 2000
	now, _ := shifted(mondayTen)
	dsn := storetest.DSN(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, store.Config{DSN: dsn, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db := open()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := storetest.Seed(t, db, "two")
	fake := twiliotest.NewServer(twiliotest.WithClock(now), twiliotest.WithCallbackCopies(1, 1))
	t.Cleanup(fake.Close)
	putAccount(t, db, f, fake.URL)
	ds := make([]due, total)
	for i := range ds {
		ds[i] = due{channel: consent.ChannelSMS, start: now().Add(3*time.Hour + time.Duration(i%40)*15*time.Minute)}
	}
	ids := seedDue(t, db, f, 0, ds)

	began := time.Now()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var sentBy [2]atomic.Int64
	for i := range sentBy {
		pdb := open()
		sms := &dispatch.SMS{PublicURL: nowhere, HTTP: &http.Client{Timeout: 10 * time.Second}, Breakers: dispatch.NewBreakers(now)}
		d := dispatch.New(pdb, dispatch.Config{Batch: 100, Parallel: 2, Workers: 32, Idle: 20 * time.Millisecond, PublicURL: nowhere},
			dispatch.Senders{SMS: sms}, nil)
		d.SetHooks(dispatch.Hooks{AfterSend: func(_ dispatch.Outgoing, err error) {
			if err == nil {
				sentBy[i].Add(1)
			}
		}})
		if err := d.Maintain(ctx); err != nil { // the accounts (see TestRunLoadsAccountsBeforeFirstRound)
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.Run(rctx); err != nil {
				t.Error(err)
			}
		}()
	}
	var counts map[string]int
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		counts = map[string]int{}
		if err := db.View(ctx, func(tx *store.Tx) error {
			cs, err := tx.Notifications().CountStates(ctx, f.Org.ID, f.Clinic.ID, now().Add(-24*time.Hour), now().Add(24*time.Hour))
			for _, c := range cs {
				counts[c.State] = c.Count
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if counts[store.NotePlanned]+counts[store.NoteClaimed]+counts[store.NoteSending] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not drained after 2 minutes: %v", counts)
		}
	}
	took := time.Since(began)
	cancel()
	wg.Wait()

	msgs := fake.Messages()
	if dups := providerDuplicates(msgs); len(dups) > 0 {
		t.Fatalf("the provider accepted %d messages for %d notifications; twice: %v", len(msgs), total, dups)
	}
	if len(msgs) != total {
		t.Errorf("the provider accepted %d messages, want %d", len(msgs), total)
	}
	atProvider := byNotification(msgs)
	ns := byIDs(t, db, ids)
	for _, id := range ids {
		n := ns[id]
		if n.State != store.NoteSent || len(atProvider[id]) != 1 || atProvider[id][0].SID != n.ProviderID {
			t.Errorf("notification %d is %s (%q) with provider id %q, %d messages at the provider; want sent once", id, n.State, n.Reason,
				n.ProviderID, len(atProvider[id]))
		}
	}
	a, b := sentBy[0].Load(), sentBy[1].Load()
	if a == 0 || b == 0 || a+b != total {
		t.Errorf("the dispatchers sent %d and %d, want both some and %d in all", a, b, total)
	}
	t.Logf("%d SMS in %s (%.0f/s), %d and %d by each dispatcher; states %v", total, took.Round(time.Millisecond), total/took.Seconds(), a, b, counts)
}
