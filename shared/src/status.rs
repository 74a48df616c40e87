//! Typed statuses: never free strings on the wire.

use serde::{Deserialize, Serialize};

/// Where a session is in its life: `starting → running ⇄ waiting_approval`,
/// `running ⇄ paused`, and the ends `completed | failed | stopped | interrupted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Starting,
    Running,
    WaitingApproval,
    Paused,
    Completed,
    Failed,
    Stopped,
    Interrupted,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 8] = [
        SessionStatus::Starting,
        SessionStatus::Running,
        SessionStatus::WaitingApproval,
        SessionStatus::Paused,
        SessionStatus::Completed,
        SessionStatus::Failed,
        SessionStatus::Stopped,
        SessionStatus::Interrupted,
    ];

    /// A live session has an actor and (usually) an agent process.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            SessionStatus::Starting
                | SessionStatus::Running
                | SessionStatus::WaitingApproval
                | SessionStatus::Paused
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Starting => "starting",
            SessionStatus::Running => "running",
            SessionStatus::WaitingApproval => "waiting_approval",
            SessionStatus::Paused => "paused",
            SessionStatus::Completed => "completed",
            SessionStatus::Failed => "failed",
            SessionStatus::Stopped => "stopped",
            SessionStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<SessionStatus> {
        SessionStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Words a person reads in the UI.
    pub fn label(self) -> &'static str {
        match self {
            SessionStatus::Starting => "Starting",
            SessionStatus::Running => "Running",
            SessionStatus::WaitingApproval => "Waiting for approval",
            SessionStatus::Paused => "Paused",
            SessionStatus::Completed => "Completed",
            SessionStatus::Failed => "Failed",
            SessionStatus::Stopped => "Stopped",
            SessionStatus::Interrupted => "Interrupted",
        }
    }
}

/// The state of one approval: the first answer wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Decided,
    Cancelled,
    Expired,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Decided => "decided",
            ApprovalState::Cancelled => "cancelled",
            ApprovalState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<ApprovalState> {
        [
            ApprovalState::Pending,
            ApprovalState::Decided,
            ApprovalState::Cancelled,
            ApprovalState::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(SessionStatus::parse("sleeping"), None);
    }

    #[test]
    fn only_unfinished_statuses_are_live() {
        let live: Vec<_> = SessionStatus::ALL
            .into_iter()
            .filter(|s| s.is_live())
            .collect();
        assert_eq!(
            live,
            vec![
                SessionStatus::Starting,
                SessionStatus::Running,
                SessionStatus::WaitingApproval,
                SessionStatus::Paused
            ]
        );
    }
}
