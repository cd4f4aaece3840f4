package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// msgEnv is the API with its messaging use cases over apiEnv's database (two organisations,
// a token of every role in each), and staff users of a: the API authenticates tokens, but a
// token is never a healthcare professional, so the rows of the permission matrix that need
// one are sent as a staff user's actor, set on the request as the server sets a token's.
type msgEnv struct {
	*apiEnv
	svc   *messaging.Service
	users map[string]clinic.User
}

func newMsgEnv(t *testing.T) *msgEnv {
	t.Helper()
	e := &msgEnv{apiEnv: newAPIEnv(t), users: map[string]clinic.User{}}
	e.svc = messaging.New(e.db, messaging.Config{})
	d := e.deps()
	d.Messaging = e.svc
	e.route(d)
	return e
}

// user creates (once) a staff user of org a; linked links them to a practitioner of their own.
func (e *msgEnv) user(name string, role clinic.Role, linked bool) clinic.User {
	e.t.Helper()
	if u, ok := e.users[name]; ok {
		return u
	}
	ctx := context.Background()
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		u := clinic.User{Email: name + "@a.test", Role: role, PasswordHash: "unused"}
		if linked {
			p, err := tx.Directory().CreatePractitioner(ctx, e.a.Org.ID, clinic.Practitioner{Name: "Dr " + name})
			if err != nil {
				return err
			}
			u.PractitionerID = p.ID
		}
		created, err := tx.Staff().CreateUser(ctx, e.a.Org.ID, u)
		e.users[name] = created
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.users[name]
}

// as calls the API as actor; body is JSON (a string is sent as is).
func (e *msgEnv) as(actor clinic.Actor, method, path string, body any) apiResponse {
	e.t.Helper()
	return e.serve(actor, jsonRequest(method, path, body))
}

func (e *msgEnv) serve(actor clinic.Actor, r *http.Request) apiResponse {
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r.WithContext(web.WithActor(web.WithRequestID(r.Context(), "req-msg"), actor)))
	return apiResponse{w.Code, w.Body.Bytes()}
}

func (e *msgEnv) token(org clinic.OrgID, role clinic.Role) clinic.Actor {
	return clinic.TokenActor(e.tokens[org][role])
}

func (e *msgEnv) putSettings(org clinic.OrgID, cl clinic.ClinicID, s map[string]any) {
	e.t.Helper()
	body := map[string]any{"staff_start": false, "staff_start_all": false, "incoming": false, "incoming_all": false, "portal_button": false,
		"reception_triage": false, "staff_digest": false}
	for k, v := range s {
		body[k] = v
	}
	res := e.as(e.token(org, clinic.RoleAdministrator), "PUT", fmt.Sprintf("%s/clinics/%d/messaging", Prefix, cl), body)
	wantStatus(e.t, "put settings", res, http.StatusOK)
}

func conversationPath(id int64, tail string) string {
	return fmt.Sprintf("%s/conversations/%d%s", Prefix, id, tail)
}

// TestMessagingSettingsAPI: GET and PUT of a clinic's switches; every switch is required;
// the lists hold professionals; PUT is for administrators; another organisation's clinic is
// not found.
func TestMessagingSettingsAPI(t *testing.T) {
	e := newMsgEnv(t)
	prac := e.user("prac", clinic.RolePractitioner, false)
	recep := e.user("recep", clinic.RoleReception, false)
	path := fmt.Sprintf("%s/clinics/%d/messaging", Prefix, e.a.Clinic.ID)
	res := e.do(e.a.Org.ID, clinic.RoleReception, "GET", path, nil)
	wantStatus(t, "get", res, http.StatusOK)
	var got MessagingSettings
	res.decode(t, &got)
	if got.StaffStart || got.Incoming || got.ButtonShown || got.UpdatedAt != nil || got.StartList == nil || got.ClinicID != int64(e.a.Clinic.ID) {
		t.Errorf("never saved: %+v, want everything off, lists [], no updated_at", got)
	}
	body := map[string]any{"staff_start": true, "staff_start_all": false, "start_list": []int64{int64(prac.ID)}, "incoming": true, "incoming_all": true,
		"portal_button": true, "reception_triage": true, "staff_digest": false}
	res = e.admin("PUT", path, body)
	wantStatus(t, "put", res, http.StatusOK)
	res.decode(t, &got)
	if !got.StaffStart || !slices.Equal(got.StartList, []int64{int64(prac.ID)}) || !got.ButtonShown || !got.ReceptionTriage || got.UpdatedAt == nil {
		t.Errorf("saved %+v", got)
	}
	if !e.audited(e.a.Org.ID, "messaging.settings") {
		t.Errorf("not audited")
	}
	wantFields(t, "missing switches", e.admin("PUT", path, map[string]any{"staff_start": true}),
		"staff_start_all", "incoming", "incoming_all", "portal_button", "reception_triage", "staff_digest")
	bad := map[string]any{}
	for k, v := range body {
		bad[k] = v
	}
	bad["answer_list"] = []int64{int64(recep.ID)}
	wantFields(t, "reception on the answer list", e.admin("PUT", path, bad), "answer_list")
	wantStatus(t, "put by a practitioner", e.do(e.a.Org.ID, clinic.RolePractitioner, "PUT", path, body), http.StatusForbidden)
	bPath := fmt.Sprintf("%s/clinics/%d/messaging", Prefix, e.b.Clinic.ID)
	wantStatus(t, "b's clinic", e.admin("GET", bPath, nil), http.StatusNotFound)
	wantStatus(t, "b's clinic, put", e.admin("PUT", bPath, body), http.StatusNotFound)
	wantStatus(t, "b's clinic, put nothing", e.admin("PUT", bPath, "{}"), http.StatusNotFound)
}

