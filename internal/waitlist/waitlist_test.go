package waitlist_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"github.com/tidings-health/tidings/internal/waitlist"
)

var ctx = context.Background()

// Friday 6 March 2026, 08:00 in Sydney.
var start = time.Date(2026, 3, 5, 21, 0, 0, 0, time.UTC)

type world struct {
	db    *store.DB
	clock *storetest.Clock
	f     storetest.Fixture
	book  *booking.Service
	wl    *waitlist.Service
	syd   *time.Location
	sys   clinic.Actor
}

func setup(t *testing.T, wave int) *world {
	t.Helper()
	clock := storetest.NewClock(start)
	db := storetest.Open(t, clock.Now)
	w := &world{db: db, clock: clock, f: storetest.Seed(t, db, "acme"), book: booking.New(db)}
	w.wl = waitlist.New(db, w.book, waitlist.Config{PublicURL: "http://portal.test"})
	w.syd, _ = time.LoadLocation("Australia/Sydney")
	w.sys = clinic.SystemActor(w.f.Org.ID, "test")
	err := db.Update(ctx, func(tx *store.Tx) error {
		var hours []clinic.WorkingHours
		for d := time.Monday; d <= time.Friday; d++ {
			hours = append(hours, clinic.WorkingHours{Weekday: d, Start: 9 * 60, End: 17 * 60})
		}
		if err := tx.Schedule().SetWorkingHours(ctx, w.f.Org.ID, w.f.Agenda.ID, hours); err != nil {
			return err
		}
		s, _, err := tx.Portal().PortalSettingsOf(ctx, w.f.Org.ID, w.f.Clinic.ID)
		if err != nil {
			return err
		}
		s.WaitlistWave, s.WaitlistHoldMinutes = wave, 30
		return tx.Portal().SavePortalSettings(ctx, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) at(day, hour, min int) time.Time {
	return time.Date(2026, 3, day, hour, min, 0, 0, w.syd)
}

// waiting puts n new patients on the waitlist for any time on 10 March.
func (w *world) waiting(t *testing.T, n int) []clinic.PatientID {
	t.Helper()
	var out []clinic.PatientID
	for i := range n {
		var p clinic.Patient
		err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
			p, err = tx.Patients().CreatePatient(ctx, w.f.Org.ID, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: fmt.Sprintf("P%d", i), FamilyName: "Wait",
				Email: fmt.Sprintf("p%d@example.org", i), Mobile: "+61412345678"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Second) // entries in order
		if _, err := w.wl.Join(ctx, w.sys, waitlist.JoinInput{ClinicID: w.f.Clinic.ID, PatientID: p.ID, ReasonID: w.f.Reason.ID,
			From: "2026-03-10", To: "2026-03-10"}); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.ID)
	}
	return out
}

// freed books 10 March 10:00 for the fixture's patient and cancels it.
func (w *world) freed(t *testing.T) time.Time {
	t.Helper()
	at := w.at(10, 10, 0)
	res, err := w.book.Book(ctx, w.sys, booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, PatientID: w.f.Patient.ID, Start: at}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.book.Cancel(ctx, w.sys, booking.Change{ID: res.Appointment.ID, Version: res.Appointment.Version}); err != nil {
		t.Fatal(err)
	}
	return at
}

// tokens mints the link of every planned offer message, one per offer, as the dispatcher
// would when sending it.
func (w *world) tokens(t *testing.T) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		ns, err := tx.Notifications().ListNotifications(ctx, w.f.Org.ID, store.NotificationFilter{Page: store.Page{Limit: 1000}})
		if err != nil {
			return err
		}
		for _, n := range ns {
			if n.Kind != "waitlist_offer" || out[n.OfferID] != "" {
				continue
			}
			link, word, err := w.wl.Mint(ctx, tx, n)
			if errors.Is(err, clinic.ErrNotFound) {
				continue // an offer no longer open mints no link
			}
			if err != nil {
				return err
			}
			if len(word) != len("BOOK 1234") {
				t.Errorf("claim word %q", word)
			}
			out[n.OfferID] = link[len("http://portal.test/p/acme-main/offers/"):]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTwentyClaimsOneTime (POR-9, POR-4): twenty waitlisted patients offered one freed
// time claim it at once: exactly one appointment, nineteen told it was taken, and each of
// them is sent the "taken" message.
func TestTwentyClaimsOneTime(t *testing.T) {
	w := setup(t, 20)
	w.waiting(t, 20)
	w.freed(t)
	if n, err := w.wl.Round(ctx); err != nil || n != 1 {
		t.Fatalf("round: %d slots, %v", n, err)
	}
	toks := w.tokens(t)
	if len(toks) != 20 {
		t.Fatalf("%d offers, want 20 (one wave of 20)", len(toks))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, taken := 0, 0
	for _, tok := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.wl.ClaimByLink(ctx, w.f.Clinic.ID, tok)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, waitlist.ErrOfferTaken):
				taken++
			default:
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || taken != 19 {
		t.Fatalf("%d claims won, %d told taken; want 1 and 19", wins, taken)
	}
	n := storetest.Count(t, w.db, `SELECT COUNT(*) FROM appointments WHERE status <> 'cancelled'`)
	if n != 1 {
		t.Errorf("%d appointments at the freed time, want 1", n)
	}
	if n := storetest.Count(t, w.db, `SELECT COUNT(*) FROM notifications WHERE kind = 'waitlist_taken'`); n < 19 {
		t.Errorf("%d 'taken' messages planned, want one per channel for each of the 19", n)
	}
	if n := storetest.Count(t, w.db, `SELECT COUNT(*) FROM waitlist_entries WHERE state = 'booked'`); n != 1 {
		t.Errorf("%d entries booked, want 1", n)
	}
}

// TestClaimAfterHold (POR-9): an offer claimed after its hold time is refused with a clear
// message and books nothing; the next wave is offered the time.
func TestClaimAfterHold(t *testing.T) {
	w := setup(t, 1)
	ps := w.waiting(t, 2)
	w.freed(t)
	if _, err := w.wl.Round(ctx); err != nil {
		t.Fatal(err)
	}
	first := w.tokens(t)
	if len(first) != 1 {
		t.Fatalf("%d offers in the first wave, want 1", len(first))
	}
	w.clock.Advance(31 * time.Minute)
	for _, tok := range first {
		_, err := w.wl.ClaimByLink(ctx, w.f.Clinic.ID, tok)
		if !errors.Is(err, waitlist.ErrOfferExpired) {
			t.Fatalf("claim after the hold: %v, want the offer expired", err)
		}
		var ce *clinic.ConflictError
		if !errors.As(err, &ce) || ce.Reason == "" {
			t.Errorf("the refusal says nothing: %v", err)
		}
	}
	if n := storetest.Count(t, w.db, `SELECT COUNT(*) FROM appointments WHERE status <> 'cancelled'`); n != 0 {
		t.Errorf("%d appointments after a late claim", n)
	}
	if _, err := w.wl.Round(ctx); err != nil {
		t.Fatal(err)
	}
	all := w.tokens(t)
	if len(all) != 1 {
		t.Fatalf("%d open offers after the second wave, want 1", len(all))
	}
	var second store.WaitlistOffer
	w.db.View(ctx, func(tx *store.Tx) error {
		os, err := tx.Waitlist().OpenOffersFor(ctx, w.f.Org.ID, ps)
		if len(os) == 1 {
			second = os[0]
		}
		return err
	})
	if second.PatientID != ps[1] || second.Wave != 2 {
		t.Fatalf("second wave offer %+v, want patient %d in wave 2", second, ps[1])
	}
	if _, err := w.wl.ClaimByLink(ctx, w.f.Clinic.ID, all[second.ID]); err != nil {
		t.Fatalf("claim within the hold: %v", err)
	}
}

// TestMatches: an entry's window, as Matches reads it.
func TestMatches(t *testing.T) {
	syd, _ := time.LoadLocation("Australia/Sydney")
	e := store.WaitlistEntry{AgendaID: 0, FromDate: "2026-03-09", ToDate: "2026-03-13", Weekdays: 1<<time.Tuesday | 1<<time.Thursday, FromMinute: 9 * 60, ToMinute: 12 * 60}
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, syd) }
	tests := []struct {
		name   string
		agenda clinic.AgendaID
		start  time.Time
		want   bool
	}{
		{"Tuesday morning", 1, at(10, 9, 0), true},
		{"Tuesday at the end of the window", 1, at(10, 12, 0), false},
		{"Wednesday", 1, at(11, 9, 0), false},
		{"Thursday 11:45", 2, at(12, 11, 45), true},
		{"before the dates", 1, at(3, 10, 0), false},
		{"after the dates", 1, at(17, 10, 0), false},
	}
	for _, tc := range tests {
		if got := waitlist.Matches(e, tc.agenda, tc.start, syd); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	e.AgendaID = 1
	if waitlist.Matches(e, 2, at(10, 9, 0), syd) {
		t.Error("an entry for one practitioner matched another's time")
	}
}

// TestClaimBySMS (POR-9): the offer's word, replied from the patient's mobile, takes the
// time; a reminder's reply is no claim; a wrong code claims nothing.
func TestClaimBySMS(t *testing.T) {
	w := setup(t, 5)
	ps := w.waiting(t, 1)
	w.freed(t)
	if _, err := w.wl.Round(ctx); err != nil {
		t.Fatal(err)
	}
	var offer store.WaitlistOffer
	w.db.View(ctx, func(tx *store.Tx) error {
		os, err := tx.Waitlist().OpenOffersFor(ctx, w.f.Org.ID, ps)
		if len(os) == 1 {
			offer = os[0]
		}
		return err
	})
	if offer.ID == 0 {
		t.Fatal("no offer")
	}
	for _, text := range []string{"Y", "C", "yes", "STOP", "BOOK", "BOOK 12345", "BOOKING 1234"} {
		if ok, _, _ := w.wl.ClaimBySMS(ctx, w.f.Org.ID, ps, text); ok {
			t.Errorf("%q taken for a claim word", text)
		}
	}
	wrong := "0000"
	if offer.Code == wrong {
		wrong = "9999"
	}
	if ok, _, err := w.wl.ClaimBySMS(ctx, w.f.Org.ID, ps, "book "+wrong); !ok || !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("a wrong code: ok=%v err=%v, want a claim word with no offer", ok, err)
	}
	ok, a, err := w.wl.ClaimBySMS(ctx, w.f.Org.ID, ps, "  book  "+offer.Code+" ")
	if !ok || err != nil || a.PatientID != ps[0] {
		t.Fatalf("claim by SMS: ok=%v %+v %v", ok, a, err)
	}
	if _, _, err := w.wl.ClaimBySMS(ctx, w.f.Org.ID, ps, "BOOK "+offer.Code); err == nil {
		t.Error("the same word claimed twice")
	}
}

// FuzzParseClaim: whatever a patient texts, a claim word read from it is four digits, and
// the word written back reads the same.
func FuzzParseClaim(f *testing.F) {
	for _, s := range []string{"BOOK 1234", "book 0001", "Y", "STOP", "BOOK", "BOOK 12a4", "  BOOK\t9999  ", "BOOK 1234 5678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := waitlist.ParseClaim(s)
		if !ok {
			return
		}
		if len(code) != 4 || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("%q read as code %q", s, code)
		}
		if again, ok := waitlist.ParseClaim(waitlist.ClaimWord + " " + code); !ok || again != code {
			t.Fatalf("%q does not read back", code)
		}
	})
}
