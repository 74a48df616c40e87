-- Follow-ups waiting for a session's current turn to end. A row lives from
-- the moment a message is queued until it is delivered to the agent (or
-- recorded as undelivered), so a crash loses none: the next run of the
-- session delivers them first.
CREATE TABLE queued_messages (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    position BIGINT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    at BIGINT NOT NULL
);

CREATE INDEX queued_messages_by_session ON queued_messages (session_id, position);
