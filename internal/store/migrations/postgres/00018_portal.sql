-- +goose Up
-- portal_settings: a clinic's patient portal (POR-1, POR-3, POR-5). The slug is the portal's
-- address (/p/{slug}) and is unique across the installation, since a patient's browser
-- names no organisation; a clinic without a row has its portal off.
CREATE TABLE portal_settings (
    clinic_id          BIGINT PRIMARY KEY,
    organisation_id    BIGINT NOT NULL,
    slug               TEXT NOT NULL UNIQUE,
    enabled            BOOLEAN NOT NULL DEFAULT FALSE,
    online_booking     BOOLEAN NOT NULL DEFAULT FALSE,
    late_fee_cents     BIGINT NOT NULL DEFAULT 0 CHECK (late_fee_cents BETWEEN 0 AND 10000000),
    late_fee_minutes   BIGINT NOT NULL DEFAULT 0 CHECK (late_fee_minutes BETWEEN 0 AND 43200),
    staff_alert        BOOLEAN NOT NULL DEFAULT FALSE,
    button_size        TEXT NOT NULL DEFAULT 'medium' CHECK (button_size IN ('small','medium','large')),
    button_colour      TEXT NOT NULL DEFAULT '#0b5cad',
    waitlist_wave      BIGINT NOT NULL DEFAULT 3 CHECK (waitlist_wave BETWEEN 1 AND 50),
    waitlist_hold_minutes BIGINT NOT NULL DEFAULT 30 CHECK (waitlist_hold_minutes BETWEEN 5 AND 1440),
    updated_at         TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);

-- Which patients may book a reason online: everyone, only patients already seen at the
-- clinic, or only new ones.
ALTER TABLE reasons ADD COLUMN online_for TEXT NOT NULL DEFAULT 'all' CHECK (online_for IN ('all','existing','new'));

-- A patient's cancellation inside the clinic's late-cancellation fee window (POR-3), marked
-- for staff.
ALTER TABLE appointment_events ADD COLUMN late BOOLEAN NOT NULL DEFAULT FALSE;

-- portal_accounts: one person's sign-in to an organisation's portals (POR-6). The e-mail is
-- stored lower-case and unique per organisation; the password hash is empty until the
-- invitation is accepted.
CREATE TABLE portal_accounts (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    email             TEXT NOT NULL,
    password_hash     TEXT NOT NULL DEFAULT '',
    locale            TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    activated_at      TIMESTAMPTZ,
    password_at       TIMESTAMPTZ,
    UNIQUE (organisation_id, email),
    UNIQUE (organisation_id, id)
);

