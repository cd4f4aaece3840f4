package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
)

// TestAvailabilityEncoding: the hand-written encoder produces exactly what encoding/json
// would for AvailabilityResult, in both formats, including empty agendas.
func TestAvailabilityEncoding(t *testing.T) {
	from := time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)
	av := booking.Availability{
		Reason: clinic.Reason{ID: 7, Duration: 15 * time.Minute},
		Clinic: clinic.Clinic{Zone: `Australia/Sydney`},
		Agendas: []booking.AgendaSlots{
			{AgendaID: 1, Slots: []time.Time{from.Add(9 * time.Hour), from.Add(9*time.Hour + 15*time.Minute)}},
			{AgendaID: 2},
		},
	}
	for _, offsets := range []bool{false, true} {
		raw := appendAvailability(nil, av, availabilityParams{Query: booking.Query{From: from}, Offsets: offsets})
		var got AvailabilityResult
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("offsets=%v: %v\n%s", offsets, err, raw)
		}
		want := AvailabilityResult{ReasonID: 7, DurationMinutes: 15, Zone: "Australia/Sydney",
			Agendas: []AgendaAvailability{{AgendaID: 1}, {AgendaID: 2}}}
		// The format's list is there even when empty ("slots": [], never left out).
		if offsets {
			want.Agendas[0].Offsets = []int64{9 * 3600, 9*3600 + 900}
			want.Agendas[1].Offsets = []int64{}
		} else {
			want.Agendas[0].Slots = av.Agendas[0].Slots
			want.Agendas[1].Slots = []time.Time{}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("offsets=%v (-want +got):\n%s", offsets, d)
		}
		std, _ := json.Marshal(want)
		if string(std)+"\n" != string(raw) {
			t.Errorf("offsets=%v: differs from encoding/json:\n%s\n%s", offsets, std, raw)
		}
	}
}
