//! Tandem's end-to-end and integration tests: one test binary, one module
//! per area.
//!
//! - `access`: accounts, tokens, members, shared approvals, share links.
//! - `assets`: the web app and API answers over the wire (encodings, caching).
//! - `adapters`: pinned agent packages, versions, Node.js too old.
//! - `agent_modes`: agents switched to their asking mode; usage, commands
//!   and notices kept.
//! - `stepping_in`: pause, resume, interrupt and send, durable follow-ups.
//! - `store`: the SQL module on SQLite and PostgreSQL.
//! - `spending`: tokens and costs agents report, rolled up.
//! - `budgets`: monthly budgets warning, pausing and refusing wakes.
//! - `faults`: agents that ignore cancel or flood output.
//! - `http_api`: the REST surface, including bad input.
//! - `push`: Web Push to a push service of the tests' own, decrypted.
//! - `streaming`: the WebSocket: replay, live tail, reconnects, bad frames.
//! - `agent_tools`: the MCP tools agents call back with.
//! - `agent_runtime`: real agent processes (the test agent and the shell
//!   agent) driven through the real server.
//! - `continuity`: warm resumes, cold starts with context, summaries.
//! - `wakes`: chat, tasks and heartbeats waking assistants.
//! - `secrets`: assistants' secrets sealed, given to their agent only.
//! - `rules`: approval rules answering without asking.
//! - `real_agents`: the shapes today's agents send (Codex's reject, Claude's
//!   empty turn after a cancel, Gemini's late replay), and what a person sees.
//! - `supervision`: actors that panic, and SIGTERM with live sessions.
//! - `worktrees`: sessions in git worktrees of their own: diffs, reviews,
//!   merges.
//! - `browser`: the web app in headless Chromium.

mod support;

mod access;
mod adapters;
mod agent_modes;
mod agent_runtime;
mod agent_tools;
mod assets;
mod browser;
mod budgets;
mod cluster;
mod continuity;
mod faults;
mod fuzz_regressions;
mod host;
mod hostile_text;
mod http_api;
mod migrate;
mod push;
mod real_agents;
mod reattach;
mod rules;
mod runners;
mod sandbox;
mod secrets;
mod spending;
mod stepping_in;
mod store;
mod streaming;
mod supervision;
mod wakes;
mod workspaces;
mod worktrees;
