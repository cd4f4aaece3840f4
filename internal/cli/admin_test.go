package cli_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestAdminCreateOrgAndDisable: a clinic starts without the demo — create-org makes the
// organisation and its administrator, who can sign in; disable-user ends that at once and
// enable-user undoes it. Refusals are one line on stderr with exit 2, naming the flag.
func TestAdminCreateOrgAndDisable(t *testing.T) {
	dsn := storetest.DSN(t)
	const pw = "correct horse battery staple"
	code, out, stderr := run(t, pw+"\n", "admin", "create-org", "--db", dsn, "--slug", "harbour", "--name", "Harbour Clinic",
		"--zone", "Australia/Sydney", "--admin-email", "Boss@Harbour.Test", "--admin-name", "Bo", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created organisation harbour (Australia/Sydney) and administrator") || strings.Contains(out, "horse") {
		t.Fatalf("create-org: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, "", "admin", "create-org", "--db", dsn, "--slug", "bay", "--name", "Bay", "--zone", "Europe/Paris",
		"--admin-email", "boss@bay.test")
	if code != 0 || !strings.Contains(out, "password (shown once): ") {
		t.Errorf("create-org with a generated password: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, pw+"\n", "admin", "create-user", "--db", dsn, "--org", "harbour", "--role", "reception",
		"--email", "rita@harbour.test", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created user") {
		t.Fatalf("create-user: %d %q %q", code, out, stderr)
	}

	ctx := context.Background()
	db := openStore(t, dsn)
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := session.New(db, q, session.Config{})
	signIn := func(email string) error {
		_, err := m.SignIn(ctx, httptest.NewRecorder(), httptest.NewRequest("POST", "/login", nil), email, pw)
		return err
	}
	if err := signIn("boss@harbour.test"); err != nil {
		t.Fatalf("the new administrator cannot sign in: %v", err)
	}
	if err := signIn("rita@harbour.test"); err != nil {
		t.Fatalf("the new user cannot sign in: %v", err)
	}
	code, out, stderr = run(t, "", "admin", "disable-user", "--db", dsn, "--org", "harbour", "--email", "RITA@harbour.test")
	if code != 0 || !strings.Contains(out, "disabled user") {
		t.Fatalf("disable-user: %d %q %q", code, out, stderr)
	}
	if err := signIn("rita@harbour.test"); !errors.Is(err, session.ErrBadCredentials) {
		t.Errorf("sign-in after disable-user: %v", err)
	}
	code, out, stderr = run(t, "", "admin", "enable-user", "--db", dsn, "--org", "harbour", "--email", "rita@harbour.test")
	if code != 0 || !strings.Contains(out, "enabled user") {
		t.Fatalf("enable-user: %d %q %q", code, out, stderr)
	}
	if err := signIn("rita@harbour.test"); err != nil {
		t.Errorf("sign-in after enable-user: %v", err)
	}

	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"bad zone", "", []string{"admin", "create-org", "--slug", "x1", "--name", "X", "--zone", "Mars/Base", "--admin-email", "a@x1.test"}, "--zone: must be an IANA time zone"},
		{"no zone", "", []string{"admin", "create-org", "--slug", "x1", "--name", "X", "--admin-email", "a@x1.test"}, "--zone"},
		{"bad slug", "", []string{"admin", "create-org", "--slug", "X 1", "--name", "X", "--zone", "UTC", "--admin-email", "a@x1.test"}, "--slug"},
		{"slug taken", "", []string{"admin", "create-org", "--slug", "harbour", "--name", "X", "--zone", "UTC", "--admin-email", "a@x1.test"}, "--slug: an organisation with this slug already exists"},
		{"admin e-mail taken", "", []string{"admin", "create-org", "--slug", "x1", "--name", "X", "--zone", "UTC", "--admin-email", "boss@harbour.test"}, "--email: a staff account with this e-mail already exists"},
		{"bad admin e-mail", "", []string{"admin", "create-org", "--slug", "x1", "--name", "X", "--zone", "UTC", "--admin-email", "boss"}, "--admin-email"},
		{"weak password", "short\n", []string{"admin", "create-org", "--slug", "x1", "--name", "X", "--zone", "UTC", "--admin-email", "a@x1.test", "--password-stdin"}, "password"},
		{"disable unknown user", "", []string{"admin", "disable-user", "--org", "harbour", "--email", "nobody@harbour.test"}, "--email: no staff account"},
		{"disable another organisation's user", "", []string{"admin", "disable-user", "--org", "bay", "--email", "rita@harbour.test"}, "--email: no staff account"},
		{"disable the last administrator", "", []string{"admin", "disable-user", "--org", "harbour", "--email", "boss@harbour.test"}, "last administrator"},
		{"disable in unknown org", "", []string{"admin", "disable-user", "--org", "nowhere", "--email", "rita@harbour.test"}, `no organisation "nowhere"`},
		{"unknown subcommand", "", []string{"admin", "delete-user"}, "the subcommand is create-org, create-user, disable-user or enable-user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if len(args) > 2 {
				args = append(append([]string{}, args[:2]...), append([]string{"--db", dsn}, args[2:]...)...)
			}
			code, _, stderr := run(t, tt.stdin, args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line saying %q", code, stderr, tt.want)
			}
		})
	}
	// Nothing of the refused organisation was made.
	if code, _, _ := run(t, "", "admin", "create-user", "--db", dsn, "--org", "x1", "--role", "reception", "--email", "z@x1.test"); code != 2 {
		t.Errorf("organisation x1 exists after refusals")
	}
}
