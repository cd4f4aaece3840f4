package portal_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// messagingOn saves clinic f's messaging switches: professionals start conversations
// (MSG-1), incoming conversations (MSG-2) and the portal's button (MSG-3) as given.
func (e *env) messagingOn(f storetest.Fixture, incoming, button bool) {
	e.t.Helper()
	err := e.svc.Messaging.SetSettings(ctx, clinic.SystemActor(f.Org.ID, "test"), store.MessagingSettings{ClinicID: f.Clinic.ID,
		StaffStart: true, StaffStartAll: true, Incoming: incoming, IncomingAll: true, PortalButton: button})
	if err != nil {
		e.t.Fatal(err)
	}
}

// doctor is a practitioner's staff account at f, linked to the fixture's practitioner (Dr
// Ada Lovelace), as the messaging use cases' actor.
func (e *env) doctor(f storetest.Fixture) clinic.Actor {
	e.t.Helper()
	var u clinic.User
	err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.Staff().CreateUser(ctx, f.Org.ID, clinic.User{Email: "ada-" + f.Org.Slug + "@clinic.test", Name: "Ada", Role: clinic.RolePractitioner,
			PasswordHash: "unused", PractitionerID: f.Practitioner.ID})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return clinic.StaffActor(u)
}

// staffStarts starts a conversation from the clinic with patient p.
func (e *env) staffStarts(f storetest.Fixture, doc clinic.Actor, p clinic.PatientID, subject, body string) store.Conversation {
	e.t.Helper()
	c, err := e.svc.Messaging.Start(ctx, doc, messaging.StartInput{ClinicID: f.Clinic.ID, PatientID: p, Subject: subject, Body: body})
	if err != nil {
		e.t.Fatalf("staff start: %v", err)
	}
	return c
}

// listen runs the hub's LISTEN on PostgreSQL, as serve does (on SQLite the use cases
// publish themselves).
func (e *env) listen() {
	if e.db.Dialect() != store.Postgres {
		return
	}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.svc.Hub.Listen(lctx, e.db); close(done) }()
	e.t.Cleanup(func() { stop(); <-done })
	s := e.svc.Hub.Subscribe(0, store.EventFilter{})
	defer s.Close()
	select { // LISTEN took effect: the hub wakes every stream
	case <-s.C:
	case <-time.After(10 * time.Second):
		e.t.Fatal("the hub never listened")
	}
}

var conversationRE = regexp.MustCompile(`/messages/(\d+)\?done=message-sent`)

