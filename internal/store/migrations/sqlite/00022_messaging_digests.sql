-- +goose Up
-- messaging_digests: the last e-mail digest of unread secure messages each staff member was
-- sent (MSG-5): a digest goes only when a message arrived after the newest one the last
-- digest counted, so nobody is told twice of the same unread messages.
CREATE TABLE messaging_digests (
    organisation_id   INTEGER NOT NULL,
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_message_id   INTEGER NOT NULL,
    sent_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);

-- +goose Down
DROP TABLE messaging_digests;
