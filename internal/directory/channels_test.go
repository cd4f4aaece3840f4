package directory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestClinicChannels: the agenda × channel table is saved at once by administrators only
// (CON-5), and a refused save changes nothing.
func TestClinicChannels(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	other := storetest.Seed(t, db, "b")
	svc := directory.New(db)
	admin := clinic.Actor{Kind: clinic.ActorStaff, OrgID: f.Org.ID, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	manager := admin
	manager.Role = clinic.RoleAppointmentManager
	rows := []directory.AgendaChannels{{AgendaID: f.Agenda.ID, Off: []consent.Channel{consent.ChannelSMS, consent.ChannelPush, consent.ChannelSMS}}}
	if _, err := svc.SetClinicChannels(ctx, manager, f.Clinic.ID, rows); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("appointment manager: %v, want forbidden", err)
	}
	got, err := svc.SetClinicChannels(ctx, admin, f.Clinic.ID, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []directory.AgendaChannels{{AgendaID: f.Agenda.ID, Off: []consent.Channel{consent.ChannelPush, consent.ChannelSMS}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("saved (-want +got):\n%s", diff)
	}
	bad := []directory.AgendaChannels{{AgendaID: other.Agenda.ID}, {AgendaID: f.Agenda.ID, Off: []consent.Channel{"fax"}}}
	_, err = svc.SetClinicChannels(ctx, admin, f.Clinic.ID, bad)
	var v *clinic.ValidationError
	if !errors.As(err, &v) || len(v.Fields) != 2 || v.Fields[0].Field != "rows[0].agenda_id" || v.Fields[1].Field != "rows[1].off[0]" {
		t.Errorf("bad rows: %v, want rows[0].agenda_id and rows[1].off[0] named", err)
	}
	if now, _ := svc.ClinicChannels(ctx, admin, f.Clinic.ID); !cmp.Equal(now, want) {
		t.Errorf("after a refused save: %+v, want unchanged %+v", now, want)
	}
	if _, err := svc.ClinicChannels(ctx, admin, other.Clinic.ID); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another organisation's clinic: %v, want not found", err)
	}
}

// TestBestPracticeSettingCannotChange: a profile whose opt-out flag cannot be read keeps the
// setting as it is (CON-4): saving another value is refused naming the field.
func TestBestPracticeSettingCannotChange(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	svc := directory.New(db)
	admin := clinic.Actor{Kind: clinic.ActorStaff, OrgID: f.Org.ID, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	name, kind, profile := "BP", "hl7v2", "best_practice"
	bp, err := svc.CreateDatabase(ctx, admin, directory.DatabaseInput{Name: &name, Kind: &kind, Profile: &profile})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	_, err = svc.UpdateDatabase(ctx, admin, bp.ID, directory.DatabaseInput{RespectOptOut: &off})
	var v *clinic.ValidationError
	if !errors.As(err, &v) || v.Fields[0].Field != "respect_opt_out" {
		t.Errorf("turning off Best Practice's setting: %v, want a field error on respect_opt_out", err)
	}
}
