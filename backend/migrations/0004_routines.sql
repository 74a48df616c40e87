-- Routines: a schedule (cron expression + time zone) and a prompt.
CREATE TABLE routines (
    id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL REFERENCES assistants (id),
    cron TEXT NOT NULL,
    -- An IANA time zone name, e.g. Europe/Berlin.
    time_zone TEXT NOT NULL,
    prompt TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    -- When it fires next (ms); a value in the past at start-up means runs
    -- were missed while the server was down: it fires once, not per slot.
    next_run_at BIGINT,
    last_run_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE INDEX routines_by_next_run ON routines (enabled, next_run_at);
