package realtime

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/store"
)

// Source is what one stream sends: its subscription, the replay of what it missed, and how
// each event is written for its viewer.
type Source struct {
	Sub *Sub
	// Load lists the events after id that the viewer follows, oldest first, at most a page;
	// the stream calls it until it returns fewer than a page.
	Load func(ctx context.Context, after int64) ([]store.MessageEvent, error)
	// Render writes event e for the viewer: the SSE event name and data (one or more lines);
	// ok false skips it (an event the viewer may no longer see).
	Render func(ctx context.Context, e store.MessageEvent) (name, data string, ok bool)
	// Heartbeat is how often a comment line keeps idle proxies from closing the stream
	// (25 s when 0).
	Heartbeat time.Duration
	// Page is Load's page size (500 when 0).
	Page int
}

// After reads where a stream resumes: the Last-Event-ID header a reconnecting EventSource
// sends, else the "after" query parameter the page wrote when it rendered (so nothing
// between the page and its stream is lost), else 0 with ok false.
func After(r *http.Request) (int64, bool) {
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if v == "" {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n, true
		}
	}
	return 0, false
}

// Serve writes the stream until the client goes or ctx ends: first what came after after,
// then, each time the hub wakes it, what came since, every event once, in id order.
func Serve(ctx context.Context, w http.ResponseWriter, src Source, after int64) error {
	// Through http.ResponseController, which unwraps the server's middleware writers (a
	// plain w.(http.Flusher) fails on them).
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// retry: how long a browser waits before reconnecting after a restart.
	if _, err := fmt.Fprint(w, "retry: 1000\n\n"); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil {
		return fmt.Errorf("realtime: the response cannot stream: %w", err)
	}
	beat := src.Heartbeat
	if beat <= 0 {
		beat = 25 * time.Second
	}
	page := src.Page
	if page <= 0 {
		page = 500
	}
	last := after
	send := func(e store.MessageEvent) error {
		if e.ID <= last {
			return nil
		}
		last = e.ID
		name, data, ok := src.Render(ctx, e)
		if !ok {
			return nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "id: %d\n", e.ID)
		if name != "" {
			fmt.Fprintf(&b, "event: %s\n", name)
		}
		for _, line := range strings.Split(data, "\n") {
			fmt.Fprintf(&b, "data: %s\n", strings.TrimRight(line, "\r"))
		}
		b.WriteString("\n")
		_, err := w.Write([]byte(b.String()))
		return err
	}
	replay := func() error {
		for {
			es, err := src.Load(ctx, last)
			if err != nil {
				return err
			}
			for _, e := range es {
				if err := send(e); err != nil {
					return err
				}
			}
			if len(es) < page {
				return rc.Flush()
			}
		}
	}
	src.Sub.Behind() // the replay covers what the hub dropped so far
	if err := replay(); err != nil {
		return err
	}
	t := time.NewTicker(beat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-src.Sub.hub.done:
			return nil
		case <-t.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return err
			}
			if err := rc.Flush(); err != nil {
				return err
			}
		case <-src.Sub.C:
			// The hub's event is a wake-up: what to send is read from the database after
			// the last id sent, so an event is never missed nor sent twice, whatever order
			// the hub saw them in (event ids commit in order: see store.AddMessageEvent).
			for drained := false; !drained; {
				select {
				case <-src.Sub.C:
				default:
					drained = true
				}
			}
			src.Sub.Behind()
			if err := replay(); err != nil {
				return err
			}
		}
	}
}

// EventJSON is the data of an event as streams send it: ids and the kind only, never a
// body, a subject or a name; the page reads the rest through the use cases, which decide
// what its viewer may see.
func EventJSON(e store.MessageEvent) string {
	s := fmt.Sprintf(`{"id":%d,"kind":%q,"conversation":%d,"clinic":%d`, e.ID, e.Kind, e.ConversationID, e.ClinicID)
	if e.MessageID != 0 {
		s += fmt.Sprintf(`,"message":%d`, e.MessageID)
	}
	if e.Reader != "" {
		s += fmt.Sprintf(`,"reader":%q`, e.Reader)
	}
	return s + "}"
}
