-- +goose Up
-- Appointments from the clinical software (SYN-1, SYN-5).
--
-- sync_mappings: how a database's codes name Tidings' records, set by an administrator:
-- kind 'practitioner' (AIP-3 id) or 'location' (AIL-3) to an agenda, 'reason' (SCH-7 code)
-- to a reason. A message whose agenda or reason no mapping (nor an unambiguous name) gives
-- is quarantined, to be re-processed once it is mapped.
CREATE TABLE sync_mappings (
    organisation_id  INTEGER NOT NULL,
    database_id      INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('practitioner','location','reason')),
    code             TEXT NOT NULL,
    target_id        INTEGER NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (database_id, kind, code),
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE
);

-- A synced appointment is found by the clinical software's id.
CREATE INDEX appointments_external ON appointments (organisation_id, external_id) WHERE external_id IS NOT NULL;

-- recalls: what the clinical software asked a patient to come back for, and by when (RES-8),
-- one row per (database, external id), for the results and recalls work to sequence.
CREATE TABLE recalls (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    database_id      INTEGER NOT NULL,
    patient_id       INTEGER NOT NULL,
    external_id      TEXT NOT NULL,
    due_date         TEXT NOT NULL,
    reason           TEXT NOT NULL,
    doctor_id        TEXT NOT NULL,
    doctor_name      TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('active','completed','cancelled')),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (database_id, external_id),
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX recalls_patient ON recalls (organisation_id, patient_id, id);

-- +goose Down
DROP TABLE recalls;
DROP INDEX appointments_external;
DROP TABLE sync_mappings;
