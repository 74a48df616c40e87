//! Firing routines: a tick wakes every routine that is due and moves it on.
//! The tick is plain code over the store and a wake sink, so tests drive it
//! with their own clock.

use super::Schedule;
use crate::clock::Clock;
use crate::store::{Store, StoreError};
use crate::wakes::{WakeError, WakeRequest, Wakes};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tandem_shared::api::{Wake, WakeTrigger};
use tokio::sync::Notify;

/// The longest the scheduler sleeps before looking again.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Where a due routine's wake goes: the dispatcher, or a test's recorder.
pub trait WakeSink {
    fn wake(&self, request: WakeRequest) -> impl Future<Output = Result<Wake, WakeError>> + Send;
}

impl WakeSink for Wakes {
    fn wake(&self, request: WakeRequest) -> impl Future<Output = Result<Wake, WakeError>> + Send {
        Wakes::wake(self, request)
    }
}

/// Wakes every routine due at `now`, once each — a routine whose runs were
/// missed while the server was down fires once, not once per missed slot —
/// and sets its next run after `now`. Returns how many fired.
pub async fn tick(store: &Store, sink: &impl WakeSink, now: i64) -> Result<usize, StoreError> {
    let due = store.due_routines(now).await?;
    let mut fired = 0;
    for mut routine in due {
        let schedule = Schedule::parse(&routine.cron, &routine.time_zone);
        let due_at = routine.next_run_at;
        routine.next_run_at = schedule.as_ref().ok().and_then(|s| s.next_after(now));
        routine.last_run_at = Some(now);
        // Moved on first: a failing wake must not fire again at once. Only
        // if it is still due as read: with several servers on one database,
        // the one that moves it fires it.
        if !store
            .claim_routine_run(&routine.id, due_at, routine.next_run_at, now)
            .await?
        {
            continue;
        }
        let skipped = match &routine.precheck {
            Some(check) => precheck_verdict(store, &routine, check, now).await?,
            None => None,
        };
        let request = WakeRequest {
            assistant_id: routine.assistant_id.clone(),
            trigger: WakeTrigger::Routine,
            source: format!("routine {}", routine.id),
            message: routine.prompt.clone(),
            task_id: None,
            title: None,
            skipped,
        };
        match sink.wake(request).await {
            Ok(_) => fired += 1,
            Err(error) => {
                tracing::warn!(routine = %routine.id, %error, "routine could not wake its assistant")
            }
        }
    }
    Ok(fired)
}

/// Runs a routine's pre-check in its assistant's workspace: why it skips,
/// or `None` to wake.
async fn precheck_verdict(
    store: &Store,
    routine: &tandem_shared::api::Routine,
    check: &tandem_shared::api::PreCheck,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let Some(assistant) = store.get_assistant(&routine.assistant_id).await? else {
        return Ok(None);
    };
    let key = format!("routine:{}", routine.id);
    let workspace = std::path::Path::new(&assistant.workspace);
    Ok(
        match crate::wakes::precheck::run(store, &key, check, workspace, now).await {
            crate::wakes::precheck::Verdict::Wake => None,
            crate::wakes::precheck::Verdict::Skip(reason) => Some(reason),
        },
    )
}

/// The background task: ticks when the earliest routine is due, and when
/// routines change.
pub struct RoutineScheduler {
    pub store: Store,
    pub wakes: Wakes,
    pub clock: Arc<dyn Clock>,
    pub changed: Arc<Notify>,
    pub shutdown: crate::shutdown::Shutdown,
}

impl RoutineScheduler {
    pub async fn run(self) {
        loop {
            let now = self.clock.now_ms();
            if let Err(error) = tick(&self.store, &self.wakes, now).await {
                tracing::error!(%error, "routine tick");
            }
            let sleep = match self.store.earliest_routine_run().await {
                Ok(Some(next)) => Duration::from_millis(u64::try_from(next - now).unwrap_or(0)),
                _ => MAX_SLEEP,
            }
            .min(MAX_SLEEP);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.changed.notified() => {}
                _ = self.shutdown.begun() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tandem_shared::api::{AgentSpec, Assistant, Routine, WakeState};
    use tandem_shared::AssistantId;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<WakeRequest>>);

    impl WakeSink for Recorder {
        fn wake(
            &self,
            request: WakeRequest,
        ) -> impl Future<Output = Result<Wake, WakeError>> + Send {
            let wake = Wake {
                id: "w".into(),
                assistant_id: request.assistant_id.clone(),
                trigger: request.trigger,
                source: request.source.clone(),
                message: request.message.clone(),
                at: 0,
                state: WakeState::Started,
                session_id: None,
                task_id: None,
                reason: None,
            };
            if let Ok(mut seen) = self.0.lock() {
                seen.push(request);
            }
            async move { Ok(wake) }
        }
    }

    const MINUTE: i64 = 60_000;

    #[tokio::test]
    async fn missed_runs_fire_once_and_move_past_now() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
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
                created_at: 0,
                archived_at: None,
                sessions: Default::default(),
            })
            .await
            .unwrap();
        // Every minute; its next run was five minutes ago (the server was down).
        let now = 1_800_000_000_000 - 1_800_000_000_000 % MINUTE + 30_000;
        store
            .save_routine(&Routine {
                id: "rtn_1".into(),
                assistant_id: AssistantId("ast_1".into()),
                cron: "* * * * *".into(),
                time_zone: "UTC".into(),
                prompt: "Check the build".into(),
                enabled: true,
                description: String::new(),
                next_run_at: Some(now - 5 * MINUTE),
                last_run_at: None,
                created_at: 0,
                precheck: None,
            })
            .await
            .unwrap();
        let sink = Recorder::default();
        assert_eq!(tick(&store, &sink, now).await.unwrap(), 1);
        assert_eq!(
            tick(&store, &sink, now).await.unwrap(),
            0,
            "not once per missed slot"
        );
        let routine = store.get_routine("rtn_1").await.unwrap().unwrap();
        assert_eq!(routine.last_run_at, Some(now));
        assert_eq!(routine.next_run_at, Some(now - 30_000 + MINUTE));
        // A minute later it fires again.
        assert_eq!(tick(&store, &sink, now + MINUTE).await.unwrap(), 1);
        let seen = sink.0.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].trigger, WakeTrigger::Routine);
        assert_eq!(seen[0].message, "Check the build");
    }
}
