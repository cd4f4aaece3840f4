-- +goose Up
-- Appointments synced from the practice-management system may overlap (POR-4, issue 6):
-- the PMS is the record and clinics double-book in it on purpose, so sync must never lose a
-- valid PMS appointment to this constraint. It now covers the appointments booked in Tidings
-- only; Tidings' own bookings are checked against every active appointment, synced ones
-- included, in the booking's transaction (store.Tx.CreateAppointment, UpdateAppointment).
ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    agenda_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('booked', 'confirmed', 'arrived', 'seen', 'no_show') AND booked_by <> 'sync');

-- +goose Down
-- Fails while synced appointments overlap: cancel or remove them first.
ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    agenda_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('booked', 'confirmed', 'arrived', 'seen', 'no_show'));
