package bench

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/portal"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
)

// PortalConfig sizes the portal benchmark. The defaults finish in about a minute.
type PortalConfig struct {
	Patients int           // simulated patients browsing and booking at once (200)
	Duration time.Duration // length of the measured phase (60 s)
	Agendas  int           // practitioners' agendas offering every reason (10)
	// Think is a patient's mean pause before each request (1 s; each pause is drawn
	// uniformly from half to one and a half times it). Negative: no pause, every patient
	// sends its next request as soon as the last one is answered (a closed loop at
	// saturation, where latency measures the queue, not the page).
	Think time.Duration
	Log   io.Writer // progress lines
}

func (c *PortalConfig) defaults() {
	if c.Patients <= 0 {
		c.Patients = 200
	}
	if c.Duration <= 0 {
		c.Duration = time.Minute
	}
	if c.Agendas <= 0 {
		c.Agendas = 10
	}
	if c.Think == 0 {
		c.Think = time.Second
	}
	if c.Think < 0 {
		c.Think = 0
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// portalWorld is what the portal benchmark seeds.
type portalWorld struct {
	org      clinic.OrgID
	clinic   clinic.ClinicID
	slug     string
	loc      *time.Location
	reasons  []clinic.ReasonID
	agendas  []clinic.AgendaID
	patients []portalPatient
}

// portalPatient is one simulated patient: their record and their session's token.
type portalPatient struct {
	id    clinic.PatientID
	token string
}

// Portal seeds a clinic whose patient portal takes bookings (cfg.Agendas agendas with
// weekday hours, three reasons bookable online on every agenda, "no preference" allowed)
// and cfg.Patients patients with an account and a session each, starts the real server on a
// loopback port, and has every patient browse and book in the portal for cfg.Duration,
// pausing cfg.Think (on average) before each request: home, the booking page's reason
// step, a practitioner or "no preference" (the days step, a week later when no day of the
// week is free), a day (the times step), one of the first five times offered (a time taken
// meanwhile is a 409, counted as taken, and the patient picks again from the page that
// says so, twice at most), then the appointment's page, and one time in three cancels it,
// so that times free up again. It reports the round trip of every page (all GETs) and of
// every booking (POST /book), p50 and p99, with the server's own time beside them, the
// outcomes, the errors (transport errors, 5xx, any other unexpected answer), and after the
// run the pairs of overlapping active appointments of one agenda in the database (double
// bookings, which must be 0) and the online bookings the database lacks or has too many of
// (lost, which must be 0).
func Portal(ctx context.Context, db *store.DB, cfg PortalConfig, out io.Writer) error {
	cfg.defaults()
	start := time.Now()
	w, err := seedPortal(ctx, db, cfg)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := analyze(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "seeded %d agendas, %d reasons, %d patients with accounts and sessions in %s\n",
		len(w.agendas), len(w.reasons), len(w.patients), time.Since(start).Round(time.Millisecond))

	log := slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	queue, err := jobs.New(db, jobs.Config{Logger: log})
	if err != nil {
		return err
	}
	sessions := session.New(db, queue, session.Config{Logger: log})
	srv, _, err := app.New(app.Config{Logger: log, DB: db, Sessions: sessions})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tm := &timing{h: srv, key: portalRoute, d: map[string][]time.Duration{}}
	hs := &http.Server{Handler: tm}
	go hs.Serve(ln)
	defer hs.Shutdown(context.WithoutCancel(ctx))
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Patients + 8, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	base := "http://" + ln.Addr().String() + "/p/" + w.slug

	sims := make([]*patientSim, len(w.patients))
	for i, p := range w.patients {
		sims[i] = &patientSim{w: &w, cfg: &cfg, base: base, p: p, rng: rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(i))),
			client: &http.Client{Transport: transport, Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	// Warm up, unmeasured: every patient's connection and session, the templates, the
	// availability of each reason over the first weeks.
	for _, s := range sims {
		if _, _, err := s.get(ctx, "/"); err != nil {
			return fmt.Errorf("warm up: %w", err)
		}
	}
	for _, r := range w.reasons {
		if _, _, err := sims[0].get(ctx, "/book?"+url.Values{"reason": {itoa(int64(r))}, "agenda": {"any"}}.Encode()); err != nil {
			return fmt.Errorf("warm up: %w", err)
		}
	}
	for _, s := range sims {
		s.res = portalResult{}
	}
	tm.reset()

	deadline := time.Now().Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, s := range sims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx, deadline)
		}()
	}
	wg.Wait()
	elapsed := cfg.Duration + time.Since(deadline)
	if err := ctx.Err(); err != nil {
		return err
	}

	var res portalResult
	for _, s := range sims {
		res.add(&s.res)
	}
	// After the run: no two active appointments of one agenda overlap, and the database
	// holds exactly the online bookings that were answered as made and not cancelled.
	var doubles, active int
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		if doubles, err = tx.Appointments().OverlappingAppointments(ctx, w.org); err != nil {
			return err
		}
		as, err := tx.Appointments().AppointmentsByTime(ctx, w.org, store.AppointmentFilter{ClinicID: w.clinic})
		for _, a := range as {
			if a.Status.Active() && a.BookedBy == clinic.BookedByPatient {
				active++
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("check the appointments: %w", err)
	}
	lost := res.booked - res.cancelled - active
	if lost < 0 {
		lost = -lost
	}

	for _, k := range tm.keys() {
		d := tm.of(k)
		fmt.Fprintf(cfg.Log, "server %-14s %6d requests, p50 %7.2f ms, p99 %7.2f ms, max %7.2f ms\n", k, len(d), percentile(d, .5), percentile(d, .99), percentile(d, 1))
	}
	fmt.Fprintf(cfg.Log, "client: %d pages p50 %.2f ms p99 %.2f ms; %d bookings (%d booked, %d taken) p50 %.2f ms p99 %.2f ms; %d cancelled; %d found no free day; %d errors; %.1f requests/s\n",
		len(res.pages), percentile(res.pages, .5), percentile(res.pages, .99), len(res.bookings), res.booked, res.taken,
		percentile(res.bookings, .5), percentile(res.bookings, .99), res.cancelled, res.full, res.errors, float64(res.requests())/elapsed.Seconds())
	serverPages := tm.pages()
	return report(out, map[string]any{
		"bench": "portal", "db": string(db.Dialect()), "patients": len(w.patients), "agendas": len(w.agendas), "reasons": len(w.reasons),
		"duration_s": round(elapsed.Seconds()), "think_ms": cfg.Think.Milliseconds(),
		"requests_per_s": round(float64(res.requests()) / elapsed.Seconds()),
		"pages":          len(res.pages), "page_p50_ms": percentile(res.pages, .5), "page_p99_ms": percentile(res.pages, .99),
		"bookings": len(res.bookings), "booking_p50_ms": percentile(res.bookings, .5), "booking_p99_ms": percentile(res.bookings, .99),
		"server_page_p99_ms": percentile(serverPages, .99), "server_booking_p99_ms": percentile(tm.of("POST book"), .99),
		"booked": res.booked, "taken": res.taken, "cancelled": res.cancelled, "cancel_p99_ms": percentile(res.cancels, .99),
		"no_free_day": res.full, "errors": res.errors, "double_bookings": doubles, "lost": lost,
	})
}

// analyze gives PostgreSQL's planner the statistics of the freshly filled tables of the
// app's schema, as autovacuum would within a minute of such a load in service.
func analyze(ctx context.Context, db *store.DB) error {
	pool := db.PgxPool()
	if pool == nil {
		return nil
	}
	rows, err := pool.Query(ctx, "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()")
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("analyze: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	if _, err := pool.Exec(ctx, "ANALYZE "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// seedPortal creates the organisation, its clinic with the portal on and taking bookings,
// the agendas and reasons, and the patients with their accounts and sessions.
func seedPortal(ctx context.Context, db *store.DB, cfg PortalConfig) (portalWorld, error) {
	var w portalWorld
	w.loc, _ = time.LoadLocation("Australia/Sydney")
	hash, err := portalPasswordHash()
	if err != nil {
		return w, err
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		pc, err := seedPortalClinic(ctx, tx, w.loc)
		if err != nil {
			return err
		}
		w.org, w.clinic, w.slug = pc.org, pc.clinic, pc.slug
		var hours []clinic.WorkingHours
		for wd := time.Monday; wd <= time.Friday; wd++ {
			hours = append(hours, clinic.WorkingHours{Weekday: wd, Start: 8 * 60, End: 12*60 + 30}, clinic.WorkingHours{Weekday: wd, Start: 13*60 + 30, End: 18 * 60})
		}
		for i := 0; i < cfg.Agendas; i++ {
			p, err := tx.Directory().CreatePractitioner(ctx, w.org, clinic.Practitioner{Name: fmt.Sprintf("Dr %03d", i)})
			if err != nil {
				return err
			}
			pid := p.ID
			a, err := tx.Directory().CreateAgenda(ctx, w.org, clinic.Agenda{ClinicID: pc.clinic, PractitionerID: &pid, Name: p.Name, Active: true})
			if err != nil {
				return err
			}
			if err := tx.Schedule().SetWorkingHours(ctx, w.org, a.ID, hours); err != nil {
				return err
			}
			w.agendas = append(w.agendas, a.ID)
		}
		for _, r := range []clinic.Reason{
			{Name: "Standard consultation", Duration: 15 * time.Minute},
			{Name: "Long consultation", Duration: 30 * time.Minute},
			{Name: "Vaccination", Duration: 15 * time.Minute},
		} {
			r.ClinicID, r.Notifications, r.OnlineBookable, r.OnlineFor, r.AgendaIDs = pc.clinic, true, true, clinic.OnlineForAll, w.agendas
			r, err := tx.Directory().CreateReason(ctx, w.org, r)
			if err != nil {
				return err
			}
			w.reasons = append(w.reasons, r.ID)
		}
		for i := 0; i < cfg.Patients; i++ {
			p, err := pc.addPatient(ctx, tx, i, hash)
			if err != nil {
				return err
			}
			w.patients = append(w.patients, p)
		}
		return nil
	})
	return w, err
}

// portalClinic is a bench organisation with one clinic whose patient portal is on.
type portalClinic struct {
	org    clinic.OrgID
	db     clinic.DatabaseID
	clinic clinic.ClinicID
	slug   string // the organisation's and the portal's
}

// portalPasswordHash is the one password hash of every bench account (argon2 is slow by
// design); nobody signs in with it: the sessions are created as a sign-in would.
func portalPasswordHash() (string, error) {
	return auth.HashPassword("bench portal password 2026")
}

// seedPortalClinic creates an organisation with a built-in clinical database and one clinic
// in zone loc whose portal is on and takes bookings (the default booking rules: 90 days
// ahead, "no preference", changes online).
func seedPortalClinic(ctx context.Context, tx *store.Tx, loc *time.Location) (portalClinic, error) {
	pc := portalClinic{slug: "bench-" + strconv.FormatInt(tx.Now.UnixNano(), 36)}
	o, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: pc.slug, Name: "Bench"})
	if err != nil {
		return pc, err
	}
	pc.org = o.ID
	d, err := tx.Directory().CreateDatabase(ctx, pc.org, clinic.Database{Name: "PMS", Kind: clinic.KindBuiltin, Profile: clinic.ProfileGeneric, RespectOptOut: true})
	if err != nil {
		return pc, err
	}
	pc.db = d.ID
	c, err := tx.Directory().CreateClinic(ctx, pc.org, clinic.Clinic{DatabaseID: d.ID, Slug: "bench", Name: "Bench Clinic", Zone: loc.String(), Region: "AU",
		Rules: clinic.DefaultBookingRules()})
	if err != nil {
		return pc, err
	}
	pc.clinic = c.ID
	err = tx.Portal().SavePortalSettings(ctx, store.PortalSettings{ClinicID: c.ID, OrgID: pc.org, Slug: pc.slug, Enabled: true, OnlineBooking: true,
		ButtonSize: "medium", ButtonColour: "#0b5cad"})
	return pc, err
}

