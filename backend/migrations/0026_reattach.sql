-- An agent process a runner runs for a session, as its server left it: a
-- server that takes the session over (its first server died, or the
-- runner's link moved) reattaches to the running agent from here.
CREATE TABLE remote_runs (
    process TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    runner_id TEXT NOT NULL,
    -- The server whose actor speaks to the agent.
    node_id TEXT NOT NULL,
    -- The agent's own session, once open.
    agent_session TEXT,
    -- The open `session/prompt` request's id (JSON), while a turn runs.
    prompt_id TEXT,
    -- The agent's stdout lines stored in the transcript so far.
    stored_lines BIGINT NOT NULL DEFAULT 0,
    -- The run's tool token (SHA-256), which the agent's MCP server holds.
    token_hash TEXT,
    started_at BIGINT NOT NULL
);
CREATE INDEX remote_runs_session ON remote_runs (session_id);

-- Stdin lines sent to a runner's agent that the runner has not said it
-- wrote (an approval's answer given while its link was down): a server
-- taking the run over from a dead one sends them.
CREATE TABLE remote_stdin (
    process TEXT NOT NULL,
    seq BIGINT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (process, seq)
);

-- Tool tokens of runs, for servers other than the one that issued them:
-- an agent's MCP server may call any server behind the load balancer.
CREATE TABLE tool_grants (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tool_grants_session ON tool_grants (session_id);
