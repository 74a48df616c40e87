//! The scriptable test agent: an ACP agent that plays a scenario file, so
//! end-to-end tests need no network and no model. It is the only stand-in
//! in Tandem's tests: it plays the AI.
//!
//! Usage: `test-agent SCENARIO.json`. Every line it receives is appended to
//! the file named by `TEST_AGENT_LOG`, when set, so tests can check what
//! Tandem sent.

use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, Deserialize, Default)]
struct Scenario {
    /// Advertise `loadSession`.
    #[serde(default)]
    load_session: bool,
    /// Advertise `sessionCapabilities.resume` (`session/resume`: the
    /// session reopens without a replay).
    #[serde(default)]
    resume_session: bool,
    /// Request ids as strings instead of integers.
    #[serde(default)]
    string_ids: bool,
    /// Answer `initialize` with this JSON-RPC error (Codex's 1001).
    #[serde(default)]
    init_error: Option<Value>,
    /// `authMethods` in the `initialize` answer.
    #[serde(default)]
    auth_methods: Vec<Value>,
    /// Answer `session/new` with -32000 "Authentication required".
    #[serde(default)]
    auth_required: bool,
    /// Never answer `initialize`.
    #[serde(default)]
    hang_on_initialize: bool,
    /// Answer `session/load` with this error message instead of loading.
    #[serde(default)]
    fail_load: Option<String>,
    /// What `session/load` replays (default: one agent chunk).
    #[serde(default)]
    load_replay: Option<Vec<Step>>,
    /// Replay after answering `session/load`, as Gemini CLI does, instead of
    /// before as ACP says.
    #[serde(default)]
    replay_after_answer: bool,
    /// Answer the first prompt after a cancelled turn at once with
    /// `end_turn` and nothing else, as Claude's adapter does.
    #[serde(default)]
    empty_turn_after_cancel: bool,
    /// Keep running when stdin closes (an old codex-acp), until a signal.
    #[serde(default)]
    ignore_stdin_eof: bool,
    /// The modes offered (`[{id, name}]`), as `modes` in the answers to
    /// `session/new` and `session/load`.
    #[serde(default)]
    modes: Vec<Value>,
    /// The mode every new or loaded session starts in (Codex goes back to
    /// it on load; Claude's `auto`, Codex's `agent`).
    #[serde(default)]
    start_mode: Option<String>,
    /// Offer the modes as a `mode` configuration option instead.
    #[serde(default)]
    modes_as_option: bool,
    /// Other configuration options (`configOptions` entries) offered.
    #[serde(default)]
    config_options: Vec<Value>,
    /// Models offered as Codex does, in a `models` list
    /// (`[{modelId, name}]`, the first current) set with
    /// `session/set_model`.
    #[serde(default)]
    models: Vec<Value>,
    /// Modes in which a permission step acts without asking, as today's
    /// adapters do in their auto modes.
    #[serde(default)]
    acting_modes: Vec<String>,
    /// Turn N plays `turns[N]`, or the last one when there are fewer.
    #[serde(default)]
    turns: Vec<Vec<Step>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(tag = "do", rename_all = "snake_case")]
