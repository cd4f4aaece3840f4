package mllp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// secret appears in every test payload; it must never appear in the server's logs.
const secret = "DOE^JANE"

// msg builds a test message whose id is id.
func msg(id string) []byte {
	return fmt.Appendf(nil, "MSH|%s|PID|%s|", id, secret)
}

// ackFor answers a test message with its id.
func ackFor(payload []byte) []byte {
	parts := bytes.SplitN(payload, []byte("|"), 3)
	if len(parts) < 2 {
		return []byte("MSA|AR|unreadable")
	}
	return fmt.Appendf(nil, "MSA|AA|%s", parts[1])
}

// asyncHandler adapts a function to Handler, for tests that reply later.
type asyncHandler func(ctx context.Context, r *Request, reply func([]byte))

func (f asyncHandler) HandleMLLP(ctx context.Context, r *Request, reply func([]byte)) {
	f(ctx, r, reply)
}

// checkLeaks fails the test if goroutines started during it are still running once
// its other cleanups (server shutdown, client close) have run. Call it first.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before the test, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// logBuffer collects a server's log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// served is a Server running on a loopback port for one test.
type served struct {
	srv  *Server
	addr string
	logs *logBuffer
	done chan struct{}
	err  error
}

// serve starts srv on 127.0.0.1 and shuts it down when the test ends, checking that its
// logs never quote a payload.
func serve(t *testing.T, srv *Server) *served {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{srv: srv, addr: l.Addr().String(), logs: &logBuffer{}, done: make(chan struct{})}
	if srv.ErrorLog == nil {
		srv.ErrorLog = slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	t.Cleanup(func() {
		if logs := s.logs.String(); strings.Contains(logs, secret) {
			t.Errorf("server logs quote a payload:\n%s", logs)
		}
	})
	go func() {
		s.err = srv.Serve(context.Background(), l)
		close(s.done)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		s.wait(t)
	})
	return s
}

// wait returns Serve's result once it has returned.
func (s *served) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

// dial connects a Client that is closed when the test ends.
func dial(t *testing.T, addr string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// rawConn dials a plain connection for writing malformed bytes.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return nc
}

// testCtx is a context bounded well below the test timeout.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds or five seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitClosed reads from nc until the server closes it and returns how long that took.
func waitClosed(t *testing.T, nc net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = nc.SetReadDeadline(start.Add(limit))
	buf := make([]byte, 1024)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("connection still open after %v", limit)
		}
		return time.Since(start)
	}
}
