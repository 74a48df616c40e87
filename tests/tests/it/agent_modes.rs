//! Today's adapters start in modes that act without asking (Claude `auto`,
//! Codex `agent`): Tandem switches them to their asking mode after every
//! `session/new` and `session/load`, so a person stays in the loop. And
//! what they say of themselves (usage, commands, notices) is kept.

use crate::support::{run_to_end, TestServer, Viewer};
use serde_json::{json, Value};
use tandem_shared::agent_state::{ChangedBy, ConfigValue};
use tandem_shared::transcript::{Entry, Transcript};
use tandem_shared::{EventBody, Seq, SessionId, SessionStatus};

/// The requests of `method` Tandem sent the agent, from its log.
fn sent(server: &TestServer, assistant: &str, method: &str) -> Vec<Value> {
    let log = server.data_dir.join(format!("ws-{assistant}/agent.log"));
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["method"] == method)
        .map(|message| message["params"].clone())
        .collect()
}

fn folded(viewer: &Viewer) -> Transcript {
    let mut transcript = Transcript::default();
    for event in &viewer.events {
        transcript.apply(event);
    }
    transcript
}

fn mode_changes(viewer: &Viewer) -> Vec<(String, ChangedBy)> {
    viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::ModeChange { mode, by } => Some((mode.clone(), by.clone())),
            _ => None,
        })
        .collect()
}

fn claude_like(turn: Value) -> Value {
    json!({
        "load_session": true,
        "modes": [
            {"id": "auto", "name": "Auto"},
            {"id": "default", "name": "Default"},
            {"id": "acceptEdits", "name": "Accept edits"},
            {"id": "plan", "name": "Plan"}
        ],
        "start_mode": "auto",
        "acting_modes": ["auto", "acceptEdits"],
        "turns": [turn]
    })
}

