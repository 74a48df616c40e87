-- Tandem's first schema. Timestamps are milliseconds since the Unix epoch;
-- JSON documents are stored as TEXT so the same queries run on SQLite and
-- PostgreSQL.

CREATE TABLE assistants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    -- AgentSpec as JSON: an agent kind is data.
    agent TEXT NOT NULL,
    workspace TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Why the session failed, stopped or was interrupted.
    status_reason TEXT,
    -- The agent's own session id, stored as soon as the agent gives it, so a
    -- session whose process was killed can still be resumed.
    agent_session_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- Highest seq in events for this session; the actor continues from it.
    last_seq BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX sessions_by_updated ON sessions (updated_at);

-- The append-only transcript: (session_id, seq) is the order viewers see.
CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- A permission request of an agent. The row decides: the first
-- UPDATE ... WHERE state = 'pending' wins, even across a restart.
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    state TEXT NOT NULL,
    -- The tool call and options as JSON, for listing without the transcript.
    request TEXT NOT NULL,
    decided_option TEXT,
    decided_by TEXT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE INDEX approvals_by_session ON approvals (session_id, state);
