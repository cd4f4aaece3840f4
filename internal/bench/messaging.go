package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/portal"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
)

// MessagingConfig sizes the messaging benchmark. The defaults take about a minute.
type MessagingConfig struct {
	Sessions int           // open SSE sessions, one patient's portal stream each (5,000)
	Rate     int           // messages sent per second, each to a random patient's conversation (500)
	Duration time.Duration // length of the sending phase (30 s)
	// Instances is how many servers run on the database, the streams split across them
	// (0: one on SQLite, two on PostgreSQL; SQLite takes one: its events stay in its process).
	Instances int
	// DSN is the database the servers open: db's own (--db).
	DSN string
	// Command is the tidings binary the servers run as `Command serve …` (os.Args[0] when
	// ""), so that each server is a process of its own, measured alone; Env is added to
	// their environment (the test's re-executed binary reads it).
	Command string
	Env     []string
	// Send is how the practitioner writes (SendDashboard when ""): see the constants.
	Send string
	Log  io.Writer // progress lines, and the servers' warnings
}

// How the messaging bench's practitioner writes.
const (
	// SendDashboard: the dashboard's reply form (POST /messages/{id}/reply) on the first
	// server, with a staff session, as a practitioner typing in the browser.
	SendDashboard = "dashboard"
	// SendAPI: POST /api/v1/conversations/{id}/messages on the first server with an API
	// token of the practitioner role. A token is no healthcare professional, so the
	// messaging rules refuse it (MSG-1, MSG-2): kept for when the API gains a way to act as
	// a professional.
	SendAPI = "api"
	// SendDirect: the messaging use case in the bench's own process (PostgreSQL only: its
	// NOTIFY is what wakes the servers' streams; a SQLite server's hub hears only its own
	// process's writes).
	SendDirect = "direct"
)

