package realtime_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// sse is one thing read from a stream: an event (id, name, data), the retry field, or a
// comment (a heartbeat).
type sse struct {
	id      int64
	name    string
	data    string
	retry   string
	comment string
}

// streamEnv is a stream handler as a surface mounts one: the patients of org 1 it follows,
// replayed from the database, woken by the hub. Its stream is parked with the hub (the
// connection taken from the server) unless plain, when it is served by its handler to the
// end (as over HTTP/2).
type streamEnv struct {
	t   *testing.T
	db  *store.DB
	hub *realtime.Hub
	ts  *httptest.Server

	handlers atomic.Int64 // handlers running
	loads    atomic.Int64 // reads of the database by the streams
}

// plainWriter is a response writer that cannot be hijacked, as HTTP/2's.
type plainWriter struct{ w http.ResponseWriter }

func (p plainWriter) Header() http.Header         { return p.w.Header() }
func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p plainWriter) WriteHeader(code int)        { p.w.WriteHeader(code) }
func (p plainWriter) Flush()                      { p.w.(http.Flusher).Flush() }

// modes runs f with a parked stream and with a plain one.
func modes(t *testing.T, f func(t *testing.T, plain bool)) {
	t.Run("parked", func(t *testing.T) { f(t, false) })
	t.Run("plain", func(t *testing.T) { f(t, true) })
}

func newStreamEnv(t *testing.T, buffer int, heartbeat time.Duration, plain bool) *streamEnv {
	e := &streamEnv{t: t, db: storetest.Open(t, nil), hub: realtime.New(nil, buffer)}
	t.Cleanup(e.hub.Close)
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.handlers.Add(1)
		defer e.handlers.Add(-1)
		if plain {
			w = plainWriter{w}
		}
		w.Header().Set("X-Content-Type-Options", "nosniff") // as the server's middleware
		f := store.EventFilter{PatientIDs: []clinic.PatientID{100, 101}}
		sub := e.hub.Subscribe(1, f)
		after, _ := realtime.After(r)
		src := realtime.Source{Sub: sub, Heartbeat: heartbeat, Page: 2, // a small page: the replay reads several
			Load: func(ctx context.Context, after int64) ([]store.MessageEvent, error) {
				e.loads.Add(1)
				var es []store.MessageEvent
				err := e.db.View(ctx, func(tx *store.Tx) (err error) {
					es, err = tx.Messaging().MessageEventsAfter(ctx, 1, f, after, 2)
					return err
				})
				return es, err
			},
			Render: func(_ context.Context, ev store.MessageEvent) (string, string, bool) {
				// A viewer who may not see patient 101's conversation 666 is not told of it.
				if ev.ConversationID == 666 {
					return "", "", false
				}
				return ev.Kind, realtime.EventJSON(ev), true
			},
		}
		if err := realtime.Serve(r.Context(), w, src, after); err != nil && r.Context().Err() == nil {
			t.Errorf("Serve: %v", err)
		}
	}))
	t.Cleanup(e.ts.Close)
	return e
}

// add records an event (org, patient, kind) as a use case does, without publishing it.
func (e *streamEnv) add(org clinic.OrgID, patient clinic.PatientID, conv int64, kind string) store.MessageEvent {
	e.t.Helper()
	var ev *store.MessageEvent
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		ev, err = tx.Messaging().AddMessageEvent(ctx, store.MessageEvent{OrgID: org, ConversationID: conv, ClinicID: 10, PatientID: patient, Kind: kind, MessageID: 5})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return *ev
}

// open connects to the stream with ?after= (when after ≥ 0) and a Last-Event-ID (when not
// ""), and returns what it reads, after its retry field (the handler has subscribed).
func (e *streamEnv) open(after int64, lastID string) (<-chan sse, func()) {
	e.t.Helper()
	cctx, cancel := context.WithCancel(ctx)
	u := e.ts.URL
	if after >= 0 {
		u += "?after=" + strconv.FormatInt(after, 10)
	}
	req, _ := http.NewRequestWithContext(cctx, http.MethodGet, u, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("Cache-Control") != "no-store" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		e.t.Fatalf("stream answered %d %v", res.StatusCode, res.Header)
	}
	out := make(chan sse, 100)
	go func() {
		defer close(out)
		defer res.Body.Close()
		read(res.Body, out)
	}()
	first := next(e.t, out)
	if first.retry == "" {
		e.t.Fatalf("the stream starts with %+v, want its retry field", first)
	}
	return out, func() {
		cancel()
		for range out {
		}
	}
}

