package recall_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain lowers rapid's default of 100 checks to 30 unless -rapid.checks or
// RAPID_CHECKS asks otherwise: each check of TestSequenceInvariants is a patient's history
// of about 30 transactions through sync, booking and the dispatcher (about 5 s in all).
func TestMain(m *testing.M) {
	flag.Parse()
	set := os.Getenv("RAPID_CHECKS") != ""
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		if err := flag.Set("rapid.checks", "30"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
