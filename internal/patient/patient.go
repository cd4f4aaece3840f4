// Package patient holds the use cases that change patient records: create, update and link
// relatives, with the one normalisation every writer applies (names trimmed and bounded, a
// two-letter language, a birth date between 1900 and today, mobile numbers in E.164 read
// with the region of the patient's clinics, e-mail addresses checked). The API and the
// dashboard call it today; sync, CSV import and the portal call it next, so a patient
// written by any of them is written the same way.
//
// Each use case checks the actor's permission, runs one transaction and writes the audit
// row (ADM-2) with it. A patient actor reaches only their own records and those of the
// relatives they manage: anything else is "not found".
//
// Who owns a field. A patient of a builtin database is Tidings' own record, and staff create,
// edit and merge it here (ADM-7). A patient of a synced database (FHIR, HL7 v2, CSV) is the
// clinical software's record: its names, birth date, contact details and identifiers are
// changed there, since the next update from it would undo a change made here (SoftwareOwns).
// So staff may change only what Tidings itself owns on such a record (the language messages
// are written in, the switch, consent); integrations (API tokens, the system) write the
// clinical software's values. Merging duplicates of a synced database is the clinical
// software's too (in HL7 v2, an A40 message), never Tidings'.
//
// A record merged into another (Merge) stays, so links to it resolve, but is changed no more:
// every use case refuses it with ErrMerged and points at the record kept.
//
// It must not import the web surfaces.
package patient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
	"unicode/utf8"
)

// Service runs the patient use cases over a database.
type Service struct{ db *store.DB }

// New returns the Service over db.
func New(db *store.DB) *Service { return &Service{db: db} }

// Input creates or updates a patient; a nil field is left as it is. mobile takes national
// or international formats and is stored in E.164; an empty string clears it, as for email
// and birth_date.
type Input struct {
	DatabaseID *int64  `json:"database_id"`
	ExternalID *string `json:"external_id"`
	GivenName  *string `json:"given_name"`
	FamilyName *string `json:"family_name"`
	BirthDate  *string `json:"birth_date"`
	Mobile     *string `json:"mobile"`
	Email      *string `json:"email"`
	Language   *string `json:"language"`
	PMSOptOut  *bool   `json:"pms_opt_out"`
}

// The limits of a patient record.
const (
	MaxName       = 100
	MaxExternalID = 100
)

// RegionOf is the region used to read a national phone number: that of a clinic using the
// patient's database (they share a country in practice), AU when none does yet.
func RegionOf(ctx context.Context, tx *store.Tx, org clinic.OrgID, db clinic.DatabaseID) (string, error) {
	cs, err := tx.Directory().ClinicsOfDatabase(ctx, org, db)
	if err != nil || len(cs) == 0 {
		return "AU", err
	}
	return cs[0].Region, nil
}

// ContactError turns a contact validation error into a field error on c; other errors are
// returned.
func ContactError(c *input.Checker, field string, err error) error {
	var ce *contact.Error
	if errors.As(err, &ce) {
		c.Add(field, ce.Reason)
		return nil
	}
	return err
}

