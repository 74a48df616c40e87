//! The messages a session actor's mailbox takes, and their errors.

use crate::store::StoreError;
use tandem_shared::agent_state::{Choice, ChoiceApplied};
use tandem_shared::api::{DecisionResult, Delivery};
use tandem_shared::ApprovalId;
use tokio::sync::oneshot;

pub enum Command {
    /// A follow-up; with `interrupt`, the running turn is cancelled and
    /// this goes first ("interrupt and send").
    Send {
        text: String,
        author: Option<String>,
        interrupt: bool,
        reply: oneshot::Sender<Result<Delivery, SessionError>>,
    },
    Decide {
        approval_id: ApprovalId,
        option_id: String,
        by: Option<String>,
        reply: oneshot::Sender<Result<DecisionResult, DecideError>>,
    },
    Stop {
        by: Option<String>,
        reply: oneshot::Sender<Result<(), SessionError>>,
    },
    /// Freeze the agent's process group until `Resume`.
    Pause {
        by: Option<String>,
        reply: oneshot::Sender<Result<(), SessionError>>,
    },
    Resume {
        by: Option<String>,
        /// An admin resuming past a reached budget: the run is not paused
        /// for it again.
        past_budget: bool,
        reply: oneshot::Sender<Result<(), SessionError>>,
    },
    /// A member's choice of mode or option, already stored: the running
    /// agent is asked to switch now.
    Choose {
        choice: Choice,
        reply: oneshot::Sender<ChoiceApplied>,
    },
    /// The runner running this session's agent linked to another server,
    /// which asks to take the run over: the run lets go of the agent
    /// without ending it. Answered with the stdin lines the runner had not
    /// received yet, or none when the run does not speak to that process.
    LetGo {
        process: String,
        reply: oneshot::Sender<Option<Vec<(u64, String)>>>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no session with that id")]
    NotFound,
    #[error("no assistant with that id")]
    AssistantNotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("the session is not running")]
    NotRunning,
    #[error("the assistant is archived; bring it back first")]
    Archived,
    #[error("the session is busy; try again")]
    Busy,
    #[error("Tandem is shutting down; try again once it is back")]
    ShuttingDown,
    /// The session is live but cannot do that now (pause while starting,
    /// resume when not paused …).
    #[error("{0}")]
    NotNow(String),
    /// The server that runs the session could not be reached, or failed.
    #[error("{0}")]
    Elsewhere(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("no pending approval with that id")]
    NotFound,
    #[error("already {state} by {by}")]
    AlreadySettled { state: String, by: String },
    #[error("`{0}` is not one of the options offered")]
    UnknownOption(String),
    #[error("the session is busy; try again")]
    Busy,
    #[error("{0}")]
    Elsewhere(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
