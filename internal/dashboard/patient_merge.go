package dashboard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// mergeSearchSize bounds the records a merge search lists; a longer list asks for a more
// precise search.
const mergeSearchSize = 20

// patientMergePage is the data of templates/patient_merge.html: the search for the record to
// merge into patient ID (the record kept), then the confirmation showing both side by side
// and what moves.
type patientMergePage struct {
	ID       clinic.PatientID
	Name     string
	Database string
	// Synced: the patient's database is synced, so its clinical software merges its records
	// (patient.ErrSyncedMerge): the page says so and offers no search.
	Synced bool
	// MergedInto: this record was merged into another already.
	MergedInto clinic.PatientID

	// The search: the text (echoed into the form body only, never a URL) and the records it
	// found in the same database.
	Query       string
	Searched    bool
	SearchError string
	Candidates  []patientRow
	More        bool

	// The confirmation (Confirm): both records, the rows that move, and whether the record
	// kept will have its notifications switched off (the other's were).
	Confirm   bool
	Keep      mergeSide
	Remove    mergeSide
	Counts    []mergeCount
	SwitchOff bool
	// Problem is why these two records cannot be merged (the use case's words); Message why
	// the merge was refused when sent.
	Problem string
}

// mergeSide is one record as the confirmation shows it.
type mergeSide struct {
	ID                                     clinic.PatientID
	Name, GivenName, FamilyName, BirthDate string
	Age                                    *age
	Mobile, Email, Language, ExternalID    string
	NotificationsOn                        bool
	Created                                string
}

// mergeCount is one kind of row naming the record merged, with what the merge does with it.
type mergeCount struct {
	Label string
	Count int
	Stays bool // history kept as written (the audit log)
}

// mergeLabels names each of store.PatientRefs as staff read it; a reference without a label
// is refused by TestMergeLabels, so a new one cannot show as a table name.
func mergeLabels() map[string]string {
	return map[string]string{
		"appointments.patient_id":            "Appointments",
		"patient_relatives.patient_id":       "Links to relatives",
		"consent_records.patient_id":         "Consent changes",
		"consent_decisions.patient_id":       "Decisions of the communication log",
		"notifications.patient_id":           "Messages",
		"sms_inbox.patient_id":               "SMS received",
		"push_subscriptions.patient_id":      "Devices registered for push notifications",
		"results.patient_id":                 "Results synced from the clinical software",
		"recalls.patient_id":                 "Recalls synced from the clinical software",
		"recall_sequences.patient_id":        "Result and recall follow-ups, with their messages",
		"conversations.patient_id":           "Secure message conversations",
		"messages.author_patient_id":         "Secure messages the patient wrote",
		"message_events.patient_id":          "Secure messaging history",
		"patients.merged_into":               "Records merged into it before",
		"portal_account_patients.patient_id": "Patient portal account",
		"waitlist_entries.patient_id":        "Waitlist entries",
		"waitlist_offers.patient_id":         "Waitlist offers",
		"audit_log.patient_id":               "Audit log entries",
	}
}

// sideOf is patient p as the confirmation shows it, in frame f's clinic.
func sideOf(f frame, p clinic.Patient, now time.Time) mergeSide {
	return mergeSide{ID: p.ID, Name: p.FullName(), GivenName: p.GivenName, FamilyName: p.FamilyName, BirthDate: civilDate(p.BirthDate),
		Age: ageOn(p.BirthDate, now, f.Loc), Mobile: localPhone(p.Mobile, f.Clinic.Region), Email: p.Email, Language: languageLabel(p.Language),
		ExternalID: p.ExternalID, NotificationsOn: !p.NotificationsOff, Created: f.stamp(p.CreatedAt)}
}