async fn answer(server: &TestServer, approval: &str, option: &str) {
    let (status, body) = server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({ "option_id": option }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_agent_that_starts_acting_alone_is_switched_to_asking_and_its_request_reaches_a_person()
{
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "claude-like",
            claude_like(json!([
                {"do": "permission", "id": "w1", "title": "Write notes.txt", "kind": "edit"},
                {"do": "message", "text": "written"}
            ])),
        )
        .await;
    let session = server.start_session(&assistant, "write it").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let set = sent(&server, "claude-like", "session/set_mode");
    assert_eq!(set.len(), 1, "{set:?}");
    assert_eq!(set[0]["modeId"], "default");
    answer(&server, &approval, "yes").await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert_eq!(
        mode_changes(&viewer),
        vec![("default".to_owned(), ChangedBy::Default)],
        "one change, by the assistant's default; the agent's echo of it is not a second"
    );
    let transcript = folded(&viewer);
    assert_eq!(transcript.agent.current_mode(), Some("default"));
    assert_eq!(transcript.agent.modes.len(), 4);
    assert!(transcript.entries.iter().any(|e| matches!(
        e,
        Entry::Change { what, value, .. } if what == "Mode" && value == "Default"
    )));
}

#[tokio::test]
async fn the_asking_mode_is_set_again_after_a_warm_start() {
    // Codex goes back to `agent` on every load.
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "codex-like",
            json!({
                "load_session": true,
                "modes": [
                    {"id": "read-only", "name": "Read-only"},
                    {"id": "workspace-write", "name": "Workspace access"},
                    {"id": "agent", "name": "Auto review"}
                ],
                "start_mode": "agent",
                "acting_modes": ["agent", "workspace-write"],
                "turns": [[{"do": "permission", "id": "x", "title": "cargo test", "kind": "execute"}]]
            }),
        )
        .await;
    let session = server.start_session(&assistant, "test it").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    answer(&server, &approval, "yes").await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);

    let before = viewer.events.len();
    let (status, body) = server
        .post(
            &format!("/api/sessions/{}/messages", session.id),
            json!({"text": "and again"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    viewer
        .until("the second request", |v| {
            v.events[before..]
                .iter()
                .any(|e| matches!(e.body, EventBody::PermissionRequest { .. }))
        })
        .await;
    assert!(sent(&server, "codex-like", "session/load").len() == 1);
    let set = sent(&server, "codex-like", "session/set_mode");
    assert_eq!(set.len(), 2, "after new and after load: {set:?}");
    assert!(set.iter().all(|s| s["modeId"] == "read-only"), "{set:?}");
}

#[tokio::test]
async fn a_mode_offered_as_an_option_is_switched_with_set_config_option() {
    let server = TestServer::start().await;
    let mut scenario = claude_like(json!([
        {"do": "permission", "id": "w1", "title": "Write a", "kind": "edit"}
    ]));
    scenario["modes_as_option"] = json!(true);
    scenario["config_options"] = json!([
        {"id": "model", "name": "Model", "category": "model", "type": "select",
         "currentValue": "small", "options": [
            {"value": "small", "name": "Small"}, {"value": "large", "name": "Large"}]}
    ]);
    let assistant = server.scripted_assistant("by-option", scenario).await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let set = sent(&server, "by-option", "session/set_config_option");
    assert_eq!(set.len(), 1, "{set:?}");
    assert_eq!(
        (&set[0]["configId"], &set[0]["value"]),
        (&json!("mode"), &json!("default"))
    );
    assert!(sent(&server, "by-option", "session/set_mode").is_empty());
    answer(&server, &approval, "yes").await;
    viewer.until_ended().await;
    let agent = folded(&viewer).agent;
    assert_eq!(agent.current_mode(), Some("default"));
    let model = agent.other_options().next().expect("the model option");
    assert_eq!(
        (model.id.as_str(), &model.value),
        ("model", &ConfigValue::Choice("small".into()))
    );
}

#[tokio::test]
async fn usage_commands_and_notices_are_kept_apart_from_the_reply() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "talker",
            json!({"turns": [[
                {"do": "update", "update": {"sessionUpdate": "available_commands_update", "availableCommands": [
                    {"name": "review", "description": "Review the diff", "input": {"hint": "what to focus on"}},
                    {"name": "compact", "description": "Shorten the context"}]}},
                {"do": "update", "update": {"sessionUpdate": "agent_message_chunk",
                    "content": {"type": "text", "text": "Compacting the conversation…"},
                    "_meta": {"claudeCode": {"kind": "informational"}}}},
                {"do": "message", "text": "Here is the answer."},
                {"do": "update", "update": {"sessionUpdate": "usage_update", "used": 53000, "size": 200000,
                    "cost": {"amount": 0.42, "currency": "USD"}}},
                {"do": "update", "update": {"sessionUpdate": "_unknown_kind", "x": 1}}
            ]]}),
        )
        .await;
    let session = server.start_session(&assistant, "hi").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert_eq!(viewer.agent_text(), "Here is the answer.");
    let transcript = folded(&viewer);
    assert!(transcript.entries.iter().any(
        |e| matches!(e, Entry::Notice { text, .. } if text == "Compacting the conversation…")
    ));
    let usage = transcript.agent.usage.clone().expect("usage");
    assert_eq!((usage.used, usage.size), (53_000, 200_000));
    assert_eq!(
        usage.cost.map(|c| (c.amount, c.currency)),
        Some((0.42, "USD".to_owned()))
    );
    let commands: Vec<(&str, Option<&str>)> = transcript
        .agent
        .commands
        .iter()
        .map(|c| (c.name.as_str(), c.hint.as_deref()))
        .collect();
    assert_eq!(
        commands,
        vec![("review", Some("what to focus on")), ("compact", None)]
    );
    // Stored, so a page opened later shows the same.
    let stored: Vec<_> = server.all_events(&SessionId(session.id.0.clone())).await;
    assert!(stored
        .iter()
        .any(|e| matches!(e.body, EventBody::Usage { .. })));
}

