package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/tidings-health/tidings/internal/clinic"
)

const patientCols = `id, organisation_id, database_id, external_id, given_name, family_name, birth_date, mobile, email, language, pms_opt_out, pms_opt_out_read_at, notifications_off, email_bounce, version, merged_into, created_at, updated_at`

// patientColsOf is patientCols qualified with a table alias, for joins.
func patientColsOf(alias string) string { return qualifiedCols(alias, patientCols) }

func scanPatient(r row) (clinic.Patient, error) {
	var p clinic.Patient
	return p, scanPatientInto(r, &p)
}

// scanPatientInto scans the columns of patientCols after any leading destinations.
func scanPatientInto(r row, p *clinic.Patient, leading ...any) error {
	var ext, birth *string
	var merged *int64
	err := r.Scan(append(leading, &p.ID, &p.OrgID, &p.DatabaseID, &ext, &p.GivenName, &p.FamilyName, &birth,
		&p.Mobile, &p.Email, &p.Language, &p.PMSOptOut, &p.PMSOptOutReadAt, &p.NotificationsOff, &p.EmailBounce, &p.Version, &merged,
		&p.CreatedAt, &p.UpdatedAt)...)
	if merged != nil {
		p.MergedInto = clinic.PatientID(*merged)
	}
	if p.PMSOptOutReadAt != nil {
		t := p.PMSOptOutReadAt.UTC()
		p.PMSOptOutReadAt = &t
	}
	if ext != nil {
		p.ExternalID = *ext
	}
	if birth != nil {
		p.BirthDate = *birth
	}
	return err
}

// SearchKey folds a name for search: lower case, accents removed, spaces collapsed. Stored
// beside the names so a search is an indexed prefix match on both dialects.
func SearchKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreatePatient adds a patient to one of org's databases.
//
// Errors: clinic.ErrNotFound when p.DatabaseID is not one of org's databases;
// clinic.ErrConflict when p.ExternalID is already used in that database.
func (tx Patients) CreatePatient(ctx context.Context, org clinic.OrgID, p clinic.Patient) (clinic.Patient, error) {
	p.OrgID, p.CreatedAt, p.UpdatedAt, p.Version, p.MergedInto = org, tx.Now, tx.Now, 1, 0
	err := tx.q.queryRow(ctx, `INSERT INTO patients (organisation_id, database_id, external_id, given_name, family_name, search_name,
			birth_date, mobile, email, language, pms_opt_out, pms_opt_out_read_at, notifications_off, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		org, p.DatabaseID, nullable(p.ExternalID), p.GivenName, p.FamilyName, SearchKey(p.FamilyName+" "+p.GivenName),
		nullable(p.BirthDate), p.Mobile, p.Email, p.Language, p.PMSOptOut, p.PMSOptOutReadAt, p.NotificationsOff, tx.Now, tx.Now).Scan(&p.ID)
	if err != nil {
		return p, fmt.Errorf("create patient: %w", err)
	}
	return p, nil
}

// Patient reads one patient of org.
//
// Errors: clinic.ErrNotFound when id is not one of org's patients.
func (tx Patients) Patient(ctx context.Context, org clinic.OrgID, id clinic.PatientID) (clinic.Patient, error) {
	p, err := scanPatient(tx.q.queryRow(ctx, `SELECT `+patientCols+` FROM patients WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return p, fmt.Errorf("patient %d: %w", id, err)
	}
	return p, nil
}

// UpdatePatient saves a patient's editable fields if nobody changed the record since version
// p.Version was read (compare-and-swap), and returns it with its new version.
//
// Errors: clinic.ErrNotFound when p.ID is not one of org's patients; clinic.ErrConflict when
// p.ExternalID is already used by another patient of its database; a *clinic.ConflictError on
// "version" (also clinic.ErrConflict) when the version moved on.
func (tx Patients) UpdatePatient(ctx context.Context, org clinic.OrgID, p clinic.Patient) (clinic.Patient, error) {
	n, err := tx.q.exec(ctx, `UPDATE patients SET external_id = $3, given_name = $4, family_name = $5, search_name = $6, birth_date = $7,
		mobile = $8, email = $9, language = $10, pms_opt_out = $11, pms_opt_out_read_at = $12, notifications_off = $13, updated_at = $14,
		email_bounce = CASE WHEN LOWER(email) = LOWER($9) THEN email_bounce ELSE '' END,
		email_bounced_at = CASE WHEN LOWER(email) = LOWER($9) THEN email_bounced_at ELSE NULL END,
		version = version + 1
		WHERE organisation_id = $1 AND id = $2 AND version = $15`,
		org, p.ID, nullable(p.ExternalID), p.GivenName, p.FamilyName, SearchKey(p.FamilyName+" "+p.GivenName), nullable(p.BirthDate),
		p.Mobile, p.Email, p.Language, p.PMSOptOut, p.PMSOptOutReadAt, p.NotificationsOff, tx.Now, p.Version)
	if err != nil {
		return p, fmt.Errorf("update patient %d: %w", p.ID, err)
	}
	if n == 0 {
		if _, err := tx.Patients().Patient(ctx, org, p.ID); err != nil {
			return p, fmt.Errorf("update patient %d: %w", p.ID, err)
		}
		return p, fmt.Errorf("update patient %d: %w", p.ID, &clinic.ConflictError{Field: "version", Reason: "the patient record was changed by someone else; reload it"})
	}
	return tx.Patients().Patient(ctx, org, p.ID)
}

