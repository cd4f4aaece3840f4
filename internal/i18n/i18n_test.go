package i18n

import (
	"strings"
	"testing"
	"time"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name       string
		preference string
		accept     string
		fallback   Locale
		want       Locale
	}{
		{"nothing asked: English", "", "", English, English},
		{"nothing asked, French clinic", "", "", French, French},
		{"preference wins over the browser", "fr", "en-AU,en;q=0.9", English, French},
		{"preference with region", "fr-FR", "", English, French},
		{"preference in English at a French clinic", "en", "fr", French, English},
		{"unsupported preference is ignored", "de", "fr", English, French},
		{"browser French", "", "fr-FR,fr;q=0.9", English, French},
		{"browser Canadian French", "", "fr-CA", English, French},
		{"browser English at a French clinic", "", "en-GB,en;q=0.8", French, English},
		{"browser order by quality", "", "en;q=0.5, fr;q=0.9", English, French},
		{"browser unsupported language falls to the clinic", "", "de-DE,de;q=0.9", French, French},
		{"browser unsupported first, French later", "", "de, fr;q=0.3", English, French},
		{"browser wildcard falls to the clinic", "", "*", French, French},
		{"malformed header falls to the clinic", "", ";;;q=x", French, French},
		{"refused language", "", "fr;q=0, en;q=0.1", French, English},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Negotiate(tc.preference, tc.accept, tc.fallback); got != tc.want {
				t.Errorf("Negotiate(%q, %q, %v) = %v, want %v", tc.preference, tc.accept, tc.fallback, got, tc.want)
			}
		})
	}
}