fn with_models(mut scenario: Value) -> Value {
    scenario["config_options"] = json!([
        {"id": "model", "name": "Model", "category": "model", "type": "select",
         "currentValue": "sonnet", "options": [
            {"value": "sonnet", "name": "Sonnet"}, {"value": "opus", "name": "Opus"}]}
    ]);
    scenario
}

async fn choose(server: &TestServer, session: &SessionId, setting: Value) -> (u16, Value) {
    server
        .post(&format!("/api/sessions/{session}/choices"), setting)
        .await
}

#[tokio::test]
async fn a_member_changes_mode_and_model_while_the_agent_runs() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "switcher",
            with_models(claude_like(json!([
                {"do": "permission", "id": "w1", "title": "Write a", "kind": "edit"},
                {"do": "message", "text": "done"}
            ]))),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;

    let (status, applied) = choose(
        &server,
        &session.id,
        json!({"setting": "mode", "mode": "acceptEdits"}),
    )
    .await;
    assert_eq!((status, applied), (200, json!("now")));
    let (status, _) = choose(
        &server,
        &session.id,
        json!({"setting": "option", "id": "model", "value": "opus"}),
    )
    .await;
    assert_eq!(status, 200);
    // A mode the agent does not offer is refused by the session, in words.
    choose(
        &server,
        &session.id,
        json!({"setting": "option", "id": "model", "value": "gpt"}),
    )
    .await;
    viewer
        .until("both changes and the refusal", |v| {
            let t = folded(v);
            t.agent.current_mode() == Some("acceptEdits")
                && t.agent
                    .options
                    .iter()
                    .any(|o| o.value == ConfigValue::Choice("opus".into()))
                && v.error_text().contains("does not offer")
        })
        .await;
    let modes = sent(&server, "switcher", "session/set_mode");
    assert_eq!(
        modes.last().map(|m| m["modeId"].clone()),
        Some(json!("acceptEdits"))
    );
    let options = sent(&server, "switcher", "session/set_config_option");
    assert_eq!(options.len(), 1, "gpt is never sent: {options:?}");
    assert_eq!(
        (&options[0]["configId"], &options[0]["value"]),
        (&json!("model"), &json!("opus"))
    );
    let admin = ChangedBy::Person(crate::support::ADMIN.into());
    assert!(mode_changes(&viewer).contains(&("acceptEdits".into(), admin.clone())));
    assert!(viewer.events.iter().any(|e| matches!(&e.body,
        EventBody::OptionChange { id, value, by } if id == "model" && value == &ConfigValue::Choice("opus".into()) && by == &admin)));
    answer(&server, &approval, "yes").await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);

    let (_, kept) = server
        .get(&format!("/api/sessions/{}/choices", session.id))
        .await;
    let kept: Vec<&str> = kept
        .as_array()
        .map(|all| all.iter().filter_map(|c| c["setting"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        kept,
        vec!["mode", "option"],
        "one row per setting, the last wins"
    );
}

#[tokio::test]
async fn a_choice_made_between_runs_is_where_the_next_run_starts() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "later",
            with_models(claude_like(json!([{"do": "message", "text": "ok"}]))),
        )
        .await;
    let session = server.start_session(&assistant, "first").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);

    let (status, applied) = choose(
        &server,
        &session.id,
        json!({"setting": "mode", "mode": "plan"}),
    )
    .await;
    assert_eq!((status, applied), (200, json!("next_run")));
    choose(
        &server,
        &session.id,
        json!({"setting": "option", "id": "model", "value": "opus"}),
    )
    .await;
    run_to_end(&server, &mut viewer, &session.id, "again").await;
    let modes: Vec<Value> = sent(&server, "later", "session/set_mode")
        .into_iter()
        .map(|m| m["modeId"].clone())
        .collect();
    assert_eq!(
        modes,
        vec![json!("default"), json!("plan")],
        "asking first, then the member's choice after the load"
    );
    let admin = ChangedBy::Person(crate::support::ADMIN.into());
    assert_eq!(
        mode_changes(&viewer),
        vec![
            ("default".to_owned(), ChangedBy::Default),
            ("plan".to_owned(), admin)
        ]
    );
    assert_eq!(
        folded(&viewer).agent.options[0].value,
        ConfigValue::Choice("opus".into())
    );
}

