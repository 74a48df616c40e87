-- What sessions spent: one row per `spend` event (the transcript keeps
-- the same facts; this is their index for roll-ups and budgets). Written
-- in the transaction that stores the event, keyed by it, so the two never
-- disagree. Money is in millionths of `currency`.
CREATE TABLE spending (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    task_id TEXT,
    -- Who sent the message the turn answered, as the wake names them.
    woken_by TEXT,
    agent TEXT NOT NULL,
    model TEXT,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_read_tokens BIGINT NOT NULL,
    cached_write_tokens BIGINT NOT NULL,
    thought_tokens BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    currency TEXT,
    PRIMARY KEY (session_id, seq)
);

CREATE INDEX spending_by_time ON spending (at);
CREATE INDEX spending_by_assistant ON spending (assistant_id, at);
CREATE INDEX spending_by_task ON spending (task_id, at);
