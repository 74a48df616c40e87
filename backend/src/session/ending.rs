//! How a run of the agent ended: the status the session takes and why.

use super::summary::Rejection;
use tandem_shared::SessionStatus;

#[derive(Debug, Clone)]
pub struct Ending {
    pub status: SessionStatus,
    pub reason: Option<String>,
}

impl Ending {
    pub fn completed() -> Ending {
        Ending {
            status: SessionStatus::Completed,
            reason: None,
        }
    }

    pub fn failed(reason: impl Into<String>) -> Ending {
        Ending {
            status: SessionStatus::Failed,
            reason: Some(reason.into()),
        }
    }

    /// The store could not take a write; `explanation` says why.
    pub fn storage(explanation: String) -> Ending {
        Ending::failed(storage_reason(&explanation))
    }

    pub fn stopped(by: Option<String>) -> Ending {
        Ending {
            status: SessionStatus::Stopped,
            reason: Some(match by {
                Some(person) => format!("stopped by {person}"),
                None => "stopped".to_owned(),
            }),
        }
    }

    /// The agent ended its own turn (`stopReason: cancelled`) with nobody
    /// asking it to: after a rejection (Codex's only way to reject), or on
    /// its own.
    pub fn cancelled_by_agent(rejection: Option<&Rejection>) -> Ending {
        let reason = match rejection {
            Some(Rejection {
                title,
                by: Some(by),
            }) => {
                format!("the agent ended its turn after {by} rejected “{title}”")
            }
            Some(Rejection { title, by: None }) => {
                format!("the agent ended its turn after “{title}” was rejected")
            }
            None => "the agent cancelled its turn".to_owned(),
        };
        Ending {
            status: SessionStatus::Stopped,
            reason: Some(reason),
        }
    }

    /// Tandem itself is stopping: the session can be resumed after a start.
    pub fn shut_down() -> Ending {
        Ending {
            status: SessionStatus::Interrupted,
            reason: Some(SHUT_DOWN_REASON.to_owned()),
        }
    }

    /// The agent's runner went out of reach: resumable, like a restart.
    pub fn lost(reason: impl Into<String>) -> Ending {
        Ending {
            status: SessionStatus::Interrupted,
            reason: Some(reason.into()),
        }
    }

    /// Another server took the run over (the runner's link moved there):
    /// the session goes on, so nothing is concluded here.
    pub fn handed_over() -> Ending {
        Ending {
            status: SessionStatus::Running,
            reason: Some(HANDED_OVER_REASON.to_owned()),
        }
    }

    pub fn is_handed_over(&self) -> bool {
        self.status == SessionStatus::Running && self.reason.as_deref() == Some(HANDED_OVER_REASON)
    }

    pub fn is_shutdown(&self) -> bool {
        self.status == SessionStatus::Interrupted
            && self.reason.as_deref() == Some(SHUT_DOWN_REASON)
    }
}

pub const SHUT_DOWN_REASON: &str = "Tandem was shut down";
const HANDED_OVER_REASON: &str = "another server took the run over";

pub fn storage_reason(explanation: &str) -> String {
    format!("storage error: {explanation}")
}
