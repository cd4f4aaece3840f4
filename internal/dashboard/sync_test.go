package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// TestHL7SettingsAndQuarantine: an administrator sets an hl7v2 database's sending facility
// (refused with the reason when it holds an HL7 delimiter or is another database's; audited
// when saved); the refused messages page lists a quarantined message with its reason but not
// its content; re-processing it once its facility routes applies it (the patient is
// created) and closes it; dismissing closes another; reception reaches none of it (SYN-1,
// SYN-4).
func TestHL7SettingsAndQuarantine(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	ctx := context.Background()
	var hl7db, other, builtin clinic.Database
	if err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		if hl7db, err = tx.Directory().CreateDatabase(ctx, e.fx.Org.ID, clinic.Database{Name: "Harbour PMS", Kind: clinic.KindHL7v2, Profile: clinic.ProfileMedicalDirector, RespectOptOut: true}); err != nil {
			return err
		}
		if other, err = tx.Directory().CreateDatabase(ctx, e.fx.Org.ID, clinic.Database{Name: "Other PMS", Kind: clinic.KindHL7v2, Profile: clinic.ProfileZedmed, RespectOptOut: true}); err != nil {
			return err
		}
		if builtin, err = tx.Directory().CreateDatabase(ctx, e.fx.Org.ID, clinic.Database{Name: "Own", Kind: clinic.KindBuiltin, Profile: clinic.ProfileGeneric, RespectOptOut: true}); err != nil {
			return err
		}
		return tx.Sync().SetHL7Facility(ctx, e.fx.Org.ID, other.ID, "TAKEN")
	}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/settings/databases/%d/hl7", hl7db.ID)
	res := e.do(request{method: http.MethodGet, path: "/settings/databases", actor: admin})
	wantBody(t, res, fmt.Sprintf(`href="%s"`, path), `id="quarantine-link"`)
	res = e.do(request{method: http.MethodGet, path: path, actor: admin})
	wantBody(t, res, "Harbour PMS", `name="facility"`)

	for form, want := range map[string]int{"A|B": http.StatusUnprocessableEntity, "": http.StatusUnprocessableEntity, "TAKEN": http.StatusConflict} {
		res = e.do(request{method: http.MethodPost, path: path, actor: admin, form: url.Values{"facility": {form}}})
		if res.status != want {
			t.Errorf("facility %q: status %d, want %d", form, res.status, want)
		}
		wantBody(t, res, `aria-invalid="true"`, `id="facility-error"`)
	}
	res = e.do(request{method: http.MethodPost, path: path, actor: admin, form: url.Values{"facility": {" HARBOUR "}}})
	wantRedirect(t, res, "/settings/databases?done=hl7-saved")
	if !e.hasAudit("database.hl7 0") {
		t.Error("no audit row for the HL7 settings")
	}
	// A builtin database has no HL7 settings.
	if res := e.do(request{method: http.MethodGet, path: fmt.Sprintf("/settings/databases/%d/hl7", builtin.ID), actor: admin}); res.status != http.StatusNotFound {
		t.Errorf("HL7 settings of a builtin database: %d, want 404", res.status)
	}

	// Two messages refused while the facility was unknown to this database.
	adt := func(ctl, ext string) []byte {
		return []byte("MSH|^~\\&|MD|HARBOUR|TIDINGS|TIDINGS|20260401090000||ADT^A04^ADT_A01|" + ctl + "|P|2.4\r" +
			"PID|1||" + ext + "^^^MD^MR||Quarantine^Quentin||19800412\r")
	}
	var ids []int64
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		for i, ext := range []string{"Q1", "Q2"} {
			id, err := tx.Sync().Quarantine(ctx, store.QuarantineItem{OrgID: e.fx.Org.ID, DatabaseID: hl7db.ID, Source: "mllp", MessageType: "ADT^A04",
				ControlID: fmt.Sprint("C", i), Code: 207, Reason: "MSH-4: no clinical database of this listener has this sending facility", Raw: adt(fmt.Sprint("C", i), ext)})
			ids = append(ids, id)
			if err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res = e.do(request{method: http.MethodGet, path: "/sync/quarantine", actor: admin})
	wantBody(t, res, `data-testid="quarantine-table"`, "ADT^A04", "MSH-4: no clinical database", fmt.Sprintf(`id="reprocess-%d"`, ids[0]))
	if strings.Contains(res.body, "Quentin") {
		t.Error("the refused messages page shows the message's patient data")
	}
	res = e.do(request{method: http.MethodPost, path: fmt.Sprintf("/sync/quarantine/%d/reprocess", ids[0]), actor: admin, form: url.Values{}})
	wantRedirect(t, res, "/sync/quarantine?done=quarantine-applied")
	e.view(func(ctx context.Context, tx *store.Tx) error {
		p, err := tx.Patients().PatientByExternalID(ctx, e.fx.Org.ID, hl7db.ID, "Q1")
		if err != nil {
			t.Errorf("the re-processed message created no patient: %v", err)
		} else if p.GivenName != "Quentin" {
			t.Errorf("patient %q", p.GivenName)
		}
		return nil
	})
	res = e.do(request{method: http.MethodPost, path: fmt.Sprintf("/sync/quarantine/%d/dismiss", ids[1]), actor: admin, form: url.Values{}})
	wantRedirect(t, res, "/sync/quarantine?done=quarantine-dismissed")
	res = e.do(request{method: http.MethodGet, path: "/sync/quarantine", actor: admin})
	wantBody(t, res, `id="no-quarantine"`)
	// Closed items are not found again.
	if res := e.do(request{method: http.MethodPost, path: fmt.Sprintf("/sync/quarantine/%d/reprocess", ids[1]), actor: admin, form: url.Values{}}); res.status != http.StatusNotFound {
		t.Errorf("re-processing a dismissed item: %d, want 404", res.status)
	}
	recep := actorOf(e.recep)
	for _, rq := range []request{{method: http.MethodGet, path: "/sync/quarantine", actor: recep}, {method: http.MethodGet, path: path, actor: recep}} {
		if res := e.do(rq); res.status != http.StatusForbidden {
			t.Errorf("reception %s: %d, want 403", rq.path, res.status)
		}
	}
}

