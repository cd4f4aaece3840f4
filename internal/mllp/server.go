package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Server's fields.
const (
	// DefaultMaxInFlight lets a pipelining sender keep 32 messages unacknowledged: enough to
	// cover a group commit's latency at thousands of messages per second.
	DefaultMaxInFlight = 32
	// DefaultMaxInFlightBytes bounds the payload bytes one connection may have
	// unacknowledged, so that a sender of 2 MB messages cannot make the server hold 32 of
	// them at once.
	DefaultMaxInFlightBytes = 4 << 20
	// DefaultAddr is the IANA-registered port for HL7 over MLLP.
	DefaultAddr = ":2575"
	// defaultHandshakeTimeout bounds a TLS handshake when neither ReadTimeout nor
	// IdleTimeout is set, so that a silent client cannot hold a goroutine forever.
	defaultHandshakeTimeout = 30 * time.Second
	// maxBatchBuffer is the largest ACK batch buffer a connection keeps between batches.
	maxBatchBuffer = 64 << 10
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown, so callers can
// tell a requested stop from a failure.
var ErrServerClosed = errors.New("mllp: server closed")

// Request is one received frame handed to a Handler. It carries the connection facts an
// application needs to route, audit and quarantine a message without holding the
// connection itself.
type Request struct {
	// Payload is the frame's payload, owned by the handler from now on. It is nil when Err
	// is set.
	Payload []byte
	// Err is nil for a good frame, or a *FrameError (ErrTooLarge or ErrNestedStart) for a
	// frame that could not be delivered whole; its Prefix holds the start of the payload so
	// the handler can still quarantine it. The connection stays open either way. A sender
	// of an oversized frame waits for an answer, so NAK it; one that abandoned a frame
	// (ErrNestedStart) usually resends it and expects one ACK for both, so reply(nil)
	// unless the peer is known to want a NAK.
	Err error
	// Remote is the peer's address.
	Remote net.Addr
	// TLS is the connection's TLS state (read-only, shared by its requests), nil on plain
	// TCP.
	TLS *tls.ConnectionState
	// Received is when the frame had been read completely.
	Received time.Time
	// ConnID identifies the connection within this Server (from 1), for logs and for
	// grouping replies.
	ConnID uint64
	// Seq numbers the frames of one connection from 1, in arrival order.
	Seq uint64
}

// Handler decides how to acknowledge each frame. It is asynchronous so that an
// application can commit messages in groups, across and within connections, and only then
// acknowledge them: the server never acknowledges anything itself.
//
// For one connection, HandleMLLP is called in arrival order and never concurrently; it
// should return quickly (it blocks reading from that connection), and must return once ctx
// is cancelled (Serve waits for it). The handler must call
// reply exactly once per request, from any goroutine, possibly after HandleMLLP has
// returned; extra calls are ignored. reply(nil) sends nothing for that request. The server
// writes acknowledgements strictly in arrival order, so a reply for one request waits
// until every earlier request of the connection has been replied to. Once passed to reply,
// ack belongs to the server until written: do not modify it. If the connection has closed,
// reply does nothing. ctx is cancelled when the server stops hard (Shutdown's deadline
// passed, or Serve's context was cancelled).
type Handler interface {
	// HandleMLLP takes one frame and arranges for reply to be called once it is
	// committed (or rejected); see Handler for the contract.
	HandleMLLP(ctx context.Context, r *Request, reply func(ack []byte))
}

// Drop, passed to reply, acknowledges nothing and closes the connection once the replies
// before it are written: the handler could not make the message durable (its database
// failed), so the sender must send again everything it has not had acknowledged. Answering
// nothing and keeping the connection would be worse, since MLLP matches acknowledgements to
// messages by order only: the next ACK would be read as this message's.
var Drop = []byte{}

// isDrop reports whether ack is Drop (a non-nil empty reply).
func isDrop(ack []byte) bool { return ack != nil && len(ack) == 0 }

// HandlerFunc adapts a synchronous function to Handler: the returned ack is sent (nil
// sends nothing). It suits tools and tests; a production handler that commits should
// implement Handler directly, to commit in groups.
type HandlerFunc func(ctx context.Context, r *Request) (ack []byte)

// HandleMLLP calls f and replies with its result.
func (f HandlerFunc) HandleMLLP(ctx context.Context, r *Request, reply func(ack []byte)) {
	reply(f(ctx, r))
}

// Server accepts MLLP connections and passes their frames to Handler. Its zero value,
// with a Handler, is usable; set the fields before Serve and do not change them after.
//
// Memory per connection is bounded by MaxInFlightBytes plus one frame (at most
// MaxMessageSize) plus about 20 KiB of buffers; cap the number of connections with
// MaxConns to bound the total.
type Server struct {
	// Handler receives every frame, good or bad. Required.
	Handler Handler
	// ReadTimeout bounds how long a frame may take from its start block to its end block,
	// so that a sender that starts a frame and stalls (or trickles) is cut off. Zero means
	// no limit. Allow for the largest message on the slowest link.
	ReadTimeout time.Duration
	// IdleTimeout closes a connection on which no frame has started for this long while
	// nothing is awaiting acknowledgement, to reclaim connections from peers that vanished
	// without closing. Zero means no limit. The connection may linger up to about twice
	// this long after its last acknowledgement.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write of acknowledgements; a peer that does not read them is
	// disconnected. Zero means no limit.
	WriteTimeout time.Duration
	// MaxMessageSize is the largest payload accepted (DefaultMaxMessageSize when zero).
	// Larger frames reach the Handler as ErrTooLarge with their first 4 KiB.
	MaxMessageSize int
	// MaxConns, when positive, caps concurrent connections; a connection beyond it is
	// closed at once (and logged), so the sender retries rather than hangs.
	MaxConns int
	// MaxInFlight is how many messages one connection may have received but not yet
	// acknowledged on the wire (DefaultMaxInFlight when zero). When reached, the server
	// stops reading from that connection until the oldest acknowledgement is written: the
	// pipelining window, and the backpressure that protects the application.
	MaxInFlight int
	// MaxInFlightBytes bounds the payload bytes of those messages the same way
	// (DefaultMaxInFlightBytes when zero). A single frame is always accepted when nothing
	// is in flight, so it never blocks a connection forever.
	MaxInFlightBytes int
	// TLSConfig, when set, makes every connection TLS; nil serves plain TCP (for a VPN or
	// a local practice-management system).
	TLSConfig *tls.Config
	// ErrorLog receives connection-level events: remote address, sizes and error kinds,
	// never payloads (they hold patient data). Nil discards them.
	ErrorLog *slog.Logger

	nextConnID   atomic.Uint64
	shuttingDown atomic.Bool

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	cancels   map[*context.CancelFunc]struct{}
	drained   chan struct{} // made by Shutdown, closed when the last connection ends
}

// ListenAndServe listens on addr (DefaultAddr when empty) and serves it like Serve, for
// callers that have no listener of their own to pass in; Addr then tells the port chosen
// for ":0".
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	if addr == "" {
		addr = DefaultAddr
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("mllp: listening on %s: %w", addr, err)
	}
	return s.Serve(ctx, l)
}

