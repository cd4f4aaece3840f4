package notify_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/notify"
)

// TestMerge lists every (pending, change, heard) case against the rules of Merge's doc
// comment (NOT-1: booking notices are debounced and merged).
func TestMerge(t *testing.T) {
	const (
		none  = ""
		conf  = notify.KindConfirmation
		resch = notify.KindReschedule
		canc  = notify.KindCancellation
	)
	type want struct {
		Plan string
		Keep bool
	}
	// Every case is spelled out, with the rule that gives it; the loop at the end checks
	// that none of the documented combinations is missing.
	tests := []struct {
		pending string
		change  notify.ChangeKind
		heard   bool
		want    want
		why     string
	}{
		// A booking: a confirmation (a new appointment has nothing pending; were something
		// pending, the confirmation replaces it).
		{none, notify.Booked, false, want{conf, false}, "a booking is confirmed"},
		{none, notify.Booked, true, want{conf, false}, "a booking is confirmed"},
		{conf, notify.Booked, false, want{conf, false}, "a booking is confirmed"},
		{conf, notify.Booked, true, want{conf, false}, "a booking is confirmed"},
		{resch, notify.Booked, false, want{conf, false}, "a booking is confirmed"},
		{resch, notify.Booked, true, want{conf, false}, "a booking is confirmed"},
		{canc, notify.Booked, false, want{conf, false}, "a booking is confirmed"},
		{canc, notify.Booked, true, want{conf, false}, "a booking is confirmed"},

		// A move: a pending confirmation or reschedule notice stays (rendered at send time
		// with the final time); otherwise a reschedule notice.
		{none, notify.Rescheduled, false, want{resch, false}, "nothing pending: a reschedule notice"},
		{none, notify.Rescheduled, true, want{resch, false}, "nothing pending: a reschedule notice"},
		{conf, notify.Rescheduled, false, want{none, true}, "the pending confirmation says the new time"},
		{conf, notify.Rescheduled, true, want{none, true}, "the pending confirmation says the new time"},
		{resch, notify.Rescheduled, false, want{none, true}, "the pending reschedule notice says the new time"},
		{resch, notify.Rescheduled, true, want{none, true}, "the pending reschedule notice says the new time"},
		{canc, notify.Rescheduled, false, want{resch, false}, "a pending cancellation is replaced by a reschedule notice"},
		{canc, notify.Rescheduled, true, want{resch, false}, "a pending cancellation is replaced by a reschedule notice"},

		// A cancellation: booked and cancelled within the grace period, never heard of:
		// nothing; otherwise the pending notice goes and a cancellation notice is planned.
		{none, notify.Cancelled, false, want{canc, false}, "a cancellation notice"},
		{none, notify.Cancelled, true, want{canc, false}, "a cancellation notice"},
		{conf, notify.Cancelled, false, want{none, false}, "booked and cancelled within the grace period: nothing said"},
		{conf, notify.Cancelled, true, want{canc, false}, "the patient heard of the appointment: tell them"},
		{resch, notify.Cancelled, false, want{canc, false}, "the pending move is replaced by the cancellation"},
		{resch, notify.Cancelled, true, want{canc, false}, "the pending move is replaced by the cancellation"},
		{canc, notify.Cancelled, false, want{canc, false}, "a cancellation notice"},
		{canc, notify.Cancelled, true, want{canc, false}, "a cancellation notice"},

		// A reinstatement: a pending cancellation notice goes and nothing is said (the patient
		// never learnt of the cancellation); otherwise a confirmation.
		{none, notify.Reinstated, false, want{conf, false}, "reinstated after the patient was told: confirm again"},
		{none, notify.Reinstated, true, want{conf, false}, "reinstated after the patient was told: confirm again"},
		{conf, notify.Reinstated, false, want{conf, false}, "a confirmation"},
		{conf, notify.Reinstated, true, want{conf, false}, "a confirmation"},
		{resch, notify.Reinstated, false, want{conf, false}, "a confirmation"},
		{resch, notify.Reinstated, true, want{conf, false}, "a confirmation"},
		{canc, notify.Reinstated, false, want{none, false}, "the cancellation was never sent: nothing said"},
		{canc, notify.Reinstated, true, want{none, false}, "the cancellation was never sent: nothing said"},

		// A change the planner does not know: nothing planned, whatever is pending stays.
		{none, 0, false, want{none, false}, "unknown change, nothing pending"},
		{conf, 0, false, want{none, true}, "unknown change keeps the pending notice"},
		{canc, 99, true, want{none, true}, "unknown change keeps the pending notice"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		name := fmt.Sprintf("pending=%q/change=%d/heard=%v", tt.pending, tt.change, tt.heard)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			plan, keep := notify.Merge(tt.pending, tt.change, tt.heard)
			if diff := cmp.Diff(tt.want, want{plan, keep}); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.why, diff)
			}
		})
	}
	// Every combination of the documented changes is in the table.
	for _, p := range []string{none, conf, resch, canc} {
		for _, c := range []notify.ChangeKind{notify.Booked, notify.Rescheduled, notify.Cancelled, notify.Reinstated} {
			for _, h := range []bool{false, true} {
				if name := fmt.Sprintf("pending=%q/change=%d/heard=%v", p, c, h); !seen[name] {
					t.Errorf("the table misses %s", name)
				}
			}
		}
	}
}