enum Step {
    Message {
        text: String,
    },
    Thought {
        text: String,
    },
    EchoPrompt,
    ToolCall {
        id: String,
        title: String,
        #[serde(default = "default_kind")]
        kind: String,
        #[serde(default)]
        diff: Option<DiffStep>,
    },
    ToolUpdate {
        id: String,
        status: String,
        /// A title replacing the placeholder Claude announces first.
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        text: Option<String>,
        /// The tool's result, as Claude sends it (`rawOutput`).
        #[serde(default)]
        raw_output: Option<Value>,
    },
    Plan {
        entries: Vec<(String, String)>,
    },
    Title {
        text: String,
    },
    /// Asks permission; a reject ends the turn (with `reject_stop`: Codex
    /// ends it `cancelled`), a cancel ends it cancelled. With `leave_open`,
    /// a rejected call gets no final update (Codex).
    Permission {
        id: String,
        title: String,
        #[serde(default = "default_kind")]
        kind: String,
        #[serde(default = "default_reject_stop")]
        reject_stop: String,
        #[serde(default)]
        leave_open: bool,
        /// More of the tool call, as the agent sends it in the request
        /// (Codex: `rawInput` with an argv, `content`).
        #[serde(default)]
        with: Option<Value>,
        /// The agent's own options (ids `yes`/`always`/`no` are the default
        /// ones: answers are read by kind).
        #[serde(default)]
        options: Option<Vec<Value>>,
    },
    /// Sends a request to the client and says its answer as agent text
    /// (`answer: {json}`): what a client does with requests it does not know.
    Ask {
        method: String,
        #[serde(default)]
        params: Value,
    },
    /// Says an environment variable's value (`NAME=value`, or `NAME unset`):
    /// what the agent was given.
    Env {
        name: String,
    },
    /// Any `session/update` (usage, commands, a notice, a mode switch of
    /// its own), sent as given with the session's id.
    Update {
        update: Value,
    },
    /// The turn's token use, given back in the prompt result's `usage`
    /// (as Claude's adapter does), in ACP's camelCase fields.
    TurnUsage {
        usage: Value,
    },
    /// A user message chunk (only ever history, in a load's replay).
    UserChunk {
        text: String,
    },
    /// Starts a child process in the agent's process group that outlives
    /// the agent unless its group is ended (`sleep seconds`).
    SpawnChild {
        seconds: u64,
    },
    /// Asks permission, then after `after_ms` withdraws the request
    /// (`$/cancel_request`) and says how the client answered it.
    WithdrawnPermission {
        id: String,
        title: String,
        after_ms: u64,
    },
    Sleep {
        ms: u64,
    },
    /// `bytes` of agent text as fast as it can, in chunks of `chunk` bytes.
    Flood {
        bytes: u64,
        chunk: u64,
    },
    /// `count` transcript entries: a tool call and a message in turn, each
    /// numbered (a long transcript, not one long message).
    Entries {
        count: u64,
    },
    /// `count` tool calls, each announced and then completed (the shape of
    /// a long agent session: the benchmarks' tool-call ingest).
    ToolCalls {
        count: u64,
    },
    /// `count` message chunks, one every `interval_ms`.
    Stream {
        count: u64,
        interval_ms: u64,
    },
    /// Like `stream`, each chunk `t=<unix µs> ` stamped as it is written, on
    /// a fixed schedule: the benchmarks' latency probe.
    TimedStream {
        count: u64,
        interval_ms: u64,
    },
    /// Exits at once with `code`, mid-turn.
    Crash {
        code: i32,
    },
    /// Writes a line that is not JSON-RPC.
    Garbage {
        text: String,
    },
    /// Runs `sh -c command` in the agent's working directory, as an agent's
    /// own terminal does, and says what it printed: `sh: <output>`.
    Shell {
        command: String,
    },
    /// Asks the client to write a file (`fs/write_text_file`), relative to cwd.
    WriteFile {
        path: String,
        content: String,
    },
    /// Waits for `session/cancel`, then ends the turn cancelled.
    WaitForCancel,
    /// Like `wait_for_cancel`, but sends a thought every `interval_ms`
    /// meanwhile, as an agent at work does (so it never looks hung).
    WorkUntilCancel {
        interval_ms: u64,
    },
    /// Calls a tool of the first MCP server Tandem offered, and says the
    /// answer as a message: `mcp <tool>: <text>` or `mcp <tool> failed: <text>`.
    Mcp {
        tool: String,
        #[serde(default)]
        arguments: Value,
    },
    /// Sends a notification of any method (extensions, test hooks).
    Notify {
        method: String,
        #[serde(default)]
        params: Value,
    },
    /// Plays `steps` the first time any process of this agent reaches it
    /// (a marker file in its cwd remembers), `otherwise` every later time:
    /// lets a scenario behave differently after a restart or a resume.
    FirstTime {
        marker: String,
        steps: Vec<Step>,
        #[serde(default)]
        otherwise: Vec<Step>,
    },
}

#[derive(Debug, Deserialize, Clone)]
struct DiffStep {
    path: String,
    #[serde(default)]
    old: Option<String>,
    new: String,
}

fn default_kind() -> String {
    "other".into()
}

fn default_reject_stop() -> String {
    "end_turn".into()
}

/// A minimal MCP client over the server's stdio: enough to call tools.
struct McpClient {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    next_id: u64,
}