// read parses a stream into out until it ends.
func read(r io.Reader, out chan<- sse) {
	sc := bufio.NewScanner(r)
	var cur sse
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur != (sse{}) {
				out <- cur
			}
			cur = sse{}
		case strings.HasPrefix(line, ":"):
			out <- sse{comment: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "id: "):
			cur.id, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			cur.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			if cur.data != "" {
				cur.data += "\n"
			}
			cur.data += line[6:]
		case strings.HasPrefix(line, "retry: "):
			cur.retry = line[7:]
		}
	}
}

// next is the next thing read (heartbeats skipped when skipBeats), failing after 5 s.
func next(t *testing.T, c <-chan sse) sse {
	t.Helper()
	for {
		select {
		case s, ok := <-c:
			if !ok {
				t.Fatal("the stream ended")
			}
			if s.comment != "" {
				continue
			}
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("nothing on the stream for 5 s")
		}
	}
}

// quiet checks that nothing but heartbeats arrives for a moment.
func quiet(t *testing.T, c <-chan sse) {
	t.Helper()
	deadline := time.After(150 * time.Millisecond)
	for {
		select {
		case s := <-c:
			if s.comment == "" {
				t.Errorf("unexpected %+v", s)
			}
		case <-deadline:
			return
		}
	}
}

// want reads the next events and checks they are evs, in order, with their kinds as names
// and realtime.EventJSON as data.
func want(t *testing.T, c <-chan sse, evs ...store.MessageEvent) {
	t.Helper()
	for _, ev := range evs {
		s := next(t, c)
		if s.id != ev.ID || s.name != ev.Kind || s.data != realtime.EventJSON(ev) {
			t.Errorf("got id %d %q %s, want id %d %q %s", s.id, s.name, s.data, ev.ID, ev.Kind, realtime.EventJSON(ev))
		}
	}
}

// TestServeReplaysAndResumes: a stream first sends what came after the page's ?after= (the
// viewer's events only, in order, over several pages), then what the hub tells of; a
// reconnect with Last-Event-ID sends what it missed meanwhile, nothing twice.
func TestServeReplaysAndResumes(t *testing.T) {
	modes(t, func(t *testing.T, plain bool) {
		e := newStreamEnv(t, 0, 0, plain)
		e1 := e.add(1, 100, 1, store.EventMessage)
		e2 := e.add(1, 100, 1, store.EventRead)
		e.add(2, 100, 9, store.EventMessage) // another organisation's patient 100
		e3 := e.add(1, 101, 2, store.EventMessage)
		e.add(1, 102, 3, store.EventMessage) // another patient
		e.add(1, 101, 666, store.EventMessage)
		e4 := e.add(1, 100, 1, store.EventClosed)

		c, stop := e.open(e1.ID, "")
		want(t, c, e2, e3, e4)
		quiet(t, c)

		// Live: the hub wakes the stream, which reads what is new.
		e5 := e.add(1, 100, 1, store.EventMessage)
		e.hub.Publish(e5)
		want(t, c, e5)
		// Events the hub never told of (another instance's before LISTEN, a dropped one) come
		// with the next wake-up, in order.
		e6 := e.add(1, 101, 2, store.EventReopened)
		e7 := e.add(1, 100, 1, store.EventHandover)
		e.hub.Publish(e7)
		want(t, c, e6, e7)
		quiet(t, c)
		if !e.hub.Online(1, 100) {
			t.Error("the patient is not online with a stream open")
		}
		stop()
		waitFor(t, func() bool { return e.hub.Streams() == 0 })

		// Away: e8 and e9 are recorded; the browser reconnects with the last id it saw, which
		// wins over the page's ?after=.
		e8 := e.add(1, 100, 1, store.EventMessage)
		e9 := e.add(1, 101, 2, store.EventAssigned)
		c, stop = e.open(0, strconv.FormatInt(e7.ID, 10))
		defer stop()
		want(t, c, e8, e9)
		quiet(t, c)
		e10 := e.add(1, 100, 1, store.EventMessage)
		e.hub.Publish(e10)
		e.hub.Publish(e10) // told twice (two channels): sent once
		want(t, c, e10)
		quiet(t, c)
	})
}

// TestServeBehind: a stream whose hub buffer overflowed still sends every event, once, in
// order, since each wake-up reads the database from the last id sent.
func TestServeBehind(t *testing.T) {
	modes(t, func(t *testing.T, plain bool) {
		e := newStreamEnv(t, 1, 0, plain)
		c, stop := e.open(-1, "")
		defer stop()
		var evs []store.MessageEvent
		for i := range 20 {
			ev := e.add(1, clinic.PatientID(100+i%2), int64(1+i%2), store.EventMessage)
			evs = append(evs, ev)
			e.hub.Publish(ev)
		}
		want(t, c, evs...)
		quiet(t, c)
	})
}

