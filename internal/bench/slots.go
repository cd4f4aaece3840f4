package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
)

// SlotsConfig sizes the slots benchmark. The defaults finish in about a minute.
type SlotsConfig struct {
	Practitioners int           // agendas offering the reason (50)
	Days          int           // availability window and seeded span (90)
	Bookings      int           // existing appointments to seed (10,000)
	Iterations    int           // in-process requests per measurement (200)
	HTTPDuration  time.Duration // length of the HTTP load phase (20 s)
	ReadRate      int           // availability requests per second over HTTP (100)
	WriteRate     int           // booking attempts per second over HTTP during it (50)
	Log           io.Writer     // progress lines
}

func (c *SlotsConfig) defaults() {
	if c.Practitioners <= 0 {
		c.Practitioners = 50
	}
	if c.Days <= 0 {
		c.Days = 90
	}
	if c.Bookings < 0 {
		c.Bookings = 0
	}
	if c.Iterations <= 0 {
		c.Iterations = 200
	}
	if c.HTTPDuration <= 0 {
		c.HTTPDuration = 20 * time.Second
	}
	if c.ReadRate <= 0 {
		c.ReadRate = 100
	}
	if c.WriteRate < 0 {
		c.WriteRate = 0
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

type slotsWorld struct {
	org      clinic.OrgID
	reason   clinic.ReasonID
	agendas  []clinic.AgendaID
	patients []clinic.PatientID
	loc      *time.Location
	from, to time.Time
}

// Slots seeds a clinic of cfg.Practitioners agendas with working hours and a lunch break,
// closed days, absences and cfg.Bookings appointments over cfg.Days days, then measures the
// full-window availability of one reason across all agendas and "first available, no
// preference": in process over the store, then over HTTP under a mixed read/write load.
func Slots(ctx context.Context, db *store.DB, cfg SlotsConfig, out io.Writer) error {
	cfg.defaults()
	if cfg.Days < 7 {
		// A shorter window may hold no working day at all (the seeding looked for one
		// forever when run on a Friday with --days 3).
		return fmt.Errorf("slots bench: --days %d: at least 7, so that the window holds working days", cfg.Days)
	}
	w, seeded, err := seedSettled(ctx, db, cfg, cfg.Log)
	if err != nil {
		return err
	}
	svc := booking.New(db)
	q := booking.Query{ReasonID: w.reason, From: w.from, To: w.to}

	// In process.
	var avail, first []time.Duration
	var statements, slots int
	for i := 0; i < cfg.Iterations; i++ {
		t0 := time.Now()
		var av booking.Availability
		err := db.View(ctx, func(tx *store.Tx) (err error) {
			av, err = svc.AvailabilityTx(ctx, tx, w.org, q)
			statements = tx.Statements()
			return err
		})
		if err != nil {
			return err
		}
		avail = append(avail, time.Since(t0))
		slots = 0
		for _, a := range av.Agendas {
			slots += len(a.Slots)
		}
		t0 = time.Now()
		if _, _, ok, err := svc.First(ctx, w.org, q); err != nil || !ok {
			return fmt.Errorf("first available: ok=%v err=%v", ok, err)
		}
		first = append(first, time.Since(t0))
	}
	// Cold, as production meets it after a restart or when every agenda changed: a View
	// (the read pool, no transaction) with the cache dropped, so every statement runs and
	// the engine computes all agendas.
	n := max(10, cfg.Iterations/4)
	var cold, inUpdate, floor []time.Duration
	for i := 0; i < n; i++ {
		svc.ForgetCache()
		t0 := time.Now()
		if _, err := svc.Availability(ctx, w.org, q); err != nil {
			return err
		}
		cold = append(cold, time.Since(t0))
	}
	// Inside a write transaction (rolled back) the cache is bypassed and everything runs on
	// the one connection of the transaction, as a booking's own availability check does.
	errRollback := errors.New("roll back")
	for i := 0; i < max(10, cfg.Iterations/10); i++ {
		t0 := time.Now()
		err := db.Update(ctx, func(tx *store.Tx) error {
			if _, err := svc.AvailabilityTx(ctx, tx, w.org, q); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			return err
		}
		inUpdate = append(inUpdate, time.Since(t0))
	}
	// The floor: the one indexed range scan of every agenda's busy intervals over the window
	// that any uncached answer needs, on one connection, with no engine and no cache.
	for i := 0; i < n; i++ {
		t0 := time.Now()
		err := db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.Schedule().BusyIntervals(ctx, w.org, w.agendas, w.from, w.to)
			return err
		})
		if err != nil {
			return err
		}
		floor = append(floor, time.Since(t0))
	}
	fmt.Fprintf(cfg.Log, "in process: availability p50 %.2f ms p99 %.2f ms (%d slots, %d statements); uncached p50 %.2f ms p99 %.2f ms (in a write transaction p50 %.2f ms p99 %.2f ms); first p50 %.2f ms p99 %.2f ms; floor (busy scan) p50 %.2f ms p99 %.2f ms\n",
		percentile(avail, .5), percentile(avail, .99), slots, statements, percentile(cold, .5), percentile(cold, .99),
		percentile(inUpdate, .5), percentile(inUpdate, .99), percentile(first, .5), percentile(first, .99), percentile(floor, .5), percentile(floor, .99))

	// Over HTTP.
	httpRes, err := slotsHTTP(ctx, db, w, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "http: %d availability requests, p50 %.2f ms p99 %.2f ms; %d booking attempts (%d booked, %d conflicts, %d other)\n",
		len(httpRes.reads), percentile(httpRes.reads, .5), percentile(httpRes.reads, .99), httpRes.writes, httpRes.booked, httpRes.conflicts, httpRes.other)
	return report(out, map[string]any{
		"bench": "slots", "db": string(db.Dialect()), "agendas": len(w.agendas), "days": cfg.Days, "appointments": seeded, "slots": slots,
		"statements_per_request": statements,
		"p50_ms":                 percentile(avail, .5), "p99_ms": percentile(avail, .99),
		"first_p50_ms": percentile(first, .5), "first_p99_ms": percentile(first, .99),
		"uncached_p50_ms": percentile(cold, .5), "uncached_p99_ms": percentile(cold, .99),
		"uncached_in_update_p50_ms": percentile(inUpdate, .5), "uncached_in_update_p99_ms": percentile(inUpdate, .99),
		"floor_busy_scan_p50_ms": percentile(floor, .5), "floor_busy_scan_p99_ms": percentile(floor, .99),
		"http_p50_ms": percentile(httpRes.reads, .5), "http_p99_ms": percentile(httpRes.reads, .99),
		"http_server_p99_ms_at_most": httpRes.serverP99,
		"http_reads_per_s":           round(float64(len(httpRes.reads)) / cfg.HTTPDuration.Seconds()),
		"http_writes_per_s":          round(float64(httpRes.writes) / cfg.HTTPDuration.Seconds()),
		"http_booked":                httpRes.booked, "http_errors": httpRes.other,
	})
}

// seedSettled seeds the slots world (seedSlots), brings PostgreSQL's statistics and
// visibility map to where autovacuum has them within a minute of such a load in production,
// and logs what it seeded. Without the VACUUM the busy scan, an index-only scan, also reads
// every heap page to check visibility (the floor was 11-14 ms without, 6-8 ms with it
// here), which a table in service does not.
func seedSettled(ctx context.Context, db *store.DB, cfg SlotsConfig, log io.Writer) (slotsWorld, int, error) {
	start := time.Now()
	w, seeded, err := seedSlots(ctx, db, cfg)
	if err != nil {
		return w, 0, fmt.Errorf("seed: %w", err)
	}
	if pool := db.PgxPool(); pool != nil {
		if _, err := pool.Exec(ctx, "VACUUM (ANALYZE) appointments"); err != nil {
			return w, 0, fmt.Errorf("vacuum: %w", err)
		}
	}
	fmt.Fprintf(log, "seeded %d agendas, %d appointments over %d days in %s\n", len(w.agendas), seeded, cfg.Days, time.Since(start).Round(time.Millisecond))
	return w, seeded, nil
}

func seedSlots(ctx context.Context, db *store.DB, cfg SlotsConfig) (slotsWorld, int, error) {
	var w slotsWorld
	w.loc, _ = time.LoadLocation("Australia/Sydney")
	now := db.Now()
	w.from = now
	w.to = now.Add(time.Duration(cfg.Days) * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(uint64(now.UnixNano()), 1))
	booked := 0
	err := db.Update(ctx, func(tx *store.Tx) error {
		o, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: "bench-" + strconv.FormatInt(now.UnixNano(), 36), Name: "Bench"})
		if err != nil {
			return err
		}
		w.org = o.ID
		d, err := tx.Directory().CreateDatabase(ctx, w.org, clinic.Database{Name: "PMS", Kind: clinic.KindBuiltin, Profile: clinic.ProfileGeneric, RespectOptOut: true})
		if err != nil {
			return err
		}
		c, err := tx.Directory().CreateClinic(ctx, w.org, clinic.Clinic{DatabaseID: d.ID, Slug: "bench", Name: "Bench Clinic", Zone: w.loc.String(), Region: "AU"})
		if err != nil {
			return err
		}
		var hours []clinic.WorkingHours
		for wd := time.Monday; wd <= time.Friday; wd++ {
			hours = append(hours, clinic.WorkingHours{Weekday: wd, Start: 8 * 60, End: 12*60 + 30}, clinic.WorkingHours{Weekday: wd, Start: 13*60 + 30, End: 18 * 60})
		}
		hours = append(hours, clinic.WorkingHours{Weekday: time.Saturday, Start: 9 * 60, End: 12 * 60})
		var practitioners []clinic.PractitionerID
		for i := 0; i < cfg.Practitioners; i++ {
			p, err := tx.Directory().CreatePractitioner(ctx, w.org, clinic.Practitioner{Name: fmt.Sprintf("Dr %03d", i)})
			if err != nil {
				return err
			}
			pid := p.ID
			a, err := tx.Directory().CreateAgenda(ctx, w.org, clinic.Agenda{ClinicID: c.ID, PractitionerID: &pid, Name: p.Name, Active: true})
			if err != nil {
				return err
			}
			if err := tx.Schedule().SetWorkingHours(ctx, w.org, a.ID, hours); err != nil {
				return err
			}
			// A closed day a month and a half-day absence every three weeks.
			for day := rng.IntN(30); day < cfg.Days; day += 30 {
				date := time.Date(now.Year(), now.Month(), now.Day()+day, 0, 0, 0, 0, w.loc).Format(time.DateOnly)
				if _, err := tx.Schedule().AddException(ctx, w.org, clinic.ScheduleException{AgendaID: a.ID, Day: date, Closed: true}); err != nil {
					return err
				}
			}
			for day := rng.IntN(21); day < cfg.Days; day += 21 {
				s := time.Date(now.Year(), now.Month(), now.Day()+day, 13, 30, 0, 0, w.loc)
				if _, err := tx.Schedule().CreateAbsence(ctx, w.org, clinic.Absence{PractitionerID: pid, Start: s, End: s.Add(4*time.Hour + 30*time.Minute)}); err != nil {
					return err
				}
			}
			w.agendas = append(w.agendas, a.ID)
			practitioners = append(practitioners, pid)
		}
		r, err := tx.Directory().CreateReason(ctx, w.org, clinic.Reason{ClinicID: c.ID, Name: "Standard consultation", Duration: 15 * time.Minute,
			Notifications: true, OnlineBookable: true, AgendaIDs: w.agendas})
		if err != nil {
			return err
		}
		w.reason = r.ID
		for i := 0; i < 500; i++ {
			p, err := tx.Patients().CreatePatient(ctx, w.org, clinic.Patient{DatabaseID: d.ID, GivenName: "Bench", FamilyName: strconv.Itoa(i), Language: "en"})
			if err != nil {
				return err
			}
			w.patients = append(w.patients, p.ID)
		}
		for tries := 0; booked < cfg.Bookings && tries < cfg.Bookings*4; tries++ {
			s := w.randomStart(rng, cfg.Days, now)
			a := w.agendas[rng.IntN(len(w.agendas))]
			_, err := tx.Appointments().CreateAppointment(ctx, w.org, clinic.Appointment{ClinicID: c.ID, AgendaID: a, ReasonID: r.ID, PatientID: w.patients[rng.IntN(len(w.patients))],
				Start: s, End: s.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff}) // checked, so the seed has no overlaps
			if err == nil {
				booked++
			} else if !isConflict(err) {
				return err
			}
		}
		return nil
	})
	return w, booked, err
}