// PatientFilter narrows Patients. Name, Mobile and Email are patient data: callers take them
// from request bodies, never from URLs.
type PatientFilter struct {
	DatabaseID clinic.DatabaseID
	// Merged includes the records merged into another; lists and searches leave them out,
	// since their rows now belong to the record they were merged into.
	Merged     bool
	ExternalID string
	Name       string // prefix of "family given", or of "given family"
	Mobile     string // exact E.164
	Email      string // exact, case-insensitive
}

// ListPatients lists org's patients matching f, by id.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Patients) ListPatients(ctx context.Context, org clinic.OrgID, f PatientFilter, p Page) ([]clinic.Patient, error) {
	w := conds{args: []any{org, p.After, p.Size()}}
	if !f.Merged {
		w.sql.WriteString(" AND merged_into IS NULL")
	}
	if f.DatabaseID != 0 {
		w.add("database_id = $%d", f.DatabaseID)
	}
	if f.ExternalID != "" {
		w.add("external_id = $%d", f.ExternalID)
	}
	if f.Mobile != "" {
		w.add("mobile = $%d", f.Mobile)
	}
	if f.Email != "" {
		w.add("lower(email) = $%d", strings.ToLower(f.Email))
	}
	// Every word typed must start a word of the name, in any order. The search key holds
	// only letters, digits and single spaces, so it cannot carry LIKE's wildcards.
	for _, word := range strings.Fields(SearchKey(f.Name)) {
		w.add("(search_name LIKE $%[1]d OR search_name LIKE $%[2]d)", word+"%", "% "+word+"%")
	}
	return collect(ctx, tx, scanPatient, `SELECT `+patientCols+` FROM patients WHERE organisation_id = $1 AND id > $2`+
		w.sql.String()+` ORDER BY id LIMIT $3`, w.args...)
}

// LinkRelatives records that a is rel to b (and b the inverse to a). Linking again replaces
// the relationship.
//
// Errors: clinic.ErrNotFound when a or b is not one of org's patients; clinic.ErrInvalid
// when a and b are the same patient.
func (tx Patients) LinkRelatives(ctx context.Context, org clinic.OrgID, a, b clinic.PatientID, rel clinic.Relationship) error {
	for _, l := range []struct {
		x, y clinic.PatientID
		r    clinic.Relationship
	}{{b, a, rel}, {a, b, rel.Inverse()}} {
		// Row (patient x, relative y, r) reads "y is r of x".
		if _, err := tx.q.exec(ctx, `INSERT INTO patient_relatives (organisation_id, patient_id, relative_id, relationship)
			VALUES ($1, $2, $3, $4) ON CONFLICT (patient_id, relative_id) DO UPDATE SET relationship = excluded.relationship`,
			org, l.x, l.y, l.r); err != nil {
			return fmt.Errorf("link relatives %d-%d: %w", a, b, err)
		}
	}
	return nil
}

// Relatives lists the patients linked to id.
//
// Errors: none of its own (an unknown id has no relatives).
func (tx Patients) Relatives(ctx context.Context, org clinic.OrgID, id clinic.PatientID) ([]clinic.Relative, error) {
	return collect(ctx, tx, func(r row) (clinic.Relative, error) {
		var rel clinic.Relative
		return rel, scanPatientInto(r, &rel.Patient, &rel.Relationship)
	}, `SELECT r.relationship, `+patientColsOf("p")+`
		FROM patient_relatives r JOIN patients p ON p.organisation_id = r.organisation_id AND p.id = r.relative_id
		WHERE r.organisation_id = $1 AND r.patient_id = $2 ORDER BY p.id`, org, id)
}

// PatientsByIDs reads several of org's patients in one statement (a day's agenda, a page
// of audit rows). Ids of other organisations are simply absent from the result.
//
// Errors: none of its own.
func (tx Patients) PatientsByIDs(ctx context.Context, org clinic.OrgID, ids []clinic.PatientID) (map[clinic.PatientID]clinic.Patient, error) {
	out := make(map[clinic.PatientID]clinic.Patient, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ps, err := collect(ctx, tx, scanPatient, `SELECT `+patientCols+` FROM patients WHERE organisation_id = $1 AND id IN (`+idList(ids)+`)`, org)
	if err != nil {
		return nil, fmt.Errorf("patients by id: %w", err)
	}
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, nil
}