func TestForRegion(t *testing.T) {
	for region, want := range map[string]Locale{"FR": French, "MC": French, "RE": French, "fr": French,
		"AU": English, "GB": English, "CA": English, "BE": English, "": English, "ZZ9": English} {
		if got := ForRegion(region); got != want {
			t.Errorf("ForRegion(%q) = %v, want %v", region, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	civil := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// 29 March 2026: Paris goes from 02:00 CET to 03:00 CEST. 25 October 2026: back from
	// 03:00 CEST to 02:00 CET, so 02:30 happens twice.
	beforeSpring := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)  // 01:30 CET
	afterSpring := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)   // 03:30 CEST
	firstAutumn := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)  // 02:30 CEST
	secondAutumn := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC) // 02:30 CET
	tests := []struct {
		name   string
		got    func(Locale) string
		en, fr string
	}{
		{"long date", func(l Locale) string { return l.LongDate(civil("2026-03-03")) }, "Tuesday 3 March 2026", "mardi 3 mars 2026"},
		{"first of the month", func(l Locale) string { return l.LongDate(civil("2026-03-01")) }, "Sunday 1 March 2026", "dimanche 1er mars 2026"},
		{"short date", func(l Locale) string { return l.Date(civil("1980-12-09")) }, "9 Dec 1980", "9 déc. 1980"},
		{"day and date", func(l Locale) string { return l.DayDate(civil("2026-04-08")) }, "Wed 8 Apr 2026", "mer. 8 avr. 2026"},
		{"week column", func(l Locale) string { return l.Day(civil("2026-03-30")) }, "Mon 30 Mar", "lun. 30 mars"},
		{"August", func(l Locale) string { return l.DayMonthYear(civil("2026-08-15")) }, "15 August 2026", "15 août 2026"},
		{"week in one month", func(l Locale) string { return l.WeekRange(civil("2026-08-03"), civil("2026-08-09")) }, "3 – 9 August 2026", "3 – 9 août 2026"},
		{"week across months", func(l Locale) string { return l.WeekRange(civil("2026-03-30"), civil("2026-04-05")) },
			"30 March – 5 April 2026", "30 mars – 5 avril 2026"},
		{"week across years", func(l Locale) string { return l.WeekRange(civil("2026-12-28"), civil("2027-01-03")) },
			"28 December 2026 – 3 January 2027", "28 décembre 2026 – 3 janvier 2027"},
		{"morning time", func(l Locale) string { return l.Time(time.Date(2026, 3, 3, 9, 30, 0, 0, paris)) }, "09:30", "09:30"},
		{"afternoon time", func(l Locale) string { return l.Time(time.Date(2026, 3, 3, 17, 5, 0, 0, paris)) }, "17:05", "17:05"},
		{"before the spring change in Paris", func(l Locale) string { return l.Stamp(beforeSpring.In(paris)) },
			"Sun 29 Mar 2026 01:30 CET", "dim. 29 mars 2026 01:30 CET"},
		{"after the spring change in Paris", func(l Locale) string { return l.Stamp(afterSpring.In(paris)) },
			"Sun 29 Mar 2026 03:30 CEST", "dim. 29 mars 2026 03:30 CEST"},
		{"an hour across the spring change", func(l Locale) string { return l.Span(beforeSpring.In(paris), afterSpring.In(paris)) },
			"01:30–03:30", "01:30–03:30"},
		{"first 02:30 of the autumn change", func(l Locale) string { return l.Stamp(firstAutumn.In(paris)) },
			"Sun 25 Oct 2026 02:30 CEST", "dim. 25 oct. 2026 02:30 CEST"},
		{"second 02:30 of the autumn change", func(l Locale) string { return l.Stamp(secondAutumn.In(paris)) },
			"Sun 25 Oct 2026 02:30 CET", "dim. 25 oct. 2026 02:30 CET"},
		{"the autumn change day is one civil day", func(l Locale) string { return l.LongDate(secondAutumn.In(paris)) },
			"Sunday 25 October 2026", "dimanche 25 octobre 2026"},
		{"Sydney evening is the next day in Paris's morning", func(l Locale) string {
			return l.LongDate(time.Date(2026, 4, 4, 22, 0, 0, 0, time.UTC).In(sydney))
		}, "Sunday 5 April 2026", "dimanche 5 avril 2026"},
		{"number", func(l Locale) string { return l.Number(1234567) }, "1,234,567", "1\u00a0234\u00a0567"},
		{"small number", func(l Locale) string { return l.Number(42) }, "42", "42"},
		{"negative number", func(l Locale) string { return l.Number(-1500) }, "-1,500", "-1\u00a0500"},
		{"decimal", func(l Locale) string { return l.Decimal(1234.5, 2) }, "1,234.5", "1\u00a0234,5"},
		{"weekday", func(l Locale) string { return l.Weekday(time.Saturday) }, "Saturday", "samedi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got(English); got != tc.en {
				t.Errorf("English: %q, want %q", got, tc.en)
			}
			if got := tc.got(French); got != tc.fr {
				t.Errorf("French: %q, want %q", got, tc.fr)
			}
		})
	}
}

