-- +goose Up
-- What a settings change changed (ADM-5): a JSON object {"subject": "...", "changes":
-- [{"field": "...", "before": ..., "after": ...}]}, '' for reads and for changes of patient
-- data, whose content never enters the audit log. Written by audit.Change only.
ALTER TABLE audit_log ADD COLUMN detail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_log DROP COLUMN detail;
