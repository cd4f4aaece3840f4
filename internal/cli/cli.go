// Package cli is the tidings command: it parses the command line and wires every part
// together. Run is the whole program, minus the process: end-to-end tests call it with their
// own arguments, environment and output, on 127.0.0.1:0 with a temporary database.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/config"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/lifecycle"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/store"
)

// Version is the release, set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // the command could not start: bad flags, database, data directory
)

// usageError marks errors that exit with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Env is the process's surroundings, injected so tests supply their own.
type Env struct {
	Args   []string // without the program name
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Ready, if set, receives the server's base URL once it listens (tests).
	Ready func(url string)
}

const usage = `Tidings: patient engagement for clinics.

Usage:
  tidings serve    [--addr A] [--db URL|PATH] [--data-dir DIR]   run the server
  tidings demo     [same flags]                                  run the server with a seeded demo clinic
  tidings migrate  [--db URL|PATH] [--data-dir DIR]              apply database migrations
  tidings admin create-org --slug S --name N --zone Z --admin-email E [--admin-name N] [--password-stdin]
  tidings admin create-user --org SLUG --email E --role R [--name N] [--password-stdin]
  tidings admin disable-user --org SLUG --email E                 end their sessions, refuse sign-in
  tidings admin enable-user --org SLUG --email E
  tidings token create --org SLUG --role R --name N              print a new API token once
  tidings bench NAME [flags]                                     run a benchmark (see tidings bench -h)
  tidings hl7 send HOST:PORT FILE...                             send HL7 v2 messages over MLLP, print each ACK
  tidings hl7 check [--profile P] FILE...                        print what messages would change, or why refused
  tidings import csv --org SLUG --database ID [--apply] FILE     import patients, appointments or recalls (dry run first)
  tidings version

Roles: administrator, appointment_manager, practitioner, reception.
`

