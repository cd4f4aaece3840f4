package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/cli"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestMain lets the test binary act as a second server process for the concurrency test.
func TestMain(m *testing.M) {
	if args := os.Getenv("TIDINGS_TEST_CHILD_ARGS"); args != "" {
		os.Exit(cli.Run(context.Background(), cli.Env{Args: strings.Split(args, "\x1f"), Getenv: func(string) string { return "" },
			Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

// startServe runs `tidings serve` in this process.
func startServe(t *testing.T, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var errb syncBuffer
	go func() {
		done <- cli.Run(ctx, cli.Env{Args: []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-level", "warn"},
			Stdout: &syncBuffer{}, Stderr: &errb, Ready: func(u string) { ready <- u }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-ready:
		return u
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, errb.String())
	}
	return ""
}

// startChild runs `tidings serve` as a separate process (the test binary itself).
func startChild(t *testing.T, dsn string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TIDINGS_TEST_CHILD_ARGS="+strings.Join([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-level", "warn"}, "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), "is running: "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return u
		}
	}
	t.Fatalf("child server did not start: %s", errb.String())
	return ""
}

// TestConcurrentBookingsNoDoubleBooking: 64 clients hammer the same 20 slots through the
// API (on PostgreSQL through two server processes) for TIDINGS_CONCURRENCY_SECONDS
// (default 5; CI runs 30): exactly one winner per slot, every loser gets 409, and SQL finds
// no overlapping active appointments afterwards (POR-4).
func TestConcurrentBookingsNoDoubleBooking(t *testing.T) {
	seconds := 5
	if s := os.Getenv("TIDINGS_CONCURRENCY_SECONDS"); s != "" {
		seconds, _ = strconv.Atoi(s)
	}
	dsn := storetest.DSN(t)
	urls := []string{startServe(t, dsn)}
	if os.Getenv(storetest.EnvPostgres) != "" {
		urls = append(urls, startChild(t, dsn))
	}
	ctx := context.Background()
	db := openStore(t, dsn)
	f := storetest.Seed(t, db, "hot")
	token, hash, _ := auth.NewToken("tid_")
	type slot struct {
		agenda clinic.AgendaID
		start  time.Time
	}
	var slots []slot
	var patients []clinic.PatientID
	err := db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Staff().CreateToken(ctx, f.Org.ID, clinic.Token{Name: "load", Role: clinic.RoleReception}, hash); err != nil {
			return err
		}
		r := f.Reason
		for i := 0; i < 4; i++ {
			a, err := tx.Directory().CreateAgenda(ctx, f.Org.ID, clinic.Agenda{ClinicID: f.Clinic.ID, Name: fmt.Sprintf("Room %d", i), Active: true})
			if err != nil {
				return err
			}
			r.AgendaIDs = append(r.AgendaIDs, a.ID)
			base := time.Date(2031, 5, 5, 0, 0, 0, 0, time.UTC)
			for j := 0; j < 5; j++ {
				slots = append(slots, slot{a.ID, base.Add(time.Duration(j) * 15 * time.Minute)})
			}
		}
		if _, err := tx.Directory().UpdateReason(ctx, f.Org.ID, r); err != nil {
			return err
		}
		for i := 0; i < 64; i++ {
			p, err := tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: "Load", FamilyName: fmt.Sprint(i), Language: "en"})
			if err != nil {
				return err
			}
			patients = append(patients, p.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}, Timeout: 30 * time.Second}
	var created, conflicts, attempts atomic.Int64
	var mu sync.Mutex
	others := map[int]int{}
	winners := map[slot]int{}
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for time.Now().Before(deadline) {
				s := slots[rng.IntN(len(slots))]
				// The rooms have no working hours: each booking confirms its time.
				body, _ := json.Marshal(map[string]any{"reason_id": f.Reason.ID, "agenda_id": s.agenda, "patient_id": patients[g],
					"start": s.start.Format(time.RFC3339), "allow_outside_hours": true})
				req, _ := http.NewRequest("POST", urls[rng.IntN(len(urls))]+"api/v1/appointments", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				attempts.Add(1)
				switch resp.StatusCode {
				case http.StatusCreated:
					created.Add(1)
					mu.Lock()
					winners[s]++
					mu.Unlock()
				case http.StatusConflict:
					conflicts.Add(1)
				default:
					mu.Lock()
					others[resp.StatusCode]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	rate := float64(attempts.Load()) / float64(seconds)
	t.Logf("%s: %d booking attempts in %d s over %d server(s) = %.0f/s; %d created, %d conflicts, others %v",
		db.Dialect(), attempts.Load(), seconds, len(urls), rate, created.Load(), conflicts.Load(), others)
	if len(others) > 0 {
		t.Errorf("statuses other than 201 and 409: %v", others)
	}
	var overlaps, active int
	err = db.View(ctx, func(tx *store.Tx) (err error) {
		if overlaps, err = tx.Appointments().OverlappingAppointments(ctx, f.Org.ID); err != nil {
			return err
		}
		as, err := tx.Appointments().ListAppointments(ctx, f.Org.ID, store.AppointmentFilter{}, store.Page{Limit: 500})
		active = len(as)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if overlaps != 0 {
		t.Errorf("%d overlapping active appointments", overlaps)
	}
	if int64(active) != created.Load() {
		t.Errorf("%d appointments stored, %d answered 201", active, created.Load())
	}
	for s, n := range winners {
		if n != 1 {
			t.Errorf("slot %v won %d times", s, n)
		}
	}
	if created.Load() != int64(len(slots)) || len(winners) != len(slots) {
		t.Errorf("%d bookings won over %d slots; want exactly one per slot (%d)", created.Load(), len(winners), len(slots))
	}
}
