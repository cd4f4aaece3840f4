package mllp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	mathrand "math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// 50 connections each pipeline 100 messages; every connection gets its ACKs in order,
// and the handler sees each connection's frames in order, one at a time.
func TestServerManyConnections(t *testing.T) {
	checkLeaks(t)
	var mu sync.Mutex
	lastSeq := map[uint64]uint64{}
	busy := map[uint64]bool{}
	h := HandlerFunc(func(ctx context.Context, r *Request) []byte {
		mu.Lock()
		if busy[r.ConnID] {
			t.Errorf("conn %d: handler called concurrently", r.ConnID)
		}
		busy[r.ConnID] = true
		if r.Seq != lastSeq[r.ConnID]+1 {
			t.Errorf("conn %d: Seq %d after %d", r.ConnID, r.Seq, lastSeq[r.ConnID])
		}
		lastSeq[r.ConnID] = r.Seq
		mu.Unlock()
		if r.Err != nil || r.Remote == nil || r.Received.IsZero() || r.TLS != nil {
			t.Errorf("request fields: Err %v, Remote %v, Received %v, TLS %v", r.Err, r.Remote, r.Received, r.TLS)
		}
		mu.Lock()
		busy[r.ConnID] = false
		mu.Unlock()
		return ackFor(r.Payload)
	})
	s := serve(t, &Server{Handler: h})
	ctx := testCtx(t)
	const conns, msgs = 50, 100
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			cl, err := Dial(ctx, s.addr, nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer cl.Close()
			written := make(chan error, 1)
			go func() {
				for i := range msgs {
					if err := cl.Write(ctx, msg(fmt.Sprintf("%d-%d", c, i))); err != nil {
						written <- err
						return
					}
				}
				written <- nil
			}()
			var got, want []string
			for i := range msgs {
				want = append(want, fmt.Sprintf("MSA|AA|%d-%d", c, i))
				ack, err := cl.ReadAck(ctx)
				if err != nil {
					t.Errorf("conn %d: ReadAck %d: %v", c, i, err)
					break
				}
				got = append(got, string(ack))
			}
			if err := <-written; err != nil {
				t.Errorf("conn %d: Write: %v", c, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("conn %d: ACKs (-want +got):\n%s", c, diff)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(lastSeq) != conns {
		t.Errorf("handler saw %d connections, want %d", len(lastSeq), conns)
	}
}

// However the handler orders its replies, ACKs leave in arrival order.
func TestServerOrdersReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply func(r *Request, reply func([]byte), batch *[]func())
	}{
		{
			name: "reverse order in batches of 8",
			reply: func(r *Request, reply func([]byte), batch *[]func()) {
				ack := ackFor(r.Payload)
				*batch = append(*batch, func() { reply(ack) })
				if len(*batch) == 8 {
					b := *batch
					*batch = nil
					go func() {
						for i := len(b) - 1; i >= 0; i-- {
							b[i]()
						}
					}()
				}
			},
		},
		{
			name: "random delays, one goroutine each",
			reply: func(r *Request, reply func([]byte), _ *[]func()) {
				ack := ackFor(r.Payload)
				d := time.Duration(mathrand.IntN(3000)) * time.Microsecond
				go func() {
					time.Sleep(d)
					reply(ack)
				}()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			var batch []func() // touched only by HandleMLLP, which is never concurrent
			h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) {
				tt.reply(r, reply, &batch)
			})
			s := serve(t, &Server{Handler: h, MaxInFlight: 8})
			cl := dial(t, s.addr)
			ctx := testCtx(t)
			const n = 64
			go func() {
				for i := range n {
					if err := cl.Write(ctx, msg(strconv.Itoa(i))); err != nil {
						t.Errorf("Write: %v", err)
						return
					}
				}
			}()
			var got, want []string
			for i := range n {
				want = append(want, "MSA|AA|"+strconv.Itoa(i))
				ack, err := cl.ReadAck(ctx)
				if err != nil {
					t.Fatalf("ReadAck %d: %v", i, err)
				}
				got = append(got, string(ack))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ACKs (-want +got):\n%s", diff)
			}
		})
	}
}