#[tokio::test]
async fn bad_choices_get_clear_errors_and_strangers_see_nothing() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "guarded",
            claude_like(json!([{"do": "message", "text": "ok"}])),
        )
        .await;
    let session = server.start_session(&assistant, "first").await;
    for (body, wanted) in [
        (
            json!({"setting": "mode", "mode": ""}),
            "mode: 1 to 200 characters",
        ),
        (
            json!({"setting": "mode", "mode": "x".repeat(201)}),
            "mode: 1 to 200",
        ),
        (
            json!({"setting": "option", "id": "model", "value": "a\u{0007}b"}),
            "no control characters",
        ),
        (json!({"setting": "volume", "level": 11}), "setting"),
        (
            json!({"setting": "option", "id": "model", "value": 3}),
            "ConfigValue",
        ),
    ] {
        let (status, error) = choose(&server, &session.id, body.clone()).await;
        assert_eq!(status, 400, "{body} → {error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|e| e.contains(wanted)),
            "{body} → {error}"
        );
    }
    let (_, kept) = server
        .get(&format!("/api/sessions/{}/choices", session.id))
        .await;
    assert_eq!(kept, json!([]), "nothing bad was kept");

    let stranger = server.person("mallory").await;
    let (status, _) = stranger
        .post(
            &format!("/api/sessions/{}/choices", session.id),
            json!({"setting": "mode", "mode": "bypassPermissions"}),
        )
        .await;
    assert_eq!(status, 404, "a stranger cannot change another team's agent");
    let (status, _) = stranger
        .get(&format!("/api/sessions/{}/choices", session.id))
        .await;
    assert_eq!(status, 404);
}

/// An agent that offers `session/resume` is resumed (nothing replayed, no
/// load), and put back in its asking mode afterwards.
#[tokio::test]
async fn an_agent_that_offers_resume_is_resumed_without_a_replay() {
    let server = TestServer::start().await;
    let mut scenario = claude_like(json!([{"do": "echo_prompt"}]));
    scenario["load_session"] = json!(false);
    scenario["resume_session"] = json!(true);
    let assistant = server.scripted_assistant("resumer", scenario).await;
    let session = server.start_session(&assistant, "first").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let before = run_to_end(&server, &mut viewer, &session.id, "second").await;
    assert_eq!(sent(&server, "resumer", "session/resume").len(), 1);
    assert!(sent(&server, "resumer", "session/load").is_empty());
    assert_eq!(sent(&server, "resumer", "session/new").len(), 1);
    let warm = viewer.events[before..].iter().any(|e| {
        matches!(
            &e.body,
            EventBody::Continuity {
                mode: tandem_shared::StartMode::Warm,
                ..
            }
        )
    });
    assert!(warm, "the second run started warm");
    assert_eq!(
        sent(&server, "resumer", "session/set_mode").len(),
        2,
        "after new and after resume"
    );
    assert!(viewer.agent_text().contains("You said: second"));
}