// Serve accepts connections on l until Shutdown or until ctx is cancelled, and closes l.
// Cancelling ctx is a hard stop: connections close at once and the handler's context is
// cancelled. If the listener fails, Serve winds its connections down as Shutdown would.
// Serve returns only after all connections it accepted have ended, so that nothing it
// started outlives it, with ErrServerClosed after Shutdown, ctx's error after
// cancellation, or the accept error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.Handler == nil {
		_ = l.Close()
		return errors.New("mllp: Server.Handler is nil")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	if s.shuttingDown.Load() {
		s.mu.Unlock()
		_ = l.Close()
		return ErrServerClosed
	}
	if s.conns == nil {
		s.conns = make(map[*conn]struct{})
		s.cancels = make(map[*context.CancelFunc]struct{})
	}
	s.listeners = append(s.listeners, l)
	s.cancels[&cancel] = struct{}{}
	s.mu.Unlock()
	stopWatch := context.AfterFunc(ctx, func() { _ = l.Close() })

	var wg sync.WaitGroup
	err := s.acceptLoop(ctx, l, &wg)

	stopWatch()
	_ = l.Close()
	s.mu.Lock()
	for i, x := range s.listeners {
		if x == l {
			s.listeners = append(s.listeners[:i], s.listeners[i+1:]...)
			break
		}
	}
	if !errors.Is(err, ErrServerClosed) && ctx.Err() == nil {
		// The listener failed: wind this Serve's connections down gracefully, as
		// Shutdown would, so that Serve can return.
		for c := range s.conns {
			if c.ctx == ctx {
				c.stop()
			}
		}
	}
	s.mu.Unlock()
	// Still cancellable by Shutdown while the connections drain.
	wg.Wait()
	s.mu.Lock()
	delete(s.cancels, &cancel)
	s.mu.Unlock()
	return err
}