// The server stops reading from a connection whose window of unacknowledged messages is
// full, by count or by bytes, and resumes as ACKs go out.
func TestServerBackpressure(t *testing.T) {
	tests := []struct {
		name        string
		maxInFlight int
		maxBytes    int
		size        int
		want        int // messages the handler gets before it replies to any
	}{
		{name: "count window", maxInFlight: 4, size: 100, want: 4},
		{name: "byte window", maxInFlight: 32, maxBytes: 1000, size: 300, want: 4},
		{name: "one large message is always admitted", maxInFlight: 32, maxBytes: 100, size: 500, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			var mu sync.Mutex
			var stash []func()
			received, outstanding, maxOutstanding := 0, 0, 0
			h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) {
				mu.Lock()
				defer mu.Unlock()
				received++
				outstanding++
				maxOutstanding = max(maxOutstanding, outstanding)
				ack := ackFor(r.Payload)
				stash = append(stash, func() { reply(ack) })
			})
			s := serve(t, &Server{Handler: h, MaxInFlight: tt.maxInFlight, MaxInFlightBytes: tt.maxBytes})
			cl := dial(t, s.addr)
			ctx := testCtx(t)
			const n = 20
			pad := strings.Repeat("x", tt.size)
			go func() {
				for i := range n {
					p := msg(strconv.Itoa(i))
					p = append(p, pad[len(p):]...)
					if err := cl.Write(ctx, p); err != nil {
						t.Errorf("Write: %v", err)
						return
					}
				}
			}()
			count := func() int { mu.Lock(); defer mu.Unlock(); return received }
			eventually(t, "the window to fill", func() bool { return count() >= tt.want })
			time.Sleep(200 * time.Millisecond)
			if got := count(); got != tt.want {
				t.Fatalf("handler got %d messages with no reply, want %d (the window)", got, tt.want)
			}
			// Now reply as messages come, one at a time.
			stop := make(chan struct{})
			var replier sync.WaitGroup
			replier.Go(func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
					mu.Lock()
					var r func()
					if len(stash) > 0 {
						r, stash = stash[0], stash[1:]
						outstanding--
					}
					mu.Unlock()
					if r != nil {
						r()
					}
				}
			})
			var got []string
			for range n {
				ack, err := cl.ReadAck(ctx)
				if err != nil {
					t.Fatalf("ReadAck: %v", err)
				}
				got = append(got, string(ack))
			}
			close(stop)
			replier.Wait()
			var want []string
			for i := range n {
				want = append(want, "MSA|AA|"+strconv.Itoa(i))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ACKs (-want +got):\n%s", diff)
			}
			mu.Lock()
			defer mu.Unlock()
			if maxOutstanding != tt.want {
				t.Errorf("at most %d messages were awaiting a reply, want %d", maxOutstanding, tt.want)
			}
		})
	}
}

// Slow senders and silent connections are cut off by ReadTimeout and IdleTimeout, and
// junk does not count as activity.
func TestServerTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		read    time.Duration // ReadTimeout
		idle    time.Duration // IdleTimeout
		send    func(nc net.Conn, stop <-chan struct{})
		timeout time.Duration
	}{
		{
			name:    "slow loris: frame started, never finished",
			read:    200 * time.Millisecond,
			send:    func(nc net.Conn, _ <-chan struct{}) { _, _ = nc.Write([]byte("\x0bMSH|1|" + secret)) },
			timeout: 200 * time.Millisecond,
		},
		{
			name:    "trickle: a frame must complete within ReadTimeout",
			read:    300 * time.Millisecond,
			idle:    time.Minute,
			send:    trickle("\x0bMSH|1|" + secret + strings.Repeat("x", 200)),
			timeout: 300 * time.Millisecond,
		},
		{
			name:    "idle: nothing sent",
			idle:    200 * time.Millisecond,
			send:    func(net.Conn, <-chan struct{}) {},
			timeout: 200 * time.Millisecond,
		},
		{
			name:    "idle: only junk sent",
			read:    time.Minute,
			idle:    200 * time.Millisecond,
			send:    trickle(strings.Repeat("\r\n", 100)),
			timeout: 200 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			var calls atomic.Int32
			s := serve(t, &Server{
				Handler:     HandlerFunc(func(context.Context, *Request) []byte { calls.Add(1); return nil }),
				ReadTimeout: tt.read,
				IdleTimeout: tt.idle,
			})
			nc := rawConn(t, s.addr)
			stop := make(chan struct{})
			var sender sync.WaitGroup
			sender.Go(func() { tt.send(nc, stop) })
			took := waitClosed(t, nc, 5*time.Second)
			close(stop)
			sender.Wait()
			if took < tt.timeout*3/4 {
				t.Errorf("closed after %v, before the %v timeout", took, tt.timeout)
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("handler called %d times", n)
			}
		})
	}
}

