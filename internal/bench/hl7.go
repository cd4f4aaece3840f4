package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/store"
)

// HL7Config sizes the HL7 benchmark.
type HL7Config struct {
	Patients    int // patients seeded, whom the results are about
	Single      int // messages sent over one connection
	Messages    int // messages sent over Connections connections
	Connections int
	// Large is how many 2 MB messages the last phase mixes into Messages/10 ordinary ones
	// over Connections connections, for the memory bound.
	Large int
	Log   io.Writer
}

func (c *HL7Config) defaults() {
	if c.Patients <= 0 {
		c.Patients = 2000
	}
	if c.Single <= 0 {
		c.Single = 10000
	}
	if c.Messages <= 0 {
		c.Messages = 40000
	}
	if c.Connections <= 0 {
		c.Connections = 8
	}
	if c.Large < 0 {
		c.Large = 0
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// HL7 measures the HL7 v2 feed end to end (SYN-1): ORU^R01 messages of about 2 KB, each an
// actioned result of a known patient, sent over MLLP to the real listener and service, each
// acknowledged only once its result is committed. Every sender waits for each ACK before
// sending the next, as MLLP senders do. It runs one connection, then Connections at once,
// then Connections with some 2 MB messages among them, and prints msgs_per_s (the
// Connections phase), msgs_per_s_1conn, ack_p50_ms/ack_p99_ms (idem, and _1conn),
// connections and max_rss_mb (the whole run, the 2 MB phase included).
func HL7(ctx context.Context, db *store.DB, cfg HL7Config, out io.Writer) error {
	cfg.defaults()
	facility := "BENCHPMS"
	var d clinic.Database
	err := db.Update(ctx, func(tx *store.Tx) error {
		o, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: fmt.Sprintf("bench-hl7-%d", time.Now().UnixNano()), Name: "HL7 bench"})
		if err != nil {
			return err
		}
		if d, err = tx.Directory().CreateDatabase(ctx, o.ID, clinic.Database{Name: "PMS", Kind: clinic.KindHL7v2, Profile: clinic.ProfileMedicalDirector, RespectOptOut: true}); err != nil {
			return err
		}
		if _, err := tx.Directory().CreateClinic(ctx, o.ID, clinic.Clinic{DatabaseID: d.ID, Slug: "hl7", Name: "HL7 clinic", Zone: "Australia/Sydney", Region: "AU"}); err != nil {
			return err
		}
		// A fresh facility per run, so that runs against one database do not collide.
		facility = fmt.Sprintf("BENCH%d", d.ID)
		if err := tx.Sync().SetHL7Facility(ctx, o.ID, d.ID, facility); err != nil {
			return err
		}
		for i := range cfg.Patients {
			if _, err := tx.Patients().CreatePatient(ctx, o.ID, clinic.Patient{DatabaseID: d.ID, ExternalID: fmt.Sprintf("P%d", i),
				GivenName: "Bench", FamilyName: fmt.Sprintf("Patient %d", i), Language: "en"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "seeded %d patients\n", cfg.Patients)

	addr, stop, err := startIntake(ctx, db)
	if err != nil {
		return err
	}
	defer stop()

	var seq atomic.Int64
	msg := func(large bool) []byte { return oruMessage(facility, int(seq.Add(1)), cfg.Patients, large) }

	fmt.Fprintf(cfg.Log, "one connection, %d messages…\n", cfg.Single)
	one, err := drive(ctx, addr, 1, cfg.Single, 0, msg)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "one connection: %.0f msg/s, ACK p99 %.1f ms\n", one.rate, percentile(one.acks, 0.99))
	fmt.Fprintf(cfg.Log, "%d connections, %d messages…\n", cfg.Connections, cfg.Messages)
	many, err := drive(ctx, addr, cfg.Connections, cfg.Messages, 0, msg)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "%d connections: %.0f msg/s, ACK p99 %.1f ms\n", cfg.Connections, many.rate, percentile(many.acks, 0.99))
	if cfg.Large > 0 {
		fmt.Fprintf(cfg.Log, "%d connections, %d messages of 2 MB among %d…\n", cfg.Connections, cfg.Large, cfg.Messages/10)
		if _, err := drive(ctx, addr, cfg.Connections, cfg.Messages/10, cfg.Large, msg); err != nil {
			return err
		}
	}
	var results int
	if err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		results, err = tx.Sync().CountResults(ctx, d.OrgID, d.ID)
		return err
	}); err != nil {
		return err
	}
	want := cfg.Single + cfg.Messages
	if cfg.Large > 0 {
		want += cfg.Messages / 10
	}
	if results != want {
		return fmt.Errorf("bench hl7: %d results stored for %d messages acknowledged", results, want)
	}
	return report(out, map[string]any{"bench": "hl7", "dialect": string(db.Dialect()), "connections": cfg.Connections,
		"msgs_per_s": round(many.rate), "ack_p50_ms": percentile(many.acks, 0.5), "ack_p99_ms": percentile(many.acks, 0.99),
		"msgs_per_s_1conn": round(one.rate), "ack_p50_ms_1conn": percentile(one.acks, 0.5), "ack_p99_ms_1conn": percentile(one.acks, 0.99),
		"large_messages": cfg.Large, "results_stored": results, "max_rss_mb": maxRSS()})
}

