package mllp

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hl7Message returns a ~2 KB ADT-like message (synthetic data) with id as its control id.
func hl7Message(id int, size int) []byte {
	head := fmt.Sprintf("MSH|^~\\&|PMS|CLINIC|TIDINGS|TIDINGS|20260101120000||ADT^A08|%d|P|2.5\rPID|1||%d^^^PMS||%s||19800101|F\r", id, id, secret)
	if size <= len(head) {
		return []byte(head)
	}
	obx := "OBX|1|TX|NOTE||Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod\r"
	return []byte((head + strings.Repeat(obx, size/len(obx)+1))[:size])
}

// immediate replies at once, as a handler whose commit is free would.
func immediate() Handler {
	ack := []byte("MSH|^~\\&|TIDINGS|TIDINGS|PMS|CLINIC|20260101120000||ACK^A08|1|P|2.5\rMSA|AA|1\r")
	return HandlerFunc(func(context.Context, *Request) []byte { return ack })
}

// groupCommit simulates an application that commits in groups: replies wait for the next
// "fsync" (delay), which covers everything that arrived before it started.
type groupCommit struct {
	delay time.Duration
	mu    sync.Mutex
	queue []func([]byte)
	wake  chan struct{}
	stop  chan struct{}
	done  sync.WaitGroup
}

func newGroupCommit(delay time.Duration) *groupCommit {
	g := &groupCommit{delay: delay, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	ack := []byte("MSA|AA|1\r")
	g.done.Go(func() {
		for {
			select {
			case <-g.stop:
				return
			case <-g.wake:
			}
			g.mu.Lock()
			batch := g.queue
			g.queue = nil
			g.mu.Unlock()
			time.Sleep(g.delay)
			for _, reply := range batch {
				reply(ack)
			}
		}
	})
	return g
}

func (g *groupCommit) HandleMLLP(ctx context.Context, r *Request, reply func([]byte)) {
	g.mu.Lock()
	g.queue = append(g.queue, reply)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *groupCommit) close() {
	close(g.stop)
	g.done.Wait()
}

// drive sends messages over conns connections for d, keeping window messages in flight
// on each (1 = synchronous Send), and returns messages acknowledged per second.
func drive(tb testing.TB, addr string, conns, window int, d time.Duration, payload func(i int) []byte) float64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	var acked atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	until := start.Add(d)
	for range conns {
		wg.Go(func() {
			cl, err := Dial(ctx, addr, nil)
			if err != nil {
				tb.Error(err)
				return
			}
			defer cl.Close()
			if window <= 1 {
				for i := 0; time.Now().Before(until); i++ {
					if _, err := cl.Send(ctx, payload(i)); err != nil {
						tb.Error(err)
						return
					}
					acked.Add(1)
				}
				return
			}
			sem := make(chan struct{}, window) // a token per message awaiting its ACK
			written := make(chan struct{}, window)
			go func() {
				defer close(written)
				for i := 0; time.Now().Before(until); i++ {
					sem <- struct{}{}
					if err := cl.Write(ctx, payload(i)); err != nil {
						tb.Error(err)
						return
					}
					written <- struct{}{}
				}
			}()
			for range written {
				if _, err := cl.ReadAck(ctx); err != nil {
					tb.Error(err)
					cl.Close()
					for range written {
					}
					return
				}
				acked.Add(1)
				<-sem
			}
		})
	}
	wg.Wait()
	return float64(acked.Load()) / time.Since(start).Seconds()
}

// peakRSS returns the process's peak resident set size in MB, or -1 where unknown.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return -1
			}
			return float64(kb) / 1024
		}
	}
	return -1
}