// TestSyncMappingsAndStatus: an administrator maps a practitioner id to an agenda and an
// appointment type code to a reason of the database's clinics (refused naming the field
// when the target is of the wrong kind or another database's; audited), sees them listed
// and deletes one; the page shows the day's messages by type and outcome and the refused
// messages waiting (SYN-1, SYN-4).
func TestSyncMappingsAndStatus(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	ctx := context.Background()
	f := e.fx
	path := fmt.Sprintf("/settings/databases/%d/hl7", f.Database.ID)
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Sync().RecordMessage(ctx, store.SyncMessage{OrgID: f.Org.ID, DatabaseID: f.Database.ID, ControlKey: "MD|F|1",
			MessageType: "ADT^A08", Outcome: store.SyncApplied, ACK: "MSH|"}); err != nil {
			return err
		}
		_, err := tx.Sync().Quarantine(ctx, store.QuarantineItem{OrgID: f.Org.ID, DatabaseID: f.Database.ID, Source: "mllp", MessageType: "SIU^S12",
			ControlID: "2", Code: 204, Reason: "AIP-3: no agenda", Raw: []byte("MSH|")})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	res := e.do(request{method: http.MethodGet, path: path, actor: admin})
	wantBody(t, res, `data-testid="sync-today"`, "ADT^A08", "SIU^S12", `id="no-mappings"`, fmt.Sprintf(`value="agenda-%d"`, f.Agenda.ID),
		fmt.Sprintf(`value="reason-%d"`, f.Reason.ID))
	if strings.Contains(res.body, `id="last-applied">None yet`) {
		t.Error("the page says no message was applied")
	}

	add := func(kind, code, target string) response {
		return e.do(request{method: http.MethodPost, path: fmt.Sprintf("/settings/databases/%d/mappings", f.Database.ID), actor: admin,
			form: url.Values{"kind": {kind}, "code": {code}, "target": {target}}})
	}
	for _, c := range []struct{ kind, code, target, field string }{
		{"reason", "STD", fmt.Sprintf("agenda-%d", f.Agenda.ID), "map-target"},
		{"practitioner", "DR1", fmt.Sprintf("reason-%d", f.Reason.ID), "map-target"},
		{"practitioner", "", fmt.Sprintf("agenda-%d", f.Agenda.ID), "map-code"},
		{"doctor", "DR1", fmt.Sprintf("agenda-%d", f.Agenda.ID), "map-kind"},
		{"practitioner", "DR1", "agenda-999999", "map-target"},
	} {
		res := add(c.kind, c.code, c.target)
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %q → %s: status %d, want 422", c.kind, c.code, c.target, res.status)
		}
		wantBody(t, res, `href="#`+c.field+`"`)
	}
	wantRedirect(t, add("practitioner", "DR1", fmt.Sprintf("agenda-%d", f.Agenda.ID)), path+"?done=mapping-saved")
	wantRedirect(t, add("reason", "STD", fmt.Sprintf("reason-%d", f.Reason.ID)), path+"?done=mapping-saved")
	if !e.hasAudit("database.mapping 0") {
		t.Error("no audit row for the mapping")
	}
	res = e.do(request{method: http.MethodGet, path: path, actor: admin})
	wantBody(t, res, `data-testid="mappings"`, "<code>DR1</code>", "<code>STD</code>", f.Agenda.Name)
	res = e.do(request{method: http.MethodPost, path: fmt.Sprintf("/settings/databases/%d/mappings/delete", f.Database.ID), actor: admin,
		form: url.Values{"kind": {"practitioner"}, "code": {"DR1"}}})
	wantRedirect(t, res, path+"?done=mapping-deleted")
	res = e.do(request{method: http.MethodGet, path: path, actor: admin})
	if strings.Contains(res.body, "<code>DR1</code>") {
		t.Error("the deleted mapping is still listed")
	}
	recep := actorOf(e.recep)
	if res := e.do(request{method: http.MethodPost, path: fmt.Sprintf("/settings/databases/%d/mappings", f.Database.ID), actor: recep,
		form: url.Values{"kind": {"reason"}, "code": {"X"}, "target": {fmt.Sprintf("reason-%d", f.Reason.ID)}}}); res.status != http.StatusForbidden {
		t.Errorf("reception adds a mapping: %d, want 403", res.status)
	}
}

