package availability

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Table tests for every rule. The reference day is Monday 2025-03-03 in
// Europe/Paris (no DST change nearby); times are written as local wall
// times "2006-01-02 15:04".

const wallLayout = "2006-01-02 15:04"

func wall(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	layout := wallLayout
	if len(s) > len(wallLayout) {
		layout = "2006-01-02 15:04:05.999999999"
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func fmtWall(loc *time.Location, ts []time.Time) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.In(loc).Format(wallLayout))
	}
	return out
}

func weekdays(hs ...Hours) [7][]Hours {
	var w [7][]Hours
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = hs
	}
	return w
}

// baseQuery: Mon-Fri 09:00-10:00, 15-minute clock grid, 15-minute
// appointments, window = Monday 2025-03-03, booked from the Saturday
// before. Its slots are 09:00, 09:15, 09:30, 09:45.
func baseQuery(tb testing.TB) Query {
	paris := zone(tb, "Europe/Paris")
	return Query{
		Zone:     paris,
		Schedule: Schedule{Weekly: weekdays(Hours{At(9, 0), At(10, 0)})},
		Duration: 15 * time.Minute,
		Window:   Interval{Start: wall(tb, paris, "2025-03-03 00:00"), End: wall(tb, paris, "2025-03-04 00:00")},
		Rules:    Rules{HorizonDays: 30, Mode: GridClock, Grid: 15 * time.Minute},
		Now:      wall(tb, paris, "2025-03-01 12:00"),
	}
}

func mon(hhmm ...string) []string {
	out := make([]string, len(hhmm))
	for i, s := range hhmm {
		out[i] = "2025-03-03 " + s
	}
	return out
}

