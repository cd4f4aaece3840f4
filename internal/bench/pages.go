package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
)

// PagesConfig sizes the pages benchmark. The defaults finish in about a minute.
type PagesConfig struct {
	Agendas     int       // agendas of the clinic, every one a column of the day grid (10)
	WeekAgendas int       // agendas whose week grid is rendered in turn (5)
	Days        int       // span seeded with appointments, closed days and absences (28)
	Bookings    int       // appointments seeded (4,000: about 24 per agenda and weekday)
	Iterations  int       // measured requests of each page (500)
	Log         io.Writer // progress lines
}

func (c *PagesConfig) defaults() {
	if c.Agendas <= 0 {
		c.Agendas = 10
	}
	if c.WeekAgendas <= 0 {
		c.WeekAgendas = 5
	}
	c.WeekAgendas = min(c.WeekAgendas, c.Agendas)
	if c.Days < 14 {
		c.Days = 28
	}
	if c.Bookings < 0 {
		c.Bookings = 0
	}
	if c.Iterations <= 0 {
		c.Iterations = 500
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Pages seeds a clinic as the slots benchmark does (cfg.Agendas agendas with hours, breaks,
// closed days, absences and cfg.Bookings appointments over cfg.Days days), signs a
// receptionist in to a real server on a loopback port, and renders through it, one request
// at a time, the agenda's day grid (every agenda a column) of the coming weekdays and the
// week grid of cfg.WeekAgendas agendas over the coming weeks, both with a reason chosen so
// that its free starts are shown. It reports the server's own time per page (from the
// request reaching the handler to the handler's return, the page written), p50 and p99,
// and the client's round trip beside it.
func Pages(ctx context.Context, db *store.DB, cfg PagesConfig, out io.Writer) error {
	cfg.defaults()
	w, seeded, err := seedSettled(ctx, db, SlotsConfig{Practitioners: cfg.Agendas, Days: cfg.Days, Bookings: cfg.Bookings}, cfg.Log)
	if err != nil {
		return err
	}

	s, err := startPages(ctx, db, w.org, cfg.Log)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	// The pages: the day grid of each of the next ten weekdays, the week grid of each of
	// the first WeekAgendas agendas over the next three weeks (within the seeded days).
	today := db.Now().In(w.loc)
	var days, weeks []string
	for i := 1; i < cfg.Days && len(days) < 10; i++ {
		d := time.Date(today.Year(), today.Month(), today.Day()+i, 12, 0, 0, 0, w.loc)
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			days = append(days, d.Format(time.DateOnly))
		}
	}
	for i := 1; i < cfg.Days && len(weeks) < 3; i += 7 {
		weeks = append(weeks, time.Date(today.Year(), today.Month(), today.Day()+i, 12, 0, 0, 0, w.loc).Format(time.DateOnly))
	}
	reason := strconv.FormatInt(int64(w.reason), 10)
	dayURL := func(i int) string {
		return "/agenda?" + url.Values{"date": {days[i%len(days)]}, "reason_id": {reason}}.Encode()
	}
	weekURL := func(i int) string {
		a := w.agendas[i%cfg.WeekAgendas]
		return "/agenda/week?" + url.Values{"date": {weeks[(i/cfg.WeekAgendas)%len(weeks)]}, "agenda_id": {strconv.FormatInt(int64(a), 10)},
			"reason_id": {reason}}.Encode()
	}
	// Warm up: connections, templates, the availability cache of every page's window.
	for i := 0; i < max(len(days), cfg.WeekAgendas*len(weeks)); i++ {
		if _, err := s.get(ctx, dayURL(i)); err != nil {
			return err
		}
		if _, err := s.get(ctx, weekURL(i)); err != nil {
			return err
		}
	}
	s.timing.reset()
	var dayClient, weekClient []time.Duration
	var dayBytes, weekBytes int
	for i := 0; i < cfg.Iterations; i++ {
		t0 := time.Now()
		n, err := s.get(ctx, dayURL(i))
		if err != nil {
			return err
		}
		dayClient, dayBytes = append(dayClient, time.Since(t0)), n
		t0 = time.Now()
		if n, err = s.get(ctx, weekURL(i)); err != nil {
			return err
		}
		weekClient, weekBytes = append(weekClient, time.Since(t0)), n
	}
	day, week := s.timing.of("/agenda"), s.timing.of("/agenda/week")
	fmt.Fprintf(cfg.Log, "day grid (%d agendas, %d kB): server p50 %.2f ms p99 %.2f ms, client p99 %.2f ms; week grid (%d kB): server p50 %.2f ms p99 %.2f ms, client p99 %.2f ms\n",
		len(w.agendas), dayBytes/1024, percentile(day, .5), percentile(day, .99), percentile(dayClient, .99),
		weekBytes/1024, percentile(week, .5), percentile(week, .99), percentile(weekClient, .99))
	return report(out, map[string]any{
		"bench": "pages", "db": string(db.Dialect()), "agendas": len(w.agendas), "week_agendas": cfg.WeekAgendas, "appointments": seeded,
		"iterations": cfg.Iterations, "day_kb": dayBytes / 1024, "week_kb": weekBytes / 1024,
		"day_p50_ms": percentile(day, .5), "day_p99_ms": percentile(day, .99),
		"week_p50_ms": percentile(week, .5), "week_p99_ms": percentile(week, .99),
		"day_client_p99_ms": percentile(dayClient, .99), "week_client_p99_ms": percentile(weekClient, .99),
	})
}

// pagesServer is the real server on a loopback port, with a receptionist signed in.
type pagesServer struct {
	hs     *http.Server
	base   string
	client *http.Client
	timing *timing
}

// startPages starts the server over db and signs in a receptionist of org through the
// sign-in form.
func startPages(ctx context.Context, db *store.DB, org clinic.OrgID, logw io.Writer) (*pagesServer, error) {
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn}))
	queue, err := jobs.New(db, jobs.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	sessions := session.New(db, queue, session.Config{Logger: log})
	srv, _, err := app.New(app.Config{Logger: log, DB: db, Sessions: sessions})
	if err != nil {
		return nil, err
	}
	const password = "bench pages password 2026"
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	email := fmt.Sprintf("reception-%d@bench.test", org)
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Staff().CreateUser(ctx, org, clinic.User{Email: email, Name: "Bench Reception", Role: clinic.RoleReception, PasswordHash: hash})
		return err
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tm := &timing{h: srv, d: map[string][]time.Duration{}}
	s := &pagesServer{hs: &http.Server{Handler: tm}, base: "http://" + ln.Addr().String(), timing: tm}
	go s.hs.Serve(ln)
	jar, _ := cookiejar.New(nil)
	// Idle connections enough for a few clients at once.
	s.client = &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}}
	resp, err := s.client.PostForm(s.base+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		s.close(ctx)
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/login" {
		s.close(ctx)
		return nil, fmt.Errorf("sign in: %s, at %s", resp.Status, resp.Request.URL.Path)
	}
	return s, nil
}

