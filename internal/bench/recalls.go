package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// RecallsConfig sizes the recalls benchmark. The defaults finish in about a minute on the
// 2-core VM; the figures are --results 100000 --patients 20000.
type RecallsConfig struct {
	Results  int // actioned results sent, one ORU^R01 each (20,000)
	Patients int // patients they are about, Results/Patients each (4,000)
	// Days spreads each patient's results over that many days performed (3), so that
	// several fall on one day and are grouped into one recall (RES-6).
	Days int
	// ManualEvery makes one result in ManualEvery (10) a manual action ("Return urgently"),
	// at most one per patient and day, the rest "Non-urgent appointment" (a template).
	ManualEvery int
	Connections int // MLLP connections sending at once (8)
	// Checklist is the least number of open checklist items the page is measured over
	// (10,000): the manual recalls of the intake, topped up with manual recalls written
	// straight to the store.
	Checklist int
	Clients   int           // concurrent clients of the checklist page (4)
	Duration  time.Duration // length of the checklist phase (15 s)
	Log       io.Writer     // progress lines
}

func (c *RecallsConfig) defaults() {
	if c.Results <= 0 {
		c.Results = 20000
	}
	if c.Patients <= 0 {
		c.Patients = 4000
	}
	c.Patients = min(c.Patients, c.Results)
	if c.Days <= 0 {
		c.Days = 3
	}
	if c.ManualEvery <= 0 {
		c.ManualEvery = 10
	}
	if c.Connections <= 0 {
		c.Connections = 8
	}
	if c.Checklist <= 0 {
		c.Checklist = 10000
	}
	if c.Clients <= 0 {
		c.Clients = 4
	}
	if c.Duration <= 0 {
		c.Duration = 15 * time.Second
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// recallsWorld is what the recalls benchmark seeds.
type recallsWorld struct {
	org      clinic.OrgID
	clinic   clinic.ClinicID
	db       clinic.DatabaseID
	facility string
	loc      *time.Location
}

// checklistMark is in every seeded patient's family name: a checklist page that lists
// recalls shows it.
const checklistMark = "Recallbench"

var errNoChecklist = errors.New("the page lists no recall of the seeded patients")

// Recalls measures results and recalls end to end (issue #12, RES-1..RES-7), in three
// phases over one Best Practice HL7 v2 database, its clinic sending SMS through a loopback
// Twilio-compatible provider at any hour:
//
//  1. Intake: cfg.Results ORU^R01 messages, each one actioned result (a ZRA segment) of one
//     of cfg.Patients patients (each with a mobile), sent over cfg.Connections MLLP
//     connections to the real listener and service, every sender waiting for each AA. Each
//     patient's results fall on cfg.Days days, so the results of a day are grouped into one
//     recall; one in cfg.ManualEvery is "Return urgently" (manual: its day goes to the
//     checklist, a step already planned withdrawn), the others "Non-urgent appointment",
//     whose default template's first step (an SMS, delay 0) is planned at once. It reports
//     results/s (the whole phase: from the first message to the last ACK).
//  2. First steps: then the real dispatcher (as serve wires it, recall links included) runs
//     until every active recall's first step reached the provider; it reports the time from
//     the end of the intake to the last first step's arrival at the provider, and fails the
//     steps that did not arrive as errors.
//  3. Checklist: the checklist is topped up to cfg.Checklist open items with manual recalls
//     written to the store, a receptionist signs in to the real server, and cfg.Clients
//     clients GET /recalls (the first page) and /recalls?why=manual_action in turn for
//     cfg.Duration. It reports the server's time per page (handler call to return, audit
//     included), p50 and p99, the client's p99 beside it, and errors.
func Recalls(ctx context.Context, db *store.DB, cfg RecallsConfig, out io.Writer) error {
	cfg.defaults()
	p, base, stopProvider, err := startProvider()
	if err != nil {
		return err
	}
	defer stopProvider()
	t0 := time.Now()
	w, err := seedRecalls(ctx, db, cfg, p, base)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := analyze(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "seeded %d patients in %s\n", cfg.Patients, time.Since(t0).Round(time.Millisecond))

	// The dispatcher as serve wires it (recall links minted), built now, run after intake.
	svc, err := app.NewServices(db, app.Notify{PublicURL: "https://bench.invalid", HTTP: loopbackClient()},
		slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	if err := svc.Dispatcher.Maintain(ctx); err != nil {
		return err
	}

	// Phase 1: intake.
	addr, stopIntake, err := startIntake(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "intake: %d results over %d connections…\n", cfg.Results, cfg.Connections)
	var seq atomic.Int64
	now := db.Now()
	intake, err := drive(ctx, addr, cfg.Connections, cfg.Results, 0, func(bool) []byte {
		return resultMessage(w, cfg, int(seq.Add(1))-1, now)
	})
	stopIntake()
	if err != nil {
		return err
	}
	intakeEnd := time.Now()
	var stored int
	var states map[string]int
	err = db.View(ctx, func(tx *store.Tx) error {
		if stored, err = tx.Sync().CountResults(ctx, w.org, w.db); err != nil {
			return err
		}
		states, err = sequenceStates(ctx, tx, w.org)
		return err
	})
	if err != nil {
		return err
	}
	sequences := 0
	for _, n := range states {
		sequences += n
	}
	fmt.Fprintf(cfg.Log, "intake: %.0f results/s, ACK p99 %.1f ms; %d results stored, %d recalls %v\n",
		intake.rate, percentile(intake.acks, .99), stored, sequences, states)
	if stored != cfg.Results {
		return fmt.Errorf("bench recalls: %d results stored for %d acknowledged", stored, cfg.Results)
	}

	// Phase 2: every active recall's first step to the provider.
	active := states[store.SeqActive]
	fmt.Fprintf(cfg.Log, "dispatching %d first steps…\n", active)
	first, err := firstSteps(ctx, db, svc.Dispatcher.Run, p, w, active, intakeEnd)
	if err != nil {
		return err
	}
	firstS := 0.0
	if first.steps > 0 {
		firstS = first.last.Sub(intakeEnd).Seconds()
	}
	fmt.Fprintf(cfg.Log, "first steps: %d sent in %.2f s after the intake (%d not sent, %d duplicates)\n", first.steps, firstS, first.unsent, first.duplicates)

	// Phase 3: the checklist page.
	items, err := topUpChecklist(ctx, db, w, cfg)
	if err != nil {
		return err
	}
	if err := analyze(ctx, db); err != nil {
		return err
	}
	ck, err := measureChecklist(ctx, db, w, cfg)
	if err != nil {
		return err
	}
	all, why := ck.timing.of("all"), ck.timing.of("why")
	fmt.Fprintf(cfg.Log, "checklist over %d items (%d kB): server p50 %.2f ms p99 %.2f ms; ?why=manual_action p50 %.2f ms p99 %.2f ms; client p99 %.2f ms; %d requests, %d errors\n",
		items, ck.bytes/1024, percentile(all, .5), percentile(all, .99), percentile(why, .5), percentile(why, .99),
		percentile(ck.client, .99), len(ck.client), ck.errors)
	return report(out, map[string]any{
		"bench": "recalls", "db": string(db.Dialect()), "results": cfg.Results, "patients": cfg.Patients, "days": cfg.Days,
		"connections": cfg.Connections, "intake_results_per_s": round(intake.rate), "intake_s": round(float64(cfg.Results) / intake.rate),
		"ack_p99_ms": percentile(intake.acks, .99), "sequences": sequences, "sequences_active": active, "sequences_manual": states[store.SeqManual],
		"first_steps": first.steps, "first_steps_s": round(firstS), "first_steps_unsent": first.unsent, "duplicates": first.duplicates,
		"checklist_items": items, "checklist_kb": ck.bytes / 1024, "checklist_requests": len(ck.client),
		"checklist_p50_ms": percentile(all, .5), "checklist_p99_ms": percentile(all, .99),
		"checklist_why_p50_ms": percentile(why, .5), "checklist_why_p99_ms": percentile(why, .99),
		"checklist_client_p99_ms": percentile(ck.client, .99), "errors": first.unsent + first.duplicates + ck.errors, "max_rss_mb": maxRSS(),
	})
}

// seedRecalls makes the organisation, its Best Practice HL7 v2 database (with a facility of
// its own, so runs against one database do not collide), its clinic sending SMS at any hour
// through p, and the patients, each with a mobile, in transactions of 2,000.
func seedRecalls(ctx context.Context, db *store.DB, cfg RecallsConfig, p *provider, base string) (recallsWorld, error) {
	var w recallsWorld
	err := db.Update(ctx, func(tx *store.Tx) error {
		o, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: fmt.Sprintf("bench-recalls-%d", time.Now().UnixNano()), Name: "Recalls bench"})
		if err != nil {
			return err
		}
		w.org = o.ID
		d, err := tx.Directory().CreateDatabase(ctx, w.org, clinic.Database{Name: "PMS", Kind: clinic.KindHL7v2, Profile: clinic.ProfileBestPractice, RespectOptOut: true})
		if err != nil {
			return err
		}
		w.db = d.ID
		c, err := tx.Directory().CreateClinic(ctx, w.org, clinic.Clinic{DatabaseID: d.ID, Slug: "recalls", Name: "Recalls clinic", Zone: "Australia/Sydney", Region: "AU"})
		if err != nil {
			return err
		}
		w.clinic = c.ID
		if w.loc, err = c.Location(); err != nil {
			return err
		}
		w.facility = fmt.Sprintf("BENCH%d", d.ID)
		if err := tx.Sync().SetHL7Facility(ctx, w.org, d.ID, w.facility); err != nil {
			return err
		}
		return smsAnyHour(ctx, tx, w.org, c.ID, p, base)
	})
	if err != nil {
		return w, err
	}
	for done := 0; done < cfg.Patients; {
		k := min(2000, cfg.Patients-done)
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i := done; i < done+k; i++ {
				if _, err := tx.Patients().CreatePatient(ctx, w.org, clinic.Patient{DatabaseID: w.db, ExternalID: fmt.Sprintf("P%d", i),
					GivenName: "Bench", FamilyName: fmt.Sprintf("%s %d", checklistMark, i), BirthDate: "1970-03-05",
					Mobile: fmt.Sprintf("+614%08d", i), Language: "en"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return w, err
		}
		done += k
	}
	return w, nil
}

// recallTests are the tests the results name, a recall's title joining those of its day.
var recallTests = []string{"FBC^Full blood count", "LIPID^Lipid studies", "HBA1C^HbA1c", "FE^Iron studies", "TFT^Thyroid function"}

// resultMessage is the i-th ORU^R01 (i from 0): one result of patient i mod Patients, its
// round r = i / Patients performed r mod Days days before the last day (8 am in the
// clinic's zone, a minute a round later), actioned "Return urgently" when (patient + r) mod
// ManualEvery is 0 and "Non-urgent appointment" otherwise, in a Best Practice shape (the
// category in ZRA-6).
func resultMessage(w recallsWorld, cfg RecallsConfig, i int, now time.Time) []byte {
	pt, r := i%cfg.Patients, i/cfg.Patients
	day := now.In(w.loc)
	performed := time.Date(day.Year(), day.Month(), day.Day()-1-r%cfg.Days, 8, r%60, 0, 0, w.loc)
	action := "Non-urgent appointment"
	if (pt+r)%cfg.ManualEvery == 0 {
		action = "Return urgently"
	}
	const dtm = "20060102150405-0700"
	var b strings.Builder
	fmt.Fprintf(&b, "MSH|^~\\&|BPS|%s|TIDINGS|TIDINGS|%s||ORU^R01^ORU_R01|R%d|P|2.4\r", w.facility, now.In(w.loc).Format(dtm), i)
	fmt.Fprintf(&b, "PID|1||P%d^^^BPS^MR||%s %d^BENCH||19700305\r", pt, strings.ToUpper(checklistMark), pt)
	fmt.Fprintf(&b, "OBR|1|ORD%d^BPS|LAB%d^QML|%s^LN|||%s|||||||||0123456A^GP^GRACE^^^DR||||||||HM|F|||||||0123456A&GP&GRACE\r",
		i, i, recallTests[r%len(recallTests)], performed.Format(dtm))
	b.WriteString("OBX|1|NM|718-7^Haemoglobin^LN||135|g/L|115-165|N|||F\r")
	fmt.Fprintf(&b, "ZRA|%s|0123456A^GP^GRACE^^^DR|%s||N|Investigation report\r", action, now.In(w.loc).Format(dtm))
	return []byte(b.String())
}

// sequenceStates counts org's recalls by state.
func sequenceStates(ctx context.Context, tx *store.Tx, org clinic.OrgID) (map[string]int, error) {
	rows, err := tx.Recalls().RecallSummary(ctx, org, 0)
	states := map[string]int{}
	for _, r := range rows {
		states[r.State] += r.Count
	}
	return states, err
}

// stepsSent is what the first-steps phase measured: the first steps sent (as the store has
// them), when the last reached the provider, those not sent, and those the provider
// received twice.
type stepsSent struct {
	steps, unsent, duplicates int
	last                      time.Time
}

// firstSteps runs the dispatcher until want first steps reached the provider, until none
// is left to send (what the dispatcher skipped or failed is counted as unsent), until the
// dispatcher stops, or for 10 minutes at most.
func firstSteps(ctx context.Context, db *store.DB, run func(context.Context) error, p *provider, w recallsWorld, want int, since time.Time) (stepsSent, error) {
	var out stepsSent
	rctx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- run(rctx) }()
	// The first steps are due from the intake's start; the later ones days after.
	from, to := since.Add(-time.Hour), time.Now().Add(time.Hour)
	counts := func() (map[string]int, error) {
		out := map[string]int{}
		err := db.View(ctx, func(tx *store.Tx) error {
			cs, err := tx.Notifications().CountStates(ctx, w.org, w.clinic, from, to)
			for _, c := range cs {
				out[c.State] = c.Count
			}
			return err
		})
		return out, err
	}
	var runErr error
	deadline, check := time.Now().Add(10*time.Minute), time.Now().Add(time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for p.count.Load() < int64(want) && time.Now().Before(deadline) {
		select {
		case runErr = <-ran:
			break wait
		case <-tick.C:
		}
		if time.Now().After(check) {
			// Nothing left to send: some were skipped or failed, the provider never sees them.
			c, err := counts()
			if err != nil {
				runErr = err
				break
			}
			if c[store.NotePlanned]+c[store.NoteSending]+c[store.NoteClaimed] == 0 {
				break
			}
			check = time.Now().Add(time.Second)
		}
	}
	stop()
	if err := <-ran; runErr == nil && !errors.Is(err, context.Canceled) {
		runErr = err
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return out, runErr
	}
	p.mu.Lock()
	for _, at := range p.received {
		if at.After(out.last) {
			out.last = at
		}
	}
	out.duplicates = p.dupes
	p.mu.Unlock()
	c, err := counts()
	if err != nil {
		return out, err
	}
	out.steps = c[store.NoteSent] + c[store.NoteDelivered]
	out.unsent = max(0, want-out.steps)
	return out, nil
}

// topUpChecklist counts the checklist's open items and, below cfg.Checklist, writes the
// missing ones as manual recalls of the patients in turn (each on a day of its own, in
// 2020 onwards), in transactions of 1,000. It returns the open items.
func topUpChecklist(ctx context.Context, db *store.DB, w recallsWorld, cfg RecallsConfig) (int, error) {
	count := func() (int, error) {
		n := 0
		err := db.View(ctx, func(tx *store.Tx) error {
			cs, err := tx.Recalls().ChecklistCounts(ctx, w.org, store.ChecklistFilter{ClinicID: w.clinic}, db.Now())
			for _, k := range cs {
				n += k
			}
			return err
		})
		return n, err
	}
	have, err := count()
	if err != nil || have >= cfg.Checklist {
		return have, err
	}
	var patients []clinic.PatientID
	err = db.View(ctx, func(tx *store.Tx) error {
		var after int64
		for {
			ps, err := tx.Patients().ListPatients(ctx, w.org, store.PatientFilter{DatabaseID: w.db}, store.Page{After: after, Limit: 1000})
			if err != nil {
				return err
			}
			for _, p := range ps {
				patients = append(patients, p.ID)
			}
			if len(ps) < 1000 {
				return nil
			}
			after = int64(ps[len(ps)-1].ID)
		}
	})
	if err != nil {
		return 0, err
	}
	missing := cfg.Checklist - have
	fmt.Fprintf(cfg.Log, "checklist: %d open items from the intake, writing %d manual recalls…\n", have, missing)
	first := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for done := 0; done < missing; {
		k := min(1000, missing-done)
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i := done; i < done+k; i++ {
				if _, err := tx.Recalls().InsertSequence(ctx, store.Sequence{OrgID: w.org, ClinicID: w.clinic, PatientID: patients[i%len(patients)],
					Kind: store.SeqKindResults, DatabaseID: w.db, GroupDay: first.AddDate(0, 0, i/len(patients)).Format(time.DateOnly),
					Title: "Full blood count", DoctorName: "GRACE GP", State: store.SeqManual, Why: store.WhyManualAction, CreatedBy: "sync"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		done += k
	}
	return count()
}

// checklistRun is what the checklist phase measured.
type checklistRun struct {
	timing *timing
	client []time.Duration
	bytes  int
	errors int
}

// measureChecklist signs a receptionist in to the real server and has cfg.Clients clients
// GET the checklist's first page, unfiltered and ?why=manual_action in turn, for
// cfg.Duration, after one unmeasured request of each.
func measureChecklist(ctx context.Context, db *store.DB, w recallsWorld, cfg RecallsConfig) (checklistRun, error) {
	var run checklistRun
	s, err := startPages(ctx, db, w.org, cfg.Log)
	if err != nil {
		return run, err
	}
	defer s.close(ctx)
	run.timing = s.timing
	s.timing.key = func(r *http.Request) string {
		if r.URL.Query().Get("why") != "" {
			return "why"
		}
		return "all"
	}
	paths := []string{"/recalls", "/recalls?why=" + store.WhyManualAction}
	for _, path := range paths {
		if run.bytes, err = s.getWith(ctx, path, checklistMark, errNoChecklist); err != nil {
			return run, err
		}
	}
	s.timing.reset()
	fmt.Fprintf(cfg.Log, "checklist: %d clients for %s…\n", cfg.Clients, cfg.Duration)
	deadline := time.Now().Add(cfg.Duration)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			errs := 0
			for i := c; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				if _, err := s.getWith(ctx, paths[i%len(paths)], checklistMark, errNoChecklist); err != nil {
					if errs == 0 {
						fmt.Fprintf(cfg.Log, "checklist: %v\n", err)
					}
					errs++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			run.client, run.errors = append(run.client, mine...), run.errors+errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	return run, ctx.Err()
}
