-- A session's own git worktree on its own branch, from the moment it is
-- made until its change is merged, kept or discarded.
CREATE TABLE worktrees (
    session_id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL,
    repo TEXT NOT NULL,
    path TEXT NOT NULL,
    branch TEXT NOT NULL,
    base_branch TEXT NOT NULL,
    base_commit TEXT NOT NULL,
    state TEXT NOT NULL,
    head_commit TEXT,
    outcome TEXT,
    proposed_at BIGINT,
    created_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX worktrees_by_assistant ON worktrees (assistant_id, state);

-- Per assistant: a worktree per session in a git workspace (1) or not (0),
-- and how many of its sessions may run at once with them.
ALTER TABLE assistants ADD COLUMN worktrees BIGINT NOT NULL DEFAULT 1;
ALTER TABLE assistants ADD COLUMN max_parallel BIGINT NOT NULL DEFAULT 3;
