package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

func setupJobs(t *testing.T) (*store.DB, *jobs.Queue, clinic.User) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, nil)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	reg := jobs.NewRegistry()
	session.RegisterJobs(reg, db, session.JobsConfig{})
	q, err := jobs.New(db, jobs.Config{Registry: reg, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.Seed(t, db, "acme")
	var u clinic.User
	err = db.Update(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.Staff().CreateUser(ctx, f.Org.ID, clinic.User{Email: "a@example.com", Role: clinic.RoleReception, PasswordHash: "x"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, q, u
}

// TestSessionExpiryJob proves the queue end to end on the selected database: a job enqueued
// in the transaction that creates a session is worked at its scheduled time and removes it.
func TestSessionExpiryJob(t *testing.T) {
	ctx := context.Background()
	db, q, u := setupJobs(t)
	var s store.Session
	expires := time.Now().Add(300 * time.Millisecond)
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		s, err = tx.Staff().CreateSession(ctx, u, []byte("hash-1"), expires)
		if err != nil {
			return err
		}
		return q.Enqueue(ctx, tx, session.ExpiryArgs{SessionID: s.ID}, jobs.Opts{At: expires})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := q.Unfinished(ctx, session.ExpiryArgs{}.Kind()); err != nil || n != 1 {
		t.Fatalf("unfinished jobs = %d, %v; want 1", n, err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := db.View(ctx, func(tx *store.Tx) error { _, _, err := tx.Staff().SessionByToken(ctx, []byte("hash-1")); return err })
		n, _ := q.Unfinished(ctx, session.ExpiryArgs{}.Kind())
		if errors.Is(err, clinic.ErrNotFound) && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still there after deadline (err %v, unfinished %d)", err, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The row is gone, not only filtered out by its expiry.
	err = db.Update(ctx, func(tx *store.Tx) error {
		deleted, err := tx.Staff().DeleteSessionIfExpired(ctx, s.ID)
		if deleted {
			t.Error("the job left the expired session in place")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCleanupJob: the periodic sweep runs on start and removes idle sessions only.
func TestCleanupJob(t *testing.T) {
	ctx := context.Background()
	db, q, u := setupJobs(t)
	err := db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Staff().CreateSession(ctx, u, []byte("live"), time.Now().Add(time.Hour)); err != nil {
			return err
		}
		_, err := tx.Staff().CreateSession(ctx, u, []byte("dead"), time.Now().Add(-time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		db.View(ctx, func(tx *store.Tx) error {
			n, _ = tx.Staff().CountSessions(ctx)
			return nil
		})
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions = %d after deadline, want 1", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	err = db.View(ctx, func(tx *store.Tx) error { _, _, err := tx.Staff().SessionByToken(ctx, []byte("live")); return err })
	if err != nil {
		t.Fatalf("live session removed: %v", err)
	}
}