func TestSlots(t *testing.T) {
	t.Parallel()
	paris := zone(t, "Europe/Paris")
	at := func(s string) time.Time { return wall(t, paris, s) }
	iv := func(a, b string) Interval { return Interval{Start: at(a), End: at(b)} }
	hours := func(hs ...Hours) func(q *Query) {
		return func(q *Query) { q.Schedule.Weekly = weekdays(hs...) }
	}
	tests := []struct {
		name string
		mod  func(q *Query)
		want []string
	}{
		{"clock grid/base day", func(q *Query) {}, mon("09:00", "09:15", "09:30", "09:45")},
		{"clock grid/duration longer than grid", func(q *Query) { q.Duration = 30 * time.Minute },
			mon("09:00", "09:15", "09:30")},
		{"clock grid/aligned to local clock not to opening", hours(Hours{At(9, 10), At(10, 0)}),
			mon("09:15", "09:30", "09:45")},
		{"clock grid/hourly", func(q *Query) {
			q.Schedule.Weekly = weekdays(Hours{At(8, 30), At(11, 0)})
			q.Rules.Grid = time.Hour
			q.Duration = 30 * time.Minute
		}, mon("09:00", "10:00")},
		{"clock grid/appointment must fit before closing", func(q *Query) {
			q.Schedule.Weekly = weekdays(Hours{At(9, 0), At(9, 40)})
			q.Duration = 30 * time.Minute
		}, mon("09:00")},
		{"reason grid/chains from opening", func(q *Query) {
			q.Schedule.Weekly = weekdays(Hours{At(9, 10), At(10, 30)})
			q.Rules.Mode, q.Rules.Grid = GridReason, 0
			q.Duration = 20 * time.Minute
		}, mon("09:10", "09:30", "09:50", "10:10")},
		{"reason grid/explicit step", func(q *Query) {
			q.Rules.Mode, q.Rules.Grid = GridReason, 10*time.Minute
			q.Duration = 30 * time.Minute
		}, mon("09:00", "09:10", "09:20", "09:30")},
		{"reason grid/each working run anchors separately", func(q *Query) {
			q.Schedule.Weekly = weekdays(Hours{At(9, 0), At(9, 50)}, Hours{At(10, 5), At(11, 0)})
			q.Rules.Mode, q.Rules.Grid = GridReason, 0
			q.Duration = 25 * time.Minute
		}, mon("09:00", "09:25", "10:05", "10:30")},
		{"reason grid/touching hours form one run", func(q *Query) {
			q.Schedule.Weekly = weekdays(Hours{At(9, 50), At(11, 0)}, Hours{At(9, 0), At(9, 50)})
			q.Rules.Mode, q.Rules.Grid = GridReason, 0
			q.Duration = 40 * time.Minute
		}, mon("09:00", "09:40", "10:20")},
		{"reason grid/run crossing midnight re-anchors at local midnight", func(q *Query) {
			q.Schedule.Weekly = [7][]Hours{
				time.Monday:  {{At(22, 0), EndOfDay}},
				time.Tuesday: {{At(0, 0), At(1, 0)}},
			}
			q.Rules.Mode, q.Rules.Grid = GridReason, 0
			q.Duration = 45 * time.Minute
			q.Window = iv("2025-03-03 00:00", "2025-03-05 00:00")
		}, []string{"2025-03-03 22:00", "2025-03-03 22:45", "2025-03-03 23:30", "2025-03-04 00:00"}},
		{"hours/overlapping intervals are merged", hours(Hours{At(9, 15), At(10, 0)}, Hours{At(9, 0), At(9, 30)}),
			mon("09:00", "09:15", "09:30", "09:45")},
		{"hours/weekend closed", func(q *Query) { q.Window = iv("2025-03-08 00:00", "2025-03-10 00:00") }, nil},
		{"midnight/appointment may run into the next day's hours", func(q *Query) {
			q.Schedule.Weekly = [7][]Hours{
				time.Monday:  {{At(23, 0), EndOfDay}},
				time.Tuesday: {{At(0, 0), At(1, 0)}},
			}
			q.Rules.Grid = 30 * time.Minute
			q.Duration = time.Hour
			q.Window = iv("2025-03-03 00:00", "2025-03-05 00:00")
		}, []string{"2025-03-03 23:00", "2025-03-03 23:30", "2025-03-04 00:00"}},
		{"midnight/appointment may not run into a closed day", func(q *Query) {
			q.Schedule.Weekly = [7][]Hours{time.Monday: {{At(23, 0), EndOfDay}}}
			q.Rules.Grid = 30 * time.Minute
			q.Duration = time.Hour
			q.Window = iv("2025-03-03 00:00", "2025-03-05 00:00")
		}, mon("23:00")},
		{"exception/closed day", func(q *Query) {
			q.Schedule.Exceptions = []Exception{{Date: Date{2025, time.March, 3}, Closed: true}}
		}, nil},
		{"exception/closed other day leaves this one", func(q *Query) {
			q.Schedule.Exceptions = []Exception{{Date: Date{2025, time.March, 4}, Closed: true}}
		}, mon("09:00", "09:15", "09:30", "09:45")},
		{"exception/extra hours are added", func(q *Query) {
			q.Schedule.Exceptions = []Exception{{Date: Date{2025, time.March, 3}, Hours: []Hours{{At(14, 0), At(14, 30)}}}}
		}, mon("09:00", "09:15", "09:30", "09:45", "14:00", "14:15")},
		{"exception/closed with hours replaces the day", func(q *Query) {
			q.Schedule.Exceptions = []Exception{{Date: Date{2025, time.March, 3}, Closed: true, Hours: []Hours{{At(14, 0), At(14, 30)}}}}
		}, mon("14:00", "14:15")},
		{"exception/several for one date combine", func(q *Query) {
			q.Schedule.Exceptions = []Exception{
				{Date: Date{2025, time.March, 3}, Hours: []Hours{{At(14, 0), At(14, 15)}}},
				{Date: Date{2025, time.March, 3}, Closed: true},
				{Date: Date{2025, time.March, 3}, Hours: []Hours{{At(16, 0), At(16, 15)}}},
			}
		}, mon("14:00", "16:00")},
		{"exception/opens a Saturday", func(q *Query) {
			q.Schedule.Exceptions = []Exception{{Date: Date{2025, time.March, 8}, Hours: []Hours{{At(10, 0), At(10, 30)}}}}
			q.Window = iv("2025-03-08 00:00", "2025-03-09 00:00")
		}, []string{"2025-03-08 10:00", "2025-03-08 10:15"}},
		{"absence/whole day", func(q *Query) {
			q.Absences = []Interval{iv("2025-03-02 18:00", "2025-03-04 00:00")}
		}, nil},
		{"absence/partial", func(q *Query) { q.Absences = []Interval{iv("2025-03-03 09:20", "2025-03-03 09:40")} },
			mon("09:00", "09:45")},
		{"busy/odd minutes block exactly", func(q *Query) { q.Busy = []Interval{iv("2025-03-03 09:07", "2025-03-03 09:20")} },
			mon("09:30", "09:45")},
		{"busy/ending on a grid start frees that start", func(q *Query) {
			q.Busy = []Interval{iv("2025-03-03 09:05", "2025-03-03 09:15")}
		}, mon("09:15", "09:30", "09:45")},
		{"busy/touching intervals do not block", func(q *Query) {
			q.Busy = []Interval{iv("2025-03-03 10:00", "2025-03-03 11:00"), iv("2025-03-03 08:00", "2025-03-03 09:00")}
		}, mon("09:00", "09:15", "09:30", "09:45")},
		{"busy/sub-second overlaps block", func(q *Query) {
			q.Busy = []Interval{iv("2025-03-03 09:14:59.999", "2025-03-03 09:15:00.5")}
		}, mon("09:30", "09:45")},
		{"busy/empty interval blocks nothing", func(q *Query) { q.Busy = []Interval{iv("2025-03-03 09:20", "2025-03-03 09:20")} },
			mon("09:00", "09:15", "09:30", "09:45")},
		{"busy/unsorted and overlapping", func(q *Query) {
			q.Busy = []Interval{
				iv("2025-03-03 09:40", "2025-03-03 09:50"),
				iv("2025-03-03 09:00", "2025-03-03 09:10"),
				iv("2025-03-03 09:05", "2025-03-03 09:12"),
			}
		}, mon("09:15")},
		{"busy/other days do not matter", func(q *Query) { q.Busy = []Interval{iv("2025-03-04 09:00", "2025-03-04 10:00")} },
			mon("09:00", "09:15", "09:30", "09:45")},
		{"buffer/extends into the next appointment", func(q *Query) {
			q.BufferAfter = 10 * time.Minute
			q.Busy = []Interval{iv("2025-03-03 09:50", "2025-03-03 10:30")}
		}, mon("09:00", "09:15")},
		{"buffer/may run past closing time", func(q *Query) { q.BufferAfter = 30 * time.Minute },
			mon("09:00", "09:15", "09:30", "09:45")},
		{"buffer/blocked by an absence", func(q *Query) {
			q.BufferAfter = 15 * time.Minute
			q.Absences = []Interval{iv("2025-03-03 10:00", "2025-03-03 18:00")}
		}, mon("09:00", "09:15", "09:30")},
		{"min notice/clips the morning", func(q *Query) {
			q.Now = at("2025-03-03 08:50")
			q.Rules.MinNotice = 20 * time.Minute
		}, mon("09:15", "09:30", "09:45")},
		{"min notice/now exactly on a slot keeps it", func(q *Query) { q.Now = at("2025-03-03 09:15") },
			mon("09:15", "09:30", "09:45")},
		{"min notice/one nanosecond late drops it", func(q *Query) { q.Now = at("2025-03-03 09:15:00.000000001") },
			mon("09:30", "09:45")},
		{"horizon/zero is today only", func(q *Query) {
			q.Now = at("2025-03-03 07:00")
			q.Rules.HorizonDays = 0
			q.Window = iv("2025-03-03 00:00", "2025-03-06 00:00")
		}, mon("09:00", "09:15", "09:30", "09:45")},
		{"horizon/counts whole local days including today", func(q *Query) {
			q.Now = at("2025-03-03 23:30")
			q.Rules.HorizonDays = 1
			q.Schedule.Weekly = weekdays(Hours{At(23, 0), EndOfDay})
			q.Window = iv("2025-03-03 00:00", "2025-03-07 00:00")
		}, []string{"2025-03-03 23:30", "2025-03-03 23:45", "2025-03-04 23:00", "2025-03-04 23:15", "2025-03-04 23:30", "2025-03-04 23:45"}},
		{"horizon/slots past the horizon are dropped", func(q *Query) {
			q.Now = at("2025-02-01 12:00")
			q.Rules.HorizonDays = 29 // 2025-02-01 + 29 = 2025-03-02
		}, nil},
		{"window/clips both ends", func(q *Query) { q.Window = iv("2025-03-03 09:15", "2025-03-03 09:45") },
			mon("09:15", "09:30")},
		{"window/start mid-slot excludes that slot", func(q *Query) {
			q.Window = Interval{Start: at("2025-03-03 09:15:00.5"), End: at("2025-03-04 00:00")}
		}, mon("09:30", "09:45")},
		{"window/empty", func(q *Query) { q.Window = iv("2025-03-03 09:10", "2025-03-03 09:10") }, nil},
		{"window/zero end means horizon", func(q *Query) {
			q.Now = at("2025-03-02 07:00") // Sunday
			q.Rules.HorizonDays = 1
			q.Window.End = time.Time{}
		}, mon("09:00", "09:15", "09:30", "09:45")},
		{"window/zero start means now", func(q *Query) {
			q.Now = at("2025-03-03 09:20")
			q.Window.Start = time.Time{}
		}, mon("09:30", "09:45")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := baseQuery(t)
			tc.mod(&q)
			got, err := Slots(q)
			if err != nil {
				t.Fatalf("Slots: %v", err)
			}
			if diff := cmp.Diff(tc.want, fmtWall(paris, got)); diff != "" && (len(tc.want) > 0 || len(got) > 0) {
				t.Errorf("slots (-want +got):\n%s", diff)
			}
			// The literal oracle must agree with every hand-written case.
			if diff := cmp.Diff(fmtSlots(paris, oracleSlots(q)), fmtSlots(paris, got)); diff != "" {
				t.Errorf("oracle disagrees (-oracle +Slots):\n%s", diff)
			}
			for _, s := range got {
				if s.Location() != q.Zone {
					t.Fatalf("slot %v is in %v, want the query zone", s, s.Location())
				}
			}
			// AppendSlots appends the same slots after existing entries.
			sentinel := time.Unix(0, 0)
			appended, err := AppendSlots([]time.Time{sentinel}, q)
			if err != nil {
				t.Fatalf("AppendSlots: %v", err)
			}
			if !appended[0].Equal(sentinel) {
				t.Errorf("AppendSlots overwrote dst[0] with %v", appended[0])
			}
			if diff := cmp.Diff(fmtSlots(paris, got), fmtSlots(paris, appended[1:])); diff != "" {
				t.Errorf("AppendSlots (-Slots +AppendSlots):\n%s", diff)
			}
		})
	}
}

