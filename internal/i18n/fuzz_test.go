package i18n

import "testing"

// FuzzNegotiate: any Accept-Language header and stored preference give a supported locale,
// and a valid preference always wins; nothing panics (the header comes from any browser).
func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"fr-FR,fr;q=0.9,en;q=0.5", "*", "de;q=1, fr;q=0", "", "fr;q=abc", "x-klingon", "en-GB;q=0.8,fr-CA"} {
		f.Add("", s)
		f.Add("fr", s)
	}
	f.Fuzz(func(t *testing.T, preference, header string) {
		got := Negotiate(preference, header, English)
		if got != English && got != French {
			t.Fatalf("Negotiate(%q, %q) = %v", preference, header, got)
		}
		if l, ok := Parse(preference); ok && got != l {
			t.Fatalf("Negotiate(%q, %q) = %v, want the preference %v", preference, header, got, l)
		}
	})
}
