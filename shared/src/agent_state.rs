//! What an agent says of itself while it runs: the modes it can work in,
//! its configuration options (model, effort, …), its slash commands and its
//! usage. Folded from transcript events into `AgentState`, which the
//! session header shows. Plain data and pure code.

use serde::{Deserialize, Serialize};

/// A mode the agent can work in (ACP `SessionMode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentMode {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Whether a mode keeps people in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModeSafety {
    /// The agent asks before it edits or runs anything.
    Asks,
    /// The agent plans or reads only: nothing to ask about.
    ReadsOnly,
    /// The agent acts without asking (all or some of the time).
    ActsAlone,
    /// A mode Tandem does not know.
    Unknown,
}

/// Mode ids of today's agents that ask before acting, best first: Claude
/// and Gemini `default`, Codex `read-only` (its `read-only` still asks to
/// write or run, and only then acts).
const ASKING: [&str; 3] = ["default", "read-only", "ask"];
/// Mode ids that act without asking: Claude `auto`, `acceptEdits`,
/// `bypassPermissions`, `dontAsk`; Codex `agent`, `agent-full-access`,
/// `workspace-write`, `auto`, `full-access`; Gemini `autoEdit`, `yolo`.
const ACTING: [&str; 11] = [
    "auto",
    "acceptEdits",
    "bypassPermissions",
    "dontAsk",
    "agent",
    "agent-full-access",
    "workspace-write",
    "full-access",
    "autoEdit",
    "auto_edit",
    "yolo",
];

impl ModeSafety {
    pub fn of(mode_id: &str) -> ModeSafety {
        if ASKING.contains(&mode_id) {
            ModeSafety::Asks
        } else if mode_id == "plan" {
            ModeSafety::ReadsOnly
        } else if ACTING.contains(&mode_id) {
            ModeSafety::ActsAlone
        } else {
            ModeSafety::Unknown
        }
    }

    /// Words for a person, beside the mode's name.
    pub fn words(self) -> &'static str {
        match self {
            ModeSafety::Asks => "asks before acting",
            ModeSafety::ReadsOnly => "plans only",
            ModeSafety::ActsAlone => "acts without asking",
            ModeSafety::Unknown => "may act without asking",
        }
    }
}

/// The mode that keeps people in the loop, among those the agent offers.
pub fn asking_mode(available: &[AgentMode]) -> Option<&AgentMode> {
    ASKING
        .iter()
        .find_map(|id| available.iter().find(|mode| mode.id == *id))
}

/// A configuration option's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ConfigValue {
    Boolean(bool),
    Choice(String),
}

impl std::fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigValue::Boolean(true) => f.write_str("on"),
            ConfigValue::Boolean(false) => f.write_str("off"),
            ConfigValue::Choice(value) => f.write_str(value),
        }
    }
}

/// One choice of a select option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigChoice {
    pub value: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A configuration option the agent offers (ACP `SessionConfigOption`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigOption {
    pub id: String,
    pub name: String,
    /// `mode`, `model`, `thought_level`, or another the agent names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub value: ConfigValue,
    /// A select option's choices (empty for a boolean).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<ConfigChoice>,
    /// Offered through the session's `models` list rather than as a
    /// configuration option (Codex), and so set with `session/set_model`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_models: bool,
}

impl ConfigOption {
    /// The option that holds the mode, for agents that offer the mode as a
    /// configuration option rather than (or as well as) as `modes`.
    pub fn is_mode(&self) -> bool {
        self.category.as_deref() == Some("mode") || self.id == "mode"
    }

    /// The name of the current value, as a person reads it.
    pub fn value_name(&self) -> String {
        match &self.value {
            ConfigValue::Choice(value) => self
                .choices
                .iter()
                .find(|c| &c.value == value)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| value.clone()),
            other => other.to_string(),
        }
    }
}