// TestSlotsZoneOffsetInSeconds: in 1905 Paris kept Paris Mean Time,
// UTC+0:09:21. Slots must still fall on whole local minutes, and a busy
// period must block by the instant.
func TestSlotsZoneOffsetInSeconds(t *testing.T) {
	t.Parallel()
	paris := zone(t, "Europe/Paris")
	at := func(s string) time.Time { return wall(t, paris, s) }
	if _, off := at("1905-06-01 09:00").Zone(); off != 9*60+21 {
		t.Fatalf("Paris offset in 1905 = %ds, test assumes 561s", off)
	}
	q := baseQuery(t)
	q.Now = at("1905-05-30 12:00")
	q.Window = Interval{Start: at("1905-06-01 00:00"), End: at("1905-06-02 00:00")} // a Thursday
	q.Busy = []Interval{{Start: at("1905-06-01 09:29:59"), End: at("1905-06-01 09:30:01")}}
	for _, mode := range []GridMode{GridClock, GridReason} {
		q.Rules.Mode = mode
		got, err := Slots(q)
		if err != nil {
			t.Fatal(err)
		}
		var local []string
		for _, s := range got {
			local = append(local, s.In(paris).Format("15:04:05"))
		}
		if diff := cmp.Diff([]string{"09:00:00", "09:45:00"}, local); diff != "" {
			t.Errorf("%v: slots (-want +got):\n%s", mode, diff)
		}
	}
}

func TestSlotsInvalidQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mod       func(q *Query)
		wantField string
	}{
		{"nil zone", func(q *Query) { q.Zone = nil }, "Zone:"},
		{"zero now", func(q *Query) { q.Now = time.Time{} }, "Now:"},
		{"zero duration", func(q *Query) { q.Duration = 0 }, "Duration:"},
		{"negative duration", func(q *Query) { q.Duration = -time.Minute }, "Duration:"},
		{"duration not whole minutes", func(q *Query) { q.Duration = 90 * time.Second }, "Duration:"},
		{"duration over a day", func(q *Query) { q.Duration = 25 * time.Hour }, "Duration:"},
		{"negative buffer", func(q *Query) { q.BufferAfter = -time.Minute }, "BufferAfter:"},
		{"buffer not whole minutes", func(q *Query) { q.BufferAfter = time.Second }, "BufferAfter:"},
		{"unknown mode", func(q *Query) { q.Rules.Mode = 7 }, "Rules.Mode:"},
		{"clock grid zero", func(q *Query) { q.Rules.Grid = 0 }, "Rules.Grid:"},
		{"clock grid not dividing a day", func(q *Query) { q.Rules.Grid = 7 * time.Minute }, "Rules.Grid:"},
		{"clock grid not whole minutes", func(q *Query) { q.Rules.Grid = 90 * time.Second }, "Rules.Grid:"},
		{"reason step negative", func(q *Query) { q.Rules.Mode, q.Rules.Grid = GridReason, -time.Minute }, "Rules.Grid:"},
		{"negative horizon", func(q *Query) { q.Rules.HorizonDays = -1 }, "Rules.HorizonDays:"},
		{"horizon too long", func(q *Query) { q.Rules.HorizonDays = MaxHorizonDays + 1 }, "Rules.HorizonDays:"},
		{"negative min notice", func(q *Query) { q.Rules.MinNotice = -time.Second }, "Rules.MinNotice:"},
		{"window inverted", func(q *Query) { q.Window.Start, q.Window.End = q.Window.End, q.Window.Start }, "Window:"},
		{"weekly hours inverted", func(q *Query) {
			q.Schedule.Weekly[time.Tuesday] = []Hours{{At(9, 0), At(12, 0)}, {At(17, 0), At(13, 0)}}
		}, "Schedule.Weekly[Tuesday][1]:"},
		{"weekly hours empty", func(q *Query) { q.Schedule.Weekly[time.Sunday] = []Hours{{At(9, 0), At(9, 0)}} },
			"Schedule.Weekly[Sunday][0]:"},
		{"weekly hours past midnight", func(q *Query) { q.Schedule.Weekly[time.Monday] = []Hours{{At(22, 0), At(25, 0)}} },
			"Schedule.Weekly[Monday][0]:"},
		{"weekly hours negative", func(q *Query) { q.Schedule.Weekly[time.Monday] = []Hours{{-1, At(9, 0)}} },
			"Schedule.Weekly[Monday][0]:"},
		{"exception impossible date", func(q *Query) {
			q.Schedule.Exceptions = []Exception{{Date: Date{2025, time.March, 1}}, {Date: Date{2025, time.February, 29}, Closed: true}}
		}, "Schedule.Exceptions[1].Date:"},
		{"exception bad hours", func(q *Query) {
			q.Schedule.Exceptions = []Exception{{Date: Date{2025, time.March, 3}, Hours: []Hours{{At(10, 0), At(9, 0)}}}}
		}, "Schedule.Exceptions[0].Hours[0]:"},
		{"absence inverted", func(q *Query) {
			q.Absences = []Interval{{}, {Start: q.Now.Add(time.Hour), End: q.Now}}
		}, "Absences[1]:"},
		{"busy inverted", func(q *Query) { q.Busy = []Interval{{Start: q.Now.Add(time.Hour), End: q.Now}} }, "Busy[0]:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := baseQuery(t)
			tc.mod(&q)
			if dst, err := AppendSlots(make([]time.Time, 2), q); err == nil || len(dst) != 2 {
				t.Errorf("AppendSlots = %d entries, %v; want dst unchanged and an error", len(dst), err)
			}
			got, err := Slots(q)
			if err == nil {
				t.Fatalf("Slots returned %d slots and no error, want error naming %q", len(got), tc.wantField)
			}
			if !errors.Is(err, ErrInvalidQuery) {
				t.Errorf("error %q does not wrap ErrInvalidQuery", err)
			}
			if !strings.Contains(err.Error(), "invalid query: "+tc.wantField) {
				t.Errorf("error %q does not name field %q", err, tc.wantField)
			}
		})
	}
}

