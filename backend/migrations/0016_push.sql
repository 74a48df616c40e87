-- Web Push: each person's subscribed devices, and the kinds of push each
-- turned off per assistant. The endpoint is the push service's address
-- for one browser; p256dh and auth are that browser's keys (base64url).
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_sent_at BIGINT
);

CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

CREATE TABLE push_mutes (
    user_id TEXT NOT NULL REFERENCES users (id),
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, assistant_id, kind)
);
