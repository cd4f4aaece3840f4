-- +goose Up
-- Patients in the dashboard (ADM-7). version is bumped by every change of a patient row, so a
-- form shown at one version is refused once someone else saved (compare-and-swap, as for
-- appointments). merged_into marks a record of a builtin database merged into another: the
-- row stays, so links to it still lead to "merged into X", and every row that referred to it
-- now refers to X (store.PatientRefs lists them). A single-column reference: SQLite adds one
-- to an existing table only so, and the PostgreSQL migration matches it.
ALTER TABLE patients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE patients ADD COLUMN merged_into INTEGER REFERENCES patients(id);
-- A merge repoints the records merged earlier into the one it removes.
CREATE INDEX patients_merged_into ON patients (organisation_id, merged_into) WHERE merged_into IS NOT NULL;

-- +goose Down
DROP INDEX patients_merged_into;
ALTER TABLE patients DROP COLUMN merged_into;
ALTER TABLE patients DROP COLUMN version;
