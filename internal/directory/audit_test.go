package directory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/audit/audittest"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// auditedChange is an audit row as these tests compare it (audittest.Change, local so the
// tables can be written without field names).
type auditedChange struct {
	Action  string
	Subject string
	Changes []string
}

// changesSince is audittest.ChangesSince in this file's type.
func changesSince(t *testing.T, db *store.DB, org clinic.OrgID, since int64) ([]auditedChange, int64) {
	t.Helper()
	cs, _, last := audittest.ChangesSince(t, db, org, since)
	var out []auditedChange // nil when there are none, as the tables write it
	for _, c := range cs {
		out = append(out, auditedChange(c))
	}
	return out, last
}

// TestChangesAudited: every directory change records what it changed, field by field, with
// the values before and after and the records it points to by name (ADM-2, ADM-5), in the
// transaction of the change; a refused change records nothing.
func TestChangesAudited(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	svc := directory.New(db)
	admin := clinic.Actor{Kind: clinic.ActorStaff, OrgID: f.Org.ID, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	no := false
	tests := []struct {
		name string
		do   func() error
		want []auditedChange
	}{
		{"create a practitioner", func() error {
			_, err := svc.CreatePractitioner(ctx, admin, directory.PractitionerInput{Name: str("Dr Mary Seacole"), Title: str("Nurse")})
			return err
		}, []auditedChange{{"practitioner.create", "Dr Mary Seacole", []string{`name: null → "Dr Mary Seacole"`, `title: null → "Nurse"`}}}},
		{"change a practitioner's title", func() error {
			_, err := svc.UpdatePractitioner(ctx, admin, f.Practitioner.ID, directory.PractitionerInput{Title: str("General practitioner")})
			return err
		}, []auditedChange{{"practitioner.update", "Dr Ada Lovelace", []string{`title: "GP" → "General practitioner"`}}}},
		{"booking rules alone", func() error {
			_, err := svc.UpdateClinic(ctx, admin, f.Clinic.ID, directory.ClinicInput{Booking: &directory.RulesInput{HorizonDays: num(120), MinNoticeHours: num(2),
				AllowOnlineChanges: &no}})
			return err
		}, []auditedChange{{"clinic.booking_rules", "Main St", []string{"horizon_days: 90 → 120", "allow_online_changes: true → false"}}}},
		{"rename a clinic", func() error {
			_, err := svc.UpdateClinic(ctx, admin, f.Clinic.ID, directory.ClinicInput{Name: str("Main Street")})
			return err
		}, []auditedChange{{"clinic.update", "Main Street", []string{`name: "Main St" → "Main Street"`}}}},
		{"a reason's duration and agendas", func() error {
			_, err := svc.UpdateReason(ctx, admin, f.Reason.ID, directory.ReasonInput{DurationMinutes: num(20), AgendaIDs: []int64{}})
			return err
		}, []auditedChange{{"reason.update", "Standard consult", []string{"duration_minutes: 15 → 20", `agendas: ["Dr Lovelace"] → []`}}}},
		{"an agenda switched off", func() error {
			_, err := svc.UpdateAgenda(ctx, admin, f.Agenda.ID, directory.AgendaInput{Active: &no})
			return err
		}, []auditedChange{{"agenda.update", "Dr Lovelace", []string{"active: true → false"}}}},
		{"a room: an agenda without practitioner", func() error {
			_, err := svc.CreateAgenda(ctx, admin, directory.AgendaInput{ClinicID: ptr(int64(f.Clinic.ID)), Name: str("Room 2")})
			return err
		}, []auditedChange{{"agenda.create", "Room 2", []string{`name: null → "Room 2"`, `clinic: null → "Main Street"`, `practitioner: null → ""`, "active: null → true"}}}},
		{"a database renamed", func() error {
			_, err := svc.UpdateDatabase(ctx, admin, f.Database.ID, directory.DatabaseInput{Name: str("Zedmed")})
			return err
		}, []auditedChange{{"database.update", "Zedmed", []string{`name: "PMS" → "Zedmed"`}}}},
		{"SMS off for one agenda", func() error {
			_, err := svc.SetClinicChannels(ctx, admin, f.Clinic.ID, []directory.AgendaChannels{{AgendaID: f.Agenda.ID, Off: []consent.Channel{consent.ChannelSMS}}})
			return err
		}, []auditedChange{{"agenda.channels", "Dr Lovelace", []string{"sms: true → false"}}}},
		{"the channels saved unchanged", func() error {
			_, err := svc.SetClinicChannels(ctx, admin, f.Clinic.ID, []directory.AgendaChannels{{AgendaID: f.Agenda.ID, Off: []consent.Channel{consent.ChannelSMS}}})
			return err
		}, []auditedChange{{"agenda.channels", "Main Street", nil}}},
		{"a refused change records nothing", func() error {
			_, err := svc.UpdateReason(ctx, admin, f.Reason.ID, directory.ReasonInput{DurationMinutes: num(1)})
			if err == nil {
				return fmt.Errorf("a 1-minute reason was accepted")
			}
			return nil
		}, nil},
		{"a refused booking rule records nothing", func() error {
			_, err := svc.UpdateClinic(ctx, admin, f.Clinic.ID, directory.ClinicInput{Booking: &directory.RulesInput{HorizonDays: num(0)}, Name: str("x")})
			if err == nil {
				return fmt.Errorf("a horizon of 0 days was accepted")
			}
			return nil
		}, nil},
	}
	_, since := changesSince(t, db, f.Org.ID, 0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			var got []auditedChange
			got, since = changesSince(t, db, f.Org.ID, since)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("audit rows (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
