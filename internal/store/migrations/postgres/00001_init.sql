-- +goose Up
CREATE TABLE organisations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE clinical_databases (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('builtin','fhir','hl7v2','csv')),
    software_profile TEXT NOT NULL,
    respect_opt_out  BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, id)
);

CREATE TABLE clinics (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    database_id      BIGINT NOT NULL,
    slug             TEXT NOT NULL,
    name             TEXT NOT NULL,
    zone             TEXT NOT NULL,
    region           TEXT NOT NULL,
    address          TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, slug),
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id)
);

CREATE TABLE practitioners (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    title            TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, id)
);

CREATE TABLE agendas (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    clinic_id        BIGINT NOT NULL,
    practitioner_id  BIGINT,
    name             TEXT NOT NULL,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id),
    FOREIGN KEY (organisation_id, practitioner_id) REFERENCES practitioners(organisation_id, id)
);
CREATE INDEX agendas_clinic ON agendas (organisation_id, clinic_id);

CREATE TABLE reasons (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id      BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    clinic_id            BIGINT NOT NULL,
    name                 TEXT NOT NULL,
    duration_minutes     INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 720),
    buffer_after_minutes INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    notifications        BOOLEAN NOT NULL DEFAULT TRUE,
    online_bookable      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id)
);

CREATE TABLE agenda_reasons (
    organisation_id  BIGINT NOT NULL,
    agenda_id        BIGINT NOT NULL,
    reason_id        BIGINT NOT NULL,
    PRIMARY KEY (agenda_id, reason_id),
    FOREIGN KEY (organisation_id, agenda_id) REFERENCES agendas(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, reason_id) REFERENCES reasons(organisation_id, id) ON DELETE CASCADE
);
CREATE INDEX agenda_reasons_reason ON agenda_reasons (reason_id);

CREATE TABLE patients (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    database_id      BIGINT NOT NULL,
    external_id      TEXT,
    given_name       TEXT NOT NULL,
    family_name      TEXT NOT NULL,
    search_name      TEXT NOT NULL,
    birth_date       TEXT,
    mobile           TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL DEFAULT 'en',
    pms_opt_out      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, id),
    UNIQUE (database_id, external_id),
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id)
);
CREATE INDEX patients_search ON patients (organisation_id, search_name);
CREATE INDEX patients_mobile ON patients (organisation_id, mobile);
CREATE INDEX patients_email ON patients (organisation_id, email);

CREATE TABLE patient_relatives (
    organisation_id  BIGINT NOT NULL,
    patient_id       BIGINT NOT NULL,
    relative_id      BIGINT NOT NULL,
    relationship     TEXT NOT NULL,
    PRIMARY KEY (patient_id, relative_id),
    CHECK (patient_id <> relative_id),
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, relative_id) REFERENCES patients(organisation_id, id) ON DELETE CASCADE
);

CREATE TABLE appointments (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    clinic_id        BIGINT NOT NULL,
    agenda_id        BIGINT NOT NULL,
    reason_id        BIGINT NOT NULL,
    patient_id       BIGINT NOT NULL,
    external_id      TEXT,
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('booked','confirmed','arrived','seen','no_show','excused_absence','cancelled')),
    booked_by        TEXT NOT NULL CHECK (booked_by IN ('staff','patient_online','sync')),
    note             TEXT NOT NULL DEFAULT '',
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at),
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, clinic_id) REFERENCES clinics(organisation_id, id),
    FOREIGN KEY (organisation_id, agenda_id) REFERENCES agendas(organisation_id, id),
    FOREIGN KEY (organisation_id, reason_id) REFERENCES reasons(organisation_id, id),
    FOREIGN KEY (organisation_id, patient_id) REFERENCES patients(organisation_id, id)
);
CREATE INDEX appointments_agenda_time ON appointments (agenda_id, starts_at);
CREATE INDEX appointments_patient ON appointments (organisation_id, patient_id, starts_at);
CREATE INDEX appointments_clinic_time ON appointments (organisation_id, clinic_id, starts_at);

CREATE TABLE users (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL DEFAULT '',
    role             TEXT NOT NULL CHECK (role IN ('administrator','appointment_manager','practitioner','reception')),
    password_hash    TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    disabled_at      TIMESTAMPTZ
);

CREATE TABLE sessions (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash       BYTEA NOT NULL UNIQUE,
    user_id          BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organisation_id  BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('administrator','appointment_manager','practitioner','reception')),
    token_hash       BYTEA NOT NULL UNIQUE,
    created_at       TIMESTAMPTZ NOT NULL,
    last_used_at     TIMESTAMPTZ,
    expires_at       TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ
);

CREATE TABLE audit_log (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    actor            TEXT NOT NULL,
    user_id          BIGINT,
    token_id         BIGINT,
    patient_id       BIGINT,
    action           TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    request_id       TEXT NOT NULL
);
CREATE INDEX audit_log_org_time ON audit_log (organisation_id, id);
CREATE INDEX audit_log_patient ON audit_log (organisation_id, patient_id, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE appointments;
DROP TABLE patient_relatives;
DROP TABLE patients;
DROP TABLE agenda_reasons;
DROP TABLE reasons;
DROP TABLE agendas;
DROP TABLE practitioners;
DROP TABLE clinics;
DROP TABLE clinical_databases;
DROP TABLE organisations;
