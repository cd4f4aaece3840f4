package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
)

// MergeRule says what merging patient records does with the rows of one column that refers
// to a patient.
type MergeRule string

// The merge rules.
const (
	// MergeMove repoints the rows of the record removed to the record kept: they are the
	// patient's, whichever record they were written against.
	MergeMove MergeRule = "move"
	// MergeRelatives repoints relatives' links, dropping the link between the two records
	// (a patient is not their own relative) and a link the record kept already has.
	MergeRelatives MergeRule = "relatives"
	// MergeKeep leaves the rows as they are: history that names the record as it was when
	// it was written (the audit log, ADM-2), which a merge must not rewrite.
	MergeKeep MergeRule = "keep"
	// MergeFirst repoints a row of the record removed unless the record kept has one of its
	// own, which wins (a record belongs to one portal account: the kept record's account).
	MergeFirst MergeRule = "first"
	// MergeDays repoints a results recall of the record removed (RES-6: one per patient,
	// database and day); where the record kept has one of the same day, the removed one
	// keeps its own, marked as of the merged record's day, so no result or step is lost.
	MergeDays MergeRule = "days"
)

// PatientRef is one column that refers to a patient, and what a merge does with it.
type PatientRef struct {
	Table, Column string
	Rule          MergeRule
	// Versioned: the table's rows carry a version and an updated_at that every change
	// bumps (appointments), so a form shown before the merge is refused as stale.
	Versioned bool
}

// Key is "table.column", the name surfaces give a reference (labels, counts).
func (r PatientRef) Key() string { return r.Table + "." + r.Column }

// PatientRefs lists every column of the schema that refers to a patient: each patient_id
// column and each column with a foreign key to patients. It is the one list a merge follows,
// so a capability that adds such a column (a waitlist entry, a portal account, a message
// thread, a result) adds it here, with its rule, in the same change; TestPatientRefsCoverSchema
// reads the migrated schema of both dialects and fails on a column missing from it.
//
// Every table listed has an organisation_id column: the merge's statements are scoped by it
// like every tenant query.
func PatientRefs() []PatientRef {
	return []PatientRef{
		{Table: "appointments", Column: "patient_id", Rule: MergeMove, Versioned: true},
		{Table: "patient_relatives", Column: "patient_id", Rule: MergeRelatives},
		{Table: "patient_relatives", Column: "relative_id", Rule: MergeRelatives},
		// The consent history (CON-3) is append-only and read newest last: the records of
		// both patients, interleaved by id, leave the newest choice of either in force.
		{Table: "consent_records", Column: "patient_id", Rule: MergeMove},
		{Table: "consent_decisions", Column: "patient_id", Rule: MergeMove},
		{Table: "notifications", Column: "patient_id", Rule: MergeMove},
		{Table: "sms_inbox", Column: "patient_id", Rule: MergeMove},
		{Table: "push_subscriptions", Column: "patient_id", Rule: MergeMove},
		{Table: "results", Column: "patient_id", Rule: MergeMove},
		{Table: "recalls", Column: "patient_id", Rule: MergeMove},
		{Table: "portal_account_patients", Column: "patient_id", Rule: MergeFirst},
		{Table: "waitlist_entries", Column: "patient_id", Rule: MergeMove},
		{Table: "waitlist_offers", Column: "patient_id", Rule: MergeMove},
		{Table: "recall_sequences", Column: "patient_id", Rule: MergeDays},
		{Table: "conversations", Column: "patient_id", Rule: MergeMove},
		{Table: "messages", Column: "author_patient_id", Rule: MergeMove},
		{Table: "message_events", Column: "patient_id", Rule: MergeMove},
		// Records merged earlier into the one now removed follow it, so no chain forms.
		{Table: "patients", Column: "merged_into", Rule: MergeMove, Versioned: true},
		{Table: "audit_log", Column: "patient_id", Rule: MergeKeep},
	}
}

// RefCount is how many rows of one reference name a patient.
type RefCount struct {
	Ref   PatientRef
	Count int
}

// CountPatientReferences counts, for each of PatientRefs in order, the rows of org that refer
// to patient id: what a merge of id into another record moves (or, for MergeKeep, leaves).
// For relatives, each link counts once (the patient_id side).
//
// Errors: none of its own (an unknown id has no rows).
func (tx Patients) CountPatientReferences(ctx context.Context, org clinic.OrgID, id clinic.PatientID) ([]RefCount, error) {
	refs := PatientRefs()
	out := make([]RefCount, len(refs))
	var parts []string
	for i, r := range refs {
		out[i].Ref = r
		if r.Rule == MergeRelatives && r.Column != "patient_id" {
			continue // the same links, seen from the other side
		}
		parts = append(parts, fmt.Sprintf("SELECT %d AS i, COUNT(*) AS n FROM %s WHERE organisation_id = $1 AND %s = $2", i, r.Table, r.Column))
	}
	counts, err := collect(ctx, tx, func(rw row) ([2]int, error) {
		var v [2]int
		return v, rw.Scan(&v[0], &v[1])
	}, strings.Join(parts, " UNION ALL "), org, id)
	if err != nil {
		return nil, fmt.Errorf("count references to patient %d: %w", id, err)
	}
	for _, c := range counts {
		out[c[0]].Count = c[1]
	}
	return out, nil
}

