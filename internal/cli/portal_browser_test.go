package cli_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/cli"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/email/mailpittest"
	"github.com/tidings-health/tidings/internal/nodetest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestBrowserPortal is the patient portal end to end (POR-1, POR-5, POR-7, POR-8), in real
// Chromium against `tidings demo` sending e-mail to a real SMTP server (Mailpit): the
// administrator saves the portal's settings and invites a patient from the patient file;
// the invitation arrives; the patient follows its link, sets a password, books with "No
// preference", sees the appointment, moves it, cancels it outside the notice and cannot
// inside it; the Book button's embed code pasted into a static page of another site opens
// the booking page. Each portal page on the way is audited with axe-core (0 serious or
// critical violations).
func TestBrowserPortal(t *testing.T) {
	ctx := browserFor(t, 4*time.Minute)
	dir := nodetest.Install(t, axeVersion)
	axe, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	mp := mailpittest.Start(t)
	dsn := storetest.DSN(t)
	url := startDemoWith(t, dsn, "--smtp", fmt.Sprintf("smtp://%s:%d?tls=none&from=clinic@demo.tidings.test", mp.SMTPHost, mp.SMTPPort))
	db := openStore(t, dsn)
	patient := invitable(t, db)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	audit := func(where string) {
		t.Helper()
		vs, err := runAxe(ctx, axe)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		reportAxe(t, where, vs)
	}

	// The administrator saves the portal on and invites the patient from their file.
	signIn(t, ctx, url)
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"settings/portal"),
		chromedp.WaitVisible(css("#portal-form")),
		chromedp.Submit(css("#portal-form")),
		chromedp.WaitVisible(css("#flash")),
		chromedp.Navigate(fmt.Sprintf("%spatients/%d", url, patient.ID)),
		chromedp.WaitVisible(css("#invite-patient")),
		chromedp.Click(css("#invite-patient")),
		chromedp.WaitVisible(css("#flash")),
	)
	if err != nil {
		t.Fatalf("administrator: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"settings/portal"), chromedp.WaitVisible(css("#embed-code"))); err != nil {
		t.Fatal(err)
	}
	embed, err := chromedp.Run(ctx, chromedp.Value(css("#embed-code")))
	if err != nil || !strings.Contains(embed, "/p/") {
		t.Fatalf("embed code %q: %v", embed, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(css("#sign-out")), chromedp.WaitVisible(css("#email"))); err != nil {
		t.Fatal(err)
	}

	// The invitation arrives with its single-use link.
	link := awaitLink(t, mp, patient.Email)
	if !strings.HasPrefix(link, url+"p/") {
		t.Fatalf("invitation link %q is not on this server %s", link, url)
	}
	const pw = "a patient's long password"
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(css("#password-form")),
	)
	if err != nil {
		t.Fatal(err)
	}
	audit("set password")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css("#password"), pw),
		chromedp.SendKeys(css("#confirm"), pw),
		chromedp.Click(css("#set-password")),
		chromedp.WaitVisible(css("#flash")),
	)
	if err != nil {
		t.Fatalf("set password: %v", err)
	}
	audit("home")
	base := strings.TrimSuffix(link[:strings.Index(link, "/password/")], "/")

	// Book with "No preference": reason, practitioner, a day, a time.
	err = chromedp.Do(ctx,
		chromedp.Click(css("#nav-book")),
		chromedp.WaitVisible(css("#reason")),
		chromedp.SetValue(css("#reason"), "1"),
		chromedp.Submit(css("#book-steps")),
		chromedp.WaitVisible(css("#agenda")),
		chromedp.SetValue(css("#agenda"), "any"),
		chromedp.Submit(css("#book-steps")),
		chromedp.WaitVisible(css("#day-step")),
	)
	if err != nil {
		t.Fatalf("booking steps: %v", err)
	}
	audit("book: days")
	// A day past the 24-hour notice to change it online, so that it can be moved and
	// cancelled online below.
	syd, _ := time.LoadLocation("Australia/Sydney")
	pickDay := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll(".days a[data-day]")].find(a => a.dataset.day >= %q).click()`,
		time.Now().In(syd).AddDate(0, 0, 2).Format(time.DateOnly)))
	err = chromedp.Do(ctx,
		pickDay,
		chromedp.WaitVisible(css("#time-form button[data-start]")),
	)
	if err != nil {
		t.Fatalf("choose a day: %v", err)
	}
	audit("book: times")
	err = chromedp.Do(ctx,
		chromedp.Click(css("#time-form button[data-start]")),
		chromedp.WaitVisible(css("#appointment")),
	)
	if err != nil {
		t.Fatalf("choose a time: %v", err)
	}
	audit("appointment")
	when, err := chromedp.Run(ctx, chromedp.Text(css("#appointment .when")))
	if err != nil {
		t.Fatal(err)
	}
	// Seen on the home page.
	err = chromedp.Do(ctx, chromedp.Click(css("#nav-home")), chromedp.WaitVisible(css("#appointments a[data-appointment]")))
	if err != nil {
		t.Fatalf("home lists the appointment: %v", err)
	}
	// Moved to another time.
	err = chromedp.Do(ctx,
		chromedp.Click(css("#appointments a[data-appointment]")),
		chromedp.WaitVisible(css("#reschedule")),
		chromedp.Click(css("#reschedule")),
		chromedp.WaitVisible(css("#day-step")),
		pickDay,
		chromedp.WaitVisible(css("#time-form button[data-start]")),
		chromedp.Click(css("#time-form button[data-start]")),
		chromedp.WaitNotPresent(css("#time-form")),
		chromedp.WaitVisible(css("#appointment")),
		chromedp.WaitVisible(css("#flash")),
	)
	if err != nil {
		t.Fatalf("reschedule: %v", err)
	}
	moved, err := chromedp.Run(ctx, chromedp.Text(css("#appointment .when")))
	if err != nil || moved == when {
		t.Errorf("after the move the appointment is at %q, before %q (%v)", moved, when, err)
	}
	// Cancelled outside the notice: gone from the home page.
	id, err := chromedp.Run(ctx, chromedp.AttributeValue(css("#appointment"), "data-appointment"))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css("#cancel")),
		// The appointment page already shows the move's notice: wait for the home page
		// the cancellation redirects to, or the next navigation aborts this one.
		chromedp.WaitNotPresent(css("#appointment")),
		chromedp.WaitVisible(css("#flash")),
	)
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	listed, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('a[data-appointment="%s"]').length`, id.Value)))
	if err != nil || listed != 0 {
		t.Errorf("the cancelled appointment is still listed (%d, %v)", listed, err)
	}
	// Inside the notice: the clinic booked one in three hours; the page explains, offers no
	// cancel, and a forged cancellation is refused.
	soon := bookSoon(t, db, patient)
	err = chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/appointments/%d", base, soon.ID)),
		chromedp.WaitVisible(css("#why")),
	)
	if err != nil {
		t.Fatalf("appointment inside the notice: %v", err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#cancel").length`))
	if err != nil || n != 0 {
		t.Errorf("inside the notice the page offers to cancel (%d, %v)", n, err)
	}
	audit("appointment inside the notice")
	for _, p := range []string{"/preferences", "/waitlist"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitReady(css("main"))); err != nil {
			t.Fatal(err)
		}
		audit(p)
	}

	// The Book button pasted into another site's page opens the booking page.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html lang=en><head><title>Clinic website</title></head><body><main><h1>Welcome</h1>%s</main></body></html>", embed)
	}))
	t.Cleanup(site.Close)
	err = chromedp.Do(ctx,
		chromedp.Navigate(site.URL),
		chromedp.WaitVisible(css("main a")),
		chromedp.Click(css("main a")),
		chromedp.WaitVisible(css("#book-steps")),
	)
	if err != nil {
		t.Fatalf("the embedded Book button: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, base+"/book") {
		t.Errorf("the button opened %q, want %s/book (%v)", loc, base, err)
	}
	// Signed out, the portal's sign-in page.
	if err := chromedp.Do(ctx, chromedp.Click(css("#sign-out")), chromedp.WaitVisible(css("#signin-form"))); err != nil {
		t.Fatal(err)
	}
	audit("sign in")
}