// trickle sends s one byte every 20 ms until stopped or the connection fails.
func trickle(s string) func(net.Conn, <-chan struct{}) {
	return func(nc net.Conn, stop <-chan struct{}) {
		for i := range len(s) {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := nc.Write([]byte{s[i]}); err != nil {
				return
			}
		}
	}
}

// The idle timeout does not cut off a sender that is waiting for a slow handler.
func TestServerIdleTimeoutWaitsForHandler(t *testing.T) {
	checkLeaks(t)
	h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) {
		ack := ackFor(r.Payload)
		time.AfterFunc(600*time.Millisecond, func() { reply(ack) })
	})
	s := serve(t, &Server{Handler: h, IdleTimeout: 200 * time.Millisecond})
	cl := dial(t, s.addr)
	ack, err := cl.Send(testCtx(t), msg("1"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if diff := cmp.Diff("MSA|AA|1", string(ack)); diff != "" {
		t.Errorf("ACK (-want +got):\n%s", diff)
	}
	// Then, idle, the connection is closed.
	if _, err := cl.ReadAck(testCtx(t)); !errors.Is(err, io.EOF) {
		t.Errorf("ReadAck on an idle connection = %v, want EOF", err)
	}
}

// Oversized and abandoned frames reach the handler with their prefix, it answers them,
// and the connection carries on.
func TestServerBadFrames(t *testing.T) {
	checkLeaks(t)
	type seen struct {
		Kind    string
		Size    int64
		Prefix  string
		Payload string
	}
	var mu sync.Mutex
	var got []seen
	h := HandlerFunc(func(ctx context.Context, r *Request) []byte {
		mu.Lock()
		defer mu.Unlock()
		var fe *FrameError
		if errors.As(r.Err, &fe) {
			got = append(got, seen{Kind: errorKind(fe.Err), Size: fe.Size, Prefix: string(fe.Prefix[:min(len(fe.Prefix), 6)])})
			return []byte("MSA|AR|" + errorKind(fe.Err))
		}
		got = append(got, seen{Payload: string(r.Payload)})
		return ackFor(r.Payload)
	})
	s := serve(t, &Server{Handler: h, MaxMessageSize: 64})
	nc := rawConn(t, s.addr)
	cl := NewClient(nc)
	big := append(msg("1"), strings.Repeat("x", 100)...)
	stream := "\x0b" + string(big) + "\x1c\r" + // too large
		"junk\r\n" +
		"\x0bMSH|2|" + secret + "\x0b" + // abandoned by a restarting sender
		string(msg("3")) + "\x1c" // no CR
	if _, err := nc.Write([]byte(stream)); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	var acks []string
	for range 3 {
		ack, err := cl.ReadAck(ctx)
		if err != nil {
			t.Fatalf("ReadAck: %v", err)
		}
		acks = append(acks, string(ack))
	}
	ack, err := cl.Send(ctx, msg("4"))
	if err != nil {
		t.Fatalf("Send after bad frames: %v", err)
	}
	acks = append(acks, string(ack))
	if diff := cmp.Diff([]string{"MSA|AR|too_large", "MSA|AR|nested_start", "MSA|AA|3", "MSA|AA|4"}, acks); diff != "" {
		t.Errorf("ACKs (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []seen{
		{Kind: "too_large", Size: int64(len(big)), Prefix: "MSH|1|"},
		{Kind: "nested_start", Size: int64(len("MSH|2|" + secret)), Prefix: "MSH|2|"},
		{Payload: string(msg("3"))},
		{Payload: string(msg("4"))},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("handler saw (-want +got):\n%s", diff)
	}
}

// A 2 MB message goes through, and its buffer is the handler's.
func TestServerLargeMessage(t *testing.T) {
	checkLeaks(t)
	h := HandlerFunc(func(ctx context.Context, r *Request) []byte {
		return fmt.Appendf(nil, "MSA|AA|%d", len(r.Payload))
	})
	s := serve(t, &Server{Handler: h})
	cl := dial(t, s.addr)
	p := append(msg("1"), strings.Repeat("OBX|1|ED|PDF||", 2<<20/14)...)
	ack, err := cl.Send(testCtx(t), p)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if diff := cmp.Diff(fmt.Sprintf("MSA|AA|%d", len(p)), string(ack)); diff != "" {
		t.Errorf("ACK (-want +got):\n%s", diff)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mllp test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

func TestServerTLS(t *testing.T) {
	checkLeaks(t)
	cert, pool := selfSigned(t)
	var sawTLS atomic.Bool
	h := HandlerFunc(func(ctx context.Context, r *Request) []byte {
		sawTLS.Store(r.TLS != nil && r.TLS.HandshakeComplete && r.TLS.Version == tls.VersionTLS13)
		return ackFor(r.Payload)
	})
	s := serve(t, &Server{
		Handler:     h,
		TLSConfig:   &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadTimeout: 2 * time.Second,
	})
	ctx := testCtx(t)
	cl, err := Dial(ctx, s.addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer cl.Close()
	for i := range 3 {
		ack, err := cl.Send(ctx, msg(strconv.Itoa(i)))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if diff := cmp.Diff("MSA|AA|"+strconv.Itoa(i), string(ack)); diff != "" {
			t.Errorf("ACK (-want +got):\n%s", diff)
		}
	}
	if !sawTLS.Load() {
		t.Error("Request.TLS does not describe a completed TLS 1.3 handshake")
	}

	// A client that does not trust the certificate gets nowhere.
	if c, err := Dial(ctx, s.addr, &tls.Config{MinVersion: tls.VersionTLS12}); err == nil {
		c.Close()
		t.Error("Dial with an untrusted certificate succeeded")
	}
	// Nor does a plain-TCP client.
	plain := dial(t, s.addr)
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := plain.Send(short, msg("plain")); err == nil {
		t.Error("plain Send to a TLS server succeeded")
	}
}

// Shutdown stops accepting, lets the handler reply to what it has, writes the ACKs, and
// only then closes the connections and returns.
func TestShutdownWaitsForReplies(t *testing.T) {
	checkLeaks(t)
	replies := make(chan func(), 10)
	h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) {
		ack := ackFor(r.Payload)
		replies <- func() { reply(ack) }
	})
	s := serve(t, &Server{Handler: h})
	cl := dial(t, s.addr)
	idle := dial(t, s.addr)
	ctx := testCtx(t)
	// Make sure the server has accepted the idle connection (a connection still in the
	// listen backlog would be reset, not closed).
	go func() { (<-replies)() }()
	if _, err := idle.Send(ctx, msg("0")); err != nil {
		t.Fatal(err)
	}
	if err := cl.Write(ctx, msg("1")); err != nil {
		t.Fatal(err)
	}
	reply := <-replies

	shut := make(chan error, 1)
	go func() { shut <- s.srv.Shutdown(ctx) }()
	// The idle connection is closed at once.
	if _, err := idle.ReadAck(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: ReadAck = %v, want EOF", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v before the pending reply", err)
	case <-time.After(200 * time.Millisecond):
	}
	// No new connections.
	eventually(t, "the listener to close", func() bool {
		nc, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
	reply()
	ack, err := cl.ReadAck(ctx)
	if err != nil {
		t.Fatalf("ReadAck: %v", err)
	}
	if diff := cmp.Diff("MSA|AA|1", string(ack)); diff != "" {
		t.Errorf("ACK (-want +got):\n%s", diff)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := s.wait(t); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
	if _, err := cl.ReadAck(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("ReadAck after Shutdown = %v, want EOF", err)
	}
	if err := s.srv.Serve(ctx, newListener(t)); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v, want ErrServerClosed", err)
	}
}

func newListener(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A frame being received when Shutdown starts is read to its end, handled and ACKed.
func TestShutdownFinishesFrameInProgress(t *testing.T) {
	checkLeaks(t)
	h := HandlerFunc(func(ctx context.Context, r *Request) []byte { return ackFor(r.Payload) })
	s := serve(t, &Server{Handler: h})
	nc := rawConn(t, s.addr)
	cl := NewClient(nc)
	ctx := testCtx(t)
	if _, err := cl.Send(ctx, msg("1")); err != nil { // the connection is registered
		t.Fatal(err)
	}
	m := "\x0b" + string(msg("2")) + "\x1c\r"
	if _, err := nc.Write([]byte(m[:8])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server read the start block
	shut := make(chan error, 1)
	go func() { shut <- s.srv.Shutdown(ctx) }()
	time.Sleep(100 * time.Millisecond)
	if _, err := nc.Write([]byte(m[8:])); err != nil {
		t.Fatal(err)
	}
	ack, err := cl.ReadAck(ctx)
	if err != nil {
		t.Fatalf("ReadAck: %v", err)
	}
	if diff := cmp.Diff("MSA|AA|2", string(ack)); diff != "" {
		t.Errorf("ACK (-want +got):\n%s", diff)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

// When Shutdown's context ends first, connections close, the handler's context is
// cancelled, Serve returns, and a late reply is harmless.
func TestShutdownHard(t *testing.T) {
	checkLeaks(t)
	type held struct {
		ctx   context.Context
		reply func([]byte)
	}
	got := make(chan held, 1)
	h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) {
		got <- held{ctx, reply}
	})
	s := serve(t, &Server{Handler: h})
	cl := dial(t, s.addr)
	ctx := testCtx(t)
	if err := cl.Write(ctx, msg("1")); err != nil {
		t.Fatal(err)
	}
	hd := <-got
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := s.srv.Shutdown(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if err := s.wait(t); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
	select {
	case <-hd.ctx.Done():
	case <-time.After(time.Second):
		t.Error("handler context not cancelled by a hard shutdown")
	}
	hd.reply(ackFor(msg("1"))) // must not panic or block
	if _, err := cl.ReadAck(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("ReadAck after hard shutdown = %v, want EOF", err)
	}
}

// Cancelling Serve's context is a hard stop too.
func TestServeContextCancelled(t *testing.T) {
	checkLeaks(t)
	hctx := make(chan context.Context, 1)
	h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) { hctx <- ctx })
	srv := &Server{Handler: h}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := newListener(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	cl := dial(t, l.Addr().String())
	if err := cl.Write(testCtx(t), msg("1")); err != nil {
		t.Fatal(err)
	}
	hc := <-hctx
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if hc.Err() == nil {
		t.Error("handler context not cancelled")
	}
	if srv.Addr() != nil {
		t.Errorf("Addr() = %v after Serve returned", srv.Addr())
	}
}

// A reply after the connection has closed does nothing; so does a second reply.
func TestReplyAfterClose(t *testing.T) {
	tests := []struct {
		name  string
		close func(t *testing.T, cl *Client, nc net.Conn)
	}{
		{
			name: "server closed it (read timeout)",
			close: func(t *testing.T, _ *Client, nc net.Conn) {
				if _, err := nc.Write([]byte("\x0bMSH|never finished")); err != nil {
					t.Fatal(err)
				}
				waitClosed(t, nc, 5*time.Second)
			},
		},
		{
			name:  "client closed it",
			close: func(t *testing.T, cl *Client, _ net.Conn) { cl.Close() },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			replies := make(chan func([]byte), 1)
			h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) { replies <- reply })
			s := serve(t, &Server{Handler: h, ReadTimeout: 100 * time.Millisecond})
			nc := rawConn(t, s.addr)
			cl := NewClient(nc)
			if err := cl.Write(testCtx(t), msg("1")); err != nil {
				t.Fatal(err)
			}
			reply := <-replies
			tt.close(t, cl, nc)
			time.Sleep(50 * time.Millisecond)
			reply([]byte("MSA|AA|1"))
			reply([]byte("MSA|AA|1 again"))
			// The server's goroutines for the connection end (checkLeaks) and it serves on.
			if err := dial(t, s.addr).Write(testCtx(t), msg("2")); err != nil {
				t.Fatal(err)
			}
			(<-replies)(nil)
		})
	}
}

// MaxConns turns away connections beyond the cap, and admits again when one ends.
func TestServerMaxConns(t *testing.T) {
	checkLeaks(t)
	h := HandlerFunc(func(ctx context.Context, r *Request) []byte { return ackFor(r.Payload) })
	s := serve(t, &Server{Handler: h, MaxConns: 2})
	ctx := testCtx(t)
	a, b := dial(t, s.addr), dial(t, s.addr)
	for _, c := range []*Client{a, b} {
		if _, err := c.Send(ctx, msg("1")); err != nil {
			t.Fatalf("Send within the cap: %v", err)
		}
	}
	over := dial(t, s.addr)
	if _, err := over.Send(ctx, msg("2")); err == nil {
		t.Error("Send on a connection over MaxConns succeeded")
	}
	if !strings.Contains(s.logs.String(), "MaxConns") {
		t.Error("refused connection not logged")
	}
	a.Close()
	eventually(t, "a slot to free up", func() bool {
		c, err := Dial(ctx, s.addr, nil)
		if err != nil {
			return false
		}
		defer c.Close()
		_, err = c.Send(ctx, msg("3"))
		return err == nil
	})
}

// A panicking handler or an ACK that would corrupt the framing closes that connection
// only.
func TestServerHandlerFaults(t *testing.T) {
	tests := []struct {
		name    string
		handler HandlerFunc
		logged  string
	}{
		{
			name:    "panic",
			handler: func(context.Context, *Request) []byte { panic("boom " + secret) },
			logged:  "handler panicked",
		},
		{
			name:    "ACK with an end block",
			handler: func(context.Context, *Request) []byte { return []byte("MSA|AA|\x1c") },
			logged:  "invalid ACK",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			h := HandlerFunc(func(ctx context.Context, r *Request) []byte {
				if strings.Contains(string(r.Payload), "|fault|") {
					return tt.handler(ctx, r)
				}
				return ackFor(r.Payload)
			})
			s := serve(t, &Server{Handler: h})
			ctx := testCtx(t)
			bad := dial(t, s.addr)
			if _, err := bad.Send(ctx, msg("fault")); err == nil {
				t.Error("Send got an ACK")
			}
			if _, err := dial(t, s.addr).Send(ctx, msg("fine")); err != nil {
				t.Errorf("another connection: %v", err)
			}
			eventually(t, "the log line", func() bool { return strings.Contains(s.logs.String(), tt.logged) })
		})
	}
}

// ListenAndServe reports its address through Addr.
func TestListenAndServe(t *testing.T) {
	checkLeaks(t)
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, r *Request) []byte { return ackFor(r.Payload) })}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(context.Background(), "127.0.0.1:0") }()
	eventually(t, "the listener", func() bool { return srv.Addr() != nil })
	cl := dial(t, srv.Addr().String())
	if _, err := cl.Send(testCtx(t), msg("1")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := srv.Shutdown(testCtx(t)); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenAndServe = %v, want ErrServerClosed", err)
	}
	if err := (&Server{}).Serve(context.Background(), newListener(t)); err == nil {
		t.Error("Serve without a Handler succeeded")
	}
}