// startIntake starts the real HL7 service over db (its appliers) and its MLLP listener on a
// loopback port, and returns the listener's address and what stops both, the listener
// first so that every message received is applied.
func startIntake(ctx context.Context, db *store.DB) (string, func(), error) {
	svc := integration.New(db, integration.Config{Logger: slog.New(slog.DiscardHandler)})
	srv := &mllp.Server{Handler: svc, ReadTimeout: 30 * time.Second, IdleTimeout: time.Minute, WriteTimeout: 30 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	actx, stopApplier := context.WithCancel(context.WithoutCancel(ctx))
	applied := make(chan error, 1)
	go func() { applied <- svc.Run(actx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	return ln.Addr().String(), func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		srv.Shutdown(sctx)
		cancel()
		<-served
		stopApplier()
		<-applied
	}, nil
}

// driven is what one phase measured.
type driven struct {
	rate float64
	acks []time.Duration
}

// drive sends n messages over conns connections, each waiting for every ACK, large of them
// 2 MB (spread over the phase), and fails on any ACK other than AA.
func drive(ctx context.Context, addr string, conns, n, large int, msg func(large bool) []byte) (driven, error) {
	var next atomic.Int64
	var mu sync.Mutex
	acks := make([]time.Duration, 0, n)
	errc := make(chan error, conns)
	start := time.Now()
	every := 0
	if large > 0 {
		every = max(1, n/large)
	}
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := mllp.Dial(ctx, addr, nil)
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			mine := make([]time.Duration, 0, n/conns+1)
			defer func() { mu.Lock(); acks = append(acks, mine...); mu.Unlock() }()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				m := msg(every > 0 && i%every == 0)
				t0 := time.Now()
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				ack, err := c.Send(sctx, m)
				cancel()
				if err != nil {
					errc <- err
					return
				}
				mine = append(mine, time.Since(t0))
				if !strings.Contains(string(ack), "MSA|AA|") {
					a, _ := hl7.Parse(ack)
					errc <- fmt.Errorf("bench hl7: message %d not accepted: %s %s", i, a.Get("MSA-1"), a.Get("MSA-3"))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	var errs []error
	for e := range errc {
		errs = append(errs, e)
	}
	if err := errors.Join(errs...); err != nil {
		return driven{}, err
	}
	return driven{rate: float64(n) / time.Since(start).Seconds(), acks: acks}, nil
}

// oruMessage is an ORU^R01 of about 2 KB (2 MB when large: a PDF report in OBX-5) with a
// unique control id and result id: an actioned lipid study of one of the seeded patients,
// in a Medical Director shape (a ZRA segment carries the doctor's action).
func oruMessage(facility string, i, patients int, large bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "MSH|^~\\&|MD|%s|TIDINGS|TIDINGS|20261201090000+1000||ORU^R01^ORU_R01|B%d|P|2.4\r", facility, i)
	fmt.Fprintf(&b, "PID|1||P%d^^^MD^MR||PATIENT %d^BENCH||19700305\r", i%patients, i%patients)
	fmt.Fprintf(&b, "OBR|1||R%d|LIPID^Lipid studies|||202611300800|||||||||||||||||CH||||||||0234567B&HEALTH&HARRIET\r", i)
	b.WriteString("NTE|1||Fasting specimen.\r")
	for k := range 14 {
		fmt.Fprintf(&b, "OBX|%d|NM|T%d^Test analyte number %d of the lipid panel^LOCAL||%d.%d|mmol/L|<5.5|N|||F|||202611300800\r", k+1, k, k, 3+k%4, k)
	}
	b.WriteString("OBX|15|FT|SUMMARY^Summary^LOCAL||Results within reference ranges apart from the flagged values.\\.br\\Repeat in twelve months.||||||F\r")
	if large {
		b.WriteString("OBX|16|ED|PDF^Report^LOCAL||^application^pdf^Base64^")
		b.WriteString(strings.Repeat("JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK", 2<<20/64))
		b.WriteString("||||||F\r")
	}
	b.WriteString("ZRA|Discuss|0234567B^HEALTH^HARRIET|20261201085500||N|Result\r")
	return []byte(b.String())
}
