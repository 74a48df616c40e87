-- Why assistants act: every wake is recorded; chat and tasks are where
-- people and assistants talk and hand work to each other.

-- An assistant's chat: people's messages, assistants' replies, summaries.
CREATE TABLE chat_messages (
    id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    at BIGINT NOT NULL,
    -- person | assistant | summary
    author_kind TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    -- The session a summary or reply belongs to.
    session_id TEXT REFERENCES sessions (id)
);

CREATE INDEX chat_by_assistant ON chat_messages (assistant_id, at);

-- One reason for an assistant to act.
CREATE TABLE wakes (
    id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    -- chat | routine | task | heartbeat
    trigger_kind TEXT NOT NULL,
    -- Who or what sent it: a person's name, a routine id, an assistant.
    source TEXT NOT NULL,
    message TEXT NOT NULL,
    at BIGINT NOT NULL,
    -- queued | started | delivered
    state TEXT NOT NULL,
    session_id TEXT REFERENCES sessions (id),
    task_id TEXT
);

CREATE INDEX wakes_by_assistant ON wakes (assistant_id, at);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- todo | in_progress | in_review | done | cancelled
    status TEXT NOT NULL,
    assignee_id TEXT REFERENCES assistants (id),
    -- A follow-up points at the task whose run failed.
    parent_id TEXT REFERENCES tasks (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE task_sessions (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    session_id TEXT NOT NULL REFERENCES sessions (id),
    PRIMARY KEY (task_id, session_id)
);