// Normalise validates in and merges it into v, reading what it needs (the database, the
// region of its clinics) in tx. It is the one place a patient's fields are checked.
func Normalise(ctx context.Context, tx *store.Tx, org clinic.OrgID, in Input, v *clinic.Patient, creating bool) error {
	var c input.Checker
	c.Text("given_name", in.GivenName, &v.GivenName, creating, true, MaxName)
	c.Text("family_name", in.FamilyName, &v.FamilyName, creating, true, MaxName)
	c.Text("external_id", in.ExternalID, &v.ExternalID, creating, false, MaxExternalID)
	if creating {
		v.Language = "en"
	}
	if in.Language != nil {
		l := strings.ToLower(strings.TrimSpace(*in.Language))
		if len(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z' {
			c.Add("language", "must be a two-letter language code such as en or fr")
		} else {
			v.Language = l
		}
	}
	if in.PMSOptOut != nil {
		// Set through the API or an import: the value "as read from the clinical software",
		// read now (CON-1).
		now := tx.Now
		v.PMSOptOut, v.PMSOptOutReadAt = *in.PMSOptOut, &now
	}
	if in.BirthDate != nil {
		if *in.BirthDate == "" {
			v.BirthDate = ""
		} else if d, err := time.Parse(time.DateOnly, *in.BirthDate); err != nil {
			c.Add("birth_date", "must be a date written YYYY-MM-DD")
		} else if d.Year() < input.MinYear || d.After(tx.Now) {
			c.Add("birth_date", "must be between 1900-01-01 and today")
		} else {
			v.BirthDate = d.Format(time.DateOnly)
		}
	}
	if err := c.Ref("database_id", in.DatabaseID, creating,
		func(id int64) error { _, err := tx.Directory().Database(ctx, org, clinic.DatabaseID(id)); return err },
		func(id int64) { v.DatabaseID = clinic.DatabaseID(id) }); err != nil {
		return err
	}
	if in.Mobile != nil {
		if strings.TrimSpace(*in.Mobile) == "" {
			v.Mobile = ""
		} else if v.DatabaseID != 0 {
			region, err := RegionOf(ctx, tx, org, v.DatabaseID)
			if err != nil {
				return err
			}
			m, err := contact.Mobile(*in.Mobile, region)
			if err != nil {
				if err := ContactError(&c, "mobile", err); err != nil {
					return err
				}
			} else {
				v.Mobile = m
			}
		}
	}
	if in.Email != nil {
		if strings.TrimSpace(*in.Email) == "" {
			v.Email = ""
		} else if e, err := contact.Email(*in.Email); err != nil {
			if err := ContactError(&c, "email", err); err != nil {
				return err
			}
		} else {
			v.Email = e
		}
	}
	return c.Err()
}

// allow checks a staff, token or system actor's permission; patients change their own
// records through the portal's use cases, not these. Setting the clinical software's opt-out
// flag (an integration reporting the PMS value, CON-1) changes who is messaged, so it needs
// the consent permission too (appointment managers and above), as the consent does.
func allow(actor clinic.Actor, what string, in Input) error {
	if actor.Kind == clinic.ActorPatient || !actor.Can(clinic.PermWritePatients) {
		return fmt.Errorf("%s: %s needs %s: %w", what, actor.Label, clinic.PermWritePatients, clinic.ErrForbidden)
	}
	if in.PMSOptOut != nil && !actor.Can(clinic.PermPatientConsent) {
		return fmt.Errorf("%s: pms_opt_out: %s needs %s: %w", what, actor.Label, clinic.PermPatientConsent, clinic.ErrForbidden)
	}
	return nil
}

var errExternalID = &clinic.ConflictError{Field: "external_id", Reason: "another patient of this database has this external id"}

// ErrMerged refuses a change to a record merged into another: the record kept is the one to
// change. It is a *clinic.ConflictError (409).
var ErrMerged = &clinic.ConflictError{Field: "merged_into", Reason: "this record was merged into another one: change the record kept"}

// ErrStale refuses an update made from a form shown at an older version of the record
// (UpdateIfVersion). It is a *clinic.ConflictError (409).
var ErrStale = &clinic.ConflictError{Field: "version", Reason: "the patient record was changed by someone else; reload it"}

// SoftwareOwnsReason is the field error of a field that staff may not change on a patient of
// a synced database.
const SoftwareOwnsReason = "is kept by the clinical software: change it there"

// softwareFields are the Input fields that the clinical software owns on a patient of a
// synced database.
var softwareFields = []string{"database_id", "external_id", "given_name", "family_name", "birth_date", "mobile", "email", "pms_opt_out"}

// SoftwareOwns reports whether, on a patient of a database of kind k, field (an Input field:
// given_name, mobile, …) is the clinical software's to change: every field but the language
// for a synced database, none for a builtin one. The dashboard shows such fields read-only;
// the use cases refuse a staff change to them.
func SoftwareOwns(k clinic.DatabaseKind, field string) bool {
	return k != clinic.KindBuiltin && slices.Contains(softwareFields, field)
}

// given lists the Input fields in sets, by their JSON names.
func (in Input) given() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"database_id", in.DatabaseID != nil}, {"external_id", in.ExternalID != nil}, {"given_name", in.GivenName != nil},
		{"family_name", in.FamilyName != nil}, {"birth_date", in.BirthDate != nil}, {"mobile", in.Mobile != nil}, {"email", in.Email != nil},
		{"language", in.Language != nil}, {"pms_opt_out", in.PMSOptOut != nil}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// checkOwner refuses, for a staff actor, the fields of in that the clinical software owns on