// acceptLoop accepts connections until the listener fails or is closed, and reports why.
func (s *Server) acceptLoop(ctx context.Context, l net.Listener, wg *sync.WaitGroup) error {
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			switch {
			case s.shuttingDown.Load():
				return ErrServerClosed
			case ctx.Err() != nil:
				return ctx.Err()
			case isTemporary(err):
				// Out of file descriptors and the like: back off rather than spin.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log(ctx, slog.LevelError, "accept failed; retrying", slog.String("error", err.Error()), slog.Duration("delay", delay))
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
				continue
			default:
				return fmt.Errorf("mllp: accepting connections: %w", err)
			}
		}
		delay = 0
		c, ok := s.register(ctx, nc)
		if !ok {
			continue
		}
		wg.Add(2)
		go func() { defer wg.Done(); defer c.finish(); c.readLoop() }()
		go func() { defer wg.Done(); defer c.finish(); c.writeLoop() }()
	}
}

// isTemporary reports an accept error worth retrying (EMFILE, ECONNABORTED, …).
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// register sets up a connection, or closes it when the server is full or shutting down.
func (s *Server) register(ctx context.Context, nc net.Conn) (*conn, bool) {
	remote := nc.RemoteAddr()
	s.mu.Lock()
	if s.shuttingDown.Load() {
		s.mu.Unlock()
		_ = nc.Close()
		return nil, false
	}
	if s.MaxConns > 0 && len(s.conns) >= s.MaxConns {
		s.mu.Unlock()
		_ = nc.Close()
		s.log(ctx, slog.LevelWarn, "connection refused: MaxConns reached", slog.String("remote", addrString(remote)), slog.Int("max_conns", s.MaxConns))
		return nil, false
	}
	if _, isTLS := nc.(*tls.Conn); !isTLS && s.TLSConfig != nil {
		nc = tls.Server(nc, s.TLSConfig)
	}
	c := &conn{
		srv:      s,
		id:       s.nextConnID.Add(1),
		nc:       nc,
		remote:   remote,
		ctx:      ctx,
		maxCount: orDefault(s.MaxInFlight, DefaultMaxInFlight),
		maxBytes: orDefault(s.MaxInFlightBytes, DefaultMaxInFlightBytes),
	}
	c.refs.Store(2)
	c.readerCond.L = &c.mu
	c.writerCond.L = &c.mu
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.stopWatch = context.AfterFunc(ctx, func() { c.close("server stopped") })
	s.log(ctx, slog.LevelDebug, "connection opened", slog.String("remote", addrString(remote)), slog.Uint64("conn", c.id))
	return c, true
}

// unregister forgets an ended connection and tells Shutdown when none are left.
func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if s.drained != nil && len(s.conns) == 0 {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
}

