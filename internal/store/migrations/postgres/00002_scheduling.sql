-- +goose Up
-- Scheduling (POR-2, POR-4): weekly working hours per agenda, dated exceptions, practitioner
-- absences, clinic booking rules, and idempotency keys for the booking API.
CREATE TABLE working_hours (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    agenda_id        BIGINT NOT NULL,
    weekday          INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute     INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute       INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (end_minute > start_minute),
    FOREIGN KEY (organisation_id, agenda_id) REFERENCES agendas(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX working_hours_agenda ON working_hours (organisation_id, agenda_id);

CREATE TABLE schedule_exceptions (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    agenda_id        BIGINT NOT NULL,
    day              TEXT NOT NULL,
    closed           BOOLEAN NOT NULL,
    start_minute     INTEGER CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute       INTEGER CHECK (end_minute BETWEEN 1 AND 1440),
    note             TEXT NOT NULL DEFAULT '',
    CHECK ((start_minute IS NULL AND end_minute IS NULL) OR (end_minute > start_minute)),
    FOREIGN KEY (organisation_id, agenda_id) REFERENCES agendas(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX schedule_exceptions_agenda_day ON schedule_exceptions (organisation_id, agenda_id, day);

CREATE TABLE absences (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    practitioner_id  BIGINT NOT NULL,
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at),
    FOREIGN KEY (organisation_id, practitioner_id) REFERENCES practitioners(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX absences_practitioner_time ON absences (organisation_id, practitioner_id, starts_at);

-- Bumped by every change to what an agenda can offer (appointments, hours, exceptions,
-- absences): availability caches compare it instead of re-reading the agenda's data.
ALTER TABLE agendas ADD COLUMN availability_version BIGINT NOT NULL DEFAULT 1;

ALTER TABLE clinics ADD COLUMN horizon_days INTEGER NOT NULL DEFAULT 90 CHECK (horizon_days BETWEEN 1 AND 730);
ALTER TABLE clinics ADD COLUMN min_notice_minutes INTEGER NOT NULL DEFAULT 120 CHECK (min_notice_minutes BETWEEN 0 AND 43200);
ALTER TABLE clinics ADD COLUMN cancel_notice_minutes INTEGER NOT NULL DEFAULT 1440 CHECK (cancel_notice_minutes BETWEEN 0 AND 43200);
ALTER TABLE clinics ADD COLUMN grid_minutes INTEGER NOT NULL DEFAULT 15 CHECK (grid_minutes IN (0, 15, 30, 60));
ALTER TABLE clinics ADD COLUMN allow_no_preference BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE clinics ADD COLUMN allow_online_changes BOOLEAN NOT NULL DEFAULT TRUE;

-- Availability reads every active appointment of many agendas over months: a covering
-- index answers it from the index alone, without a table lookup per row.
DROP INDEX appointments_agenda_time;
CREATE INDEX appointments_agenda_busy ON appointments (agenda_id, starts_at, ends_at, status, reason_id, organisation_id);

CREATE TABLE idempotency_keys (
    organisation_id  BIGINT NOT NULL,
    actor            TEXT NOT NULL,
    key              TEXT NOT NULL,
    request_hash     BYTEA NOT NULL,
    status           INTEGER NOT NULL,
    response         BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, actor, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- No double booking, ever (POR-4): two active appointments of one agenda cannot overlap.
-- btree_gist lets the agenda's equality share a GiST index with the time range.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    agenda_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('booked', 'confirmed', 'arrived', 'seen', 'no_show'));

-- Every booking, move, cancellation and status change, written in the same transaction as
-- the change: the notification work (NOT-1) reads them, so none is lost.
CREATE TABLE appointment_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    appointment_id   BIGINT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('booked','rescheduled','cancelled','status')),
    status           TEXT NOT NULL,
    previous_start   TIMESTAMPTZ,
    actor            TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, appointment_id) REFERENCES appointments(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX appointment_events_appointment ON appointment_events (organisation_id, appointment_id, id);

-- +goose Down
DROP INDEX appointments_agenda_busy;
CREATE INDEX appointments_agenda_time ON appointments (agenda_id, starts_at);
DROP TABLE appointment_events;
ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap;
DROP TABLE idempotency_keys;
ALTER TABLE clinics DROP COLUMN allow_online_changes;
ALTER TABLE agendas DROP COLUMN availability_version;
ALTER TABLE clinics DROP COLUMN allow_no_preference;
ALTER TABLE clinics DROP COLUMN grid_minutes;
ALTER TABLE clinics DROP COLUMN cancel_notice_minutes;
ALTER TABLE clinics DROP COLUMN min_notice_minutes;
ALTER TABLE clinics DROP COLUMN horizon_days;
DROP TABLE absences;
DROP TABLE schedule_exceptions;
DROP TABLE working_hours;
