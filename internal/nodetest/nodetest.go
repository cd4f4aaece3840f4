// Package nodetest is test support for tests that talk to a real peer written for Node.js
// (the web-push-testing push service now; simple-hl7 and @medplum/fhir-router later): it
// installs npm packages at exact versions into a cache shared by every test run, and starts
// node scripts in the background for the length of a test.
//
// Such tests are skipped, with the reason, on a machine without Node.js 20 or without access
// to the npm registry, so `go test ./...` passes on a bare Go toolchain. CI sets
// TIDINGS_REQUIRE_NODE=1 to turn every such skip into a failure, so a missing install step
// cannot hide behind a green run. This is the one place outside config that reads the
// environment: it is a switch for the test run, not configuration of the application.
//
// It imports only the standard library and is imported only by tests.
package nodetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RequireEnv is the environment variable that, set to 1, makes a test fail instead of skip
// when Node.js or an npm package is not available. CI sets it.
const RequireEnv = "TIDINGS_REQUIRE_NODE"

// MinNodeMajor is the oldest Node.js major version the peers support (web-push-testing
// declares "engines": {"node": ">=20.0.0"}).
const MinNodeMajor = 20

// installTimeout bounds one npm install, so an unreachable registry ends in a skip rather
// than in the test binary's own timeout.
const installTimeout = 5 * time.Minute

// marker is written into an install directory once npm succeeded, before the directory is
// renamed into place: a directory without it is a broken leftover.
const marker = ".tidings-npm.json"

// Install makes sure the npm packages pkgs, each named with an exact version
// ("web-push-testing@1.2.2", "@medplum/fhir-router@4.1.0"), are installed, and returns the
// directory whose node_modules holds them.
//
// The directory is a cache under os.UserCacheDir()/tidings/npm, named by a hash of the
// packages and of Node.js's major version, so npm runs once per machine, not once per test
// run. It is built in a temporary directory and renamed into place when complete, so test
// binaries running at the same time never see half an install: the loser of a race discards
// its copy and uses the winner's. Delete the directory to force a fresh install.
//
// Without node or npm on PATH, or when npm install fails (offline), the test is skipped with
// the reason, or fails when TIDINGS_REQUIRE_NODE=1. A package named without an exact version
// is a mistake in the test and fails it.
func Install(t testing.TB, pkgs ...string) string {
	t.Helper()
	dir, err := install(t.Context(), pkgs)
	if err != nil {
		var u *unavailableError
		if errors.As(err, &u) {
			unavailable(t, u.reason)
		} else {
			t.Fatalf("nodetest: %v", err)
		}
		return ""
	}
	return dir
}

// unavailableError says that Node.js or a package cannot be had on this machine: a reason
// to skip, not a bug.
type unavailableError struct{ reason string }

func (e *unavailableError) Error() string { return e.reason }

// unavailable skips t with reason, or fails it when RequireEnv is set.
func unavailable(t testing.TB, reason string) {
	t.Helper()
	if required() {
		t.Fatalf("%s (%s=1 makes this a failure)", reason, RequireEnv)
		return
	}
	t.Skipf("%s (set %s=1 to make this a failure)", reason, RequireEnv)
}

// required reports whether RequireEnv asks for Node.js tests to fail rather than skip.
func required() bool {
	v, _ := strconv.ParseBool(os.Getenv(RequireEnv))
	return v
}

// notFound is the line printed when a tool is missing; need says what for.
func notFound(tool, need string) *unavailableError {
	return &unavailableError{fmt.Sprintf("%s not found: install Node.js %d to run %s", tool, MinNodeMajor, need)}
}

// lookNode finds node and returns its path and major version; need says what for.
func lookNode(ctx context.Context, need string) (string, int, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", 0, notFound("node", need)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return "", 0, &unavailableError{fmt.Sprintf("node --version failed: %v", err)}
	}
	v := strings.TrimSpace(string(out))
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "v"), ".", 2)[0])
	if err != nil {
		return "", 0, &unavailableError{fmt.Sprintf("node --version printed %q, not a version", v)}
	}
	if major < MinNodeMajor {
		return "", 0, &unavailableError{fmt.Sprintf("node %s is too old: install Node.js %d to run %s", v, MinNodeMajor, need)}
	}
	return node, major, nil
}