// TestWriteBackAlerts (SYN-5): an appointment the clinical software refused is shown as such
// on its page, counted in an alert on every page of staff who book, and listed with the
// software's reason; sending it again makes it due and is audited.
func TestWriteBackAlerts(t *testing.T) {
	e := newEnv(t)
	recep := actorOf(e.recep)
	start := testNow.Add(72 * time.Hour).Truncate(time.Hour)
	a := e.bookAt(e.fx.Agenda.ID, start, start.Add(15*time.Minute), clinic.BookedByStaff)
	e.update(func(ctx context.Context, tx *store.Tx) error {
		if err := tx.Sync().SetHL7Facility(ctx, e.fx.Org.ID, e.fx.Database.ID, "WBTEST"); err != nil {
			return err
		}
		if err := tx.Sync().SetHL7Outbound(ctx, e.fx.Org.ID, e.fx.Database.ID, "127.0.0.1:2575"); err != nil {
			return err
		}
		if err := tx.Sync().PlanWriteBack(ctx, e.fx.Org.ID, a); err != nil {
			return err
		}
		wb, _, err := tx.Sync().WriteBackOf(ctx, e.fx.Org.ID, a.ID)
		if err != nil {
			return err
		}
		return tx.Sync().FinishWriteBack(ctx, wb.ID, wb.Version, store.WriteBackFailed, false, "AE: no such practitioner in this practice")
	})
	res := e.do(request{method: http.MethodGet, path: "/agenda", actor: recep})
	wantBody(t, res, `id="write-backs-alert"`, "1 appointment was refused by the clinical software")
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/appointments/%d", a.ID), actor: recep})
	wantBody(t, res, `id="write-back-failed"`, "no such practitioner in this practice")
	res = e.do(request{method: http.MethodGet, path: "/sync/write-backs", actor: recep})
	wantBody(t, res, `data-testid="write-backs"`, fmt.Sprintf(`id="retry-%d"`, a.ID), "no such practitioner in this practice")
	res = e.do(request{method: http.MethodGet, path: fmt.Sprintf("/settings/databases/%d/hl7", e.fx.Database.ID), actor: actorOf(e.admin)})
	wantBody(t, res, `id="refused-write-backs">1 ·`)
	res = e.do(request{method: http.MethodPost, path: fmt.Sprintf("/sync/write-backs/%d/retry", a.ID), actor: recep, form: url.Values{}})
	wantRedirect(t, res, "/sync/write-backs?done=write-back-retried")
	if !e.hasAudit(fmt.Sprintf("appointment.write_back_retry %d", e.fx.Patient.ID)) {
		t.Error("no audit row for sending it again")
	}
	e.view(func(ctx context.Context, tx *store.Tx) error {
		wb, _, err := tx.Sync().WriteBackOf(ctx, e.fx.Org.ID, a.ID)
		if wb.State != store.WriteBackPending {
			t.Errorf("after sending again: %s", wb.State)
		}
		return err
	})
	res = e.do(request{method: http.MethodGet, path: "/sync/write-backs", actor: recep})
	wantBody(t, res, `id="no-write-backs"`)
	if strings.Contains(res.body, `id="write-backs-alert"`) {
		t.Error("the alert is still shown")
	}
	// A practitioner, who does not book, may not see the list.
	prac := clinic.Actor{Kind: clinic.ActorStaff, OrgID: e.fx.Org.ID, UserID: e.recep.ID, Role: clinic.RolePractitioner, Label: "user:practitioner"}
	if res := e.do(request{method: http.MethodGet, path: "/sync/write-backs", actor: prac}); res.status != http.StatusForbidden {
		t.Errorf("practitioner: %d, want 403", res.status)
	}
}

