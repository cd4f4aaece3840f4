-- +goose Up
-- Principals beyond staff (ADM-2): the audit log records what kind of actor acted — a staff
-- user, an API token, a patient in the portal, or the system (jobs, sync, webhooks).
ALTER TABLE audit_log ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'staff';
UPDATE audit_log SET actor_kind = 'token' WHERE token_id IS NOT NULL;

-- +goose Down
ALTER TABLE audit_log DROP COLUMN actor_kind;
