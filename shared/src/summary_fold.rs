//! A session's summary row follows its log: the one fold of status, title
//! and last `seq` that the session actor, the store and the web app share.

use crate::api::SessionSummary;
use crate::{EventBody, TranscriptEvent};

impl SessionSummary {
    /// Folds one stored event in. Returns whether what a list shows of the
    /// session (status or title) changed.
    pub fn apply(&mut self, event: &TranscriptEvent) -> bool {
        if event.seq > self.last_seq {
            self.last_seq = event.seq;
        }
        self.updated_at = self.updated_at.max(event.at);
        match &event.body {
            EventBody::StatusChange { status, reason } => {
                self.status = *status;
                self.status_reason = reason.clone();
                true
            }
            EventBody::TitleChange { title } => {
                self.title = title.clone();
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::api::SessionSummary;
    use crate::{AssistantId, EventBody, Seq, SessionId, SessionStatus, TranscriptEvent};

    #[test]
    fn status_title_and_seq_follow_the_log() {
        let mut summary = SessionSummary {
            id: SessionId("s".into()),
            assistant_id: AssistantId("a".into()),
            assistant_name: "A".into(),
            assistant_color: "#000".into(),
            title: "old".into(),
            status: SessionStatus::Starting,
            status_reason: None,
            created_at: 1,
            updated_at: 1,
            last_seq: Seq(0),
            archived: false,
        };
        let event = |seq, body| TranscriptEvent {
            session_id: SessionId("s".into()),
            seq: Seq(seq),
            at: 10 + seq as i64,
            body,
        };
        assert!(!summary.apply(&event(
            1,
            EventBody::AgentMessageChunk { text: "hi".into() }
        )));
        assert!(summary.apply(&event(
            2,
            EventBody::StatusChange {
                status: SessionStatus::Failed,
                reason: Some("why".into())
            }
        )));
        assert!(summary.apply(&event(
            3,
            EventBody::TitleChange {
                title: "new".into()
            }
        )));
        assert_eq!(summary.status, SessionStatus::Failed);
        assert_eq!(summary.status_reason.as_deref(), Some("why"));
        assert_eq!(summary.title, "new");
        assert_eq!(summary.last_seq, Seq(3));
        assert_eq!(summary.updated_at, 13);
    }
}