// Run runs the command in env.Args and returns the process exit code. Errors are one line
// on stderr; nothing panics on bad input.
func Run(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(env.Args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := env.Args[0], env.Args[1:]; cmd {
	case "serve":
		err = serve(ctx, env, rest, false)
	case "demo":
		err = serve(ctx, env, rest, true)
	case "migrate":
		err = migrate(ctx, env, rest)
	case "admin":
		sub := ""
		if len(rest) > 0 {
			sub, rest = rest[0], rest[1:]
		}
		switch sub {
		case "create-org":
			err = createOrg(ctx, env, rest)
		case "create-user":
			err = createUser(ctx, env, rest)
		case "disable-user":
			err = setUserDisabled(ctx, env, rest, true)
		case "enable-user":
			err = setUserDisabled(ctx, env, rest, false)
		default:
			err = usageError{errors.New("admin: the subcommand is create-org, create-user, disable-user or enable-user")}
		}
	case "token":
		if len(rest) == 0 || rest[0] != "create" {
			err = usageError{errors.New("token: the subcommand is create")}
		} else {
			err = createToken(ctx, env, rest[1:])
		}
	case "bench":
		err = runBench(ctx, env, rest)
	case "hl7":
		err = hl7Command(ctx, env, rest)
	case "import":
		err = importCommand(ctx, env, rest)
	case "version", "--version", "-version":
		fmt.Fprintln(env.Stdout, "tidings", Version)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(env.Stdout, usage)
	default:
		err = usageError{fmt.Errorf("unknown command %q (try tidings help)", cmd)}
	}
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(env.Stderr, "tidings: "+oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, store.ErrBadDSN) || errors.Is(err, store.ErrUnreachable) {
		return exitUsage
	}
	return exitError
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flags makes a FlagSet whose errors come back as usage errors instead of exiting.
func flags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args; -h prints the command's usage and its own flags on stdout.
func parse(fs *flag.FlagSet, args []string, env Env) error {
	if err := parsePositional(fs, args, env); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// open opens and migrates the database named by cfg.
func open(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, store.Config{DSN: cfg.DB})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, usageError{err}
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, usageError{err}
	}
	return db, nil
}

// dbFlags makes the flag set of a command that takes every setting of config (serve,
// demo, bench).
func dbFlags(name string, env Env) (*flag.FlagSet, *config.Config) {
	fs := flags(name, env)
	return fs, config.Register(fs, env.Getenv)
}

// storeFlags makes the flag set of a command that only opens the database (migrate,
// admin, token): of config's settings it takes --db and --data-dir (and their TIDINGS_*
// variables), so that -h lists what the command reads and nothing that only serve uses.
// synopsis is the command line -h shows first.
func storeFlags(name, synopsis string, env Env) (*flag.FlagSet, *config.Config) {
	all := flags(name, env)
	cfg := config.Register(all, env.Getenv)
	fs := flags(name, env)
	for _, n := range []string{"db", "data-dir"} {
		f := all.Lookup(n)
		fs.Var(f.Value, f.Name, f.Usage)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tidings %s [--db URL|PATH] [--data-dir DIR]\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func migrate(ctx context.Context, env Env, args []string) error {
	fs, cfg := storeFlags("migrate", "migrate", env)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err}
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(env.Stdout, "migrations applied")
	return nil
}

func serve(ctx context.Context, env Env, args []string, seedDemo bool) error {
	name := "serve"
	if seedDemo {
		name = "demo"
	}
	fs, cfg := dbFlags(name, env)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err}
	}
	log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	start := time.Now()
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var seeded demo.Result
	if seedDemo {
		if seeded, err = demo.Seed(ctx, db); err != nil {
			return err
		}
	}
	// Each capability declares its background work here.
	reg := jobs.NewRegistry()
	session.RegisterJobs(reg, db, session.JobsConfig{Idle: cfg.SessionIdle})
	account.RegisterJobs(reg, db, 0)
	// The FHIR sync has its own integration.Service: the jobs are declared before the app's
	// services exist, and the two share nothing but the database.
	integration.RegisterJobs(reg, integration.New(db, integration.Config{Logger: log}), nil)
	notifyCfg := app.Notify{PublicURL: cfg.PublicURL, SMTPURL: cfg.SMTPURL, Outbox: cfg.Outbox || seedDemo, BounceToken: cfg.BounceToken,
		VAPIDPublic: cfg.VAPIDPublic, VAPIDPrivate: cfg.VAPIDPrivate, VAPIDSubject: cfg.VAPIDSubject}
	digest, err := notifyCfg.Digest()
	if err != nil {
		return err
	}
	messaging.RegisterJobs(reg, db, digest)
	queue, err := jobs.New(db, jobs.Config{Logger: log, Registry: reg})
	if err != nil {
		return err
	}
	sessions := session.New(db, queue, session.Config{Idle: cfg.SessionIdle, Logger: log, SecureCookies: cfg.SecureCookies,
		TrustedProxies: cfg.TrustedProxies})
	srv, svc, err := app.New(app.Config{Logger: log, DB: db, Sessions: sessions, Version: Version, SecureCookies: cfg.SecureCookies, Notify: notifyCfg})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return usageError{fmt.Errorf("listen on %s: %w", cfg.Addr, err)}
	}
	// HL7 v2 over MLLP (SYN-1): one listener for every hl7v2 database, routed by MSH-4.
	mllpAddr := cfg.MLLPAddr
	if mllpAddr == "" && seedDemo {
		mllpAddr = "127.0.0.1:0"
	}
	var mllpLn net.Listener
	if mllpAddr != "" {
		if mllpLn, err = net.Listen("tcp", mllpAddr); err != nil {
			ln.Close()
			return usageError{fmt.Errorf("MLLP: listen on %s: %w", mllpAddr, err)}
		}
	}
	hl7svc := svc.Sync
	mllpSrv := &mllp.Server{Handler: hl7svc, ReadTimeout: 30 * time.Second, IdleTimeout: 10 * time.Minute, WriteTimeout: 30 * time.Second,
		ErrorLog: log}
	// No server-wide WriteTimeout: the server sets a write deadline per route (a stream
	// declares its own), see server.DefaultWriteTimeout.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// Open event streams (MSG-4) end when shutdown begins, so that Shutdown does not wait
	// for them; browsers reconnect with Last-Event-ID. Other requests finish as before.
	hs.RegisterOnShutdown(svc.Hub.Close)
	url := "http://" + ln.Addr().String() + "/"
	group := &lifecycle.Group{Logger: log, StopTimeout: 15 * time.Second, Components: []lifecycle.Component{
		// The queue starts first and stops last: requests enqueue into it, and it drains
		// after the server has stopped taking them.
		{Name: "jobs", RunFunc: func(ctx context.Context, ready func()) error {
			// River hard-stops when its start context ends; the graceful Stop below is
			// what ends it.
			if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			ready()
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer cancel()
			return queue.Stop(sctx)
		}},
		// The dispatcher sends due notifications (NOT-6); on PostgreSQL every instance may
		// run one. It stops before the queue: a round in flight finishes recording.
		{Name: "notifications", RunFunc: func(ctx context.Context, ready func()) error {
			ready()
			if !cfg.Dispatch {
				<-ctx.Done()
				return nil
			}
			return svc.Dispatcher.Run(ctx)
		}},
		// The write-back sends appointments booked in Tidings to the clinical software
		// (SYN-5); on PostgreSQL every instance may run one (rows are claimed).
		{Name: "write-back", RunFunc: func(ctx context.Context, ready func()) error {
			ready()
			return svc.WriteBack.Run(ctx)
		}},
		// Secure messaging's events reach this instance's open pages (MSG-4): on PostgreSQL
		// through LISTEN (every instance listens), on SQLite straight from the use cases.
		{Name: "message-events", RunFunc: func(ctx context.Context, ready func()) error {
			ready()
			return svc.Hub.Listen(ctx, db)
		}},
		// Message alerts are planned in rounds (MSG-5); every instance may run one
		// (conversations are claimed).
		{Name: "message-alerts", RunFunc: func(ctx context.Context, ready func()) error {
			ready()
			return svc.Messaging.RunAlerts(ctx, func(err error) { log.Error("message alerts", "err", err) })
		}},
		// The waitlist offers freed times in waves (POR-9); every instance may run one.
		{Name: "waitlist", RunFunc: func(ctx context.Context, ready func()) error {
			ready()
			return svc.Waitlist.Run(ctx)
		}},
		// The MLLP listener stops before the notifications and the queue, after the HTTP
		// server: its in-flight messages are applied and acknowledged, then the applier ends.
		{Name: "mllp", RunFunc: func(ctx context.Context, ready func()) error {
			if mllpLn == nil {
				ready()
				<-ctx.Done()
				return nil
			}
			actx, stopApplier := context.WithCancel(context.WithoutCancel(ctx))
			applied := make(chan error, 1)
			go func() { applied <- hl7svc.Run(actx) }()
			errc := make(chan error, 1)
			go func() { errc <- mllpSrv.Serve(context.WithoutCancel(ctx), mllpLn) }()
			ready()
			var serveErr error
			select {
			case serveErr = <-errc:
				serveErr = fmt.Errorf("MLLP: %w", serveErr)
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
				serveErr = mllpSrv.Shutdown(sctx)
				cancel()
				<-errc
			}
			stopApplier()
			return errors.Join(serveErr, <-applied)
		}},
		{Name: "http", RunFunc: func(ctx context.Context, ready func()) error {
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			ready()
			select {
			case err := <-errc:
				return fmt.Errorf("serve: %w", err)
			case <-ctx.Done():
			}
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer cancel()
			return hs.Shutdown(sctx)
		}},
	}, Ready: func() {
		log.Info("listening", "addr", ln.Addr().String(), "db", string(db.Dialect()), "startup_ms", time.Since(start).Milliseconds())
		fmt.Fprintf(env.Stdout, "Tidings %s is running: %s\n", Version, url)
		if mllpLn != nil {
			log.Info("MLLP listening", "addr", mllpLn.Addr().String())
			fmt.Fprintf(env.Stdout, "HL7 v2 over MLLP: %s (tidings hl7 send %s FILE...)\n", mllpLn.Addr(), mllpLn.Addr())
			if seedDemo {
				fmt.Fprintf(env.Stdout, "  messages with sending facility (MSH-4) %s go to the demo's database Harbourside PMS\n", demo.HL7Facility)
			}
		}
		if seedDemo {
			fmt.Fprintf(env.Stdout, "Demo organisation %q (slug %s, %s). Sign in at %slogin with password %s as:\n", seeded.Org.Name, seeded.Org.Slug, map[bool]string{true: "created", false: "already there"}[seeded.Created], url, demo.Password)
			for _, l := range seeded.Logins {
				fmt.Fprintf(env.Stdout, "  %-20s %s\n", l.Role, l.Email)
			}
			fmt.Fprintf(env.Stdout, "Patient portals (sign in as the patient shown, password %s):\n", demo.Password)
			for _, p := range seeded.Portals {
				fmt.Fprintf(env.Stdout, "  %-26s %s%s  %s\n", p.Clinic, url, strings.TrimPrefix(p.Path, "/"), p.Email)
			}
		}
		if env.Ready != nil {
			env.Ready(url)
		}
	}}
	if cfg.DebugAddr != "" {
		c, addr, err := debugServer(cfg.DebugAddr)
		if err != nil {
			ln.Close()
			return err
		}
		group.Components = append(group.Components, c)
		log.Warn("profiler listening without sign-in: keep it on loopback", "addr", addr.String())
	}
	err = group.Run(ctx)
	ln.Close() // in case the server never served
	return err
}