// Shutdown stops the server gracefully: it stops accepting, stops reading new frames
// (a frame already being received is read to its end and handed to the Handler), lets the
// handler reply to everything received, writes those acknowledgements and then closes
// each connection. If ctx ends first, it stops hard: connections close at once, the
// handler's context is cancelled, and Shutdown returns ctx's error; Serve still waits for
// the connection goroutines before returning.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shuttingDown.Store(true)
	for _, l := range s.listeners {
		_ = l.Close()
	}
	for c := range s.conns {
		c.stop()
	}
	if s.drained == nil {
		s.drained = make(chan struct{})
		if len(s.conns) == 0 {
			close(s.drained)
		}
	}
	drained := s.drained
	s.mu.Unlock()

	select {
	case <-drained:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for cancel := range s.cancels {
		(*cancel)()
	}
	s.mu.Unlock()
	return fmt.Errorf("mllp: shutdown cut short: %w", ctx.Err())
}

// Addr returns the address of the first listener being served, or nil before Serve has
// started (or after it returned). With ListenAndServe(ctx, ":0") it tells which port was
// chosen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

func (s *Server) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if s.ErrorLog == nil {
		return
	}
	s.ErrorLog.LogAttrs(ctx, level, msg, attrs...)
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// slot is one received message awaiting its acknowledgement.
type slot struct {
	size    int
	replied bool
	ack     []byte
}

// Reader states, for Shutdown: an idle reader may be interrupted, one inside a frame is
// left to finish it.
const (
	stateIdle = iota
	stateFrame
)

// conn is one accepted connection: a reader goroutine that reads frames and calls the
// handler, and a writer goroutine that writes acknowledgements in arrival order.
type conn struct {
	srv      *Server
	id       uint64
	nc       net.Conn
	remote   net.Addr
	ctx      context.Context
	tls      *tls.ConnectionState
	maxCount int
	maxBytes int

	stopWatch func() bool
	refs      atomic.Int32 // goroutines still running; the last one unregisters

	mu         sync.Mutex
	readerCond sync.Cond // window space, stop or close
	writerCond sync.Cond // head replied, reader done or close
	pending    []*slot   // arrival order; the head is the next ACK to write
	inFlight   int       // received, ACK not yet written (or skipped)
	inBytes    int
	state      int
	stopping   bool // Shutdown: read no new frame
	readerDone bool
	closed     bool
	lastAck    time.Time
	received   uint64
}

// finish is called by each of the connection's goroutines as it exits.
func (c *conn) finish() {
	if c.refs.Add(-1) == 0 {
		c.stopWatch()
		c.srv.unregister(c)
		c.srv.log(c.ctx, slog.LevelDebug, "connection ended", c.attrs(slog.Uint64("messages", c.received))...)
	}
}

func (c *conn) attrs(extra ...slog.Attr) []slog.Attr {
	return append([]slog.Attr{slog.String("remote", addrString(c.remote)), slog.Uint64("conn", c.id)}, extra...)
}

// close tears the connection down: further replies become no-ops, both goroutines wake and
// exit, and memory held for unwritten ACKs is released.
func (c *conn) close(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.pending = nil
	c.readerCond.Broadcast()
	c.writerCond.Broadcast()
	c.mu.Unlock()
	_ = c.nc.Close()
	c.srv.log(c.ctx, slog.LevelDebug, "connection closing", c.attrs(slog.String("reason", reason))...)
}

// stop asks the connection to finish gracefully: read no new frame, write the pending
// ACKs, close. An idle read is interrupted; a frame being received is left to complete.
func (c *conn) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopping = true
	if c.state == stateIdle {
		_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	}
	c.readerCond.Broadcast()
}

// beginIdle arms the idle deadline before waiting for a frame; false means stop reading.
func (c *conn) beginIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping || c.closed {
		return false
	}
	c.state = stateIdle
	_ = c.nc.SetReadDeadline(deadline(c.srv.IdleTimeout))
	return true
}

// beginFrame arms the frame deadline as soon as a start block is read. It always sets
// the deadline, which also lifts an interruption by stop that raced with the start.
func (c *conn) beginFrame() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = stateFrame
	_ = c.nc.SetReadDeadline(deadline(c.srv.ReadTimeout))
}

func deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// waitWindow blocks while the in-flight window is full; false means stop reading.
func (c *conn) waitWindow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.closed && !c.stopping && (c.inFlight >= c.maxCount || (c.inFlight > 0 && c.inBytes >= c.maxBytes)) {
		c.readerCond.Wait()
	}
	return !c.closed && !c.stopping
}