// start starts a conversation from the portal and returns its id.
func (b *browser) start(f storetest.Fixture, form url.Values) int64 {
	b.e.t.Helper()
	r := b.post(base(f)+"/messages", form)
	m := conversationRE.FindStringSubmatch(r.location)
	if r.status != http.StatusSeeOther || m == nil {
		b.e.t.Fatalf("start a conversation: %d %q %s", r.status, r.location, r.body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// upload posts a reply with a file, as the reply form does (multipart).
func (b *browser) upload(path, body, name string, data []byte) resp {
	b.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("body", body)
	if name != "" {
		fw, _ := mw.CreateFormFile("attachment", name)
		fw.Write(data)
	}
	mw.Close()
	return b.send("POST", path, &buf, mw.FormDataContentType(), nil)
}

// TestMessagingButton (MSG-3): the home page's "New message" button and the new message
// page show only when the clinic takes incoming conversations (MSG-2) and the button is
// active; otherwise a patient cannot start one, even by posting the form.
func TestMessagingButton(t *testing.T) {
	e := newEnv(t)
	f := e.a
	b := e.activate(f, f.Patient.ID, pw)
	p := base(f)
	form := url.Values{"subject": {"A question"}, "body": {"Hello"}}
	for _, c := range []struct {
		incoming, button, shown bool
	}{{false, false, false}, {true, false, false}, {false, true, false}, {true, true, true}} {
		name := fmt.Sprintf("incoming %v, button %v", c.incoming, c.button)
		e.messagingOn(f, c.incoming, c.button)
		home := b.get(p + "/")
		if has := strings.Contains(home.body, `id="new-message"`); home.status != http.StatusOK || has != c.shown {
			t.Errorf("%s: home %d shows the button: %v, want %v", name, home.status, has, c.shown)
		}
		list := b.get(p + "/messages")
		if has := strings.Contains(list.body, `id="new-message"`); list.status != http.StatusOK || has != c.shown {
			t.Errorf("%s: messages %d shows the button: %v, want %v", name, list.status, has, c.shown)
		}
		page := b.get(p + "/messages/new")
		if has := strings.Contains(page.body, `id="message-form"`); page.status != http.StatusOK || has != c.shown {
			t.Errorf("%s: new message page %d has the form: %v, want %v", name, page.status, has, c.shown)
		}
		before := storetest.Count(t, e.db, `SELECT COUNT(*) FROM conversations`)
		r := b.post(p+"/messages", form)
		after := storetest.Count(t, e.db, `SELECT COUNT(*) FROM conversations`)
		if c.shown {
			if r.status != http.StatusSeeOther || after != before+1 {
				t.Errorf("%s: start %d (%d → %d conversations), want 303 and one more", name, r.status, before, after)
			}
		} else if r.status != http.StatusForbidden || after != before || !strings.Contains(r.body, `id="messages-closed"`) {
			t.Errorf("%s: start %d (%d → %d conversations), want 403 and none", name, r.status, before, after)
		}
	}
}

// TestMessagingConversation (MSG-4, MSG-6): a patient starts a conversation; the clinic
// reads it (the patient's page shows "Read") and answers, by the professional's name; the
// answer, an XSS attempt, is shown as text; the list counts it unread until the page opens
// it; the page script's fragment brings what came after a message; forms refused name
// their fields.
func TestMessagingConversation(t *testing.T) {
	e := newEnv(t)
	f := e.a
	e.messagingOn(f, true, true)
	doc := e.doctor(f)
	b := e.activate(f, f.Patient.ID, pw)
	p := base(f)

	r := b.post(p+"/messages", url.Values{"subject": {""}, "body": {""}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-field="subject"`) || !strings.Contains(r.body, `data-field="body"`) {
		t.Fatalf("empty form: %d, want 422 naming subject and body: %s", r.status, r.body)
	}
	id := b.start(f, url.Values{"subject": {"Repeat prescription"}, "body": {"Could I have my usual prescription?"}})
	r = b.get(fmt.Sprintf("%s/messages/%d?done=message-sent", p, id))
	if r.status != http.StatusOK {
		t.Fatalf("conversation: %d %s", r.status, r.body)
	}
	for _, s := range []string{"Repeat prescription", "Could I have my usual prescription?", "<strong>You</strong>", `data-receipt="sent"`, `id="reply-form"`,
		`data-events-url="` + p + `/events?after=`, `src="` + realtime.ScriptURL() + `"`, "Your message is sent."} {
		if !strings.Contains(r.body, s) {
			t.Errorf("the conversation page lacks %q", s)
		}
	}

	// The clinic reads it: the receipt turns to "Read".
	v, err := e.svc.Messaging.Read(ctx, doc, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Messaging.MarkRead(ctx, doc, id, v.Conversation.LastMessageID); err != nil {
		t.Fatal(err)
	}
	if r := b.get(fmt.Sprintf("%s/messages/%d", p, id)); !strings.Contains(r.body, `data-receipt="read"`) {
		t.Errorf("the patient's message is not shown read: %s", r.body)
	}

	// The answer, stored as sent, rendered escaped, by the practitioner's name.
	xss := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	m, err := e.svc.Messaging.Send(ctx, doc, id, xss, nil)
	if err != nil {
		t.Fatal(err)
	}
	list := b.get(p + "/messages")
	if !strings.Contains(list.body, "Repeat prescription") || !strings.Contains(list.body, "1 new message") || !strings.Contains(list.body, `data-events-url="`) {
		t.Errorf("the list does not show the unread answer: %s", list.body)
	}
	r = b.get(fmt.Sprintf("%s/messages/%d", p, id))
	if strings.Contains(r.body, xss) || strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
		t.Errorf("the message body is rendered as HTML: %s", r.body)
	}
	if !strings.Contains(r.body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;`) {
		t.Errorf("the message body is not shown as text: %s", r.body)
	}
	if !strings.Contains(r.body, "<strong>Dr Ada Lovelace</strong>") {
		t.Errorf("the answer is not signed by the practitioner: %s", r.body)
	}
	// Opened: read up to the answer (the clinic's page shows the receipt).
	var reads map[string]int64
	e.db.View(ctx, func(tx *store.Tx) (err error) {
		reads, err = tx.Messaging().Reads(ctx, f.Org.ID, id)
		return err
	})
	if reads["patient:"+itoa(f.Patient.ID)] != m.ID {
		t.Errorf("reads %v: the patient did not read up to message %d", reads, m.ID)
	}
	if list := b.get(p + "/messages"); strings.Contains(list.body, "new message") {
		t.Errorf("the list still counts the answer unread: %s", list.body)
	}

	// The page script's fragment: the messages after the one it shows, escaped.
	frag := b.get(fmt.Sprintf("%s/messages/%d/after/%d", p, id, m.ID-1))
	if frag.status != http.StatusOK || !strings.Contains(frag.body, fmt.Sprintf(`data-message="%d"`, m.ID)) || strings.Contains(frag.body, "<script>") ||
		strings.Contains(frag.body, "usual prescription") || strings.Contains(frag.body, "<html") {
		t.Errorf("fragment: %d %s", frag.status, frag.body)
	}
	if frag := b.get(fmt.Sprintf("%s/messages/%d/after/%d", p, id, m.ID)); frag.status != http.StatusOK || strings.Contains(frag.body, "data-message") {
		t.Errorf("fragment after the last: %d %s", frag.status, frag.body)
	}
	if r := b.post(fmt.Sprintf("%s/messages/%d/read", p, id), url.Values{"up_to": {itoa(m.ID)}}); r.status != http.StatusNoContent {
		t.Errorf("mark read: %d", r.status)
	}

	// A reply; then the clinic closes the conversation: no more reply form, and a late
	// reply is refused.
	if r := b.upload(fmt.Sprintf("%s/messages/%d", p, id), "Thank you", "", nil); r.status != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", r.status, r.body)
	}
	if r := b.upload(fmt.Sprintf("%s/messages/%d", p, id), "  ", "", nil); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-field="body"`) {
		t.Errorf("empty reply: %d, want 422 naming body", r.status)
	}
	if err := e.svc.Messaging.Close(ctx, doc, id); err != nil {
		t.Fatal(err)
	}
	r = b.get(fmt.Sprintf("%s/messages/%d", p, id))
	if strings.Contains(r.body, `id="reply-form"`) || !strings.Contains(r.body, `id="closed"`) {
		t.Errorf("a closed conversation offers to reply: %s", r.body)
	}
	if r := b.post(fmt.Sprintf("%s/messages/%d", p, id), url.Values{"body": {"One more thing"}}); r.status != http.StatusForbidden || !strings.Contains(r.body, `id="message-problem"`) {
		t.Errorf("reply to a closed conversation: %d, want 403", r.status)
	}
}

// TestMessagingAnotherPatient (MSG-6): another patient's conversation, another
// organisation's, and their attachments are "not found" for every route; so is starting
// a conversation about a stranger.
func TestMessagingAnotherPatient(t *testing.T) {
	e := newEnv(t)
	f := e.a
	e.messagingOn(f, true, true)
	e.messagingOn(e.b, true, true)
	other := e.otherPatient(f)
	pdf := []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	docA, docB := e.doctor(f), e.doctor(e.b)
	theirs := e.staffStarts(f, docA, other.ID, "Your results", "Private")
	mine := e.staffStarts(f, docA, f.Patient.ID, "Mine", "Hello")
	stranger := e.staffStarts(e.b, docB, e.b.Patient.ID, "Elsewhere", "Private")
	var atts []int64
	for _, c := range []struct {
		doc clinic.Actor
		id  int64
	}{{docA, theirs.ID}, {docB, stranger.ID}, {docA, mine.ID}} {
		m, err := e.svc.Messaging.Send(ctx, c.doc, c.id, "", &messaging.Upload{Name: "report.pdf", Data: pdf})
		if err != nil {
			t.Fatal(err)
		}
		atts = append(atts, m.AttachmentID)
	}
	b := e.activate(f, f.Patient.ID, pw)
	p := base(f)
	for _, id := range []int64{theirs.ID, stranger.ID, 999999} {
		c := fmt.Sprintf("%s/messages/%d", p, id)
		for _, r := range []resp{b.get(c), b.post(c, url.Values{"body": {"hi"}}), b.get(c + "/after/0"), b.post(c+"/read", url.Values{"up_to": {"99"}})} {
			if r.status != http.StatusNotFound {
				t.Errorf("conversation %d: %d, want 404", id, r.status)
			}
		}
	}
	for _, a := range atts[:2] {
		if r := b.get(fmt.Sprintf("%s/messages/attachments/%d", p, a)); r.status != http.StatusNotFound || strings.Contains(r.body, "%PDF") {
			t.Errorf("attachment %d: %d, want 404", a, r.status)
		}
	}
	if r := b.get(fmt.Sprintf("%s/messages/attachments/%d", p, atts[2])); r.status != http.StatusOK {
		t.Errorf("their own attachment: %d", r.status)
	}
	list := b.get(p + "/messages")
	if strings.Contains(list.body, "Your results") || strings.Contains(list.body, "Elsewhere") || !strings.Contains(list.body, "Mine") {
		t.Errorf("the list shows another patient's conversation or not their own: %s", list.body)
	}
	before := storetest.Count(t, e.db, `SELECT COUNT(*) FROM conversations`)
	if r := b.post(p+"/messages", url.Values{"for": {itoa(other.ID)}, "subject": {"x"}, "body": {"y"}}); r.status != http.StatusNotFound {
		t.Errorf("start about a stranger: %d, want 404", r.status)
	}
	if n := storetest.Count(t, e.db, `SELECT COUNT(*) FROM conversations`); n != before {
		t.Errorf("%d conversations after a refused start, want %d", n, before)
	}
}

// TestMessagingRelative: a parent acting for a child sees the child's conversations and
// starts one about them.
func TestMessagingRelative(t *testing.T) {
	e := newEnv(t)
	f := e.a
	e.messagingOn(f, true, true)
	kid := e.child(f)
	c := e.staffStarts(f, e.doctor(f), kid.ID, "Kit's vaccination", "Kit is due")
	b := e.activate(f, f.Patient.ID, pw)
	p := base(f)
	if r := b.get(p + "/messages"); !strings.Contains(r.body, "Kit&#39;s vaccination") || !strings.Contains(r.body, "About Kit") {
		t.Errorf("the list does not show the child's conversation: %s", r.body)
	}
	if r := b.get(fmt.Sprintf("%s/messages/%d", p, c.ID)); r.status != http.StatusOK || !strings.Contains(r.body, "Kit is due") {
		t.Errorf("the child's conversation: %d %s", r.status, r.body)
	}
	if r := b.get(p + "/messages/new"); !strings.Contains(r.body, `<option value="`+itoa(kid.ID)+`"`) {
		t.Errorf("the new message page does not offer the child: %s", r.body)
	}
	id := b.start(f, url.Values{"for": {itoa(kid.ID)}, "subject": {"Kit's cough"}, "body": {"Kit coughs"}})
	var got store.Conversation
	e.db.View(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.Messaging().Conversation(ctx, f.Org.ID, id)
		return err
	})
	if got.PatientID != kid.ID || got.StartedBy != store.ByPatient {
		t.Errorf("conversation %+v: want the child's, started by the patient", got)
	}
}

// TestMessagingAttachment: a patient attaches an image (checked by its content, at most
// messaging.MaxAttachment) and downloads it back as an attachment that is never rendered
// nor cached; a file that is not an image or a PDF, and one too large, are refused naming
// the field.
func TestMessagingAttachment(t *testing.T) {
	e := newEnv(t)
	f := e.a
	e.messagingOn(f, true, true)
	c := e.staffStarts(f, e.doctor(f), f.Patient.ID, "Your rash", "Could you send a photo?")
	b := e.activate(f, f.Patient.ID, pw)
	path := fmt.Sprintf("%s/messages/%d", base(f), c.ID)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 3000)...)
	r := b.upload(path, "Here it is", `C:\photos\rash "left".png`, png)
	if r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	page := b.get(path)
	m := regexp.MustCompile(`href="[^"]*/messages/attachments/(\d+)"[^>]*>([^<]*)</a>`).FindStringSubmatch(page.body)
	if m == nil || m[2] != "rash left.png" || !strings.Contains(page.body, "3 KB") {
		t.Fatalf("the page does not list the attachment: %s", page.body)
	}
	dl := b.get(base(f) + "/messages/attachments/" + m[1])
	if dl.status != http.StatusOK || dl.body != string(png) {
		t.Fatalf("download: %d, %d bytes", dl.status, len(dl.body))
	}
	for k, want := range map[string]string{"Content-Type": "image/png", "Content-Disposition": `attachment; filename="rash left.png"`,
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if g := dl.header.Get(k); g != want {
			t.Errorf("download %s = %q, want %q", k, g, want)
		}
	}

	before := storetest.Count(t, e.db, `SELECT COUNT(*) FROM attachments`)
	r = b.upload(path, "A script", "x.png", []byte("<html><script>alert(1)</script></html>"))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-field="attachment"`) || !strings.Contains(r.body, "A script") {
		t.Errorf("an HTML file named .png: %d, want 422 naming attachment, the text kept: %s", r.status, r.body)
	}
	big := append(append([]byte{}, png...), make([]byte, messaging.MaxAttachment)...)
	r = b.upload(path, "Too big", "big.png", big)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-field="attachment"`) {
		t.Errorf("a file over %d bytes: %d, want 422 naming attachment", messaging.MaxAttachment, r.status)
	}
	// Over what a reply may carry at all: refused while reading the form.
	r = b.upload(path, "Far too big", "huge.png", append(append([]byte{}, png...), make([]byte, messaging.MaxAttachment+100<<10)...))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-field="attachment"`) {
		t.Errorf("a body over the limit: %d, want 422 naming attachment", r.status)
	}
	if n := storetest.Count(t, e.db, `SELECT COUNT(*) FROM attachments`); n != before {
		t.Errorf("%d attachments after refused uploads, want %d", n, before)
	}
}

// sseEvent is an event read from the portal's stream.
type sseEvent struct {
	id   int64
	name string
	data string
}

// stream opens the patient's stream with the browser's session, after a Last-Event-ID
// (when not ""), and returns its events; the handler has subscribed when it returns.
func (b *browser) stream(after int64, lastID string) (<-chan sseEvent, func()) {
	b.e.t.Helper()
	sctx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(sctx, "GET", fmt.Sprintf("%s%s/events?after=%d", b.e.ts.URL, base(b.org), after), nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Forwarded-For", b.ip)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		b.e.t.Fatalf("stream: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 100)
	opened := make(chan struct{})
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "retry:"):
				close(opened)
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			case line == "" && ev.id != 0:
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	select {
	case <-opened:
	case <-time.After(5 * time.Second):
		b.e.t.Fatal("the stream did not open")
	}
	return out, func() {
		cancel()
		for range out {
		}
	}
}

func nextEvent(t *testing.T, c <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-c:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event for 5 s")
	}
	return sseEvent{}
}

func noEvent(t *testing.T, c <-chan sseEvent) {
	t.Helper()
	select {
	case ev := <-c:
		t.Errorf("unexpected event %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestMessagingEvents (MSG-4): the patient's open stream gets the event of a message the
// clinic sends them, at once, and not another patient's; a browser that reconnects with
// the last id it saw gets what it missed, once, and the clinic's read receipt. The client
// script the pages load is served, and the pages' CSP lets it and its worker run.
func TestMessagingEvents(t *testing.T) {
	e := newEnv(t)
	e.listen()
	f := e.a
	e.messagingOn(f, true, true)
	doc := e.doctor(f)
	other := e.otherPatient(f)
	b := e.activate(f, f.Patient.ID, pw)
	id := b.start(f, url.Values{"subject": {"Question"}, "body": {"Hello"}})
	page := b.get(fmt.Sprintf("%s/messages/%d", base(f), id))
	m := regexp.MustCompile(`data-events-url="[^"]*/events\?after=(\d+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the page names no stream: %s", page.body)
	}
	after, _ := strconv.ParseInt(m[1], 10, 64)

	c, stop := b.stream(after, "")
	theirs := e.staffStarts(f, doc, other.ID, "Not for Grace", "Private") // not Grace's: not on her stream
	sent, err := e.svc.Messaging.Send(ctx, doc, id, "An answer", nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, c)
	if ev.name != "message" || ev.data != fmt.Sprintf(`{"id":%d,"kind":"message","conversation":%d,"clinic":%d,"message":%d}`, ev.id, id, f.Clinic.ID, sent.ID) {
		t.Fatalf("event %+v: want the answer's in conversation %d", ev, id)
	}
	noEvent(t, c) // not the other patient's conversation
	_ = theirs
	last := ev.id
	stop()

	// Away: another answer and the clinic's read receipt; back with Last-Event-ID.
	sent2, err := e.svc.Messaging.Send(ctx, doc, id, "Another answer", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, stop = b.stream(0, strconv.FormatInt(last, 10))
	defer stop()
	ev = nextEvent(t, c)
	if ev.name != "message" || !strings.Contains(ev.data, fmt.Sprintf(`"message":%d`, sent2.ID)) || ev.id <= last {
		t.Errorf("after reconnecting: %+v, want the second answer's event", ev)
	}
	noEvent(t, c)
	b.upload(fmt.Sprintf("%s/messages/%d", base(f), id), "Thanks", "", nil)
	ev = nextEvent(t, c) // the patient's own reply
	if ev.name != "message" {
		t.Errorf("got %+v, want the reply's event", ev)
	}
	if err := e.svc.Messaging.MarkRead(ctx, doc, id, 1<<40); err != nil { // up to the last
		t.Fatal(err)
	}
	ev = nextEvent(t, c)
	if ev.name != "read" || !strings.Contains(ev.data, fmt.Sprintf(`"reader":"user:%d"`, doc.UserID)) {
		t.Errorf("got %+v, want the clinic's read receipt", ev)
	}

	// The client script, and a CSP that lets it and its SharedWorker run.
	js := b.get(realtime.ScriptURL())
	if js.status != http.StatusOK || !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") || !strings.Contains(js.body, "tidings:event") {
		t.Errorf("%s: %d %q", realtime.ScriptURL(), js.status, js.header.Get("Content-Type"))
	}
	if mj := b.get(base(f) + "/messages"); !strings.Contains(mj.body, "/portal-static/messages.js?v=") {
		t.Errorf("the list does not load its page script")
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, d := range strings.Split(csp, ";") {
		fs := strings.Fields(d)
		if len(fs) > 0 && (fs[0] == "default-src" || fs[0] == "script-src" || fs[0] == "worker-src" || fs[0] == "connect-src") && !strings.Contains(d, "'self'") {
			t.Errorf("CSP %q: %s does not allow 'self'", csp, fs[0])
		}
	}
	if !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}