func orgBySlug(ctx context.Context, db *store.DB, slug string) (clinic.Organisation, error) {
	var o clinic.Organisation
	err := db.View(ctx, func(tx *store.Tx) (err error) { o, err = tx.Directory().OrganisationBySlug(ctx, slug); return err })
	if errors.Is(err, clinic.ErrNotFound) {
		return o, usageError{fmt.Errorf("--org: no organisation %q", slug)}
	}
	return o, err
}

func roleFlag(s string) (clinic.Role, error) {
	r := clinic.Role(s)
	if !r.Valid() {
		return r, usageError{fmt.Errorf("--role: must be one of administrator, appointment_manager, practitioner, reception")}
	}
	return r, nil
}

// cliActor is the principal of the command line in org.
func cliActor(o clinic.Organisation) clinic.Actor { return clinic.SystemActor(o.ID, "cli") }

// flagNames maps the use cases' field names to this command line's flags.
var flagNames = map[string]string{
	"email": "--email", "name": "--name", "role": "--role", "slug": "--slug", "zone": "--zone",
	"admin.email": "--admin-email", "admin.name": "--admin-name", "admin.role": "--role",
	"password": "password", "admin.password": "password",
}

// useCaseError turns the use cases' refusals of the input into usage errors (exit 2) that
// name the flag; other errors pass through.
func useCaseError(err error) error {
	var v *clinic.ValidationError
	if errors.As(err, &v) && len(v.Fields) > 0 {
		parts := make([]string, len(v.Fields))
		for i, f := range v.Fields {
			name := flagNames[f.Field]
			if name == "" {
				name = f.Field
			}
			parts[i] = name + ": " + f.Reason
		}
		return usageError{errors.New(strings.Join(parts, "; "))}
	}
	var c *clinic.ConflictError
	if errors.As(err, &c) {
		name := flagNames[c.Field]
		if name == "" {
			name = c.Field
		}
		return usageError{fmt.Errorf("%s: %s", name, c.Reason)}
	}
	return err
}

