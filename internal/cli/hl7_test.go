package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestHL7Commands: the demo opens an MLLP listener and prints it; `tidings hl7 send`
// delivers a file's messages to it and prints each ACK (AA for a new patient of the demo's
// HL7 database, AR for an unknown facility, with a failing exit); `tidings hl7 check` maps
// messages without a database and says why one would be refused (SYN-1).
func TestHL7Commands(t *testing.T) {
	dsn := storetest.DSN(t)
	_, out := startDemo(t, dsn)
	var addr string
	deadline := time.Now().Add(10 * time.Second)
	re := regexp.MustCompile(`HL7 v2 over MLLP: (\S+)`)
	for addr == "" && time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if addr == "" {
		t.Fatalf("the demo printed no MLLP address:\n%s", out.String())
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "adt.hl7")
	msg := "MSH|^~\\&|MD|HARBOURSIDE|TIDINGS|TIDINGS|20261201090000||ADT^A04^ADT_A01|CLI1|P|2.4\n" +
		"EVN|A04|20261201090000\n" +
		"PID|1||CLI-77^^^MD^MR||Example^Robin||19800412|F|||||^PRN^CP^^^^^^^^^0412 000 111\n"
	if err := os.WriteFile(good, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "", "hl7", "send", addr, good)
	if code != 0 || !strings.Contains(stdout, ": AA") {
		t.Errorf("hl7 send: exit %d, out %q, err %q; want 0 and AA", code, stdout, stderr)
	}
	stranger := filepath.Join(dir, "stranger.hl7")
	if err := os.WriteFile(stranger, []byte(strings.Replace(msg, "HARBOURSIDE", "NOWHERE", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = run(t, "", "hl7", "send", addr, stranger)
	if code == 0 || !strings.Contains(stdout, ": AR") || !strings.Contains(stdout, "MSH-4") {
		t.Errorf("hl7 send to an unknown facility: exit %d, out %q; want a failure, AR naming MSH-4", code, stdout)
	}

	code, stdout, stderr = run(t, "", "hl7", "check", "--profile", "medical_director", "--zone", "Australia/Sydney", good)
	if code != 0 || !strings.Contains(stdout, "ADT^A04") || !strings.Contains(stdout, "CLI-77") {
		t.Errorf("hl7 check: exit %d, out %q, err %q", code, stdout, stderr)
	}
	bad := filepath.Join(dir, "bad.hl7")
	if err := os.WriteFile(bad, []byte(strings.Replace(msg, "CLI-77^^^MD^MR", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = run(t, "", "hl7", "check", bad)
	if code == 0 || !strings.Contains(stdout, "refused") || !strings.Contains(stdout, "PID-3") {
		t.Errorf("hl7 check of a message without PID-3: exit %d, out %q; want a failure naming PID-3", code, stdout)
	}
	if code, _, stderr := run(t, "", "hl7", "check", "--profile", "nope", good); code == 0 || !strings.Contains(stderr, "--profile") {
		t.Errorf("hl7 check --profile nope: exit %d, err %q", code, stderr)
	}
}
