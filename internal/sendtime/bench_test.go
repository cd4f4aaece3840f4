package sendtime

import (
	"testing"
	"time"
)

var sinkTime time.Time

// BenchmarkDue: one op = one due time, for each kind of offset and each way a wall-clock
// reading resolves (Due is on the planning path of every booking).
func BenchmarkDue(b *testing.B) {
	syd := zone(b, "Australia/Sydney")
	for _, c := range []struct{ name, start, offset string }{
		{"elapsed", "2025-10-05T09:00:00+11:00", "2h"},
		{"days", "2025-10-05T09:00:00+11:00", "24h"},
		{"at", "2025-10-05T09:00:00+11:00", "1d@10:00"},
		{"repeated", "2026-04-06T02:30:00+10:00", "24h"},
		{"skipped", "2025-10-06T02:30:00+11:00", "24h"},
	} {
		b.Run(c.name, func(b *testing.B) {
			start, o := local(b, c.start), mustParse(b, c.offset)
			b.ReportAllocs()
			for b.Loop() {
				sinkTime, _ = Due(start, syd, o)
			}
		})
	}
}

// BenchmarkPlan: one op = a booking's plan with the usual three reminders.
func BenchmarkPlan(b *testing.B) {
	syd := zone(b, "Australia/Sydney")
	start, now := local(b, "2025-10-05T09:00:00+11:00"), local(b, "2025-09-20T11:00:00+10:00")
	offsets := []Offset{mustParse(b, "72h"), mustParse(b, "2h"), mustParse(b, "1d@10:00")}
	b.ReportAllocs()
	for b.Loop() {
		p, _ := Plan(start, syd, offsets, now)
		sinkTime = p[0].Due
	}
}

// BenchmarkNextAllowed: one op = one send time, in the window and in the quiet hours.
func BenchmarkNextAllowed(b *testing.B) {
	syd := zone(b, "Australia/Sydney")
	w := Window{From: 8 * 60, To: 20 * 60}
	for _, c := range []struct{ name, due string }{
		{"open", "2025-10-06T10:00:00+11:00"},
		{"quiet", "2025-10-06T21:00:00+11:00"},
		{"quiet-over-change", "2025-10-05T01:30:00+10:00"},
	} {
		b.Run(c.name, func(b *testing.B) {
			due := local(b, c.due)
			b.ReportAllocs()
			for b.Loop() {
				sinkTime = NextAllowed(due, syd, w)
			}
		})
	}
}
