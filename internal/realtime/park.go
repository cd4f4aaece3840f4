package realtime

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidings-health/tidings/internal/store"
)

// Parking: a stream that has caught up holds no goroutine.
//
// An open stream is idle nearly all its life, yet served the plain way it holds a handler
// goroutine (its stack grown by the middleware and the database driver it called), the
// server's background reader goroutine, the connection's read and write buffers, the
// request and its context: about 55 KB a stream, 275 MB for the 5,000 open pages the
// messaging benchmark holds. So once the replay is sent, Serve takes the connection from
// the HTTP server (http.Hijacker) and parks it with the hub: what is left is the
// connection, the subscription and the stream's Source, about 2 KB. The hub's few workers
// write to parked streams when an event wakes them (the notified event as it is, or what
// the database holds after the last id sent, as a served stream reads it) and at each
// heartbeat; a sweeper notices, once a second and without reading, the connections their
// browser closed (peerClosed).
//
// A parked stream answers HTTP/1.1 with "Connection: close", its body ending when the
// connection does, which EventSource reads as any stream. Where the connection cannot be
// taken (HTTP/2, a writer that cannot hijack) the stream is served the plain way.

const (
	// workers is how many streams the hub writes to at once: the writes are small and go
	// to the kernel's socket buffer, the reads (when needed) one indexed query.
	workers = 8
	// writeTimeout bounds a write to a parked stream: a browser that cannot take a few
	// hundred bytes in that time is gone or stuck, and is closed (it reconnects with its
	// Last-Event-ID, losing nothing) rather than holding a worker.
	writeTimeout = 5 * time.Second
	// loadTimeout bounds a parked stream's read of the database.
	loadTimeout = 30 * time.Second
	// sweepEvery is how often parked streams are checked for a closed connection and for a
	// heartbeat due (heartbeats are rounded up to it).
	sweepEvery = time.Second
)

// What a parked stream has been woken for.
const (
	wakeEvents = 1 << iota // events may be waiting in the database
	wakeBeat               // a heartbeat is due
	wakeQueued             // notified events are queued (deliver)
)

// maxQueued bounds a parked stream's queue of notified events: past it, the stream reads
// what came from the database instead (a stream its worker has not reached for that long).
const maxQueued = 64

// parked is a stream whose connection the hub holds.
type parked struct {
	hub  *Hub
	conn net.Conn
	src  Source
	beat time.Duration

	// last is the last event id the stream considered: written by the worker running the
	// stream only (one at a time: scheduled), read by Publish, which wakes nobody for an
	// event at or below it.
	last     atomic.Int64
	nextBeat atomic.Int64 // when a heartbeat is due, Unix nanoseconds (the sweeper reads it)
	// epoch is the hub's LISTEN epoch when the stream last read the database (the worker
	// running the stream only): notified events are taken as they come in that epoch only.
	epoch uint64

	mu        sync.Mutex
	pending   int                  // wake* bits not yet handled
	queue     []store.MessageEvent // notified events not yet handled, in commit order
	scheduled bool                 // queued or running
	closed    bool
}

// park writes the response's head and the replay after after to conn (taken from the HTTP
// server with its header h), then hands the stream to the hub. It returns once the stream
// is parked or has failed (its connection then closed); the stream's subscription is the
// hub's from then on.
func park(ctx context.Context, conn net.Conn, h http.Header, src Source, after int64) (err error) {
	defer func() {
		if err != nil {
			conn.Close()
		}
	}()
	// The server's deadlines were for the request; a parked stream sets its own per write.
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return err
	}
	p := &parked{hub: src.Sub.hub, conn: conn, src: src, beat: src.heartbeat()}
	p.last.Store(after)
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	h.Del("Content-Length")
	h.Del("Transfer-Encoding")
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if err := h.Write(&b); err != nil {
		return err
	}
	b.WriteString("\r\n" + retryField)
	if err := p.replay(ctx, &b); err != nil {
		return err
	}
	if err := p.write(b.Bytes()); err != nil {
		return err
	}
	p.hub.park(p)
	return nil
}

// replay appends to b what came after the last id sent, page by page. The read covers what
// the hub dropped so far (Behind is cleared), and it is of the LISTEN epoch it starts in.
func (p *parked) replay(ctx context.Context, b *bytes.Buffer) error {
	p.src.Sub.Behind()
	p.epoch = p.hub.epoch.Load()
	last := p.last.Load()
	defer func() { p.last.Store(last) }()
	return replay(ctx, p.src, p.src.page(), &last, func(e []byte) error { b.Write(e); return nil })
}

// write sends b within writeTimeout.
func (p *parked) write(b []byte) error {
	if err := p.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	_, err := p.conn.Write(b)
	if err == nil {
		p.nextBeat.Store(time.Now().Add(p.beat).UnixNano())
	}
	return err
}

// wake schedules the stream on the hub's workers for what (wake* bits); a stream already
// scheduled takes what with its next turn.
func (p *parked) wake(what int) { p.schedule(func() { p.pending |= what }) }

// deliver queues a notified event for the stream (the hub's route, in commit order); past
// maxQueued the stream reads what came instead.
func (p *parked) deliver(e store.MessageEvent) {
	p.schedule(func() {
		if len(p.queue) < maxQueued {
			p.queue = append(p.queue, e)
			p.pending |= wakeQueued
		} else {
			p.queue = p.queue[:0]
			p.pending |= wakeEvents
		}
	})
}

// schedule records what the stream is woken for (add, under its lock) and queues it on the
// hub's workers unless it is already queued, running or closed.
func (p *parked) schedule(add func()) {
	p.mu.Lock()
	add()
	if p.scheduled || p.closed {
		p.mu.Unlock()
		return
	}
	p.scheduled = true
	p.mu.Unlock()
	p.hub.enqueue(p)
}

// run handles what the stream was woken for until nothing is pending; a failure closes it
// (the browser reconnects and replays from its last id).
func (p *parked) run() {
	for {
		p.mu.Lock()
		what, queued := p.pending, p.queue
		p.pending, p.queue = 0, nil
		if what == 0 || p.closed {
			p.scheduled = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if err := p.turn(what, queued); err != nil {
			p.hub.log.Debug("message events: parked stream closed", "err", err)
			p.close()
		}
	}
}

// turn writes what the stream was woken for: what came, read from the database when it
// may have missed something (or cannot take the queued events as they are), then the
// queued events it has not sent; else the heartbeat.
func (p *parked) turn(what int, queued []store.MessageEvent) error {
	var b bytes.Buffer
	if what&wakeEvents != 0 || len(queued) > 0 && !p.hub.trusted(p.epoch) {
		ctx, cancel := context.WithTimeout(p.hub.ctx, loadTimeout)
		err := p.replay(ctx, &b)
		cancel()
		if err != nil {
			return err
		}
	}
	// What the read saw is at or below the last id; what it did not see came after it.
	last := p.last.Load()
	for _, e := range queued {
		if e.ID <= last {
			continue
		}
		last = e.ID
		writeEvent(p.hub.ctx, &b, p.src, e)
	}
	p.last.Store(last)
	if b.Len() == 0 && what&wakeBeat != 0 {
		b.WriteString(keepAlive)
	}
	if b.Len() == 0 {
		return nil
	}
	return p.write(b.Bytes())
}

// close ends the stream: its connection and its subscription.
func (p *parked) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.conn.Close()
	p.hub.unpark(p)
}

// gone reports whether the browser closed the connection (without reading from it).
func (p *parked) gone() bool { return peerClosed(p.conn) }