// randomStart is a weekday working time on the 15-minute grid within the window.
func (w slotsWorld) randomStart(rng *rand.Rand, days int, now time.Time) time.Time {
	for {
		d := time.Date(now.Year(), now.Month(), now.Day()+1+rng.IntN(days-1), 0, 0, 0, 0, w.loc)
		if d.Weekday() == time.Sunday || d.Weekday() == time.Saturday {
			continue
		}
		m := 8*60 + 15*rng.IntN(40)
		if m >= 12*60+30 && m < 13*60+30 {
			continue
		}
		return time.Date(d.Year(), d.Month(), d.Day(), m/60, m%60, 0, 0, w.loc)
	}
}

func isConflict(err error) bool { return errors.Is(err, clinic.ErrConflict) }

type httpResult struct {
	reads                            []time.Duration
	writes, booked, conflicts, other int
	// serverP99 is the upper bound of the server's own latency histogram bucket that holds
	// its 99th percentile of availability requests: the server's view, without the load
	// generator's share of this machine's two cores.
	serverP99 float64
}

// serverP99 reads the availability route's latency histogram from /metrics and returns the
// bucket bound (ms) at which 99% of requests had finished.
func serverP99(metrics string) float64 {
	type bucket struct {
		le    float64
		count float64
	}
	var bs []bucket
	var total float64
	for _, line := range strings.Split(metrics, "\n") {
		if !strings.Contains(line, `route="GET /api/v1/availability"`) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "tidings_http_request_duration_seconds_bucket"):
			_, rest, _ := strings.Cut(line, `le="`)
			le, _, _ := strings.Cut(rest, `"`)
			if f, err := strconv.ParseFloat(le, 64); err == nil {
				bs = append(bs, bucket{f, v})
			}
		case strings.HasPrefix(line, "tidings_http_request_duration_seconds_count"):
			total = v
		}
	}
	for _, b := range bs {
		if total > 0 && b.count >= 0.99*total {
			return round(b.le * 1000)
		}
	}
	return -1
}

