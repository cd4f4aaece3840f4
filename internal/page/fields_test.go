package page

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tidings-health/tidings/internal/i18n"
)

// TestFieldLabels: {{field .}} names a field in words from the surface's table, translated
// with its arguments, and is empty for a field the table does not know or without a table.
func TestFieldLabels(t *testing.T) {
	fsys := fstest.MapFS{
		"t/layout.html": {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
		"t/form.html":   {Data: []byte(`{{define "content"}}{{range .}}[{{with field .}}{{.}}{{else}}?{{end}}]{{end}}{{end}}`)},
	}
	labels := func(name string) (FieldLabel, bool) {
		switch name {
		case "hours[Tuesday][0].end":
			return FieldLabel{Key: "{0}, {1}, end", Args: []string{"Tuesday", "first interval"}}, true
		case "note":
			return FieldLabel{Key: "Note"}, true
		}
		return FieldLabel{}, false
	}
	fields := []string{"hours[Tuesday][0].end", "note", "forged"}
	tests := []struct {
		name   string
		labels FieldLabels
		loc    i18n.Locale
		want   string
	}{
		{"English", labels, i18n.English, "[Tuesday, first interval, end][Note][?]"},
		{"French", labels, i18n.French, "[Mardi, première plage, fin][Note][?]"},
		{"no table", nil, i18n.French, "[?][?][?]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Parse(Config{FS: fsys, Layouts: []string{"t/layout.html"}, Pages: map[string]string{"form": "t/form.html"},
				Blocks: []string{"layout", "content"}, Fields: tc.labels})
			if err != nil {
				t.Fatal(err)
			}
			b, err := set.Execute(tc.loc, "form", "layout", fields)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(b)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