func (c *MessagingConfig) defaults(d store.Dialect) error {
	if c.Sessions <= 0 {
		c.Sessions = 5000
	}
	if c.Rate <= 0 {
		c.Rate = 500
	}
	if c.Duration <= 0 {
		c.Duration = 30 * time.Second
	}
	if c.Instances <= 0 {
		c.Instances = 1
		if d == store.Postgres {
			c.Instances = 2
		}
	}
	if c.Command == "" {
		c.Command = os.Args[0]
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	c.Log = &prefixWriter{w: c.Log} // whole lines, from the senders, the streams and the servers at once
	if d == store.SQLite && c.Instances > 1 {
		return fmt.Errorf("messaging bench: SQLite serves one instance (its events reach only its own process's streams); use PostgreSQL for more")
	}
	switch c.Send {
	case "":
		c.Send = SendDashboard
	case SendDashboard, SendAPI:
	case SendDirect:
		if d == store.SQLite {
			return fmt.Errorf("messaging bench: direct sends reach a SQLite server's streams only through its own process: send through the dashboard")
		}
	default:
		return fmt.Errorf("messaging bench: --send must be %s, %s or %s", SendDashboard, SendAPI, SendDirect)
	}
	if c.DSN == "" {
		return fmt.Errorf("messaging bench: the servers need the database's DSN")
	}
	return nil
}

// messagingWorld is what the messaging benchmark seeds.
type messagingWorld struct {
	portalClinic
	user     clinic.User
	token    string          // the API token's plain value
	session  string          // the practitioner's dashboard session's
	patients []portalPatient // with their sessions
	convs    []int64         // conversation of patient i
}

// Messaging measures secure messaging's real-time delivery (MSG-4): it seeds a clinic with
// messaging on (every professional may start and answer), a practitioner with a dashboard
// session and an API token, and cfg.Sessions patients, each with a portal session and a
// conversation; starts cfg.Instances servers (`tidings serve`, child processes on the same
// database) and opens one SSE stream per patient (GET /p/{slug}/events, the portal's,
// split across the servers); then the practitioner sends cfg.Rate messages a second for
// cfg.Duration to random conversations through the first server (cfg.Send says how), and
// each is timed from the start of its request to its event on the recipient's stream. It
// reports p50 and p99 of that, of the request alone (sent → persisted), the messages
// answered 2xx that never reached their stream within 5 s after the end (lost), events on a
// stream they do not belong to (misdelivered), the errors, the streams' reconnects, and each
// server's peak resident set (VmHWM of the server process alone) with its resident set
// before and after the streams opened.
func Messaging(ctx context.Context, db *store.DB, cfg MessagingConfig, out io.Writer) error {
	if err := cfg.defaults(db.Dialect()); err != nil {
		return err
	}
	if err := raiseOpenFiles(cfg.Sessions + 1024); err != nil {
		return err
	}
	start := time.Now()
	w, err := seedMessaging(ctx, db, cfg.Sessions)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := analyze(ctx, db); err != nil {
		return err
	}
	var after int64
	if err := db.View(ctx, func(tx *store.Tx) (err error) {
		after, err = tx.Messaging().LastMessageEvent(ctx)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "seeded %d patients with portal sessions and conversations in %s\n", len(w.patients), time.Since(start).Round(time.Millisecond))

	dir, err := os.MkdirTemp("", "tidings-bench-messaging-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	servers := make([]*childServer, cfg.Instances)
	defer func() {
		for _, s := range servers {
			if s != nil {
				s.stop()
			}
		}
	}()
	idle := make([]float64, len(servers))
	for i := range servers {
		if servers[i], err = startChild(ctx, cfg, i+1, dir); err != nil {
			return err
		}
		idle[i] = servers[i].rssMB("VmRSS")
		fmt.Fprintf(cfg.Log, "server %d: pid %d at %s, %.1f MB resident\n", i+1, servers[i].cmd.Process.Pid, servers[i].base, idle[i])
	}

	// The streams, opened 64 at a time.
	led := &ledger{pending: map[int64][]*sendRecord{}, seen: map[int64]bool{}}
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: cfg.Sessions, DisableCompression: true, ResponseHeaderTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	streams := make([]*sseStream, len(w.patients))
	var opened, done sync.WaitGroup
	gate := make(chan struct{}, 64)
	t0 := time.Now()
	for i, p := range w.patients {
		s := &sseStream{url: servers[i%len(servers)].base + "/p/" + w.slug + "/events", token: p.token, conv: w.convs[i], last: after,
			client: client, led: led, server: i % len(servers)}
		streams[i] = s
		opened.Add(1)
		done.Add(1)
		gate <- struct{}{}
		go func() {
			defer done.Done()
			s.run(streamCtx, func() { <-gate; opened.Done() })
		}()
	}
	opened.Wait()
	openTime := time.Since(t0)
	failed := 0
	for _, s := range streams {
		if !s.connected.Load() {
			failed++
		}
	}
	fmt.Fprintf(cfg.Log, "opened %d streams in %s (%d failed)\n", len(streams)-failed, openTime.Round(time.Millisecond), failed)
	if failed > 0 {
		fmt.Fprintf(cfg.Log, "a stream failed: %v\n", firstError(streams))
	}
	if failed == len(streams) {
		return fmt.Errorf("no stream opened: %v", firstError(streams))
	}
	time.Sleep(time.Second) // the servers settle (their replays done) before the measure
	withStreams := make([]float64, len(servers))
	for i, s := range servers {
		withStreams[i] = s.rssMB("VmRSS")
		fmt.Fprintf(cfg.Log, "server %d: %.1f MB resident with its streams open\n", i+1, withStreams[i])
	}

	// The messages: an open loop at cfg.Rate a second, through a pool of senders.
	send := messagingSender(db, cfg, w, servers[0].base)
	fmt.Fprintf(cfg.Log, "sending %d messages/s for %s (%s)…\n", cfg.Rate, cfg.Duration, cfg.Send)
	type job struct {
		conv int64
		due  time.Time
	}
	jobs := make(chan job, cfg.Rate)
	var sendErrs atomic.Int64
	var senders sync.WaitGroup
	for range min(256, max(16, cfg.Rate/4)) {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for j := range jobs {
				r := led.begin(j.conv, j.due)
				err := send(ctx, j.conv)
				led.end(r, err)
				if err != nil && sendErrs.Add(1) <= 3 {
					fmt.Fprintf(cfg.Log, "send: %v\n", err)
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(uint64(t0.UnixNano()), 13))
	interval := time.Second / time.Duration(cfg.Rate)
	n := int(cfg.Duration / interval)
	sendStart := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		due := sendStart.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		jobs <- job{conv: w.convs[rng.IntN(len(w.convs))], due: due}
	}
	close(jobs)
	senders.Wait()
	elapsed := time.Since(sendStart)
	if err := ctx.Err(); err != nil {
		return err
	}

	// Whatever was answered 2xx must reach its stream: wait up to 5 s for the last ones.
	deadline := time.Now().Add(5 * time.Second)
	for led.lost() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	peak := make([]float64, len(servers))
	for i, s := range servers {
		peak[i] = max(s.rssMB("VmHWM"), s.peakMB())
	}
	stopStreams()
	done.Wait()

	led.mu.Lock()
	lost := led.unreceived()
	var lat, persisted, delivered []time.Duration
	byServer := make([][]time.Duration, len(servers))
	for _, r := range led.all {
		if r.answered && !r.at.IsZero() {
			lat = append(lat, r.at.Sub(r.start))
			persisted = append(persisted, r.done.Sub(r.start))
			delivered = append(delivered, max(0, r.at.Sub(r.done)))
			byServer[r.server] = append(byServer[r.server], r.at.Sub(r.start))
		}
	}
	serverP99 := make([]float64, len(servers))
	for i, l := range byServer {
		serverP99[i] = percentile(l, .99)
	}
	lag, sent, wrong, dupes, extra := led.lag, led.sent, led.wrong, led.dupes, led.extra
	led.mu.Unlock()
	var reconnects, streamErrs int
	for _, s := range streams {
		reconnects += int(s.reconnects.Load())
		streamErrs += int(s.errs.Load())
	}
	fmt.Fprintf(cfg.Log, "sent %d in %s: send → received p50 %.2f ms p99 %.2f ms max %.2f ms; send → persisted (the request) p50 %.2f ms p99 %.2f ms; "+
		"persisted → received p50 %.2f ms p99 %.2f ms; send lag p99 %.2f ms; %d lost, %d misdelivered, %d duplicates, %d unexpected, %d send errors, %d stream errors, %d reconnects\n",
		sent, elapsed.Round(time.Millisecond), percentile(lat, .5), percentile(lat, .99), percentile(lat, 1), percentile(persisted, .5), percentile(persisted, .99),
		percentile(delivered, .5), percentile(delivered, .99), percentile(lag, .99), lost, wrong, dupes, extra, sendErrs.Load(), streamErrs, reconnects)
	return report(out, map[string]any{
		"bench": "messaging", "db": string(db.Dialect()), "sessions": len(streams), "instances": len(servers), "send": cfg.Send,
		"rate": cfg.Rate, "duration_s": round(elapsed.Seconds()), "msgs_per_s": round(float64(sent) / elapsed.Seconds()),
		"sent": sent, "received": len(lat), "p50_ms": percentile(lat, .5), "p99_ms": percentile(lat, .99), "max_ms": percentile(lat, 1),
		"persist_p50_ms": percentile(persisted, .5), "persist_p99_ms": percentile(persisted, .99),
		"deliver_p50_ms": percentile(delivered, .5), "deliver_p99_ms": percentile(delivered, .99), "send_lag_p99_ms": percentile(lag, .99),
		"p99_ms_by_server": serverP99,
		"lost":             lost, "misdelivered": wrong, "duplicates": dupes, "unexpected": extra,
		"errors": int(sendErrs.Load()) + streamErrs + failed, "reconnects": reconnects, "open_s": round(openTime.Seconds()),
		"max_rss_mb": round(slices.Max(peak)), "rss_peak_mb": roundAll(peak), "rss_idle_mb": roundAll(idle), "rss_streams_mb": roundAll(withStreams),
		"bench_rss_mb": maxRSS(),
	})
}

func roundAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = round(x)
	}
	return out
}

// ledger matches each message sent with its event on the recipient's stream. Events carry
// the message's id but a request need not answer it (the dashboard's form redirects), so
// the ledger keeps each conversation's sends in order and an event of the conversation
// settles its oldest one: exact for the counts, and for the times as long as no two sends
// to one conversation are in flight at once (rare among thousands of conversations).
type ledger struct {
	mu      sync.Mutex
	pending map[int64][]*sendRecord // conversation → its sends not yet received, oldest first
	seen    map[int64]bool          // message ids received
	all     []*sendRecord

	lag                       []time.Duration // request start − schedule
	sent, wrong, dupes, extra int
}

// sendRecord is one message being sent: its conversation, when its request began and
// ended, whether it was answered 2xx or failed, and when its event arrived.
type sendRecord struct {
	conv             int64
	start, done, at  time.Time
	answered, failed bool
	server           int // whose stream received it
}

// begin records a send to conv starting now, due at due.
func (l *ledger) begin(conv int64, due time.Time) *sendRecord {
	r := &sendRecord{conv: conv, start: time.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending[conv] = append(l.pending[conv], r)
	l.all = append(l.all, r)
	l.lag = append(l.lag, r.start.Sub(due))
	return r
}

// end records a send's answer: err nil for 2xx (persisted); a failed send is not waited for.
func (l *ledger) end(r *sendRecord, err error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	r.done = now
	if err != nil {
		r.failed = true
		if r.at.IsZero() {
			l.pending[r.conv] = slices.DeleteFunc(l.pending[r.conv], func(x *sendRecord) bool { return x == r })
		}
		return
	}
	r.answered = true
	l.sent++
}

// receive records message msg's event reaching, at at, the stream of conversation conv;
// right false: a stream it does not belong to.
func (l *ledger) receive(conv, msg int64, at time.Time, right bool, server int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !right:
		l.wrong++
	case l.seen[msg]:
		l.dupes++
	case len(l.pending[conv]) == 0:
		l.extra++ // no send waiting: nothing the bench wrote
	default:
		l.seen[msg] = true
		r := l.pending[conv][0]
		l.pending[conv] = l.pending[conv][1:]
		r.at = at
		r.server = server
	}
}

// lost counts the sends answered 2xx whose event has not arrived.
func (l *ledger) lost() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unreceived()
}

func (l *ledger) unreceived() int {
	n := 0
	for _, rs := range l.pending {
		for _, r := range rs {
			if r.answered {
				n++
			}
		}
	}
	return n
}

// seedMessaging creates a clinic whose portal is on and whose professionals may all start
// and answer conversations (MSG-1, MSG-2, the portal's button on), a practitioner with a
// dashboard session and an API token (as signing in and `tidings token create` would), and n patients each with a portal account, a session and a conversation the
// practitioner started, in transactions of 1,000 patients.
func seedMessaging(ctx context.Context, db *store.DB, n int) (*messagingWorld, error) {
	w := &messagingWorld{}
	loc, _ := time.LoadLocation("Australia/Sydney")
	hash, err := portalPasswordHash()
	if err != nil {
		return nil, err
	}
	plain, th, err := auth.NewToken("tid_")
	var sh []byte
	if err != nil {
		return nil, err
	}
	w.token = plain
	if w.session, sh, err = auth.NewToken(""); err != nil {
		return nil, err
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		if w.portalClinic, err = seedPortalClinic(ctx, tx, loc); err != nil {
			return err
		}
		if err := tx.Messaging().PutMessagingSettings(ctx, w.org, store.MessagingSettings{ClinicID: w.clinic, StaffStart: true, StaffStartAll: true,
			Incoming: true, IncomingAll: true, PortalButton: true}); err != nil {
			return err
		}
		pr, err := tx.Directory().CreatePractitioner(ctx, w.org, clinic.Practitioner{Name: "Dr Bench"})
		if err != nil {
			return err
		}
		if w.user, err = tx.Staff().CreateUser(ctx, w.org, clinic.User{Email: "dr@" + w.slug + ".bench.test", Name: "Dr Bench", Role: clinic.RolePractitioner,
			PasswordHash: hash, PractitionerID: pr.ID}); err != nil {
			return err
		}
		if _, err = tx.Staff().CreateToken(ctx, w.org, clinic.Token{Name: "messaging bench", Role: clinic.RolePractitioner}, th); err != nil {
			return err
		}
		_, err = tx.Staff().CreateSession(ctx, w.user, sh, tx.Now.Add(12*time.Hour))
		return err
	})
	if err != nil {
		return nil, err
	}
	for done := 0; done < n; {
		k := min(1000, n-done)
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i := done; i < done+k; i++ {
				p, err := w.addPatient(ctx, tx, i, hash)
				if err != nil {
					return err
				}
				c, err := tx.Messaging().CreateConversation(ctx, store.Conversation{OrgID: w.org, ClinicID: w.clinic, PatientID: p.id,
					Subject: "Your results", StartedBy: store.ByStaff, StartedByUser: w.user.ID})
				if err != nil {
					return err
				}
				w.patients = append(w.patients, p)
				w.convs = append(w.convs, c.ID)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		done += k
	}
	return w, nil
}

// messagingSender returns how the practitioner sends a message to a conversation, as
// cfg.Send says, through the server at base; it fails unless the message was written.
func messagingSender(db *store.DB, cfg MessagingConfig, w *messagingWorld, base string) func(context.Context, int64) error {
	const body = "Hello, your results are in and look normal. See you at your next visit. (bench)"
	if cfg.Send == SendDirect {
		svc := messaging.New(db, messaging.Config{})
		actor := clinic.StaffActor(w.user)
		return func(ctx context.Context, conv int64) error {
			_, err := svc.Send(ctx, actor, conv, body, nil)
			return err
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	payload, _ := json.Marshal(map[string]string{"body": body})
	form := url.Values{"body": {body}}.Encode()
	return func(ctx context.Context, conv int64) error {
		var req *http.Request
		var err error
		if cfg.Send == SendAPI {
			req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/conversations/"+itoa(conv)+"/messages", strings.NewReader(string(payload)))
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+w.token)
				req.Header.Set("Content-Type", "application/json")
			}
		} else {
			req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/messages/"+itoa(conv)+"/reply", strings.NewReader(form))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(&http.Cookie{Name: session.CookieName, Value: w.session})
			}
		}
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		// 2xx, or the form's redirect to the conversation (not to the sign-in page).
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 2 && (resp.StatusCode != http.StatusSeeOther || strings.HasPrefix(loc, "/login")) {
			return fmt.Errorf("%s %s: %d %s %.300s", req.Method, req.URL.Path, resp.StatusCode, loc, strings.TrimSpace(string(b)))
		}
		return nil
	}
}

