package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/cli"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/nodetest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// messageLatency is the figure (MSG-4): a message typed on one open page shows on
// the other within a second of its submission. TIDINGS_MESSAGE_LATENCY (a Go duration,
// "1500ms") gives a slow machine a little slack; the default is the second.
func messageLatency(t *testing.T) time.Duration {
	t.Helper()
	s := os.Getenv("TIDINGS_MESSAGE_LATENCY")
	if s == "" {
		return time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("TIDINGS_MESSAGE_LATENCY=%q: want a duration such as 1500ms", s)
	}
	return d
}

// The demo's secure messaging (internal/demo/messaging.go): Surry Hills, its first Sydney
// clinic, has every switch on, the portal's "New message" button included; Bondi, the
// second, takes no conversation from patients (no button).
const (
	msgOpenSlug   = "surry-hills"
	msgClosedSlug = "bondi"
	msgDoctor     = "doctor@demo.tidings.test"
	msgDemoThread = "Following up on your visit" // the doctor and the portal holder, at Surry Hills
)

// TestBrowserMessaging is secure messaging end to end (MSG-3, MSG-4, MSG-6) in two real
// Chromium sessions, each its own browser and profile, against `tidings demo`: the patient
// (the demo's portal login) and the practitioner (the demo's doctor).
//
//   - The portal's home shows "New message" at Surry Hills and not at Bondi, which takes no
//     conversation from patients; and no longer at Surry Hills once its administrator
//     turns incoming conversations off in the settings.
//   - With the same conversation open on both sides, a message typed by one shows on the
//     other's page within a second of its submission, in both directions (the DOM polled).
//   - Read receipts: a message's "Read" appears on its author's open page when the other
//     side opens the conversation, in both directions.
//   - An image attached on one side downloads, byte for byte and with its type, on the
//     other, in both directions (fetched with that browser's own session).
//   - A stored XSS payload sent from either side is shown as text on both sides, live and
//     once the page is read again: no element made of it, nothing of it run.
//   - axe-core audits the new pages: the portal's messages, new message and conversation,
//     the dashboard's inbox, conversation and messaging settings.
func TestBrowserMessaging(t *testing.T) {
	patient, staff := twoBrowsers(t)
	axeDir := nodetest.Install(t, axeVersion)
	axe, err := os.ReadFile(filepath.Join(axeDir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	dsn := storetest.DSN(t)
	url := startDemoWith(t, dsn)
	d := messagingDemo(t, dsn)
	audit := func(ctx context.Context, where string) {
		t.Helper()
		vs, err := runAxe(ctx, axe)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		reportAxe(t, where, vs)
	}
	p := portalSide(patient, url+"p/"+msgOpenSlug)
	s := staffSide(staff, url)

	// MSG-3: the button where the clinic takes conversations from patients, and not where it
	// takes none.
	portalSignIn(t, patient, url+"p/"+msgOpenSlug, d.email)
	if n := count(t, patient, "#new-message"); n != 1 {
		t.Errorf("the portal's home at %s shows %d \"New message\" buttons, want 1", msgOpenSlug, n)
	}
	portalSignIn(t, patient, url+"p/"+msgClosedSlug, d.email)
	if n := count(t, patient, "#new-message"); n != 0 {
		t.Errorf("the portal's home at %s (no incoming conversations) shows a \"New message\" button", msgClosedSlug)
	}
	if err := doSteps(patient, chromedp.Navigate(url+"p/"+msgClosedSlug+"/messages"), chromedp.WaitVisible(chromedp.CSS("#conversations"))); err != nil {
		t.Fatal(err)
	}
	if n := count(t, patient, "#new-message"); n != 0 {
		t.Errorf("the messages page at %s shows a \"New message\" button", msgClosedSlug)
	}
	if err := doSteps(patient, chromedp.Navigate(url+"p/"+msgClosedSlug+"/messages/new"), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	if count(t, patient, "#messages-closed") != 1 || count(t, patient, "#message-form") != 0 {
		t.Errorf("the new message form at %s does not say the clinic takes no messages", msgClosedSlug)
	}

	// The portal's new pages, audited.
	if err := doSteps(patient, chromedp.Navigate(p.base+"/messages"), chromedp.WaitVisible(chromedp.CSS(`#conversations a[data-conversation]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conversations[data-events-state="open"]`))); err != nil {
		t.Fatalf("the patient's messages: %v", err)
	}
	audit(patient, "portal messages")
	if err := doSteps(patient, chromedp.Click(chromedp.CSS("#new-message")), chromedp.WaitVisible(chromedp.CSS("#message-form"))); err != nil {
		t.Fatalf("the new message form: %v", err)
	}
	audit(patient, "portal new message")

	// Both sides open the conversation.
	signInStaff(t, staff, url, msgDoctor)
	if err := doSteps(staff, chromedp.Navigate(url+"messages"), chromedp.WaitVisible(chromedp.CSS(`[data-messaging="inbox"][data-events-state="open"]`))); err != nil {
		t.Fatalf("the doctor's inbox: %v", err)
	}
	audit(staff, "dashboard inbox")
	p.open(t, d.conv)
	audit(patient, "portal conversation")
	s.open(t, d.conv)
	audit(staff, "dashboard conversation")

	// A message typed on one side shows on the other's open page within a second.
	nonce := time.Now().Format("150405.000")
	limit := messageLatency(t)
	for _, dir := range []struct{ from, to *msgSide }{{p, s}, {s, p}} {
		text := fmt.Sprintf("Typed by the %s at %s", dir.from.who, nonce)
		start := dir.from.send(t, text, "")
		took, err := pollUntil(dir.to.ctx, dir.to.hasText(text), start, start.Add(15*time.Second))
		if err != nil {
			t.Fatalf("%s → %s: %v", dir.from.who, dir.to.who, err)
		}
		t.Logf("%s → %s: shown %v after the submission", dir.from.who, dir.to.who, took.Round(time.Millisecond))
		if took > limit {
			t.Errorf("%s → %s: the message took %v to show on the open page, want < %v", dir.from.who, dir.to.who, took.Round(time.Millisecond), limit)
		}
		dir.from.reloaded(t)
		if n := dir.to.countText(t, text); n != 1 {
			t.Errorf("%s's page shows the message %d times", dir.to.who, n)
		}
	}

	// Read receipts, both ways: a message written while the other side is elsewhere shows
	// no receipt; when the other side opens the conversation, its author's open page shows
	// "Read".
	for _, dir := range []struct{ from, to *msgSide }{{s, p}, {p, s}} {
		dir.to.leave(t)
		text := fmt.Sprintf("Read receipt from the %s at %s", dir.from.who, nonce)
		dir.from.send(t, text, "")
		dir.from.reloaded(t)
		id := dir.from.idOf(t, text)
		if r := dir.from.receipt(t, id); r != "sent" {
			t.Errorf("%s's message %d shows %q before the %s opened the conversation, want sent", dir.from.who, id, r, dir.to.who)
		}
		start := time.Now()
		dir.to.open(t, d.conv)
		took, err := pollUntil(dir.from.ctx, dir.from.receiptIs(id, "read"), start, start.Add(10*time.Second))
		if err != nil {
			t.Errorf("%s's page does not show the %s read message %d: %v", dir.from.who, dir.to.who, id, err)
			continue
		}
		t.Logf("read receipt on the %s's page %v after the %s opened the conversation", dir.from.who, took.Round(time.Millisecond), dir.to.who)
	}

	// An attachment uploaded on one side downloads on the other, as sent.
	files := t.TempDir()
	for i, dir := range []struct{ from, to *msgSide }{{p, s}, {s, p}} {
		name := fmt.Sprintf("from-%s.png", dir.from.who)
		path, want := pngFile(t, files, name, color.RGBA{R: uint8(40 * i), G: 120, B: 200, A: 255})
		text := fmt.Sprintf("A picture from the %s at %s", dir.from.who, nonce)
		start := dir.from.send(t, text, path)
		if _, err := pollUntil(dir.to.ctx, dir.to.hasAttachment(text), start, start.Add(10*time.Second)); err != nil {
			t.Fatalf("%s's attachment does not show on the %s's page: %v", dir.from.who, dir.to.who, err)
		}
		dir.from.reloaded(t)
		got := dir.to.download(t, text)
		if got.Status != 200 || got.Type != "image/png" || !bytes.Equal(got.Data, want) {
			t.Errorf("the %s downloaded the %s's %s as %d %q, %d bytes (want 200 image/png, %d bytes, the same)", dir.to.who, dir.from.who, name,
				got.Status, got.Type, len(got.Data), len(want))
		}
		if got.Name != name {
			t.Errorf("the %s's link names the file %q, want %q", dir.to.who, got.Name, name)
		}
	}

	// A stored XSS payload is text on both sides, live and as the page is read again.
	const payload = `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`
	for _, dir := range []struct{ from, to *msgSide }{{p, s}, {s, p}} {
		text := payload + " " + dir.from.who
		start := dir.from.send(t, text, "")
		if _, err := pollUntil(dir.to.ctx, dir.to.hasText(text), start, start.Add(10*time.Second)); err != nil {
			t.Fatalf("the %s's payload does not show on the %s's page: %v", dir.from.who, dir.to.who, err)
		}
		dir.from.reloaded(t)
		dir.to.inert(t, text, "live")
		dir.from.inert(t, text, "after sending")
	}
	for _, sd := range []*msgSide{p, s} {
		sd.open(t, d.conv)
		sd.inert(t, payload+" "+p.who, "read again")
		sd.inert(t, payload+" "+s.who, "read again")
	}
	for _, l := range []struct {
		ctx       context.Context
		url, wait string
	}{{patient, p.base + "/messages", "#conversations"}, {staff, url + "messages", "#conversation-list"}} {
		if err := doSteps(l.ctx, chromedp.Navigate(l.url), chromedp.WaitVisible(chromedp.CSS(l.wait))); err != nil {
			t.Fatal(err)
		}
		if x := evalJS[string](t, l.ctx, `String(window.__xss)`); x != "undefined" {
			t.Errorf("%s: the payload ran (window.__xss = %s)", l.url, x)
		}
	}

	// The administrator's messaging settings, audited; incoming conversations turned off at
	// Surry Hills take the button off its portal (MSG-3).
	if err := doSteps(staff, chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS("#email"))); err != nil {
		t.Fatal(err)
	}
	signIn(t, staff, url)
	if err := doSteps(staff, chromedp.Navigate(url+"settings/messaging"), chromedp.WaitVisible(chromedp.CSS("#messaging-form"))); err != nil {
		t.Fatal(err)
	}
	audit(staff, "dashboard messaging settings")
	if h := evalJS[string](t, staff, `document.querySelector("h1").textContent`); !strings.Contains(h, "Surry Hills") {
		t.Fatalf("the settings page shows %q, want Surry Hills's", h)
	}
	if err := doSteps(staff,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("incoming_on").checked = false`),
		chromedp.Click(chromedp.CSS("#save-messaging")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatalf("save the settings: %v", err)
	}
	if st := evalJS[string](t, staff, `(document.getElementById("button-state") || {}).textContent || ""`); !strings.Contains(st, "Not shown") {
		t.Errorf("with incoming conversations off the settings say %q about the button", st)
	}
	if err := doSteps(patient, chromedp.Navigate(p.base+"/"), chromedp.WaitVisible(chromedp.CSS("#nav-messages"))); err != nil {
		t.Fatal(err)
	}
	if n := count(t, patient, "#new-message"); n != 0 {
		t.Errorf("the portal's home at %s still shows \"New message\" with incoming conversations off", msgOpenSlug)
	}
}

// TestMessagingRestart: the server restarts while both sides have the conversation open
// (MSG-4): the pages reconnect by themselves and show every message exactly once, those
// written while the server was down included. The server is `tidings demo` on a fixed
// address and a database that outlives it (a SQLite file, or with TIDINGS_TEST_POSTGRES a
// PostgreSQL schema); it stops once gracefully (in this process) and once by SIGKILL (a
// child process), and each time messages are written through the use case while it is
// down.
//
// CI's PostgreSQL pass sets TIDINGS_SKIP_BROWSER, the pages being the same on both
// databases; this test is about the database's part (the replay after Last-Event-ID,
// LISTEN/NOTIFY), so on PostgreSQL it runs all the same.
func TestMessagingRestart(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) != "" {
		t.Setenv("TIDINGS_SKIP_BROWSER", "")
	}
	patient, staff := twoBrowsers(t)
	dsn := storetest.DSN(t)
	addr := freeAddr(t)
	data := t.TempDir()
	url := "http://" + addr + "/"

	stop := startDemoAt(t, dsn, addr, data, false)
	d := messagingDemo(t, dsn)
	db := openStore(t, dsn)
	svc := messaging.New(db, messaging.Config{})
	p := portalSide(patient, url+"p/"+msgOpenSlug)
	s := staffSide(staff, url)
	portalSignIn(t, patient, p.base, d.email)
	signInStaff(t, staff, url, msgDoctor)
	p.open(t, d.conv)
	s.open(t, d.conv)
	sides := []*msgSide{p, s}
	// Events reach both streams before the first stop, so that they resume from the last
	// event they received (Last-Event-ID), not only from the one their page was read after.
	for _, dir := range []struct{ from, to *msgSide }{{s, p}, {p, s}} {
		text := "Before the restarts, typed by the " + dir.from.who
		start := dir.from.send(t, text, "")
		if _, err := pollUntil(dir.to.ctx, dir.to.hasText(text), start, start.Add(10*time.Second)); err != nil {
			t.Fatalf("before the restarts, %s → %s: %v", dir.from.who, dir.to.who, err)
		}
		dir.from.reloaded(t)
	}
	// The pages are never read again from here: what they show after the restarts came
	// through their streams.
	for _, sd := range sides {
		if err := doSteps(sd.ctx, chromedp.Evaluate[chromedp.Void](`window.__kept = true`)); err != nil {
			t.Fatal(err)
		}
	}

	for i, how := range []struct {
		name  string
		kill  bool // how the running server stops
		child bool // how the next one runs
	}{{"graceful stop", false, true}, {"SIGKILL", true, false}} {
		stop(how.kill)
		for _, sd := range sides {
			// The page saw its stream go.
			if _, err := pollUntil(sd.ctx, `document.querySelector(`+jsString(sd.state)+`).getAttribute("data-events-state") !== "open"`,
				time.Now(), time.Now().Add(10*time.Second)); err != nil {
				t.Errorf("%s: the %s's page did not notice the server stopped: %v", how.name, sd.who, err)
			}
		}
		// Written while the server is down, from both sides.
		for _, m := range []struct {
			actor clinic.Actor
			text  string
		}{{d.doctor, fmt.Sprintf("Written by the doctor while the server was down (%d)", i)},
			{clinic.PatientActor(d.org, d.patient), fmt.Sprintf("Written by the patient while the server was down (%d)", i)}} {
			if _, err := svc.Send(context.Background(), m.actor, d.conv, m.text, nil); err != nil {
				t.Fatalf("send while down: %v", err)
			}
		}
		// Down for a while, as a real restart is: the browsers retry meanwhile.
		time.Sleep(3 * time.Second)
		for _, sd := range sides {
			t.Logf("%s: while the server is down the %s's page is %q", how.name, sd.who,
				evalJS[string](t, sd.ctx, `document.querySelector(`+jsString(sd.state)+`).getAttribute("data-events-state")`))
		}
		want := messageIDs(t, db, d.conv)
		stop = startDemoAt(t, dsn, addr, data, how.child)
		up := time.Now()
		for _, sd := range sides {
			took, err := pollUntil(sd.ctx, sd.showsExactly(want), up, up.Add(15*time.Second))
			if err != nil {
				t.Errorf("%s: the %s's page shows %v, want each of %v once: %v", how.name, sd.who, sd.ids(t), want, err)
				continue
			}
			t.Logf("%s: the %s's page caught up %v after the server was back", how.name, sd.who, took.Round(time.Millisecond))
			if evalJS[string](t, sd.ctx, `String(window.__kept)`) != "true" {
				t.Errorf("%s: the %s's page was loaded again", how.name, sd.who)
			}
			if took > 5*time.Second {
				t.Errorf("%s: the %s's page took %v to catch up after the restart, want a few seconds", how.name, sd.who, took.Round(time.Millisecond))
			}
		}
	}

	// Live again, not only replayed: typed on one page, shown on the other, once.
	for _, dir := range []struct{ from, to *msgSide }{{s, p}, {p, s}} {
		text := "After the restarts, typed by the " + dir.from.who
		start := dir.from.send(t, text, "")
		took, err := pollUntil(dir.to.ctx, dir.to.hasText(text), start, start.Add(10*time.Second))
		if err != nil {
			t.Fatalf("after the restarts, %s → %s: %v", dir.from.who, dir.to.who, err)
		}
		t.Logf("after the restarts, %s → %s in %v", dir.from.who, dir.to.who, took.Round(time.Millisecond))
		dir.from.reloaded(t)
	}
	want := messageIDs(t, db, d.conv)
	for _, sd := range sides {
		if _, err := pollUntil(sd.ctx, sd.showsExactly(want), time.Now(), time.Now().Add(5*time.Second)); err != nil {
			t.Errorf("in the end the %s's page shows %v, want each of %v once", sd.who, sd.ids(t), want)
		}
	}
}

// msgDemo is what the messaging tests use of the demo.
type msgDemo struct {
	org     clinic.OrgID
	conv    int64            // msgDemoThread
	patient clinic.PatientID // its patient, the holder of the portal login
	email   string           // the portal login at Surry Hills
	doctor  clinic.Actor
}

// messagingDemo finds, in the running demo's database, its conversation between the doctor
// and the patient with the portal login.
func messagingDemo(t *testing.T, dsn string) msgDemo {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	res, err := demo.Seed(ctx, db) // the demo is there: this reads its logins
	if err != nil {
		t.Fatal(err)
	}
	d := msgDemo{org: res.Org.ID}
	for _, pl := range res.Portals {
		if pl.Path == "/p/"+msgOpenSlug {
			d.email = pl.Email
		}
	}
	if d.email == "" {
		t.Fatalf("the demo has no portal login at %s: %+v", msgOpenSlug, res.Portals)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		u, err := tx.Staff().UserByEmail(ctx, msgDoctor)
		if err != nil {
			return err
		}
		d.doctor = clinic.StaffActor(u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q := `SELECT id, patient_id FROM conversations WHERE subject = '` + msgDemoThread + `'`
	var id, pid int64
	if s := db.SQLDB(); s != nil {
		err = s.QueryRowContext(ctx, q).Scan(&id, &pid)
	} else {
		err = db.PgxPool().QueryRow(ctx, q).Scan(&id, &pid)
	}
	if err != nil {
		t.Fatalf("the demo's conversation %q: %v", msgDemoThread, err)
	}
	d.conv, d.patient = id, clinic.PatientID(pid)
	return d
}

// messageIDs lists a conversation's messages, read from the table.
func messageIDs(t *testing.T, db *store.DB, conv int64) []int64 {
	t.Helper()
	ctx := context.Background()
	q := fmt.Sprintf(`SELECT id FROM messages WHERE conversation_id = %d ORDER BY id`, conv)
	var out []int64
	scan := func(next func() bool, scan func(...any) error) error {
		for next() {
			var id int64
			if err := scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return nil
	}
	var err error
	if s := db.SQLDB(); s != nil {
		var rows *sql.Rows
		if rows, err = s.QueryContext(ctx, q); err == nil {
			err = scan(rows.Next, rows.Scan)
			rows.Close()
		}
	} else {
		rows, qerr := db.PgxPool().Query(ctx, q)
		if err = qerr; err == nil {
			err = scan(rows.Next, rows.Scan)
			rows.Close()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// msgSide is one side's conversation page: where its messages, their text, receipts and
// attachments are, and its reply form.
type msgSide struct {
	who     string
	ctx     context.Context
	conv    func(id int64) string // the conversation's address
	away    string                // an address elsewhere, and what shows it loaded
	awayCSS string
	state   string // CSS of the element with data-events-state
	item    string // CSS of a message's list item
	idAttr  string // its attribute holding the message's id
	body    string // CSS, inside an item, of its text
	link    string // CSS, inside an item, of its attachment's link
	submit  string // the reply's submit button
	base    string
	// receiptOf is a JS expression: message id's receipt, "sent" or "read".
	receiptOf func(id int64) string
}

func portalSide(ctx context.Context, base string) *msgSide {
	return &msgSide{who: "patient", ctx: ctx, base: base,
		conv:    func(id int64) string { return fmt.Sprintf("%s/messages/%d", base, id) },
		away:    base + "/messages",
		awayCSS: `#conversations[data-events-state="open"]`,
		state:   "#thread", item: "#messages li[data-message]", idAttr: "data-message", body: ".msg-body", link: "a[data-attachment]", submit: "#send",
		receiptOf: func(id int64) string {
			return fmt.Sprintf(`(r => r ? r.getAttribute("data-receipt") : "none")(document.querySelector("#message-%d [data-receipt]"))`, id)
		},
	}
}

func staffSide(ctx context.Context, url string) *msgSide {
	return &msgSide{who: "doctor", ctx: ctx, base: strings.TrimSuffix(url, "/"),
		conv:    func(id int64) string { return fmt.Sprintf("%smessages/%d", url, id) },
		away:    url + "messages",
		awayCSS: `[data-messaging="inbox"][data-events-state="open"]`,
		state:   "[data-messaging]", item: "#message-list li[data-message-id]", idAttr: "data-message-id", body: ".message-body", link: "a[data-attachment-id]",
		submit: "#send-reply",
		receiptOf: func(id int64) string {
			return fmt.Sprintf(`(r => r ? (r.hidden ? "sent" : "read") : "none")(document.querySelector("#m-%d [data-receipt]"))`, id)
		},
	}
}

// open shows the conversation and waits for its stream.
func (sd *msgSide) open(t *testing.T, id int64) {
	t.Helper()
	if err := doSteps(sd.ctx, chromedp.Navigate(sd.conv(id)), chromedp.WaitVisible(chromedp.CSS(sd.state+`[data-events-state="open"]`))); err != nil {
		t.Fatalf("the %s opens conversation %d: %v", sd.who, id, err)
	}
}

// leave goes to the list of conversations.
func (sd *msgSide) leave(t *testing.T) {
	t.Helper()
	if err := doSteps(sd.ctx, chromedp.Navigate(sd.away), chromedp.WaitVisible(chromedp.CSS(sd.awayCSS))); err != nil {
		t.Fatalf("the %s leaves the conversation: %v", sd.who, err)
	}
}

// send types text (and attaches file, if any) into the reply form and submits it; it
// returns the moment of the submission. The page marks itself so that reloaded can tell
// the page the form's answer loads.
func (sd *msgSide) send(t *testing.T, text, file string) time.Time {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Evaluate[chromedp.Void](`window.__before = true`),
		chromedp.SendKeys(chromedp.CSS("#body"), text),
	}
	if file != "" {
		steps = append(steps, chromedp.SetUploadFiles(chromedp.CSS("#attachment"), []string{file}))
	}
	if err := doSteps(sd.ctx, steps...); err != nil {
		t.Fatalf("the %s types a message: %v", sd.who, err)
	}
	start := time.Now()
	if err := doSteps(sd.ctx, chromedp.Click(chromedp.CSS(sd.submit))); err != nil {
		t.Fatalf("the %s sends: %v", sd.who, err)
	}
	return start
}

// reloaded waits for the page the reply form's answer loads, following its stream.
func (sd *msgSide) reloaded(t *testing.T) {
	t.Helper()
	js := `window.__before === undefined && document.readyState === "complete" && !!document.querySelector(` + jsString(sd.state+`[data-events-state="open"]`) + `)`
	if _, err := pollUntil(sd.ctx, js, time.Now(), time.Now().Add(15*time.Second)); err != nil {
		t.Fatalf("the %s's page after sending: %v", sd.who, err)
	}
	if n := count(t, sd.ctx, "#field-errors"); n != 0 {
		t.Fatalf("the %s's message was refused: %s", sd.who, evalJS[string](t, sd.ctx, `document.getElementById("field-errors").textContent`))
	}
}

// itemOf is a JS expression: the list item whose text is text, or undefined.
func (sd *msgSide) itemOf(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].find(li => { const b = li.querySelector(%s); return b && b.textContent === %s; })`,
		jsString(sd.item), jsString(sd.body), jsString(text))
}

// hasText is a JS condition: a message of text shows.
func (sd *msgSide) hasText(text string) string { return "!!(" + sd.itemOf(text) + ")" }

// hasAttachment is a JS condition: the message of text shows with its attachment's link.
func (sd *msgSide) hasAttachment(text string) string {
	return fmt.Sprintf(`!!((li => li && li.querySelector(%s))(%s))`, jsString(sd.link), sd.itemOf(text))
}

func (sd *msgSide) countText(t *testing.T, text string) int {
	t.Helper()
	return evalJS[int](t, sd.ctx, fmt.Sprintf(`[...document.querySelectorAll(%s)].filter(li => { const b = li.querySelector(%s); return b && b.textContent === %s; }).length`,
		jsString(sd.item), jsString(sd.body), jsString(text)))
}

// idOf is the id of the message of text.
func (sd *msgSide) idOf(t *testing.T, text string) int64 {
	t.Helper()
	n := evalJS[int](t, sd.ctx, fmt.Sprintf(`(li => li ? Number(li.getAttribute(%s)) : 0)(%s)`, jsString(sd.idAttr), sd.itemOf(text)))
	if n == 0 {
		t.Fatalf("the %s's page does not show %q", sd.who, text)
	}
	return int64(n)
}

func (sd *msgSide) receipt(t *testing.T, id int64) string {
	t.Helper()
	return evalJS[string](t, sd.ctx, sd.receiptOf(id))
}

func (sd *msgSide) receiptIs(id int64, want string) string {
	return sd.receiptOf(id) + " === " + jsString(want)
}

// ids are the message ids the page lists, in order.
func (sd *msgSide) ids(t *testing.T) []string {
	t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll(%s)].map(li => li.getAttribute(%s))`, jsString(sd.item), jsString(sd.idAttr))
	out, err := chromedp.Run(sd.ctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Logf("the %s's message ids: %v", sd.who, err)
	}
	return out
}

