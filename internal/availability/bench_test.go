package availability

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchAgendas builds 50 agendas in Australia/Sydney with a 90-day
// horizon that spans the April DST change, split working days, a few
// exceptions and absences, and 200 busy intervals each (10,000 in all),
// booked at odd minutes.
func benchAgendas(tb testing.TB) []Query {
	syd := zone(tb, "Australia/Sydney")
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2025, 3, 20, 8, 3, 0, 0, syd)
	qs := make([]Query, 50)
	for i := range qs {
		var weekly [7][]Hours
		for d := time.Monday; d <= time.Friday; d++ {
			weekly[d] = []Hours{{At(8, 0), At(12, 30)}, {At(13, 30), At(18, 0)}}
		}
		weekly[time.Saturday] = []Hours{{At(9, 0), At(12, 0)}}
		busy := make([]Interval, 200)
		for k := range busy {
			start := now.Add(time.Duration(rng.IntN(90*24*60)) * time.Minute)
			busy[k] = Interval{Start: start, End: start.Add(time.Duration(10+rng.IntN(50)) * time.Minute)}
		}
		qs[i] = Query{
			Zone: syd,
			Schedule: Schedule{Weekly: weekly, Exceptions: []Exception{
				{Date: Date{2025, time.April, 18}, Closed: true},
				{Date: Date{2025, time.April, 25}, Closed: true},
				{Date: Date{2025, time.May, 3}, Hours: []Hours{{At(13, 0), At(16, 0)}}},
			}},
			Absences: []Interval{{Start: now.AddDate(0, 0, 20+i%30), End: now.AddDate(0, 0, 23+i%30)}},
			Busy:     busy,
			Duration: 15 * time.Minute,
			Rules:    Rules{HorizonDays: 90, MinNotice: 2 * time.Hour, Mode: GridClock, Grid: 15 * time.Minute},
			Now:      now,
		}
	}
	return qs
}

// BenchmarkSlots: one op = all 50 agendas, 90 days each.
func BenchmarkSlots(b *testing.B) {
	qs := benchAgendas(b)
	total := 0
	for _, q := range qs {
		s, err := Slots(q)
		if err != nil {
			b.Fatal(err)
		}
		total += len(s)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, q := range qs {
			if _, err := Slots(q); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(total), "slots/op")
}

// BenchmarkAppendSlots: as BenchmarkSlots, reusing one result buffer.
func BenchmarkAppendSlots(b *testing.B) {
	qs := benchAgendas(b)
	var buf []time.Time
	b.ReportAllocs()
	for b.Loop() {
		for _, q := range qs {
			var err error
			if buf, err = AppendSlots(buf[:0], q); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFirst: one op = "first available" over the same 50 agendas.
func BenchmarkFirst(b *testing.B) {
	qs := benchAgendas(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok, err := First(qs); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkFirstLateSlot: only the last agenda has a slot, 80 days out,
// so First has to widen its search almost to the end of the horizon.
func BenchmarkFirstLateSlot(b *testing.B) {
	qs := benchAgendas(b)
	for i := range qs {
		qs[i].Absences = []Interval{{Start: qs[i].Now, End: qs[i].Now.AddDate(0, 0, 200)}}
	}
	qs[49].Absences[0].End = qs[49].Now.AddDate(0, 0, 80)
	b.ReportAllocs()
	for b.Loop() {
		if idx, _, ok, err := First(qs); err != nil || !ok || idx != 49 {
			b.Fatal(idx, ok, err)
		}
	}
}