// TestFHIRSettingsPage (SYN-1): an administrator sets a fhir database's server and sign-in;
// refused values are shown again naming the field; the saved token is never shown again, an
// empty token field keeps it, and the audit row says it is set without its value.
func TestFHIRSettingsPage(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	ctx := context.Background()
	var fd clinic.Database
	e.update(func(ctx context.Context, tx *store.Tx) (err error) {
		fd, err = tx.Directory().CreateDatabase(ctx, e.fx.Org.ID, clinic.Database{Name: "Marais", Kind: clinic.KindFHIR, Profile: clinic.ProfileGeneric, RespectOptOut: true})
		return err
	})
	path := fmt.Sprintf("/settings/databases/%d/fhir", fd.ID)
	res := e.do(request{method: http.MethodGet, path: "/settings/databases", actor: admin})
	wantBody(t, res, fmt.Sprintf(`href="%s"`, path))
	post := func(form url.Values) response {
		return e.do(request{method: http.MethodPost, path: path, actor: admin, form: form})
	}
	res = post(url.Values{"base_url": {"ftp://x"}, "auth": {"bearer"}, "token": {""}, "every_minutes": {"0"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad settings: %d", res.status)
	}
	wantBody(t, res, `href="#base-url"`, `href="#token"`, `href="#every"`)
	wantRedirect(t, post(url.Values{"base_url": {"https://fhir.clinic.example/r4"}, "auth": {"bearer"}, "token": {"s3cret-token"}, "every_minutes": {"5"}}),
		"/settings/databases?done=fhir-saved")
	wantRedirect(t, post(url.Values{"base_url": {"https://fhir.clinic.example/r4"}, "auth": {"bearer"}, "token": {""}, "every_minutes": {"10"}}),
		"/settings/databases?done=fhir-saved")
	res = e.do(request{method: http.MethodGet, path: path, actor: admin})
	wantBody(t, res, "https://fhir.clinic.example/r4", `value="10"`, "A token is saved")
	if strings.Contains(res.body, "s3cret-token") {
		t.Error("the page shows the saved token")
	}
	e.view(func(ctx context.Context, tx *store.Tx) error {
		f, ok, err := tx.Sync().FHIRSettingsOf(ctx, e.fx.Org.ID, fd.ID)
		if !ok || f.Token != "s3cret-token" || f.EveryMinutes != 10 {
			t.Errorf("saved: %v %+v", ok, f.EveryMinutes)
		}
		var n int
		if err == nil {
			err = e.db.SQLDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'database.fhir' AND detail LIKE '%s3cret%'`).Scan(&n)
		}
		if n != 0 {
			t.Error("the audit log holds the token")
		}
		return err
	})
	_ = ctx
}

// TestImportPage (SYN-1): an administrator checks a CSV file (the report lists the rejected
// row with its line and column; nothing is created), then imports it; a file that is not
// one of the formats is refused naming the file.
func TestImportPage(t *testing.T) {
	e := newEnv(t)
	admin := actorOf(e.admin)
	path := fmt.Sprintf("/settings/databases/%d/import", e.fx.Database.ID)
	res := e.do(request{method: http.MethodGet, path: "/settings/databases", actor: admin})
	wantBody(t, res, fmt.Sprintf(`href="%s"`, path))
	upload := func(content string, apply bool) response {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("file", "patients.csv")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(content))
		if apply {
			mw.WriteField("apply", "1")
		}
		mw.Close()
		return e.do(request{method: http.MethodPost, path: path, actor: admin, body: body.Bytes(), contentType: mw.FormDataContentType()})
	}
	file := "external_id,given_name,family_name,mobile\nI1,Ines,Martin,0412 345 601\nI2,Bad,Number,12\n"
	res = upload(file, false)
	wantBody(t, res, `data-testid="import-report"`, `id="rows-created">1<`, `id="rows-rejected">1<`, "line 3, column mobile")
	e.view(func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Patients().PatientByExternalID(ctx, e.fx.Org.ID, e.fx.Database.ID, "I1"); err == nil {
			t.Error("the check created a patient")
		}
		return nil
	})
	res = upload(file, true)
	wantBody(t, res, `id="rows-created">1<`)
	e.view(func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Patients().PatientByExternalID(ctx, e.fx.Org.ID, e.fx.Database.ID, "I1"); err != nil {
			t.Errorf("the import created no patient: %v", err)
		}
		return nil
	})
	res = upload("what,ever\n1,2\n", false)
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("a file of no format: %d, want 422", res.status)
	}
	wantBody(t, res, `href="#file"`)
}
