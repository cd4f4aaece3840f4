package inbound_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/dispatch"
	"github.com/tidings-health/tidings/internal/inbound"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// The public URL providers sign against (a TLS proxy in front of the test server), and the
// organisation's SMS number.
const (
	public = "https://tidings.example"
	sender = "+61400000000"
)

// start is Monday 2026-03-02 08:30 in Sydney (UTC+11): inside the SMS window.
var start = time.Date(2026, 3, 1, 21, 30, 0, 0, time.UTC)

// world is the fixture organisation with an SMS account on a loopback provider, the booking
// use cases, a dispatcher and the callback use cases, served to the provider through a
// minimal handler (the hooks package's job, reduced to calling the use case) behind a
// simulated TLS proxy: the provider signs https://tidings.example/... and posts to the
// local server.
type world struct {
	t        *testing.T
	clock    *storetest.Clock
	db       *store.DB
	f        storetest.Fixture
	booking  *booking.Service
	provider *twiliotest.Server
	d        *dispatch.Dispatcher
	svc      *inbound.Service
	admin    clinic.Actor

	mu      sync.Mutex
	handled []inbound.Handled
	errs    []error
	gate    chan struct{} // status callbacks wait for it to close (nil: none)
	open    sync.Once
}

type option func(*world)

// holdCallbacks makes status callbacks wait until release is called.
func holdCallbacks(w *world) { w.gate = make(chan struct{}) }

func newWorld(t *testing.T, opts []option, provider ...twiliotest.Option) *world {
	t.Helper()
	w := &world{t: t, clock: storetest.NewClock(start)}
	for _, o := range opts {
		o(w)
	}
	w.db = storetest.Open(t, w.clock.Now)
	w.f = storetest.Seed(t, w.db, "acme")
	w.booking = booking.New(w.db)
	w.admin = clinic.StaffActor(clinic.User{ID: 1, OrgID: w.f.Org.ID, Role: clinic.RoleAdministrator})
	w.svc = inbound.New(w.db, w.booking)
	w.svc.PublicURL, w.svc.BounceToken, w.svc.EmailDomain = public, "bounce-secret", "tidings.example"

	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/sms/status", func(rw http.ResponseWriter, r *http.Request) {
		if w.gate != nil {
			<-w.gate
		}
		id, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		err := w.svc.Status(r.Context(), id, verifier(r), r.PostForm)
		w.record(nil, err)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /hooks/sms/inbound", func(rw http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		h, err := w.svc.Inbound(r.Context(), verifier(r), r.PostForm)
		w.record(&h, err)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusOK)
	})
	hook := httptest.NewServer(mux)
	t.Cleanup(hook.Close)

	popts := append([]twiliotest.Option{twiliotest.WithClock(w.clock.Now), twiliotest.WithProxy(public, hook.URL)}, provider...)
	w.provider = twiliotest.NewServer(popts...)
	t.Cleanup(w.provider.Close)
	t.Cleanup(w.release) // runs first: the provider's Close waits for its held callbacks
	t.Logf("provider seed %d", w.provider.Seed())
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Notifications().PutSMSAccount(ctx, w.f.Org.ID, store.SMSAccount{BaseURL: w.provider.URL, AccountSID: w.provider.AccountSID,
			AuthToken: w.provider.AuthToken, Sender: sender})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sms := &dispatch.SMS{PublicURL: public, HTTP: &http.Client{Timeout: 5 * time.Second}, Breakers: dispatch.NewBreakers(w.clock.Now)}
	w.d = dispatch.New(w.db, dispatch.Config{PublicURL: public, EmailDomain: "tidings.example"}, dispatch.Senders{SMS: sms, Email: dispatch.Outbox{}}, nil)
	if err := w.d.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// verifier checks a request's signature on the public URL, as the hooks package does.
func verifier(r *http.Request) inbound.Verifier {
	return func(token string) error { return twilio.Verify(token, public, r) }
}

func (w *world) record(h *inbound.Handled, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h != nil {
		w.handled = append(w.handled, *h)
	}
	if err != nil {
		w.errs = append(w.errs, err)
	}
}

// release lets held status callbacks through.
func (w *world) release() {
	w.open.Do(func() {
		if w.gate != nil {
			close(w.gate)
		}
	})
}

// settle waits for every status callback posted so far and fails on any the use case
// refused.
func (w *world) settle() {
	w.t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := w.provider.WaitCallbacks(c); err != nil {
		w.t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.errs) > 0 {
		w.t.Fatalf("callbacks refused: %v", w.errs)
	}
}

// patient creates a patient of the fixture's database.
func (w *world) patient(given, mobile, email string) clinic.Patient {
	w.t.Helper()
	var p clinic.Patient
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.Patients().CreatePatient(ctx, w.f.Org.ID, clinic.Patient{DatabaseID: w.f.Database.ID, ExternalID: "X-" + given,
			GivenName: given, FamilyName: "Hopper", Mobile: mobile, Email: email, Language: "en"})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// local is a Sydney wall time.
func local(s string) time.Time {
	syd, _ := time.LoadLocation("Australia/Sydney")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, syd)
	if err != nil {
		panic(err)
	}
	return t
}

