package dispatch_test

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// Helpers shared by the crash, outage and two-dispatcher tests (NOT-6, NOT-7).

// mondayTen is Monday 2 March 2026, 10:00 in Sydney (UTC+11): the fixture clinic's SMS
// window (08:00–20:00) is open for ten hours from it.
var mondayTen = time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)

// nowhere is the public URL the status callbacks go to: a closed port, so the provider's
// callbacks are refused at once and only reconciliation by the message list can settle an
// unknown SMS.
const nowhere = "http://127.0.0.1:1"

// shifted returns a clock that runs at the wall clock's pace from at, and the offset it
// adds to time.Now. The processes of the crash test share it (each adds the offset), so the
// clinic's SMS window is open whatever the hour the tests run at, and leases, which must
// expire in real time, still do.
func shifted(at time.Time) (func() time.Time, time.Duration) {
	off := time.Until(at)
	return func() time.Time { return time.Now().Add(off) }, off
}

// openDB opens the database at dsn on clock now, migrated, and closes it when the test ends.
func openDB(t testing.TB, dsn string, now func() time.Time) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, store.Config{DSN: dsn, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// due is one notification for seedDue to plan: its channel, the start of its appointment
// (the notification's deadline), and the patient's mobile when it is shared with another
// (a family's: NOT-4 folds their reminders of one day into one SMS).
type due struct {
	channel consent.Channel
	start   time.Time
	mobile  string // "": one of the patient's own
}

// seedDue creates, for each of ds, a patient with a first name, e-mail address and (unless
// ds shares one) mobile of its own, numbered from first; an appointment synced from the PMS
// at its start; and a 2 h reminder due now on its channel. It returns the notifications'
// ids, in the order of ds. Distinct first names make every SMS body unique, so a duplicate
// at the provider is two messages with the same body to the same number; distinct mobiles
// keep NOT-4 from folding two reminders into one SMS.
func seedDue(t testing.TB, db *store.DB, f storetest.Fixture, first int, ds []due) []int64 {
	t.Helper()
	var ids []int64
	err := db.Update(ctx, func(tx *store.Tx) error {
		ns := make([]store.Notification, 0, len(ds))
		for i, d := range ds {
			k := first + i
			mobile := d.mobile
			if mobile == "" {
				mobile = fmt.Sprintf("+6141%07d", k)
			}
			p, err := tx.Patients().CreatePatient(ctx, f.Org.ID, clinic.Patient{DatabaseID: f.Database.ID, ExternalID: fmt.Sprintf("S%07d", k),
				GivenName: fmt.Sprintf("Pat%d", k), FamilyName: "Seed", BirthDate: "1970-01-01", Mobile: mobile,
				Email: fmt.Sprintf("pat%d@example.com", k), Language: "en"})
			if err != nil {
				return err
			}
			a, err := tx.Appointments().CreateAppointment(ctx, f.Org.ID, clinic.Appointment{ClinicID: f.Clinic.ID, AgendaID: f.Agenda.ID,
				ReasonID: f.Reason.ID, PatientID: p.ID, Start: d.start, End: d.start.Add(15 * time.Minute), Status: clinic.StatusBooked,
				BookedBy: clinic.BookedBySync})
			if err != nil {
				return err
			}
			ns = append(ns, store.Notification{ClinicID: f.Clinic.ID, PatientID: p.ID, AppointmentID: a.ID, Kind: notify.KindReminder,
				Purpose: string(consent.PurposeReminder), Channel: string(d.channel), Offset: "2h", Due: tx.Now, Deadline: a.Start})
		}
		var err error
		ids, err = tx.Notifications().PlanNotifications(ctx, f.Org.ID, ns)
		return err
	})
	if err != nil {
		t.Fatalf("seed %d notifications: %v", len(ds), err)
	}
	return ids
}

// putAccount points the fixture organisation's SMS account at baseURL, with the fake
// provider's credentials.
func putAccount(t testing.TB, db *store.DB, f storetest.Fixture, baseURL string) {
	t.Helper()
	err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Notifications().PutSMSAccount(ctx, f.Org.ID, store.SMSAccount{BaseURL: baseURL, AccountSID: twiliotest.DefaultAccountSID,
			AuthToken: twiliotest.DefaultAuthToken, Sender: "+61400000000"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// byIDs reads notifications by id, keyed by id.
func byIDs(t testing.TB, db *store.DB, ids []int64) map[int64]store.Notification {
	t.Helper()
	out := make(map[int64]store.Notification, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		err := db.View(ctx, func(tx *store.Tx) error {
			ns, err := tx.Notifications().NotificationsByIDs(ctx, chunk)
			for _, n := range ns {
				out[n.ID] = n
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// terminal reports whether a notification is in a state no dispatcher moves it out of
// again (a late delivery report or a reconciliation aside).
func terminal(state string) bool {
	switch state {
	case store.NoteSent, store.NoteDelivered, store.NoteFailed, store.NoteSkipped, store.NoteUnknown:
		return true
	}
	return false
}

// calledBack is the notification id a provider message's status callback URL names (NOT-7),
// 0 if none.
func calledBack(m twiliotest.Message) int64 {
	u, err := url.Parse(m.StatusCallback)
	if err != nil {
		return 0
	}
	id, _ := strconv.ParseInt(u.Query().Get("n"), 10, 64)
	return id
}

// providerDuplicates lists the messages the provider accepted more than once: the same body
// to the same number, or the same notification in the callback URL.
func providerDuplicates(msgs []twiliotest.Message) []string {
	seen := map[string]int{}
	for _, m := range msgs {
		seen["to "+m.To+": "+m.Body]++
		if id := calledBack(m); id != 0 {
			seen["notification "+strconv.FormatInt(id, 10)]++
		}
	}
	var dups []string
	for k, n := range seen {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%dx %s", n, k))
		}
	}
	return dups
}

// byNotification groups the provider's messages by the notification their callback names.
func byNotification(msgs []twiliotest.Message) map[int64][]twiliotest.Message {
	out := map[int64][]twiliotest.Message{}
	for _, m := range msgs {
		out[calledBack(m)] = append(out[calledBack(m)], m)
	}
	return out
}

// states counts notifications by state, for logs.
func states(ns map[int64]store.Notification) string {
	c := map[string]int{}
	for _, n := range ns {
		c[n.Channel+"/"+n.State]++
	}
	var parts []string
	for _, k := range []string{"sms/sent", "sms/failed", "sms/unknown", "email/sent", "email/unknown", "email/failed"} {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
		}
		delete(c, k)
	}
	for k, n := range c {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	return strings.Join(parts, ", ")
}
