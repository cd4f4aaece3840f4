-- +goose Up
-- online_seen: when each staff user last opened the list of a clinic's appointments booked
-- online (/appointments/online, POR-1's staff alert). The header's alert counts the clinic's
-- online bookings made since; a user who works in several clinics has a mark per clinic, so
-- looking at one clinic's list does not clear another's.
CREATE TABLE online_seen (
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    clinic_id        INTEGER NOT NULL,
    organisation_id  INTEGER NOT NULL,
    seen_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, clinic_id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);

-- A clinic's online bookings by when they were made: the header's count, on every page of
-- staff who book while the alert is on, and the list. It holds patients' bookings only.
CREATE INDEX appointments_online ON appointments (organisation_id, clinic_id, created_at) WHERE booked_by = 'patient_online';

-- +goose Down
DROP INDEX appointments_online;
DROP TABLE online_seen;
