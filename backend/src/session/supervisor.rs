//! Starting an actor, and making sure its end is recorded whatever way it
//! comes. An actor that returns has recorded its own end; one that panics
//! cannot, so its supervisor removes it from the registry, settles its
//! pending approvals, records the session `failed` with the reason, and
//! reports the end to the wake dispatcher. The next message resumes the
//! session as after any failure.

use super::actor::SessionActor;
use super::registry::Registry;
use super::{Context, Lifecycle};
use crate::hub::Batch;
use std::sync::Arc;
use tandem_shared::{
    ApprovalState, DecisionOutcome, EventBody, SessionId, SessionStatus, TranscriptEvent,
};

pub fn spawn(ctx: &Arc<Context>, registry: &Arc<Registry>, actor: SessionActor) {
    let session_id = actor.session_id().clone();
    let ctx = ctx.clone();
    let registry = registry.clone();
    let handle = ctx.shutdown.spawn(actor.run());
    ctx.clone().shutdown.spawn(async move {
        let Err(error) = handle.await else {
            return;
        };
        registry.remove(&session_id);
        let reason = match error.try_into_panic() {
            Ok(payload) => format!("internal error in Tandem: {}", panic_message(&*payload)),
            Err(error) => format!("internal error in Tandem: the session's task ended ({error})"),
        };
        tracing::error!(session = %session_id, %reason, "session actor died");
        if let Err(error) = record_failure(&ctx, &session_id, &reason).await {
            tracing::error!(session = %session_id, %error, "could not record a dead actor's failure");
        }
        ctx.cluster.release(&session_id).await;
    });
}

async fn record_failure(
    ctx: &Context,
    session_id: &SessionId,
    reason: &str,
) -> Result<(), crate::store::StoreError> {
    let Some(record) = ctx.store.get_session(session_id).await? else {
        return Ok(());
    };
    let now = ctx.clock.now_ms();
    let settled = ctx
        .store
        .settle_pending_approvals(session_id, ApprovalState::Cancelled, now)
        .await?;
    if !settled.is_empty() {
        ctx.hub.approvals_changed();
    }
    let mut bodies: Vec<EventBody> = settled
        .into_iter()
        .map(|approval_id| EventBody::PermissionDecision {
            approval_id,
            outcome: DecisionOutcome::Cancelled {
                reason: reason.to_owned(),
            },
            by: None,
        })
        .collect();
    let summary_text = format!("Failed: {reason}.");
    if record.summary.status.is_live() {
        bodies.push(EventBody::Error {
            message: reason.to_owned(),
        });
        bodies.push(EventBody::Summary {
            text: summary_text.clone(),
        });
        bodies.push(EventBody::StatusChange {
            status: SessionStatus::Failed,
            reason: Some(reason.to_owned()),
        });
    }
    let mut summary = record.summary.clone();
    let events = TranscriptEvent::numbered(session_id, summary.last_seq, now, bodies);
    if events.is_empty() {
        return Ok(());
    }
    ctx.store.append_events(session_id, &events).await?;
    for event in &events {
        summary.apply(event);
    }
    ctx.hub
        .publish(Arc::new(Batch::new(session_id.clone(), events)));
    ctx.hub.publish_session(summary.clone());
    let report = Lifecycle::Ended {
        assistant_id: summary.assistant_id.clone(),
        session_id: session_id.clone(),
        title: summary.title.clone(),
        status: SessionStatus::Failed,
        reason: Some(reason.to_owned()),
        summary: summary_text,
    };
    if ctx.lifecycle.send(report).await.is_err() {
        tracing::debug!(session = %session_id, "no dispatcher to report to");
    }
    Ok(())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic".to_owned()
    }
}
