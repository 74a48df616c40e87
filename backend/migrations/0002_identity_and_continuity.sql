-- Who an assistant is (persona, constitution, memory), its journal, and
-- what continuity needs to decide between a warm resume and a cold start.

ALTER TABLE assistants ADD COLUMN persona TEXT NOT NULL DEFAULT '';
ALTER TABLE assistants ADD COLUMN constitution TEXT NOT NULL DEFAULT '';
-- One markdown document the assistant keeps across sessions.
ALTER TABLE assistants ADD COLUMN memory TEXT NOT NULL DEFAULT '';

-- The persona + constitution fingerprint the agent session started with:
-- a different one now means the next run starts cold.
ALTER TABLE sessions ADD COLUMN agent_fingerprint TEXT;
-- When the agent session started and how many turns it has had, for rotation.
ALTER TABLE sessions ADD COLUMN agent_started_at BIGINT;
ALTER TABLE sessions ADD COLUMN agent_turns BIGINT NOT NULL DEFAULT 0;

CREATE TABLE journal (
    id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    at BIGINT NOT NULL,
    text TEXT NOT NULL
);

CREATE INDEX journal_by_assistant ON journal (assistant_id, at);

-- Tandem-wide settings, such as the organisation's constitution.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