// a patient of database d (SoftwareOwns). Integrations write them as its values.
func checkOwner(actor clinic.Actor, d clinic.Database, in Input) error {
	if actor.Kind != clinic.ActorStaff {
		return nil
	}
	var v clinic.ValidationError
	for _, f := range in.given() {
		if SoftwareOwns(d.Kind, f) {
			v.Add(f, SoftwareOwnsReason)
		}
	}
	return v.Err()
}

// Create adds a patient record. Staff create patients of builtin databases only: those of a
// synced database come from its clinical software (a database_id field error says so).
//
// Errors: clinic.ErrForbidden, *clinic.ValidationError, a *clinic.ConflictError on
// external_id when another patient of the database has it.
func (s *Service) Create(ctx context.Context, actor clinic.Actor, in Input) (clinic.Patient, error) {
	var p clinic.Patient
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		p, err = createTx(ctx, tx, actor, in)
		return err
	})
	return p, err
}

// createTx is Create in the caller's transaction.
func createTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, in Input) (clinic.Patient, error) {
	var p clinic.Patient
	if err := allow(actor, "create patient", in); err != nil {
		return p, err
	}
	if err := Normalise(ctx, tx, actor.OrgID, in, &p, true); err != nil {
		return p, err
	}
	d, err := tx.Directory().Database(ctx, actor.OrgID, p.DatabaseID)
	if err != nil {
		return p, err
	}
	if actor.Kind == clinic.ActorStaff && d.Kind != clinic.KindBuiltin {
		return p, clinic.Invalid("database_id", "is synced from the clinical software: create the patient there")
	}
	if p, err = tx.Patients().CreatePatient(ctx, actor.OrgID, p); err != nil {
		if errors.Is(err, clinic.ErrConflict) {
			return p, errExternalID
		}
		return p, err
	}
	if in.PMSOptOut != nil {
		if err := recordPMS(ctx, tx, actor, p); err != nil {
			return p, err
		}
	}
	return p, audit.Record(ctx, tx, actor, "patient.create", p.ID)
}

// Update changes a patient record. On a patient of a synced database, staff may change only
// what Tidings owns (SoftwareOwns).
//
// Errors: clinic.ErrForbidden, clinic.ErrNotFound, *clinic.ValidationError (a field the
// clinical software owns: SoftwareOwnsReason), ErrMerged, the *clinic.ConflictError of
// Create.
func (s *Service) Update(ctx context.Context, actor clinic.Actor, id clinic.PatientID, in Input) (clinic.Patient, error) {
	return s.update(ctx, actor, id, 0, in)
}

// UpdateIfVersion is Update for a form shown at version of the record: it is refused with
// ErrStale when someone else changed the record since, rather than overwriting their change.
//
// Errors: those of Update, and ErrStale.
func (s *Service) UpdateIfVersion(ctx context.Context, actor clinic.Actor, id clinic.PatientID, version int64, in Input) (clinic.Patient, error) {
	if version <= 0 {
		return clinic.Patient{}, clinic.Invalid("version", "must be a positive whole number")
	}
	return s.update(ctx, actor, id, version, in)
}

// update is Update, checked against version when it is not 0.
func (s *Service) update(ctx context.Context, actor clinic.Actor, id clinic.PatientID, version int64, in Input) (clinic.Patient, error) {
	var p clinic.Patient
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		p, err = updateTx(ctx, tx, actor, id, version, in)
		return err
	})
	return p, err
}

