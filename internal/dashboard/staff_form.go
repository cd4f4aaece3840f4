package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// The staff pages (ADM-1, ADM-7): the list of the organisation's accounts, the form that
// adds one, an account's page (role and practitioner, disable or enable, a new password),
// and the page that shows a password once. Their labels are English catalog keys,
// translated by the templates (TestStaffLabelsTranslated).

// roleLabel is a role as staff read it.
func roleLabel(r clinic.Role) string {
	switch r {
	case clinic.RoleAdministrator:
		return "Administrator"
	case clinic.RoleAppointmentManager:
		return "Appointment manager"
	case clinic.RolePractitioner:
		return "Practitioner"
	case clinic.RoleReception:
		return "Reception"
	}
	return string(r)
}

// roleOption is one entry of a role select.
type roleOption struct {
	Value    clinic.Role
	Label    string
	Selected bool
}

func roleOptions(selected clinic.Role) []roleOption {
	var out []roleOption
	for _, r := range clinic.Roles() {
		out = append(out, roleOption{Value: r, Label: roleLabel(r), Selected: r == selected})
	}
	return out
}

// practitionerOption is one practitioner an account may be linked to. Taken names the
// account linked to it already (another than the one edited): shown, not selectable.
type practitionerOption struct {
	ID       clinic.PractitionerID
	Name     string
	Selected bool
	Taken    string
}

// practitionerOptions lists the organisation's practitioners for the link select, marking
// selected and those another account than self is linked to.
func practitionerOptions(ctx context.Context, tx *store.Tx, org clinic.OrgID, selected clinic.PractitionerID, self clinic.UserID) ([]practitionerOption, error) {
	ps, err := all(func(p store.Page) ([]clinic.Practitioner, error) { return tx.Directory().Practitioners(ctx, org, p) },
		func(p clinic.Practitioner) int64 { return int64(p.ID) })
	if err != nil {
		return nil, err
	}
	users, err := all(func(p store.Page) ([]clinic.User, error) { return tx.Staff().Users(ctx, org, p) },
		func(u clinic.User) int64 { return int64(u.ID) })
	if err != nil {
		return nil, err
	}
	taken := map[clinic.PractitionerID]string{}
	for _, u := range users {
		if u.PractitionerID != 0 && u.ID != self {
			taken[u.PractitionerID] = staffName(u)
		}
	}
	out := make([]practitionerOption, 0, len(ps))
	for _, p := range ps {
		out = append(out, practitionerOption{ID: p.ID, Name: p.Name, Selected: p.ID == selected, Taken: taken[p.ID]})
	}
	return out, nil
}

// staffName is how an account is named on the pages: its name, else its e-mail address.
func staffName(u clinic.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// staffLabels places the staff use cases' field errors under the labels of the forms.
var staffLabels = map[string]fieldLabel{
	"name":             {"name", "Name"},
	"email":            {"email", "E-mail"},
	"role":             {"role", "Role"},
	"practitioner_id":  {"practitioner_id", "Practitioner"},
	"locale":           {"locale", "Language"},
	"current_password": {"current_password", "Current password"},
	"new_password":     {"new_password", "New password"},
	"new_password_2":   {"new_password_2", "New password again"},
	"user":             {"", ""}, // a rule about the account itself: its reason alone
}

// staffNotes turns a refused staff change into the form's notes: each field of a
// validation error, or the one field of a conflict (an e-mail taken, the last
// administrator), under its label.
func staffNotes(err error) formErrors {
	var ce *clinic.ConflictError
	if errors.As(err, &ce) {
		l := staffLabels[ce.Field]
		return formErrors{{Control: l.Control, Label: l.Label, Reason: ce.Reason}}
	}
	return notesOf(err, staffLabels, nil)
}

// readPractitioner reads the practitioner_id of a staff form: "" or "0" for none.
func readPractitioner(r *http.Request) (clinic.PractitionerID, error) {
	s := strings.TrimSpace(r.PostFormValue("practitioner_id"))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, clinic.Invalid("practitioner_id", "does not exist")
	}
	return clinic.PractitionerID(n), nil
}

// staffPost reads the form and the {id} of a POST on one staff account, the start of each
// of them; false when it has answered already (a bad form or id).
func (d *Dashboard) staffPost(w http.ResponseWriter, r *http.Request) (clinic.UserID, bool) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return 0, false
	}
	id, err := staffUserID(r)
	if err != nil {
		d.fail(w, r, err)
		return 0, false
	}
	return id, true
}

// staffUserID reads the {id} of a staff route: anything but a positive number is "not
// found", like an account of another organisation.
func staffUserID(r *http.Request) (clinic.UserID, error) {
	id, err := pathID(r)
	return clinic.UserID(id), err
}