-- The patient records an account's person has (one per clinical database); a record
-- belongs to one account at most.
CREATE TABLE portal_account_patients (
    patient_id        BIGINT PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    account_id        BIGINT NOT NULL,
    FOREIGN KEY (organisation_id, account_id) REFERENCES portal_accounts(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX portal_account_patients_account ON portal_account_patients (account_id);

-- portal_tokens: invitation and password-reset links (POR-7). Only the SHA-256 of the token
-- is kept; a token is minted when its e-mail is sent, single-use, and every token of an
-- account dies when its password changes.
CREATE TABLE portal_tokens (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    account_id        BIGINT NOT NULL,
    purpose           TEXT NOT NULL CHECK (purpose IN ('invite','reset')),
    token_hash        BYTEA NOT NULL UNIQUE,
    notification_id   BIGINT,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    used_at           TIMESTAMPTZ,
    FOREIGN KEY (organisation_id, account_id) REFERENCES portal_accounts(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX portal_tokens_account ON portal_tokens (account_id);
CREATE INDEX portal_tokens_notification ON portal_tokens (notification_id);

-- The relatives a record manages (a parent's children) are read on every portal request.
CREATE INDEX patient_relatives_relative ON patient_relatives (organisation_id, relative_id);

-- portal_sessions: signed-in patients' browsers, as staff sessions are kept.
CREATE TABLE portal_sessions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash        BYTEA NOT NULL UNIQUE,
    organisation_id   BIGINT NOT NULL,
    account_id        BIGINT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    last_seen_at      TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, account_id) REFERENCES portal_accounts(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX portal_sessions_account ON portal_sessions (account_id);
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);

-- Invitations not sent yet, which "Send (N) invites" does not send again.
CREATE INDEX notifications_pending_invites ON notifications (organisation_id, patient_id) WHERE kind = 'invite' AND state IN ('planned','sending');

-- The waitlist (POR-9). An entry is a patient waiting for a reason, optionally with one
-- practitioner's agenda, within a window of dates, weekdays (bit d: time.Weekday d) and
-- minutes of the day in the clinic's zone.
CREATE TABLE waitlist_entries (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    clinic_id         BIGINT NOT NULL,
    patient_id        BIGINT NOT NULL,
    reason_id         BIGINT NOT NULL,
    agenda_id         BIGINT,
    from_date         TEXT NOT NULL,
    to_date           TEXT NOT NULL,
    weekdays          BIGINT NOT NULL DEFAULT 127 CHECK (weekdays BETWEEN 1 AND 127),
    from_minute       BIGINT NOT NULL DEFAULT 0,
    to_minute         BIGINT NOT NULL DEFAULT 1440,
    state             TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting','booked','left')),
    appointment_id    BIGINT,
    added_by          TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CHECK (from_minute >= 0 AND to_minute <= 1440 AND from_minute < to_minute),
    CHECK (from_date <= to_date),
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, reason_id) REFERENCES reasons(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, agenda_id) REFERENCES agendas(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX waitlist_entries_waiting ON waitlist_entries (clinic_id, state, created_at);
CREATE INDEX waitlist_entries_patient ON waitlist_entries (organisation_id, patient_id);

-- A time freed on an agenda (a cancellation, a move, an absence lifted), offered in waves
-- while open; next_wave_at is when the worker looks at it next.
CREATE TABLE waitlist_slots (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    clinic_id         BIGINT NOT NULL,
    agenda_id         BIGINT NOT NULL,
    starts_at         TIMESTAMPTZ NOT NULL,
    ends_at           TIMESTAMPTZ NOT NULL,
    state             TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','taken','lapsed')),
    wave              BIGINT NOT NULL DEFAULT 0,
    next_wave_at      TIMESTAMPTZ NOT NULL,
    appointment_id    BIGINT,
    why               TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at),
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, agenda_id) REFERENCES agendas(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX waitlist_slots_due ON waitlist_slots (state, next_wave_at);

-- One offer of a slot's time to one entry's patient. code makes the reply word (BOOK
-- 4821); the link's token is minted per message and kept hashed in waitlist_links.
CREATE TABLE waitlist_offers (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    slot_id           BIGINT NOT NULL,
    entry_id          BIGINT NOT NULL,
    patient_id        BIGINT NOT NULL,
    starts_at         TIMESTAMPTZ NOT NULL,
    wave              BIGINT NOT NULL,
    code              TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'offered' CHECK (state IN ('offered','claimed','taken','expired','withdrawn')),
    offered_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    decided_at        TIMESTAMPTZ,
    UNIQUE (slot_id, entry_id),
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, slot_id) REFERENCES waitlist_slots(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, entry_id) REFERENCES waitlist_entries(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX waitlist_offers_slot ON waitlist_offers (slot_id, state);
CREATE INDEX waitlist_offers_patient ON waitlist_offers (organisation_id, patient_id, state);

CREATE TABLE waitlist_links (
    token_hash        BYTEA PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    offer_id          BIGINT NOT NULL,
    notification_id   BIGINT,
    created_at        TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, offer_id) REFERENCES waitlist_offers(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX waitlist_links_offer ON waitlist_links (offer_id);

-- The waitlist offer a notification makes or withdraws.
ALTER TABLE notifications ADD COLUMN offer_id BIGINT;

-- +goose Down
ALTER TABLE notifications DROP COLUMN offer_id;
DROP TABLE waitlist_links;
DROP TABLE waitlist_offers;
DROP TABLE waitlist_slots;
DROP TABLE waitlist_entries;
DROP INDEX notifications_pending_invites;
DROP TABLE portal_sessions;
DROP INDEX patient_relatives_relative;
DROP TABLE portal_tokens;
DROP TABLE portal_account_patients;
DROP TABLE portal_accounts;
ALTER TABLE appointment_events DROP COLUMN late;
ALTER TABLE reasons DROP COLUMN online_for;
DROP TABLE portal_settings;
