//! Commands for a session another server owns, as they cross the database,
//! and their answers. The owner runs each as if its own handler had been
//! asked, so the caller gets the same answer (and the same errors) it would
//! get from one server.

use serde::{Deserialize, Serialize};
use tandem_shared::agent_state::{Choice, ChoiceApplied};
use tandem_shared::api::{DecisionResult, Delivery, SessionSummary};
use tandem_shared::{ApprovalId, AssistantId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteCommand {
    Send {
        text: String,
        author: Option<String>,
        interrupt: bool,
    },
    Decide {
        approval_id: ApprovalId,
        option_id: String,
        by: Option<String>,
    },
    Stop {
        by: Option<String>,
    },
    Pause {
        by: Option<String>,
    },
    Resume {
        by: Option<String>,
        past_budget: bool,
    },
    Choose {
        choice: Choice,
    },
    /// The runner running this session's agent linked to the sender,
    /// which takes the run over: the owner lets go of the agent.
    LetGo {
        process: String,
    },
    /// A new session, on the server its assistant's runner is linked to.
    Start {
        assistant_id: AssistantId,
        prompt: String,
        author: Option<String>,
        why: String,
        title: Option<String>,
        continue_assistant: bool,
    },
}

/// A refusal as the caller's handler must say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    NotFound,
    AssistantNotFound,
    Invalid {
        message: String,
    },
    NotRunning,
    Archived,
    Busy,
    ShuttingDown,
    NotNow {
        message: String,
    },
    AlreadySettled {
        state: String,
        by: String,
    },
    UnknownOption {
        option: String,
    },
    /// Anything else (a store error on the owner): said as it was.
    Failed {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteReply {
    Delivered {
        delivery: Delivery,
    },
    Decided {
        result: DecisionResult,
    },
    Done,
    Chosen {
        applied: ChoiceApplied,
    },
    Started {
        summary: Box<SessionSummary>,
    },
    /// The run let go of the agent; its stdin lines the runner had not
    /// received, numbered, for the new owner to send.
    LetGo {
        unwritten: Vec<(u64, String)>,
    },
    Refused {
        refusal: Refusal,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_replies_cross_as_json_unchanged() {
        let commands = [
            RemoteCommand::Send {
                text: "go on".into(),
                author: Some("ana".into()),
                interrupt: true,
            },
            RemoteCommand::Decide {
                approval_id: ApprovalId("apr_1".into()),
                option_id: "allow".into(),
                by: None,
            },
            RemoteCommand::Resume {
                by: Some("bo".into()),
                past_budget: true,
            },
        ];
        for command in commands {
            let text = serde_json::to_string(&command).unwrap();
            assert_eq!(
                serde_json::from_str::<RemoteCommand>(&text).unwrap(),
                command
            );
        }
        let reply = RemoteReply::Refused {
            refusal: Refusal::AlreadySettled {
                state: "allowed".into(),
                by: "ana".into(),
            },
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<RemoteReply>(&text).unwrap(), reply);
        assert!(serde_json::from_str::<RemoteCommand>(r#"{"kind":"rm -rf"}"#).is_err());
    }
}