// addPatient creates patient i of the clinic's database with a portal account (password
// hash) and a session of twelve hours, and returns the patient with the session's token.
func (pc portalClinic) addPatient(ctx context.Context, tx *store.Tx, i int, hash string) (portalPatient, error) {
	email := fmt.Sprintf("patient-%d@bench.test", i)
	p, err := tx.Patients().CreatePatient(ctx, pc.org, clinic.Patient{DatabaseID: pc.db, GivenName: "Bench", FamilyName: strconv.Itoa(i), Email: email, Language: "en"})
	if err != nil {
		return portalPatient{}, err
	}
	acct, err := tx.Portal().CreatePortalAccount(ctx, pc.org, email)
	if err != nil {
		return portalPatient{}, err
	}
	if err := tx.Portal().LinkPortalPatient(ctx, pc.org, acct.ID, p.ID); err != nil {
		return portalPatient{}, err
	}
	if err := tx.Portal().SetPortalPassword(ctx, pc.org, acct.ID, hash); err != nil {
		return portalPatient{}, err
	}
	plain, th, err := auth.NewToken("")
	if err != nil {
		return portalPatient{}, err
	}
	if _, err := tx.Portal().CreatePortalSession(ctx, pc.org, acct.ID, th, tx.Now.Add(12*time.Hour)); err != nil {
		return portalPatient{}, err
	}
	return portalPatient{id: p.ID, token: plain}, nil
}

