package portal_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

const pw = "correct horse battery"

// TestBookMoveCancel (POR-8): a patient invited by the clinic sets a password through the
// link, books with "No preference" a time the page offered, sees it on the home page, moves
// it, adds it to a calendar and cancels it; a second appointment inside the notice to cancel
// cannot be cancelled online.
func TestBookMoveCancel(t *testing.T) {
	e := newEnv(t)
	f := e.a
	b := e.activate(f, f.Patient.ID, pw)
	p := base(f)
	home := b.get(p + "/")
	if home.status != http.StatusOK || !strings.Contains(home.body, "no-appointments") {
		t.Fatalf("home: %d %s", home.status, home.body)
	}
	q := url.Values{"reason": {itoa(f.Reason.ID)}, "agenda": {"any"}, "day": {"2026-03-10"}, "from": {"2026-03-06"}}
	page := b.get(p + "/book?" + q.Encode())
	offered := starts(page.body)
	if page.status != http.StatusOK || len(offered) == 0 {
		t.Fatalf("book page offers no time: %d %s", page.status, page.body)
	}
	want := e.at(10, 9, 0).UTC().Format(time.RFC3339)
	if offered[0] != want {
		t.Errorf("first time offered %s, want %s", offered[0], want)
	}
	r := b.post(p+"/book", url.Values{"for": {itoa(f.Patient.ID)}, "reason": q["reason"], "agenda": {"any"}, "start": {want}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "/appointments/") {
		t.Fatalf("book: %d %s", r.status, r.body)
	}
	apptPath := strings.Split(r.location, "?")[0]
	var a clinic.Appointment
	e.db.View(ctx, func(tx *store.Tx) (err error) {
		as, err := tx.Portal().UpcomingAt(ctx, f.Org.ID, f.Clinic.ID, []clinic.PatientID{f.Patient.ID}, start)
		if len(as) == 1 {
			a = as[0]
		}
		return err
	})
	if a.BookedBy != clinic.BookedByPatient || !a.Start.Equal(e.at(10, 9, 0)) {
		t.Fatalf("appointment %+v, want booked online at 10 March 9:00", a)
	}
	if home := b.get(p + "/"); !strings.Contains(home.body, `data-appointment="`+itoa(a.ID)+`"`) {
		t.Errorf("home does not list the appointment: %s", home.body)
	}
	ics := b.get(apptPath + "/calendar.ics")
	if ics.status != http.StatusOK || !strings.Contains(ics.body, "DTSTART:20260309T220000Z") || ics.header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Errorf("calendar: %d %s %s", ics.status, ics.header.Get("Content-Type"), ics.body)
	}
	// Move it to 11 March at 10:00.
	mv := b.get(apptPath + "/reschedule?day=2026-03-11&from=2026-03-06")
	to := e.at(11, 10, 0).UTC().Format(time.RFC3339)
	if !strings.Contains(mv.body, `value="`+to+`"`) {
		t.Fatalf("reschedule page does not offer %s: %s", to, mv.body)
	}
	if r := b.post(apptPath+"/reschedule", url.Values{"version": {itoa(a.Version)}, "start": {to}}); r.status != http.StatusSeeOther {
		t.Fatalf("reschedule: %d %s", r.status, r.body)
	}
	// Cancel it (well outside the 24 h notice).
	shown := b.get(apptPath)
	version := between(shown.body, `name="version" value="`, `"`)
	if r := b.post(apptPath+"/cancel", url.Values{"version": {version}, "reason": {"better now"}}); r.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if shown := b.get(apptPath); !strings.Contains(shown.body, `id="cancelled"`) {
		t.Errorf("cancelled appointment page: %s", shown.body)
	}
	// One today at 14:00, six hours ahead: inside the notice, no buttons, a refused POST.
	soon := e.bookFor(f, f.Patient.ID, e.at(6, 14, 0))
	sp := p + "/appointments/" + itoa(soon.ID)
	if s := b.get(sp); strings.Contains(s.body, `id="cancel"`) || !strings.Contains(s.body, `id="why"`) {
		t.Errorf("inside the notice, the page offers to cancel: %s", s.body)
	}
	if r := b.post(sp+"/cancel", url.Values{"version": {itoa(soon.Version)}}); r.status != http.StatusConflict {
		t.Errorf("cancel inside the notice: %d, want 409", r.status)
	}
}

