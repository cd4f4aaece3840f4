package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/tidings-health/tidings/internal/bench"
	"github.com/tidings-health/tidings/internal/config"
	"github.com/tidings-health/tidings/internal/store"
)

// runBench runs a named benchmark. Each takes --db like serve (default: a fresh temporary
// SQLite database, removed afterwards; on PostgreSQL a fresh schema of --db's database,
// dropped afterwards: benchDB) and prints its figures as one JSON object on its last line.
func runBench(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("bench: name a benchmark: slots, dispatch, pages, portal, hl7, import, recalls, messaging")}
	}
	switch args[0] {
	case "slots":
		return benchSlots(ctx, env, args[1:])
	case "dispatch":
		return benchDispatch(ctx, env, args[1:])
	case "pages":
		return benchPages(ctx, env, args[1:])
	case "portal":
		return benchPortal(ctx, env, args[1:])
	case "hl7":
		return benchHL7(ctx, env, args[1:])
	case "import":
		return benchImport(ctx, env, args[1:])
	case "recalls":
		return benchRecalls(ctx, env, args[1:])
	case "messaging":
		return benchMessaging(ctx, env, args[1:])
	}
	return usageError{fmt.Errorf("bench: unknown benchmark %q (known: slots, dispatch, pages, portal, hl7, import, recalls, messaging)", args[0])}
}

// benchDB opens --db, or a fresh temporary SQLite database when none is given. On a
// PostgreSQL --db the run works in a fresh schema of that database, dropped at the end, so
// that each run measures the same thing: what a run leaves behind (its patients, their
// unread messages whose alerts fall due two minutes later, the tables' growth) would
// otherwise be the next run's work too, and the figures would depend on how long ago the
// last run ended (tidings bench messaging's p99 went from 40 ms to 180-360 ms in the runs
// that met the alerts of one before).
func benchDB(ctx context.Context, env Env, cfg *config.Config, explicit bool) (*store.DB, func(), error) {
	cleanup := func() {}
	if d, _, err := store.ParseDSN(cfg.DB); explicit && err == nil && d == store.Postgres {
		dsn, schema, drop, err := store.FreshSchema(ctx, cfg.DB, fmt.Sprintf("bench_%d_", time.Now().Unix()))
		if err != nil {
			return nil, nil, fmt.Errorf("bench: --db: the run's schema: %w", err)
		}
		fmt.Fprintf(env.Stderr, "working in schema %s of the database, dropped at the end\n", schema)
		cfg.DB = dsn
		cleanup = func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := drop(ctx); err != nil {
				fmt.Fprintf(env.Stderr, "bench: %v\n", err)
			}
		}
	}
	if !explicit {
		dir, err := os.MkdirTemp("", "tidings-bench-")
		if err != nil {
			return nil, nil, err
		}
		cfg.DB = filepath.Join(dir, "bench.db")
		cleanup = func() { os.RemoveAll(dir) }
	}
	db, err := open(ctx, cfg)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return db, func() { db.Close(); cleanup() }, nil
}

func benchSlots(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench slots", env)
	var c bench.SlotsConfig
	fs.IntVar(&c.Practitioners, "practitioners", 50, "agendas offering the reason")
	fs.IntVar(&c.Days, "days", 90, "availability window in days")
	fs.IntVar(&c.Bookings, "bookings", 10000, "existing appointments to seed")
	fs.IntVar(&c.Iterations, "iterations", 200, "in-process requests measured")
	fs.DurationVar(&c.HTTPDuration, "http-duration", 20*time.Second, "length of the HTTP load phase")
	fs.IntVar(&c.ReadRate, "read-rps", 100, "availability requests per second over HTTP")
	fs.IntVar(&c.WriteRate, "write-rps", 50, "booking attempts per second over HTTP at the same time")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	c.Log = env.Stderr
	return bench.Slots(ctx, db, c, env.Stdout)
}

func benchDispatch(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench dispatch", env)
	var c bench.DispatchConfig
	fs.IntVar(&c.Backlog, "backlog", 20000, "reminders due at once, drained first")
	fs.IntVar(&c.Rate, "rate", 500, "reminders falling due per second in the steady phase")
	fs.DurationVar(&c.Steady, "steady", time.Minute, "length of the steady phase")
	fs.IntVar(&c.Batch, "batch", 0, "notifications claimed per round (0: the dispatcher's default)")
	fs.IntVar(&c.Workers, "workers", 0, "concurrent sends per round (0: the dispatcher's default)")
	fs.IntVar(&c.Parallel, "parallel", 0, "rounds in flight at once (0: the dispatcher's default)")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	return bench.Dispatch(ctx, db, c, env.Stdout)
}

func benchPages(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench pages", env)
	var c bench.PagesConfig
	fs.IntVar(&c.Agendas, "agendas", 10, "agendas of the clinic, every one a column of the day grid")
	fs.IntVar(&c.WeekAgendas, "week-agendas", 5, "agendas whose week grid is rendered in turn")
	fs.IntVar(&c.Days, "days", 28, "days seeded with appointments, closed days and absences")
	fs.IntVar(&c.Bookings, "bookings", 4000, "existing appointments to seed")
	fs.IntVar(&c.Iterations, "iterations", 500, "requests measured per page")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	c.Log = env.Stderr
	return bench.Pages(ctx, db, c, env.Stdout)
}

