package dashboard

import (
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// patientFormPage is the data of templates/patient_form.html, the form that creates a
// patient (ID 0) or edits one.
type patientFormPage struct {
	// NoClinic: the organisation has no clinic, so no database to create patients in.
	NoClinic bool
	// Synced names the clinical software that keeps this clinic's patients (a new patient)
	// or this patient (an edit): staff create and change those there (patient.SoftwareOwns),
	// so the page says so rather than offering fields that would be refused.
	Synced bool
	// MergedInto is the record this one was merged into: it is changed no more.
	MergedInto clinic.PatientID
	ID         clinic.PatientID
	Version    int64 // the version the form was shown at
	Name       string
	Database   string
	Values     patientValues
	Languages  []choice
	Errors     formErrors
	// Message is why the form was refused as a whole (409: changed by someone else).
	Message string
}

// patientValues are the patient form's fields as typed (or as stored, shown again).
type patientValues struct {
	GivenName, FamilyName, BirthDate, Mobile, Email, Language string
}

// patientLabels are the patient form's fields as staff read them, for the notes beside each.
var patientLabels = map[string]fieldLabel{
	"given_name":  {"given_name", "Given name"},
	"family_name": {"family_name", "Family name"},
	"birth_date":  {"birth_date", "Date of birth"},
	"mobile":      {"mobile", "Mobile"},
	"email":       {"email", "E-mail"},
	"language":    {"language", "Language"},
	"database_id": {"", "Clinical database"},
	"external_id": {"", "External id"},
}

// patientLanguages are the languages a patient may be written to in: the ones Tidings' messages
// exist in, and the patient's own when it is another (an import may set any two letters).
func patientLanguages(selected string) []choice {
	out := []choice{{Value: "en", Label: languageLabel("en")}, {Value: "fr", Label: languageLabel("fr")}}
	if selected != "" && selected != "en" && selected != "fr" {
		out = append(out, choice{Value: selected, Label: selected})
	}
	for i := range out {
		out[i].Selected = out[i].Value == selected
	}
	return out
}

// storedValues is the form filled from a stored patient; the mobile as the clinic writes it.
func storedValues(p clinic.Patient, region string) patientValues {
	return patientValues{GivenName: p.GivenName, FamilyName: p.FamilyName, BirthDate: p.BirthDate, Mobile: localPhone(p.Mobile, region),
		Email: p.Email, Language: p.Language}
}

// readPatientForm reads the patient form: what was typed, to show again, and the use case's
// input. synced sends the language only, the one field staff change on a patient of a
// synced database. Every check is the use case's (patient.Normalise), as for the API.
func readPatientForm(r *http.Request, synced bool) (patientValues, patient.Input) {
	v := patientValues{GivenName: r.PostFormValue("given_name"), FamilyName: r.PostFormValue("family_name"),
		BirthDate: strings.TrimSpace(r.PostFormValue("birth_date")), Mobile: r.PostFormValue("mobile"), Email: r.PostFormValue("email"),
		Language: r.PostFormValue("language")}
	if synced {
		return v, patient.Input{Language: &v.Language}
	}
	return v, patient.Input{GivenName: &v.GivenName, FamilyName: &v.FamilyName, BirthDate: &v.BirthDate, Mobile: &v.Mobile,
		Email: &v.Email, Language: &v.Language}
}

// patientEdit shows the form that edits a patient (GET /patients/{id}/edit), at the record's
// version. For a patient of a synced database only the language is offered, the rest shown
// as the clinical software has it; a merged record offers nothing but the record kept. The
// patient's details are shown, so the read is audited ("patient.read"). Another
// organisation's patient is "not found".
func (d *Dashboard) patientEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var f frame
	var page patientFormPage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		p, err := tx.Patients().Patient(ctx, f.Org.ID, clinic.PatientID(id))
		if err != nil {
			return err
		}
		db, err := tx.Directory().Database(ctx, f.Org.ID, p.DatabaseID)
		if err != nil {
			return err
		}
		page = patientForm(p, db, storedValues(p, f.Clinic.Region))
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "patient_form", View: view{Title: "Edit patient", Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.read", []clinic.PatientID{page.ID}}}})
}

// patientForm is the edit form of p, of database db, filled with v.
func patientForm(p clinic.Patient, db clinic.Database, v patientValues) patientFormPage {
	return patientFormPage{ID: p.ID, Version: p.Version, Name: p.FullName(), Database: db.Name, Values: v, Languages: patientLanguages(v.Language),
		Synced: patient.SoftwareOwns(db.Kind, "given_name"), MergedInto: p.MergedInto}
}