// TestServeHeartbeat: an idle stream writes a comment line at each heartbeat, so proxies
// keep it open.
func TestServeHeartbeat(t *testing.T) {
	modes(t, func(t *testing.T, plain bool) {
		e := newStreamEnv(t, 0, 20*time.Millisecond, plain)
		c, stop := e.open(-1, "")
		defer stop()
		beats := 0
		deadline := time.After(5 * time.Second)
		for beats < 3 {
			select {
			case s := <-c:
				if s.comment != "keep-alive" {
					t.Fatalf("got %+v, want a heartbeat", s)
				}
				beats++
			case <-deadline:
				t.Fatalf("%d heartbeats in 5 s", beats)
			}
		}
	})
}

// TestAfter: a reconnect's Last-Event-ID wins over the page's ?after=; neither is 0, not ok.
func TestAfter(t *testing.T) {
	for _, c := range []struct {
		header, query string
		want          int64
		ok            bool
	}{
		{"", "", 0, false},
		{"", "12", 12, true},
		{"15", "12", 15, true},
		{"junk", "12", 12, true},
		{"", "-3", 0, false},
		{"", "x", 0, false},
	} {
		r := httptest.NewRequest("GET", "/events?after="+c.query, nil)
		if c.header != "" {
			r.Header.Set("Last-Event-ID", c.header)
		}
		if n, ok := realtime.After(r); n != c.want || ok != c.ok {
			t.Errorf("header %q query %q: %d %v, want %d %v", c.header, c.query, n, ok, c.want, c.ok)
		}
	}
}

// TestEventJSON: ids and the kind only, never a body or a name.
func TestEventJSON(t *testing.T) {
	ev := store.MessageEvent{ID: 4, OrgID: 1, ConversationID: 2, ClinicID: 3, PatientID: 9, Kind: store.EventRead, MessageID: 7, Reader: "user:5"}
	if g, w := realtime.EventJSON(ev), `{"id":4,"kind":"read","conversation":2,"clinic":3,"message":7,"reader":"user:5"}`; g != w {
		t.Errorf("EventJSON = %s, want %s", g, w)
	}
	ev = store.MessageEvent{ID: 5, ConversationID: 2, ClinicID: 3, Kind: store.EventClosed}
	if g, w := realtime.EventJSON(ev), `{"id":5,"kind":"closed","conversation":2,"clinic":3}`; g != w {
		t.Errorf("EventJSON = %s, want %s", g, w)
	}
}

