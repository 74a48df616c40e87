-- Roll-ups and budgets read spending_daily; the per-event ledger is read
-- by its key only, so its time, assistant and task indexes cost every
-- spend a write for nothing.
DROP INDEX spending_by_time;
DROP INDEX spending_by_assistant;
DROP INDEX spending_by_task;
