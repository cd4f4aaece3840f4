package recall_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// TestSequenceInvariants (RES-2..RES-6) drives one patient through random histories —
// template and manual results of the last days arriving in any order, results marked
// notified, bookings and cancellations through the booking use case, dispatcher rounds,
// time passing, staff starting, skipping or closing recalls — and checks after each event
// that:
//   - a sequence that is not active has no planned step (a booked, manual, unreachable,
//     waiting, done or skipped one sends nothing more);
//   - no step of a sequence is live (planned, on its way or sent) twice: steps are planned
//     once and a resumed sequence plans again only the withdrawn ones (staff starting a
//     recall again restart it from its first step, on purpose);
//   - every taken result is in the sequence of its day performed, in the clinic's zone;
//   - a day with a manual result is manual (or done, when the clinic told the patient
//     after it), unless staff started it since;
//   - a booked sequence names its appointment.
func TestSequenceInvariants(t *testing.T) {
	w := newWorld(t)
	iteration := 0
	rapid.Check(t, func(rt *rapid.T) {
		iteration++
		// Each history has its own patient and its own two months, so that appointments of
		// earlier histories never overlap this one's.
		w.clock.Set(t0.Add(time.Duration(iteration) * 60 * 24 * time.Hour))
		ext := fmt.Sprintf("RP%d", iteration)
		p := w.patient(w.f.Database.ID, ext, func(p *clinic.Patient) { p.Mobile = fmt.Sprintf("+614120%05d", iteration) })
		type sent struct {
			r   result
			day string
		}
		var results []sent
		var appts []clinic.Appointment
		started := map[int64]bool{} // sequences staff started
		slot := 0
		intake := func(rt *rapid.T, action string) {
			back := rapid.IntRange(0, 2).Draw(rt, "days back")
			hour := rapid.IntRange(0, 23).Draw(rt, "hour")
			now := w.clock.Now().In(w.syd)
			at := time.Date(now.Year(), now.Month(), now.Day()-back, hour, 0, 0, 0, w.syd)
			r := result{id: fmt.Sprintf("%s-%d", ext, len(results)), test: fmt.Sprintf("Test %d", len(results)), performed: at.Format("20060102150405-0700"),
				action: action, category: "Pathology"}
			w.send(w.oru(facility, ext, r))
			results = append(results, sent{r, at.Format(time.DateOnly)})
		}
		rt.Repeat(map[string]func(*rapid.T){
			"template": func(rt *rapid.T) { intake(rt, "Non-urgent appointment") },
			"manual":   func(rt *rapid.T) { intake(rt, "Return urgently") },
			"notified": func(rt *rapid.T) {
				if len(results) == 0 {
					rt.Skip("no result yet")
				}
				i := rapid.IntRange(0, len(results)-1).Draw(rt, "result")
				r := results[i].r
				r.state = rapid.SampledFrom([]string{"N", "G", "D"}).Draw(rt, "state")
				w.send(w.oru(facility, ext, r))
			},
			"book": func(rt *rapid.T) {
				slot++
				appts = append(appts, w.book(p.ID, w.clock.Now().Add(36*time.Hour+time.Duration(slot)*20*time.Minute)))
			},
			"cancel": func(rt *rapid.T) {
				var open []int
				for i, a := range appts {
					if a.Status.Upcoming() && a.Start.After(w.clock.Now()) {
						open = append(open, i)
					}
				}
				if len(open) == 0 {
					rt.Skip("nothing to cancel")
				}
				i := rapid.SampledFrom(open).Draw(rt, "appointment")
				appts[i] = w.cancel(appts[i])
			},
			"dispatch": func(rt *rapid.T) { w.drain() },
			"time passes": func(rt *rapid.T) {
				w.clock.Advance(time.Duration(rapid.IntRange(1, 4).Draw(rt, "days")) * 24 * time.Hour)
			},
			"staff": func(rt *rapid.T) {
				ss := w.sequences(p.ID)
				if len(ss) == 0 {
					rt.Skip("no sequence yet")
				}
				s := rapid.SampledFrom(ss).Draw(rt, "sequence")
				var err error
				switch rapid.SampledFrom([]string{"start", "skip", "done"}).Draw(rt, "action") {
				case "start":
					if err = w.svc.Start(ctx, w.admin, s.ID); err == nil {
						started[s.ID] = true
					}
				case "skip":
					err = w.svc.Skip(ctx, w.admin, s.ID)
				case "done":
					err = w.svc.Done(ctx, w.admin, s.ID)
				}
				var conflict *clinic.ConflictError
				if err != nil && !errors.As(err, &conflict) {
					rt.Fatalf("staff action: %v", err)
				}
			},
			"": func(rt *rapid.T) {
				var ss []store.Sequence
				steps := map[int64][]store.Notification{}
				stored := map[string]store.Result{}
				if err := w.db.View(ctx, func(tx *store.Tx) error {
					var err error
					if ss, err = tx.Recalls().SequencesOfPatient(ctx, w.f.Org.ID, p.ID, 100); err != nil {
						return err
					}
					for _, s := range ss {
						if steps[s.ID], err = tx.Recalls().StepsOf(ctx, w.f.Org.ID, s.ID); err != nil {
							return err
						}
					}
					rs, err := tx.Sync().ResultsOf(ctx, w.f.Org.ID, p.ID)
					for _, r := range rs {
						stored[r.ExternalID] = r
					}
					return err
				}); err != nil {
					rt.Fatal(err)
				}
				byID := map[int64]store.Sequence{}
				for _, s := range ss {
					byID[s.ID] = s
					livePer := map[int]int{}
					for _, n := range steps[s.ID] {
						if n.State == store.NotePlanned && s.State != store.SeqActive {
							rt.Fatalf("sequence %d is %s but step %d is planned", s.ID, s.State, n.Step)
						}
						if live(n) && !started[s.ID] { // staff restart a recall from its first step
							livePer[n.Step]++
							if livePer[n.Step] > 1 {
								rt.Fatalf("sequence %d: step %d is live twice: %+v", s.ID, n.Step, steps[s.ID])
							}
						}
					}
					if s.State == store.SeqBooked && s.AppointmentID == 0 {
						rt.Fatalf("sequence %d is booked into no appointment", s.ID)
					}
				}
				manualDays := map[int64]bool{}
				for _, x := range results {
					r, ok := stored[x.r.id]
					if !ok {
						rt.Fatalf("result %s not stored", x.r.id)
					}
					s, ok := byID[r.SequenceID]
					if !ok || s.GroupDay != x.day || s.Kind != store.SeqKindResults {
						rt.Fatalf("result %s of %s in sequence %d (%+v)", x.r.id, x.day, r.SequenceID, s)
					}
					if r.Outcome == "manual" {
						manualDays[s.ID] = true
					}
				}
				for id := range manualDays {
					if s := byID[id]; !started[id] && s.State != store.SeqManual && s.State != store.SeqDone && s.State != store.SeqSkipped {
						rt.Fatalf("sequence %d has a manual result but is %s", id, s.State)
					}
				}
			},
		})
	})
}
