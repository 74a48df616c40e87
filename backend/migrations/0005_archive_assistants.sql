-- Archived assistants leave the lists and cannot be woken; their sessions,
-- chat and journal stay.
ALTER TABLE assistants ADD COLUMN archived_at BIGINT;
