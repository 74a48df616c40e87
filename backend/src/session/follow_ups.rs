//! A session's queued follow-ups, in delivery order. Each is a row in the
//! store until it is delivered, so a crash loses none (invariant 6).

use super::Context;
use crate::store::{QueuedMessage, StoreError};
use std::collections::VecDeque;
use std::sync::Arc;
use tandem_shared::SessionId;

pub struct FollowUps {
    ctx: Arc<Context>,
    session_id: SessionId,
    queue: VecDeque<QueuedMessage>,
}

impl FollowUps {
    pub fn new(ctx: Arc<Context>, session_id: SessionId) -> FollowUps {
        FollowUps {
            ctx,
            session_id,
            queue: VecDeque::new(),
        }
    }

    /// Follow-ups a crash left queued go first.
    pub async fn load_left_over(&mut self) -> Result<(), StoreError> {
        let left = self.ctx.store.queued_messages(&self.session_id).await?;
        self.queue.extend(left);
        Ok(())
    }

    /// Queues a follow-up, in the store first; `front` puts it ahead of the
    /// others (interrupt and send).
    pub async fn enqueue(
        &mut self,
        text: String,
        author: Option<String>,
        front: bool,
    ) -> Result<(), StoreError> {
        let message = QueuedMessage {
            id: self.ctx.ids.new_id("msg"),
            text,
            author,
        };
        self.ctx
            .store
            .queue_message(&self.session_id, &message, front, self.ctx.clock.now_ms())
            .await?;
        if front {
            self.queue.push_front(message);
        } else {
            self.queue.push_back(message);
        }
        Ok(())
    }

    /// Keeps a message in memory only (the store would not take it): it
    /// still runs, but a crash would lose it.
    pub fn push_unsaved(&mut self, text: String, author: Option<String>) {
        self.queue.push_back(QueuedMessage {
            id: self.ctx.ids.new_id("msg"),
            text,
            author,
        });
    }

    pub fn pop_front(&mut self) -> Option<QueuedMessage> {
        self.queue.pop_front()
    }

    pub fn push_front(&mut self, message: QueuedMessage) {
        self.queue.push_front(message);
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Everything still queued, in order, out of memory (the rows stay
    /// until `delivered` or `dropped` says otherwise).
    pub fn take_all(&mut self) -> Vec<QueuedMessage> {
        self.queue.drain(..).collect()
    }

    /// In the transcript now: no longer queued.
    pub async fn delivered(&self, message: &QueuedMessage) -> Result<(), StoreError> {
        self.ctx.store.unqueue_message(&message.id).await
    }
}