// UpdatePatientReferences repoints every row of org that refers to patient from to patient
// to, following each reference's rule (PatientRefs), and returns how many rows of each
// reference it changed, in PatientRefs' order. It checks nothing about the two records (same
// organisation, same database, neither merged): that is the merge use case's, which calls it
// in the transaction that marks from as merged (MarkPatientMerged).
//
// Errors: clinic.ErrInvalid when from and to are the same record.
func (tx Patients) UpdatePatientReferences(ctx context.Context, org clinic.OrgID, from, to clinic.PatientID) ([]RefCount, error) {
	if from == to {
		return nil, fmt.Errorf("move references of patient %d to itself: %w", from, clinic.ErrInvalid)
	}
	refs := PatientRefs()
	out := make([]RefCount, len(refs))
	relativesPruned := false
	for i, r := range refs {
		out[i].Ref = r
		switch r.Rule {
		case MergeKeep:
			continue
		case MergeRelatives:
			if !relativesPruned {
				if err := tx.pruneRelatives(ctx, org, r.Table, from, to); err != nil {
					return nil, err
				}
				relativesPruned = true
			}
		case MergeFirst:
			if _, err := tx.q.exec(ctx, `DELETE FROM `+r.Table+` WHERE organisation_id = $1 AND `+r.Column+` = $2
				AND EXISTS (SELECT 1 FROM `+r.Table+` k WHERE k.organisation_id = $1 AND k.`+r.Column+` = $3)`, org, from, to); err != nil {
				return nil, fmt.Errorf("drop %s of patient %d: %w", r.Key(), from, err)
			}
		case MergeDays:
			if _, err := tx.q.exec(ctx, `UPDATE `+r.Table+` SET group_day = group_day || '/' || CAST(id AS TEXT)
				WHERE organisation_id = $1 AND `+r.Column+` = $2 AND kind = 'results' AND EXISTS (SELECT 1 FROM `+r.Table+` k
					WHERE k.organisation_id = $1 AND k.`+r.Column+` = $3 AND k.kind = 'results' AND k.database_id = `+r.Table+`.database_id
					AND k.group_day = `+r.Table+`.group_day)`, org, from, to); err != nil {
				return nil, fmt.Errorf("set apart the days of %s of patient %d: %w", r.Key(), from, err)
			}
		case MergeMove:
		default:
			return nil, fmt.Errorf("move references of patient %d: %s.%s has no known rule %q", from, r.Table, r.Column, r.Rule)
		}
		set := r.Column + " = $3"
		args := []any{org, from, to}
		if r.Versioned {
			set += ", version = version + 1, updated_at = $4"
			args = append(args, tx.Now)
		}
		n, err := tx.q.exec(ctx, `UPDATE `+r.Table+` SET `+set+` WHERE organisation_id = $1 AND `+r.Column+` = $2`, args...)
		if err != nil {
			return nil, fmt.Errorf("move %s of patient %d to %d: %w", r.Key(), from, to, err)
		}
		out[i].Count = int(n)
	}
	return out, nil
}

// pruneRelatives deletes the links that repointing from to to would break: the link between
// the two records (it would link to to itself) and, from either side, a link of from to a
// patient to is already linked with (to's own relationship is kept).
func (tx Patients) pruneRelatives(ctx context.Context, org clinic.OrgID, table string, from, to clinic.PatientID) error {
	_, err := tx.q.exec(ctx, `DELETE FROM `+table+` WHERE organisation_id = $1 AND (
			(patient_id = $2 AND relative_id = $3) OR (patient_id = $3 AND relative_id = $2)
			OR (patient_id = $2 AND relative_id IN (SELECT relative_id FROM `+table+` WHERE organisation_id = $1 AND patient_id = $3))
			OR (relative_id = $2 AND patient_id IN (SELECT patient_id FROM `+table+` WHERE organisation_id = $1 AND relative_id = $3)))`,
		org, from, to)
	if err != nil {
		return fmt.Errorf("prune relatives of patient %d merged into %d: %w", from, to, err)
	}
	return nil
}

// MarkPatientMerged records that patient id was merged into patient into: the row stays (a
// link to it still resolves), leaves lists and searches (PatientFilter.Merged), and its
// version moves on, so a form shown before the merge is refused.
//
// Errors: clinic.ErrNotFound when id is not one of org's patients, or is merged already.
func (tx Patients) MarkPatientMerged(ctx context.Context, org clinic.OrgID, id, into clinic.PatientID) error {
	err := one(tx.q.exec(ctx, `UPDATE patients SET merged_into = $3, version = version + 1, updated_at = $4
		WHERE organisation_id = $1 AND id = $2 AND merged_into IS NULL`, org, id, into, tx.Now))
	if err != nil {
		return fmt.Errorf("mark patient %d merged into %d: %w", id, into, err)
	}
	return nil
}