// person is one caller of the HTTP matrix.
type person struct {
	name          string
	actor         clinic.Actor
	role          clinic.Role
	professional  bool
	token         bool
	start, answer bool // on the lists
}

// httpExpected is the specification of the permission matrix (see internal/messaging's
// rules_test) for the rows sent through the API: start, answer and read of a conversation
// started by a colleague or by the patient, open or closed.
func httpExpected(s map[string]bool, p person, act, kind string) int {
	// The switches govern starting; an existing conversation is followed by the lists.
	onStartList := p.professional && (s["staff_start_all"] || p.start)
	starter := s["staff_start"] && onStartList
	answerer := p.professional && (s["incoming_all"] || p.answer)
	side := answerer
	if kind == "staff" {
		side = onStartList
	}
	reads := side || s["reception_triage"] && p.role != clinic.RolePractitioner
	switch act {
	case "start":
		if starter {
			return http.StatusCreated
		}
		return http.StatusForbidden
	case "answer":
		switch {
		case !reads:
			return http.StatusNotFound
		case side && kind != "closed":
			return http.StatusCreated
		}
		return http.StatusForbidden
	case "read":
		if reads {
			return http.StatusOK
		}
		return http.StatusNotFound
	}
	panic(act)
}

// TestMessagingMatrixAPI sends the permission matrix's rows through the API: every
// combination of the staff's switches (both permissions, all or selected, triage) × each role (administrator, appointment manager, reception,
// practitioner, an administrator linked to a practitioner; the professionals on each list
// or not) and a token of each role, for starting, answering and reading a conversation a
// colleague started, one the patient started, and a closed one. The statuses say the
// decision: 201 done, 403 refused, 404 not theirs to read.
func TestMessagingMatrixAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("about 3,400 requests")
	}
	e := newMsgEnv(t)
	var people []person
	for _, r := range []struct {
		name   string
		role   clinic.Role
		linked bool
	}{{"administrator", clinic.RoleAdministrator, false}, {"appointment_manager", clinic.RoleAppointmentManager, false},
		{"reception", clinic.RoleReception, false}, {"practitioner", clinic.RolePractitioner, false}, {"linked_admin", clinic.RoleAdministrator, true}} {
		professional := r.role == clinic.RolePractitioner || r.linked
		for _, start := range []bool{false, true} {
			for _, answer := range []bool{false, true} {
				if !professional && (start || answer) {
					continue // the lists hold professionals only (TestMessagingSettingsAPI)
				}
				name := fmt.Sprintf("%s_s%v_a%v", r.name, start, answer)
				u := e.user(name, r.role, r.linked)
				people = append(people, person{name: name, actor: clinic.StaffActor(u), role: r.role, professional: professional, start: start, answer: answer})
			}
		}
	}
	for _, role := range clinic.Roles() {
		people = append(people, person{name: "token:" + string(role), actor: e.token(e.a.Org.ID, role), role: role, token: true})
	}
	// The conversations, made with everything allowed.
	colleague := clinic.StaffActor(e.user("colleague", clinic.RolePractitioner, false))
	pat := clinic.PatientActor(e.a.Org.ID, e.a.Patient.ID)
	e.putSettings(e.a.Org.ID, e.a.Clinic.ID, map[string]any{"staff_start": true, "staff_start_all": true, "incoming": true, "incoming_all": true, "portal_button": true})
	ctx := context.Background()
	in := messaging.StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Matrix", Body: "first"}
	convs := map[string]int64{}
	for _, k := range []string{"staff", "patient", "closed"} {
		actor := pat
		if k == "staff" {
			actor = colleague
		}
		c, err := e.svc.Start(ctx, actor, in)
		if err != nil {
			t.Fatal(err)
		}
		convs[k] = c.ID
	}
	if err := e.svc.Close(ctx, colleague, convs["closed"]); err != nil {
		t.Fatal(err)
	}

	// The portal's button concerns patients only (MSG-3): internal/messaging's table covers it.
	switches := []string{"staff_start", "staff_start_all", "incoming", "incoming_all", "reception_triage"}
	rows, failures := 0, 0
	seen := map[string]map[int]bool{}
	for n := range 1 << len(switches) {
		s := map[string]bool{}
		body := map[string]any{}
		for i, name := range switches {
			s[name] = n&(1<<i) != 0
			body[name] = s[name]
		}
		var startList, answerList []int64
		for _, p := range people {
			u := e.users[p.name]
			if p.start {
				startList = append(startList, int64(u.ID))
			}
			if p.answer {
				answerList = append(answerList, int64(u.ID))
			}
		}
		body["start_list"], body["answer_list"] = startList, answerList
		e.putSettings(e.a.Org.ID, e.a.Clinic.ID, body)
		for _, p := range people {
			check := func(act, kind string, res apiResponse) {
				rows++
				want := httpExpected(s, p, act, kind)
				if p.token && want == http.StatusCreated {
					t.Fatalf("%s: a token may not be expected to write", p.name)
				}
				k := p.name + " " + act
				if seen[k] == nil {
					seen[k] = map[int]bool{}
				}
				seen[k][res.status] = true
				if res.status != want {
					failures++
					if failures <= 20 {
						t.Errorf("%s %s %s with %v: %d, want %d: %s", p.name, act, kind, s, res.status, want, res.body)
					}
				}
			}
			check("start", "", e.as(p.actor, "POST", Prefix+"/conversations", map[string]any{"clinic_id": e.a.Clinic.ID, "patient_id": e.a.Patient.ID,
				"subject": "Row", "body": "hello"}))
			for _, kind := range []string{"staff", "patient", "closed"} {
				check("answer", kind, e.as(p.actor, "POST", conversationPath(convs[kind], "/messages"), map[string]any{"body": "row"}))
				check("read", kind, e.as(p.actor, "GET", conversationPath(convs[kind], ""), nil))
			}
		}
	}
	if failures > 20 {
		t.Errorf("... %d rows disagree in all", failures)
	}
	t.Logf("%d rows", rows)
	// Each professional is both allowed and refused to start and answer somewhere in the
	// matrix; tokens and staff who are no professionals never are.
	for k, statuses := range seen {
		professional := strings.HasPrefix(k, "practitioner") || strings.HasPrefix(k, "linked_admin")
		if act := k[strings.LastIndex(k, " ")+1:]; act != "read" && professional != statuses[http.StatusCreated] {
			t.Errorf("%s: statuses %v", k, statuses)
		}
	}
}

