-- +goose Up
-- Notifications (NOT-1..10). A clinic's sending settings, the SMS provider accounts, the
-- notifications themselves with their status history, the clinic's edited templates, the
-- inbound SMS inbox and the portal's push subscriptions.

-- The clinic's phone number, given in the answer to an SMS "HELP" (NOT-10).
ALTER TABLE clinics ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- A permanent e-mail failure (an SMTP 5xx or a DSN) flags the address: later messages skip
-- it with a reason staff can see, until the address is changed.
ALTER TABLE patients ADD COLUMN email_bounced_at TIMESTAMP;
ALTER TABLE patients ADD COLUMN email_bounce TEXT NOT NULL DEFAULT '';

-- One row per clinic once its settings were changed; a clinic without one has the defaults
-- (notify.DefaultSettings).
CREATE TABLE notify_settings (
    organisation_id   INTEGER NOT NULL,
    clinic_id         INTEGER NOT NULL,
    channels          TEXT NOT NULL,            -- "sms,email": the channels the clinic sends on
    reminder_offsets  TEXT NOT NULL,            -- "72h,2h", "1d@10:00" (sendtime.Parse)
    grace_seconds     INTEGER NOT NULL,         -- debounce of booking notices
    quiet_from        TEXT NOT NULL,            -- SMS window opens (local "08:00")
    quiet_to          TEXT NOT NULL,            -- and closes ("20:00")
    sms_budget        INTEGER NOT NULL,         -- segments per calendar month; 0: no limit
    remind_confirmed  BOOLEAN NOT NULL,         -- reminders still go to confirmed appointments
    ask_reply         BOOLEAN NOT NULL,         -- SMS reminders invite a C/Y reply
    updated_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, clinic_id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);

-- Twilio-compatible SMS accounts: the organisation's (clinic_id NULL) or a clinic's own,
-- primary (priority 0) and failover (1).
CREATE TABLE sms_accounts (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    clinic_id        INTEGER,
    priority         INTEGER NOT NULL,
    base_url         TEXT NOT NULL,
    account_sid      TEXT NOT NULL,
    auth_token       TEXT NOT NULL,
    sender           TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, clinic_id, priority)
);
CREATE INDEX sms_accounts_sender ON sms_accounts (sender);

-- A notification: one message of one kind on one channel to one patient (or, for replies,
-- to a number), planned by the use case that made the change and sent by the dispatcher.
-- state: planned (waiting for due_at) → claimed (a dispatcher holds it until lease_until;
-- fence is the token its writes must still match) → sending (handed to the provider) →
-- sent → delivered; or skipped / cancelled / failed / unknown, each with a reason.
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    clinic_id        INTEGER NOT NULL,
    patient_id       INTEGER,
    appointment_id   INTEGER,
    kind             TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    channel          TEXT NOT NULL,
    offset_text      TEXT NOT NULL DEFAULT '',
    due_at           TIMESTAMP NOT NULL,
    deadline_at      TIMESTAMP,
    state            TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    fence            INTEGER NOT NULL DEFAULT 0,
    lease_until      TIMESTAMP,
    destination      TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL DEFAULT '',
    segments         INTEGER NOT NULL DEFAULT 0,
    asks_reply       BOOLEAN NOT NULL DEFAULT 0,
    group_id         INTEGER,
    provider         TEXT NOT NULL DEFAULT '',
    provider_id      TEXT NOT NULL DEFAULT '',
    provider_status  TEXT NOT NULL DEFAULT '',
    sending_at       TIMESTAMP,
    sent_at          TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_due ON notifications (due_at) WHERE state = 'planned';
CREATE INDEX notifications_lease ON notifications (lease_until) WHERE state IN ('claimed', 'sending');
-- The planner merges and replaces the planned notifications of an appointment.
CREATE INDEX notifications_appointment ON notifications (appointment_id) WHERE state = 'planned';
CREATE INDEX notifications_patient ON notifications (organisation_id, patient_id, id);
-- A clinic's day and month: the communication log's counts and the SMS budget.
CREATE INDEX notifications_clinic_due ON notifications (organisation_id, clinic_id, due_at);
-- Every update of a notification rewrites each index (its state is in their predicates), so
-- they are few: C/Y replies look for the last SMS that asked for one, and only such SMS are
-- indexed for it.
CREATE INDEX notifications_asking ON notifications (organisation_id, destination, sent_at) WHERE asks_reply AND group_id IS NULL;

-- The status history of each notification, for the communication log.
CREATE TABLE notification_events (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    notification_id  INTEGER NOT NULL,
    state            TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    at               TIMESTAMP NOT NULL,
    -- The notification's id alone: a unique (organisation_id, id) on notifications would be
    -- one more index entry on every change of a notification, its hottest write.
    FOREIGN KEY (notification_id) REFERENCES notifications(id) ON DELETE CASCADE
);
CREATE INDEX notification_events_notification ON notification_events (notification_id, id);

-- A clinic's own text for a kind x channel x language (NOT-2); none: the shipped default.
CREATE TABLE message_templates (
    organisation_id  INTEGER NOT NULL,
    clinic_id        INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    channel          TEXT NOT NULL,
    lang             TEXT NOT NULL,
    subject          TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, clinic_id, kind, channel, lang),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);

-- Inbound SMS that no keyword handled (NOT-10): the staff inbox.
CREATE TABLE sms_inbox (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    clinic_id        INTEGER,
    patient_id       INTEGER,
    appointment_id   INTEGER,
    notification_id  INTEGER,
    provider_id      TEXT NOT NULL,
    from_number      TEXT NOT NULL,
    body             TEXT NOT NULL,
    why              TEXT NOT NULL DEFAULT '',
    received_at      TIMESTAMP NOT NULL,
    read_at          TIMESTAMP,
    UNIQUE (organisation_id, provider_id)
);
CREATE INDEX sms_inbox_unread ON sms_inbox (organisation_id, clinic_id, id) WHERE read_at IS NULL;

-- Web Push subscriptions the portal registers (NOT-6); 404/410 from the push service deletes.
CREATE TABLE push_subscriptions (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    patient_id       INTEGER NOT NULL,
    endpoint         TEXT NOT NULL,
    p256dh           TEXT NOT NULL,
    auth             TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, endpoint),
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_patient ON push_subscriptions (organisation_id, patient_id);

-- +goose Down
DROP TABLE push_subscriptions;
DROP TABLE sms_inbox;
DROP TABLE message_templates;
DROP TABLE notification_events;
DROP TABLE notifications;
DROP TABLE sms_accounts;
DROP TABLE notify_settings;
ALTER TABLE patients DROP COLUMN email_bounce;
ALTER TABLE patients DROP COLUMN email_bounced_at;
ALTER TABLE clinics DROP COLUMN phone;