func benchPortal(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench portal", env)
	var c bench.PortalConfig
	fs.IntVar(&c.Patients, "patients", 200, "simulated patients browsing and booking at once, each with an account and a session")
	fs.DurationVar(&c.Duration, "duration", time.Minute, "length of the measured phase")
	fs.IntVar(&c.Agendas, "agendas", 10, "practitioners' agendas offering every reason")
	fs.DurationVar(&c.Think, "think", time.Second, "a patient's mean pause before each request (0: none, a closed loop at saturation)")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	if c.Think == 0 {
		c.Think = -1 // PortalConfig's "no pause"
	}
	c.Log = env.Stderr
	return bench.Portal(ctx, db, c, env.Stdout)
}

// benchStart is what every benchmark does before measuring: parse its flags, open --db (or
// a fresh temporary SQLite database) and, with TIDINGS_CPUPROFILE=FILE, start a CPU profile.
// done stops the profile and closes the database.
func benchStart(ctx context.Context, env Env, fs *flag.FlagSet, cfg *config.Config, args []string) (*store.DB, func(), error) {
	if err := parse(fs, args, env); err != nil {
		return nil, nil, err
	}
	explicit := env.Getenv("TIDINGS_DB") != ""
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "db" })
	if err := cfg.Finish(); err != nil {
		return nil, nil, usageError{err}
	}
	db, closeDB, err := benchDB(ctx, env, cfg, explicit)
	if err != nil {
		return nil, nil, err
	}
	p := env.Getenv("TIDINGS_CPUPROFILE")
	if p == "" {
		return db, closeDB, nil
	}
	f, err := os.Create(p)
	if err != nil {
		closeDB()
		return nil, nil, usageError{fmt.Errorf("TIDINGS_CPUPROFILE: %w", err)}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		closeDB()
		return nil, nil, err
	}
	return db, func() { pprof.StopCPUProfile(); f.Close(); closeDB() }, nil
}

func benchHL7(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench hl7", env)
	var c bench.HL7Config
	fs.IntVar(&c.Patients, "patients", 2000, "patients seeded, whom the results are about")
	fs.IntVar(&c.Single, "single", 10000, "messages sent over one connection")
	fs.IntVar(&c.Messages, "messages", 40000, "messages sent over --connections connections")
	fs.IntVar(&c.Connections, "connections", 8, "connections sending at once")
	fs.IntVar(&c.Large, "large", 20, "2 MB messages mixed into a last phase of messages/10 over the connections (memory bound)")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	c.Log = env.Stderr
	return bench.HL7(ctx, db, c, env.Stdout)
}

func benchImport(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench import", env)
	var c bench.ImportConfig
	fs.IntVar(&c.Rows, "rows", 50000, "rows of the patients file and of the appointments file")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	c.Log = env.Stderr
	return bench.Import(ctx, db, c, env.Stdout)
}

func benchRecalls(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench recalls", env)
	var c bench.RecallsConfig
	fs.IntVar(&c.Results, "results", 20000, "actioned results synced over MLLP, one ORU^R01 each (the issue's figure: 100000)")
	fs.IntVar(&c.Patients, "patients", 4000, "patients the results are about (the issue's figure: 20000)")
	fs.IntVar(&c.Days, "days", 3, "days performed each patient's results fall on, grouped by day into recalls")
	fs.IntVar(&c.ManualEvery, "manual-every", 10, "one result in N is a manual action (Return urgently), the rest a template's")
	fs.IntVar(&c.Connections, "connections", 8, "MLLP connections sending at once")
	fs.IntVar(&c.Checklist, "checklist", 10000, "open checklist items at least, topped up with manual recalls")
	fs.IntVar(&c.Clients, "clients", 4, "concurrent clients of the checklist page")
	fs.DurationVar(&c.Duration, "duration", 15*time.Second, "length of the checklist phase")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	c.Log = env.Stderr
	return bench.Recalls(ctx, db, c, env.Stdout)
}

func benchMessaging(ctx context.Context, env Env, args []string) error {
	fs, cfg := dbFlags("bench messaging", env)
	var c bench.MessagingConfig
	fs.IntVar(&c.Sessions, "sessions", 5000, "open SSE sessions, one patient's portal stream each")
	fs.IntVar(&c.Rate, "rate", 500, "messages sent per second")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "length of the sending phase (with the seeding and the streams' opening, about a minute)")
	fs.IntVar(&c.Instances, "instances", 0, "servers on the database, each a child process running tidings serve (0: 1 on SQLite, 2 on PostgreSQL)")
	fs.StringVar(&c.Send, "send", bench.SendDashboard, "how the practitioner writes: dashboard (the reply form, with a staff session), api (a token: refused, a token is no professional) or direct (the use case in the bench's process; PostgreSQL only)")
	db, done, err := benchStart(ctx, env, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	c.DSN, c.Log = cfg.DB, env.Stderr
	return bench.Messaging(ctx, db, c, env.Stdout)
}
