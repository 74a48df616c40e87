-- Spending summed per UTC day and session (and who, which agent, model,
-- currency, task): what the roll-ups and budget checks read, so a year of
-- spend events is a few rows per session-day, not one per event. Kept in
-- the transaction that stores each spend event; '' stands for "none".
CREATE TABLE spending_daily (
    day BIGINT NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    task_id TEXT NOT NULL,
    woken_by TEXT NOT NULL,
    agent TEXT NOT NULL,
    model TEXT NOT NULL,
    currency TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_read_tokens BIGINT NOT NULL,
    cached_write_tokens BIGINT NOT NULL,
    thought_tokens BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    spends BIGINT NOT NULL,
    PRIMARY KEY (day, session_id, task_id, woken_by, agent, model, currency)
);

CREATE INDEX spending_daily_by_session ON spending_daily (session_id);
CREATE INDEX spending_daily_by_assistant ON spending_daily (assistant_id, day);

INSERT INTO spending_daily (day, session_id, assistant_id, task_id, woken_by, agent, model,
    currency, input_tokens, output_tokens, cached_read_tokens, cached_write_tokens,
    thought_tokens, cost_micros, spends)
SELECT at / 86400000, session_id, MIN(assistant_id), COALESCE(task_id, ''),
    COALESCE(woken_by, ''), agent, COALESCE(model, ''), COALESCE(currency, ''),
    SUM(input_tokens), SUM(output_tokens), SUM(cached_read_tokens), SUM(cached_write_tokens),
    SUM(thought_tokens), SUM(cost_micros), COUNT(*)
FROM spending
GROUP BY at / 86400000, session_id, COALESCE(task_id, ''), COALESCE(woken_by, ''), agent,
    COALESCE(model, ''), COALESCE(currency, '');
