package dispatch_test

import (
	"bytes"
	"context"
	"net/http"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestRunLoadsAccountsBeforeFirstRound: a dispatcher started as `tidings serve` starts it
// (Run, nothing before) while an SMS is due sends it through the organisation's account
// (NOT-6).
//
// Fails on the current code. Run loads the SMS accounts in its maintenance goroutine while
// its round loops already run, and a round that wins the race finds no account: the SMS
// fails for good ("no SMS account is configured for this clinic") or, with the outbox
// fallback, is recorded as sent to the outbox and never reaches the patient. Left to chance
// the round wins one start in ten to two in ten on either dialect; here the database clock
// holds back the first transaction of maintenance by 300 ms, as a slow first connection
// would, so that the race is lost every time instead of sometimes.
func TestRunLoadsAccountsBeforeFirstRound(t *testing.T) {
	now, _ := shifted(mondayTen)
	dsn := storetest.DSN(t)
	db := openDB(t, dsn, now)
	f := storetest.Seed(t, db, "startup")
	fake := twiliotest.NewServer(twiliotest.WithClock(now), twiliotest.WithCallbackCopies(1, 1))
	t.Cleanup(fake.Close)
	putAccount(t, db, f, fake.URL)
	id := seedDue(t, db, f, 0, []due{{channel: consent.ChannelSMS, start: now().Add(4 * time.Hour)}})[0]

	// The starting process: its own connections, and a clock that delays maintenance once.
	var once sync.Once
	slow := func() time.Time {
		if bytes.Contains(debug.Stack(), []byte("(*Dispatcher).Maintain")) {
			once.Do(func() { time.Sleep(300 * time.Millisecond) })
		}
		return now()
	}
	pdb, err := store.Open(ctx, store.Config{DSN: dsn, Now: slow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pdb.Close() })
	sms := &dispatch.SMS{PublicURL: nowhere, HTTP: &http.Client{Timeout: 5 * time.Second}, Breakers: dispatch.NewBreakers(now)}
	d := dispatch.New(pdb, dispatch.Config{PublicURL: nowhere}, dispatch.Senders{SMS: sms}, nil)
	rctx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- d.Run(rctx) }()
	var n store.Notification
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n = byIDs(t, db, []int64{id})[id]; terminal(n.State) {
			break
		}
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if n.State != store.NoteSent || len(fake.Messages()) != 1 {
		t.Errorf("the SMS due at start is %s (%q); the provider has %d, want it sent", n.State, n.Reason, len(fake.Messages()))
	}
}