// book books the fixture's reason for patient at a local Sydney time, as staff.
func (w *world) book(patient clinic.PatientID, at string) clinic.Appointment {
	w.t.Helper()
	// The fixture's agenda has no working hours: staff confirm the time (and a second
	// appointment that day).
	b, err := w.booking.Book(ctx, w.admin, booking.Request{PatientID: patient, ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, Start: local(at),
		AllowOutsideHours: true, AllowSameDay: true}, nil)
	if err != nil {
		w.t.Fatalf("book %s: %v", at, err)
	}
	return b.Appointment
}

// drain runs rounds until nothing is claimed.
func (w *world) drain() {
	w.t.Helper()
	for range 100 {
		n, err := w.d.Round(ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	w.t.Fatal("the dispatcher never ran out of work")
}

// all lists the organisation's notifications, oldest first.
func (w *world) all() []store.Notification {
	w.t.Helper()
	var out []store.Notification
	err := w.db.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Notifications().ListNotifications(ctx, w.f.Org.ID, store.NotificationFilter{Page: store.Page{Limit: 1000}})
		for i := len(all) - 1; i >= 0; i-- {
			out = append(out, all[i])
		}
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// where keeps the notifications for which keep is true.
func where(ns []store.Notification, keep func(store.Notification) bool) []store.Notification {
	var out []store.Notification
	for _, n := range ns {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

func (w *world) notification(id int64) store.Notification {
	w.t.Helper()
	var n store.Notification
	err := w.db.View(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.Notifications().Notification(ctx, w.f.Org.ID, id)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) appointment(id clinic.AppointmentID) clinic.Appointment {
	w.t.Helper()
	var a clinic.Appointment
	err := w.db.View(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.Appointments().Appointment(ctx, w.f.Org.ID, id)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) inbox() []store.InboxMessage {
	w.t.Helper()
	var out []store.InboxMessage
	err := w.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Notifications().Inbox(ctx, w.f.Org.ID, 0, store.Page{Limit: 100})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// remindAt books patient at a local time and sends everything up to the appointment's 72 h
// reminder, which asks for a reply; the provider's callbacks are settled.
func (w *world) remindAt(patient clinic.PatientID, at string) clinic.Appointment {
	w.t.Helper()
	a := w.book(patient, at)
	w.clock.Set(a.Start.AddDate(0, 0, -3))
	w.drain()
	w.settle()
	return a
}

// reply posts a patient's SMS through the provider and returns what the use case did.
func (w *world) reply(from, body string) inbound.Handled {
	w.t.Helper()
	w.mu.Lock()
	n := len(w.handled)
	w.mu.Unlock()
	_, status, err := w.provider.SendInbound(ctx, public+"/hooks/sms/inbound", from, sender, body)
	if err != nil || status != http.StatusOK {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.t.Fatalf("inbound %q: HTTP %d, %v (use case errors: %v)", body, status, err, w.errs)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.handled) != n+1 {
		w.t.Fatalf("inbound %q: %d handled, want 1", body, len(w.handled)-n)
	}
	return w.handled[n]
}

// signed is a request to path on the public URL as the provider would sign it with token,
// arriving at the local server.
func signed(token, path string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set(twilio.SignatureHeader, twilio.Signature(token, public+path, form))
	return r
}

// status posts a status callback for notification id directly to the use case.
func (w *world) status(id int64, form url.Values) error {
	r := signed(w.provider.AuthToken, fmt.Sprintf("/hooks/sms/status?n=%d", id), form)
	if err := r.ParseForm(); err != nil {
		w.t.Fatal(err)
	}
	return w.svc.Status(ctx, id, verifier(r), r.PostForm)
}

// statusForm is a status callback of message sid.
func (w *world) statusForm(sid, status, to string) url.Values {
	return url.Values{"AccountSid": {w.provider.AccountSID}, "ApiVersion": {"2010-04-01"}, "MessageSid": {sid}, "SmsSid": {sid},
		"MessageStatus": {status}, "SmsStatus": {status}, "To": {to}, "From": {sender}}
}

// inboundForm is an inbound SMS with message id sid.
func (w *world) inboundForm(sid, from, body string) url.Values {
	return url.Values{"AccountSid": {w.provider.AccountSID}, "ApiVersion": {"2010-04-01"}, "MessageSid": {sid}, "SmsSid": {sid},
		"SmsStatus": {"received"}, "From": {from}, "To": {sender}, "Body": {body}, "NumSegments": {"1"}}
}

// inbound posts an inbound SMS directly to the use case.
func (w *world) inbound(form url.Values) (inbound.Handled, error) {
	r := signed(w.provider.AuthToken, "/hooks/sms/inbound", form)
	if err := r.ParseForm(); err != nil {
		w.t.Fatal(err)
	}
	return w.svc.Inbound(ctx, verifier(r), r.PostForm)
}