// sseStream is one patient's open page: an EventSource on the portal's stream, which
// reconnects after a second from the last id it saw, as a browser does.
type sseStream struct {
	url, token string
	conv       int64 // the patient's conversation: any other's event is misdelivered
	server     int   // which server the stream is open on
	last       int64
	client     *http.Client
	led        *ledger

	connected  atomic.Bool
	reconnects atomic.Int64
	errs       atomic.Int64
	mu         sync.Mutex
	err        error
}

// run keeps the stream open until ctx ends, reconnecting after a second whenever it ends;
// opened is called once, after the first attempt. A stream that never opened gives up.
func (s *sseStream) run(ctx context.Context, opened func()) {
	var once sync.Once
	defer once.Do(opened)
	for ctx.Err() == nil {
		err := s.follow(ctx, func() { s.connected.Store(true); once.Do(opened) })
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			s.errs.Add(1)
		}
		if !s.connected.Load() {
			return
		}
		s.reconnects.Add(1)
		if !sleepCtx(ctx, time.Second) {
			return
		}
	}
}

type streamEvent struct {
	ID           int64  `json:"id"`
	Kind         string `json:"kind"`
	Conversation int64  `json:"conversation"`
	Message      int64  `json:"message"`
}

// follow reads the stream once, from the last id seen, until it ends.
func (s *sseStream) follow(ctx context.Context, ok func()) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"?after="+itoa(s.last), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if s.last > 0 {
		req.Header.Set("Last-Event-ID", itoa(s.last))
	}
	req.AddCookie(&http.Cookie{Name: portal.CookieName, Value: s.token})
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("GET %s: %d %s %q", req.URL.Path, resp.StatusCode, resp.Header.Get("Location"), b)
	}
	ok()
	br := bufio.NewReaderSize(resp.Body, 512)
	var id int64
	var data []byte
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the server ended the stream: reconnect
			}
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if len(data) > 0 {
				s.dispatch(id, data)
			}
			data = data[:0]
		case bytes.HasPrefix(line, []byte("id:")):
			id, _ = strconv.ParseInt(string(bytes.TrimSpace(line[3:])), 10, 64)
		case bytes.HasPrefix(line, []byte("data:")):
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(line[5:], []byte(" "))...)
		}
	}
}

