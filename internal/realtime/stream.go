package realtime

import (
	"bytes"
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

const (
	// retryField opens every stream: how long a browser waits before reconnecting after a
	// restart.
	retryField = "retry: 1000\n\n"
	// keepAlive is the heartbeat's comment line.
	keepAlive = ": keep-alive\n\n"
)

func (s Source) page() int {
	if s.Page <= 0 {
		return 500
	}
	return s.Page
}

func (s Source) heartbeat() time.Duration {
	if s.Heartbeat <= 0 {
		return 25 * time.Second
	}
	return s.Heartbeat
}

// replay hands emit, written as SSE, the events after *last that src's viewer may see, page
// by page, every event once, in id order, and moves *last on.
func replay(ctx context.Context, src Source, page int, last *int64, emit func([]byte) error) error {
	var b bytes.Buffer
	for {
		es, err := src.Load(ctx, *last)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.ID <= *last {
				continue
			}
			*last = e.ID
			b.Reset()
			if !writeEvent(ctx, &b, src, e) {
				continue
			}
			if err := emit(b.Bytes()); err != nil {
				return err
			}
		}
		if len(es) < page {
			return nil
		}
	}
}

// writeEvent appends event e as src's viewer sees it to b, in SSE; false when the viewer
// does not see it.
func writeEvent(ctx context.Context, b *bytes.Buffer, src Source, e store.MessageEvent) bool {
	name, data, ok := src.Render(ctx, e)
	if !ok {
		return false
	}
	fmt.Fprintf(b, "id: %d\n", e.ID)
	if name != "" {
		fmt.Fprintf(b, "event: %s\n", name)
	}
	for _, line := range strings.Split(data, "\n") {
		fmt.Fprintf(b, "data: %s\n", strings.TrimRight(line, "\r"))
	}
	b.WriteString("\n")
	return true
}

// Serve writes the stream until the client goes or the hub closes: first what came after
// after, then, each time the hub wakes it, what came since, every event once, in id order.
// Serve owns src.Sub from the call on and closes it when the stream ends.
//
// Over HTTP/1.1 it returns once the replay is sent, the connection parked with the hub (see
// park.go): the handler's goroutine and buffers are freed while the stream stays open.
// Where the connection cannot be taken it serves the stream until it ends.
func Serve(ctx context.Context, w http.ResponseWriter, src Source, after int64) error {
	// Through http.ResponseController, which unwraps the server's middleware writers (a
	// plain w.(http.Flusher) fails on them).
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	if conn, brw, err := rc.Hijack(); err == nil {
		if brw.Writer.Buffered() > 0 {
			// Something was written before the stream: its framing is the server's.
			conn.Close()
			src.Sub.Close()
			return fmt.Errorf("realtime: %d bytes written before the stream", brw.Writer.Buffered())
		}
		if err := park(ctx, conn, h, src, after); err != nil {
			src.Sub.Close()
			return err
		}
		return nil
	}
	defer src.Sub.Close()
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, retryField); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil {
		return fmt.Errorf("realtime: the response cannot stream: %w", err)
	}
	page := src.page()
	last := after
	emit := func(b []byte) error {
		_, err := w.Write(b)
		return err
	}
	catchUp := func() error {
		if err := replay(ctx, src, page, &last, emit); err != nil {
			return err
		}
		return rc.Flush()
	}
	src.Sub.Behind() // the replay covers what the hub dropped so far
	if err := catchUp(); err != nil {
		return err
	}
	t := time.NewTicker(src.heartbeat())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-src.Sub.hub.done:
			return nil
		case <-t.C:
			if _, err := fmt.Fprint(w, keepAlive); err != nil {
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
			if err := catchUp(); err != nil {
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
