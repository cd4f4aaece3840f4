-- +goose Up
-- Why an appointment event happened, in the words of the person who made it: the reason
-- given for a cancellation (the dashboard asks for one; the API takes one optionally), ''
-- when none was given. Shown in the appointment's history.
ALTER TABLE appointment_events ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE appointment_events DROP COLUMN reason;