func TestFirst(t *testing.T) {
	t.Parallel()
	paris := zone(t, "Europe/Paris")
	at := func(s string) time.Time { return wall(t, paris, s) }
	withHours := func(q Query, hs ...Hours) Query { q.Schedule.Weekly = weekdays(hs...); return q }
	base := baseQuery(t)
	base.Window = Interval{} // whole horizon
	base.Now = at("2025-03-03 07:00")

	london := base
	london.Zone = zone(t, "Europe/London")
	london.Schedule.Weekly = weekdays(Hours{At(8, 30), At(9, 0)}) // 08:30 London = 09:30 Paris

	full := base
	full.Absences = []Interval{{Start: at("2025-03-01 00:00"), End: at("2025-04-02 00:00")}}

	gone := base
	gone.Absences = []Interval{{Start: at("2025-03-01 00:00"), End: at("2025-06-01 00:00")}}

	deep := base
	deep.Schedule = Schedule{Exceptions: []Exception{{Date: Date{2025, time.May, 20}, Hours: []Hours{{At(15, 0), At(16, 0)}}}}}
	deep.Rules.HorizonDays = 90
	deepBeyondHorizon := deep
	deepBeyondHorizon.Rules.HorizonDays = 77 // last bookable day 2025-05-19

	tests := []struct {
		name      string
		qs        []Query
		wantIndex int
		wantAt    string // Paris wall time, "" when none
	}{
		{"earliest wins", []Query{withHours(base, Hours{At(10, 0), At(11, 0)}), withHours(base, Hours{At(9, 15), At(11, 0)})},
			1, "2025-03-03 09:15"},
		{"tie goes to the lowest index", []Query{withHours(base, Hours{At(10, 0), At(11, 0)}), base, base}, 1, "2025-03-03 09:00"},
		{"compares instants across zones", []Query{withHours(base, Hours{At(9, 45), At(11, 0)}), london}, 1, "2025-03-03 09:30"},
		{"skips an agenda absent for a month", []Query{full, withHours(base, Hours{At(16, 0), At(17, 0)})}, 1, "2025-03-03 16:00"},
		{"absent agenda alone resumes after its absence", []Query{full}, 0, "2025-04-02 09:00"},
		{"finds a slot deep in the horizon", []Query{deep}, 0, "2025-05-20 15:00"},
		{"nothing available", []Query{gone, deepBeyondHorizon, withHours(base)}, -1, ""},
		{"no agendas", nil, -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idx, slot, ok, err := First(tc.qs)
			if err != nil {
				t.Fatalf("First: %v", err)
			}
			got := ""
			if ok {
				got = slot.In(paris).Format(wallLayout)
			}
			if idx != tc.wantIndex || got != tc.wantAt || ok != (tc.wantAt != "") {
				t.Errorf("First = (%d, %q, %v), want (%d, %q)", idx, got, ok, tc.wantIndex, tc.wantAt)
			}
		})
	}

	t.Run("error names the query index", func(t *testing.T) {
		bad := base
		bad.Duration = 0
		_, _, ok, err := First([]Query{base, bad})
		if err == nil || ok || !errors.Is(err, ErrInvalidQuery) || !strings.Contains(err.Error(), "qs[1].Duration:") {
			t.Errorf("First error = %v (ok %v), want ErrInvalidQuery naming qs[1].Duration", err, ok)
		}
	})
}