func (s *sseStream) dispatch(id int64, data []byte) {
	now := time.Now()
	if id > s.last {
		s.last = id
	}
	var e streamEvent
	if err := json.Unmarshal(data, &e); err != nil {
		s.errs.Add(1)
		return
	}
	if e.Kind == store.EventMessage && e.Message != 0 {
		s.led.receive(s.conv, e.Message, now, e.Conversation == s.conv, s.server)
	}
}

func firstError(ss []*sseStream) error {
	for _, s := range ss {
		s.mu.Lock()
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return errors.New("unknown")
}

// childServer is a `tidings serve` process of the benchmark's.
type childServer struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	exited chan struct{}
	peak   atomic.Int64 // the largest VmRSS sampled, kB
}

// startChild starts server i as `cfg.Command serve` on the benchmark's database, on a free
// loopback port, and waits until it serves; its warnings go to cfg.Log. Its resident set
// is sampled every 500 ms until it stops.
func startChild(ctx context.Context, cfg MessagingConfig, i int, dir string) (*childServer, error) {
	cmd := exec.CommandContext(ctx, cfg.Command, "serve", "--db", cfg.DSN, "--addr", "127.0.0.1:0",
		"--data-dir", fmt.Sprintf("%s/data-%d", dir, i), "--log-level", "warn")
	cmd.Env = append(os.Environ(), cfg.Env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	cmd.Stderr = &prefixWriter{w: cfg.Log, prefix: fmt.Sprintf("server %d: ", i)}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %d (%s serve): %w", i, cfg.Command, err)
	}
	s := &childServer{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), " is running: "); ok {
				select {
				case ready <- strings.TrimSuffix(strings.TrimSpace(u), "/"):
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.base = <-ready:
	case <-s.exited:
		return nil, fmt.Errorf("server %d exited before serving: %v", i, cmd.ProcessState)
	case <-time.After(2 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("server %d did not start within 2 minutes", i)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.exited:
				return
			case <-t.C:
				if kb := procStatusKB(strconv.Itoa(cmd.Process.Pid), "VmRSS"); kb > s.peak.Load() {
					s.peak.Store(kb)
				}
			}
		}
	}()
	return s, nil
}

// rssMB reads a memory field of the server's /proc status (VmRSS, VmHWM) in MB.
func (s *childServer) rssMB(field string) float64 {
	return float64(procStatusKB(strconv.Itoa(s.cmd.Process.Pid), field)) / 1024
}

func (s *childServer) peakMB() float64 { return float64(s.peak.Load()) / 1024 }

// stop asks the server to shut down (SIGINT) and waits for it, killing it after 20 s.
func (s *childServer) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// prefixWriter writes whole lines, each with a prefix (a server's log lines among the
// bench's), whoever writes.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}
