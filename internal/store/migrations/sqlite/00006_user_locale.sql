-- +goose Up
-- A staff user's language for the dashboard (ADM-6): '' follows the browser, then the clinic.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN locale;
