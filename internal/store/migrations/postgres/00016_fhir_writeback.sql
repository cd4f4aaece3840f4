-- +goose Up
-- FHIR reads and write-back to the clinical software (SYN-1, SYN-5).
--
-- hl7_settings.outbound_addr: the clinical software's own MLLP listener (host:port), to which
-- appointments booked, moved or cancelled in Tidings are sent as SIU messages; '' when the
-- database takes none.
ALTER TABLE hl7_settings ADD COLUMN outbound_addr TEXT NOT NULL DEFAULT '';

-- fhir_settings: how a fhir database is read and written. auth: none, bearer (token), or
-- client_credentials (client_id, client_secret at token_url, with scope). The secrets are
-- shown to nobody once saved. every_minutes: how often the sync job reads it. last_*: what
-- the database's page shows of the last run.
CREATE TABLE fhir_settings (
    database_id      BIGINT PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    base_url         TEXT NOT NULL,
    auth             TEXT NOT NULL CHECK (auth IN ('none','bearer','client_credentials')),
    token            TEXT NOT NULL DEFAULT '',
    client_id        TEXT NOT NULL DEFAULT '',
    client_secret    TEXT NOT NULL DEFAULT '',
    token_url        TEXT NOT NULL DEFAULT '',
    scope            TEXT NOT NULL DEFAULT '',
    every_minutes    INTEGER NOT NULL DEFAULT 5 CHECK (every_minutes BETWEEN 1 AND 1440),
    last_run_at      TIMESTAMPTZ,
    last_ok_at       TIMESTAMPTZ,
    last_error       TEXT NOT NULL DEFAULT '',
    updated_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE
);

-- fhir_cursors: per database and resource type, the _lastUpdated up to which everything was
-- read, so each run reads only what changed since.
CREATE TABLE fhir_cursors (
    database_id      BIGINT NOT NULL REFERENCES clinical_databases(id) ON DELETE CASCADE,
    resource_type    TEXT NOT NULL,
    since            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (database_id, resource_type)
);

-- writebacks: one row per appointment booked in Tidings for a database that takes them: its
-- state as last changed (version) is to be written to the clinical software. pending rows are
-- due at next_at; sent rows wrote that version; failed rows were refused by the software
-- (AE/AR, a FHIR error) and wait for staff. written: the software holds the appointment (a
-- create went through), so later changes are updates.
CREATE TABLE writebacks (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    database_id      BIGINT NOT NULL,
    appointment_id   BIGINT NOT NULL UNIQUE,
    version          INTEGER NOT NULL DEFAULT 1,
    state            TEXT NOT NULL CHECK (state IN ('pending','sent','failed')),
    written          BOOLEAN NOT NULL DEFAULT false,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          TIMESTAMPTZ NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, appointment_id) REFERENCES appointments(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX writebacks_due ON writebacks (next_at) WHERE state = 'pending';
CREATE INDEX writebacks_failed ON writebacks (organisation_id, database_id) WHERE state = 'failed';

-- +goose Down
DROP TABLE writebacks;
DROP TABLE fhir_cursors;
DROP TABLE fhir_settings;
ALTER TABLE hl7_settings DROP COLUMN outbound_addr;
