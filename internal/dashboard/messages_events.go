package dashboard

import (
	"context"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// eventsPage is how many events the stream reads from the database at a time.
const eventsPage = 500

// events is the stream of secure messaging's events a signed-in staff member's open pages
// follow (GET /events, Server-Sent Events, MSG-4): those of every clinic of the
// organisation, the clinics the header's switcher offers, so that one stream per browser
// serves every tab whatever clinic each shows. It resumes after the Last-Event-ID a
// reconnecting browser sends, else after the "after" the page wrote (the newest event when
// it was read), else from now; every event once, in order, replayed from the database after
// a restart. Events carry ids only (realtime.EventJSON): the page reads what changed
// through the use cases, which decide what its viewer may see; and the stream sends only
// the events of conversations its viewer may read (messaging.Watcher, MSG-6).
func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	actor := web.MustActor(ctx)
	var cls []clinic.Clinic
	var newest int64
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		cls, err = all(func(p store.Page) ([]clinic.Clinic, error) { return tx.Directory().Clinics(ctx, actor.OrgID, p) },
			func(c clinic.Clinic) int64 { return int64(c.ID) })
		if err != nil {
			return err
		}
		newest, err = tx.Messaging().LastMessageEvent(ctx)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	after, ok := realtime.After(r)
	if !ok {
		after = newest
	}
	filter := store.EventFilter{ClinicIDs: clinicIDs(cls)}
	watch := d.messaging.Watch(actor)
	src := realtime.Source{
		// Serve owns the subscription (it outlives this handler once the stream is parked).
		Sub:  d.hub.Subscribe(actor.OrgID, filter),
		Page: eventsPage,
		Load: func(ctx context.Context, after int64) ([]store.MessageEvent, error) {
			var es []store.MessageEvent
			err := d.db.ViewStream(ctx, func(tx *store.Tx) (err error) {
				es, err = tx.Messaging().MessageEventsAfter(ctx, actor.OrgID, filter, after, eventsPage)
				return err
			})
			return es, err
		},
		Render: func(ctx context.Context, e store.MessageEvent) (string, string, bool) {
			sees, err := watch.Sees(ctx, e)
			if err != nil && ctx.Err() == nil {
				// Sent (Watcher.Sees says why): ids only, which the page reads through
				// the use cases.
				d.log.WarnContext(ctx, "message events: who may read the conversation is unknown", "conversation", e.ConversationID, "err", err)
				sees = true
			}
			if !sees {
				return "", "", false
			}
			return e.Kind, realtime.EventJSON(e), true
		},
	}
	if err := realtime.Serve(ctx, flusher{w}, src, after); err != nil && ctx.Err() == nil {
		// The answer has begun: the stream just ends, and the browser reconnects.
		d.log.InfoContext(ctx, "message events stream ended", "request_id", web.RequestID(ctx), "err", err)
	}
}

// flusher lets a stream flush through the server's response wrappers, which implement
// Unwrap rather than http.Flusher.
type flusher struct{ http.ResponseWriter }

func (f flusher) Flush() { _ = http.NewResponseController(f.ResponseWriter).Flush() }

func (f flusher) Unwrap() http.ResponseWriter { return f.ResponseWriter }
