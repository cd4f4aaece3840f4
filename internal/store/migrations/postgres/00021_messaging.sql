-- +goose Up
-- messaging_settings: a clinic's secure-messaging switches (MSG-1..MSG-3); a clinic with no
-- row has messaging off.
CREATE TABLE messaging_settings (
    clinic_id         BIGINT PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    staff_start       BOOLEAN NOT NULL, -- MSG-1: professionals may start conversations
    staff_start_all   BOOLEAN NOT NULL, --        every professional, else the 'start' list
    incoming          BOOLEAN NOT NULL, -- MSG-2: patients and other clinics may start or hand over
    incoming_all      BOOLEAN NOT NULL, --        every professional answers, else the 'answer' list
    portal_button     BOOLEAN NOT NULL, -- MSG-3: the portal's "New message" button is active
    reception_triage  BOOLEAN NOT NULL, -- reception may read and assign without answering
    staff_digest      BOOLEAN NOT NULL, -- staff get an e-mail digest of unread messages
    updated_at        TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);

-- messaging_access: the selected professionals of MSG-1 ('start') and MSG-2 ('answer').
CREATE TABLE messaging_access (
    clinic_id         BIGINT NOT NULL,
    list              TEXT NOT NULL CHECK (list IN ('start','answer')),
    user_id           BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organisation_id   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, list, user_id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE
);

-- conversations: one thread between a clinic and a patient (MSG-4). A handover within the
-- organisation moves it (clinic_id changes, from_clinic_id keeps where it came from); a copy
-- to another organisation is a new conversation of that organisation (copy_of names the
-- original, audited on both sides).
CREATE TABLE conversations (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    clinic_id         BIGINT NOT NULL,
    patient_id        BIGINT NOT NULL,
    subject           TEXT NOT NULL,
    started_by        TEXT NOT NULL CHECK (started_by IN ('staff','patient','clinic')),
    started_by_user   BIGINT,
    assigned_user_id  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    state             TEXT NOT NULL CHECK (state IN ('open','closed')),
    from_clinic_id    BIGINT,
    copy_of           BIGINT,
    last_message_id   BIGINT NOT NULL DEFAULT 0,
    last_message_at   TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_clinic ON conversations (organisation_id, clinic_id, state, last_message_at);
CREATE INDEX conversations_patient ON conversations (organisation_id, patient_id, id);

-- attachments: images and PDFs of a conversation, checked by content; the bytes are here
-- (data) or in the data directory's blob store (blob, a content address).
CREATE TABLE attachments (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    conversation_id   BIGINT NOT NULL,
    name              TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    size              BIGINT NOT NULL,
    sha256            TEXT NOT NULL,
    data              BYTEA,
    blob              TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, conversation_id) REFERENCES conversations(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

-- messages: what was written, stored as sent (rendered escaped, never logged).
CREATE TABLE messages (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    conversation_id   BIGINT NOT NULL,
    author            TEXT NOT NULL CHECK (author IN ('staff','patient','system')),
    author_user_id    BIGINT,
    author_patient_id BIGINT,
    body              TEXT NOT NULL,
    attachment_id     BIGINT REFERENCES attachments(id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, conversation_id) REFERENCES conversations(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, author_patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- conversation_reads: how far each participant read (MSG-4 read state): 'user:ID' or
-- 'patient:ID'.
CREATE TABLE conversation_reads (
    conversation_id   BIGINT NOT NULL,
    reader            TEXT NOT NULL,
    organisation_id   BIGINT NOT NULL,
    last_read_id      BIGINT NOT NULL,
    read_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, reader),
    FOREIGN KEY (organisation_id, conversation_id) REFERENCES conversations(organisation_id, id) ON DELETE CASCADE
);

-- message_events: every change open pages must see (a message, a read, closed, reopened,
-- assigned, handed over), numbered: a stream resumes after the last id it saw
-- (Last-Event-ID), so nothing is lost across a reconnect or a restart.
CREATE TABLE message_events (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL,
    conversation_id   BIGINT NOT NULL,
    clinic_id         BIGINT NOT NULL,
    patient_id        BIGINT NOT NULL,
    kind              TEXT NOT NULL,
    message_id        BIGINT,
    reader            TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX message_events_clinic ON message_events (organisation_id, clinic_id, id);
CREATE INDEX message_events_patient ON message_events (organisation_id, patient_id, id);

-- +goose Down
DROP TABLE message_events;
DROP TABLE conversation_reads;
DROP TABLE messages;
DROP TABLE attachments;
DROP TABLE conversations;
DROP TABLE messaging_access;
DROP TABLE messaging_settings;
