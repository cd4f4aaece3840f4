package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
)

// DispatchConfig sizes the dispatch benchmark.
type DispatchConfig struct {
	// Backlog is how many reminders are due at once for the drain phase.
	Backlog int
	// Rate and Steady are the steady phase: Rate reminders falling due per second for Steady.
	Rate   int
	Steady time.Duration
	// Batch, Workers and Parallel tune the dispatcher (0: its defaults).
	Batch, Workers, Parallel int
}

func (c *DispatchConfig) defaults() {
	if c.Backlog <= 0 {
		c.Backlog = 20000
	}
	if c.Rate <= 0 {
		c.Rate = 500
	}
	if c.Steady <= 0 {
		c.Steady = time.Minute
	}
}

// provider is a loopback Twilio-compatible Messages endpoint: it checks the account and basic
// auth, reads the form, answers a message resource, and records when each notification (named
// by the n= of its status callback URL) arrived, so lateness and duplicates are counted at the
// provider, where a patient would see them.
type provider struct {
	sid, token string
	mu         sync.Mutex
	received   map[int64]time.Time
	dupes      int
	count      atomic.Int64
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/Accounts/"+p.sid+"/Messages.json") || r.Method != http.MethodPost {
		http.Error(w, `{"code":20404,"message":"not found","status":404}`, http.StatusNotFound)
		return
	}
	if u, pw, ok := r.BasicAuth(); !ok || u != p.sid || pw != p.token {
		http.Error(w, `{"code":20003,"message":"Authenticate","status":401}`, http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("To") == "" || r.PostForm.Get("Body") == "" {
		http.Error(w, `{"code":21602,"message":"Message body is required.","status":400}`, http.StatusBadRequest)
		return
	}
	now := time.Now()
	cb, _ := url2id(r.PostForm.Get("StatusCallback"))
	p.mu.Lock()
	if _, ok := p.received[cb]; ok {
		p.dupes++
	} else {
		p.received[cb] = now
	}
	p.mu.Unlock()
	n := p.count.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid":"SM%032d","account_sid":%q,"to":%q,"from":%q,"body":"","status":"queued","num_segments":"1","direction":"outbound-api","date_created":%q}`,
		n, p.sid, r.PostForm.Get("To"), r.PostForm.Get("From"), now.UTC().Format(time.RFC1123Z))
}

// startProvider starts a loopback provider and returns it, its base URL and what stops it.
func startProvider() (*provider, string, func(), error) {
	p := &provider{sid: "AC" + strings.Repeat("b", 32), token: "bench-token-0123456789", received: map[int64]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	hs := &http.Server{Handler: p}
	go hs.Serve(ln)
	return p, "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}

// loopbackClient is the dispatcher's HTTP client to the loopback provider, with idle
// connections enough for its concurrent sends.
func loopbackClient() *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}
}

// smsAnyHour sends a clinic's SMS through the loopback provider p at base, at any hour: a
// bench must not wait for the clinic's window.
func smsAnyHour(ctx context.Context, tx *store.Tx, org clinic.OrgID, cl clinic.ClinicID, p *provider, base string) error {
	if err := tx.Notifications().PutNotifySettings(ctx, org, store.NotifySettings{ClinicID: cl, Channels: "sms", ReminderOffsets: "24h",
		GraceSeconds: 0, QuietFrom: "00:00", QuietTo: "24:00", RemindConfirmed: true}); err != nil {
		return err
	}
	_, err := tx.Notifications().PutSMSAccount(ctx, org, store.SMSAccount{BaseURL: base, AccountSID: p.sid, AuthToken: p.token, Sender: "+61400000000"})
	return err
}

func url2id(u string) (int64, error) {
	_, q, ok := strings.Cut(u, "?n=")
	if !ok {
		return 0, errors.New("no n=")
	}
	return strconv.ParseInt(q, 10, 64)
}

// dispatchWorld is the bench organisation.
type dispatchWorld struct {
	org     clinic.OrgID
	clinic  clinic.ClinicID
	agenda  clinic.AgendaID
	reason  clinic.ReasonID
	db      clinic.DatabaseID
	patient int // patients made so far
}

