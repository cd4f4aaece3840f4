package compose

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/i18n"
)

// date is {date}: "Wednesday 14 October", "mercredi 14 octobre", i18n's long date without
// the year. In SMS, French "août" loses its circumflex (see the package doc).
func date(loc i18n.Locale, t time.Time, sms bool) string {
	d := strings.TrimSuffix(loc.LongDate(t), " "+strconv.Itoa(t.Year()))
	if sms && loc == i18n.French {
		d = strings.ReplaceAll(d, "août", "aout")
	}
	return d
}

// clock is {time}: "9:30am", "12:00pm" in English; "9h30", "14h00" in French.
func clock(loc i18n.Locale, t time.Time) string {
	h, m := t.Hour(), t.Minute()
	mm := strconv.Itoa(m)
	if m < 10 {
		mm = "0" + mm
	}
	if loc == i18n.French {
		return strconv.Itoa(h) + "h" + mm
	}
	suffix := "am"
	if h >= 12 {
		suffix = "pm"
	}
	if h = h % 12; h == 0 {
		h = 12
	}
	return strconv.Itoa(h) + ":" + mm + suffix
}

// group is {appointments}: each first name with its time, in time order, joined as a list
// ("Olivia at 9:30am, Noah at 9:45am and Mia at 10:00am"). An appointment without a name is
// its time alone.
func group(loc i18n.Locale, as []Appointment, in func(time.Time) time.Time) string {
	as = slices.Clone(as)
	slices.SortStableFunc(as, func(a, b Appointment) int { return a.Start.Compare(b.Start) })
	at, and := " at ", " and "
	if loc == i18n.French {
		at, and = " à ", " et "
	}
	items := make([]string, 0, len(as))
	for _, a := range as {
		item := clock(loc, in(a.Start))
		if name := clean(a.FirstName); name != "" {
			item = name + at + item
		}
		items = append(items, item)
	}
	return list(items, and)
}

// list joins items as a sentence does: "a", "a and b", "a, b and c" (no serial comma, in
// English as in French).
func list(items []string, and string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + and + items[len(items)-1]
}