func TestT(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var missed []string
	c = c.OnMissing(func(k string) { missed = append(missed, k) })
	tests := []struct {
		name string
		key  string
		args []any
		en   string
		fr   string
	}{
		{"plain", "Sign in", nil, "Sign in", "Se connecter"},
		{"argument", "Times in {0}.", []any{"Europe/Paris"}, "Times in Europe/Paris.", "Heures de Europe/Paris."},
		{"number argument", "{0} booked", []any{1200}, "1,200 booked", "1\u00a0200 réservés"},
		{"field reason", "is required", nil, "is required", "est obligatoire"},
		{"reason with a number, by pattern", "must be at most 500 characters", nil,
			"must be at most 500 characters", "doit faire au plus 500 caractères"},
		{"reason with two numbers, by pattern", "must be a whole number of minutes from 5 to 720", nil,
			"must be a whole number of minutes from 5 to 720", "doit être un nombre entier de minutes de 5 à 720"},
		{"pattern with a translated argument", "must be a whole number of days from 1 to 730", nil,
			"must be a whole number of days from 1 to 730", "doit être un nombre entier de jours de 1 à 730"},
		{"nested: a search error", "Search text is not a valid e-mail address.", nil,
			"Search text is not a valid e-mail address.", "Le texte recherché n'est pas une adresse e-mail valide."},
		{"nested: two statuses", "This appointment is now Seen: it cannot be set to Booked. Reload the page to see its current state.", nil,
			"This appointment is now Seen: it cannot be set to Booked. Reload the page to see its current state.",
			"Ce rendez-vous est maintenant «\u00a0Vu\u00a0»\u00a0: il ne peut pas passer à «\u00a0Réservé\u00a0». Rechargez la page pour voir son état actuel."},
		{"no letters", "—", nil, "—", "—"},
		{"time range by pattern", "overlaps 09:00–12:00 on the same day", nil, "overlaps 09:00–12:00 on the same day", "chevauche 09:00–12:00 le même jour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.T(English, tc.key, tc.args...); got != tc.en {
				t.Errorf("English: %q, want %q", got, tc.en)
			}
			if got := c.T(French, tc.key, tc.args...); got != tc.fr {
				t.Errorf("French: %q, want %q", got, tc.fr)
			}
		})
	}
	if len(missed) > 0 {
		t.Errorf("reported missing: %q", missed)
	}
	if got := c.T(French, "A text nobody wrote"); got != "A text nobody wrote" {
		t.Errorf("missing key: %q, want the English text", got)
	}
	if len(missed) != 1 {
		t.Errorf("missing key reported %d times, want once", len(missed))
	}
	if got := c.N(English, 1, "{0} older appointment is not listed.", "{0} older appointments are not listed.", 1); got != "1 older appointment is not listed." {
		t.Errorf("English singular: %q", got)
	}
	if got := c.N(English, 0, "{0} older appointment is not listed.", "{0} older appointments are not listed.", 0); got != "0 older appointments are not listed." {
		t.Errorf("English zero: %q", got)
	}
	if got := c.N(French, 0, "{0} later absence is not listed.", "{0} later absences are not listed.", 0); got != "0 absence ultérieure n'est pas affichée." {
		t.Errorf("French zero is singular: %q", got)
	}
	if got := c.N(French, 2, "{0} later absence is not listed.", "{0} later absences are not listed.", 2); got != "2 absences ultérieures ne sont pas affichées." {
		t.Errorf("French plural: %q", got)
	}
}

func TestParsePO(t *testing.T) {
	good := "# comment\nmsgid \"\"\nmsgstr \"Language: fr\\n\"\n\nmsgid \"Hello {0}\"\nmsgstr \"Bonjour \"\n\"{0}\"\n\nmsgid \"Say \\\"hi\\\"\"\nmsgstr \"Dites « salut »\"\n"
	got, err := parsePO([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if got["Hello {0}"] != "Bonjour {0}" || got[`Say "hi"`] != "Dites « salut »" || len(got) != 2 {
		t.Errorf("parsed %q", got)
	}
	for name, bad := range map[string]string{
		"duplicate":           "msgid \"a\"\nmsgstr \"b\"\nmsgid \"a\"\nmsgstr \"c\"\n",
		"empty translation":   "msgid \"a\"\nmsgstr \"\"\n",
		"placeholder lost":    "msgid \"a {0}\"\nmsgstr \"b\"\n",
		"placeholder renamed": "msgid \"a {0}\"\nmsgstr \"b {1}\"\n",
		"msgstr alone":        "msgstr \"b\"\n",
		"no msgstr":           "msgid \"a\"\n\nmsgid \"b\"\nmsgstr \"c\"\n",
		"bad quoting":         "msgid \"a\nmsgstr \"b\"\n",
		"unsupported syntax":  "msgctxt \"x\"\nmsgid \"a\"\nmsgstr \"b\"\n",
	} {
		if _, err := parsePO([]byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCatalogTypography checks the French texts use French spacing: a no-break space
// before a colon or semicolon, never an ordinary one that could wrap the line.
func TestCatalogTypography(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys() {
		fr := c.T(French, k)
		if strings.Contains(fr, " :") || strings.Contains(fr, " ;") || strings.Contains(fr, "« ") || strings.Contains(fr, " »") {
			t.Errorf("%q: French %q has a breaking space in its punctuation", k, fr)
		}
	}
}
