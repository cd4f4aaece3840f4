-- +goose Up
-- Clinical-software sync (SYN-1, SYN-4).
--
-- hl7_settings: how an hl7v2 database is reached. facility is the sending facility (MSH-4)
-- its messages carry: the shared MLLP listener routes a message to the database whose
-- facility it names, so a facility belongs to one database across all organisations.
CREATE TABLE hl7_settings (
    database_id      INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    facility         TEXT NOT NULL UNIQUE,
    updated_at       TIMESTAMP NOT NULL,
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE
);

-- sync_messages: every message accepted from a database, by its control key (MSH-3, MSH-4,
-- MSH-10): a resent message gets the stored acknowledgement again and is not applied twice.
-- outcome: applied, ignored (older than what was applied), refused (kept in quarantine).
CREATE TABLE sync_messages (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    database_id      INTEGER NOT NULL,
    control_key      TEXT NOT NULL,
    message_type     TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    ack              TEXT NOT NULL,
    received_at      TIMESTAMP NOT NULL,
    UNIQUE (database_id, control_key),
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX sync_messages_recent ON sync_messages (organisation_id, database_id, id);

-- sync_versions: the time (message time, or version) of the last change applied to each
-- record a database sends, so an older update arriving late changes nothing (SYN-4).
CREATE TABLE sync_versions (
    database_id      INTEGER NOT NULL REFERENCES clinical_databases(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    version_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (database_id, kind, external_id)
);

-- sync_quarantine: input refused (unparseable, unmappable, unroutable), kept with the reason
-- and the raw bytes until it is re-processed or dismissed. organisation_id and database_id
-- are empty for a message no database could be found for. raw is patient data: it is shown
-- only to administrators of its organisation and never logged.
CREATE TABLE sync_quarantine (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER REFERENCES organisations(id) ON DELETE CASCADE,
    database_id      INTEGER REFERENCES clinical_databases(id) ON DELETE CASCADE,
    source           TEXT NOT NULL,
    message_type     TEXT NOT NULL,
    control_id       TEXT NOT NULL,
    code             INTEGER NOT NULL,
    reason           TEXT NOT NULL,
    raw              BLOB NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open',
    received_at      TIMESTAMP NOT NULL,
    resolved_at      TIMESTAMP
);
CREATE INDEX sync_quarantine_open ON sync_quarantine (organisation_id, id) WHERE status = 'open';

-- results: the actioned results a database sent that its profile takes (RES-1), with the
-- doctor's action and what the profile maps it to (RES-2); the results issue sequences them.
-- One row per result (database, external id), updated by later messages about it.
CREATE TABLE results (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    database_id      INTEGER NOT NULL,
    patient_id       INTEGER NOT NULL,
    external_id      TEXT NOT NULL,
    test             TEXT NOT NULL,
    performed_at     TIMESTAMP,
    category         TEXT NOT NULL,
    doctor_id        TEXT NOT NULL,
    doctor_name      TEXT NOT NULL,
    action           TEXT NOT NULL,
    actioned_at      TIMESTAMP,
    comments         TEXT NOT NULL,
    state            TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    template         TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (database_id, external_id),
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX results_patient ON results (organisation_id, patient_id, id);

-- +goose Down
DROP TABLE results;
DROP TABLE sync_quarantine;
DROP TABLE sync_versions;
DROP TABLE sync_messages;
DROP TABLE hl7_settings;
