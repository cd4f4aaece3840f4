package page

import (
	"html/template"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/i18n"
)

// Funcs are the template functions bound to a locale, which every page of a Set can use:
//
//	{{t "Sign in"}}                      the catalog's text of a key
//	{{t "Times in {0}." .Zone}}          with arguments in its placeholders
//	{{t .StatusLabel}}                   an English text made in Go (a label, a field
//	                                     error's reason, a safe message), looked up
//	{{tn (len .Rows) "{0} row" "{0} rows" (len .Rows)}}  singular or plural
//	{{lang}}                             "en" or "fr", for <html lang>
//	{{longdate .Date}}                   "Sunday 5 April 2026" / "dimanche 5 avril 2026"
//	{{date .BirthDate}}                  "9 Dec 1980" / "9 déc. 1980"
//	{{daydate .Day}}                     "Fri 25 Dec 2026" / "ven. 25 déc. 2026"
//	{{day .Date}}                        "Mon 30 Mar" / "lun. 30 mars"
//	{{weekrange .Monday}}                "30 March – 5 April 2026", the week from Monday
//	{{num .Count}}                       "1,234" / "1 234"
//
// The date functions take a civil date written YYYY-MM-DD (or a time.Time, shown in its own
// zone); anything else is shown as it is, so a template never fails on a date.
func Funcs(c *i18n.Catalog, loc i18n.Locale) template.FuncMap {
	civil := func(f func(time.Time) string) func(any) string {
		return func(v any) string {
			switch x := v.(type) {
			case time.Time:
				return f(x)
			case string:
				t, err := time.Parse(time.DateOnly, x)
				if err != nil {
					return x
				}
				return f(t)
			}
			return ""
		}
	}
	return template.FuncMap{
		"t":        func(key string, args ...any) string { return c.T(loc, key, args...) },
		"tn":       func(n int, one, other string, args ...any) string { return c.N(loc, n, one, other, args...) },
		"lang":     loc.String,
		"longdate": civil(loc.LongDate),
		"date":     civil(loc.Date),
		"daydate":  civil(loc.DayDate),
		"day":      civil(loc.Day),
		"weekrange": civil(func(monday time.Time) string {
			return loc.WeekRange(monday, monday.AddDate(0, 0, 6))
		}),
		"num": func(n int) string { return loc.Number(int64(n)) },
		// note writes a note the product stored in English (a conversation's "Handed over
		// from … to …") in the reader's language: its first paragraph when the catalog
		// knows it, what follows (a copied transcript) as written.
		"note": func(text string) string {
			head, rest, more := strings.Cut(text, "\n\n")
			head, _ = c.Lookup(loc, head)
			if more {
				return head + "\n\n" + rest
			}
			return head
		},
	}
}
