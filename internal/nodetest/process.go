package nodetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"
)

// maxOutput bounds what a Process keeps of its output: the end of a chatty server's log is
// what explains a failure.
const maxOutput = 64 << 10

// stopGrace is how long a stopped process has to exit after an interrupt before it is
// killed.
const stopGrace = 5 * time.Second

// Process is a node script running in the background for one test. Its stdout and stderr
// are kept and written to the test log if the test fails.
type Process struct {
	t      testing.TB
	name   string
	cancel context.CancelFunc
	out    *tailBuffer
	done   chan struct{} // closed once the process has exited and its output is read
	err    error         // cmd.Wait's result, set before done is closed
}

// Start runs `node args...` in dir (so a script path may be relative to dir, such as
// "node_modules/web-push-testing/src/bin/server.js") and returns at once. The process is
// interrupted, then killed after five seconds, when the test ends or Stop is called; if
// the test failed, its output is logged.
//
// The script must run in the foreground: a daemon that detaches (web-push-testing's own
// `start` command) would outlive the test. Without node on PATH the test is skipped, or
// fails when TIDINGS_REQUIRE_NODE=1.
func Start(t testing.TB, dir string, args ...string) *Process {
	t.Helper()
	if len(args) == 0 {
		t.Fatal("nodetest.Start: no script to run")
		return nil
	}
	node, _, err := lookNode(t.Context(), "this test")
	if err != nil {
		var u *unavailableError
		if errors.As(err, &u) {
			unavailable(t, u.reason)
		} else {
			t.Fatalf("nodetest: %v", err)
		}
		return nil
	}

	ctx, cancel := context.WithCancel(t.Context())
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	if runtime.GOOS != "windows" { // Windows has no interrupt to send: the default kills
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	}
	cmd.WaitDelay = stopGrace
	p := &Process{t: t, name: args[0], cancel: cancel, out: &tailBuffer{max: maxOutput}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("nodetest: start node %s: %v", p.name, err)
		return nil
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("node %s (%s) output:\n%s", p.name, p.state(), p.Output())
		}
	})
	return p
}

// Stop interrupts the process and waits for it to exit. It is safe to call more than once;
// the test's cleanup calls it too.
func (p *Process) Stop() {
	p.cancel()
	<-p.done
}

// Output returns what the process has written to stdout and stderr so far (the last 64 KiB).
func (p *Process) Output() string { return p.out.String() }

// state describes whether the process is running or how it ended.
func (p *Process) state() string {
	select {
	case <-p.done:
		if p.err == nil {
			return "exited"
		}
		return p.err.Error()
	default:
		return "running"
	}
}

// WaitPort waits until something accepts TCP connections at addr ("localhost:8090") and
// fails the test if that takes longer than timeout or if the process exits first (a port
// already in use, a syntax error), with the process's output.
func (p *Process) WaitPort(addr string, timeout time.Duration) {
	p.t.Helper()
	if err := waitPort(p.t.Context(), addr, timeout, p.done); err != nil {
		p.t.Fatalf("nodetest: node %s: %v; its output:\n%s", p.name, err, p.Output())
	}
}

// waitPort dials addr until it answers, exited is closed, or timeout passes.
func waitPort(ctx context.Context, addr string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for {
		attempt, stop := context.WithTimeout(ctx, 500*time.Millisecond)
		conn, err := d.DialContext(attempt, "tcp", addr)
		stop()
		if err == nil {
			return conn.Close()
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before listening on %s", addr)
		case <-ctx.Done():
			return fmt.Errorf("nothing listening on %s after %v: %w", addr, timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// FreePort returns a TCP port that nothing listened on a moment ago, on every interface, for
// a server that must be told its port (rather than being given a listener). Another
// process could take it in between; the window is small enough for tests.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatalf("nodetest: find a free port: %v", err)
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tailBuffer is an io.Writer, safe for concurrent use, that keeps the last max bytes.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
