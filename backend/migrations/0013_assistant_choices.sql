-- An assistant's defaults for its agent (mode, option values): every run of
-- every session of it starts with them, under the session's own choices.
-- Same shape as session_choices.
CREATE TABLE assistant_choices (
    assistant_id TEXT NOT NULL,
    setting TEXT NOT NULL,
    value TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    chosen_at BIGINT NOT NULL,
    PRIMARY KEY (assistant_id, setting)
);
