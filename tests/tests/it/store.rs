//! The store on SQLite and on PostgreSQL: the same checks against both.

use crate::support::{fresh_postgres, TestServer, Viewer};
use serde_json::json;
use tandem::store::{DecideOutcome, NewSession, Store};
use tandem_shared::api::{AgentSpec, Assistant};
use tandem_shared::{
    ApprovalId, ApprovalState, AssistantId, EventBody, Seq, SessionId, SessionStatus,
    TranscriptEvent,
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
    let record = store.get_session(&session).await.unwrap().unwrap();
    assert_eq!(record.summary.last_seq, Seq(451));
    assert_eq!(record.summary.status, SessionStatus::Completed);

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

#[tokio::test]
async fn a_bad_database_url_is_a_clear_error() {
    let err = Store::connect("mysql://nope").await.err().expect("refused");
    assert!(err.to_string().contains("use sqlite://"), "{err}");
}

#[tokio::test]
async fn streaming_runs_on_postgres_too() {
    let url = fresh_postgres().await;
    let server = TestServer::start_with_database(Some(url)).await;
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