// updateTx is update in the caller's transaction.
func updateTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, id clinic.PatientID, version int64, in Input) (p clinic.Patient, err error) {
	if err := allow(actor, "update patient", in); err != nil {
		return p, err
	}
	if p, err = tx.Patients().Patient(ctx, actor.OrgID, id); err != nil {
		return p, err
	}
	if p.MergedInto != 0 {
		return p, fmt.Errorf("update patient %d merged into %d: %w", p.ID, p.MergedInto, ErrMerged)
	}
	if version != 0 && version != p.Version {
		return p, fmt.Errorf("update patient %d at version %d, now %d: %w", p.ID, version, p.Version, ErrStale)
	}
	d, err := tx.Directory().Database(ctx, actor.OrgID, p.DatabaseID)
	if err != nil {
		return p, err
	}
	if err := checkOwner(actor, d, in); err != nil {
		return p, err
	}
	wasOut := p.PMSOptOut
	if err := Normalise(ctx, tx, actor.OrgID, in, &p, false); err != nil {
		return p, err
	}
	if p, err = tx.Patients().UpdatePatient(ctx, actor.OrgID, p); err != nil {
		var ce *clinic.ConflictError
		if errors.As(err, &ce) && ce.Field == "version" {
			return p, ErrStale // changed between the read and the write, on PostgreSQL
		}
		if errors.Is(err, clinic.ErrConflict) {
			return p, errExternalID
		}
		return p, err
	}
	if in.PMSOptOut != nil && p.PMSOptOut != wasOut {
		if err := recordPMS(ctx, tx, actor, p); err != nil {
			return p, err
		}
	}
	return p, audit.Record(ctx, tx, actor, "patient.update", p.ID)
}

// RelativeInput links a relative: relationship says what relative_id is to the patient.
type RelativeInput struct {
	RelativeID   *int64  `json:"relative_id"`
	Relationship *string `json:"relationship"`
}

// LinkRelative records that in.RelativeID is in.Relationship to patient id (both of the
// same clinical database) and returns the patient's relatives. Errors: clinic.ErrForbidden,
// clinic.ErrNotFound for the patient, *clinic.ValidationError.
func (s *Service) LinkRelative(ctx context.Context, actor clinic.Actor, id clinic.PatientID, in RelativeInput) ([]clinic.Relative, error) {
	var out []clinic.Relative
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := allow(actor, "link relative", Input{}); err != nil {
			return err
		}
		org := actor.OrgID
		p, err := tx.Patients().Patient(ctx, org, id)
		if err != nil {
			return err
		}
		if p.MergedInto != 0 {
			return fmt.Errorf("link relative of patient %d merged into %d: %w", p.ID, p.MergedInto, ErrMerged)
		}
		var c input.Checker
		rel := clinic.Relationship("")
		if c.Required("relationship", in.Relationship != nil, true) {
			if rel = clinic.Relationship(*in.Relationship); !rel.Valid() {
				c.Add("relationship", "must be one of parent, child, spouse, guardian, other")
			}
		}
		var other clinic.Patient
		if err := c.Ref("relative_id", in.RelativeID, true,
			func(rid int64) (err error) {
				other, err = tx.Patients().Patient(ctx, org, clinic.PatientID(rid))
				return err
			},
			func(int64) {}); err != nil {
			return err
		}
		if other.ID != 0 && other.ID == p.ID {
			c.Add("relative_id", "must be another patient")
		} else if other.ID != 0 && other.DatabaseID != p.DatabaseID {
			c.Add("relative_id", "must be a patient of the same clinical database")
		} else if other.MergedInto != 0 {
			c.Add("relative_id", "was merged into another record: link the record kept")
		}
		if err := c.Err(); err != nil {
			return err
		}
		if err := tx.Patients().LinkRelatives(ctx, org, other.ID, p.ID, rel); err != nil {
			return err
		}
		if out, err = tx.Patients().Relatives(ctx, org, p.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "patient.link_relative", p.ID, other.ID)
	})
	return out, err
}

// The bounds of a name search: no name is longer, and every word becomes a condition of
// the query (unbounded, a thousand words exceed SQLite's expression depth and, at some
// 32,000, PostgreSQL's parameter limit).
const (
	MaxSearchLen   = 200
	MaxSearchWords = 8
)

// SearchNameProblem says what is wrong with a name to search for, or "" when it is fine.
func SearchNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) != "" && len(strings.Fields(store.SearchKey(name))) == 0:
		return "must contain letters or digits"
	case utf8.RuneCountInString(name) > MaxSearchLen:
		return fmt.Sprintf("must be at most %d characters", MaxSearchLen)
	case len(strings.Fields(store.SearchKey(name))) > MaxSearchWords:
		return fmt.Sprintf("must be at most %d words", MaxSearchWords)
	}
	return ""
}