// TestMessagingCreatedHasLocation: a started conversation and a sent message answer 201
// with a Location that answers (the conversation's own URL; a message's is its
// conversation's).
func TestMessagingCreatedHasLocation(t *testing.T) {
	e := newMsgEnv(t)
	e.putSettings(e.a.Org.ID, e.a.Clinic.ID, map[string]any{"staff_start": true, "staff_start_all": true})
	prac := clinic.StaffActor(e.user("prac", clinic.RolePractitioner, false))
	r := httptest.NewRequest("POST", Prefix+"/conversations", strings.NewReader(fmt.Sprintf(`{"clinic_id":%d,"patient_id":%d,"subject":"Results","body":"In."}`,
		e.a.Clinic.ID, e.a.Patient.ID)))
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r.WithContext(web.WithActor(r.Context(), prac)))
	if w.Code != http.StatusCreated {
		t.Fatalf("start: %d %s", w.Code, w.Body)
	}
	var c Conversation
	json.Unmarshal(w.Body.Bytes(), &c)
	if loc := w.Header().Get("Location"); loc != conversationPath(c.ID, "") {
		t.Errorf("Location %q", loc)
	}
	wantStatus(t, "GET the Location", e.as(prac, "GET", w.Header().Get("Location"), nil), http.StatusOK)
	r = httptest.NewRequest("POST", conversationPath(c.ID, "/messages"), strings.NewReader(`{"body":"More."}`))
	w = httptest.NewRecorder()
	e.mux.ServeHTTP(w, r.WithContext(web.WithActor(r.Context(), prac)))
	if w.Code != http.StatusCreated || w.Header().Get("Location") != conversationPath(c.ID, "") {
		t.Errorf("send: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
}

// TestMessagingConversationsAPI: the inbox's boxes, reading (bodies as sent, read state, what the
// caller may do), read receipts, assignment, closing, reopening and a handover within the
// organisation, with their refusals.
func TestMessagingConversationsAPI(t *testing.T) {
	e := newMsgEnv(t)
	prac := clinic.StaffActor(e.user("prac", clinic.RolePractitioner, false))
	recep := clinic.StaffActor(e.user("recep", clinic.RoleReception, false))
	e.putSettings(e.a.Org.ID, e.a.Clinic.ID, map[string]any{"staff_start": true, "staff_start_all": true, "incoming": true, "incoming_all": true,
		"portal_button": true, "reception_triage": true})
	ctx := context.Background()
	pat := clinic.PatientActor(e.a.Org.ID, e.a.Patient.ID)
	xss := `<script>alert("x")</script>`
	c, err := e.svc.Start(ctx, pat, messaging.StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Question", Body: xss})
	if err != nil {
		t.Fatal(err)
	}
	list := func(actor clinic.Actor, q string) []Conversation {
		t.Helper()
		res := e.as(actor, "GET", Prefix+"/conversations?"+q, nil)
		wantStatus(t, "list "+q, res, http.StatusOK)
		var l ListOf[Conversation]
		res.decode(t, &l)
		return l.Items
	}
	if items := list(recep, fmt.Sprintf("clinic_id=%d&box=unassigned", e.a.Clinic.ID)); len(items) != 1 || items[0].ID != c.ID || items[0].Unread == nil || *items[0].Unread != 1 {
		t.Errorf("unassigned: %+v", items)
	}
	wantFields(t, "a box that does not exist", e.as(recep, "GET", Prefix+"/conversations?box=spam", nil), "box")
	wantFields(t, "a clinic id that is not one", e.as(recep, "GET", Prefix+"/conversations?clinic_id=x", nil), "clinic_id")

	res := e.as(prac, "GET", conversationPath(c.ID, ""), nil)
	wantStatus(t, "read", res, http.StatusOK)
	var d ConversationDetail
	res.decode(t, &d)
	if len(d.Messages) != 1 || d.Messages[0].Body != xss || d.Messages[0].Author != "patient" || !d.CanAnswer || !d.CanClose || !d.CanHandover {
		t.Errorf("detail %+v", d)
	}
	wantStatus(t, "mark read", e.as(prac, "POST", conversationPath(c.ID, "/read"), nil), http.StatusNoContent)
	wantStatus(t, "mark read up to", e.as(prac, "POST", conversationPath(c.ID, "/read"), map[string]any{"up_to": d.Messages[0].ID}), http.StatusNoContent)
	wantFields(t, "mark read up to nothing", e.as(prac, "POST", conversationPath(c.ID, "/read"), map[string]any{"up_to": 0}), "up_to")
	e.as(prac, "GET", conversationPath(c.ID, ""), nil).decode(t, &d)
	if !slices.Contains(d.Reads, ReadMark{Reader: fmt.Sprintf("user:%d", e.users["prac"].ID), LastReadID: d.Messages[0].ID}) {
		t.Errorf("reads %+v", d.Reads)
	}

	wantFields(t, "assign to reception", e.as(recep, "POST", conversationPath(c.ID, "/assign"), map[string]any{"user_id": e.users["recep"].ID}), "user_id")
	wantStatus(t, "reception assigns", e.as(recep, "POST", conversationPath(c.ID, "/assign"), map[string]any{"user_id": e.users["prac"].ID}), http.StatusNoContent)
	if items := list(prac, "box=mine"); len(items) != 1 {
		t.Errorf("mine: %+v", items)
	}
	if items := list(prac, "box=unassigned"); len(items) != 0 {
		t.Errorf("unassigned after assigning: %+v", items)
	}
	wantStatus(t, "reception answers", e.as(recep, "POST", conversationPath(c.ID, "/messages"), map[string]any{"body": "hi"}), http.StatusForbidden)
	wantStatus(t, "reception closes", e.as(recep, "POST", conversationPath(c.ID, "/close"), nil), http.StatusForbidden)
	wantStatus(t, "close", e.as(prac, "POST", conversationPath(c.ID, "/close"), nil), http.StatusNoContent)
	wantStatus(t, "close again", e.as(prac, "POST", conversationPath(c.ID, "/close"), nil), http.StatusConflict)
	wantStatus(t, "answer closed", e.as(prac, "POST", conversationPath(c.ID, "/messages"), map[string]any{"body": "hi"}), http.StatusForbidden)
	wantStatus(t, "reopen", e.as(prac, "POST", conversationPath(c.ID, "/reopen"), nil), http.StatusNoContent)
	wantFields(t, "empty message", e.as(prac, "POST", conversationPath(c.ID, "/messages"), map[string]any{"body": " "}), "body")
	wantStatus(t, "answer", e.as(prac, "POST", conversationPath(c.ID, "/messages"), map[string]any{"body": "hi"}), http.StatusCreated)

	// Handover: refused to a clinic without incoming conversations (naming clinic_id), done
	// to one with them.
	var north Clinic
	res = e.admin("POST", Prefix+"/clinics", map[string]any{"database_id": e.a.Database.ID, "slug": "north", "name": "North Rd", "zone": "Australia/Sydney", "region": "AU"})
	wantStatus(t, "clinic", res, http.StatusCreated)
	res.decode(t, &north)
	wantFields(t, "handover to a closed door", e.as(prac, "POST", conversationPath(c.ID, "/handover"), map[string]any{"clinic_id": north.ID}), "clinic_id")
	e.putSettings(e.a.Org.ID, clinic.ClinicID(north.ID), map[string]any{"incoming": true, "incoming_all": true})
	wantStatus(t, "handover", e.as(prac, "POST", conversationPath(c.ID, "/handover"), map[string]any{"clinic_id": north.ID}), http.StatusNoContent)
	e.as(prac, "GET", conversationPath(c.ID, ""), nil).decode(t, &d)
	if d.Conversation.ClinicID != north.ID || d.Conversation.FromClinicID == nil || *d.Conversation.FromClinicID != int64(e.a.Clinic.ID) {
		t.Errorf("after the handover %+v", d.Conversation)
	}
	if !e.audited(e.a.Org.ID, "message.handover") {
		t.Errorf("handover not audited")
	}
	// A token: never starts, reads with triage.
	wantStatus(t, "a practitioner's token starts", e.do(e.a.Org.ID, clinic.RolePractitioner, "POST", Prefix+"/conversations",
		map[string]any{"clinic_id": e.a.Clinic.ID, "patient_id": e.a.Patient.ID, "subject": "x", "body": "y"}), http.StatusForbidden)
	wantStatus(t, "a reception token reads (triage at North Rd is off)", e.do(e.a.Org.ID, clinic.RoleReception, "GET", conversationPath(c.ID, ""), nil), http.StatusNotFound)
	e.putSettings(e.a.Org.ID, clinic.ClinicID(north.ID), map[string]any{"incoming": true, "incoming_all": true, "reception_triage": true})
	wantStatus(t, "a reception token reads with triage", e.do(e.a.Org.ID, clinic.RoleReception, "GET", conversationPath(c.ID, ""), nil), http.StatusOK)
	// A patient has no business with the API.
	wantStatus(t, "a patient", e.as(pat, "GET", conversationPath(c.ID, ""), nil), http.StatusForbidden)
}

// multipartMessage is a message form with a body and one file.
func multipartMessage(t *testing.T, path, body, name string, data []byte) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("body", body)
	fw, err := mw.CreateFormFile("attachment", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	r := httptest.NewRequest("POST", path, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

// TestMessagingAttachmentsAPI: a file sent with a message (multipart) is typed by its bytes (a PDF
// named .png is a PDF); an executable is refused naming attachment; the download has the
// stored type, is an attachment (never inline) and is not to be sniffed; another
// organisation's staff get 404 for the attachment as for the conversation.
func TestMessagingAttachmentsAPI(t *testing.T) {
	e := newMsgEnv(t)
	prac := clinic.StaffActor(e.user("prac", clinic.RolePractitioner, false))
	e.putSettings(e.a.Org.ID, e.a.Clinic.ID, map[string]any{"staff_start": true, "staff_start_all": true, "incoming": true, "incoming_all": true,
		"reception_triage": true})
	e.putSettings(e.b.Org.ID, e.b.Clinic.ID, map[string]any{"staff_start": true, "staff_start_all": true, "incoming": true, "incoming_all": true,
		"reception_triage": true})
	c, err := e.svc.Start(context.Background(), prac, messaging.StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Scan", Body: "Here"})
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
	res := e.serve(prac, multipartMessage(t, conversationPath(c.ID, "/messages"), "the scan", "scan.png", pdf))
	wantStatus(t, "upload", res, http.StatusCreated)
	var m Message
	res.decode(t, &m)
	if m.Attachment == nil || m.Attachment.ContentType != "application/pdf" || m.Attachment.Name != "scan.png" || m.Body != "the scan" {
		t.Fatalf("message %+v", m)
	}
	exe := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 100)...)
	wantFields(t, "an executable", e.serve(prac, multipartMessage(t, conversationPath(c.ID, "/messages"), "", "setup.exe", exe)), "attachment")
	wantFields(t, "text", e.serve(prac, multipartMessage(t, conversationPath(c.ID, "/messages"), "", "notes.pdf", []byte("plain text"))), "attachment")
	big := append([]byte("%PDF-1.4\n"), make([]byte, messaging.MaxAttachment)...)
	if res := e.serve(prac, multipartMessage(t, conversationPath(c.ID, "/messages"), "", "big.pdf", big)); res.status != http.StatusUnprocessableEntity && res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d %s", res.status, res.body)
	}

	r := httptest.NewRequest("GET", m.Attachment.URL, nil)
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r.WithContext(web.WithActor(r.Context(), prac)))
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), pdf) {
		t.Fatalf("download: %d %q", w.Code, w.Body)
	}
	h := w.Header()
	if h.Get("Content-Type") != "application/pdf" || h.Get("Content-Disposition") != `attachment; filename=scan.png` || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", h)
	}

	// Another organisation: not found, by token or by staff, conversation and attachment alike.
	var bUser clinic.User
	if err := e.db.Update(context.Background(), func(tx *store.Tx) (err error) {
		bUser, err = tx.Staff().CreateUser(context.Background(), e.b.Org.ID, clinic.User{Email: "prac@b.test", Role: clinic.RolePractitioner, PasswordHash: "unused"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	bStaff := clinic.StaffActor(bUser)
	for _, actor := range []clinic.Actor{e.token(e.b.Org.ID, clinic.RoleAdministrator), e.token(e.b.Org.ID, clinic.RoleReception), bStaff} {
		for _, rq := range []struct{ method, path, body string }{
			{"GET", m.Attachment.URL, ""}, {"GET", conversationPath(c.ID, ""), ""}, {"POST", conversationPath(c.ID, "/messages"), `{"body":"x"}`},
			{"POST", conversationPath(c.ID, "/messages"), `{}`}, {"POST", conversationPath(c.ID, "/read"), `{}`}, {"POST", conversationPath(c.ID, "/assign"), `{}`},
			{"POST", conversationPath(c.ID, "/close"), `{}`}, {"POST", conversationPath(c.ID, "/reopen"), `{}`},
			{"POST", conversationPath(c.ID, "/handover"), fmt.Sprintf(`{"clinic_id":%d}`, e.b.Clinic.ID)},
		} {
			var body any
			if rq.body != "" {
				body = rq.body
			}
			if res := e.as(actor, rq.method, rq.path, body); res.status != http.StatusNotFound {
				t.Errorf("%s %s %s: %d, want 404: %s", actor.Label, rq.method, rq.path, res.status, res.body)
			}
		}
		res := e.as(actor, "GET", Prefix+"/conversations", nil)
		if res.status == http.StatusOK && strings.Contains(string(res.body), `"id":`+fmt.Sprint(c.ID)+`,`) {
			t.Errorf("%s lists a's conversation: %s", actor.Label, res.body)
		}
	}
}