// showsExactly is a JS condition: the page lists each of ids once, and nothing else.
func (sd *msgSide) showsExactly(ids []int64) string {
	want, _ := json.Marshal(func() []string {
		var s []string
		for _, id := range ids {
			s = append(s, fmt.Sprint(id))
		}
		return s
	}())
	return fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%s)].map(li => li.getAttribute(%s))) === %s`,
		jsString(sd.item), jsString(sd.idAttr), jsString(string(want)))
}

// download is an attachment fetched by the page with its session.
type download struct {
	Status int
	Type   string
	Name   string
	Data   []byte
}

// download fetches the attachment of the message of text as the page's browser would.
func (sd *msgSide) download(t *testing.T, text string) download {
	t.Helper()
	js := fmt.Sprintf(`(async () => {
		const a = (%s).querySelector(%s);
		const r = await fetch(a.href, {credentials: "same-origin"});
		const b = new Uint8Array(await r.arrayBuffer());
		let s = "";
		for (const x of b) s += String.fromCharCode(x);
		return JSON.stringify({status: r.status, type: r.headers.get("Content-Type") || "", name: a.textContent.trim(), data: btoa(s)});
	})()`, sd.itemOf(text), jsString(sd.link))
	s, err := chromedp.Run(sd.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("the %s downloads the attachment: %v", sd.who, err)
	}
	var raw struct {
		Status     int
		Type, Name string
		Data       string
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(raw.Data)
	if err != nil {
		t.Fatal(err)
	}
	return download{Status: raw.Status, Type: raw.Type, Name: raw.Name, Data: b}
}

// inert checks that the message of text shows as that text, made of no element, and that
// nothing of it ran.
func (sd *msgSide) inert(t *testing.T, text, when string) {
	t.Helper()
	js := fmt.Sprintf(`JSON.stringify((li => ({
		shown: !!li && li.querySelector(%s).getClientRects().length > 0,
		elements: li ? li.querySelector(%s).children.length : -1,
		img: document.querySelectorAll('img[src="x"]').length,
		xss: String(window.__xss)
	}))(%s))`, jsString(sd.body), jsString(sd.body), sd.itemOf(text))
	var r struct {
		Shown    bool
		Elements int
		Img      int
		XSS      string
	}
	if err := json.Unmarshal([]byte(evalJS[string](t, sd.ctx, js)), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Shown || r.Elements != 0 || r.Img != 0 || r.XSS != "undefined" {
		t.Errorf("%s, the %s's page: the payload is not plain text (visible %v, %d elements in the message, %d img[src=x], window.__xss %s)",
			when, sd.who, r.Shown, r.Elements, r.Img, r.XSS)
	}
}

// twoBrowsers starts two Chromium browsers, each with its own profile: the patient's and
// the practitioner's.
func twoBrowsers(t *testing.T) (patient, staff context.Context) {
	t.Helper()
	patient = browserFor(t, 4*time.Minute)
	staff = browserFor(t, 4*time.Minute)
	for _, b := range []context.Context{patient, staff} {
		// The first run starts the browser, bound to the test's limit (doSteps's own limits
		// are on contexts derived from it).
		if err := chromedp.Do(b); err != nil {
			t.Fatalf("start Chromium: %v", err)
		}
	}
	return patient, staff
}

// doSteps runs steps on ctx's page within a time limit of their own (30 s), so that a page
// that never shows what they wait for fails the test then, not at the browser's limit.
func doSteps(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// pollUntil evaluates the JS condition cond on ctx's page until it holds or the deadline
// passes, and returns the time since start when it held (the DOM polled every 10 ms).
func pollUntil(ctx context.Context, cond string, start, deadline time.Time) (time.Duration, error) {
	var last error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("Boolean("+cond+")"))
		if err == nil && ok {
			return time.Since(start), nil
		}
		if err != nil {
			last = err // a page between two documents
		}
		if time.Now().After(deadline) {
			return time.Since(start), fmt.Errorf("not so after %v (last error: %v): %s", time.Since(start).Round(time.Millisecond), last, cond)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func count(t *testing.T, ctx context.Context, css string) int {
	t.Helper()
	return evalJS[int](t, ctx, `document.querySelectorAll(`+jsString(css)+`).length`)
}

// evalJS is the value of the expression js in the page, as a T.
func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// portalSignIn signs the patient in at the portal base (/p/{slug} on the server), unless
// they are already, and waits for its home page.
func portalSignIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	if err := doSteps(ctx, chromedp.Navigate(base+"/"), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	if count(t, ctx, "#signin-form") > 0 {
		err := doSteps(ctx,
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
			chromedp.Click(chromedp.CSS("#sign-in")),
		)
		if err != nil {
			t.Fatalf("sign in at %s: %v", base, err)
		}
	}
	if err := doSteps(ctx, chromedp.WaitVisible(chromedp.CSS("#nav-messages"))); err != nil {
		t.Fatalf("the portal's home at %s: %v", base, err)
	}
}

// signInStaff signs a demo staff account in through the dashboard's sign-in form.
func signInStaff(t *testing.T, ctx context.Context, url, email string) {
	t.Helper()
	err := doSteps(ctx,
		chromedp.Navigate(url+"login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
}

// pngFile writes a small PNG of colour c and returns its path and bytes.
func pngFile(t *testing.T, dir, name string, c color.RGBA) (string, []byte) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 12, 8))
	for y := range 8 {
		for x := range 12 {
			img.Set(x, y, color.RGBA{R: c.R + uint8(x*7), G: c.G + uint8(y*5), B: c.B, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// startDemoAt runs `tidings demo` on addr over dsn (data its data directory), in this
// process or, with child, as a child process (the test binary, see TestMain), until the
// returned stop is called or the test ends. stop(false) stops it gracefully (the context
// cancelled, or SIGINT); stop(true) kills the child with SIGKILL (in this process there is
// nothing to kill: it stops gracefully).
func startDemoAt(t *testing.T, dsn, addr, data string, child bool) (stop func(kill bool)) {
	t.Helper()
	args := []string{"demo", "--addr", addr, "--db", dsn, "--data-dir", data, "--public-url", "http://" + addr + "/", "--log-level", "warn"}
	var once sync.Once
	var errb syncBuffer
	if !child {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan int, 1)
		go func() {
			done <- cli.Run(ctx, cli.Env{Args: args, Stdout: &syncBuffer{}, Stderr: &errb, Ready: func(u string) { ready <- u }})
		}()
		stop = func(bool) {
			once.Do(func() {
				cancel()
				select {
				case code := <-done:
					if code != 0 {
						t.Errorf("demo exited %d: %s", code, errb.String())
					}
				case <-time.After(30 * time.Second):
					t.Error("demo did not stop within 30 s")
				}
			})
		}
		t.Cleanup(func() { stop(false) })
		select {
		case <-ready:
			return stop
		case code := <-done:
			t.Fatalf("demo exited %d: %s", code, errb.String())
		case <-time.After(90 * time.Second):
			t.Fatal("demo did not start within 90 s")
		}
		return stop
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TIDINGS_TEST_CHILD_ARGS="+strings.Join(args, "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	stop = func(kill bool) {
		once.Do(func() {
			if kill {
				cmd.Process.Kill()
			} else {
				cmd.Process.Signal(os.Interrupt)
			}
			go func() { waited <- cmd.Wait() }()
			select {
			case <-waited:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Error("the child server did not stop within 30 s")
			}
		})
	}
	t.Cleanup(func() { stop(false) })
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "is running: ") {
				ok = true
				up <- true
			}
		}
		if !ok {
			up <- false
		}
	}()
	select {
	case ok := <-up:
		if !ok {
			t.Fatalf("the child server did not start: %s", errb.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("the child server did not start within 90 s: %s", errb.String())
	}
	return stop
}
