-- +goose Up
-- Organisations made in the product (ADM-7) name their IANA time zone: the default for their
-- clinics and for wall-clock rules that belong to no one clinic. Rows from before keep UTC.
ALTER TABLE organisations ADD COLUMN zone TEXT NOT NULL DEFAULT 'UTC';
-- Disabling a staff account ends its sessions at once.
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP INDEX sessions_user;
ALTER TABLE organisations DROP COLUMN zone;
