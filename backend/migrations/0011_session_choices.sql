-- What members chose for a session's agent: its mode and option values.
-- Each run of the session starts with them (over the assistant's defaults
-- and the agent's asking mode); one row per setting, the last choice wins.
-- `setting` is `mode` or `option:<id>`; `value` is JSON.
CREATE TABLE session_choices (
    session_id TEXT NOT NULL,
    setting TEXT NOT NULL,
    value TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    chosen_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, setting)
);
