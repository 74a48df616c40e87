-- Several servers on one database. Each running server is a node; its row
-- is its lease, renewed by heartbeat (`seen_at`). A live session is owned by
-- the node whose actor runs it; when that node stops renewing, any other
-- node makes the session `interrupted` (resumable anywhere).
CREATE TABLE cluster_nodes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    host TEXT NOT NULL,
    addr TEXT NOT NULL,
    pid BIGINT NOT NULL,
    version TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    stopped_at BIGINT
);
CREATE INDEX cluster_nodes_by_name ON cluster_nodes (name);

CREATE TABLE session_owners (
    session_id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    since BIGINT NOT NULL
);
CREATE INDEX session_owners_by_node ON session_owners (node_id);
CREATE INDEX session_owners_by_assistant ON session_owners (assistant_id);

-- A command for a session another node owns (a message, a decision, a
-- stop …): the row is the command; NOTIFY only says "look". Its answer is
-- written back into the row.
CREATE TABLE cluster_commands (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    from_node TEXT NOT NULL,
    to_node TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    taken_at BIGINT,
    reply TEXT
);
CREATE INDEX cluster_commands_to ON cluster_commands (to_node, taken_at);

-- The agent process groups a node started: a restart ends those of its own
-- earlier life, never another live node's.
ALTER TABLE agent_processes ADD COLUMN node_id TEXT NOT NULL DEFAULT '';

-- Every node must open the same secrets: the fingerprint of the first
-- node's key, checked by the rest.
CREATE TABLE cluster_keys (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);
