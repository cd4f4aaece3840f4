-- +goose Up
-- database_profiles: a clinical database's software profile as an administrator adjusted it
-- (SYN-1, RES-1, RES-2): the result categories it takes and what each doctor's action leads
-- to, as the JSON of integration.Profile. A database without a row uses its software's
-- defaults.
CREATE TABLE database_profiles (
    database_id      BIGINT PRIMARY KEY,
    organisation_id  BIGINT NOT NULL,
    profile          TEXT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE
);

-- A database's messages of the day (its sync page) are counted by their time.
CREATE INDEX sync_messages_received ON sync_messages (database_id, received_at);

-- +goose Down
DROP INDEX sync_messages_received;
DROP TABLE database_profiles;