impl McpClient {
    fn start(server: &Value) -> Result<McpClient, String> {
        let command = server["command"]
            .as_str()
            .ok_or("the MCP server has no command")?;
        let mut cmd = std::process::Command::new(command);
        for arg in server["args"].as_array().into_iter().flatten() {
            cmd.arg(arg.as_str().unwrap_or_default());
        }
        for var in server["env"].as_array().into_iter().flatten() {
            cmd.env(
                var["name"].as_str().unwrap_or_default(),
                var["value"].as_str().unwrap_or_default(),
            );
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {command}: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut client = McpClient {
            child,
            stdin,
            stdout,
            next_id: 1,
        };
        client.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test-agent", "version": "1"}}),
        )?;
        client.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok(client)
    }

    fn send(&mut self, value: Value) -> Result<(), String> {
        writeln!(self.stdin, "{value}").map_err(|e| e.to_string())?;
        self.stdin.flush().map_err(|e| e.to_string())
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let mut line = String::new();
            if self
                .stdout
                .read_line(&mut line)
                .map_err(|e| e.to_string())?
                == 0
            {
                return Err("the MCP server closed its stdout".into());
            }
            let Ok(message) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    return Err(error.to_string());
                }
                return Ok(message["result"].clone());
            }
        }
    }
}

impl Drop for McpClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Agent {
    rx: mpsc::Receiver<Value>,
    /// The MCP servers Tandem offered in `session/new` or `session/load`.
    mcp_servers: Vec<Value>,
    mcp: Option<McpClient>,
    out: std::io::Stdout,
    next_id: u64,
    cwd: String,
    session_id: String,
    /// The mode the session is in now.
    mode: String,
    /// The configuration options' values now, by id.
    values: std::collections::BTreeMap<String, Value>,
    acting_modes: Vec<String>,
    string_ids: bool,
    /// The modes and options the scenario offers.
    modes: Vec<Value>,
    modes_as_option: bool,
    config_options: Vec<Value>,
    models: Vec<Value>,
    /// The model now, from `models`.
    model: Option<String>,
    /// What the current turn's result says it used (`turn_usage`).
    turn_usage: Option<Value>,
}

impl Agent {
    fn send(&mut self, value: Value) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "{value}");
        let _ = out.flush();
    }

    fn update(&mut self, update: Value) {
        let session_id = self.session_id.clone();
        self.send(json!({"jsonrpc":"2.0","method":"session/update",
            "params":{"sessionId": session_id, "update": update}}));
    }

    /// Sends a request and waits for its answer, noting cancels meanwhile.
    fn call(&mut self, method: &str, params: Value) -> (Value, bool) {
        // Codex once used UUID strings for its requests' ids.
        let id = if self.string_ids {
            json!(format!("req-{}", self.next_id))
        } else {
            json!(self.next_id)
        };
        self.next_id += 1;
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}));
        let mut cancelled = false;
        while let Ok(message) = self.rx.recv() {
            if message.get("method").and_then(Value::as_str) == Some("session/cancel") {
                cancelled = true;
                continue;
            }
            if message.get("id") == Some(&id) && message.get("method").is_none() {
                return (message, cancelled);
            }
            // A person may change the mode while a request waits.
            if let (
                Some(
                    method @ ("session/set_mode"
                    | "session/set_config_option"
                    | "session/set_model"),
                ),
                Some(request),
            ) = (
                message.get("method").and_then(Value::as_str),
                message.get("id"),
            ) {
                let params = message.get("params").cloned().unwrap_or(Value::Null);
                self.on_setting(method, &request.clone(), &params);
            }
        }
        std::process::exit(0)
    }
}

