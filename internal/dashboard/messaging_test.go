package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// reqCtx is a request's context, for the use cases the tests call directly (their audit
// rows carry the request id).
func reqCtx() context.Context { return web.WithRequestID(context.Background(), "req-test") }

// professional adds a practitioner's staff account (a healthcare professional, MSG-1),
// linked to practitioner p when it is not 0.
func (e *env) professional(email, name string, p clinic.PractitionerID) clinic.User {
	e.t.Helper()
	var u clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		u, err = tx.Staff().CreateUser(ctx, e.fx.Org.ID, clinic.User{Email: email, Name: name, Role: clinic.RolePractitioner,
			PractitionerID: p, PasswordHash: "unused"})
		return err
	})
	return u
}

// openMessaging switches the fixture clinic's secure messaging on for every professional,
// both ways, with the portal's button (MSG-1..MSG-3); triage says whether reception reads.
func (e *env) openMessaging(triage bool) {
	e.t.Helper()
	err := e.d.messaging.SetSettings(reqCtx(), actorOf(e.admin), store.MessagingSettings{ClinicID: e.fx.Clinic.ID,
		StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true, PortalButton: true, ReceptionTriage: triage})
	if err != nil {
		e.t.Fatal(err)
	}
}

// patientActor is the fixture patient signed in to the portal.
func (e *env) patientActor() clinic.Actor { return clinic.PatientActor(e.fx.Org.ID, e.fx.Patient.ID) }

// patientStarts starts a conversation from the portal, as the fixture patient.
func (e *env) patientStarts(subject, body string) store.Conversation {
	e.t.Helper()
	c, err := e.d.messaging.Start(reqCtx(), e.patientActor(), messaging.StartInput{ClinicID: e.fx.Clinic.ID,
		PatientID: e.fx.Patient.ID, Subject: subject, Body: body})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// TestMessagingSettings (MSG-1..MSG-3, seed 003): an administrator saves the clinic's
// switches and lists, read back as saved and audited; a list naming someone who is not a
// healthcare professional, or not a user at all, is refused naming the list (422) and
// nothing changes; other roles do not reach the page.
func TestMessagingSettings(t *testing.T) {
	e := newEnv(t)
	ctx := reqCtx()
	doc := e.professional("doc@example.com", "Dr Ada Lovelace", e.fx.Practitioner.ID)
	admin := actorOf(e.admin)

	if res := e.do(request{method: http.MethodGet, path: "/settings/messaging", actor: actorOf(e.recep)}); res.status != http.StatusForbidden {
		t.Errorf("reception: status %d, want 403", res.status)
	}
	res := e.do(request{method: http.MethodGet, path: "/settings/messaging", actor: admin})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, `id="staff_start"`, `id="staff_start_all"`, `id="start_list"`, `id="incoming_on"`, `id="answer_list"`, `id="portal_button"`,
		`id="reception_triage"`, `id="staff_digest"`, fmt.Sprintf(`<option value="%d">Dr Ada Lovelace</option>`, doc.ID),
		"Allow healthcare professionals to start conversations", "Accessible for all healthcare professionals",
		"Allow patients and other clinics to start or hand over conversations", "at most once an hour when new messages are waiting unread", `data-testid="nav-messaging"`)
	wantNoBody(t, res, fmt.Sprintf(`value="%d">Rita Reception`, e.recep.ID))
	checkCSP(t, res.body)

	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "staff_start": {"on"}, "start_list": {fmt.Sprint(doc.ID)},
		"incoming": {"on"}, "incoming_all": {"on"}, "portal_button": {"on"}, "reception_triage": {"on"}, "staff_digest": {"on"}}
	wantRedirect(t, e.do(request{method: http.MethodPost, path: "/settings/messaging", actor: admin, form: form}), "/settings/messaging?done=messaging-saved")
	got, err := e.d.messaging.Settings(ctx, admin, e.fx.Clinic.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := store.MessagingSettings{ClinicID: e.fx.Clinic.ID, StaffStart: true, StartList: []clinic.UserID{doc.ID}, Incoming: true, IncomingAll: true,
		PortalButton: true, ReceptionTriage: true, StaffDigest: true, UpdatedAt: got.UpdatedAt}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("saved %+v, want %+v", got, want)
	}
	if !e.hasAudit("messaging.settings 0") {
		t.Error("the change is not audited")
	}
	res = e.do(request{method: http.MethodGet, path: "/settings/messaging?done=messaging-saved", actor: admin})
	wantBody(t, res, fmt.Sprintf(`<option value="%d" selected>Dr Ada Lovelace</option>`, doc.ID), "Secure messaging settings saved.", "Shown on the portal")

	for _, tc := range []struct{ field, value string }{{"start_list", fmt.Sprint(e.recep.ID)}, {"answer_list", "abc"}, {"start_list", "999999"}} {
		bad := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "staff_start": {"on"}, tc.field: {tc.value}}
		res := e.do(request{method: http.MethodPost, path: "/settings/messaging", actor: admin, form: bad})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s=%s: status %d, want 422", tc.field, tc.value, res.status)
		}
		wantBody(t, res, fmt.Sprintf(`data-field="%s"`, tc.field), "must list only healthcare professionals of this organisation",
			fmt.Sprintf(`id="%s"`, tc.field))
	}
	if after, _ := e.d.messaging.Settings(ctx, admin, e.fx.Clinic.ID); fmt.Sprint(after) != fmt.Sprint(got) {
		t.Errorf("a refused form changed the settings: %+v", after)
	}
	if res := e.do(request{method: http.MethodGet, path: "/settings/messaging?clinic_id=999999", actor: admin}); res.status != http.StatusNotFound {
		t.Errorf("another organisation's clinic: status %d, want 404", res.status)
	}
}

