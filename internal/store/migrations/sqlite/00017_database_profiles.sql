-- +goose Up
-- database_profiles: a clinical database's software profile as an administrator adjusted it
-- (SYN-1, RES-1, RES-2): the result categories it takes and what each doctor's action leads
-- to, as the JSON of integration.Profile. A database without a row uses its software's
-- defaults.
CREATE TABLE database_profiles (
    database_id      INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL,
    profile          TEXT NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    FOREIGN KEY (organisation_id, database_id) REFERENCES clinical_databases(organisation_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE database_profiles;
