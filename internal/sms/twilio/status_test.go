package twilio

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func TestReplaces(t *testing.T) {
	tests := []struct {
		stored, next Status
		want         bool
	}{
		{"", StatusQueued, true},
		{"", StatusDelivered, true},
		{"", "bogus", false},
		{"bogus", StatusSent, true},
		{StatusAccepted, StatusQueued, true},
		{StatusQueued, StatusSending, true},
		{StatusQueued, StatusSent, true},
		{StatusSending, StatusSent, true},
		{StatusSent, StatusDelivered, true},
		{StatusSent, StatusUndelivered, true},
		{StatusQueued, StatusFailed, true},
		{StatusDelivered, StatusRead, true},
		{StatusQueued, StatusQueued, false},         // duplicate
		{StatusSent, StatusSending, false},          // out of order
		{StatusSent, StatusQueued, false},           // out of order
		{StatusDelivered, StatusDelivered, false},   // duplicate final
		{StatusDelivered, StatusSent, false},        // late intermediate
		{StatusDelivered, StatusUndelivered, false}, // first final word stands
		{StatusFailed, StatusDelivered, false},
		{StatusUndelivered, StatusQueued, false},
		{StatusSent, "partially_delivered", false}, // unknown to us: ignored
	}
	for _, tc := range tests {
		if got := tc.next.Replaces(tc.stored); got != tc.want {
			t.Errorf("%q.Replaces(%q) = %v, want %v", tc.next, tc.stored, got, tc.want)
		}
	}
}

// order is the documented lifecycle, written independently of rank.
var order = []Status{StatusQueued, StatusSending, StatusSent, StatusDelivered}

// TestPropertyCallbacksNeverGoBackwards replays the callbacks of one message (some copies of
// its lifecycle's statuses, the final among them) in any order: the stored status only ever
// moves forward and ends on the final one.
func TestPropertyCallbacksNeverGoBackwards(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		final := rapid.SampledFrom([]Status{StatusDelivered, StatusUndelivered, StatusFailed}).Draw(t, "final")
		life := append(slices.Clone(order[:3]), final)
		extra := rapid.SliceOfN(rapid.SampledFrom(life), 0, 8).Draw(t, "extra")
		calls := append(extra, final)
		perm := rapid.Permutation(calls).Draw(t, "order")
		stored := Status("")
		for _, s := range perm {
			if !s.Replaces(stored) {
				continue
			}
			if slices.Index(life, s) < slices.Index(life, stored) {
				t.Fatalf("moved back from %s to %s", stored, s)
			}
			stored = s
		}
		if stored != final {
			t.Fatalf("ended on %s, want %s", stored, final)
		}
	})
}