// TestMessagingInbox (MSG-4): the staff inbox's tabs list what each may read (unassigned,
// mine, all) with unread counts and the header's badge; the new conversation's form is
// offered to whom the clinic lets start (MSG-1) and explained to the others; a started
// conversation opens, a refused one names its fields.
func TestMessagingInbox(t *testing.T) {
	e := newEnv(t)
	ctx := reqCtx()
	e.openMessaging(false)
	doc := e.professional("doc@example.com", "Dr Ada Lovelace", e.fx.Practitioner.ID)
	docActor := actorOf(doc)
	mine := e.patientStarts("Test results", "Are my results in?")
	if err := e.d.messaging.Assign(ctx, docActor, mine.ID, doc.ID); err != nil {
		t.Fatal(err)
	}
	theirs, err := e.d.messaging.Start(ctx, docActor, messaging.StartInput{ClinicID: e.fx.Clinic.ID, PatientID: e.fx.Patient.ID,
		Subject: "Your prescription", Body: "It is ready."})
	if err != nil {
		t.Fatal(err)
	}
	row := func(c store.Conversation) string { return fmt.Sprintf(`data-conversation-id="%d"`, c.ID) }

	res := e.do(request{method: http.MethodGet, path: "/messages?box=mine", actor: docActor})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, row(mine), "Test results", `data-unread="1"`, `data-testid="messages-unread"`, `id="start-form"`, `data-events-url="/events?after=`,
		`aria-current="page" data-box="mine"`, "Dr Ada Lovelace", fmt.Sprintf(`href="/messages/%d"`, mine.ID))
	wantNoBody(t, res, row(theirs))
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	res = e.do(request{method: http.MethodGet, path: "/messages", actor: docActor})
	wantBody(t, res, row(theirs), `aria-current="page" data-box="unassigned"`)
	wantNoBody(t, res, row(mine))
	res = e.do(request{method: http.MethodGet, path: "/messages?box=all", actor: docActor})
	wantBody(t, res, row(mine), row(theirs))
	if !e.hasAudit(fmt.Sprintf("message.inbox %d", e.fx.Patient.ID)) {
		t.Error("the inbox's patients are not audited")
	}
	res = e.do(request{method: http.MethodGet, path: "/messages?box=all", actor: docActor, header: map[string]string{"HX-Request": "true"}})
	if !strings.HasPrefix(strings.TrimSpace(res.body), `<section id="conversation-list"`) || strings.Contains(res.body, "<html") {
		t.Errorf("htmx gets more than the list:\n%s", res.body)
	}
	if res := e.do(request{method: http.MethodGet, path: "/messages?box=everything", actor: docActor}); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, `data-field="box"`) {
		t.Errorf("bad tab: status %d, want 422 naming box", res.status)
	}

	// Reception, without triage: nothing to read, no form, and why.
	res = e.do(request{method: http.MethodGet, path: "/messages?box=all", actor: actorOf(e.recep)})
	wantBody(t, res, `id="no-conversations"`, `id="start-why"`, "only healthcare professionals start conversations (MSG-1)")
	wantNoBody(t, res, row(mine), row(theirs), `id="start-form"`, `data-testid="messages-unread"`)

	// Starting one: refused without a subject, then opened.
	form := url.Values{"clinic_id": {fmt.Sprint(e.fx.Clinic.ID)}, "patient_id": {fmt.Sprint(e.fx.Patient.ID)}, "subject": {""}, "body": {"Hello"}}
	res = e.do(request{method: http.MethodPost, path: "/messages", actor: docActor, form: form})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("no subject: status %d, want 422", res.status)
	}
	wantBody(t, res, `data-field="subject"`, ">Hello</textarea>", row(theirs)) // the form's page lists the unassigned
	form.Set("subject", "Follow-up")
	res = e.do(request{method: http.MethodPost, path: "/messages", actor: docActor, form: form})
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !regexp.MustCompile(`^/messages/[0-9]+\?done=conversation-started$`).MatchString(loc) {
		t.Fatalf("start: %d %q\n%s", res.status, loc, res.body)
	}
	if !e.hasAudit(fmt.Sprintf("message.start %d", e.fx.Patient.ID)) {
		t.Error("the start is not audited")
	}
	// The search finds the patient for the form (POST: the text stays out of URLs).
	res = e.do(request{method: http.MethodPost, path: "/messages/search", actor: docActor, form: url.Values{"q": {"Hopper"}},
		header: map[string]string{"HX-Request": "true"}})
	wantBody(t, res, `id="patient-results"`, fmt.Sprintf(`name="patient_id" value="%d"`, e.fx.Patient.ID))
}

