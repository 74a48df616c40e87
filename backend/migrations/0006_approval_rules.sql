-- Approval rules: Allow / Ask / Block by tool kind and a prefix of what the
-- tool call is about, Tandem-wide (assistant_id NULL) or per assistant.
CREATE TABLE approval_rules (
    id TEXT PRIMARY KEY,
    assistant_id TEXT REFERENCES assistants (id),
    -- A ToolKind name, or NULL for any kind.
    kind TEXT,
    prefix TEXT NOT NULL,
    action TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX approval_rules_by_assistant ON approval_rules (assistant_id);
