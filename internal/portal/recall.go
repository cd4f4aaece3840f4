package portal

import (
	"errors"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/recall"
)

// The identity check's answers other than a field's (RES-3): one for every check that did
// not pass, whatever the cause, and one for too many attempts.
const (
	msgRecallFailed  = "These details do not match our records, or the link has expired. Please check them, or call your clinic."
	msgRecallTooMany = "Too many attempts. Please wait a while and try again, or call your clinic."
)

// recallPage is the identity-check page a result's or recall's message links to: the form
// until the check passes, then who would like to see the patient and where to book.
type recallPage struct {
	// The form, typed back after a failed check.
	Surname, BirthDate string
	Fields             []clinic.FieldError
	SurnameError       string // a catalog key: the reason next to the input
	BirthDateError     string
	Problem            string // a catalog key: msgRecallFailed or msgRecallTooMany
	// Switch is the other language's code, for the form's language switch.
	Switch string
	// Passed: the check passed, and the fields below are filled.
	Passed       bool
	Clinic       string
	Practitioner string
	Due          string // a recall's due date, YYYY-MM-DD; "" for results
	Open         bool
	BookURL      string // the clinic's portal's booking page; "" when it takes no bookings online
}

// recallVisit is the request's visit at no portal: before the check passes, nothing on the
// page says which clinic sent the link, so the page has no clinic, no header and no footer,
// and speaks the language of ?lang= (its own switch) or the browser's.
func (p *Portal) recallVisit(r *http.Request) *visit {
	return &visit{Locale: page.Negotiate(r, r.URL.Query().Get("lang"), i18n.English)}
}

// noReferrer keeps the page's address, whose path is the link's token, out of the Referer
// of anything the page links to or loads; and the page out of every cache.
func noReferrer(w http.ResponseWriter) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
}

// recallForm shows the identity check (GET /r/{token}). It reads nothing: the page is the
// same whether the link exists, expired or never did (RES-3). The token stays in the path
// (the form posts back to the page's own address) and the access log names the route
// pattern only.
func (p *Portal) recallForm(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	v := p.recallVisit(r)
	p.render(w, r, v, http.StatusOK, "recall", "Confirm who you are", recallPage{Switch: otherLang(v.Locale)})
}

// recallCheck checks the patient's surname and date of birth (POST /r/{token}: surname,
// birth_date) through recall.Service.Check, limited by the client address as the sign-in
// is. A field missing or malformed is named next to its input (422); every other failure
// (no such link, expired, locked, wrong answer) is the one same page (422); too many
// attempts from the address, 429. Once passed, the page names the clinic and the doctor,
// never a test or a result, with the clinic's booking page.
func (p *Portal) recallCheck(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	v := p.recallVisit(r)
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	data := recallPage{Surname: r.PostFormValue("surname"), BirthDate: r.PostFormValue("birth_date"), Switch: otherLang(v.Locale)}
	visit, err := p.d.Recalls.Check(r.Context(), r.PathValue("token"), data.Surname, data.BirthDate, p.d.ClientIP(r))
	var ve *clinic.ValidationError
	switch {
	case err == nil:
		data = recallPage{Passed: true, Clinic: visit.Clinic, Practitioner: visit.Practitioner, Due: visit.Due, Open: visit.Open}
		if visit.Slug != "" {
			data.BookURL = "/p/" + visit.Slug + "/book"
		}
		title := "Your clinic would like to see you"
		if !visit.Open {
			title = "Nothing more to do"
		}
		p.render(w, r, v, http.StatusOK, "recall", title, data)
	case errors.As(err, &ve):
		data.Fields = ve.Fields
		for _, f := range ve.Fields {
			switch f.Field {
			case "surname":
				data.SurnameError = f.Reason
			case "birth_date":
				data.BirthDateError = f.Reason
			}
		}
		p.render(w, r, v, http.StatusUnprocessableEntity, "recall", "Confirm who you are", data)
	case errors.Is(err, recall.ErrCheckFailed):
		data.Problem = msgRecallFailed
		p.render(w, r, v, http.StatusUnprocessableEntity, "recall", "Confirm who you are", data)
	case errors.Is(err, recall.ErrTooMany):
		data.Problem = msgRecallTooMany
		w.Header().Set("Retry-After", "60")
		p.render(w, r, v, http.StatusTooManyRequests, "recall", "Confirm who you are", data)
	default:
		p.fail(w, r, v, err)
	}
}

// otherLang is the code of the language the page's switch offers.
func otherLang(loc i18n.Locale) string {
	if loc == i18n.French {
		return i18n.English.String()
	}
	return i18n.French.String()
}
