package cli_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHelpListsOwnFlags: `-h` of a command prints its usage line and exactly the flags it
// reads on stdout, exit 0. The commands that only open the database (token, admin,
// migrate) list --db and --data-dir, not the server's settings (--addr, --smtp, ...), which
// they would silently ignore.
func TestHelpListsOwnFlags(t *testing.T) {
	store := []string{"data-dir", "db"}
	tests := []struct {
		args  []string
		usage string
		flags []string
	}{
		{[]string{"token", "create", "-h"}, "Usage: tidings token create --org SLUG --role R --name N [--db URL|PATH] [--data-dir DIR]",
			append([]string{"name", "org", "role"}, store...)},
		{[]string{"admin", "create-user", "--help"}, "Usage: tidings admin create-user --org SLUG --email E --role R [--name N] [--password-stdin] [--db URL|PATH] [--data-dir DIR]",
			append([]string{"email", "name", "org", "password-stdin", "role"}, store...)},
		{[]string{"admin", "create-org", "-h"}, "Usage: tidings admin create-org --slug S --name N --zone Z --admin-email E [--admin-name N] [--password-stdin] [--db URL|PATH] [--data-dir DIR]",
			append([]string{"admin-email", "admin-name", "name", "password-stdin", "slug", "zone"}, store...)},
		{[]string{"admin", "disable-user", "-h"}, "Usage: tidings admin disable-user --org SLUG --email E [--db URL|PATH] [--data-dir DIR]",
			append([]string{"email", "org"}, store...)},
		{[]string{"migrate", "-h"}, "Usage: tidings migrate [--db URL|PATH] [--data-dir DIR]", store},
	}
	flagRE := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	for _, tt := range tests {
		t.Run(tt.args[0]+" "+tt.args[1], func(t *testing.T) {
			code, stdout, stderr := run(t, "", tt.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if first, _, _ := strings.Cut(stdout, "\n"); first != tt.usage {
				t.Errorf("first line %q, want %q", first, tt.usage)
			}
			var got []string
			for _, m := range flagRE.FindAllStringSubmatch(stdout, -1) {
				got = append(got, m[1])
			}
			sort.Strings(got)
			want := append([]string{}, tt.flags...)
			sort.Strings(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("flags listed (-want +got):\n%s\n%s", d, stdout)
			}
		})
	}
	// serve still lists the server's settings.
	_, stdout, _ := run(t, "", "serve", "-h")
	if !regexp.MustCompile(`(?m)^  -addr`).MatchString(stdout) || !regexp.MustCompile(`(?m)^  -smtp`).MatchString(stdout) {
		t.Errorf("serve -h does not list --addr and --smtp:\n%s", stdout)
	}
}
