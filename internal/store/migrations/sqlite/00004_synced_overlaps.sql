-- +goose Up
-- Appointments synced from the practice-management system may overlap (POR-4, issue 6).
-- On PostgreSQL this migration narrows the exclusion constraint to appointments booked in
-- Tidings. SQLite has no such constraint: the single writer connection makes the booking's
-- in-transaction overlap check atomic, and that check (store.Tx.CreateAppointment,
-- UpdateAppointment) already skips synced appointments and counts them as busy. No schema
-- change here; the file keeps both dialects' migrations numbered alike.
SELECT 1;

-- +goose Down
SELECT 1;