// install does the work of Install and returns an *unavailableError when the machine lacks
// Node.js or the registry.
func install(ctx context.Context, pkgs []string) (string, error) {
	if len(pkgs) == 0 {
		return "", errors.New("install: no packages named")
	}
	specs := make([]spec, len(pkgs))
	for i, p := range pkgs {
		s, err := parseSpec(p)
		if err != nil {
			return "", fmt.Errorf("install: %w", err)
		}
		specs[i] = s
	}
	need := "the tests that need " + strings.Join(pkgs, ", ")
	_, major, err := lookNode(ctx, need)
	if err != nil {
		return "", err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", notFound("npm", need)
	}

	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir() // no HOME: still better than installing per run
	}
	base = filepath.Join(base, "tidings", "npm")
	key := cacheKey(pkgs, major)
	dir := filepath.Join(base, key)
	if complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("install: create the npm cache: %w", err)
	}
	removeStale(base, time.Hour)

	tmp, err := os.MkdirTemp(base, key+".tmp-")
	if err != nil {
		return "", fmt.Errorf("install: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	// A package.json of our own keeps npm from looking for a project further up and from
	// warning about a missing description.
	if err := os.WriteFile(filepath.Join(tmp, "package.json"),
		[]byte(`{"private": true, "description": "npm peers for Tidings tests (internal/nodetest)"}`+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("install: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, installTimeout)
	defer cancel()
	// --prefer-offline: an exact version can come from npm's download cache without asking
	// the registry, so a machine that installed it once can run offline.
	args := append([]string{"install", "--no-audit", "--no-fund", "--save-exact", "--prefer-offline", "--prefix", tmp}, pkgs...)
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	// npm's default retries take over a minute to give up when offline; one quick retry
	// keeps a skip quick. Settings already in the environment win.
	for _, kv := range []string{"npm_config_fetch_retries=1", "npm_config_fetch_retry_mintimeout=1000", "npm_config_fetch_retry_maxtimeout=5000"} {
		if k, _, _ := strings.Cut(kv, "="); os.Getenv(k) == "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", &unavailableError{fmt.Sprintf("npm install %s failed: %v (offline? npm said:)\n%s",
			strings.Join(pkgs, " "), err, head(out.String(), 10))}
	}
	for _, s := range specs {
		got, err := installedVersion(tmp, s.name)
		if err != nil {
			return "", fmt.Errorf("install %s: %w", s, err)
		}
		if got != s.version {
			return "", fmt.Errorf("install %s: npm installed version %s", s, got)
		}
	}
	list, _ := json.Marshal(pkgs)
	if err := os.WriteFile(filepath.Join(tmp, marker), append(list, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("install: %w", err)
	}

	if err := os.Rename(tmp, dir); err != nil {
		if complete(dir) {
			return dir, nil // another test binary won the race
		}
		// A leftover without the marker (an install interrupted before this scheme, or
		// a directory emptied by hand): replace it.
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("install: remove the broken %s: %w", dir, err)
		}
		if err := os.Rename(tmp, dir); err != nil && !complete(dir) {
			return "", fmt.Errorf("install: %w", err)
		}
	}
	return dir, nil
}

// complete reports whether dir holds a finished install.
func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, marker))
	return err == nil
}

// removeStale deletes temporary install directories older than age: the remains of test
// binaries killed during npm install.
func removeStale(base string, age time.Duration) {
	matches, _ := filepath.Glob(filepath.Join(base, "*.tmp-*"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && time.Since(fi.ModTime()) > age {
			_ = os.RemoveAll(m)
		}
	}
}

// cacheKey names the install directory: the same packages, in any order, with the same
// Node.js major version share it.
func cacheKey(pkgs []string, nodeMajor int) string {
	sorted := slices.Sorted(slices.Values(pkgs))
	sorted = slices.Compact(sorted)
	h := sha256.Sum256([]byte(fmt.Sprintf("node%d\n%s", nodeMajor, strings.Join(sorted, "\n"))))
	return hex.EncodeToString(h[:8])
}

// spec is one npm package at an exact version.
type spec struct{ name, version string }

func (s spec) String() string { return s.name + "@" + s.version }

// specPattern accepts name@X.Y.Z with an optional scope and pre-release or build suffix;
// ranges, tags ("latest") and URLs are refused, since they would make the cache key lie.
var specPattern = regexp.MustCompile(`^((?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*)@([0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]+)?)$`)

// parseSpec splits "name@1.2.3".
func parseSpec(p string) (spec, error) {
	m := specPattern.FindStringSubmatch(p)
	if m == nil {
		return spec{}, fmt.Errorf("package %q: want name@X.Y.Z, an exact version", p)
	}
	return spec{name: m[1], version: m[2]}, nil
}

// installedVersion reads the version of the package name installed under dir.
func installedVersion(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", errors.New("not in node_modules after npm install")
	}
	if err != nil {
		return "", err
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", fmt.Errorf("read its package.json: %w", err)
	}
	return pkg.Version, nil
}

// head returns the first n lines of s, where npm puts the error code and its reason.
func head(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}