// readPassword reads the first line of stdin (--password-stdin), or generates a password
// that the caller prints once.
func readPassword(env Env, fromStdin bool) (string, error) {
	if !fromStdin {
		plain, _, err := auth.NewToken("")
		if err != nil {
			return "", err
		}
		return plain[:24], nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if err := auth.ValidatePassword(password); err != nil {
		return "", usageError{fmt.Errorf("password: %w", err)}
	}
	return password, nil
}

func createOrg(ctx context.Context, env Env, args []string) error {
	fs, cfg := storeFlags("admin create-org", "admin create-org --slug S --name N --zone Z --admin-email E [--admin-name N] [--password-stdin]", env)
	slug := fs.String("slug", "", "organisation slug (lower-case letters, digits, hyphens)")
	name := fs.String("name", "", "organisation name")
	zone := fs.String("zone", "", "IANA time zone, e.g. Australia/Sydney")
	email := fs.String("admin-email", "", "the first administrator's e-mail (the sign-in name)")
	adminName := fs.String("admin-name", "", "the first administrator's display name")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err}
	}
	if _, err := contact.Email(*email); err != nil {
		var ce *contact.Error
		if errors.As(err, &ce) {
			return usageError{fmt.Errorf("--admin-email: %s", ce.Reason)}
		}
		return err
	}
	password, err := readPassword(env, *fromStdin)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	o, u, err := staff.CreateOrganisation(ctx, db, clinic.SystemActor(0, "cli"), staff.NewOrganisation{Slug: *slug, Name: *name, Zone: *zone,
		Admin: staff.NewUser{Email: *email, Name: *adminName, Role: clinic.RoleAdministrator, Password: password}})
	if err != nil {
		return useCaseError(err)
	}
	fmt.Fprintf(env.Stdout, "created organisation %s (%s) and administrator %d\n", o.Slug, o.Zone, u.ID)
	if !*fromStdin {
		fmt.Fprintf(env.Stdout, "password (shown once): %s\n", password)
	}
	return nil
}

