-- Agent process groups this server started and has not yet seen end. A row
-- is written as soon as the agent is spawned and removed once its group is
-- reaped; rows left by a server that was killed name the groups a restart
-- must end. `start_ticks` is the leader's start time (field 22 of
-- /proc/<pid>/stat) so a reused pid is never mistaken for the agent.
CREATE TABLE agent_processes (
    pgid BIGINT PRIMARY KEY,
    session_id TEXT NOT NULL,
    start_ticks BIGINT NOT NULL,
    started_at BIGINT NOT NULL
);
