-- A session's last seq is read off its events (the key's tail), so an
-- append no longer rewrites the session row: the column would only go stale.
ALTER TABLE sessions DROP COLUMN last_seq;