// tinyPNG is a valid 2×2 PNG image.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartReply is a reply form's body: its text and, when name is not "", a file.
func multipartReply(t *testing.T, body, name string, data []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.WriteField("body", body); err != nil {
		t.Fatal(err)
	}
	if name != "" {
		fw, err := w.CreateFormFile("attachment", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

var attachmentLink = regexp.MustCompile(`href="/messages/attachments/([0-9]+)"`)

// TestMessagingConversation (MSG-4, MSG-6): a conversation's page shows a stored script as
// text, with its line breaks; it is marked read; a reply with a PNG attachment is stored
// and downloads as the same bytes with its type, never sniffed or cached; the patient's
// read shows as a receipt; a refused reply names its field; the items after a message come
// alone for htmx; a user who may not read it gets "not found", and so does its attachment.
func TestMessagingConversation(t *testing.T) {
	e := newEnv(t)
	ctx := reqCtx()
	e.openMessaging(false)
	doc := e.professional("doc@example.com", "Dr Ada Lovelace", e.fx.Practitioner.ID)
	docActor := actorOf(doc)
	c := e.patientStarts("Rash", "<script>alert(1)</script>\nsecond line")
	page := fmt.Sprintf("/messages/%d", c.ID)

	res := e.do(request{method: http.MethodGet, path: page, actor: docActor})
	if res.status != http.StatusOK {
		t.Fatalf("status %d\n%s", res.status, res.body)
	}
	wantBody(t, res, "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line", `class="message-body"`, `id="reply-form"`, `enctype="multipart/form-data"`,
		fmt.Sprintf(`data-conversation-id="%d" data-last-message-id="%d"`, c.ID, c.LastMessageID), `data-events-url="/events?after=1"`,
		`src="/rt/events.js?v=`, "Grace Hopper", `id="close"`)
	wantNoBody(t, res, "<script>alert(1)")
	checkCSP(t, res.body)
	checkNoPatientDataInURLs(t, res, e.fx.Patient)
	if !e.hasAudit(fmt.Sprintf("message.read %d", e.fx.Patient.ID)) {
		t.Error("the read is not audited")
	}
	var reads map[string]int64
	e.view(func(ctx context.Context, tx *store.Tx) (err error) {
		reads, err = tx.Messaging().Reads(ctx, e.fx.Org.ID, c.ID)
		return err
	})
	if reads[staffReader(doc.ID)] != c.LastMessageID {
		t.Errorf("opening the page did not mark it read: %v", reads)
	}

	// A reply with a PNG, then its download.
	img := tinyPNG(t)
	body, ct := multipartReply(t, "Here is the photo.\nLine two", "photo.png", img)
	res = e.do(request{method: http.MethodPost, path: page + "/reply", actor: docActor, body: body, contentType: ct})
	wantRedirect(t, res, page+"?done=message-sent#reply")
	res = e.do(request{method: http.MethodGet, path: page + "?done=message-sent", actor: docActor})
	wantBody(t, res, "Message sent.", "Here is the photo.\nLine two", "photo.png", `data-receipt hidden>Read</span>`)
	m := attachmentLink.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no attachment link\n%s", res.body)
	}
	dl := e.do(request{method: http.MethodGet, path: "/messages/attachments/" + m[1], actor: docActor})
	if dl.status != http.StatusOK || dl.body != string(img) {
		t.Fatalf("download: status %d, %d bytes (want %d)", dl.status, len(dl.body), len(img))
	}
	for k, want := range map[string]string{"Content-Type": "image/png", "Content-Disposition": `attachment; filename=photo.png`,
		"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"} {
		if got := dl.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !e.hasAudit(fmt.Sprintf("message.attachment %d", e.fx.Patient.ID)) || !e.hasAudit(fmt.Sprintf("message.send %d", e.fx.Patient.ID)) {
		t.Error("the reply or the download is not audited")
	}

	// The patient reads it: the receipt shows.
	var last int64
	e.view(func(ctx context.Context, tx *store.Tx) error {
		cc, err := tx.Messaging().Conversation(ctx, e.fx.Org.ID, c.ID)
		last = cc.LastMessageID
		return err
	})
	if err := e.d.messaging.MarkRead(ctx, e.patientActor(), c.ID, last); err != nil {
		t.Fatal(err)
	}
	res = e.do(request{method: http.MethodGet, path: page, actor: docActor})
	wantBody(t, res, `data-receipt>Read</span>`)

	// Refused replies: no text nor file; a file that is no image nor PDF.
	body, ct = multipartReply(t, "  ", "", nil)
	res = e.do(request{method: http.MethodPost, path: page + "/reply", actor: docActor, body: body, contentType: ct})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="body"`) {
		t.Errorf("empty reply: status %d, want 422 naming body", res.status)
	}
	body, ct = multipartReply(t, "see attached", "notes.html", []byte("<html><script>alert(1)</script></html>"))
	res = e.do(request{method: http.MethodPost, path: page + "/reply", actor: docActor, body: body, contentType: ct})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="attachment"`) || !strings.Contains(res.body, ">see attached</textarea>") {
		t.Errorf("HTML attachment: status %d, want 422 naming attachment with the text kept", res.status)
	}
	big := append(tinyPNG(t), make([]byte, messaging.MaxAttachment+300<<10)...)
	body, ct = multipartReply(t, "big", "big.png", big)
	res = e.do(request{method: http.MethodPost, path: page + "/reply", actor: docActor, body: body, contentType: ct})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="attachment"`) {
		t.Errorf("too large: status %d, want 422 naming attachment", res.status)
	}

	// The items after the first message, alone, for the page's stream.
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/after/%d", page, c.LastMessageID), actor: docActor,
		header: map[string]string{"HX-Request": "true"}})
	if res.status != http.StatusOK || strings.Contains(res.body, "<html") || strings.Contains(res.body, fmt.Sprintf(`id="m-%d"`, c.LastMessageID)) ||
		!strings.Contains(res.body, "Here is the photo.") {
		t.Errorf("after: status %d\n%s", res.status, res.body)
	}

	// Reception (no triage) may not read it: not found, nor its attachment, nor its actions.
	recep := actorOf(e.recep)
	for _, rq := range []request{{method: http.MethodGet, path: page, actor: recep}, {method: http.MethodGet, path: "/messages/attachments/" + m[1], actor: recep},
		{method: http.MethodGet, path: page + "/after/0", actor: recep}, {method: http.MethodPost, path: page + "/close", actor: recep, form: url.Values{}}} {
		if res := e.do(rq); res.status != http.StatusNotFound {
			t.Errorf("reception %s %s: status %d, want 404", rq.method, rq.path, res.status)
		}
	}
	// Another organisation's administrator neither.
	other := e.otherOrgAdmin()
	if res := e.do(request{method: http.MethodGet, path: page, actor: other}); res.status != http.StatusNotFound {
		t.Errorf("another organisation: status %d, want 404", res.status)
	}
}

// otherOrgAdmin is the administrator of a second organisation.
func (e *env) otherOrgAdmin() clinic.Actor {
	e.t.Helper()
	var u clinic.User
	e.update(func(ctx context.Context, tx *store.Tx) error {
		org, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: "other", Name: "Other"})
		if err != nil {
			return err
		}
		u, err = tx.Staff().CreateUser(ctx, org.ID, clinic.User{Email: "boss@other.example", Name: "Boss", Role: clinic.RoleAdministrator, PasswordHash: "unused"})
		return err
	})
	return actorOf(u)
}

// TestMessagingActions (MSG-4): assigning, closing (a closed one refuses replies, closing it
// again changes nothing), reopening, and handing over to another clinic of the
// organisation, which must take incoming conversations (422 naming the clinic otherwise).
func TestMessagingActions(t *testing.T) {
	e := newEnv(t)
	e.openMessaging(false)
	doc := e.professional("doc@example.com", "Dr Ada Lovelace", e.fx.Practitioner.ID)
	docActor := actorOf(doc)
	c := e.patientStarts("Question", "Hello")
	page := fmt.Sprintf("/messages/%d", c.ID)
	post := func(path string, form url.Values) response {
		return e.do(request{method: http.MethodPost, path: page + path, actor: docActor, form: form})
	}

	wantRedirect(t, post("/assign", url.Values{"user_id": {fmt.Sprint(doc.ID)}}), page+"?done=conversation-assigned")
	res := post("/assign", url.Values{"user_id": {fmt.Sprint(e.recep.ID)}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="user_id"`) {
		t.Errorf("assign to reception: status %d, want 422 naming user_id", res.status)
	}
	wantRedirect(t, post("/close", url.Values{}), page+"?done=conversation-closed")
	wantRedirect(t, post("/close", url.Values{}), page+"?done=conversation-unchanged")
	res = e.do(request{method: http.MethodGet, path: page, actor: docActor})
	wantBody(t, res, `id="reopen"`, `id="closed-note"`)
	wantNoBody(t, res, `id="reply-form"`)
	wantRedirect(t, post("/reopen", url.Values{}), page+"?done=conversation-reopened")

	// Handover: the same clinic is refused, one that takes nothing too, then it moves.
	var harbour clinic.Clinic
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		harbour, err = tx.Directory().CreateClinic(ctx, e.fx.Org.ID, clinic.Clinic{DatabaseID: e.fx.Database.ID, Slug: "harbour", Name: "Harbour Rd",
			Zone: "Australia/Sydney", Region: "AU"})
		return err
	})
	for _, cl := range []clinic.ClinicID{e.fx.Clinic.ID, harbour.ID} {
		res := post("/handover", url.Values{"clinic_id": {fmt.Sprint(cl)}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="clinic_id"`) {
			t.Errorf("handover to %d: status %d, want 422 naming clinic_id", cl, res.status)
		}
	}
	res = post("/handover", url.Values{"organisation": {"nowhere"}, "clinic": {"main"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `data-field="clinic"`) || !strings.Contains(res.body, `value="nowhere"`) {
		t.Errorf("handover to an unknown organisation: status %d, want 422 naming clinic (one answer whatever the cause)", res.status)
	}
	err := e.d.messaging.SetSettings(reqCtx(), actorOf(e.admin), store.MessagingSettings{ClinicID: harbour.ID, Incoming: true, IncomingAll: true})
	if err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, post("/handover", url.Values{"clinic_id": {fmt.Sprint(harbour.ID)}}), "/messages?done=conversation-handed-over")
	if !e.hasAudit(fmt.Sprintf("message.handover %d", e.fx.Patient.ID)) || !e.hasAudit(fmt.Sprintf("message.close %d", e.fx.Patient.ID)) {
		t.Error("the actions are not audited")
	}
}

// sseEvent is one event read from a stream.
type sseEvent struct {
	ID, Name, Data string
}

// readEvents reads a stream's events into a channel until it ends.
func readEvents(r io.Reader) <-chan sseEvent {
	out := make(chan sseEvent, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.ID != "" || ev.Data != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out
}

// nextEvent waits for the stream's next event.
func nextEvent(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return sseEvent{}
}

// TestMessagingEvents (MSG-4): a staff member's stream of events (GET /events) replays what
// came after the page's "after", delivers a message sent meanwhile with its id at once, and
// a browser that reconnects with Last-Event-ID gets what came while it was away, each event
// once.
func TestMessagingEvents(t *testing.T) {
	e := newEnv(t)
	ctx := reqCtx()
	e.openMessaging(false)
	doc := e.professional("doc@example.com", "Dr Ada Lovelace", e.fx.Practitioner.ID)
	c := e.patientStarts("Question", "Hello")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(web.WithActor(web.WithRequestID(r.Context(), "req-test"), actorOf(doc)))
		e.mux.ServeHTTP(w, r)
	}))
	defer func() {
		srv.CloseClientConnections() // a stream left open by a failed check must not hang Close
		srv.Close()
	}()
	open := func(query, lastID string) (*http.Response, <-chan sseEvent) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/events"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("status %d, %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		return res, readEvents(res.Body)
	}
	send := func(body string) store.Message {
		t.Helper()
		m, err := e.d.messaging.Send(ctx, e.patientActor(), c.ID, body, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	want := func(ev sseEvent, id int, m store.Message) {
		t.Helper()
		data := fmt.Sprintf(`{"id":%d,"kind":"message","conversation":%d,"clinic":%d,"message":%d}`, id, c.ID, e.fx.Clinic.ID, m.ID)
		if ev.ID != fmt.Sprint(id) || ev.Name != "message" || ev.Data != data {
			t.Errorf("event %+v, want id %d, message, %s", ev, id, data)
		}
	}

	res, events := open("?after=0", "")
	first := nextEvent(t, events) // the conversation's first message, replayed
	if first.ID != "1" || first.Name != "message" {
		t.Errorf("replay: %+v", first)
	}
	m2 := send("Are you there?")
	want(nextEvent(t, events), 2, m2)
	res.Body.Close()

	// Away: two messages; back with the last id seen, then one more live.
	m3 := send("Hello?")
	m4 := send("Anyone?")
	res, events = open("?after=0", "2")
	defer res.Body.Close()
	want(nextEvent(t, events), 3, m3)
	want(nextEvent(t, events), 4, m4)
	m5 := send("Thanks")
	want(nextEvent(t, events), 5, m5)
	select {
	case ev := <-events:
		t.Errorf("an event more: %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
	for deadline := time.Now().Add(2 * time.Second); e.d.hub.Streams() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams open, want 1 (the first closed)", e.d.hub.Streams())
		}
	}
}

// TestMessagingEventsWho (MSG-6): a staff member's stream sends only the events of the
// conversations they may read. A professional off the clinic's answer list gets nothing
// of a patient's conversation (not even its ids), whether replayed or live, and still gets
// the events of the one they started; one on the list gets both.
func TestMessagingEventsWho(t *testing.T) {
	e := newEnv(t)
	ctx := reqCtx()
	onList := e.professional("doc@example.com", "Dr Ada Lovelace", e.fx.Practitioner.ID)
	offList := e.professional("other@example.com", "Dr Mary Somerville", 0)
	err := e.d.messaging.SetSettings(ctx, actorOf(e.admin), store.MessagingSettings{ClinicID: e.fx.Clinic.ID,
		StaffStart: true, StaffStartAll: true, Incoming: true, AnswerList: []clinic.UserID{onList.ID}, PortalButton: true})
	if err != nil {
		t.Fatal(err)
	}
	in := e.patientStarts("Question", "Hello")
	own, err := e.d.messaging.Start(ctx, actorOf(offList), messaging.StartInput{ClinicID: e.fx.Clinic.ID, PatientID: e.fx.Patient.ID,
		Subject: "Results", Body: "Your results are in."})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	who := offList
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		u := who
		mu.Unlock()
		r = r.WithContext(web.WithActor(web.WithRequestID(r.Context(), "req-test"), actorOf(u)))
		e.mux.ServeHTTP(w, r)
	}))
	defer func() {
		srv.CloseClientConnections()
		srv.Close()
	}()
	open := func(u clinic.User) (*http.Response, <-chan sseEvent) {
		t.Helper()
		mu.Lock()
		who = u
		mu.Unlock()
		res, err := http.Get(srv.URL + "/events?after=0")
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		return res, readEvents(res.Body)
	}
	conv := func(ev sseEvent) int64 {
		t.Helper()
		m := regexp.MustCompile(`"conversation":(\d+)`).FindStringSubmatch(ev.Data)
		if m == nil {
			t.Fatalf("event %+v names no conversation", ev)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}

	// Off the list: the replay holds only their own conversation's first message; live, the
	// patient's message in the other is skipped and their own next one comes.
	res, events := open(offList)
	defer res.Body.Close()
	if ev := nextEvent(t, events); conv(ev) != own.ID {
		t.Errorf("replay sent %+v, want only conversation %d's", ev, own.ID)
	}
	if _, err := e.d.messaging.Send(ctx, e.patientActor(), in.ID, "<script>are you there?</script>", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.messaging.Send(ctx, e.patientActor(), own.ID, "Thank you", nil); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events); conv(ev) != own.ID || ev.Name != "message" {
		t.Errorf("live: %+v, want conversation %d's message (not %d's)", ev, own.ID, in.ID)
	}

	// On the list: everything, in order.
	res2, events2 := open(onList)
	defer res2.Body.Close()
	var got []int64
	for range 4 {
		got = append(got, conv(nextEvent(t, events2)))
	}
	if want := []int64{in.ID, own.ID, in.ID, own.ID}; !slices.Equal(got, want) {
		t.Errorf("the answering professional's replay: conversations %v, want %v", got, want)
	}
}

// TestMessagingLabels: the labels secure messaging's pages make in Go are in the French
// catalog.
func TestMessagingLabels(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, b := range boxes() {
		texts = append(texts, boxLabel(b))
	}
	for _, s := range []string{store.ConversationOpen, store.ConversationClosed} {
		texts = append(texts, conversationStateLabel(s))
	}
	for _, by := range []string{store.ByStaff, store.ByPatient, store.ByClinic} {
		texts = append(texts, startedByLabel(by))
	}
	for _, n := range []int64{10, 4096, 3 << 20} {
		k, _ := sizeLabel(n)
		texts = append(texts, k)
	}
	texts = append(texts, messagingReasons()...)
	texts = append(texts, "must be at most 5 MiB", "must be an image (PNG, JPEG, GIF, WebP) or a PDF", "must be text",
		"needs a file name of at most 200 characters", "must be another clinic of this organisation",
		"that clinic does not take conversations from other clinics (MSG-2)",
		"no clinic at this address can take a copy of this conversation for this patient (it must take incoming conversations and know the patient by the same e-mail, surname and date of birth)",
		"that clinic keeps its patients in another clinical database: the patient is not its patient",
		"is not a professional who may answer this clinic's conversations")
	for _, text := range texts {
		miss := false
		if got := cat.OnMissing(func(string) { miss = true }).T(i18n.French, text); miss || got == text {
			t.Errorf("no French text for %q", text)
		}
	}
	if !slices.Contains(pageNames(), "conversation") {
		t.Error("the conversation page is not parsed")
	}
}
