package patient_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestRecordConsent: who may record a patient's consent, from where it is recorded, and the
// refusals, each naming its field (CON-3).
func TestRecordConsent(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	other := storetest.Seed(t, db, "b")
	svc := patient.New(db)
	org, id := f.Org.ID, f.Patient.ID
	staff := func(r clinic.Role) clinic.Actor {
		return clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: r, UserID: 5, Label: "user:5"}
	}
	str := func(s string) *string { return &s }
	yes, no := true, false
	in := func(ch, pu string, optIn *bool) patient.ConsentInput {
		return patient.ConsentInput{Channel: str(ch), Purpose: str(pu), OptIn: optIn}
	}
	ok := []struct {
		name   string
		actor  clinic.Actor
		in     patient.ConsentInput
		source string
	}{
		{"manager in the dashboard", staff(clinic.RoleAppointmentManager), in("email", "recall", &no), "dashboard"},
		{"token", clinic.TokenActor(clinic.Token{ID: 3, OrgID: org, Role: clinic.RoleAdministrator}), in("sms", "reminder", &yes), "api"},
		{"the patient in the portal", clinic.PatientActor(org, id), in("push", "message_alert", &yes), "portal"},
		{"an SMS STOP", clinic.SystemActor(org, "sms"), patient.ConsentInput{Channel: str("sms"), Purpose: str("all"), OptIn: &no, Source: "sms"}, "sms"},
	}
	for _, tc := range ok {
		rec, err := svc.RecordConsent(ctx, tc.actor, id, tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if rec.Source != tc.source || rec.Actor != tc.actor.Label {
			t.Errorf("%s: recorded from %s by %s, want %s by %s", tc.name, rec.Source, rec.Actor, tc.source, tc.actor.Label)
		}
	}
	bad := []struct {
		name   string
		actor  clinic.Actor
		id     clinic.PatientID
		in     patient.ConsentInput
		err    error
		fields []string
	}{
		{"reception", staff(clinic.RoleReception), id, in("sms", "reminder", &no), clinic.ErrForbidden, nil},
		{"practitioner", staff(clinic.RolePractitioner), id, in("sms", "reminder", &no), clinic.ErrForbidden, nil},
		{"another organisation's patient", staff(clinic.RoleAdministrator), other.Patient.ID, in("sms", "reminder", &no), clinic.ErrNotFound, nil},
		{"another patient, for a patient", clinic.PatientActor(org, 99999), id, in("sms", "reminder", &no), clinic.ErrNotFound, nil},
		{"unknown channel and purpose", staff(clinic.RoleAdministrator), id, in("fax", "gossip", &no), clinic.ErrInvalid, []string{"channel", "purpose"}},
		{"account e-mails are not a choice", staff(clinic.RoleAdministrator), id, in("email", "account", &no), clinic.ErrInvalid, []string{"purpose"}},
		{"nothing sent", staff(clinic.RoleAdministrator), id, patient.ConsentInput{}, clinic.ErrInvalid, []string{"channel", "purpose", "opt_in"}},
		{"the system poses as the PMS", clinic.SystemActor(org, "import"), id, patient.ConsentInput{Channel: str("sms"), Purpose: str("all"), OptIn: &no, Source: "pms"}, clinic.ErrInvalid, []string{"source"}},
	}
	for _, tc := range bad {
		_, err := svc.RecordConsent(ctx, tc.actor, tc.id, tc.in)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
			continue
		}
		var v *clinic.ValidationError
		if tc.fields != nil && errors.As(err, &v) {
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
			}
			if diff := cmp.Diff(tc.fields, got); diff != "" {
				t.Errorf("%s: fields (-want +got):\n%s", tc.name, diff)
			}
		}
	}
	h, err := svc.ConsentHistory(ctx, staff(clinic.RoleReception), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Records) != len(ok) {
		t.Errorf("history holds %d records, want %d (refusals write nothing)", len(h.Records), len(ok))
	}
}

// TestPMSFlagHistory: setting the clinical software's flag through the API records when it
// was read, and keeps its history beside the Tidings-side records (CON-1, CON-3).
func TestPMSFlagHistory(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	svc := patient.New(db)
	token := clinic.TokenActor(clinic.Token{ID: 3, OrgID: f.Org.ID, Role: clinic.RoleAdministrator})
	yes := true
	p, err := svc.Update(ctx, token, f.Patient.ID, patient.Input{PMSOptOut: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if !p.PMSOptOut || p.PMSOptOutReadAt == nil {
		t.Errorf("after setting the flag: opted out %v, read at %v", p.PMSOptOut, p.PMSOptOutReadAt)
	}
	if _, err := svc.Update(ctx, token, f.Patient.ID, patient.Input{PMSOptOut: &yes}); err != nil { // the same value again
		t.Fatal(err)
	}
	var recs []store.ConsentRecord
	db.View(ctx, func(tx *store.Tx) (err error) {
		recs, err = tx.Consent().ConsentRecords(ctx, f.Org.ID, []clinic.PatientID{f.Patient.ID})
		return err
	})
	if len(recs) != 1 || recs[0].Source != "pms" || recs[0].OptIn {
		t.Errorf("history of the PMS flag: %+v, want one opt-out from pms (a repeated value adds nothing)", recs)
	}
	manager := clinic.Actor{Kind: clinic.ActorStaff, OrgID: f.Org.ID, Role: clinic.RoleAppointmentManager, UserID: 2, Label: "user:2"}
	recep := manager
	recep.Role = clinic.RoleReception
	no := false
	if _, err := svc.SetNotifications(ctx, recep, f.Patient.ID, &no); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("reception switches a patient off: %v, want forbidden (CON-7)", err)
	}
	if p, err := svc.SetNotifications(ctx, manager, f.Patient.ID, &no); err != nil || !p.NotificationsOff {
		t.Errorf("manager switches a patient off: %v, %v", p.NotificationsOff, err)
	}
}

// TestPMSFlagNeedsConsentPermission: the clinical software's opt-out flag changes who is
// messaged, so reception cannot set it through the API, as it cannot record consent (found
// in review: reception set it and the history credited the clinical software).
func TestPMSFlagNeedsConsentPermission(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	svc := patient.New(db)
	recep := clinic.TokenActor(clinic.Token{ID: 4, OrgID: f.Org.ID, Role: clinic.RoleReception})
	no := false
	if _, err := svc.Update(ctx, recep, f.Patient.ID, patient.Input{PMSOptOut: &no}); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("reception sets pms_opt_out: %v, want forbidden", err)
	}
	name := "Grace"
	if _, err := svc.Update(ctx, recep, f.Patient.ID, patient.Input{GivenName: &name}); err != nil {
		t.Errorf("reception edits a name: %v", err)
	}
}