func (s *pagesServer) close(ctx context.Context) { s.hs.Shutdown(context.WithoutCancel(ctx)) }

// errNoGrid: a page answered without the grid, so what was measured is not the page the
// benchmark is about.
var errNoGrid = errors.New("the page shows no agenda grid")

// get fetches path and returns its size; anything but a 200 with the grid is an error.
func (s *pagesServer) get(ctx context.Context, path string) (int, error) {
	return s.getWith(ctx, path, `<section class="ag-col`, errNoGrid)
}

// getWith fetches path and returns its size; anything but a 200 whose body holds mark is
// an error (missing, when the mark is not there).
func (s *pagesServer) getWith(ctx context.Context, path, mark string, missing error) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if !strings.Contains(string(body), mark) {
		return 0, fmt.Errorf("GET %s: %w", path, missing)
	}
	return len(body), nil
}

// timing records the server's time per kind of request: from the handler's call to its
// return, when the page has been rendered, audited and written. key names a request's
// kind; nil keys by path.
type timing struct {
	h   http.Handler
	key func(*http.Request) string
	mu  sync.Mutex
	d   map[string][]time.Duration
}

func (t *timing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	t.h.ServeHTTP(w, r)
	d := time.Since(t0)
	k := r.URL.Path
	if t.key != nil {
		k = t.key(r)
	}
	t.mu.Lock()
	t.d[k] = append(t.d[k], d)
	t.mu.Unlock()
}

func (t *timing) reset() {
	t.mu.Lock()
	clear(t.d)
	t.mu.Unlock()
}

func (t *timing) of(key string) []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Duration(nil), t.d[key]...)
}