// bookFor books start for patient p by the system (the clinic's own booking).
func (e *env) bookFor(f storetest.Fixture, p clinic.PatientID, at time.Time) clinic.Appointment {
	e.t.Helper()
	res, err := e.svc.Booking.Book(ctx, clinic.SystemActor(f.Org.ID, "test"), booking.Request{ReasonID: f.Reason.ID, AgendaID: f.Agenda.ID, PatientID: p, Start: at}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Appointment
}

func itoa[T ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// between is the text of s after the first before and up to the next after.
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, after)
	return v
}

// TestParentActsForChild (POR-6, POR-8): a parent's account acts for a child recorded as
// their relative: books for them, sees and cancels their appointments, and sets their
// preferences; the child needs no address of their own.
func TestParentActsForChild(t *testing.T) {
	e := newEnv(t)
	f := e.a
	kid := e.child(f)
	b := e.activate(f, f.Patient.ID, pw)
	p := base(f)
	if r := b.get(p + "/book"); !strings.Contains(r.body, `<option value="`+itoa(kid.ID)+`"`) {
		t.Fatalf("the booking page does not offer the child: %s", r.body)
	}
	at := e.at(12, 11, 0).UTC().Format(time.RFC3339)
	r := b.post(p+"/book", url.Values{"for": {itoa(kid.ID)}, "reason": {itoa(f.Reason.ID)}, "agenda": {itoa(f.Agenda.ID)}, "start": {at}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("book for the child: %d %s", r.status, r.body)
	}
	if home := b.get(p + "/"); !strings.Contains(home.body, "For Kit") {
		t.Errorf("home does not show the child's appointment: %s", home.body)
	}
	if r := b.get(p + "/preferences?for=" + itoa(kid.ID)); r.status != http.StatusOK {
		t.Errorf("the child's preferences: %d", r.status)
	}
	r = b.post(p+"/preferences", url.Values{"for": {itoa(kid.ID)}, "email.reminder": {"on"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save the child's preferences: %d %s", r.status, r.body)
	}
	var recs []store.ConsentRecord
	e.db.View(ctx, func(tx *store.Tx) (err error) {
		recs, err = tx.Consent().ConsentRecords(ctx, f.Org.ID, []clinic.PatientID{kid.ID})
		return err
	})
	// Every box but e-mail reminders was unticked: 17 opt-outs, each from the portal.
	if len(recs) != 17 {
		t.Fatalf("%d consent records, want 17", len(recs))
	}
	for _, x := range recs {
		if x.Source != "portal" || x.OptIn || x.Channel == "email" && x.Purpose == "reminder" {
			t.Errorf("record %+v: want an opt-out from the portal", x)
		}
	}
	// Saving again unchanged records nothing more.
	b.post(p+"/preferences", url.Values{"for": {itoa(kid.ID)}, "email.reminder": {"on"}})
	if n := storetest.Count(t, e.db, `SELECT COUNT(*) FROM consent_records WHERE patient_id = $1`, int64(kid.ID)); n != 17 {
		t.Errorf("%d records after saving the same choices, want 17", n)
	}
}

// TestWaitlistInThePortal (POR-9): a patient joins the waitlist in the portal; a
// cancellation frees a matching time; the offer's link opens its page without signing in
// and takes the time; the link claimed again is refused with a clear message.
func TestWaitlistInThePortal(t *testing.T) {
	e := newEnv(t)
	f := e.a
	b := e.activate(f, f.Patient.ID, pw)
	p := base(f)
	r := b.post(p+"/waitlist", url.Values{"reason": {itoa(f.Reason.ID)}, "agenda": {""}, "from": {"2026-03-06"}, "to": {"2026-03-20"}, "days": {"2"}, "from_time": {"09:00"}, "to_time": {"12:00"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("join: %d %s", r.status, r.body)
	}
	if r := b.post(p+"/waitlist", url.Values{"reason": {itoa(f.Reason.ID)}, "from": {"2026-03-01"}, "to": {"2026-03-20"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-field="from"`) {
		t.Errorf("a window starting in the past: %d", r.status)
	}
	page := b.get(p + "/waitlist")
	if !strings.Contains(page.body, "data-entry=") {
		t.Fatalf("the waitlist page does not list the entry: %s", page.body)
	}
	// Someone's Tuesday 10:00 appointment is cancelled.
	var other clinic.Patient
	e.db.Update(ctx, func(tx *store.Tx) (err error) {
		other, err = tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, GivenName: "Else", FamilyName: "Where"})
		return err
	})
	a := e.bookFor(f, other.ID, e.at(10, 10, 0))
	if _, err := e.svc.Booking.Cancel(ctx, clinic.SystemActor(f.Org.ID, "test"), booking.Change{ID: a.ID, Version: a.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Waitlist.Round(ctx); err != nil {
		t.Fatal(err)
	}
	// The offer's messages, as the dispatcher sends them: the time and the practitioner
	// named, the link's secret kept out of the log.
	if _, err := e.svc.Dispatcher.Round(ctx); err != nil {
		t.Fatal(err)
	}
	sent := 0
	e.db.View(ctx, func(tx *store.Tx) error {
		ns, err := tx.Notifications().ListNotifications(ctx, f.Org.ID, store.NotificationFilter{PatientID: f.Patient.ID, Page: store.Page{Limit: 100}})
		for _, n := range ns {
			if n.Kind != "waitlist_offer" || n.Body == "" {
				continue
			}
			sent++
			if !strings.Contains(n.Body, "Dr Ada Lovelace") || !strings.Contains(n.Body, "10") || !strings.Contains(n.Body, "/offers/…") {
				t.Errorf("offer %s message %q: want the practitioner, the time and a redacted link", n.Channel, n.Body)
			}
		}
		return err
	})
	if sent == 0 {
		t.Fatal("no offer message was sent")
	}
	var link string
	e.db.Update(ctx, func(tx *store.Tx) error {
		ns, err := tx.Notifications().ListNotifications(ctx, f.Org.ID, store.NotificationFilter{PatientID: f.Patient.ID, Page: store.Page{Limit: 100}})
		for _, n := range ns {
			if n.Kind == "waitlist_offer" && link == "" {
				l, _, err := e.svc.Waitlist.Mint(ctx, tx, n)
				if err != nil {
					return err
				}
				link = strings.TrimPrefix(l, "http://portal.test")
			}
		}
		return err
	})
	if link == "" {
		t.Fatal("no offer was made")
	}
	anon := e.browser(f)
	if r := anon.get(link); r.status != http.StatusOK || !strings.Contains(r.body, `id="claim"`) {
		t.Fatalf("offer page: %d %s", r.status, r.body)
	}
	if r := anon.post(link, nil); r.status != http.StatusSeeOther {
		t.Fatalf("claim: %d %s", r.status, r.body)
	}
	if r := anon.get(link); !strings.Contains(r.body, `id="claimed"`) {
		t.Errorf("the offer page after the claim: %s", r.body)
	}
	if r := anon.post(link, nil); r.status != http.StatusConflict || !strings.Contains(r.body, `id="offer-problem"`) {
		t.Errorf("claimed again: %d", r.status)
	}
	if home := b.get(p + "/"); !strings.Contains(home.body, "data-appointment=") {
		t.Errorf("the claimed appointment is not on the patient's home page")
	}
}
