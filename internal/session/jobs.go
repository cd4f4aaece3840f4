package session

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
)

// ExpiryArgs asks for one staff session to be removed at its absolute expiry. It is
// enqueued in the transaction that creates the session.
type ExpiryArgs struct {
	SessionID int64 `json:"session_id"`
}

// Kind names the job in River's table.
func (ExpiryArgs) Kind() string { return "session_expiry" }

// CleanupArgs is the periodic sweep of idle and expired sessions.
type CleanupArgs struct{}

// Kind names the job in River's table.
func (CleanupArgs) Kind() string { return "cleanup" }

// JobsConfig tunes the session package's background work. Zero values take the defaults.
type JobsConfig struct {
	Idle         time.Duration // the session idle timeout; default 30 minutes
	CleanupEvery time.Duration // period of the sweep; default 1 hour
}

// RegisterJobs declares the session package's workers on r: the expiry of one session at
// its absolute lifetime, and the periodic sweep of idle and expired sessions (run once at
// start too), both on the maintenance queue.
func RegisterJobs(r *jobs.Registry, db *store.DB, cfg JobsConfig) {
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Minute
	}
	if cfg.CleanupEvery <= 0 {
		cfg.CleanupEvery = time.Hour
	}
	maintenance := jobs.WorkerOpts{Queue: jobs.QueueMaintenance, Timeout: time.Minute}
	jobs.Register(r, func(ctx context.Context, a ExpiryArgs) error {
		return db.Update(ctx, func(tx *store.Tx) error {
			// Nothing deleted means already signed out, or this instance's clock runs
			// behind; either way the periodic clean-up is the backstop.
			if _, err := tx.Staff().DeleteSessionIfExpired(ctx, a.SessionID); err != nil {
				return fmt.Errorf("expire session %d: %w", a.SessionID, err)
			}
			return nil
		})
	}, maintenance)
	jobs.Register(r, func(ctx context.Context, _ CleanupArgs) error {
		return db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.Staff().DeleteExpiredSessions(ctx, tx.Now.Add(-cfg.Idle)); err != nil {
				return fmt.Errorf("clean up sessions: %w", err)
			}
			return nil
		})
	}, maintenance)
	jobs.Periodic(r, cfg.CleanupEvery, CleanupArgs{}, jobs.PeriodicOpts{RunOnStart: true,
		Opts: jobs.Opts{UniqueKey: "sessions"}})
}