impl Agent {
    /// `session/set_mode` and `session/set_config_option`.
    fn on_setting(&mut self, method: &str, id: &Value, params: &Value) {
        if method == "session/set_model" {
            let model = params["modelId"].as_str().unwrap_or_default().to_owned();
            if !self.models.iter().any(|m| m["modelId"] == model.as_str()) {
                self.send(json!({"jsonrpc":"2.0","id":id,
                    "error":{"code":-32602,"message":format!("no model {model}")}}));
                return;
            }
            self.model = Some(model);
            self.send(json!({"jsonrpc":"2.0","id":id,"result":{}}));
            return;
        }
        if method == "session/set_mode" {
            let mode = params["modeId"].as_str().unwrap_or_default().to_owned();
            if !self.modes.iter().any(|m| m["id"] == mode.as_str()) {
                self.send(json!({"jsonrpc":"2.0","id":id,
                    "error":{"code":-32602,"message":format!("no mode {mode}")}}));
                return;
            }
            self.mode = mode.clone();
            self.send(json!({"jsonrpc":"2.0","id":id,"result":{}}));
            self.update(json!({"sessionUpdate":"current_mode_update","currentModeId":mode}));
            return;
        }
        let option = params["configId"].as_str().unwrap_or_default().to_owned();
        let value = params["value"].clone();
        if option == "mode" && self.modes_as_option {
            self.mode = value.as_str().unwrap_or_default().to_owned();
        } else if let Some(current) = self.values.get_mut(&option) {
            *current = value;
        } else {
            self.send(json!({"jsonrpc":"2.0","id":id,
                "error":{"code":-32602,"message":format!("no option {option}")}}));
            return;
        }
        let options = config_options(self);
        self.send(json!({"jsonrpc":"2.0","id":id,"result":{"configOptions":options}}));
    }
}