// TestStatic: the client scripts are served as JavaScript, cached for a year at the
// version ScriptURL names and revalidated otherwise; nothing else is served.
func TestStatic(t *testing.T) {
	ts := httptest.NewServer(realtime.Static())
	defer ts.Close()
	u := realtime.ScriptURL()
	if !strings.HasPrefix(u, realtime.StaticPrefix+"events.js?v=") {
		t.Fatalf("ScriptURL = %q", u)
	}
	get := func(path string, h http.Header) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get(u, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("events.js: %d %v", res.StatusCode, res.Header)
	}
	for _, s := range []string{`"tidings:event"`, "SharedWorker", "data-events-url", "events-worker.js", "EventSource"} {
		if !strings.Contains(body, s) {
			t.Errorf("events.js lacks %s", s)
		}
	}
	worker := strings.Replace(u, "events.js", "events-worker.js", 1)
	res, body = get(worker, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(body, "onconnect") {
		t.Errorf("events-worker.js: %d %v", res.StatusCode, res.Header)
	}
	for _, k := range []string{"message", "read", "closed", "reopened", "assigned", "handover"} {
		if !strings.Contains(body, fmt.Sprintf("%q", k)) {
			t.Errorf("the worker does not listen to %q events", k)
		}
	}
	res, _ = get(realtime.StaticPrefix+"events.js", nil)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, no-cache" || res.Header.Get("ETag") == "" {
		t.Errorf("unversioned events.js: %d %v", res.StatusCode, res.Header)
	}
	res, body = get(realtime.StaticPrefix+"events.js", http.Header{"If-None-Match": {res.Header.Get("ETag")}})
	if res.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("revalidation: %d %q", res.StatusCode, body)
	}
	for _, p := range []string{realtime.StaticPrefix, realtime.StaticPrefix + "hub.go", realtime.StaticPrefix + "static/events.js", realtime.StaticPrefix + "../events.js"} {
		if res, _ := get(p, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestParkedStream: once its replay is sent, a stream holds no handler (its connection is
// parked with the hub) yet still receives what is published; when its browser goes, the
// patient is no longer online and the stream is forgotten within the sweep; when the hub
// closes (the server shuts down), the parked streams end so that browsers reconnect.
func TestParkedStream(t *testing.T) {
	e := newStreamEnv(t, 0, 0, false)
	c, stop := e.open(-1, "")
	waitFor(t, func() bool { return e.handlers.Load() == 0 })
	if n := e.hub.Streams(); n != 1 {
		t.Fatalf("Streams = %d with one parked, want 1", n)
	}
	ev := e.add(1, 100, 1, store.EventMessage)
	e.hub.Publish(ev)
	want(t, c, ev)
	// The same event again (NOTIFY brings it after the use case did, on the instance that
	// wrote it): the stream has read it already and does not read again.
	waitFor(t, func() bool { return e.loads.Load() > 0 })
	loads := e.loads.Load()
	e.hub.Publish(ev)
	time.Sleep(50 * time.Millisecond)
	if n := e.loads.Load(); n != loads {
		t.Errorf("%d reads of the database for an event the stream had sent, want none", n-loads)
	}
	ev2 := e.add(1, 101, 2, store.EventMessage)
	e.hub.Publish(ev2)
	want(t, c, ev2)
	ev = ev2
	if !e.hub.Online(1, 100) {
		t.Error("not online with a parked stream")
	}
	stop()
	waitFor(t, func() bool { return !e.hub.Online(1, 100) })
	waitFor(t, func() bool { return e.hub.Streams() == 0 })

	c, _ = e.open(ev.ID, "")
	waitFor(t, func() bool { return e.handlers.Load() == 0 })
	e.hub.Close()
	select {
	case s, ok := <-c:
		if ok {
			t.Errorf("read %+v after the hub closed, want the end of the stream", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the parked stream is still open 5 s after the hub closed")
	}
	if n := e.hub.Streams(); n != 0 {
		t.Errorf("Streams = %d after Close", n)
	}
}

// TestParkedStreamTakesNotifications (MSG-4): while the LISTEN connection is up, a parked
// stream that read the database since it came up sends a notified event as it comes,
// without reading (an event the database holds as another's goes out as notified), each
// once and in order; a use case's own publication then wakes nobody (its notification
// follows). Once the connection has been down, the stream reads again before it takes one.
func TestParkedStreamTakesNotifications(t *testing.T) {
	e := newStreamEnv(t, 0, 0, false)
	e.hub.ListenUp()
	c, _ := e.open(-1, "")
	waitFor(t, func() bool { return e.handlers.Load() == 0 })
	loads := e.loads.Load()
	stored := e.add(1, 100, 1, store.EventMessage)
	e.hub.Publish(stored) // the use case's: its notification follows
	time.Sleep(50 * time.Millisecond)
	if n := e.loads.Load(); n != loads {
		t.Errorf("%d reads on the use case's publication while listening, want none", n-loads)
	}
	// Its id is another organisation's event's: a read would never give it to this stream.
	only := store.MessageEvent{ID: e.add(2, 555, 9, store.EventMessage).ID, OrgID: 1, ConversationID: 7, ClinicID: 10, PatientID: 101,
		Kind: store.EventRead, Reader: "user:3"}
	e.hub.Notify(stored)
	e.hub.Notify(only)
	e.hub.Notify(stored) // again: not sent twice
	want(t, c, stored, only)
	if n := e.loads.Load(); n != loads {
		t.Errorf("%d reads for notified events, want none", n-loads)
	}

	// Down: what comes is read; up again: read once, then taken as notified.
	e.hub.ListenDown()
	waitFor(t, func() bool { return e.loads.Load() > loads })
	ev := e.add(1, 100, 1, store.EventClosed)
	e.hub.Publish(ev)
	want(t, c, ev)
	e.hub.ListenUp()
	waitFor(t, func() bool { return e.loads.Load() > loads+1 })
	time.Sleep(50 * time.Millisecond)
	loads = e.loads.Load()
	late := store.MessageEvent{ID: e.add(2, 555, 9, store.EventMessage).ID, OrgID: 1, ConversationID: 1, ClinicID: 10, PatientID: 100, Kind: store.EventReopened}
	e.hub.Notify(late)
	want(t, c, late)
	if n := e.loads.Load(); n != loads {
		t.Errorf("%d reads for a notified event after the connection came back and the stream read, want none", n-loads)
	}
}
