//! The store on SQLite and on PostgreSQL: the same checks against both.

use crate::support::{fresh_postgres, TestServer, Viewer};
use serde_json::json;
use tandem::store::{DecideOutcome, NewSession, NewUserOutcome, QueuedMessage, Scope, Store};
use tandem_shared::agent_state::{Choice, ConfigValue, Setting};
use tandem_shared::api::{AgentSpec, Assistant};
use tandem_shared::auth::{ApiToken, ShareLink, User};
use tandem_shared::{
    ApprovalId, ApprovalState, AssistantId, EventBody, Seq, SessionId, SessionStatus,
    TranscriptEvent, UserId,
};

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    (Store::connect(&url).await.expect("sqlite store"), dir)
}

async fn seeded(store: &Store) -> SessionId {
    store
        .create_assistant(&Assistant {
            id: AssistantId("ast_1".into()),
            name: "A".into(),
            color: "#000000".into(),
            agent: AgentSpec::Shell,
            workspace: "/tmp".into(),
            persona: "p".into(),
            constitution: String::new(),
            memory: String::new(),
            created_at: 1,
            archived_at: None,
            sessions: Default::default(),
        })
        .await
        .unwrap();
    let id = SessionId("ses_1".into());
    store
        .create_session(&NewSession {
            id: id.clone(),
            assistant_id: AssistantId("ast_1".into()),
            title: "t".into(),
            created_at: 2,
        })
        .await
        .unwrap();
    id
}

fn events(session: &SessionId, from: u64, count: u64) -> Vec<TranscriptEvent> {
    (from..from + count)
        .map(|seq| TranscriptEvent {
            session_id: session.clone(),
            seq: Seq(seq),
            at: seq as i64,
            body: EventBody::AgentMessageChunk {
                text: format!("e{seq}"),
            },
        })
        .collect()
}