fn main() {
    let scenario: Scenario = match std::env::args().nth(1) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str(&text) {
                Ok(scenario) => scenario,
                Err(err) => {
                    eprintln!("test-agent: bad scenario {path}: {err}");
                    std::process::exit(2)
                }
            },
            Err(err) => {
                eprintln!("test-agent: cannot read {path}: {err}");
                std::process::exit(2)
            }
        },
        None => Scenario::default(),
    };
    let log = std::env::var("TEST_AGENT_LOG").ok();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if let Some(log) = &log {
                if let Ok(mut file) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                {
                    let _ = writeln!(file, "{line}");
                }
            }
            match serde_json::from_str::<Value>(&line) {
                Ok(value) => {
                    if tx.send(value).is_err() {
                        break;
                    }
                }
                Err(err) => eprintln!("test-agent: bad line: {err}"),
            }
        }
    });
    let mut agent = Agent {
        rx,
        out: std::io::stdout(),
        next_id: 100,
        mcp_servers: Vec::new(),
        mcp: None,
        cwd: String::new(),
        session_id: String::new(),
        mode: String::new(),
        values: Default::default(),
        acting_modes: scenario.acting_modes.clone(),
        string_ids: scenario.string_ids,
        modes: scenario.modes.clone(),
        modes_as_option: scenario.modes_as_option,
        config_options: scenario.config_options.clone(),
        models: scenario.models.clone(),
        model: None,
        turn_usage: None,
    };
    let mut turn = 0usize;
    let mut last_stop = "end_turn";
    while let Ok(message) = agent.rx.recv() {
        let Some(method) = message.get("method").and_then(Value::as_str) else {
            continue;
        };
        let Some(id) = message.get("id").cloned() else {
            continue;
        };
        let params = message.get("params").cloned().unwrap_or(Value::Null);
        match method {
            "initialize" => {
                if scenario.hang_on_initialize {
                    // Hold stdin open and never answer.
                    loop {
                        std::thread::sleep(Duration::from_secs(3600));
                    }
                }
                if let Some(error) = &scenario.init_error {
                    agent.send(json!({"jsonrpc":"2.0","id":id,"error":error}));
                    continue;
                }
                agent.send(json!({"jsonrpc":"2.0","id":id,"result":{
                    "protocolVersion":1,
                    "agentCapabilities":{"loadSession":scenario.load_session,
                        "sessionCapabilities": if scenario.resume_session { json!({"resume":{}}) } else { json!({}) }},
                    "agentInfo":{"name":"test-agent","version":"1"},
                    "authMethods":scenario.auth_methods}}));
            }
            "session/new" if scenario.auth_required => {
                agent.send(json!({"jsonrpc":"2.0","id":id,
                    "error":{"code":-32000,"message":"Authentication required"}}));
            }
            "session/new" => {
                agent.mcp_servers = params["mcpServers"].as_array().cloned().unwrap_or_default();
                agent.cwd = params["cwd"].as_str().unwrap_or_default().to_owned();
                agent.session_id = format!("test-session-{}", std::process::id());
                let session_id = agent.session_id.clone();
                let mut result = session_settings(&scenario, &mut agent);
                result["sessionId"] = json!(session_id);
                agent.send(json!({"jsonrpc":"2.0","id":id,"result":result}));
            }
            "session/set_mode" | "session/set_config_option" | "session/set_model" => {
                agent.on_setting(method, &id, &params);
            }
            "session/resume" if scenario.resume_session => {
                agent.mcp_servers = params["mcpServers"].as_array().cloned().unwrap_or_default();
                agent.cwd = params["cwd"].as_str().unwrap_or_default().to_owned();
                agent.session_id = params["sessionId"].as_str().unwrap_or_default().to_owned();
                let result = session_settings(&scenario, &mut agent);
                agent.send(json!({"jsonrpc":"2.0","id":id,"result":result}));
            }
            "session/load" => {
                if let Some(message) = &scenario.fail_load {
                    agent.send(json!({"jsonrpc":"2.0","id":id,
                        "error":{"code":-32002,"message":message}}));
                    continue;
                }
                agent.mcp_servers = params["mcpServers"].as_array().cloned().unwrap_or_default();
                agent.cwd = params["cwd"].as_str().unwrap_or_default().to_owned();
                agent.session_id = params["sessionId"].as_str().unwrap_or_default().to_owned();
                let replay = scenario.load_replay.clone().unwrap_or_else(|| {
                    vec![Step::Message {
                        text: "(replayed history)".into(),
                    }]
                });
                // ACP: history before the answer. Gemini: after it.
                let result = session_settings(&scenario, &mut agent);
                let result = if result.as_object().is_some_and(|r| r.is_empty()) {
                    Value::Null
                } else {
                    result
                };
                if scenario.replay_after_answer {
                    agent.send(json!({"jsonrpc":"2.0","id":id,"result":result}));
                    play(&mut agent, &replay, "");
                } else {
                    play(&mut agent, &replay, "");
                    agent.send(json!({"jsonrpc":"2.0","id":id,"result":result}));
                }
            }
            "session/prompt" => {
                // The last block is the message; a cold start puts the
                // context block before it.
                let prompt: String = params["prompt"]
                    .as_array()
                    .and_then(|blocks| blocks.iter().rev().find_map(|b| b["text"].as_str()))
                    .unwrap_or_default()
                    .to_owned();
                if scenario.empty_turn_after_cancel && last_stop == "cancelled" {
                    // The prompt is swallowed: no update, no usage.
                    last_stop = "end_turn";
                    agent.send(
                        json!({"jsonrpc":"2.0","id":id,"result":{"stopReason":"end_turn",
                        "usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0}}}),
                    );
                    continue;
                }
                let steps = scenario
                    .turns
                    .get(turn)
                    .or(scenario.turns.last())
                    .cloned()
                    .unwrap_or_default();
                turn += 1;
                let stop = play(&mut agent, &steps, &prompt);
                last_stop = stop;
                let mut result = json!({"stopReason":stop});
                if let Some(usage) = agent.turn_usage.take() {
                    result["usage"] = usage;
                }
                agent.send(json!({"jsonrpc":"2.0","id":id,"result":result}));
            }
            other => {
                agent.send(json!({"jsonrpc":"2.0","id":id,
                    "error":{"code":-32601,"message":format!("test-agent has no {other}")}}));
            }
        }
    }
    if scenario.ignore_stdin_eof {
        // Deaf to the end of stdin: only a signal ends it.
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

fn text(text: &str) -> Value {
    json!({"type":"text","text":text})
}

/// What a new or loaded session starts with: its modes and options, with
/// the mode back at the start mode (Codex reverts on load).
fn session_settings(scenario: &Scenario, agent: &mut Agent) -> Value {
    let mut result = json!({});
    if let Some(start) = &scenario.start_mode {
        agent.mode = start.clone();
    }
    for option in &scenario.config_options {
        if let Some(id) = option["id"].as_str() {
            agent
                .values
                .entry(id.to_owned())
                .or_insert_with(|| option["currentValue"].clone());
        }
    }
    if !scenario.modes.is_empty() && !scenario.modes_as_option {
        result["modes"] = json!({"currentModeId": agent.mode, "availableModes": scenario.modes});
    }
    let options = config_options(agent);
    if options.as_array().is_some_and(|o| !o.is_empty()) {
        result["configOptions"] = options;
    }
    if let Some(first) = scenario.models.first() {
        let current = agent
            .model
            .clone()
            .unwrap_or_else(|| first["modelId"].as_str().unwrap_or_default().to_owned());
        result["models"] = json!({"currentModelId": current, "availableModels": scenario.models});
    }
    result
}

fn config_options(agent: &Agent) -> Value {
    let mut options = Vec::new();
    if agent.modes_as_option && !agent.modes.is_empty() {
        let choices: Vec<Value> = agent
            .modes
            .iter()
            .map(|m| json!({"value": m["id"], "name": m["name"]}))
            .collect();
        options.push(
            json!({"id":"mode","name":"Mode","category":"mode","type":"select",
            "currentValue": agent.mode, "options": choices}),
        );
    }
    for option in &agent.config_options {
        let mut option = option.clone();
        if let Some(value) = option["id"].as_str().and_then(|id| agent.values.get(id)) {
            option["currentValue"] = value.clone();
        }
        options.push(option);
    }
    Value::Array(options)
}

fn play(agent: &mut Agent, steps: &[Step], prompt: &str) -> &'static str {
    for step in steps {
        match step {
            Step::Notify { method, params } => {
                agent.send(json!({"jsonrpc":"2.0","method":method,"params":params}));
            }
            Step::FirstTime {
                marker,
                steps,
                otherwise,
            } => {
                let path = std::path::Path::new(&agent.cwd).join(format!(".first-time-{marker}"));
                let first = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .is_ok();
                let stop = play(agent, if first { steps } else { otherwise }, prompt);
                if stop != "end_turn" {
                    return stop;
                }
            }
            Step::Message { text: t } => agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(t)})),
            Step::Thought { text: t } => agent.update(json!({"sessionUpdate":"agent_thought_chunk","content":text(t)})),
            Step::EchoPrompt => agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&format!("You said: {prompt}"))})),
            Step::ToolCall { id, title, kind, diff } => {
                let mut call = json!({"sessionUpdate":"tool_call","toolCallId":id,"title":title,"kind":kind,"status":"pending"});
                if let Some(diff) = diff {
                    let path = format!("{}/{}", agent.cwd, diff.path);
                    call["content"] = json!([{"type":"diff","path":path,"oldText":diff.old,"newText":diff.new}]);
                    call["locations"] = json!([{"path":path}]);
                }
                agent.update(call);
            }
            Step::ToolUpdate { id, status, title, text: t, raw_output } => {
                let mut update = json!({"sessionUpdate":"tool_call_update","toolCallId":id,"status":status});
                if let Some(title) = title {
                    update["title"] = json!(title);
                }
                if let Some(t) = t {
                    update["content"] = json!([{"type":"content","content":text(t)}]);
                }
                if let Some(raw) = raw_output {
                    update["rawOutput"] = raw.clone();
                }
                agent.update(update);
            }
            Step::UserChunk { text: t } => agent.update(json!({"sessionUpdate":"user_message_chunk","content":text(t)})),
            Step::SpawnChild { seconds } => {
                // Same process group: only ending the group ends it.
                let _ = std::process::Command::new("sleep")
                    .arg(seconds.to_string())
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .spawn();
            }
            Step::Plan { entries } => {
                let entries: Vec<Value> = entries
                    .iter()
                    .map(|(content, status)| json!({"content":content,"priority":"medium","status":status}))
                    .collect();
                agent.update(json!({"sessionUpdate":"plan","entries":entries}));
            }
            Step::Update { update } => agent.update(update.clone()),
            Step::TurnUsage { usage } => agent.turn_usage = Some(usage.clone()),
            Step::Env { name } => {
                let said = match std::env::var(name) {
                    Ok(value) => format!("{name}={value}"),
                    Err(_) => format!("{name} unset"),
                };
                agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&said)}));
            }
            Step::Ask { method, params } => {
                let (answer, _) = agent.call(method, params.clone());
                let said = answer.get("error").or(answer.get("result")).cloned().unwrap_or(Value::Null);
                agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&format!("answer: {said}"))}));
            }
            Step::Title { text: t } => agent.update(json!({"sessionUpdate":"session_info_update","title":t})),
            Step::Permission { id, title, kind, .. } if agent.acting_modes.contains(&agent.mode) => {
                // An auto mode: the agent acts without asking anyone.
                agent.update(json!({"sessionUpdate":"tool_call","toolCallId":id,"title":title,"kind":kind,"status":"in_progress"}));
                agent.update(json!({"sessionUpdate":"tool_call_update","toolCallId":id,"status":"completed",
                    "content":[{"type":"content","content":text("done without asking")}]}));
            }
            Step::Permission { id, title, kind, reject_stop, leave_open, with, options } => {
                let session_id = agent.session_id.clone();
                let mut tool_call = json!({"toolCallId": id, "title": title, "kind": kind});
                if let (Some(Value::Object(more)), Some(fields)) = (with, tool_call.as_object_mut()) {
                    fields.extend(more.clone());
                }
                let options = options.clone().unwrap_or_else(|| vec![
                    json!({"optionId":"yes","name":"Allow once","kind":"allow_once"}),
                    json!({"optionId":"always","name":"Allow always","kind":"allow_always"}),
                    json!({"optionId":"no","name":"Reject","kind":"reject_once"})]);
                let (answer, _) = agent.call("session/request_permission", json!({
                    "sessionId": session_id,
                    "toolCall": tool_call,
                    "options": options}));
                let outcome = &answer["result"]["outcome"];
                let chosen_kind = outcome["optionId"].as_str().and_then(|chosen| {
                    options.iter().find(|o| o["optionId"] == chosen).and_then(|o| o["kind"].as_str())
                });
                match (outcome["outcome"].as_str(), chosen_kind) {
                    (Some("selected"), Some("allow_once" | "allow_always")) => {
                        agent.update(json!({"sessionUpdate":"tool_call_update","toolCallId":id,"status":"completed",
                            "content":[{"type":"content","content":text("allowed")}]}));
                    }
                    (Some("selected"), _) => {
                        if reject_stop == "cancelled" {
                            if !leave_open {
                                agent.update(json!({"sessionUpdate":"tool_call_update","toolCallId":id,"status":"failed"}));
                            }
                            return "cancelled";
                        }
                        if !leave_open {
                            agent.update(json!({"sessionUpdate":"tool_call_update","toolCallId":id,"status":"failed"}));
                        }
                        agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text("Permission denied; stopping.")}));
                        return "end_turn";
                    }
                    _ => return "cancelled",
                }
            }
            Step::WithdrawnPermission { id, title, after_ms } => {
                let request = agent.next_id;
                agent.next_id += 1;
                let session_id = agent.session_id.clone();
                agent.send(json!({"jsonrpc":"2.0","id":request,"method":"session/request_permission","params":{
                    "sessionId": session_id,
                    "toolCall": {"toolCallId": id, "title": title, "kind": "execute"},
                    "options": [
                        {"optionId":"yes","name":"Allow once","kind":"allow_once"},
                        {"optionId":"no","name":"Reject","kind":"reject_once"}]}}));
                std::thread::sleep(Duration::from_millis(*after_ms));
                agent.send(json!({"jsonrpc":"2.0","method":"$/cancel_request","params":{"requestId":request}}));
                while let Ok(message) = agent.rx.recv() {
                    if message.get("id") == Some(&json!(request)) && message.get("method").is_none() {
                        let code = message["error"]["code"].as_i64().unwrap_or(0);
                        agent.update(json!({"sessionUpdate":"agent_message_chunk",
                            "content":text(&format!("withdrawn; answered with code {code}"))}));
                        break;
                    }
                }
            }
            Step::Sleep { ms } => std::thread::sleep(Duration::from_millis(*ms)),
            Step::Flood { bytes, chunk } => {
                let piece = "x".repeat((*chunk).max(1) as usize);
                let mut sent = 0;
                while sent < *bytes {
                    agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&piece)}));
                    sent += piece.len() as u64;
                }
            }
            Step::Entries { count } => {
                for i in 0..*count {
                    if i % 2 == 0 {
                        agent.update(json!({"sessionUpdate":"tool_call","toolCallId":format!("call-{i}"),
                            "title":format!("entry {i}"),"kind":"read","status":"completed"}));
                    } else {
                        agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&format!("entry {i}"))}));
                    }
                }
            }
            Step::ToolCalls { count } => {
                for i in 0..*count {
                    let id = format!("tool-{i}");
                    agent.update(json!({"sessionUpdate":"tool_call","toolCallId":id,
                        "title":format!("cat file-{i}"),"kind":"execute","status":"pending"}));
                    agent.update(json!({"sessionUpdate":"tool_call_update","toolCallId":id,
                        "status":"completed","content":[{"type":"content","content":text("ok")}]}));
                }
            }
            Step::Stream { count, interval_ms } => {
                for i in 0..*count {
                    agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&format!("chunk {i} "))}));
                    if *interval_ms > 0 {
                        std::thread::sleep(Duration::from_millis(*interval_ms));
                    }
                }
            }
            Step::TimedStream { count, interval_ms } => {
                let start = std::time::Instant::now();
                for i in 0..*count {
                    let due = start + Duration::from_millis(i * interval_ms);
                    if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let micros = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_micros())
                        .unwrap_or(0);
                    agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&format!("t={micros} "))}));
                }
            }
            Step::Crash { code } => std::process::exit(*code),
            Step::Garbage { text: t } => {
                let mut out = agent.out.lock();
                let _ = writeln!(out, "{t}");
                let _ = out.flush();
            }
            Step::Shell { command } => {
                let output = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .current_dir(&agent.cwd)
                    .stdin(std::process::Stdio::null())
                    .output();
                let said = match output {
                    Ok(output) => format!(
                        "sh: {}{}",
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    ),
                    Err(error) => format!("sh failed: {error}"),
                };
                agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&said)}));
            }
            Step::WriteFile { path, content } => {
                let session_id = agent.session_id.clone();
                let full = format!("{}/{}", agent.cwd, path);
                let (answer, _) = agent.call("fs/write_text_file", json!({"sessionId":session_id,"path":full,"content":content}));
                if let Some(error) = answer.get("error") {
                    let message = error.get("message").and_then(Value::as_str).unwrap_or("");
                    agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&format!("write failed: {message}"))}));
                }
            }
            Step::Mcp { tool, arguments } => {
                let said = match call_tool(agent, tool, arguments) {
                    Ok((false, text)) => format!("mcp {tool}: {text}"),
                    Ok((true, text)) => format!("mcp {tool} failed: {text}"),
                    Err(error) => format!("mcp {tool} failed: {error}"),
                };
                agent.update(json!({"sessionUpdate":"agent_message_chunk","content":text(&format!("{said}\n"))}));
            }
            Step::WorkUntilCancel { interval_ms } => loop {
                match agent.rx.recv_timeout(Duration::from_millis(*interval_ms)) {
                    Ok(message) => {
                        if message.get("method").and_then(Value::as_str) == Some("session/cancel") {
                            return "cancelled";
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        agent.update(json!({"sessionUpdate":"agent_thought_chunk","content":text(".")}));
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return "cancelled",
                }
            },
            Step::WaitForCancel => {
                while let Ok(message) = agent.rx.recv() {
                    if message.get("method").and_then(Value::as_str) == Some("session/cancel") {
                        return "cancelled";
                    }
                }
                return "cancelled";
            }
        }
    }
    "end_turn"
}

/// Calls a tool; `(is_error, text)`.
fn call_tool(agent: &mut Agent, tool: &str, arguments: &Value) -> Result<(bool, String), String> {
    if agent.mcp.is_none() {
        let server = agent
            .mcp_servers
            .first()
            .ok_or("Tandem offered no MCP server")?
            .clone();
        agent.mcp = Some(McpClient::start(&server)?);
    }
    let client = agent.mcp.as_mut().ok_or("no MCP client")?;
    let arguments = if arguments.is_null() {
        json!({})
    } else {
        arguments.clone()
    };
    let result = client.request("tools/call", json!({"name": tool, "arguments": arguments}))?;
    let text = result["content"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    Ok((result["isError"].as_bool().unwrap_or(false), text))
}
