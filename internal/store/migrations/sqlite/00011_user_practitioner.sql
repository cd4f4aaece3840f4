-- +goose Up
-- A practitioner's staff account is linked to the practitioner it is (ADM-1, ADM-7), so that
-- "My day" lists the appointments of that practitioner's agendas. At most one account per
-- practitioner (the unique index; NULLs, the accounts of other roles, do not collide). A
-- single-column reference: SQLite adds one to an existing table only so, and the PostgreSQL
-- migration matches it; the staff use cases check that the practitioner is the account's
-- organisation's. A practitioner removed unlinks the account.
ALTER TABLE users ADD COLUMN practitioner_id INTEGER REFERENCES practitioners(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX users_practitioner ON users (practitioner_id);
-- The password was made by an administrator (a new account, a reset) and shown to them once:
-- the user is asked to choose their own, which clears it.
ALTER TABLE users ADD COLUMN password_temporary BOOLEAN NOT NULL DEFAULT 0;
-- When the account last signed in, for the staff list; NULL before its first sign-in (or
-- before this column existed).
ALTER TABLE users ADD COLUMN last_sign_in_at TIMESTAMP;

-- +goose Down
ALTER TABLE users DROP COLUMN last_sign_in_at;
ALTER TABLE users DROP COLUMN password_temporary;
DROP INDEX users_practitioner;
ALTER TABLE users DROP COLUMN practitioner_id;
