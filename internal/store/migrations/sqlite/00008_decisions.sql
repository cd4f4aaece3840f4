-- +goose Up
-- The decision log (CON-9): every decision to send or not send a message, with its outcome,
-- the rule that decided, the sentence for the communication log (English, translated by the
-- catalog when shown) and the trace of every rule checked. The notification work writes it
-- in the transaction that records the send or the skip; notification_id links it once the
-- notifications table exists.
CREATE TABLE consent_decisions (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    patient_id       INTEGER NOT NULL,
    notification_id  INTEGER,
    purpose          TEXT NOT NULL,
    channel          TEXT NOT NULL,
    allowed          BOOLEAN NOT NULL,
    outcome          TEXT NOT NULL,
    rule             TEXT NOT NULL,
    text             TEXT NOT NULL,
    trace            TEXT NOT NULL,
    at               TIMESTAMP NOT NULL,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX consent_decisions_patient ON consent_decisions (organisation_id, patient_id, id);

-- +goose Down
DROP TABLE consent_decisions;
