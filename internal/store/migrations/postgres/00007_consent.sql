-- +goose Up
-- Consent (CON-1..9). The patient's own choices made in Tidings, per channel and purpose
-- ("all" for every purpose of a channel, as an SMS STOP), kept as an append-only history with
-- who, when and from where (CON-3); records with source 'pms' are the history of the value
-- read from the clinical software, which stays on the patient row with when it was read.
CREATE TABLE consent_records (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    patient_id       BIGINT NOT NULL,
    channel          TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    opt_in           BOOLEAN NOT NULL,
    source           TEXT NOT NULL,
    actor            TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX consent_records_patient ON consent_records (organisation_id, patient_id, id);

-- When the PMS opt-out flag was last read (NULL: never, e.g. a patient made in Tidings).
ALTER TABLE patients ADD COLUMN pms_opt_out_read_at TIMESTAMPTZ;
-- CON-7: staff switched this patient's appointment notifications off (online bookings still are).
ALTER TABLE patients ADD COLUMN notifications_off BOOLEAN NOT NULL DEFAULT FALSE;

-- CON-5: the agenda x channel switches that are off (a missing row is on).
CREATE TABLE agenda_channels_off (
    organisation_id  BIGINT NOT NULL,
    agenda_id        BIGINT NOT NULL,
    channel          TEXT NOT NULL,
    PRIMARY KEY (organisation_id, agenda_id, channel),
    FOREIGN KEY (organisation_id, agenda_id) REFERENCES agendas(organisation_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE agenda_channels_off;
ALTER TABLE patients DROP COLUMN notifications_off;
ALTER TABLE patients DROP COLUMN pms_opt_out_read_at;
DROP TABLE consent_records;