// portalResult is what one patient (or all of them) measured.
type portalResult struct {
	pages, bookings, cancels               []time.Duration
	booked, taken, cancelled, full, errors int
}

func (r *portalResult) add(o *portalResult) {
	r.pages = append(r.pages, o.pages...)
	r.bookings = append(r.bookings, o.bookings...)
	r.cancels = append(r.cancels, o.cancels...)
	r.booked += o.booked
	r.taken += o.taken
	r.cancelled += o.cancelled
	r.full += o.full
	r.errors += o.errors
}

func (r *portalResult) requests() int { return len(r.pages) + len(r.bookings) + len(r.cancels) }

// patientSim is one simulated patient's browser.
type patientSim struct {
	w      *portalWorld
	cfg    *PortalConfig
	base   string // http://host/p/{slug}
	p      portalPatient
	rng    *rand.Rand
	client *http.Client
	res    portalResult
}

var (
	dayRE     = regexp.MustCompile(`data-day="(\d{4}-\d{2}-\d{2})"`)
	nextRE    = regexp.MustCompile(`href="([^"]*)" id="next-week"`)
	startRE   = regexp.MustCompile(`name="start" value="([^"]+)"`)
	versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)
	apptRE    = regexp.MustCompile(`/appointments/(\d+)`)
)

