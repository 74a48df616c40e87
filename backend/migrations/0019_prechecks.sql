-- A routine's pre-check (JSON: command and rule), and the last output of
-- each pre-check whose rule is "the output changed" (a digest, by key:
-- the routine, or the assistant and command of a heartbeat).
ALTER TABLE routines ADD COLUMN precheck TEXT;

CREATE TABLE precheck_outputs (
    key TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    at BIGINT NOT NULL
);
