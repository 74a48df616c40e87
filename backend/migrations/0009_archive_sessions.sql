-- Archived sessions leave the sidebar but stay searchable.
ALTER TABLE sessions ADD COLUMN archived_at BIGINT;
