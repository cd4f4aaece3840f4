package i18n

import (
	"strconv"
	"time"

	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// The formats below take a time as it is: convert it to the clinic's zone (t.In(loc))
// before formatting an instant. A civil date (a birth date, a day of the agenda) is a time at
// midnight UTC and is shown as it is.

var (
	enDays        = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	enDaysShort   = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	enMonths      = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	enMonthsShort = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	frDays        = [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frDaysShort   = [7]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
	frMonths      = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	frMonthsShort = [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
)

// Weekday is the name of a day of the week: "Monday", "lundi".
func (l Locale) Weekday(d time.Weekday) string {
	if l == French {
		return frDays[d]
	}
	return enDays[d]
}

// dayOfMonth writes the day, "1er" for the first of the month in French.
func (l Locale) dayOfMonth(t time.Time) string {
	if l == French && t.Day() == 1 {
		return "1er"
	}
	return strconv.Itoa(t.Day())
}

func (l Locale) month(t time.Time, short bool) string {
	switch {
	case l == French && short:
		return frMonthsShort[t.Month()-1]
	case l == French:
		return frMonths[t.Month()-1]
	case short:
		return enMonthsShort[t.Month()-1]
	}
	return enMonths[t.Month()-1]
}

func (l Locale) weekdayShort(t time.Time) string {
	if l == French {
		return frDaysShort[t.Weekday()]
	}
	return enDaysShort[t.Weekday()]
}

// LongDate is "Tuesday 3 March 2026", "mardi 3 mars 2026".
func (l Locale) LongDate(t time.Time) string {
	return l.Weekday(t.Weekday()) + " " + l.DayMonthYear(t)
}

// DayMonthYear is "3 March 2026", "3 mars 2026".
func (l Locale) DayMonthYear(t time.Time) string {
	return l.dayOfMonth(t) + " " + l.month(t, false) + " " + strconv.Itoa(t.Year())
}

// Date is a short date without the weekday, for birth dates: "9 Dec 1980", "9 déc. 1980".
func (l Locale) Date(t time.Time) string {
	return l.dayOfMonth(t) + " " + l.month(t, true) + " " + strconv.Itoa(t.Year())
}

// DayDate is a short date with the weekday: "Wed 8 Apr 2026", "mer. 8 avr. 2026".
func (l Locale) DayDate(t time.Time) string {
	return l.weekdayShort(t) + " " + l.Date(t)
}

// Day is a day of a week shown: "Mon 30 Mar", "lun. 30 mars".
func (l Locale) Day(t time.Time) string {
	return l.weekdayShort(t) + " " + l.dayOfMonth(t) + " " + l.month(t, true)
}

// Time is the time of day on the 24-hour clock, "09:30", in both languages.
func (l Locale) Time(t time.Time) string { return t.Format("15:04") }

// Span is a start and end time, "09:00–09:15".
func (l Locale) Span(start, end time.Time) string { return l.Time(start) + "–" + l.Time(end) }

// Stamp is an instant with its weekday, date, time and zone abbreviation:
// "Wed 8 Apr 2026 09:00 AEST", "mer. 8 avr. 2026 09:00 CEST".
func (l Locale) Stamp(t time.Time) string {
	return l.DayDate(t) + " " + l.Time(t) + " " + t.Format("MST")
}

// WeekRange names the days from first to last (a week): "30 March – 5 April 2026",
// "3 – 9 August 2026", or both years when it spans a new year.
func (l Locale) WeekRange(first, last time.Time) string {
	switch {
	case first.Year() != last.Year():
		return l.DayMonthYear(first) + " – " + l.DayMonthYear(last)
	case first.Month() != last.Month():
		return l.dayOfMonth(first) + " " + l.month(first, false) + " – " + l.DayMonthYear(last)
	}
	return l.dayOfMonth(first) + " – " + l.DayMonthYear(last)
}

// Number writes an integer with the locale's digit grouping (CLDR): "1,234", "1 234"
// (a no-break space).
func (l Locale) Number(n int64) string {
	return message.NewPrinter(l.Tag()).Sprint(number.Decimal(n))
}

// Decimal writes a number with up to digits decimals: "1,234.5", "1 234,5".
func (l Locale) Decimal(f float64, digits int) string {
	return message.NewPrinter(l.Tag()).Sprint(number.Decimal(f, number.MaxFractionDigits(digits)))
}
