package page

import (
	"testing"

	"github.com/tidings-health/tidings/internal/i18n"
)

// TestNote: a note the product stored in English (a handover, MSG-4) reads in the viewer's
// language, names kept as written; a copied transcript after its first paragraph is kept
// as written; a text the catalog does not know is shown as stored.
func TestNote(t *testing.T) {
	c, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	note := func(loc i18n.Locale, s string) string { return Funcs(c, loc)["note"].(func(string) string)(s) }
	for _, tc := range []struct {
		loc      i18n.Locale
		in, want string
	}{
		{i18n.French, "Handed over from Main St to North Rd.", "Conversation transférée de Main St à North Rd."},
		{i18n.English, "Handed over from Main St to North Rd.", "Handed over from Main St to North Rd."},
		{i18n.French, "A copy was sent to Harbour Clinic; this conversation is closed.", "Une copie a été envoyée à Harbour Clinic\u00a0; cette conversation est close."},
		{i18n.French, "A copy of a conversation with Main St (1 Main St, Sydney).\n\n[2026-04-07 10:00 UTC, patient]\nHello, see you soon",
			"Copie d’une conversation avec Main St (1 Main St, Sydney).\n\n[2026-04-07 10:00 UTC, patient]\nHello, see you soon"},
		{i18n.French, "Something the catalog does not know", "Something the catalog does not know"},
	} {
		if got := note(tc.loc, tc.in); got != tc.want {
			t.Errorf("note(%s, %q) = %q, want %q", tc.loc, tc.in, got, tc.want)
		}
	}
}
