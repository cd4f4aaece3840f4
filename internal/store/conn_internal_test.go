package store

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestParseSQLTime: the fast path reads back exactly what sqliteArgs writes.
func TestParseSQLTime(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		in := time.Unix(rapid.Int64Range(-62135596800, 253402300799).Draw(rt, "sec"), rapid.Int64Range(0, 999999).Draw(rt, "us")*1000).UTC()
		got, err := parseSQLTime(in.Format(sqlTimeLayout))
		if err != nil || !got.Equal(in) {
			rt.Fatalf("%v → %v, %v", in, got, err)
		}
	})
	for _, s := range []string{"2026-01-02 03:04:05+00:00", "2026-01-02T03:04:05Z"} {
		if _, err := parseSQLTime(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := parseSQLTime("not a time"); err == nil {
		t.Error("garbage parsed")
	}
}
