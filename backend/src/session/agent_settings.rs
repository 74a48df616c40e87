//! The agent's mode and options: what a run should start with, putting the
//! agent there, and members changing them while it runs.
//!
//! Today's adapters open sessions in modes that act without asking (Claude
//! `auto`, Codex `agent`), so no permission request would ever reach a
//! person. Right after every `session/new`, `session/load` or resume (Codex
//! reverts on load), the run switches the agent to the mode this session
//! wants: a member's choice, else the agent's asking mode; and sets the
//! options members chose. Choosing is plain code, tested without an agent.

use super::ending::Ending;
use super::run::{AgentRun, Phase};
use crate::acp::fold;
use crate::acp::schema as acp;
use serde_json::Value;
use tandem_shared::agent_state::{
    asking_mode, AgentState, ChangedBy, Choice, ConfigValue, Setting,
};
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
/// there already or offers no such mode. `chosen` is a member's choice.
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

/// The request that makes a setting so, or `None` when it is so already or
/// the agent does not offer it.
pub fn request_for(state: &AgentState, setting: &Setting) -> Option<(&'static str, Value)> {
    match setting {
        Setting::Mode { mode } => switch_for(state, Some(mode)).map(|switch| switch.request()),
        Setting::Option { id, value } => {
            let option = state.options.iter().find(|o| &o.id == id)?;
            if &option.value == value || !setting.offered_by(state) {
                return None;
            }
            match (option.from_models, value) {
                (true, ConfigValue::Choice(model)) => {
                    Some(("session/set_model", serde_json::json!({ "modelId": model })))
                }
                _ => Some(set_option(id, value)),
            }
        }
    }
}

impl Switch {
    fn request(self) -> (&'static str, Value) {
        match self {
            Switch::SetMode { mode } => ("session/set_mode", serde_json::json!({ "modeId": mode })),
            Switch::SetOption { option, mode } => set_option(&option, &ConfigValue::Choice(mode)),
        }
    }

    fn setting(&self) -> Setting {
        match self {
            Switch::SetMode { mode } | Switch::SetOption { mode, .. } => {
                Setting::Mode { mode: mode.clone() }
            }
        }
    }
}

/// `session/set_config_option`'s params (a boolean is sent typed, as ACP
/// asks), without the session id.
fn set_option(id: &str, value: &ConfigValue) -> (&'static str, Value) {
    let params = match value {
        ConfigValue::Boolean(on) => {
            serde_json::json!({ "configId": id, "type": "boolean", "value": on })
        }
        ConfigValue::Choice(choice) => serde_json::json!({ "configId": id, "value": choice }),
    };
    ("session/set_config_option", params)
}

fn with_session(mut params: Value, agent_session: &str) -> Value {
    params["sessionId"] = Value::from(agent_session);
    params
}

/// What a run starts with, setting by setting: the session's own choice
/// (by the member who made it), else the assistant's default.
pub fn effective(defaults: &[Choice], session: &[Choice]) -> Vec<(Choice, ChangedBy)> {
    let mut wanted: Vec<(Choice, ChangedBy)> = defaults
        .iter()
        .filter(|d| !session.iter().any(|c| c.setting.key() == d.setting.key()))
        .map(|d| (d.clone(), ChangedBy::Default))
        .collect();
    wanted.extend(
        session
            .iter()
            .map(|c| (c.clone(), ChangedBy::Person(c.chosen_by.clone()))),
    );
    wanted
}

