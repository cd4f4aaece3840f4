package account

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
)

// CleanupArgs is the periodic sweep of patients' idle and expired sessions and of links
// expired more than a day ago.
type CleanupArgs struct{}

// Kind names the job in River's table.
func (CleanupArgs) Kind() string { return "portal_cleanup" }

// RegisterJobs declares the sweep on r, hourly on the maintenance queue (and once at
// start). idle is the session idle timeout (DefaultIdle when 0).
func RegisterJobs(r *jobs.Registry, db *store.DB, idle time.Duration) {
	if idle <= 0 {
		idle = DefaultIdle
	}
	jobs.Register(r, func(ctx context.Context, _ CleanupArgs) error {
		return db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.Portal().DeleteExpiredPortalSessions(ctx, tx.Now.Add(-idle)); err != nil {
				return fmt.Errorf("clean up portal sessions: %w", err)
			}
			return nil
		})
	}, jobs.WorkerOpts{Queue: jobs.QueueMaintenance, Timeout: time.Minute})
	jobs.Periodic(r, time.Hour, CleanupArgs{}, jobs.PeriodicOpts{RunOnStart: true, Opts: jobs.Opts{UniqueKey: "portal_sessions"}})
}
