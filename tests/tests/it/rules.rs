//! Approval rules through the real server and the shell agent: Block and
//! Allow answer without asking, "always" answers become rules, Block at the
//! Tandem layer wins.

use crate::support::{TestServer, Viewer};
use serde_json::{json, Value};
use tandem_shared::{DecisionOutcome, EventBody, PermissionKind, Seq, SessionStatus};

fn auto_decisions(viewer: &Viewer) -> Vec<(PermissionKind, String)> {
    viewer
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::PermissionDecision {
                outcome: DecisionOutcome::Selected { kind, .. },
                by: Some(by),
                ..
            } if by.starts_with("rule ") => Some((*kind, by.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn rules_answer_without_asking_and_always_answers_become_rules() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    // New assistants start with their defaults.
    let (_, defaults) = server
        .get(&format!("/api/assistants/{}/rules", demo.id))
        .await;
    let mut kinds: Vec<&str> = defaults
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    // Made in the same millisecond: their order is not part of the contract.
    kinds.sort_unstable();
    assert_eq!(kinds, vec!["edit", "read"]);
    assert!(defaults
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["prefix"] == demo.workspace.as_str() && r["action"] == "allow"));

    let (status, _) = server
        .post(
            &format!("/api/assistants/{}/rules", demo.id),
            json!({"kind": "execute", "prefix": "rm", "action": "block"}),
        )
        .await;
    assert_eq!(status, 201);
    let blocked = server.start_session(&demo, "rm -f precious.txt").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&blocked.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert_eq!(
        auto_decisions(&viewer),
        vec![(PermissionKind::RejectOnce, "rule execute:rm".to_owned())]
    );
    assert!(viewer.agent_text().contains("was rejected"));

    // "Allow always" becomes a rule; the next session runs it unasked.
    let first = server.start_session(&demo, "echo remembered").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&first.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "allow-always"}),
        )
        .await;
    viewer.until_ended().await;
    let (_, rules) = server
        .get(&format!("/api/assistants/{}/rules", demo.id))
        .await;
    assert!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "execute"
                && r["prefix"] == "echo remembered"
                && r["action"] == "allow"),
        "{rules}"
    );
    let second = server.start_session(&demo, "echo remembered").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&second.id, Seq::ZERO).await;
    assert_eq!(viewer.until_ended().await, SessionStatus::Completed);
    assert_eq!(
        auto_decisions(&viewer),
        vec![(
            PermissionKind::AllowOnce,
            "rule execute:echo remembered".to_owned()
        )]
    );
    assert!(viewer.agent_text().contains("exited with status 0"));

    // Block at the Tandem layer wins over the assistant's allow.
    let (status, tandem_rule) = server
        .post(
            "/api/rules",
            json!({"kind": "execute", "prefix": "echo", "action": "block"}),
        )
        .await;
    assert_eq!(status, 201);
    let third = server.start_session(&demo, "echo remembered").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&third.id, Seq::ZERO).await;
    viewer.until_ended().await;
    assert_eq!(
        auto_decisions(&viewer),
        vec![(PermissionKind::RejectOnce, "rule execute:echo".to_owned())]
    );
    let response = server
        .http
        .delete(format!(
            "{}/api/rules/{}",
            server.url,
            tandem_rule["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn bad_rules_are_refused() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let path = format!("/api/assistants/{}/rules", demo.id);
    for body in [
        json!({"kind": "teleport", "prefix": "x", "action": "allow"}),
        json!({"kind": "execute", "action": "allow"}),
        json!({"kind": "execute", "prefix": "x", "action": "maybe"}),
    ] {
        let (status, answer): (u16, Value) = server.post(&path, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
    // Well-formed, but a rule that allows everything is not Tandem's to make.
    let (status, answer) = server
        .post(&path, json!({"prefix": " ", "action": "allow"}))
        .await;
    assert_eq!(status, 403, "{answer}");
    let (status, _) = server
        .post(
            "/api/assistants/ast_none/rules",
            json!({"kind": "execute", "prefix": "x", "action": "allow"}),
        )
        .await;
    assert_eq!(status, 404);
    let response = server
        .http
        .delete(format!("{}/api/rules/rul_none", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

/// "Allow always" on `id` allows `id`, never what rides along with it;
/// Block `rm` stops an `rm` anywhere in a line. Through the real server and
/// the shell agent, which runs the line with `sh -c`.
#[tokio::test]
async fn a_rule_judges_every_command_in_a_line_not_its_start() {
    let server = TestServer::start().await;
    let demo = server.demo_assistant().await;
    let workspace = std::path::PathBuf::from(&demo.workspace);
    for (prefix, action) in [("id", "allow"), ("rm", "block")] {
        let (status, body) = server
            .post(
                &format!("/api/assistants/{}/rules", demo.id),
                json!({"kind": "execute", "prefix": prefix, "action": action}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    std::fs::write(workspace.join("precious.txt"), "keep").expect("file");

    let riding = server.start_session(&demo, "id && touch pwned.txt").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&riding.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    assert!(
        auto_decisions(&viewer).is_empty(),
        "nothing was allowed by a rule"
    );
    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "reject"}),
        )
        .await;
    viewer.until_ended().await;
    assert!(!workspace.join("pwned.txt").exists());

    let hidden = server.start_session(&demo, "id ; rm -f precious.txt").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&hidden.id, Seq::ZERO).await;
    viewer.until_ended().await;
    assert_eq!(
        auto_decisions(&viewer),
        vec![(PermissionKind::RejectOnce, "rule execute:rm".to_owned())]
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join("precious.txt"))
            .ok()
            .as_deref(),
        Some("keep")
    );

    // "Allow always" on a compound line keeps its simple commands.
    let both = server.start_session(&demo, "echo one && echo two").await;
    let mut viewer = Viewer::connect(&server).await;
    viewer.subscribe(&both.id, Seq::ZERO).await;
    let (approval, _) = viewer.until_approval().await;
    // The card says what "always" would keep before anyone answers.
    let keeps: Vec<String> = viewer
        .events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::PermissionRequest { always_keeps, .. } => Some(always_keeps.clone()),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(keeps, vec!["echo one", "echo two"]);
    server
        .post(
            &format!("/api/approvals/{approval}/decision"),
            json!({"option_id": "allow-always"}),
        )
        .await;
    viewer.until_ended().await;
    let (_, rules) = server
        .get(&format!("/api/assistants/{}/rules", demo.id))
        .await;
    let mut allowed: Vec<&str> = rules
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|r| r["kind"] == "execute" && r["action"] == "allow")
                .filter_map(|r| r["prefix"].as_str())
                .collect()
        })
        .unwrap_or_default();
    // Rules made in the same millisecond list in no set order.
    allowed.sort_unstable();
    assert_eq!(allowed, vec!["echo one", "echo two", "id"], "{rules}");
}