impl AgentRun<'_> {
    /// Records what the agent's session opened with (its modes and
    /// options), then puts it in the mode and options this session wants.
    pub(super) async fn settle_settings(
        &mut self,
        agent_session: &str,
        modes: Option<acp::SessionModeState>,
        options: Option<Vec<tandem_shared::agent_state::ConfigOption>>,
        deadline: Option<Instant>,
    ) -> Result<(), Ending> {
        let log = &mut self.session.log;
        if let Some(modes) = &modes {
            log.stage(fold::modes(modes));
        }
        if let Some(options) = options {
            log.stage(EventBody::AgentOptions { options });
        }
        let ctx = self.session.ctx.clone();
        let session_choices = ctx
            .store
            .choices(&log.summary.id)
            .await
            .map_err(|error| Ending::storage(error.explain()))?;
        let defaults = ctx
            .store
            .assistant_choices(&self.session.assistant.id)
            .await
            .map_err(|error| Ending::storage(error.explain()))?;
        let wanted = effective(&defaults, &session_choices);
        let mode_choice = wanted
            .iter()
            .find(|(c, _)| matches!(c.setting, Setting::Mode { .. }));
        // A chosen mode the agent no longer offers gives way to asking.
        let agent = &self.session.log.agent;
        let chosen_mode = match mode_choice.map(|(c, _)| &c.setting) {
            Some(setting @ Setting::Mode { mode }) if setting.offered_by(agent) => {
                Some(mode.as_str())
            }
            _ => None,
        };
        if let Some(switch) = switch_for(agent, chosen_mode) {
            let by = match (chosen_mode, mode_choice) {
                (Some(_), Some((_, by))) => by.clone(),
                _ => ChangedBy::Default,
            };
            let setting = switch.setting();
            let (method, params) = switch.request();
            self.apply_now(agent_session, setting, by, method, params, deadline)
                .await?;
        }
        for (choice, by) in wanted
            .iter()
            .filter(|(c, _)| matches!(c.setting, Setting::Option { .. }))
        {
            if let Some((method, params)) = request_for(&self.session.log.agent, &choice.setting) {
                self.apply_now(
                    agent_session,
                    choice.setting.clone(),
                    by.clone(),
                    method,
                    params,
                    deadline,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Asks the agent and waits for its answer (at the start of a run).
    async fn apply_now(
        &mut self,
        agent_session: &str,
        setting: Setting,
        by: ChangedBy,
        method: &'static str,
        params: Value,
        deadline: Option<Instant>,
    ) -> Result<(), Ending> {
        let answer = self
            .exchange(
                method,
                with_session(params, agent_session),
                Phase::Handshake,
                deadline,
            )
            .await?;
        self.on_setting_answer(setting, by, answer.map_err(|error| error.to_string()));
        Ok(())
    }

    /// A member's choice while the agent runs: asked of the agent now, its
    /// answer handled whenever it comes (the turn goes on meanwhile).
    pub(super) async fn choose(&mut self, choice: Choice) {
        let Some(agent_session) = self.agent_session.clone() else {
            // Still starting: the start applies every stored choice.
            return;
        };
        let Some((method, params)) = request_for(&self.session.log.agent, &choice.setting) else {
            if !choice.setting.offered_by(&self.session.log.agent) {
                self.session.log.stage(EventBody::Error {
                    message: format!(
                        "{} chose a setting the agent does not offer: {:?}",
                        choice.chosen_by, choice.setting
                    ),
                });
            }
            return;
        };
        match self
            .conn
            .request(method, with_session(params, &agent_session))
            .await
        {
            Ok(id) => {
                self.side_requests.insert(
                    Value::from(id),
                    (choice.setting, ChangedBy::Person(choice.chosen_by)),
                );
            }
            Err(_) => tracing::debug!("the agent is gone; the choice applies at the next run"),
        }
    }

    /// The agent's answer to a setting's request: the change, or why not.
    pub(super) fn on_setting_answer(
        &mut self,
        setting: Setting,
        by: ChangedBy,
        answer: Result<Value, String>,
    ) {
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
                log.stage(match setting {
                    Setting::Mode { mode } => EventBody::ModeChange { mode, by },
                    Setting::Option { id, value } => EventBody::OptionChange { id, value, by },
                });
            }
            Err(error) => {
                let what = match &setting {
                    Setting::Mode { mode } => format!("switch to mode “{mode}”"),
                    Setting::Option { id, value } => format!("set {id} to “{value}”"),
                };
                let now = match &setting {
                    Setting::Mode { .. } => format!(
                        " It stays in mode “{}”.",
                        log.agent.mode_name().unwrap_or_else(|| "unknown".into())
                    ),
                    Setting::Option { .. } => String::new(),
                };
                log.stage(EventBody::Error {
                    message: format!("The agent refused to {what}: {error}.{now}"),
                });
            }
        }
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
    fn a_sessions_choice_wins_over_the_assistants_default() {
        let choice = |setting: Setting, by: &str| Choice {
            setting,
            chosen_by: by.into(),
            chosen_at: 0,
        };
        let model = |value: &str| Setting::Option {
            id: "model".into(),
            value: ConfigValue::Choice(value.into()),
        };
        let defaults = [
            choice(
                Setting::Mode {
                    mode: "plan".into(),
                },
                "ada",
            ),
            choice(model("small"), "ada"),
        ];
        let session = [choice(model("large"), "bob")];
        let wanted = effective(&defaults, &session);
        assert_eq!(
            wanted
                .iter()
                .map(|(c, by)| (c.setting.clone(), by.clone()))
                .collect::<Vec<_>>(),
            vec![
                (
                    Setting::Mode {
                        mode: "plan".into()
                    },
                    ChangedBy::Default
                ),
                (model("large"), ChangedBy::Person("bob".into())),
            ]
        );
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
                from_models: false,
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

    #[test]
    fn a_model_from_the_models_list_is_set_with_set_model() {
        let answer = serde_json::json!({"sessionId": "s", "models": {
        "currentModelId": "gpt-5.2-codex/medium",
        "availableModels": [
            {"modelId": "gpt-5.2-codex/medium", "name": "gpt-5.2-codex (medium)"},
            {"modelId": "gpt-5.2-codex/high", "name": "gpt-5.2-codex (high)", "description": "Deeper"},
            {"name": "no id: skipped"}
        ]}});
        let models = fold::models(&answer);
        let options = fold::session_options(None, models).unwrap_or_default();
        assert_eq!(options.len(), 1);
        assert!(options[0].from_models);
        assert_eq!(options[0].choices.len(), 2);
        let mut state = AgentState::default();
        state.replace_options(&options);
        let pick = |model: &str| Setting::Option {
            id: "model".into(),
            value: ConfigValue::Choice(model.into()),
        };
        assert_eq!(
            request_for(&state, &pick("gpt-5.2-codex/high")),
            Some((
                "session/set_model",
                serde_json::json!({"modelId": "gpt-5.2-codex/high"})
            ))
        );
        assert_eq!(request_for(&state, &pick("gpt-5.2-codex/medium")), None);
        assert_eq!(request_for(&state, &pick("unknown")), None);
        // Later configuration options without a model keep the picker.
        state.replace_options(&[]);
        assert_eq!(state.options.len(), 1);
    }

    #[test]
    fn configuration_options_pick_the_model_before_the_models_list() {
        let answer = serde_json::json!({"models": {"currentModelId": "a",
            "availableModels": [{"modelId": "a", "name": "A"}]}});
        let option: acp::SessionConfigOption = match serde_json::from_value(serde_json::json!(
            {"id":"model","name":"Model","category":"model","type":"select","currentValue":"opus",
             "options":[{"value":"opus","name":"Opus"}]}
        )) {
            Ok(option) => option,
            Err(error) => panic!("a valid option: {error}"),
        };
        let options =
            fold::session_options(Some(&[option]), fold::models(&answer)).unwrap_or_default();
        assert_eq!(options.len(), 1);
        assert!(!options[0].from_models);
        assert_eq!(
            fold::models(&serde_json::json!({"models": {"currentModelId": "a",
            "availableModels": []}})),
            None
        );
    }
}