// errStop: the run is over (the deadline passed or the context ended).
var errStop = errors.New("stop")

// run loops through the patient's visits until the deadline.
func (s *patientSim) run(ctx context.Context, deadline time.Time) {
	// Patients arrive spread over the first pause, not all at once.
	if s.cfg.Think > 0 {
		if !sleepCtx(ctx, time.Duration(s.rng.Int64N(int64(s.cfg.Think)))) {
			return
		}
	}
	for ctx.Err() == nil && time.Now().Before(deadline) {
		err := s.visit(ctx, deadline)
		if err != nil && !errors.Is(err, errStop) {
			s.res.errors++
			if s.res.errors <= 3 {
				fmt.Fprintf(s.cfg.Log, "patient %d: %v\n", s.p.id, err)
			}
		}
	}
}

// pause waits the think time before a request, and says whether to send it.
func (s *patientSim) pause(ctx context.Context, deadline time.Time) error {
	if s.cfg.Think > 0 {
		d := s.cfg.Think/2 + time.Duration(s.rng.Int64N(int64(s.cfg.Think)+1))
		if !sleepCtx(ctx, d) {
			return errStop
		}
	}
	if ctx.Err() != nil || !time.Now().Before(deadline) {
		return errStop
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// page fetches a page after a pause, measured as a page; anything but a 200 is an error.
func (s *patientSim) page(ctx context.Context, deadline time.Time, path string) (string, error) {
	if err := s.pause(ctx, deadline); err != nil {
		return "", err
	}
	t0 := time.Now()
	code, body, err := s.get(ctx, path)
	if err != nil {
		return "", err
	}
	s.res.pages = append(s.res.pages, time.Since(t0))
	if code != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d", path, code)
	}
	return body, nil
}

// visit is one pass: home, the booking steps, a booking, its page and perhaps its
// cancellation.
func (s *patientSim) visit(ctx context.Context, deadline time.Time) error {
	if _, err := s.page(ctx, deadline, "/"); err != nil {
		return err
	}
	body, err := s.page(ctx, deadline, "/book")
	if err != nil {
		return err
	}
	if !strings.Contains(body, `id="reason"`) {
		return fmt.Errorf("GET /book: no reason step")
	}
	q := url.Values{"for": {itoa(int64(s.p.id))}, "reason": {itoa(int64(s.w.reasons[s.rng.IntN(len(s.w.reasons))]))}, "agenda": {"any"}}
	if s.rng.IntN(2) == 0 {
		q.Set("agenda", itoa(int64(s.w.agendas[s.rng.IntN(len(s.w.agendas))])))
	}
	// The days step; a week later while no day of the week has a free time the clinic
	// lets the patient cancel online (two days ahead or more).
	path := "/book?" + q.Encode()
	soonest := time.Now().In(s.w.loc).AddDate(0, 0, 2).Format(time.DateOnly)
	var day string
	for week := 0; day == ""; week++ {
		if body, err = s.page(ctx, deadline, path); err != nil {
			return err
		}
		if !strings.Contains(body, `id="day-step"`) {
			return fmt.Errorf("GET %s: no day step", path)
		}
		var days []string
		for _, m := range dayRE.FindAllStringSubmatch(body, -1) {
			if m[1] >= soonest {
				days = append(days, m[1])
			}
		}
		if len(days) > 0 {
			day = days[s.rng.IntN(min(3, len(days)))] // one of the first three free days
			break
		}
		m := nextRE.FindStringSubmatch(body)
		if m == nil || week > 13 {
			s.res.full++
			return nil
		}
		path = "/book" + strings.SplitN(html.UnescapeString(m[1]), "#", 2)[0]
	}
	q.Set("day", day)
	q.Set("from", day)
	if body, err = s.page(ctx, deadline, "/book?"+q.Encode()); err != nil {
		return err
	}
	// Book one of the first five times; a time taken meanwhile answers 409 with the day's
	// times as they now are, from which the patient picks again (twice at most).
	var loc string
	for try := 0; try < 3; try++ {
		starts := startRE.FindAllStringSubmatch(body, -1)
		if len(starts) == 0 {
			return nil // the day filled up meanwhile: start again
		}
		form := url.Values{"for": q["for"], "reason": q["reason"], "agenda": q["agenda"], "start": {starts[s.rng.IntN(min(5, len(starts)))][1]}}
		if err := s.pause(ctx, deadline); err != nil {
			return err
		}
		t0 := time.Now()
		code, b, l, err := s.post(ctx, "/book", form)
		if err != nil {
			return err
		}
		s.res.bookings = append(s.res.bookings, time.Since(t0))
		if code == http.StatusConflict {
			s.res.taken++
			body = b
			continue
		}
		if code != http.StatusSeeOther || apptRE.FindString(l) == "" {
			return fmt.Errorf("POST /book: %d, to %q", code, l)
		}
		s.res.booked++
		loc = l
		break
	}
	if loc == "" {
		return nil
	}
	id := apptRE.FindStringSubmatch(loc)[1]
	if body, err = s.page(ctx, deadline, "/appointments/"+id+"?done=booked"); err != nil {
		return err
	}
	if s.rng.IntN(3) != 0 {
		return nil
	}
	m := versionRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `id="cancel-form"`) {
		return fmt.Errorf("GET /appointments/%s: no cancel form", id)
	}
	if err := s.pause(ctx, deadline); err != nil {
		return err
	}
	t0 := time.Now()
	code, _, _, err := s.post(ctx, "/appointments/"+id+"/cancel", url.Values{"version": {m[1]}})
	if err != nil {
		return err
	}
	s.res.cancels = append(s.res.cancels, time.Since(t0))
	if code != http.StatusSeeOther {
		return fmt.Errorf("POST /appointments/%s/cancel: %d", id, code)
	}
	s.res.cancelled++
	return nil
}

