package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// maxQuery bounds the search text; no name, number or address is longer.
const maxQuery = 200

// patientSearch finds patients of the current clinic's clinical database by name, mobile
// number or e-mail address (POST /patients/search, field q, optional after). The text is patient data, so it comes in
// the body, is never logged and never appears in a URL. A request from htmx (HX-Request)
// gets the results fragment only; any other gets the whole page. Each patient shown is
// audited as "patient.search".
func (d *Dashboard) patientSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	page := patientsPage{Searched: true, Query: strings.TrimSpace(r.PostFormValue("q"))}
	var after int64
	if s := r.PostFormValue("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			d.fail(w, r, clinic.Invalid("after", "must be a positive whole number"))
			return
		}
		after = n
	}
	var f frame
	var ps []clinic.Patient
	status := http.StatusOK
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		scope, err := d.patientScope(ctx, tx, f, &page)
		if err != nil {
			return err
		}
		filter, err := searchFilter(page.Query, f.Clinic.Region)
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			status, page.Error = http.StatusUnprocessableEntity, "Search text "+ve.Fields[0].Reason+"."
			return nil
		}
		if err != nil {
			return err
		}
		filter.DatabaseID = scope
		ps, err = tx.Patients().ListPatients(ctx, f.Org.ID, filter, store.Page{After: after, Limit: patientPageSize + 1})
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ids := page.fill(ps, f, d.now())
	rp := reply{
		Status: status,
		Page:   "patients",
		View:   view{Title: "Patient search", Header: f.header(r, "patients"), Data: page},
		Audit:  []audit{{"patient.search", ids}},
	}
	w.Header().Add("Vary", "HX-Request")
	if r.Header.Get("HX-Request") == "true" {
		rp.Block = "results"
	}
	d.send(w, r, rp)
}

// searchFilter reads what the search text is: an e-mail address when it holds an "@", a
// phone number when it holds only digits and phone punctuation (at least six digits), a
// name otherwise. Numbers are read in the clinic's region and matched in E.164, as stored.
func searchFilter(q, region string) (store.PatientFilter, error) {
	var f store.PatientFilter
	switch {
	case q == "":
		return f, clinic.Invalid("q", "is empty: enter a name, mobile number or e-mail address")
	case len(q) > maxQuery:
		return f, clinic.Invalid("q", fmt.Sprintf("is longer than %d characters", maxQuery))
	case strings.Contains(q, "@"):
		email, err := contact.Email(q)
		if err != nil {
			return f, clinic.Invalid("q", "is not a valid e-mail address")
		}
		f.Email = email
	case looksLikePhone(q):
		if region == "" {
			// No clinic, so no region to read a national number in; an international one
			// does not need it, and any known region parses it the same way.
			if !strings.HasPrefix(q, "+") {
				return f, clinic.Invalid("q", "must be a phone number in international form (+…) until a clinic is set up")
			}
			region = "AU"
		}
		n, err := contact.Mobile(q, region)
		if err != nil {
			// A landline typed by mistake still matches nothing, rather than failing.
			n, err = contact.Phone(q, region)
		}
		var ce *contact.Error
		if errors.As(err, &ce) {
			return f, clinic.Invalid("q", "is not a valid phone number")
		}
		if err != nil {
			return f, fmt.Errorf("search by phone in region %s: %w", region, err)
		}
		f.Mobile = n
	default:
		if len(strings.Fields(store.SearchKey(q))) == 0 {
			return f, clinic.Invalid("q", "must contain letters or digits")
		}
		if p := patient.SearchNameProblem(q); p != "" {
			return f, clinic.Invalid("q", p)
		}
		f.Name = q
	}
	return f, nil
}

// looksLikePhone reports whether q is written like a phone number.
func looksLikePhone(q string) bool {
	digits := 0
	for _, c := range q {
		switch {
		case unicode.IsDigit(c):
			digits++
		case strings.ContainsRune(" +-().", c):
		default:
			return false
		}
	}
	return digits >= 6
}
