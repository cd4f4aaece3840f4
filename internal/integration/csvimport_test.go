package integration_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/store"
)

// TestImportCSV (SYN-1, RES-8): a dry run reports what each row would do and changes
// nothing; applying creates the patients, normalised as every writer's; importing the same
// file again leaves every row unchanged; a changed row updates; appointments book on the
// agenda their practitioner names and recalls attach to their patient; rejected rows name
// the line and the column, never the value.
func TestImportCSV(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	admin := clinic.SystemActor(w.fx.Org.ID, "test")
	patients := "external_id,given_name,family_name,birth_date,mobile,email\n" +
		"C1,Linh,Nguyen,1980-04-12,0412 345 678,linh@example.com\n" +
		"C2,Sam,Lee,12/06/1975,0412 345 679,\n" +
		"C3,Bad,Mobile,,98765,\n"
	outcomes := func(rep integration.CSVReport) []string {
		var out []string
		for _, r := range rep.Rows {
			out = append(out, r.Outcome)
		}
		return out
	}
	rep, err := w.svc.ImportCSV(ctx, admin, w.dbID, strings.NewReader(patients), false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"created", "created", "rejected"}, outcomes(rep)); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	// The reason names the line and the column, never the value.
	if r := rep.Rows[2]; r.Line != 4 || !strings.Contains(r.Reason, "line 4, column mobile") || strings.Contains(r.Reason, "98765") {
		t.Errorf("rejected row: %+v", r)
	}
	if _, ok := w.patient(t, "C1"); ok {
		t.Fatal("the dry run created a patient")
	}
	if rep, err = w.svc.ImportCSV(ctx, admin, w.dbID, strings.NewReader(patients), true); err != nil {
		t.Fatal(err)
	}
	if p, ok := w.patient(t, "C1"); !ok || p.Mobile != "+61412345678" {
		t.Fatalf("applied: found %v, mobile %q", ok, p.Mobile)
	}
	if p, _ := w.patient(t, "C2"); p.BirthDate != "1975-06-12" {
		t.Errorf("C2 born %q, want 1975-06-12", p.BirthDate)
	}
	rep, err = w.svc.ImportCSV(ctx, admin, w.dbID, strings.NewReader(strings.Replace(patients, "Sam,Lee", "Samuel,Lee", 1)), true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"unchanged", "updated", "rejected"}, outcomes(rep)); diff != "" {
		t.Errorf("second import (-want +got):\n%s", diff)
	}

	appts := "appointment_id,patient_id,start,duration_minutes,status,practitioner_name,reason\n" +
		"A1,C1,2026-12-08 10:30,15,booked,Dr Sam Example,Check-up\n" +
		"A2,NOPE,2026-12-08 11:00,15,booked,Dr Sam Example,Check-up\n" +
		"A3,C2,2026-12-08 11:30,15,booked,Dr Nobody,Check-up\n"
	if rep, err = w.svc.ImportCSV(ctx, admin, w.dbID, strings.NewReader(appts), true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"created", "rejected", "rejected"}, outcomes(rep)); diff != "" {
		t.Errorf("appointments (-want +got):\n%s", diff)
	}
	if r := rep.Rows[1]; !strings.Contains(r.Reason, "column patient_id") {
		t.Errorf("unknown patient: %q, want it to name patient_id", r.Reason)
	}
	if r := rep.Rows[2]; !strings.Contains(r.Reason, "column practitioner_id") {
		t.Errorf("unknown practitioner: %q, want it to name practitioner_id", r.Reason)
	}
	if a, ok := w.appointment(t, "A1"); !ok || a.AgendaID != w.agenda.ID || a.ReasonID != w.reasons[1].ID || !a.Start.Equal(sydney(t, "202612081030")) {
		t.Errorf("A1: found %v, %+v", ok, a)
	}

	recalls := "recall_id,patient_id,due,reason,status\nR1,C1,2027-06-01,Skin check,active\n"
	if rep, err = w.svc.ImportCSV(ctx, admin, w.dbID, strings.NewReader(recalls), true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"created"}, outcomes(rep)); diff != "" {
		t.Errorf("recalls (-want +got):\n%s", diff)
	}
	p, _ := w.patient(t, "C1")
	var rs []store.Recall
	if err := w.db.View(ctx, func(tx *store.Tx) (err error) {
		rs, err = tx.Sync().RecallsOf(ctx, w.fx.Org.ID, p.ID)
		return err
	}); err != nil || len(rs) != 1 || rs[0].Due != "2027-06-01" {
		t.Errorf("recalls of C1: %+v (err %v)", rs, err)
	}

	// A header that is no format is refused naming the file.
	if _, err := w.svc.ImportCSV(ctx, admin, w.dbID, strings.NewReader("foo,bar\n1,2\n"), false); !clinic.HasField(clinic.FieldsOf(err), "file") {
		t.Errorf("bad header: %v, want a field error on file", err)
	}
}
