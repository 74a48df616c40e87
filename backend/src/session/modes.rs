//! The agent's mode: which one a run should be in, and putting it there.
//!
//! Today's adapters open sessions in modes that act without asking (Claude
//! `auto`, Codex `agent`), so no permission request would ever reach a
//! person. Right after every `session/new`, `session/load` or resume (Codex
//! reverts on load), the run switches the agent to the mode this session
//! wants: a person's last choice, else the agent's asking mode. The choice
//! itself is plain code, tested without an agent.

use super::ending::Ending;
use super::run::{AgentRun, Phase};
use crate::acp::fold;
use crate::acp::schema as acp;
use tandem_shared::agent_state::{asking_mode, AgentState, ChangedBy};
use tandem_shared::EventBody;
use tokio::time::Instant;

/// How a mode is switched: the agent's `session/set_mode`, or its mode
/// configuration option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Switch {
    SetMode { mode: String },
    SetOption { option: String, mode: String },
}

/// The switch that puts the agent in the mode wanted, or `None` when it is
/// there already or offers no such mode. `chosen` is a person's choice.
pub fn switch_for(state: &AgentState, chosen: Option<&str>) -> Option<Switch> {
    let choices = state.mode_choices();
    let wanted = match chosen {
        Some(chosen) => choices.iter().find(|m| m.id == chosen)?,
        None => asking_mode(&choices)?,
    };
    if state.current_mode() == Some(wanted.id.as_str()) {
        return None;
    }
    if !state.modes.is_empty() {
        return Some(Switch::SetMode {
            mode: wanted.id.clone(),
        });
    }
    state
        .options
        .iter()
        .find(|o| o.is_mode())
        .map(|option| Switch::SetOption {
            option: option.id.clone(),
            mode: wanted.id.clone(),
        })
}

impl AgentRun<'_> {
    /// Records what the agent's session opened with (its modes and
    /// options), then puts it in the mode this session wants.
    pub(super) async fn settle_mode(
        &mut self,
        agent_session: &str,
        modes: Option<acp::SessionModeState>,
        options: Option<Vec<acp::SessionConfigOption>>,
        deadline: Option<Instant>,
    ) -> Result<(), Ending> {
        let log = &mut self.session.log;
        if let Some(modes) = &modes {
            log.stage(fold::modes(modes));
        }
        if let Some(options) = &options {
            log.stage(EventBody::AgentOptions {
                options: options.iter().map(fold::config_option).collect(),
            });
        }
        let chosen = self.session.chosen_mode.clone();
        let Some(switch) = switch_for(&log.agent, chosen.as_ref().map(|(mode, _)| mode.as_str()))
        else {
            return Ok(());
        };
        let by = match chosen {
            Some((_, by)) => ChangedBy::Person(by),
            None => ChangedBy::Default,
        };
        self.switch_mode(agent_session, switch, by, Phase::Handshake, deadline)
            .await
    }

    /// Asks the agent to switch; a refusal is told in the transcript (the
    /// agent may then act without asking) but does not end the run.
    pub(super) async fn switch_mode(
        &mut self,
        agent_session: &str,
        switch: Switch,
        by: ChangedBy,
        phase: Phase,
        deadline: Option<Instant>,
    ) -> Result<(), Ending> {
        let (answer, mode) = match switch {
            Switch::SetMode { mode } => {
                let request =
                    acp::SetSessionModeRequest::new(agent_session.to_owned(), mode.clone());
                (
                    self.exchange("session/set_mode", request, phase, deadline)
                        .await?,
                    mode,
                )
            }
            Switch::SetOption { option, mode } => {
                let request = acp::SetSessionConfigOptionRequest::new(
                    agent_session.to_owned(),
                    option,
                    acp::SessionConfigOptionValue::value_id(mode.clone()),
                );
                (
                    self.exchange("session/set_config_option", request, phase, deadline)
                        .await?,
                    mode,
                )
            }
        };
        let log = &mut self.session.log;
        match answer {
            Ok(answer) => {
                // `set_config_option` answers with every option's value.
                if let Ok(set) =
                    serde_json::from_value::<acp::SetSessionConfigOptionResponse>(answer)
                {
                    log.stage(EventBody::AgentOptions {
                        options: set.config_options.iter().map(fold::config_option).collect(),
                    });
                }
                log.stage(EventBody::ModeChange { mode, by });
            }
            Err(error) => log.stage(EventBody::Error {
                message: format!(
                    "The agent refused to switch to mode “{mode}”: {error}. It stays in \
                     mode “{}”.",
                    log.agent.mode_name().unwrap_or_else(|| "unknown".into())
                ),
            }),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_shared::agent_state::{AgentMode, ConfigChoice, ConfigOption, ConfigValue};

    fn modes(current: &str, ids: &[&str]) -> AgentState {
        AgentState {
            mode: Some(current.into()),
            modes: ids
                .iter()
                .map(|id| AgentMode {
                    id: (*id).into(),
                    name: id.to_uppercase(),
                    description: None,
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_agent_that_starts_acting_is_switched_to_asking() {
        let claude = modes("auto", &["auto", "default", "acceptEdits", "plan"]);
        assert_eq!(
            switch_for(&claude, None),
            Some(Switch::SetMode {
                mode: "default".into()
            })
        );
        let codex = modes("agent", &["read-only", "workspace-write", "agent"]);
        assert_eq!(
            switch_for(&codex, None),
            Some(Switch::SetMode {
                mode: "read-only".into()
            })
        );
    }

    #[test]
    fn nothing_is_sent_when_the_agent_is_there_already_or_cannot_ask() {
        assert_eq!(
            switch_for(&modes("default", &["default", "auto"]), None),
            None
        );
        assert_eq!(switch_for(&modes("yolo", &["yolo"]), None), None);
        assert_eq!(switch_for(&AgentState::default(), None), None);
    }

    #[test]
    fn a_persons_choice_wins_when_the_agent_offers_it() {
        let claude = modes("default", &["auto", "default", "acceptEdits"]);
        assert_eq!(
            switch_for(&claude, Some("acceptEdits")),
            Some(Switch::SetMode {
                mode: "acceptEdits".into()
            })
        );
        // A choice the agent no longer offers: left as the agent has it.
        assert_eq!(switch_for(&claude, Some("gone")), None);
    }

    #[test]
    fn a_mode_offered_only_as_an_option_is_set_as_one() {
        let state = AgentState {
            options: vec![ConfigOption {
                id: "mode".into(),
                name: "Mode".into(),
                category: Some("mode".into()),
                value: ConfigValue::Choice("auto".into()),
                choices: ["auto", "default"]
                    .iter()
                    .map(|v| ConfigChoice {
                        value: (*v).into(),
                        name: (*v).into(),
                        description: None,
                    })
                    .collect(),
            }],
            ..Default::default()
        };
        assert_eq!(
            switch_for(&state, None),
            Some(Switch::SetOption {
                option: "mode".into(),
                mode: "default".into()
            })
        );
    }
}