// get fetches base+path with the patient's session.
func (s *patientSim) get(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	code, body, _, err := s.do(req)
	return code, body, err
}

// post sends a form to base+path and returns the status, the body and the redirect.
func (s *patientSim) post(ctx context.Context, path string, form url.Values) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

func (s *patientSim) do(req *http.Request) (int, string, string, error) {
	req.AddCookie(&http.Cookie{Name: portal.CookieName, Value: s.p.token})
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location"), nil
}

// portalRoute names a request's kind: the route, and for the booking page its step.
func portalRoute(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // p, slug, ...
	var k string
	switch {
	case len(parts) <= 2:
		k = "home"
	case parts[2] == "book" && r.Method == http.MethodGet:
		q := r.URL.Query()
		switch {
		case q.Get("day") != "":
			k = "book:times"
		case q.Get("agenda") != "":
			k = "book:days"
		default:
			k = "book:reasons"
		}
	case parts[2] == "book":
		k = "book"
	case parts[2] == "appointments" && len(parts) > 4:
		k = parts[4]
	case parts[2] == "appointments":
		k = "appointment"
	default:
		k = parts[2]
	}
	return r.Method + " " + k
}

// pages is the server's time of every GET.
func (t *timing) pages() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []time.Duration
	for k, d := range t.d {
		if strings.HasPrefix(k, "GET ") {
			out = append(out, d...)
		}
	}
	return out
}

func (t *timing) keys() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ks []string
	for k := range t.d {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