// keepIdle reports whether an idle timeout should be ignored because the peer is waiting
// on us (messages in flight) or was answered less than IdleTimeout ago.
func (c *conn) keepIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inFlight > 0 || time.Since(c.lastAck) < c.srv.IdleTimeout
}

func (c *conn) readLoop() {
	defer func() {
		c.mu.Lock()
		c.readerDone = true
		c.writerCond.Broadcast()
		c.mu.Unlock()
	}()
	if tc, ok := c.nc.(*tls.Conn); ok && !c.handshake(tc) {
		return
	}
	fr := NewReader(c.nc, orDefault(c.srv.MaxMessageSize, DefaultMaxMessageSize))
	fr.onStart = c.beginFrame
	for {
		if !c.waitWindow() || !c.beginIdle() {
			return
		}
		payload, err := fr.ReadFrame()
		var fe *FrameError
		switch {
		case err == nil:
		case errors.As(err, &fe) && !errors.Is(err, ErrTruncated):
			c.srv.log(c.ctx, slog.LevelWarn, "bad frame passed to handler", c.attrs(slog.String("kind", errorKind(fe.Err)), slog.Int64("size", fe.Size))...)
		default:
			if !c.readFailed(err) {
				continue
			}
			return
		}
		if !c.deliver(payload, err) {
			return
		}
	}
}

// readFailed decides what a read error means; false means keep reading (an idle timeout
// while the peer is still waiting for ACKs).
func (c *conn) readFailed(err error) bool {
	c.mu.Lock()
	state, stopping, closed := c.state, c.stopping, c.closed
	c.mu.Unlock()
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	switch {
	case closed:
		// Closed by us; already logged.
	case stopping && timeout && state == stateIdle:
		// Interrupted by Shutdown: pending ACKs are still written.
		return true
	case err == io.EOF:
		// The peer finished sending; it may still be reading ACKs (half-close).
	case errors.Is(err, ErrTruncated):
		c.srv.log(c.ctx, slog.LevelWarn, "connection ended inside a frame", c.attrs(slog.String("kind", "truncated"))...)
	case timeout && state == stateIdle:
		if c.keepIdle() {
			return false
		}
		c.close("idle timeout")
		return true
	case timeout:
		c.srv.log(c.ctx, slog.LevelWarn, "frame not completed within ReadTimeout; closing", c.attrs(slog.String("kind", "read_timeout"), slog.Duration("read_timeout", c.srv.ReadTimeout))...)
		c.close("read timeout")
		return true
	default:
		c.srv.log(c.ctx, slog.LevelInfo, "read failed; closing", c.attrs(slog.String("kind", "read_error"), slog.String("error", err.Error()))...)
		c.close("read error")
		return true
	}
	// EOF or truncation: the peer stopped sending. Let the writer deliver what is pending,
	// then close.
	return true
}

// handshake completes the TLS handshake within a deadline; false means give up.
func (c *conn) handshake(tc *tls.Conn) bool {
	d := c.srv.ReadTimeout
	if d <= 0 {
		d = c.srv.IdleTimeout
	}
	if d <= 0 {
		d = defaultHandshakeTimeout
	}
	c.mu.Lock()
	if c.stopping || c.closed {
		c.mu.Unlock()
		c.close("shutdown before handshake")
		return false
	}
	_ = tc.SetDeadline(time.Now().Add(d))
	c.mu.Unlock()
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.mu.Lock()
		interrupted := c.stopping || c.closed
		c.mu.Unlock()
		if !interrupted {
			c.srv.log(c.ctx, slog.LevelWarn, "TLS handshake failed", c.attrs(slog.String("kind", "tls_handshake"), slog.String("error", err.Error()))...)
		}
		c.close("TLS handshake failed")
		return false
	}
	_ = tc.SetWriteDeadline(time.Time{})
	st := tc.ConnectionState()
	c.tls = &st
	return true
}