/// How much of its context the agent has used, and what it cost so far
/// (ACP `usage_update`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// Tokens in the context now.
    pub used: u64,
    /// The context window's size.
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cost {
    pub amount: f64,
    /// ISO 4217, e.g. `USD`.
    pub currency: String,
}

/// A slash command the agent offers (ACP `AvailableCommand`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentCommand {
    pub name: String,
    pub description: String,
    /// What to type after the name, when it takes input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl AgentCommand {
    /// The commands a draft being typed as `/name` may mean: names that
    /// start with what is typed first, then names and descriptions that
    /// contain it. Nothing once the name is followed by a space (the
    /// person is typing its input) or when the draft is not a command.
    pub fn matching<'a>(draft: &str, all: &'a [AgentCommand]) -> Vec<&'a AgentCommand> {
        let Some(typed) = draft.strip_prefix('/') else {
            return Vec::new();
        };
        if typed.chars().any(char::is_whitespace) {
            return Vec::new();
        }
        let typed = typed.to_lowercase();
        let mut starts: Vec<&AgentCommand> = Vec::new();
        let mut contains: Vec<&AgentCommand> = Vec::new();
        for command in all {
            let name = command.name.to_lowercase();
            if name.starts_with(&typed) {
                starts.push(command);
            } else if name.contains(&typed) || command.description.to_lowercase().contains(&typed) {
                contains.push(command);
            }
        }
        starts.extend(contains);
        starts
    }
}

/// Who changed the agent's mode or an option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangedBy {
    /// The agent itself (`current_mode_update`, its own switch).
    Agent,
    /// Tandem, applying the assistant's default at the start of a run.
    Default,
    /// A member, by name.
    Person(String),
}

impl ChangedBy {
    pub fn words(&self) -> String {
        match self {
            ChangedBy::Agent => "by the agent".into(),
            ChangedBy::Default => "the assistant's default".into(),
            ChangedBy::Person(name) => format!("by {name}"),
        }
    }
}

/// A setting of a session's agent that a member may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum Setting {
    Mode { mode: String },
    Option { id: String, value: ConfigValue },
}

impl Setting {
    /// The key one choice of this setting is kept under.
    pub fn key(&self) -> String {
        match self {
            Setting::Mode { .. } => "mode".into(),
            Setting::Option { id, .. } => format!("option:{id}"),
        }
    }

    /// Whether the agent offers it: a mode among its modes, a value among
    /// an option's choices (or a boolean for a boolean option).
    pub fn offered_by(&self, state: &AgentState) -> bool {
        match self {
            Setting::Mode { mode } => state.mode_choices().iter().any(|m| &m.id == mode),
            Setting::Option { id, value } => state.options.iter().any(|o| {
                &o.id == id
                    && match (&o.value, value) {
                        (ConfigValue::Boolean(_), ConfigValue::Boolean(_)) => true,
                        (ConfigValue::Choice(_), ConfigValue::Choice(v)) => {
                            o.choices.iter().any(|c| &c.value == v)
                        }
                        _ => false,
                    }
            }),
        }
    }
}

/// A member's choice for a session, kept for every later run of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    #[serde(flatten)]
    pub setting: Setting,
    pub chosen_by: String,
    pub chosen_at: i64,
}

/// What `POST /api/sessions/{id}/choices` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChoiceApplied {
    /// The running agent was asked to switch now.
    Now,
    /// Kept: the session's next run starts with it.
    NextRun,
}

/// All of it, as the transcript folds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentState {
    pub modes: Vec<AgentMode>,
    pub mode: Option<String>,
    pub options: Vec<ConfigOption>,
    pub usage: Option<Usage>,
    /// What the session spent so far (its `Spend` events).
    pub spent: crate::spend::Spent,
    pub commands: Vec<AgentCommand>,
}

