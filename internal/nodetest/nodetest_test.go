package nodetest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    spec
		wantErr bool
	}{
		{name: "plain", in: "web-push-testing@1.2.2", want: spec{"web-push-testing", "1.2.2"}},
		{name: "scoped", in: "@medplum/fhir-router@4.1.0", want: spec{"@medplum/fhir-router", "4.1.0"}},
		{name: "pre-release", in: "simple-hl7@3.0.0-beta.1", want: spec{"simple-hl7", "3.0.0-beta.1"}},
		{name: "no version", in: "web-push-testing", wantErr: true},
		{name: "range", in: "express@^4.17.2", wantErr: true},
		{name: "tag", in: "express@latest", wantErr: true},
		{name: "partial version", in: "express@4", wantErr: true},
		{name: "scope without version", in: "@medplum/fhir-router", wantErr: true},
		{name: "url", in: "git+https://example.org/x.git@1.0.0", wantErr: true},
		{name: "flag smuggled as a package", in: "--registry=http://evil@1.0.0", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSpec(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseSpec(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(spec{})); diff != "" {
				t.Errorf("parseSpec(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestCacheKey(t *testing.T) {
	a := cacheKey([]string{"a@1.0.0", "b@2.0.0"}, 20)
	tests := []struct {
		name string
		key  string
		same bool
	}{
		{name: "same order", key: cacheKey([]string{"a@1.0.0", "b@2.0.0"}, 20), same: true},
		{name: "other order", key: cacheKey([]string{"b@2.0.0", "a@1.0.0"}, 20), same: true},
		{name: "duplicate", key: cacheKey([]string{"b@2.0.0", "a@1.0.0", "a@1.0.0"}, 20), same: true},
		{name: "other version", key: cacheKey([]string{"a@1.0.1", "b@2.0.0"}, 20)},
		{name: "one package fewer", key: cacheKey([]string{"a@1.0.0"}, 20)},
		{name: "other node major", key: cacheKey([]string{"a@1.0.0", "b@2.0.0"}, 22)},
	}
	for _, tc := range tests {
		if got := tc.key == a; got != tc.same {
			t.Errorf("%s: key %s vs %s: same = %v, want %v", tc.name, tc.key, a, got, tc.same)
		}
	}
}

// recordingTB stands in for a test so the skip-or-fail rule can be observed without ending
// the real test.
type recordingTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordingTB) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestWithoutNodeSkipsOrFails(t *testing.T) {
	tests := []struct {
		name     string
		require  string
		wantSkip bool
	}{
		{name: "not required: skip", require: "", wantSkip: true},
		{name: "required: fail", require: "1", wantSkip: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir()) // neither node nor npm
			t.Setenv(RequireEnv, tc.require)
			for _, call := range []struct {
				name string
				run  func(tb testing.TB)
			}{
				{"Install", func(tb testing.TB) { Install(tb, "web-push-testing@1.2.2") }},
				{"Start", func(tb testing.TB) { Start(tb, t.TempDir(), "server.js") }},
			} {
				r := &recordingTB{TB: t}
				call.run(r)
				got := r.fatal
				if tc.wantSkip {
					got = r.skipped
					if r.fatal != "" {
						t.Errorf("%s failed the test (%q), want a skip", call.name, r.fatal)
					}
				} else if r.skipped != "" {
					t.Errorf("%s skipped the test (%q), want a failure", call.name, r.skipped)
				}
				if !strings.HasPrefix(got, "node not found: install Node.js 20 to run ") {
					t.Errorf("%s said %q, want the node not found line", call.name, got)
				}
			}
		})
	}
}

func TestInstallRefusesLooseVersions(t *testing.T) {
	r := &recordingTB{TB: t}
	Install(r, "web-push-testing@^1.2.2")
	if !strings.Contains(r.fatal, "exact version") || r.skipped != "" {
		t.Errorf("Install with a range: fatal %q, skipped %q; want a failure naming the exact version rule", r.fatal, r.skipped)
	}
}

func TestInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm install")
	}
	dir := Install(t, "web-push-testing@1.2.2")
	got, err := installedVersion(dir, "web-push-testing")
	if err != nil || got != "1.2.2" {
		t.Fatalf("installed web-push-testing %q, %v; want 1.2.2", got, err)
	}
	start := time.Now()
	if again := Install(t, "web-push-testing@1.2.2"); again != dir {
		t.Errorf("second Install returned %s, want the cached %s", again, dir)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Install took %v: the cache was not used", d)
	}
}

// TestConcurrentInstalls runs two installs of the same package into an empty cache at once,
// as two test binaries would: both must end with the same complete directory.
func TestConcurrentInstalls(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm install")
	}
	Install(t, "arg@5.0.2") // skips here, with the reason, when Node.js or the registry is missing
	empty := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", empty) // npm's own download cache (~/.npm) stays as it is
	if c, err := os.UserCacheDir(); err != nil || c != empty {
		t.Skip("os.UserCacheDir does not follow XDG_CACHE_HOME on this system")
	}
	dirs := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Go(func() { dirs[i], errs[i] = install(t.Context(), []string{"arg@5.0.2"}) })
	}
	wg.Wait()
	if diff := cmp.Diff([]error{nil, nil}, errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Fatalf("install errors (-want +got):\n%s", diff)
	}
	if dirs[0] != dirs[1] || !complete(dirs[0]) {
		t.Fatalf("installs returned %q, want one complete directory", dirs)
	}
	if v, err := installedVersion(dirs[0], "arg"); err != nil || v != "5.0.2" {
		t.Errorf("arg version %q, %v; want 5.0.2", v, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(dirs[0]), "*.tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary directories left behind: %q", left)
	}
}

func TestStartWaitPortStop(t *testing.T) {
	dir := t.TempDir()
	script := `const http = require('http');
const port = Number(process.argv[2]);
http.createServer((req, res) => res.end('pong')).listen(port, () => console.log('listening on ' + port));
process.on('SIGINT', () => { console.log('interrupted'); process.exit(0); });
`
	if err := os.WriteFile(filepath.Join(dir, "server.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	p := Start(t, dir, "server.js", strconv.Itoa(port))
	p.WaitPort("localhost:"+strconv.Itoa(port), 10*time.Second)

	resp, err := http.Get("http://localhost:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "pong" {
		t.Errorf("server answered %q, want pong", body)
	}

	p.Stop()
	p.Stop() // idempotent
	if out := p.Output(); !strings.Contains(out, "listening on") || !strings.Contains(out, "interrupted") {
		t.Errorf("output %q: want the listening line and the interrupt handled", out)
	}
	if _, err := http.Get("http://localhost:" + strconv.Itoa(port) + "/"); err == nil {
		t.Error("server still answers after Stop")
	}
}

func TestWaitPortNoticesExit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crash.js"), []byte("console.error('boom'); process.exit(3);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := Start(t, dir, "crash.js")
	start := time.Now()
	err := waitPort(t.Context(), "localhost:"+strconv.Itoa(FreePort(t)), 30*time.Second, p.done)
	if err == nil || !strings.Contains(err.Error(), "exited before listening") {
		t.Fatalf("waitPort = %v, want an error saying the process exited", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("waitPort took %v to notice the exit", d)
	}
	if !strings.Contains(p.Output(), "boom") {
		t.Errorf("output %q, want boom", p.Output())
	}
	if !strings.Contains(p.state(), "exit status 3") {
		t.Errorf("state %q, want exit status 3", p.state())
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defgh", "ijk"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if diff := cmp.Diff("defghijk", b.String()); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}
