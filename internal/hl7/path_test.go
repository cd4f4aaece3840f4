package hl7

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want Path
		str  string
	}{
		{"PID-5", Path{"PID", 1, 5, 1, 1, 1}, "PID-5"},
		{"PID-5.1", Path{"PID", 1, 5, 1, 1, 1}, "PID-5"},
		{"PID-5.2", Path{"PID", 1, 5, 1, 2, 1}, "PID-5.2"},
		{"PID-3[2].1", Path{"PID", 1, 3, 2, 1, 1}, "PID-3[2]"},
		{"PID-3[2].4.2", Path{"PID", 1, 3, 2, 4, 2}, "PID-3[2].4.2"},
		{"OBX[3]-5", Path{"OBX", 3, 5, 1, 1, 1}, "OBX[3]-5"},
		{"OBX[12]-5[2].3.4", Path{"OBX", 12, 5, 2, 3, 4}, "OBX[12]-5[2].3.4"},
		{"MSH-9-2", Path{"MSH", 1, 9, 1, 2, 1}, "MSH-9.2"},
		{"PID.5.1", Path{"PID", 1, 5, 1, 1, 1}, "PID-5"},
		{"Z01-999999", Path{"Z01", 1, 999999, 1, 1, 1}, "Z01-999999"},
	}
	for _, tc := range tests {
		got, err := ParsePath(tc.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParsePath(%q) (-want +got):\n%s", tc.in, diff)
		}
		if got.String() != tc.str {
			t.Errorf("ParsePath(%q).String() = %q, want %q", tc.in, got.String(), tc.str)
		}
		if again, err := ParsePath(got.String()); err != nil || again != got {
			t.Errorf("String() %q does not read back: %v", got.String(), err)
		}
	}
	for _, bad := range []string{"", "PID", "PID-", "pid-5", "PI-5", "PID-0", "PID-5.0", "PID-5[0]", "PID[0]-5",
		"PID-5[2", "PID-5.1.1.1", "PID-5x", "PID 5", "PID-1234567", "PID-5.", "PID-5[]", "PID-+5", "PID--5", "1ID-5"} {
		if p, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) = %+v, want an error", bad, p)
		}
	}
}