// startDemoWith starts `tidings demo` on a free port with its public URL set to it (the
// links in e-mails must lead back to it), and extra flags.
func startDemoWith(t *testing.T, dsn string, extra ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	args := append([]string{"demo", "--addr", addr, "--db", dsn, "--public-url", "http://" + addr + "/"}, extra...)
	go func() {
		done <- cli.Run(ctx, cli.Env{Args: args, Stdout: &out, Stderr: &errb, Ready: func(u string) { ready <- u }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-ready:
		return u
	case code := <-done:
		t.Fatalf("demo exited %d: %s", code, errb.String())
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not start within 60 s")
	}
	return ""
}

// invitable finds a demo patient of Surry Hills's database who can be invited: the holder
// of a valid address no one else shares, without an account.
func invitable(t *testing.T, db *store.DB) clinic.Patient {
	t.Helper()
	ctx := context.Background()
	var out clinic.Patient
	err := db.View(ctx, func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(ctx, "demo")
		if err != nil {
			return err
		}
		rs, err := tx.Portal().EmailRecords(ctx, org.ID)
		if err != nil {
			return err
		}
		set, err := tx.Portal().PortalBySlug(ctx, "surry-hills")
		if err != nil {
			return err
		}
		c, err := tx.Directory().Clinic(ctx, org.ID, set.ClinicID)
		if err != nil {
			return err
		}
		for _, g := range account.Classify(rs) {
			if !g.Valid || g.Duplicate() || len(g.People) != 1 {
				continue
			}
			if id, _ := g.AccountID(); id != 0 {
				continue
			}
			if r, ok := g.People[g.Holder].In(c.DatabaseID); ok {
				out, err = tx.Patients().Patient(ctx, org.ID, r.PatientID)
				return err
			}
		}
		return fmt.Errorf("the demo has no patient to invite")
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var linkRE = regexp.MustCompile(`https?://\S+/password/[A-Za-z0-9_-]+`)

// awaitLink waits for the invitation to addr and returns its link.
func awaitLink(t *testing.T, mp *mailpittest.Server, addr string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range mp.Messages(t) {
			for _, to := range m.To {
				if strings.EqualFold(to, addr) {
					if l := linkRE.FindString(mp.Message(t, m.ID).Text); l != "" {
						return l
					}
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no invitation reached %s within 20 s", addr)
	return ""
}

// bookSoon books, as the clinic, an appointment for p three hours from now (inside the
// demo's 24-hour notice to cancel online).
func bookSoon(t *testing.T, db *store.DB, p clinic.Patient) clinic.Appointment {
	t.Helper()
	ctx := context.Background()
	var reason clinic.Reason
	var agenda clinic.AgendaID
	err := db.View(ctx, func(tx *store.Tx) error {
		set, err := tx.Portal().PortalBySlug(ctx, "surry-hills")
		if err != nil {
			return err
		}
		rs, err := tx.Directory().Reasons(ctx, p.OrgID, store.ReasonFilter{ClinicID: set.ClinicID}, store.Page{Limit: 10})
		if err != nil || len(rs) == 0 {
			return fmt.Errorf("reasons: %v", err)
		}
		reason, agenda = rs[0], rs[0].AgendaIDs[0]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := booking.New(db)
	at := time.Now().Add(3 * time.Hour).Truncate(15 * time.Minute)
	for i := range 48 {
		res, err := svc.Book(ctx, clinic.SystemActor(p.OrgID, "test"), booking.Request{ReasonID: reason.ID, AgendaID: agenda, PatientID: p.ID,
			Start: at.Add(time.Duration(i) * 15 * time.Minute)}, nil)
		if err == nil {
			if res.Appointment.Start.Sub(time.Now()) >= 24*time.Hour {
				t.Fatal("no free time within the notice")
			}
			return res.Appointment
		}
	}
	t.Fatal("could not book an appointment within the notice")
	return clinic.Appointment{}
}