impl AgentState {
    /// The current mode's id, whether the agent reports it as a mode or as
    /// its mode option.
    pub fn current_mode(&self) -> Option<&str> {
        self.mode.as_deref().or_else(|| {
            self.options
                .iter()
                .find(|o| o.is_mode())
                .and_then(|o| match &o.value {
                    ConfigValue::Choice(value) => Some(value.as_str()),
                    ConfigValue::Boolean(_) => None,
                })
        })
    }

    /// The model in use, when the agent offers a model option.
    pub fn current_model(&self) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.category.as_deref() == Some("model"))
            .and_then(|o| match &o.value {
                ConfigValue::Choice(value) => Some(value.as_str()),
                ConfigValue::Boolean(_) => None,
            })
    }

    /// The modes to choose from: `modes`, or the mode option's choices.
    pub fn mode_choices(&self) -> Vec<AgentMode> {
        if !self.modes.is_empty() {
            return self.modes.clone();
        }
        self.options
            .iter()
            .find(|o| o.is_mode())
            .map(|o| {
                o.choices
                    .iter()
                    .map(|c| AgentMode {
                        id: c.value.clone(),
                        name: c.name.clone(),
                        description: c.description.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The current mode's name, as the agent calls it.
    pub fn mode_name(&self) -> Option<String> {
        let current = self.current_mode()?;
        Some(
            self.mode_choices()
                .into_iter()
                .find(|m| m.id == current)
                .map(|m| m.name)
                .unwrap_or_else(|| current.to_owned()),
        )
    }

    /// Options other than the mode, which has its own control.
    pub fn other_options(&self) -> impl Iterator<Item = &ConfigOption> {
        self.options.iter().filter(|o| !o.is_mode())
    }

    /// A mode change: the mode, and the mode option when there is one.
    pub fn set_mode(&mut self, mode: &str) {
        self.mode = Some(mode.to_owned());
        for option in self.options.iter_mut().filter(|o| o.is_mode()) {
            option.value = ConfigValue::Choice(mode.to_owned());
        }
    }

    /// Folds an event that says something of the agent; others are
    /// ignored.
    pub fn apply(&mut self, body: &crate::EventBody) {
        use crate::EventBody;
        match body {
            EventBody::AgentModes { current, available } => {
                self.modes = available.clone();
                self.mode = Some(current.clone());
            }
            EventBody::ModeChange { mode, .. } => self.set_mode(mode),
            EventBody::AgentOptions { options } => self.replace_options(options),
            EventBody::OptionChange { id, value, .. } => self.set_option(id, value),
            EventBody::Usage { usage } => self.usage = Some(usage.clone()),
            EventBody::Spend { spend } => self.spent.add(spend),
            EventBody::AgentCommands { commands } => self.commands = commands.clone(),
            _ => {}
        }
    }

    /// The agent's options now. A model picker from the session's `models`
    /// list stays unless the new options hold a model of their own
    /// (`configOptions` come first).
    pub fn replace_options(&mut self, options: &[ConfigOption]) {
        let kept = self
            .options
            .iter()
            .find(|o| o.from_models)
            .filter(|_| {
                !options
                    .iter()
                    .any(|o| o.id == "model" || o.category.as_deref() == Some("model"))
            })
            .cloned();
        self.options = options.to_vec();
        self.options.extend(kept);
    }

    pub fn set_option(&mut self, id: &str, value: &ConfigValue) {
        if let Some(option) = self.options.iter_mut().find(|o| o.id == id) {
            option.value = value.clone();
            if option.is_mode() {
                if let ConfigValue::Choice(mode) = value {
                    self.mode = Some(mode.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(id: &str, name: &str) -> AgentMode {
        AgentMode {
            id: id.into(),
            name: name.into(),
            description: None,
        }
    }

    #[test]
    fn each_agents_asking_mode_is_found() {
        // Claude's adapter: auto first; default asks.
        let claude = [
            mode("auto", "Auto"),
            mode("default", "Default"),
            mode("plan", "Plan"),
        ];
        assert_eq!(asking_mode(&claude).map(|m| m.id.as_str()), Some("default"));
        // Codex: starts in `agent`; `read-only` asks.
        let codex = [
            mode("read-only", "Read-only"),
            mode("workspace-write", "Workspace access"),
            mode("agent", "Auto review"),
        ];
        assert_eq!(
            asking_mode(&codex).map(|m| m.id.as_str()),
            Some("read-only")
        );
        // An older Codex names `auto` "Default": the id decides, not the name.
        let old_codex = [mode("read-only", "Read Only"), mode("auto", "Default")];
        assert_eq!(
            asking_mode(&old_codex).map(|m| m.id.as_str()),
            Some("read-only")
        );
        assert_eq!(asking_mode(&[mode("yolo", "YOLO")]), None);
    }

    #[test]
    fn modes_say_whether_they_ask() {
        assert_eq!(ModeSafety::of("default"), ModeSafety::Asks);
        assert_eq!(ModeSafety::of("agent"), ModeSafety::ActsAlone);
        assert_eq!(ModeSafety::of("bypassPermissions"), ModeSafety::ActsAlone);
        assert_eq!(ModeSafety::of("plan"), ModeSafety::ReadsOnly);
        assert_eq!(ModeSafety::of("turbo"), ModeSafety::Unknown);
        assert_eq!(ModeSafety::of("turbo").words(), "may act without asking");
    }

    #[test]
    fn a_mode_offered_as_an_option_is_the_mode() {
        let mut state = AgentState {
            options: vec![
                ConfigOption {
                    id: "mode".into(),
                    name: "Mode".into(),
                    category: Some("mode".into()),
                    value: ConfigValue::Choice("auto".into()),
                    choices: vec![
                        ConfigChoice {
                            value: "auto".into(),
                            name: "Auto".into(),
                            description: None,
                        },
                        ConfigChoice {
                            value: "default".into(),
                            name: "Default".into(),
                            description: None,
                        },
                    ],
                    from_models: false,
                },
                ConfigOption {
                    id: "model".into(),
                    name: "Model".into(),
                    category: Some("model".into()),
                    value: ConfigValue::Choice("small".into()),
                    choices: vec![],
                    from_models: false,
                },
            ],
            ..Default::default()
        };
        assert_eq!(state.current_mode(), Some("auto"));
        assert_eq!(state.mode_choices().len(), 2);
        state.set_option("mode", &ConfigValue::Choice("default".into()));
        assert_eq!(state.current_mode(), Some("default"));
        assert_eq!(state.mode_name().as_deref(), Some("Default"));
        assert_eq!(state.other_options().count(), 1);
    }

    #[test]
    fn the_palette_offers_commands_by_name_then_by_words() {
        let command = |name: &str, description: &str| AgentCommand {
            name: name.into(),
            description: description.into(),
            hint: None,
        };
        let all = [
            command("review", "Review the current diff"),
            command("compact", "Shorten the context"),
            command("pr-comments", "Read the pull request's comments"),
        ];
        let names = |draft: &str| -> Vec<String> {
            AgentCommand::matching(draft, &all)
                .iter()
                .map(|c| c.name.clone())
                .collect()
        };
        assert_eq!(names("/"), vec!["review", "compact", "pr-comments"]);
        assert_eq!(
            names("/re"),
            vec!["review", "pr-comments"],
            "by name first, then by words"
        );
        assert_eq!(names("/COM"), vec!["compact", "pr-comments"]);
        assert!(names("/review the parser").is_empty(), "typing its input");
        assert!(names("review").is_empty(), "not a command");
        assert!(names("/zzz").is_empty());
    }

    #[test]
    fn values_read_as_json_strings_or_booleans() {
        let on: ConfigValue = serde_json::from_str("true").expect("boolean");
        assert_eq!(on, ConfigValue::Boolean(true));
        let model: ConfigValue = serde_json::from_str("\"gpt\"").expect("string");
        assert_eq!(model.to_string(), "gpt");
    }
}
