-- Monthly budgets: Tandem-wide (scope 'team') and per assistant (scope
-- an assistant's id), in millionths of Tandem's currency, held to the
-- spending of the calendar month (UTC).
CREATE TABLE budgets (
    scope TEXT PRIMARY KEY,
    monthly_micros BIGINT NOT NULL,
    warn_percent BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A warning or a limit said once per scope, month and amount: the first
-- server to insert the row says it; a raised budget can warn again.
CREATE TABLE budget_notices (
    scope TEXT NOT NULL,
    month TEXT NOT NULL,
    level TEXT NOT NULL,
    monthly_micros BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (scope, month, level, monthly_micros)
);

-- Why a wake was refused (over budget) or failed.
ALTER TABLE wakes ADD COLUMN reason TEXT;
