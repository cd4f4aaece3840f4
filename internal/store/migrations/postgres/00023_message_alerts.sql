-- +goose Up
-- alert_from: the time of the oldest staff message (or handover note) of the conversation
-- that no message alert has looked at yet (MSG-5). A send only sets it, in its own
-- statements; the alert round claims the conversations whose time is past the alert's
-- delay, and plans one alert per patient who still has not read them.
ALTER TABLE conversations ADD COLUMN alert_from TIMESTAMPTZ;
CREATE INDEX conversations_alert_from ON conversations (alert_from) WHERE alert_from IS NOT NULL;

-- +goose Down
DROP INDEX conversations_alert_from;
ALTER TABLE conversations DROP COLUMN alert_from;