async fn check_store(store: Store) {
    let session = seeded(&store).await;
    // A batch larger than one INSERT statement, then a status change.
    store
        .append_events(&session, &events(&session, 1, 450))
        .await
        .unwrap();
    // Where the log has got to is read off the log: no row follows it.
    let record = store.get_session(&session).await.unwrap().unwrap();
    assert_eq!(record.summary.last_seq, Seq(450));
    assert_eq!(record.summary.updated_at, 450);
    assert_eq!(record.summary.status, SessionStatus::Starting);
    let mut tail = events(&session, 451, 1);
    tail[0].body = EventBody::StatusChange {
        status: SessionStatus::Completed,
        reason: None,
    };
    store.append_events(&session, &tail).await.unwrap();

    let page = store.events_after(&session, Seq(440), 5).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq.0).collect::<Vec<_>>(),
        vec![441, 442, 443, 444, 445]
    );
    let all = store
        .events_after(&session, Seq::ZERO, 10_000)
        .await
        .unwrap();
    assert_eq!(all.len(), 451);
    // The newest events, oldest first, by count or by bytes (one at least),
    // and whether older ones remain.
    let (newest, more) = store
        .newest_events_within(&session, 5, 1 << 20)
        .await
        .unwrap();
    assert_eq!(
        newest.iter().map(|e| e.seq.0).collect::<Vec<_>>(),
        vec![447, 448, 449, 450, 451]
    );
    assert!(more);
    let (one, more) = store.newest_events_within(&session, 5, 1).await.unwrap();
    assert_eq!(one.iter().map(|e| e.seq.0).collect::<Vec<_>>(), vec![451]);
    assert!(more);
    let (whole, more) = store
        .newest_events_within(&session, 1000, 1 << 20)
        .await
        .unwrap();
    assert_eq!(whole, all);
    assert!(!more, "nothing older than the first event");
    let record = store.get_session(&session).await.unwrap().unwrap();
    assert_eq!(record.summary.last_seq, Seq(451));
    assert_eq!(record.summary.status, SessionStatus::Completed);

    // Search reads titles and agent text, any case, `%` literally; an
    // archived session leaves the plain list and stays found.
    let search = |q: &str, archived: Option<bool>| tandem_shared::api::SessionQuery {
        q: (!q.is_empty()).then(|| q.to_owned()),
        archived,
        ..Default::default()
    };
    let count = |query: tandem_shared::api::SessionQuery| {
        let store = store.clone();
        async move {
            store
                .list_sessions(Scope::All, &query, 10)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(count(search("E449", None)).await, 1);
    assert_eq!(count(search("e9999", None)).await, 0);
    assert_eq!(count(search("%", None)).await, 0);
    // The JSON around the messages is not searched: its keys and kinds.
    for key in ["type", "text", "agent_message", "\":\"", "{"] {
        assert_eq!(count(search(key, None)).await, 0, "q={key}");
    }
    assert!(store.set_session_archived(&session, Some(9)).await.unwrap());
    assert_eq!(count(search("", None)).await, 0);
    assert_eq!(count(search("", Some(true))).await, 1);
    assert_eq!(count(search("e449", None)).await, 1);
    assert!(store.set_session_archived(&session, None).await.unwrap());
    assert_eq!(count(search("", None)).await, 1);

    // The same seq twice is refused: the log is append-only.
    assert!(store
        .append_events(&session, &events(&session, 451, 1))
        .await
        .is_err());
    assert_eq!(
        store
            .events_after(&session, Seq(450), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // The first decision wins.
    let approval = ApprovalId("apr_1".into());
    store
        .create_approval(&approval, &session, &Default::default(), &[], 5)
        .await
        .unwrap();
    assert_eq!(
        store
            .decide_approval(&approval, "yes", Some("ada"), 6)
            .await
            .unwrap(),
        DecideOutcome::Decided
    );
    assert_eq!(
        store
            .decide_approval(&approval, "no", Some("bob"), 7)
            .await
            .unwrap(),
        DecideOutcome::AlreadySettled {
            state: ApprovalState::Decided,
            by: Some("ada".into())
        }
    );
    assert_eq!(
        store
            .decide_approval(&ApprovalId("apr_x".into()), "no", None, 7)
            .await
            .unwrap(),
        DecideOutcome::NotFound
    );
    let other = ApprovalId("apr_2".into());
    store
        .create_approval(&other, &session, &Default::default(), &[], 8)
        .await
        .unwrap();
    let settled = store
        .settle_pending_approvals(&session, ApprovalState::Expired, 9)
        .await
        .unwrap();
    assert_eq!(settled, vec![other.clone()]);
    assert_eq!(
        store.get_approval(&other).await.unwrap().unwrap().state,
        ApprovalState::Expired
    );
    check_accounts(&store, &session).await;
    check_agent_settings(&store, &session).await;
}

/// Kept choices (a session's and an assistant's defaults), sealed secrets
/// and settings: the same SQL on both databases.
async fn check_agent_settings(store: &Store, session: &SessionId) {
    let assistant = AssistantId("ast_1".into());
    let choice = |setting: Setting, by: &str, at: i64| Choice {
        setting,
        chosen_by: by.into(),
        chosen_at: at,
    };
    let mode = |m: &str| Setting::Mode { mode: m.into() };
    let model = |m: &str| Setting::Option {
        id: "model".into(),
        value: ConfigValue::Choice(m.into()),
    };
    store
        .set_choice(session, &choice(mode("plan"), "ada", 1))
        .await
        .unwrap();
    store
        .set_choice(session, &choice(model("opus"), "ada", 2))
        .await
        .unwrap();
    store
        .set_choice(session, &choice(mode("default"), "bob", 3))
        .await
        .unwrap();
    let kept = store.choices(session).await.unwrap();
    assert_eq!(
        kept,
        vec![
            choice(model("opus"), "ada", 2),
            choice(mode("default"), "bob", 3)
        ],
        "one per setting, the last wins"
    );
    assert!(store
        .assistant_choices(&assistant)
        .await
        .unwrap()
        .is_empty());
    let fast = Setting::Option {
        id: "fast".into(),
        value: ConfigValue::Boolean(true),
    };
    store
        .set_assistant_choice(&assistant, &choice(fast.clone(), "ada", 4))
        .await
        .unwrap();
    assert_eq!(
        store.assistant_choices(&assistant).await.unwrap(),
        vec![choice(fast, "ada", 4)]
    );
    assert_eq!(store.choices(session).await.unwrap().len(), 2);

    store
        .put_secret(&assistant, "API_KEY", &[0, 1, 255], 5)
        .await
        .unwrap();
    store
        .put_secret(&assistant, "API_KEY", &[7, 7], 6)
        .await
        .unwrap();
    let secrets = store.secrets(&assistant).await.unwrap();
    assert_eq!(
        (
            secrets.len(),
            secrets[0].sealed.clone(),
            secrets[0].updated_at
        ),
        (1, vec![7, 7], 6)
    );
    assert!(store.delete_secret(&assistant, "API_KEY").await.unwrap());
    assert!(!store.delete_secret(&assistant, "API_KEY").await.unwrap());

    store.set_setting("agent_probe.shell", "{}").await.unwrap();
    store
        .set_setting("agent_probe.shell", "{\"a\":1}")
        .await
        .unwrap();
    assert_eq!(
        store.setting("agent_probe.shell").await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
}

/// People, credentials, membership scopes, share links and the durable
/// follow-up queue: the same SQL on both databases.
async fn check_accounts(store: &Store, session: &SessionId) {
    let ada = User {
        id: UserId("usr_1".into()),
        name: "ada".into(),
        admin: false,
        created_at: 1,
    };
    assert_eq!(
        store.create_user(&ada, "hash", true).await.unwrap(),
        NewUserOutcome::Created
    );
    let bob = User {
        id: UserId("usr_2".into()),
        name: "bob".into(),
        ..ada.clone()
    };
    assert_eq!(
        store.create_user(&bob, "hash", true).await.unwrap(),
        NewUserOutcome::NotFirst,
        "only while nobody has an account"
    );
    assert_eq!(
        store.create_user(&ada, "hash", false).await.unwrap(),
        NewUserOutcome::NameTaken
    );
    store.create_user(&bob, "hash", false).await.unwrap();

    store
        .create_login_session("cookie", &ada.id, 10, 100)
        .await
        .unwrap();
    assert_eq!(
        store.user_by_login_session("cookie", 50).await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.user_by_login_session("cookie", 100).await.unwrap(),
        None,
        "expired"
    );

    let token = ApiToken {
        id: "tok_1".into(),
        name: "ci".into(),
        created_at: 1,
        last_used_at: None,
    };
    store
        .create_api_token(&token, &ada.id, "digest")
        .await
        .unwrap();
    assert_eq!(
        store.user_by_api_token("digest", 1_000_000).await.unwrap(),
        Some(ada.clone())
    );
    assert!(store.list_api_tokens(&ada.id).await.unwrap()[0]
        .last_used_at
        .is_some());
    assert!(!store.revoke_api_token(&bob.id, "tok_1", 2).await.unwrap());
    assert!(store.revoke_api_token(&ada.id, "tok_1", 2).await.unwrap());
    assert_eq!(store.user_by_api_token("digest", 3).await.unwrap(), None);

    let assistant = AssistantId("ast_1".into());
    assert!(store
        .list_sessions(Scope::MemberOf(&ada.id), &Default::default(), 10)
        .await
        .unwrap()
        .is_empty());
    store.add_member(&assistant, &ada.id, 5).await.unwrap();
    store.add_member(&assistant, &ada.id, 6).await.unwrap();
    assert_eq!(store.members(&assistant).await.unwrap(), vec![ada.clone()]);
    assert_eq!(
        store
            .list_sessions(Scope::MemberOf(&ada.id), &Default::default(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list_sessions(Scope::All, &Default::default(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .list_assistants(Scope::MemberOf(&bob.id))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .pending_approval_count(Scope::MemberOf(&bob.id))
            .await
            .unwrap(),
        0
    );

    let link = ShareLink {
        id: "shl_1".into(),
        session_id: session.clone(),
        created_by: "ada".into(),
        created_at: 10,
        expires_at: Some(1_000),
    };
    store
        .create_share_link(&link, "link", &ada.id)
        .await
        .unwrap();
    assert_eq!(
        store.share_link_by_token("link", 500).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        store.share_link_by_token("link", 1_000).await.unwrap(),
        None,
        "expired"
    );
    assert!(store.share_link_live("shl_1", 500).await.unwrap());
    assert!(store
        .revoke_share_link(session, "shl_1", 600)
        .await
        .unwrap());
    assert!(!store.share_link_live("shl_1", 700).await.unwrap());

    let message = |id: &str| QueuedMessage {
        id: id.into(),
        text: id.into(),
        author: Some("ada".into()),
    };
    store
        .queue_message(session, &message("b"), false, 1)
        .await
        .unwrap();
    store
        .queue_message(session, &message("c"), false, 2)
        .await
        .unwrap();
    store
        .queue_message(session, &message("a"), true, 3)
        .await
        .unwrap();
    let order: Vec<String> = store
        .queued_messages(session)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(order, vec!["a", "b", "c"]);
    store.unqueue_message("b").await.unwrap();
    assert_eq!(store.queued_count(session).await.unwrap(), 2);
}

#[tokio::test]
async fn sqlite_store_appends_pages_and_decides_once() {
    let (store, _dir) = sqlite().await;
    check_store(store).await;
}

#[tokio::test]
async fn postgres_store_appends_pages_and_decides_once() {
    let url = fresh_postgres().await;
    check_store(Store::connect(&url).await.expect("postgres store")).await;
}

/// Sessions that never stop writing: the SQLite write-ahead log must still
/// start over, not grow with everything ever written.
#[tokio::test]
async fn the_write_ahead_log_stays_bounded_while_writes_never_stop() {
    let (store, dir) = sqlite().await;
    let session = seeded(&store).await;
    let wal = dir.path().join("t.db-wal");
    let chunk = "x".repeat(16 * 1024);
    let mut seq = 1;
    let mut peak = 0;
    // 192 MB of events in batches of 1 MB, with no pause between them.
    for _ in 0..192 {
        let batch: Vec<_> = (seq..seq + 64)
            .map(|seq| TranscriptEvent {
                session_id: session.clone(),
                seq: Seq(seq),
                at: seq as i64,
                body: EventBody::AgentMessageChunk {
                    text: chunk.clone(),
                },
            })
            .collect();
        store.append_events(&session, &batch).await.unwrap();
        seq += 64;
        peak = peak.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    // Its limit is 32 MB (cut back to 64 MB at most): far below what was
    // written, whatever the disk's speed.
    assert!(peak > 0, "no write-ahead log at {}", wal.display());
    assert!(
        peak < 96 * 1024 * 1024,
        "the write-ahead log grew to {} MB for 192 MB written",
        peak / 1024 / 1024
    );
    assert_eq!(
        store
            .get_session(&session)
            .await
            .unwrap()
            .unwrap()
            .summary
            .last_seq,
        Seq(seq - 1)
    );
}

#[tokio::test]
async fn a_bad_database_url_is_a_clear_error() {
    let err = Store::connect("mysql://nope").await.err().expect("refused");
    assert!(err.to_string().contains("use sqlite://"), "{err}");
}

#[tokio::test]
async fn streaming_runs_on_postgres_too() {
    let url = fresh_postgres().await;
    let server = TestServer::launch().database(url).start().await;
    let (_, health) = server.get("/api/health").await;
    assert_eq!(health["database"], "postgres");
    let assistant = server
        .scripted_assistant(
            "pg",
            json!({"turns": [[{"do": "stream", "count": 100, "interval_ms": 1}]]}),
        )
        .await;
    let session = server.start_session(&assistant, "go").await;
    let mut early = Viewer::connect(&server).await;
    early.subscribe(&session.id, Seq::ZERO).await;
    early.until("some events", |v| v.events.len() > 10).await;
    let mut late = Viewer::connect(&server).await;
    late.subscribe(&session.id, Seq::ZERO).await;
    assert_eq!(early.until_ended().await, SessionStatus::Completed);
    late.until_ended().await;
    early.assert_contiguous();
    assert_eq!(early.events, late.events);
}

/// Hostile strings — SQL metacharacters, right-to-left overrides, 1 MB —
/// kept exactly through events, chat and search on both databases. (A NUL
/// never arrives here: the API refuses it and an agent's is replaced;
/// `hostile_text.rs`.)
async fn check_hostile_strings(store: Store) {
    let session = seeded(&store).await;
    let hostile = [
        "Robert'); DROP TABLE events;--".to_owned(),
        "\\ % _ $1 ? :name @p0 \" ''".to_owned(),
        "שלום \u{202E}txt.exe\u{202C} مرحبا \u{FFFD}".to_owned(),
        "x".repeat(1 << 20),
    ];
    let events: Vec<TranscriptEvent> = hostile
        .iter()
        .enumerate()
        .map(|(i, text)| TranscriptEvent {
            session_id: session.clone(),
            seq: Seq(i as u64 + 1),
            at: 10,
            body: EventBody::AgentMessageChunk { text: text.clone() },
        })
        .collect();
    store.append_events(&session, &events).await.unwrap();
    let back = store.events_after(&session, Seq::ZERO, 100).await.unwrap();
    assert_eq!(back, events);
    for (i, text) in hostile.iter().enumerate() {
        store
            .add_chat_message(&tandem_shared::api::ChatMessage {
                id: format!("msg_{i}"),
                assistant_id: AssistantId("ast_1".into()),
                at: i as i64,
                author_kind: tandem_shared::api::ChatAuthorKind::Person,
                author: hostile[0].clone(),
                text: text.clone(),
                session_id: None,
            })
            .await
            .unwrap();
    }
    let chat = store
        .recent_chat(&AssistantId("ast_1".into()), 10)
        .await
        .unwrap();
    let texts: Vec<&String> = chat.iter().map(|m| &m.text).collect();
    assert_eq!(texts, hostile.iter().collect::<Vec<_>>());
    for q in ["'); DROP", "%", "_", "\u{202E}txt", "$1"] {
        let found = store
            .list_sessions(
                Scope::All,
                &tandem_shared::api::SessionQuery {
                    q: Some(q.into()),
                    ..Default::default()
                },
                50,
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "q={q}");
    }
    let none = store
        .list_sessions(
            Scope::All,
            &tandem_shared::api::SessionQuery {
                q: Some("'; nothing like this".into()),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn hostile_strings_on_sqlite() {
    let (store, _dir) = sqlite().await;
    check_hostile_strings(store).await;
}

#[tokio::test]
async fn hostile_strings_on_postgres() {
    let url = fresh_postgres().await;
    check_hostile_strings(Store::connect(&url).await.expect("postgres store")).await;
}