// TestLoopbackThroughput measures messages per second over loopback, server and clients
// in this one process. It takes about 20 s, so it runs only when TIDINGS_MLLP_LOOPBACK=1:
//
//	TIDINGS_MLLP_LOOPBACK=1 go test -run TestLoopbackThroughput -v ./internal/mllp/
func TestLoopbackThroughput(t *testing.T) {
	if os.Getenv("TIDINGS_MLLP_LOOPBACK") != "1" {
		t.Skip("set TIDINGS_MLLP_LOOPBACK=1 to measure")
	}
	const d = 2 * time.Second
	two := func(i int) []byte { return hl7Message(i, 2048) }
	type scenario struct {
		name          string
		conns, window int
		payload       func(int) []byte
		floor         float64 // the requirement, for the report
	}
	run := func(h Handler, scenarios []scenario) {
		s := &Server{Handler: h}
		l := newListener(t)
		done := make(chan error, 1)
		go func() { done <- s.Serve(context.Background(), l) }()
		for _, sc := range scenarios {
			rate := drive(t, l.Addr().String(), sc.conns, sc.window, d, sc.payload)
			verdict := ""
			if sc.floor > 0 {
				verdict = fmt.Sprintf(" (need >= %.0f: %v)", sc.floor, rate >= sc.floor)
			}
			runtime.GC()
			t.Logf("%-55s %9.0f msg/s%s", sc.name, rate, verdict)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		<-done
	}

	t.Log("immediate reply, 2 KB messages:")
	run(immediate(), []scenario{
		{name: "1 conn, synchronous", conns: 1, window: 1, payload: two, floor: 1000},
		{name: "1 conn, pipelined window 32", conns: 1, window: 32, payload: two, floor: 1000},
		{name: "8 conns, synchronous", conns: 8, window: 1, payload: two, floor: 3000},
		{name: "8 conns, pipelined window 32", conns: 8, window: 32, payload: two, floor: 3000},
	})

	gc := newGroupCommit(2 * time.Millisecond)
	t.Log("group commit with a 2 ms fsync, 2 KB messages:")
	run(gc, []scenario{
		{name: "1 conn, synchronous", conns: 1, window: 1, payload: two},
		{name: "1 conn, pipelined window 32", conns: 1, window: 32, payload: two, floor: 1000},
		{name: "8 conns, pipelined window 32", conns: 8, window: 32, payload: two, floor: 3000},
	})
	gc.close()

	big := hl7Message(0, 2<<20)
	mixed := func(i int) []byte {
		if i%20 == 0 {
			return big
		}
		return two(i)
	}
	t.Log("memory: 2 MB messages, immediate reply:")
	run(immediate(), []scenario{
		{name: "8 conns, pipelined window 32, every 20th is 2 MB", conns: 8, window: 32, payload: mixed},
		{name: "8 conns, pipelined window 32, all 2 MB", conns: 8, window: 32, payload: func(int) []byte { return big }},
	})
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("peak RSS of the whole test process (server and clients): %.0f MB; heap now %.0f MB",
		peakRSS(), float64(ms.HeapInuse)/(1<<20))
}

// BenchmarkServer measures one connection over loopback with an immediate handler, 2 KB
// messages. The application's own bench command measures the real handler.
func BenchmarkServer(b *testing.B) {
	for _, window := range []int{1, 32} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) {
			s := &Server{Handler: immediate()}
			l := newListener(b)
			done := make(chan error, 1)
			go func() { done <- s.Serve(context.Background(), l) }()
			ctx := context.Background()
			cl, err := Dial(ctx, l.Addr().String(), nil)
			if err != nil {
				b.Fatal(err)
			}
			p := hl7Message(1, 2048)
			b.SetBytes(int64(len(p)))
			inFlight := 0
			for b.Loop() {
				if err := cl.Write(ctx, p); err != nil {
					b.Fatal(err)
				}
				if inFlight++; inFlight == window {
					if _, err := cl.ReadAck(ctx); err != nil {
						b.Fatal(err)
					}
					inFlight--
				}
			}
			for ; inFlight > 0; inFlight-- {
				if _, err := cl.ReadAck(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
			cl.Close()
			if err := s.Shutdown(ctx); err != nil {
				b.Fatal(err)
			}
			<-done
		})
	}
}
