//! Whether a command may cross to another server, and how refusals cross
//! (a session's or a decision's errors as the owner said them, and back).

use super::command::{DecideError, SessionError};
use crate::cluster::remote::Refusal;
use crate::cluster::RemoteReply;

/// Whether a command may go on to another server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Anywhere,
    /// It came from another server: act here, or refuse.
    HereOnly,
}

pub fn refusal_of_session(error: SessionError) -> Refusal {
    match error {
        SessionError::NotFound => Refusal::NotFound,
        SessionError::AssistantNotFound => Refusal::AssistantNotFound,
        SessionError::Invalid(message) => Refusal::Invalid { message },
        SessionError::NotRunning => Refusal::NotRunning,
        SessionError::Archived => Refusal::Archived,
        SessionError::Busy => Refusal::Busy,
        SessionError::ShuttingDown => Refusal::ShuttingDown,
        SessionError::NotNow(message) => Refusal::NotNow { message },
        error @ (SessionError::Elsewhere(_) | SessionError::Store(_)) => Refusal::Failed {
            message: error.to_string(),
        },
    }
}

pub fn refusal_of_decide(error: DecideError) -> Refusal {
    match error {
        DecideError::NotFound => Refusal::NotFound,
        DecideError::AlreadySettled { state, by } => Refusal::AlreadySettled { state, by },
        DecideError::UnknownOption(option) => Refusal::UnknownOption { option },
        DecideError::Busy => Refusal::Busy,
        error @ (DecideError::Elsewhere(_) | DecideError::Store(_)) => Refusal::Failed {
            message: error.to_string(),
        },
    }
}

/// A reply that is not the success the caller waited for, as its error.
pub fn session_refusal(reply: RemoteReply) -> SessionError {
    match reply {
        RemoteReply::Refused { refusal } => match refusal {
            Refusal::NotFound => SessionError::NotFound,
            Refusal::AssistantNotFound => SessionError::AssistantNotFound,
            Refusal::Invalid { message } => SessionError::Invalid(message),
            Refusal::NotRunning => SessionError::NotRunning,
            Refusal::Archived => SessionError::Archived,
            Refusal::Busy => SessionError::Busy,
            Refusal::ShuttingDown => SessionError::ShuttingDown,
            Refusal::NotNow { message } => SessionError::NotNow(message),
            Refusal::AlreadySettled { state, by } => {
                SessionError::NotNow(format!("already {state} by {by}"))
            }
            Refusal::UnknownOption { option } => {
                SessionError::Invalid(format!("`{option}` is not one of the options offered"))
            }
            Refusal::Failed { message } => SessionError::Elsewhere(message),
        },
        other => SessionError::Elsewhere(format!("unexpected answer: {other:?}")),
    }
}

pub fn decide_refusal(refusal: Refusal) -> DecideError {
    match refusal {
        Refusal::NotFound | Refusal::NotRunning => DecideError::NotFound,
        Refusal::AlreadySettled { state, by } => DecideError::AlreadySettled { state, by },
        Refusal::UnknownOption { option } => DecideError::UnknownOption(option),
        Refusal::Busy | Refusal::ShuttingDown => DecideError::Busy,
        other => DecideError::Elsewhere(format!("{other:?}")),
    }
}