// deliver queues a slot for the frame and calls the handler; false means the connection
// is gone.
func (c *conn) deliver(payload []byte, ferr error) bool {
	s := &slot{size: len(payload)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.pending = append(c.pending, s)
	c.inFlight++
	c.inBytes += s.size
	c.received++
	seq := c.received
	c.mu.Unlock()

	req := &Request{
		Payload:  payload,
		Err:      ferr,
		Remote:   c.remote,
		TLS:      c.tls,
		Received: time.Now(),
		ConnID:   c.id,
		Seq:      seq,
	}
	return c.callHandler(req, func(ack []byte) { c.reply(s, ack) })
}

// callHandler runs the handler, turning a panic into a closed connection (logged without
// the panic value, which might quote the payload) rather than a crashed process.
func (c *conn) callHandler(req *Request, reply func([]byte)) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			c.srv.log(c.ctx, slog.LevelError, "handler panicked; closing connection",
				c.attrs(slog.String("kind", "handler_panic"), slog.String("panic_type", fmt.Sprintf("%T", v)), slog.String("stack", string(debug.Stack())))...)
			c.close("handler panic")
			ok = false
		}
	}()
	c.srv.Handler.HandleMLLP(c.ctx, req, reply)
	return true
}

// reply records the handler's answer for s and wakes the writer if s is next in line.
func (c *conn) reply(s *slot, ack []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || s.replied {
		return
	}
	s.replied = true
	s.ack = ack
	if len(c.pending) > 0 && c.pending[0] == s {
		c.writerCond.Broadcast()
	}
}

// writeLoop writes acknowledgements in arrival order, batching those ready together into
// one write, and closes the connection once the reader has stopped and nothing is pending.
func (c *conn) writeLoop() {
	var batch []byte
	for {
		c.mu.Lock()
		for !c.closed && !c.headReady() && !(c.readerDone && len(c.pending) == 0) {
			c.writerCond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		if !c.headReady() {
			c.mu.Unlock()
			c.close("done")
			return
		}
		batch = batch[:0]
		n, size := 0, 0
		var err error
		drop := false
		for c.headReady() && len(batch) < maxBatchBuffer {
			s := c.pending[0]
			if isDrop(s.ack) {
				drop = true
				break
			}
			c.pending[0] = nil
			c.pending = c.pending[1:]
			n++
			size += s.size
			if s.ack != nil && err == nil {
				batch, err = appendFrame(batch, s.ack)
			}
		}
		c.mu.Unlock()
		if err != nil {
			c.srv.log(c.ctx, slog.LevelError, "handler replied with an invalid ACK; closing connection", c.attrs(slog.String("kind", "invalid_ack"))...)
			c.close("invalid ACK")
			return
		}
		if len(batch) > 0 {
			if c.srv.WriteTimeout > 0 {
				_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.WriteTimeout))
			}
			if _, err := c.nc.Write(batch); err != nil {
				c.mu.Lock()
				closed := c.closed
				c.mu.Unlock()
				if !closed {
					c.srv.log(c.ctx, slog.LevelWarn, "writing ACKs failed; closing", c.attrs(slog.String("kind", "write_error"), slog.String("error", err.Error()))...)
				}
				c.close("write error")
				return
			}
		}
		if drop {
			c.srv.log(c.ctx, slog.LevelWarn, "the handler could not keep a message; closing so the sender resends", c.attrs(slog.String("kind", "dropped"))...)
			c.close("dropped by the handler")
			return
		}
		if cap(batch) > maxBatchBuffer {
			batch = nil
		}
		c.mu.Lock()
		c.inFlight -= n
		c.inBytes -= size
		c.lastAck = time.Now()
		c.readerCond.Broadcast()
		c.mu.Unlock()
	}
}

// headReady reports whether the oldest pending message has been replied to. c.mu held.
func (c *conn) headReady() bool {
	return len(c.pending) > 0 && c.pending[0].replied
}

// errorKind names a frame error for logs.
func errorKind(err error) string {
	switch {
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrNestedStart):
		return "nested_start"
	case errors.Is(err, ErrTruncated):
		return "truncated"
	default:
		return "other"
	}
}
