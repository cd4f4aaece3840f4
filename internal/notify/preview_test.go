package notify_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
)

// TestPreviewNoticesMatchPlan (NOT-1): the notice a preview announces for a cancellation is
// the one Plan then plans, for each state a booking notice can be in.
func TestPreviewNoticesMatchPlan(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env) clinic.Appointment
		want  string // the notice's kind, "" for none
	}{
		{"booked a moment ago: its confirmation is withdrawn, nothing said", func(e *env) clinic.Appointment {
			return e.book(e.at(4, 10, 0))
		}, ""},
		{"confirmation sent: a cancellation notice", func(e *env) clinic.Appointment {
			a := e.book(e.at(4, 10, 0))
			e.clock.Advance(3 * time.Minute)
			e.drain()
			return a
		}, notify.KindCancellation},
		{"moved after its confirmation went: the waiting reschedule notice gives way", func(e *env) clinic.Appointment {
			a := e.book(e.at(4, 10, 0))
			e.clock.Advance(3 * time.Minute)
			e.drain()
			return e.move(a, e.at(4, 11, 0))
		}, notify.KindCancellation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			// Open hours every day, so that the bookings are within them.
			var hours []clinic.WorkingHours
			for wd := time.Sunday; wd <= time.Saturday; wd++ {
				hours = append(hours, clinic.WorkingHours{Weekday: wd, Start: 8 * 60, End: 18 * 60})
			}
			if err := e.db.Update(ctx, func(tx *store.Tx) error {
				return tx.Schedule().SetWorkingHours(ctx, e.f.Org.ID, e.f.Agenda.ID, hours)
			}); err != nil {
				t.Fatal(err)
			}
			a := tc.setup(e)
			cancelled := a
			cancelled.Status = clinic.StatusCancelled
			var got []notify.Planned
			if err := e.db.View(ctx, func(tx *store.Tx) (err error) {
				got, err = notify.PreviewNotices(ctx, tx, e.f.Org.ID, notify.Change{Kind: notify.Cancelled, Appointment: cancelled},
					notify.Change{Kind: notify.Cancelled, Appointment: cancelled, NoNotice: true})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			want := []notify.Planned{{AppointmentID: a.ID, Kind: tc.want}, {AppointmentID: a.ID}}
			if tc.want != "" {
				want[0].Channels = []consent.Channel{consent.ChannelSMS, consent.ChannelEmail}
				want[0].Due = e.clock.Now().Add(2 * time.Minute)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("preview (-want +got):\n%s", diff)
			}
			before := len(e.notes(a.ID))
			e.cancel(a)
			var planned []string
			for _, n := range e.notes(a.ID)[before:] {
				if n.Kind != notify.KindReminder {
					planned = append(planned, n.Kind+" "+n.Channel)
				}
			}
			var announced []string
			for _, ch := range got[0].Channels {
				announced = append(announced, got[0].Kind+" "+string(ch))
			}
			if diff := cmp.Diff(announced, planned); diff != "" {
				t.Errorf("planned on cancelling (-preview +plan):\n%s", diff)
			}
		})
	}
}