func slotsHTTP(ctx context.Context, db *store.DB, w slotsWorld, cfg SlotsConfig) (httpResult, error) {
	var res httpResult
	// Server errors (not request lines) go to the progress log, so a failing run says why.
	log := slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	queue, err := jobs.New(db, jobs.Config{Logger: log})
	if err != nil {
		return res, err
	}
	sessions := session.New(db, queue, session.Config{Logger: log})
	srv, _, err := app.New(app.Config{Logger: log, DB: db, Sessions: sessions})
	if err != nil {
		return res, err
	}
	plain, hash, err := auth.NewToken("tid_")
	if err != nil {
		return res, err
	}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Staff().CreateToken(ctx, w.org, clinic.Token{Name: "bench", Role: clinic.RoleReception}, hash)
		return err
	}); err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Shutdown(context.WithoutCancel(ctx))
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	readURL := base + "/api/v1/availability?" + url.Values{"reason_id": {strconv.FormatInt(int64(w.reason), 10)},
		"from": {w.from.Format(time.RFC3339)}, "to": {w.to.Format(time.RFC3339)}, "format": {"offsets"}}.Encode()
	do := func(req *http.Request) (int, error) {
		req.Header.Set("Authorization", "Bearer "+plain)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// Warm up connections and caches.
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", readURL, nil)
		if code, err := do(req); err != nil || code != 200 {
			return res, fmt.Errorf("availability over HTTP: %d %v", code, err)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(cfg.HTTPDuration)
	rng := rand.New(rand.NewPCG(9, 9))
	// Open loop: requests start on schedule whether or not earlier ones have finished, so
	// a slow server shows as latency, not as a lower request rate.
	pace := func(rate int, f func()) {
		defer wg.Done()
		if rate == 0 {
			return
		}
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for now := range tick.C {
			if now.After(deadline) {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		}
	}
	wg.Add(2)
	go pace(cfg.ReadRate, func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", readURL, nil)
		t0 := time.Now()
		code, err := do(req)
		d := time.Since(t0)
		mu.Lock()
		defer mu.Unlock()
		if err != nil || code != 200 {
			res.other++
			return
		}
		res.reads = append(res.reads, d)
	})
	go pace(cfg.WriteRate, func() {
		mu.Lock()
		s := w.randomStart(rng, cfg.Days, w.from)
		body, _ := json.Marshal(map[string]any{"reason_id": w.reason, "agenda_id": w.agendas[rng.IntN(len(w.agendas))],
			"patient_id": w.patients[rng.IntN(len(w.patients))], "start": s.Format(time.RFC3339)})
		mu.Unlock()
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/appointments", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		code, err := do(req)
		mu.Lock()
		defer mu.Unlock()
		res.writes++
		switch {
		case err == nil && code == http.StatusCreated:
			res.booked++
		case err == nil && code == http.StatusConflict:
			res.conflicts++
		default:
			res.other++
		}
	})
	wg.Wait()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	resp, err := client.Do(req)
	if err != nil {
		return res, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	res.serverP99 = serverP99(string(body))
	return res, nil
}
