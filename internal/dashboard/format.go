package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// maxForm bounds the body of the dashboard's form posts; none needs more than a few fields.
const maxForm = 64 << 10

// parseForm reads a small urlencoded form body. Errors map to 413 (too large) or 400.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: form: %w", web.ErrMalformed, err)
	}
	return nil
}

// localPath returns next when it is a path on this site ("/agenda?date=…"), else fallback.
// Only a single leading slash is accepted: "//host" and "/\host" are read by browsers as
// another site, so a crafted link could not bounce a user off-site after signing in.
func localPath(next, fallback string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return next
}

// queryID reads an optional positive id from the query string; field names the parameter
// in the validation error.
func queryID(r *http.Request, field string) (int64, error) {
	s := r.URL.Query().Get(field)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, clinic.Invalid(field, "must be a positive whole number")
	}
	return n, nil
}

// valuesID reads an optional id field of a form's values (0 when empty), adding a problem
// to errs when it is not a whole number: the forms that report every field at once.
func valuesID(v url.Values, field string, errs *clinic.ValidationError) int64 {
	s := v.Get(field)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		errs.Add(field, "must be a positive whole number")
		return 0
	}
	return n
}

// The labels below are English catalog keys: templates translate them ({{t .StatusLabel}}),
// and a test checks the French catalog has each.

func statusLabel(s clinic.Status) string {
	switch s {
	case clinic.StatusBooked:
		return "Booked"
	case clinic.StatusConfirmed:
		return "Confirmed"
	case clinic.StatusArrived:
		return "Arrived"
	case clinic.StatusSeen:
		return "Seen"
	case clinic.StatusNoShow:
		return "No show"
	case clinic.StatusExcusedAbsence:
		return "Excused absence"
	case clinic.StatusCancelled:
		return "Cancelled"
	}
	return string(s)
}

func bookedByLabel(b clinic.BookedBy) string {
	switch b {
	case clinic.BookedByStaff:
		return "Staff"
	case clinic.BookedByPatient:
		return "Patient (online)"
	case clinic.BookedBySync:
		return "Clinical software"
	}
	return string(b)
}

func relationshipLabel(r clinic.Relationship) string {
	switch r {
	case clinic.RelParent:
		return "Parent"
	case clinic.RelChild:
		return "Child"
	case clinic.RelSpouse:
		return "Spouse"
	case clinic.RelGuardian:
		return "Guardian"
	case clinic.RelOther:
		return "Other"
	}
	return string(r)
}

func languageLabel(tag string) string {
	switch tag {
	case "en":
		return "English"
	case "fr":
		return "French"
	case "":
		return ""
	}
	return tag
}

// civilDate passes a stored YYYY-MM-DD date (a birth date has no zone) through unchanged:
// the templates' date function writes it in the page's language ("9 Dec 1980", "9 déc.
// 1980"), and shows a malformed one as stored.
func civilDate(s string) string { return s }

// span shows an appointment's local start and end, e.g. "09:00–09:15": the 24-hour clock,
// the same in English and French (i18n.Locale.Span).
func span(start, end time.Time, loc *time.Location) string {
	return start.In(loc).Format("15:04") + "–" + end.In(loc).Format("15:04")
}

// localPhone shows a stored E.164 number as people of the clinic's region write it: in the
// national format when the number is of that country ("06 12 34 56 78" for +33612345678 in
// a French clinic, "0412 345 678" for +61412345678 in an Australian one), in the
// international format otherwise ("+33 6 12 34 56 78" in an Australian clinic), so a
// foreign number keeps its country code. Only the display changes: numbers are stored, sent
// and searched in E.164. A number that does not parse, or a clinic without a region, shows
// as stored.
func localPhone(e164, region string) string {
	if e164 == "" {
		return ""
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	if region != "" && phonenumbers.GetRegionCodeForNumber(num) == strings.ToUpper(region) {
		return phonenumbers.Format(num, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

// age is how old a patient is today, as the patient list shows it: whole years, or whole
// months under two years (a paediatric habit).
type age struct {
	N      int
	Months bool
}

// ageOn is the age of someone born on birth (a stored YYYY-MM-DD, no zone) on the civil date
// of today in loc, the clinic's zone (a birthday comes at the clinic's midnight, not UTC's).
// nil when birth is empty, malformed or after today. Someone born on 29 February turns a
// year older on 1 March in other years.
func ageOn(birth string, today time.Time, loc *time.Location) *age {
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return nil
	}
	ty, tm, td := today.In(loc).Date()
	by, bm, bd := b.Date()
	if ty < by || (ty == by && (tm < bm || (tm == bm && td < bd))) {
		return nil
	}
	months := (ty-by)*12 + int(tm-bm)
	if td < bd {
		months--
	}
	if months < 24 {
		return &age{N: months, Months: true}
	}
	return &age{N: months / 12}
}