func TestDate(t *testing.T) {
	t.Parallel()
	t.Run("parse and string round trip", func(t *testing.T) {
		for _, s := range []string{"2024-02-29", "2025-01-01", "2030-12-31", "0999-03-04"} {
			d, err := ParseDate(s)
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", s, err)
			}
			if d.String() != s {
				t.Errorf("ParseDate(%q).String() = %q", s, d)
			}
		}
	})
	t.Run("parse rejects impossible dates", func(t *testing.T) {
		for _, s := range []string{"2025-02-29", "2025-13-01", "2025-1-1", "", "tomorrow"} {
			if d, err := ParseDate(s); err == nil {
				t.Errorf("ParseDate(%q) = %v, want error", s, d)
			}
		}
	})
	t.Run("AddDays and Weekday agree with package time", func(t *testing.T) {
		start := Date{1999, time.December, 25}
		for n := -800; n <= 12000; n += 7 {
			want := time.Date(start.Year, start.Month, start.Day+n, 12, 0, 0, 0, time.UTC)
			got := start.AddDays(n)
			if got != (Date{want.Year(), want.Month(), want.Day()}) || got.Weekday() != want.Weekday() {
				t.Fatalf("AddDays(%d) = %v %v, want %v %v", n, got, got.Weekday(), want.Format(time.DateOnly), want.Weekday())
			}
		}
	})
	t.Run("DateOf uses the zone", func(t *testing.T) {
		instant := time.Date(2025, 3, 3, 14, 30, 0, 0, time.UTC) // 01:30 next day in Sydney
		if got, want := DateOf(instant, zone(t, "Australia/Sydney")), (Date{2025, time.March, 4}); got != want {
			t.Errorf("DateOf Sydney = %v, want %v", got, want)
		}
		if got, want := DateOf(instant, zone(t, "America/New_York")), (Date{2025, time.March, 3}); got != want {
			t.Errorf("DateOf New York = %v, want %v", got, want)
		}
	})
	t.Run("clock formatting", func(t *testing.T) {
		if got := (Hours{At(9, 5), EndOfDay}).String(); got != "09:05-24:00" {
			t.Errorf("Hours.String = %q", got)
		}
	})
}
