-- Runners: machines that run agents for the hub. A runner's token is its
-- own kind (stored as SHA-256, like every secret): it opens the runner's
-- link and nothing else.
CREATE TABLE runners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_seen_at BIGINT,
    version TEXT,
    agent_kinds TEXT NOT NULL DEFAULT '[]',
    workspace_roots TEXT NOT NULL DEFAULT '[]',
    -- The server its link is open to now (none while it is away).
    node_id TEXT
);

-- Where an assistant's sessions run: a runner, or this server (none).
ALTER TABLE assistants ADD COLUMN runner_id TEXT;