func setUserDisabled(ctx context.Context, env Env, args []string, disable bool) error {
	name := "admin enable-user"
	if disable {
		name = "admin disable-user"
	}
	fs, cfg := storeFlags(name, name+" --org SLUG --email E", env)
	org := fs.String("org", "", "organisation slug")
	email := fs.String("email", "", "the staff member's e-mail")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err}
	}
	if _, err := parseEmail(*email); err != nil {
		return err
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := orgBySlug(ctx, db, *org)
	if err != nil {
		return err
	}
	actor := cliActor(o)
	u, err := staff.UserByEmail(ctx, db, actor, *email)
	if errors.Is(err, clinic.ErrNotFound) {
		return usageError{fmt.Errorf("--email: no staff account with this e-mail in %s", o.Slug)}
	}
	if err != nil {
		return useCaseError(err)
	}
	verb := "enabled"
	if disable {
		u, err = staff.DisableUser(ctx, db, actor, u.ID)
		verb = "disabled"
	} else {
		u, err = staff.EnableUser(ctx, db, actor, u.ID)
	}
	if err != nil {
		return useCaseError(err)
	}
	fmt.Fprintf(env.Stdout, "%s user %d in %s\n", verb, u.ID, o.Slug)
	return nil
}

func createUser(ctx context.Context, env Env, args []string) error {
	fs, cfg := storeFlags("admin create-user", "admin create-user --org SLUG --email E --role R [--name N] [--password-stdin]", env)
	org := fs.String("org", "", "organisation slug")
	email := fs.String("email", "", "staff e-mail (the sign-in name)")
	roleS := fs.String("role", "", "role")
	name := fs.String("name", "", "display name")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err}
	}
	role, err := roleFlag(*roleS)
	if err != nil {
		return err
	}
	addr, err := parseEmail(*email)
	if err != nil {
		return err
	}
	password, err := readPassword(env, *fromStdin)
	if err != nil {
		return err
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := orgBySlug(ctx, db, *org)
	if err != nil {
		return err
	}
	u, err := staff.CreateUser(ctx, db, cliActor(o), staff.NewUser{Email: addr, Name: *name, Role: role, Password: password})
	if err != nil {
		return useCaseError(err)
	}
	fmt.Fprintf(env.Stdout, "created user %d (%s) in %s\n", u.ID, role, o.Slug)
	if !*fromStdin {
		fmt.Fprintf(env.Stdout, "password (shown once): %s\n", password)
	}
	return nil
}

func createToken(ctx context.Context, env Env, args []string) error {
	fs, cfg := storeFlags("token create", "token create --org SLUG --role R --name N", env)
	org := fs.String("org", "", "organisation slug")
	roleS := fs.String("role", "", "role the token acts with")
	name := fs.String("name", "", "what the token is for")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err}
	}
	role, err := roleFlag(*roleS)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageError{errors.New("--name: say what the token is for")}
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := orgBySlug(ctx, db, *org)
	if err != nil {
		return err
	}
	t, plain, err := staff.CreateToken(ctx, db, cliActor(o), staff.NewToken{Name: *name, Role: role})
	if err != nil {
		return useCaseError(err)
	}
	fmt.Fprintf(env.Stdout, "created token %d (%s) in %s; it is shown once:\n%s\n", t.ID, role, o.Slug, plain)
	return nil
}
