package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// settingsChange is an audit row as TestSettingsChangesAudited compares it.
type settingsChange struct {
	Action  string
	Subject string
	Changes []string // "field: before → after", values in JSON
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

// settingsChangesSince reads org's audit rows after id since, oldest first, decoded; and
// every detail as stored, for the secrets check.
func settingsChangesSince(t *testing.T, db *store.DB, org clinic.OrgID, since int64) ([]settingsChange, string, int64) {
	t.Helper()
	bg := context.Background()
	var es []store.AuditEntry
	if err := db.View(bg, func(tx *store.Tx) (err error) {
		es, err = tx.AuditTrail().AuditLog(bg, org, store.AuditFilter{}, store.Page{Limit: 500})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var out []settingsChange
	var raw strings.Builder
	last := since
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		if e.ID <= since {
			continue
		}
		last = max(last, e.ID)
		raw.WriteString(e.Detail)
		var d audit.ChangeDetail
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			t.Errorf("row %d (%s) has no change detail: %q", e.ID, e.Action, e.Detail)
			continue
		}
		c := settingsChange{Action: e.Action, Subject: d.Subject}
		for _, f := range d.Changes {
			c.Changes = append(c.Changes, fmt.Sprintf("%s: %s → %s", f.Field, f.Before, f.After))
		}
		out = append(out, c)
	}
	return out, raw.String(), last
}