// loadMerge reads the record kept (id) and its database into a merge page.
func loadMerge(ctx context.Context, tx *store.Tx, f frame, id clinic.PatientID) (patientMergePage, clinic.Patient, clinic.Database, error) {
	p, err := tx.Patients().Patient(ctx, f.Org.ID, id)
	if err != nil {
		return patientMergePage{}, p, clinic.Database{}, err
	}
	db, err := tx.Directory().Database(ctx, f.Org.ID, p.DatabaseID)
	if err != nil {
		return patientMergePage{}, p, db, err
	}
	page := patientMergePage{ID: p.ID, Name: p.FullName(), Database: db.Name, Synced: db.Kind != clinic.KindBuiltin, MergedInto: p.MergedInto}
	return page, p, db, nil
}

// patientMerge shows the first step of "Merge with another record…" from a patient file
// (GET /patients/{id}/merge): a search for the other record of the same database, the one
// merged into this one. For a synced database it says that its clinical software merges
// the records instead. The patient named is audited as read.
func (d *Dashboard) patientMerge(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var f frame
	var page patientMergePage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, _, _, err = loadMerge(ctx, tx, f, clinic.PatientID(id))
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "patient_merge", View: view{Title: "Merge records", Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.read", []clinic.PatientID{page.ID}}}})
}

// mergeConfirmation fills page's confirmation of merging remove into keep (of database db):
// both records, the rows that move, and the problem when they cannot be merged.
func (d *Dashboard) mergeConfirmation(ctx context.Context, tx *store.Tx, f frame, page *patientMergePage, keep, remove clinic.Patient, db clinic.Database) error {
	now := d.now()
	page.Confirm, page.Keep, page.Remove = true, sideOf(f, keep, now), sideOf(f, remove, now)
	if err := patient.MergeProblem(keep, remove, db); err != nil {
		if !formError(err) {
			return err
		}
		page.Problem = problemText(err)
		return nil
	}
	page.SwitchOff = remove.NotificationsOff && !keep.NotificationsOff
	counts, err := tx.Patients().CountPatientReferences(ctx, f.Org.ID, remove.ID)
	if err != nil {
		return err
	}
	// Relatives: the links that move are those of the record removed to someone the record
	// kept is not linked with already (and not to the record kept itself).
	moving, err := movingRelatives(ctx, tx, f.Org.ID, keep.ID, remove.ID)
	if err != nil {
		return err
	}
	labels := mergeLabels()
	for _, c := range counts {
		if c.Ref.Rule == store.MergeRelatives {
			if c.Ref.Column != "patient_id" {
				continue
			}
			c.Count = moving
		}
		label, ok := labels[c.Ref.Key()]
		if !ok {
			label = c.Ref.Key()
		}
		page.Counts = append(page.Counts, mergeCount{Label: label, Count: c.Count, Stays: c.Ref.Rule == store.MergeKeep})
	}
	return nil
}

// movingRelatives counts the relatives' links a merge of remove into keep moves.
func movingRelatives(ctx context.Context, tx *store.Tx, org clinic.OrgID, keep, remove clinic.PatientID) (int, error) {
	theirs, err := tx.Patients().Relatives(ctx, org, remove)
	if err != nil {
		return 0, err
	}
	ours, err := tx.Patients().Relatives(ctx, org, keep)
	if err != nil {
		return 0, err
	}
	linked := map[clinic.PatientID]bool{keep: true}
	for _, x := range ours {
		linked[x.Patient.ID] = true
	}
	n := 0
	for _, x := range theirs {
		if !linked[x.Patient.ID] {
			n++
		}
	}
	return n, nil
}

// problemText is the sentence a merge page shows for a refusal: a field error's reason about
// the other record, or a conflict's own words.
func problemText(err error) string {
	var ce *clinic.ConflictError
	switch {
	case errors.Is(err, patient.ErrSyncedMerge):
		return msgSyncedMerge
	case errors.Is(err, patient.ErrMerged):
		return "One of these records was merged into another already."
	case errors.As(err, &ce):
		return ce.Reason
	}
	if fs := clinic.FieldsOf(err); len(fs) > 0 {
		return "The other record " + fs[0].Reason + "."
	}
	return "These records cannot be merged."
}

// msgSyncedMerge is what a merge page says for a synced database.
const msgSyncedMerge = "Duplicate records of this clinical database are merged in its clinical software: a merge made here would be undone by its next update."
