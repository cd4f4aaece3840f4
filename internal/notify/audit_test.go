package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/audit/audittest"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// settingsChange is an audit row as TestSettingsChangesAudited compares it (audittest.Change,
// local so the tables can be written without field names).
type settingsChange struct {
	Action  string
	Subject string
	Changes []string // "field: before → after", values in JSON
}

// settingsChangesSince is audittest.ChangesSince in this file's type.
func settingsChangesSince(t *testing.T, db *store.DB, org clinic.OrgID, since int64) ([]settingsChange, string, int64) {
	t.Helper()
	cs, raw, last := audittest.ChangesSince(t, db, org, since)
	var out []settingsChange // nil when there are none, as the tables write it
	for _, c := range cs {
		out = append(out, settingsChange(c))
	}
	return out, raw, last
}

// TestSettingsChangesAudited: a change of the sending settings, of a message template or of
// an SMS account records each field's value before and after (ADM-5); the SMS auth token
// is never recorded, only the last four characters the accounts page shows.
func TestSettingsChangesAudited(t *testing.T) {
	bg := context.Background()
	db := storetest.Open(t, nil)
	f := storetest.Seed(t, db, "a")
	svc := notify.New(db)
	admin := clinic.Actor{Kind: clinic.ActorStaff, OrgID: f.Org.ID, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	const token, token2 = "s3cr3t-auth-token-0001", "another-secret-token-0002"
	const sid = "AC0123456789abcdef0123456789abcdef"
	phone := "+61 2 9999 0000"
	reminder, _ := compose.Default(compose.KindReminder, compose.ChannelSMS, "en")
	tests := []struct {
		name string
		do   func() error
		want []settingsChange
	}{
		{"sending settings", func() error {
			_, err := svc.SetSettings(bg, admin, f.Clinic.ID, notify.SettingsInput{Channels: []string{"sms"}, ReminderOffsets: []string{"24h"},
				GraceSeconds: 120, WindowFrom: "08:00", WindowTo: "20:00", RemindConfirmed: true, AskReply: true, Phone: &phone})
			return err
		}, []settingsChange{{"clinic.notify_settings", "Main St", []string{`channels: ["sms","email"] → ["sms"]`,
			`reminder_offsets: ["72h","2h"] → ["24h"]`, `phone: "" → "+61299990000"`}}}},
		{"sending settings without the phone field keep the phone", func() error {
			_, err := svc.SetSettings(bg, admin, f.Clinic.ID, notify.SettingsInput{Channels: []string{"sms"}, ReminderOffsets: []string{"24h"},
				GraceSeconds: 60, WindowFrom: "08:00", WindowTo: "20:00", SMSBudget: 500, RemindConfirmed: true, AskReply: true})
			return err
		}, []settingsChange{{"clinic.notify_settings", "Main St", []string{"grace_seconds: 120 → 60", "sms_budget: 0 → 500"}}}},
		{"a refused setting records nothing", func() error {
			_, err := svc.SetSettings(bg, admin, f.Clinic.ID, notify.SettingsInput{Channels: []string{"fax"}})
			if err == nil {
				return fmt.Errorf("the fax channel was accepted")
			}
			return nil
		}, nil},
		{"a template edited", func() error {
			return svc.SetTemplate(bg, admin, f.Clinic.ID, notify.TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en", Body: "See you {{.Date}} at {{.Time}}."})
		}, []settingsChange{{"clinic.template", "Main St — reminder/sms/en", []string{fmt.Sprintf("body: %s → %q", jsonOf(t, reminder.Body), "See you {{.Date}} at {{.Time}}.")}}}},
		{"a template reset to the default", func() error {
			return svc.SetTemplate(bg, admin, f.Clinic.ID, notify.TemplateInput{Kind: "reminder", Channel: "sms", Lang: "en"})
		}, []settingsChange{{"clinic.template_reset", "Main St — reminder/sms/en", []string{fmt.Sprintf("body: %q → %s", "See you {{.Date}} at {{.Time}}.", jsonOf(t, reminder.Body))}}}},
		{"an SMS account added", func() error {
			_, err := svc.SetAccount(bg, admin, notify.AccountInput{AccountSID: sid, AuthToken: token, Sender: "+61400000000"})
			return err
		}, []settingsChange{{"settings.sms_account", "Org a", []string{"failover: null → false", `sender: null → "+61400000000"`,
			`account_sid: null → "` + sid + `"`, `base_url: null → "https://api.twilio.com"`, `token_hint: null → "…0001"`}}}},
		{"its token replaced", func() error {
			_, err := svc.SetAccount(bg, admin, notify.AccountInput{AccountSID: sid, AuthToken: token2, Sender: "+61400000000"})
			return err
		}, []settingsChange{{"settings.sms_account", "Org a", []string{`token_hint: "…0001" → "…0002"`}}}},
	}
	since := int64(0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			var got []settingsChange
			var details string
			got, details, since = settingsChangesSince(t, db, f.Org.ID, since)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("audit rows (-want +got):\n%s", diff)
			}
			for _, secret := range []string{token, token2, "s3cr3t", "another-secret"} {
				if strings.Contains(details, secret) {
					t.Errorf("the audit detail holds the auth token: %s", details)
				}
			}
		})
	}
	// Deleting the account records what it was.
	accounts, err := svc.Accounts(bg, admin)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("accounts %v, %v", accounts, err)
	}
	if err := svc.DeleteAccount(bg, admin, accounts[0].ID); err != nil {
		t.Fatal(err)
	}
	got, details, _ := settingsChangesSince(t, db, f.Org.ID, since)
	want := []settingsChange{{"settings.sms_account_delete", "Org a", []string{"failover: false → null", `sender: "+61400000000" → null`,
		`account_sid: "` + sid + `" → null`, `base_url: "https://api.twilio.com" → null`, `token_hint: "…0002" → null`}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deletion audit (-want +got):\n%s", diff)
	}
	if strings.Contains(details, token2) {
		t.Errorf("the deletion's audit detail holds the auth token: %s", details)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
