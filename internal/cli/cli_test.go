package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/cli"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// syncBuffer is a bytes.Buffer safe to read while Run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	code = cli.Run(context.Background(), cli.Env{Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// TestStartErrors: every way the command cannot start is one line on stderr and exit 2.
func TestStartErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage"},
		{"unknown command", []string{"launch"}, `unknown command "launch"`},
		{"unknown flag", []string{"serve", "--colour", "blue"}, "flag provided but not defined: -colour"},
		{"stray argument", []string{"migrate", "--db", filepath.Join(t.TempDir(), "x.db"), "extra"}, `unexpected argument "extra"`},
		{"bad db url", []string{"serve", "--db", "mysql://localhost/x"}, "bad database URL"},
		{"unreachable postgres", []string{"serve", "--db", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}, "cannot reach PostgreSQL"},
		{"unwritable data dir", []string{"serve", "--data-dir", filepath.Join(file, "sub")}, "cannot create data directory"},
		{"bad session idle", []string{"serve", "--session-idle", "soon"}, "session-idle"},
		{"bad role", []string{"token", "create", "--db", filepath.Join(t.TempDir(), "x.db"), "--org", "demo", "--role", "king", "--name", "x"}, "--role"},
		{"unknown org", []string{"token", "create", "--db", filepath.Join(t.TempDir(), "x.db"), "--org", "nowhere", "--role", "reception", "--name", "x"}, `no organisation "nowhere"`},
		{"bad email", []string{"admin", "create-user", "--db", filepath.Join(t.TempDir(), "x.db"), "--org", "demo", "--role", "reception", "--email", "nobody"}, "--email"},
		{"address in use", []string{"serve", "--db", filepath.Join(t.TempDir(), "x.db"), "--addr", "256.0.0.1:99999"}, "listen on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
			if tt.name != "no command" && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr is more than one line: %q", stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Errorf("panicked: %s", stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "tidings ") {
		t.Errorf("version: %d %q", code, out)
	}
}

// startDemo runs `tidings demo` on 127.0.0.1:0 over dsn until the test ends, and returns
// its base URL and what it printed.
func startDemo(t *testing.T, dsn string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, cli.Env{Args: []string{"demo", "--addr", "127.0.0.1:0", "--db", dsn}, Stdout: &out, Stderr: &errb,
			Ready: func(url string) { ready <- url }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("demo exited %d: %s", code, errb.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("demo did not shut down within 20 s")
		}
	})
	select {
	case url := <-ready:
		return url, &out
	case code := <-done:
		t.Fatalf("demo exited %d before listening: %s", code, errb.String())
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not start within 60 s")
	}
	return "", nil
}

// TestDemoAndAdminCommands: the demo starts and prints its logins, a second start re-uses
// it, and tokens and users made with the CLI work against the running server.
func TestDemoAndAdminCommands(t *testing.T) {
	dsn := storetest.DSN(t)
	url, out := startDemo(t, dsn)
	for _, want := range []string{"is running: " + url, "admin@demo.tidings.test", "reception@demo.tidings.test", "created"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	code, tokOut, stderr := run(t, "", "token", "create", "--db", dsn, "--org", "demo", "--role", "reception", "--name", "front desk")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(tokOut), "\n")
	token := lines[len(lines)-1]
	if !strings.HasPrefix(token, "tid_") {
		t.Fatalf("token line %q", token)
	}
	req, _ := http.NewRequest("GET", url+"api/v1/patients?limit=500", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(page.Items) != 300 {
		t.Errorf("demo patients: %d, %d items; want 300", resp.StatusCode, len(page.Items))
	}
	code, userOut, stderr := run(t, "correct horse battery staple\n", "admin", "create-user", "--db", dsn, "--org", "demo", "--role", "practitioner",
		"--email", "New.Doctor@Demo.Test", "--password-stdin")
	if code != 0 || !strings.Contains(userOut, "created user") || strings.Contains(userOut, "horse") {
		t.Errorf("create-user: %d %q %q", code, userOut, stderr)
	}
	code, _, stderr = run(t, "", "admin", "create-user", "--db", dsn, "--org", "demo", "--role", "practitioner", "--email", "new.doctor@demo.test")
	if code != 2 || !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate user: %d %q", code, stderr)
	}
	code, userOut, _ = run(t, "", "admin", "create-user", "--db", dsn, "--org", "demo", "--role", "reception", "--email", "temp@demo.test")
	if code != 0 || !strings.Contains(userOut, "password (shown once): ") {
		t.Errorf("generated password: %d %q", code, userOut)
	}
	code, _, stderr = run(t, "short\n", "admin", "create-user", "--db", dsn, "--org", "demo", "--role", "reception", "--email", "x@demo.test", "--password-stdin")
	if code != 2 || !strings.Contains(stderr, "password") {
		t.Errorf("weak password: %d %q", code, stderr)
	}
}

// TestDemoIsIdempotent: a second start over the same database re-uses the demo.
func TestDemoIsIdempotent(t *testing.T) {
	dsn := storetest.DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, cli.Env{Args: []string{"demo", "--addr", "127.0.0.1:0", "--db", dsn}, Stdout: &out, Stderr: &syncBuffer{},
			Ready: func(string) { cancel() }})
	}()
	if code := <-done; code != 0 {
		t.Fatalf("first start: %d", code)
	}
	_, out2 := startDemo(t, dsn)
	if !strings.Contains(out2.String(), "already there") {
		t.Errorf("second start output:\n%s", out2.String())
	}
}

// openStore opens the database at dsn, a running server's or the demo's, for a test to set
// up or read back; it is closed when the test ends.
func openStore(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
