-- +goose Up
-- recall_templates: the clinic's result and recall templates (RES-3), per organisation, by
-- the key the software profiles' action rules name (RES-2). A key with no row here uses the
-- shipped default; a row is written the first time an administrator saves the template.
CREATE TABLE recall_templates (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    key              TEXT NOT NULL,
    name             TEXT NOT NULL,
    purpose          TEXT NOT NULL CHECK (purpose IN ('result','recall')),
    auto_start       BOOLEAN NOT NULL,
    steps            TEXT NOT NULL, -- JSON: [{channel, delay_minutes, subject_en, body_en, subject_fr, body_fr}]
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, key)
);

-- recall_sequences: one recall of one patient and its message sequence (RES-3..RES-8): the
-- results of one patient performed the same day in one clinical database (RES-6, kind
-- results, keyed by the day), a recall the clinical software recorded (kind recall, by
-- recall_id) or one staff created (kind recall, no recall_id).
CREATE TABLE recall_sequences (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    clinic_id        BIGINT NOT NULL,
    patient_id       BIGINT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('results','recall')),
    database_id      BIGINT,
    group_day        TEXT NOT NULL DEFAULT '',
    recall_id        BIGINT REFERENCES recalls(id) ON DELETE SET NULL,
    title            TEXT NOT NULL,
    doctor_name      TEXT NOT NULL DEFAULT '',
    due_date         TEXT NOT NULL DEFAULT '',
    template_key     TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('held','waiting','active','booked','manual','unreachable','done','skipped')),
    why              TEXT NOT NULL DEFAULT '',
    steps_planned    INTEGER NOT NULL DEFAULT 0,
    resume_step      INTEGER NOT NULL,
    appointment_id   BIGINT,
    started_at       TIMESTAMPTZ,
    ends_at          TIMESTAMPTZ,
    closed_at        TIMESTAMPTZ,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
-- RES-6: one sequence per patient, database and day performed.
CREATE UNIQUE INDEX recall_sequences_day ON recall_sequences (database_id, patient_id, group_day) WHERE kind = 'results';
CREATE UNIQUE INDEX recall_sequences_recall ON recall_sequences (recall_id) WHERE recall_id IS NOT NULL;
CREATE INDEX recall_sequences_patient ON recall_sequences (organisation_id, patient_id, id);
-- The checklist (RES-7) and the summary, by state: it holds every column the checklist
-- reads of a sequence with a stored reason and of a running one past its last step, so that
-- choosing a page of 10,000 items reads no table row (SQLite: a covering index).
CREATE INDEX recall_sequences_checklist ON recall_sequences (organisation_id, state, ends_at, clinic_id, kind, why, updated_at);

-- A result belongs to the sequence of its day once it is taken.
ALTER TABLE results ADD COLUMN sequence_id BIGINT REFERENCES recall_sequences(id) ON DELETE SET NULL;
CREATE INDEX results_sequence ON results (sequence_id) WHERE sequence_id IS NOT NULL;

-- A step of a sequence is a notification, planned when the sequence starts.
ALTER TABLE notifications ADD COLUMN sequence_id BIGINT;
ALTER TABLE notifications ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notifications_sequence ON notifications (sequence_id, step) WHERE sequence_id IS NOT NULL;
-- The checklist's failed steps (RES-7): few, so it reads them, not every running sequence's.
CREATE INDEX notifications_sequence_failed ON notifications (organisation_id, sequence_id) WHERE sequence_id IS NOT NULL AND state IN ('failed', 'bounced');

-- recall_links: the single link a step's message carries (RES-3) to the identity check,
-- stored hashed. Failed checks count towards a lock; a pass is remembered for an hour.
CREATE TABLE recall_links (
    token_hash       BYTEA PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    sequence_id      BIGINT NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMPTZ,
    passed_at        TIMESTAMPTZ,
    expires_at       TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, sequence_id) REFERENCES recall_sequences(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX recall_links_sequence ON recall_links (sequence_id);

-- recall_settings: a clinic's recall switches; a clinic with no row has the defaults.
-- resume_on_cancel: a recall paused by a booking resumes when that appointment is cancelled
-- before it happens (RES-4).
CREATE TABLE recall_settings (
    clinic_id        BIGINT PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    resume_on_cancel BOOLEAN NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE recall_settings;
DROP TABLE recall_links;
DROP INDEX notifications_sequence_failed;
DROP INDEX notifications_sequence;
ALTER TABLE notifications DROP COLUMN step;
ALTER TABLE notifications DROP COLUMN sequence_id;
DROP INDEX results_sequence;
ALTER TABLE results DROP COLUMN sequence_id;
DROP TABLE recall_sequences;
DROP TABLE recall_templates;