// Dispatch measures the notification dispatcher end to end (NOT-6): N reminders due now are
// drained (decided, rendered, sent to a loopback Twilio-compatible server over HTTP, the
// provider's id recorded), then a steady Rate per second fall due for Steady and their
// lateness (provider receipt − due time) is measured. It prints sends_per_s,
// lateness_p50_ms/p99_ms, early (received before due), duplicates, lost and max_rss_mb.
func Dispatch(ctx context.Context, db *store.DB, cfg DispatchConfig, out io.Writer) error {
	cfg.defaults()
	p, base, stopProvider, err := startProvider()
	if err != nil {
		return err
	}
	defer stopProvider()

	w, err := seedDispatch(ctx, db, p, base)
	if err != nil {
		return err
	}
	sms := &dispatch.SMS{PublicURL: "https://bench.invalid", HTTP: loopbackClient(), Breakers: dispatch.NewBreakers(db.Now)}
	d := dispatch.New(db, dispatch.Config{Batch: cfg.Batch, Workers: cfg.Workers, Parallel: cfg.Parallel, PublicURL: "https://bench.invalid"},
		dispatch.Senders{SMS: sms}, slog.New(slog.DiscardHandler))
	if err := d.Maintain(ctx); err != nil {
		return err
	}

	// Phase 1: the backlog.
	fmt.Fprintf(out, "seeding %d reminders due now…\n", cfg.Backlog)
	due := map[int64]time.Time{}
	ids, err := w.plan(ctx, db, cfg.Backlog, func(int) time.Time { return db.Now() })
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "draining %d…\n", len(ids))
	start := time.Now()
	for _, id := range ids {
		due[id] = start
	}
	runCtx, stop := context.WithCancel(ctx)
	var runErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); runErr = d.Run(runCtx) }()
	for p.count.Load() < int64(len(ids)) && time.Since(start) < 10*time.Minute {
		time.Sleep(5 * time.Millisecond)
	}
	drain := time.Since(start)
	rate := float64(len(ids)) / drain.Seconds()
	fmt.Fprintf(out, "drained %d in %s: %.0f sends/s\n", len(ids), drain.Round(time.Millisecond), rate)

	// Phase 2: steady, Rate due per second. The patients and appointments are made first;
	// during the phase only the notifications are written, a tick's worth a second ahead of
	// their due times, as the booking use cases would have planned them.
	fmt.Fprintf(out, "steady %d due/s for %s…\n", cfg.Rate, cfg.Steady)
	tick := 100 * time.Millisecond
	perTick := max(1, cfg.Rate/10)
	ticks := int(cfg.Steady / tick)
	pending, err := w.prepareSteady(ctx, db, perTick*ticks)
	if err != nil {
		stop()
		return err
	}
	var steadyIDs []int64
	t0 := time.Now()
	for k := range ticks {
		time.Sleep(time.Until(t0.Add(time.Duration(k) * tick)))
		base := time.Now().Add(time.Second)
		batch := pending[k*perTick : (k+1)*perTick]
		for i := range batch {
			batch[i].Due = base.Add(time.Duration(i) * tick / time.Duration(perTick)).Truncate(time.Microsecond)
		}
		var ids []int64
		if err := db.Update(ctx, func(tx *store.Tx) error {
			var err error
			ids, err = tx.Notifications().PlanNotifications(ctx, w.org, batch)
			return err
		}); err != nil {
			stop()
			return err
		}
		for i, id := range ids {
			due[id] = batch[i].Due
		}
		steadyIDs = append(steadyIDs, ids...)
	}
	want := int64(len(ids) + len(steadyIDs))
	end := time.Now().Add(30 * time.Second)
	for p.count.Load() < want && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if runErr != nil {
		return runErr
	}
	var lateness []time.Duration
	early := 0
	p.mu.Lock()
	for _, id := range steadyIDs {
		at, ok := p.received[id]
		if !ok {
			continue
		}
		if at.Before(due[id]) {
			early++
		}
		lateness = append(lateness, at.Sub(due[id]))
	}
	dupes := p.dupes
	p.mu.Unlock()
	lost, err := countUnsettled(ctx, db, w.org)
	if err != nil {
		return err
	}
	return report(out, map[string]any{"bench": "dispatch", "dialect": string(db.Dialect()), "backlog": len(ids), "sends_per_s": round(rate),
		"steady_rate": cfg.Rate, "steady_sent": len(lateness), "lateness_p50_ms": percentile(lateness, 0.5), "lateness_p99_ms": percentile(lateness, 0.99),
		"early": early, "duplicates": dupes, "lost": lost, "max_rss_mb": maxRSS()})
}

// countUnsettled counts the bench's notifications not in a final state, or in one without
// having reached the provider.
func countUnsettled(ctx context.Context, db *store.DB, org clinic.OrgID) (int, error) {
	n := 0
	err := db.View(ctx, func(tx *store.Tx) error {
		var after int64
		for {
			ns, err := tx.Notifications().ListNotifications(ctx, org, store.NotificationFilter{Page: store.Page{After: after, Limit: 500}})
			if err != nil {
				return err
			}
			for _, x := range ns {
				if x.State != store.NoteSent && x.State != store.NoteDelivered {
					n++
				}
			}
			if len(ns) < 500 {
				return nil
			}
			after = ns[len(ns)-1].ID
		}
	})
	return n, err
}