// When its listener fails, Serve winds its connections down (pending ACKs written) and
// returns the accept error.
func TestServeListenerFails(t *testing.T) {
	checkLeaks(t)
	srv := &Server{Handler: HandlerFunc(func(ctx context.Context, r *Request) []byte { return ackFor(r.Payload) })}
	l := newListener(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	cl := dial(t, l.Addr().String())
	ctx := testCtx(t)
	if _, err := cl.Send(ctx, msg("1")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve = %v, want the accept error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its listener failed")
	}
	if _, err := cl.ReadAck(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("ReadAck = %v, want EOF", err)
	}
}

// TestServerDrop: a handler that cannot keep a message replies Drop; the ACKs of the
// messages before it are written, then the connection closes without answering it or any
// later message, so the sender resends them (an ACK for a later message on the same
// connection would be read as the dropped one's).
func TestServerDrop(t *testing.T) {
	checkLeaks(t)
	h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) {
		if strings.Contains(string(r.Payload), "drop-me") {
			reply(Drop)
			return
		}
		reply(ackFor(r.Payload))
	})
	s := serve(t, &Server{Handler: h})
	cl := dial(t, s.addr)
	ctx := testCtx(t)
	for _, m := range []string{"1", "drop-me", "3"} {
		if err := cl.Write(ctx, msg(m)); err != nil {
			t.Fatalf("Write %s: %v", m, err)
		}
	}
	ack, err := cl.ReadAck(ctx)
	if err != nil || string(ack) != "MSA|AA|1" {
		t.Fatalf("first ACK: %q, %v", ack, err)
	}
	if ack, err := cl.ReadAck(ctx); err == nil {
		t.Fatalf("after the dropped message the server answered %q; want the connection closed", ack)
	}
}
