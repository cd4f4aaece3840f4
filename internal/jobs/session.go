package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/tidings-health/tidings/internal/store"
)

// SessionExpiryArgs asks for one staff session to be removed at its absolute expiry. It is
// enqueued in the transaction that creates the session.
type SessionExpiryArgs struct {
	SessionID int64 `json:"session_id"`
}

// Kind names the job in River's table.
func (SessionExpiryArgs) Kind() string { return "session_expiry" }

type sessionExpiryWorker struct {
	river.WorkerDefaults[SessionExpiryArgs]
	db *store.DB
}

func (w *sessionExpiryWorker) Work(ctx context.Context, job *river.Job[SessionExpiryArgs]) error {
	return w.db.Update(ctx, func(tx *store.Tx) error {
		// Nothing deleted means already signed out, or this instance's clock runs
		// behind; either way the periodic clean-up is the backstop.
		if _, err := tx.DeleteSessionIfExpired(ctx, job.Args.SessionID); err != nil {
			return fmt.Errorf("expire session %d: %w", job.Args.SessionID, err)
		}
		return nil
	})
}

// CleanupArgs is the periodic sweep of idle and expired sessions.
type CleanupArgs struct{}

// Kind names the job in River's table.
func (CleanupArgs) Kind() string { return "cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	db   *store.DB
	idle time.Duration
}

func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[CleanupArgs]) error {
	return w.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.DeleteExpiredSessions(ctx, tx.Now.Add(-w.idle))
		if err != nil {
			return fmt.Errorf("clean up sessions: %w", err)
		}
		return nil
	})
}