// maxRSS is the process's peak resident set in MB (Linux), 0 where unknown.
func maxRSS() float64 { return round(float64(procStatusKB("self", "VmHWM")) / 1024) }

// procStatusKB reads a field in kB (VmRSS, VmHWM) of process pid's /proc status ("self":
// this one's), 0 where unknown.
func procStatusKB(pid, field string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

func seedDispatch(ctx context.Context, db *store.DB, p *provider, base string) (*dispatchWorld, error) {
	w := &dispatchWorld{}
	now := db.Now()
	err := db.Update(ctx, func(tx *store.Tx) error {
		o, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: "dispatch-" + strconv.FormatInt(now.UnixNano(), 36), Name: "Bench"})
		if err != nil {
			return err
		}
		w.org = o.ID
		d, err := tx.Directory().CreateDatabase(ctx, w.org, clinic.Database{Name: "PMS", Kind: clinic.KindBuiltin, Profile: clinic.ProfileGeneric, RespectOptOut: true})
		if err != nil {
			return err
		}
		w.db = d.ID
		c, err := tx.Directory().CreateClinic(ctx, w.org, clinic.Clinic{DatabaseID: d.ID, Slug: "bench", Name: "Bench Clinic", Zone: "Australia/Sydney", Region: "AU"})
		if err != nil {
			return err
		}
		w.clinic = c.ID
		pr, err := tx.Directory().CreatePractitioner(ctx, w.org, clinic.Practitioner{Name: "Dr Bench"})
		if err != nil {
			return err
		}
		pid := pr.ID
		a, err := tx.Directory().CreateAgenda(ctx, w.org, clinic.Agenda{ClinicID: c.ID, PractitionerID: &pid, Name: pr.Name, Active: true})
		if err != nil {
			return err
		}
		w.agenda = a.ID
		r, err := tx.Directory().CreateReason(ctx, w.org, clinic.Reason{ClinicID: c.ID, Name: "Consultation", Duration: 15 * time.Minute,
			Notifications: true, AgendaIDs: []clinic.AgendaID{a.ID}})
		if err != nil {
			return err
		}
		w.reason = r.ID
		return smsAnyHour(ctx, tx, w.org, c.ID, p, base)
	})
	return w, err
}

// plan makes n patients with an appointment and a planned SMS reminder due at due(i).
func (w *dispatchWorld) plan(ctx context.Context, db *store.DB, n int, due func(int) time.Time) ([]int64, error) {
	ns, err := w.prepareSteady(ctx, db, n)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for done := 0; done < len(ns); done += 500 {
		batch := ns[done:min(done+500, len(ns))]
		for i := range batch {
			batch[i].Due = due(done + i)
		}
		if err := db.Update(ctx, func(tx *store.Tx) error {
			got, err := tx.Notifications().PlanNotifications(ctx, w.org, batch)
			ids = append(ids, got...)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// prepareSteady makes n patients (one mobile each, so no two reminders share an SMS) with an
// appointment tomorrow, in transactions of 1,000, and returns their reminders, not yet
// written and without due times.
func (w *dispatchWorld) prepareSteady(ctx context.Context, db *store.DB, n int) ([]store.Notification, error) {
	ns := make([]store.Notification, 0, n)
	for done := 0; done < n; {
		k := min(1000, n-done)
		err := db.Update(ctx, func(tx *store.Tx) error {
			for range k {
				w.patient++
				pt, err := tx.Patients().CreatePatient(ctx, w.org, clinic.Patient{DatabaseID: w.db, GivenName: "Pat", FamilyName: strconv.Itoa(w.patient),
					Mobile: fmt.Sprintf("+614%08d", w.patient), Language: "en"})
				if err != nil {
					return err
				}
				start := tx.Now.Add(24*time.Hour + time.Duration(w.patient%5000)*time.Minute).Truncate(time.Minute)
				a, err := tx.Appointments().CreateAppointment(ctx, w.org, clinic.Appointment{ClinicID: w.clinic, AgendaID: w.agenda, ReasonID: w.reason,
					PatientID: pt.ID, Start: start, End: start.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedBySync})
				if err != nil {
					return err
				}
				ns = append(ns, store.Notification{ClinicID: w.clinic, PatientID: pt.ID, AppointmentID: a.ID, Kind: notify.KindReminder,
					Purpose: "reminder", Channel: "sms", Offset: "24h", Deadline: a.Start})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		done += k
	}
	return ns, nil
}