/// An assistant's defaults apply at every start, beneath a session's own
/// choices: here the default mode `plan` and model `opus`, and a session
/// that chose `sonnet` keeps it.
#[tokio::test]
async fn an_assistants_defaults_start_every_run_and_a_sessions_choice_wins() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "defaulted",
            with_models(claude_like(json!([{"do": "message", "text": "ok"}]))),
        )
        .await;
    for body in [
        json!({"setting": "mode", "mode": "plan"}),
        json!({"setting": "option", "id": "model", "value": "opus"}),
    ] {
        let (status, kept) = server
            .post(&format!("/api/assistants/{}/choices", assistant.id), body)
            .await;
        assert_eq!(status, 200, "{kept}");
    }
    let (status, bad) = server
        .post(
            &format!("/api/assistants/{}/choices", assistant.id),
            json!({"setting": "mode", "mode": ""}),
        )
        .await;
    assert_eq!(status, 400, "{bad}");

    let session = server.start_session(&assistant, "first").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert_eq!(
        mode_changes(&viewer),
        vec![("plan".to_owned(), ChangedBy::Default)]
    );
    let agent = folded(&viewer).agent;
    assert_eq!(agent.options[0].value, ConfigValue::Choice("opus".into()));

    choose(
        &server,
        &session.id,
        json!({"setting": "option", "id": "model", "value": "sonnet"}),
    )
    .await;
    run_to_end(&server, &mut viewer, &session.id, "again").await;
    assert_eq!(
        folded(&viewer).agent.options[0].value,
        ConfigValue::Choice("sonnet".into())
    );
    let options: Vec<Value> = sent(&server, "defaulted", "session/set_config_option")
        .into_iter()
        .map(|o| o["value"].clone())
        .collect();
    assert_eq!(
        options,
        vec![json!("opus")],
        "the second run's sonnet is the agent's start value, so nothing is sent"
    );
}

/// Codex offers its models as a `models` list, not as a configuration
/// option: the header's model picker reads it, and choosing sends
/// `session/set_model`, at the start (an assistant's default) and while
/// the agent runs (a member's choice).
#[tokio::test]
async fn a_model_from_the_agents_models_list_is_set_with_set_model() {
    let server = TestServer::start().await;
    let assistant = server
        .scripted_assistant(
            "codex-models",
            json!({
                "modes": [{"id": "read-only", "name": "Read Only"}, {"id": "agent", "name": "Agent"}],
                "start_mode": "agent",
                "acting_modes": ["agent"],
                "models": [
                    {"modelId": "gpt-5.2-codex/medium", "name": "gpt-5.2-codex (medium)"},
                    {"modelId": "gpt-5.2-codex/high", "name": "gpt-5.2-codex (high)"}
                ],
                "turns": [[
                    {"do": "permission", "id": "c1", "title": "Run tests", "kind": "execute"},
                    {"do": "message", "text": "ran"}
                ]]
            }),
        )
        .await;
    let (status, kept) = server
        .post(
            &format!("/api/assistants/{}/choices", assistant.id),
            json!({"setting": "option", "id": "model", "value": "gpt-5.2-codex/high"}),
        )
        .await;
    assert_eq!(status, 200, "{kept}");
    let session = server.start_session(&assistant, "test it").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&session.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    let model = |v: &Viewer| {
        folded(v)
            .agent
            .options
            .iter()
            .find(|o| o.id == "model")
            .map(|o| (o.value.clone(), o.choices.len(), o.from_models))
    };
    assert_eq!(
        model(&viewer),
        Some((ConfigValue::Choice("gpt-5.2-codex/high".into()), 2, true))
    );
    let (status, _) = choose(
        &server,
        &session.id,
        json!({"setting": "option", "id": "model", "value": "gpt-5.2-codex/medium"}),
    )
    .await;
    assert_eq!(status, 200);
    viewer
        .until("the member's model", |v| {
            model(v).map(|m| m.0) == Some(ConfigValue::Choice("gpt-5.2-codex/medium".into()))
        })
        .await;
    answer(&server, &approval, "yes").await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    let models: Vec<Value> = sent(&server, "codex-models", "session/set_model")
        .into_iter()
        .map(|p| p["modelId"].clone())
        .collect();
    assert_eq!(
        models,
        vec![json!("gpt-5.2-codex/high"), json!("gpt-5.2-codex/medium")]
    );
    assert!(sent(&server, "codex-models", "session/set_config_option").is_empty());
    let admin = ChangedBy::Person(crate::support::ADMIN.into());
    let by: Vec<ChangedBy> = viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::OptionChange { id, by, .. } if id == "model" => Some(by.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(by, vec![ChangedBy::Default, admin]);
    assert_eq!(mode_changes(&viewer)[0].0, "read-only");
}
