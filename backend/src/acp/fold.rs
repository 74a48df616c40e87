//! ACP `session/update` → Tandem transcript events. Pure functions.

use super::schema as acp;
use tandem_shared as t;
use tandem_shared::agent_state::{
    AgentCommand, AgentMode, ChangedBy, ConfigChoice, ConfigOption, ConfigValue,
};

/// Folds one update into the events it becomes. Echoed user chunks become
/// none (our log already has the person's words), nor do kinds Tandem does
/// not know.
pub fn fold_update(update: &acp::SessionUpdate) -> Vec<t::EventBody> {
    match update {
        acp::SessionUpdate::AgentMessageChunk(chunk) if is_informational(chunk) => {
            vec![t::EventBody::Notice {
                text: content_text(&chunk.content),
            }]
        }
        acp::SessionUpdate::AgentMessageChunk(chunk) => vec![t::EventBody::AgentMessageChunk {
            text: content_text(&chunk.content),
        }],
        acp::SessionUpdate::AgentThoughtChunk(chunk) => vec![t::EventBody::AgentThoughtChunk {
            text: content_text(&chunk.content),
        }],
        acp::SessionUpdate::ToolCall(call) => vec![t::EventBody::ToolCall(tool_call(call))],
        acp::SessionUpdate::ToolCallUpdate(update) => {
            vec![t::EventBody::ToolCallUpdate(tool_call_patch(update))]
        }
        acp::SessionUpdate::Plan(plan) => vec![t::EventBody::Plan {
            entries: plan.entries.iter().map(plan_entry).collect(),
        }],
        acp::SessionUpdate::SessionInfoUpdate(info) => match &info.title {
            agent_client_protocol_schema::MaybeUndefined::Value(title)
                if !title.trim().is_empty() =>
            {
                vec![t::EventBody::TitleChange {
                    title: title.trim().to_owned(),
                }]
            }
            _ => vec![],
        },
        acp::SessionUpdate::CurrentModeUpdate(update) => vec![t::EventBody::ModeChange {
            mode: update.current_mode_id.0.to_string(),
            by: ChangedBy::Agent,
        }],
        acp::SessionUpdate::ConfigOptionUpdate(update) => vec![t::EventBody::AgentOptions {
            options: update.config_options.iter().map(config_option).collect(),
        }],
        acp::SessionUpdate::UsageUpdate(update) => vec![t::EventBody::Usage {
            usage: t::agent_state::Usage {
                used: update.used,
                size: update.size,
                cost: update.cost.as_ref().map(|cost| t::agent_state::Cost {
                    amount: cost.amount,
                    currency: cost.currency.clone(),
                }),
            },
        }],
        acp::SessionUpdate::AvailableCommandsUpdate(update) => vec![t::EventBody::AgentCommands {
            commands: update
                .available_commands
                .iter()
                .map(|command| AgentCommand {
                    name: command.name.clone(),
                    description: command.description.clone(),
                    hint: match &command.input {
                        Some(acp::AvailableCommandInput::Unstructured(input)) => {
                            Some(input.hint.clone())
                        }
                        _ => None,
                    },
                })
                .collect(),
        }],
        _ => vec![],
    }
}

/// Claude's adapter marks chunks that are notices, not its reply
/// (`_meta.claudeCode.kind: "informational"`).
fn is_informational(chunk: &acp::ContentChunk) -> bool {
    chunk
        .meta
        .as_ref()
        .and_then(|meta| meta.get("claudeCode"))
        .and_then(|claude| claude.get("kind"))
        .and_then(|kind| kind.as_str())
        == Some("informational")
}

/// The modes an agent's session opened with, as an event.
pub fn modes(state: &acp::SessionModeState) -> t::EventBody {
    t::EventBody::AgentModes {
        current: state.current_mode_id.0.to_string(),
        available: state
            .available_modes
            .iter()
            .map(|mode| AgentMode {
                id: mode.id.0.to_string(),
                name: mode.name.clone(),
                description: mode.description.clone(),
            })
            .collect(),
    }
}

pub fn config_option(option: &acp::SessionConfigOption) -> ConfigOption {
    let category = option.category.as_ref().map(|category| match category {
        acp::SessionConfigOptionCategory::Mode => "mode".to_owned(),
        acp::SessionConfigOptionCategory::Model => "model".to_owned(),
        acp::SessionConfigOptionCategory::ModelConfig => "model_config".to_owned(),
        acp::SessionConfigOptionCategory::ThoughtLevel => "thought_level".to_owned(),
        acp::SessionConfigOptionCategory::Other(other) => other.clone(),
        _ => "other".to_owned(),
    });
    let (value, choices) = match &option.kind {
        acp::SessionConfigKind::Select(select) => {
            let choice = |o: &acp::SessionConfigSelectOption| ConfigChoice {
                value: o.value.0.to_string(),
                name: o.name.clone(),
                description: o.description.clone(),
            };
            let choices = match &select.options {
                acp::SessionConfigSelectOptions::Ungrouped(options) => {
                    options.iter().map(choice).collect()
                }
                acp::SessionConfigSelectOptions::Grouped(groups) => groups
                    .iter()
                    .flat_map(|group| group.options.iter().map(choice))
                    .collect(),
                _ => Vec::new(),
            };
            (
                ConfigValue::Choice(select.current_value.0.to_string()),
                choices,
            )
        }
        acp::SessionConfigKind::Boolean(boolean) => {
            (ConfigValue::Boolean(boolean.current_value), Vec::new())
        }
        _ => (ConfigValue::Choice(String::new()), Vec::new()),
    };
    ConfigOption {
        id: option.id.0.to_string(),
        name: option.name.clone(),
        category,
        value,
        choices,
        from_models: false,
    }
}

/// The session's `models` list (Codex), read from the raw answer of
/// `session/new`, `session/load` or `session/resume`, as a model picker:
/// `{"models": {"availableModels": [{"modelId", "name", "description"}],
/// "currentModelId"}}`. `None` when it offers none.
pub fn models(answer: &serde_json::Value) -> Option<ConfigOption> {
    let models = answer.get("models")?;
    let current = models.get("currentModelId")?.as_str()?;
    let choices: Vec<ConfigChoice> = models
        .get("availableModels")?
        .as_array()?
        .iter()
        .filter_map(|model| {
            let value = model.get("modelId")?.as_str()?.to_owned();
            Some(ConfigChoice {
                name: model
                    .get("name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or(&value)
                    .to_owned(),
                description: model
                    .get("description")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
                value,
            })
        })
        .collect();
    if choices.is_empty() {
        return None;
    }
    Some(ConfigOption {
        id: "model".into(),
        name: "Model".into(),
        category: Some("model".into()),
        value: ConfigValue::Choice(current.to_owned()),
        choices,
        from_models: true,
    })
}

/// What a session offers: its configuration options, and its `models` as
/// a model picker when no option already picks the model.
pub fn session_options(
    options: Option<&[acp::SessionConfigOption]>,
    answer_models: Option<ConfigOption>,
) -> Option<Vec<ConfigOption>> {
    let mut found: Vec<ConfigOption> = options.into_iter().flatten().map(config_option).collect();
    let has_model = found
        .iter()
        .any(|o| o.id == "model" || o.category.as_deref() == Some("model"));
    if let Some(models) = answer_models.filter(|_| !has_model) {
        found.push(models);
    }
    (options.is_some() || !found.is_empty()).then_some(found)
}

pub fn content_text(block: &acp::ContentBlock) -> String {
    match block {
        acp::ContentBlock::Text(text) => text.text.clone(),
        acp::ContentBlock::ResourceLink(link) => format!("[{}]({})", link.name, link.uri),
        acp::ContentBlock::Resource(resource) => match &resource.resource {
            acp::EmbeddedResourceResource::TextResourceContents(text) => text.text.clone(),
            acp::EmbeddedResourceResource::BlobResourceContents(blob) => {
                format!("(binary resource {})", blob.uri)
            }
            _ => "(resource)".to_owned(),
        },
        acp::ContentBlock::Image(image) => format!("(image, {})", image.mime_type),
        acp::ContentBlock::Audio(audio) => format!("(audio, {})", audio.mime_type),
        _ => "(content)".to_owned(),
    }
}

pub fn tool_call(call: &acp::ToolCall) -> t::ToolCall {
    t::ToolCall {
        id: call.tool_call_id.0.to_string(),
        title: call.title.clone(),
        kind: tool_kind(&call.kind),
        status: tool_status(&call.status),
        content: call.content.iter().map(tool_content).collect(),
        locations: call.locations.iter().map(location).collect(),
        raw_input: call.raw_input.clone(),
        raw_output: call.raw_output.clone(),
    }
}

/// Tandem's shell agent marks an update whose text is new output to add,
/// not the whole output (`_meta: {"tandem": {"append": true}}`).
pub const APPEND_META: &str = "tandem";

fn appends(update: &acp::ToolCallUpdate) -> bool {
    update
        .meta
        .as_ref()
        .and_then(|meta| meta.get(APPEND_META))
        .and_then(|tandem| tandem.get("append"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

pub fn tool_call_patch(update: &acp::ToolCallUpdate) -> t::ToolCallPatch {
    let mut patch = whole_tool_call_patch(update);
    if appends(update) {
        if let Some([t::ToolContent::Text { text }]) = patch.content.as_deref() {
            patch.appended = Some(text.clone());
            patch.content = None;
        }
    }
    patch
}

fn whole_tool_call_patch(update: &acp::ToolCallUpdate) -> t::ToolCallPatch {
    let fields = &update.fields;
    t::ToolCallPatch {
        id: update.tool_call_id.0.to_string(),
        title: fields.title.clone(),
        kind: fields.kind.as_ref().map(tool_kind),
        status: fields.status.as_ref().map(tool_status),
        content: fields
            .content
            .as_ref()
            .map(|content| content.iter().map(tool_content).collect()),
        locations: fields
            .locations
            .as_ref()
            .map(|locations| locations.iter().map(location).collect()),
        raw_input: fields.raw_input.clone(),
        raw_output: fields.raw_output.clone(),
        appended: None,
    }
}

pub fn permission_option(option: &acp::PermissionOption) -> t::PermissionOption {
    t::PermissionOption {
        option_id: option.option_id.0.to_string(),
        name: option.name.clone(),
        kind: match option.kind {
            acp::PermissionOptionKind::AllowOnce => t::PermissionKind::AllowOnce,
            acp::PermissionOptionKind::AllowAlways => t::PermissionKind::AllowAlways,
            acp::PermissionOptionKind::RejectOnce => t::PermissionKind::RejectOnce,
            acp::PermissionOptionKind::RejectAlways => t::PermissionKind::RejectAlways,
            // An unknown kind is never taken as consent.
            _ => t::PermissionKind::RejectOnce,
        },
    }
}

fn tool_kind(kind: &acp::ToolKind) -> t::ToolKind {
    match kind {
        acp::ToolKind::Read => t::ToolKind::Read,
        acp::ToolKind::Edit => t::ToolKind::Edit,
        acp::ToolKind::Delete => t::ToolKind::Delete,
        acp::ToolKind::Move => t::ToolKind::Move,
        acp::ToolKind::Search => t::ToolKind::Search,
        acp::ToolKind::Execute => t::ToolKind::Execute,
        acp::ToolKind::Think => t::ToolKind::Think,
        acp::ToolKind::Fetch => t::ToolKind::Fetch,
        acp::ToolKind::SwitchMode => t::ToolKind::SwitchMode,
        _ => t::ToolKind::Other,
    }
}

fn tool_status(status: &acp::ToolCallStatus) -> t::ToolStatus {
    match status {
        acp::ToolCallStatus::Pending => t::ToolStatus::Pending,
        acp::ToolCallStatus::InProgress => t::ToolStatus::InProgress,
        acp::ToolCallStatus::Completed => t::ToolStatus::Completed,
        acp::ToolCallStatus::Failed => t::ToolStatus::Failed,
        _ => t::ToolStatus::Pending,
    }
}

fn tool_content(content: &acp::ToolCallContent) -> t::ToolContent {
    match content {
        acp::ToolCallContent::Content(content) => match &content.content {
            acp::ContentBlock::Text(text) => t::ToolContent::Text {
                text: text.text.clone(),
            },
            other => t::ToolContent::Other {
                description: content_text(other),
            },
        },
        acp::ToolCallContent::Diff(diff) => t::ToolContent::Diff {
            path: diff.path.display().to_string(),
            old_text: diff.old_text.clone(),
            new_text: diff.new_text.clone(),
        },
        acp::ToolCallContent::Terminal(terminal) => t::ToolContent::Terminal {
            terminal_id: terminal.terminal_id.0.to_string(),
        },
        _ => t::ToolContent::Other {
            description: "(content)".to_owned(),
        },
    }
}

fn location(location: &acp::ToolCallLocation) -> t::Location {
    t::Location {
        path: location.path.display().to_string(),
        line: location.line,
    }
}

fn plan_entry(entry: &acp::PlanEntry) -> t::PlanEntry {
    t::PlanEntry {
        content: entry.content.clone(),
        priority: match entry.priority {
            acp::PlanEntryPriority::High => t::PlanPriority::High,
            acp::PlanEntryPriority::Low => t::PlanPriority::Low,
            _ => t::PlanPriority::Medium,
        },
        status: match entry.status {
            acp::PlanEntryStatus::InProgress => t::PlanStatus::InProgress,
            acp::PlanEntryStatus::Completed => t::PlanStatus::Completed,
            _ => t::PlanStatus::Pending,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(update: serde_json::Value, expected: Vec<t::EventBody>) {
        let update: acp::SessionUpdate = serde_json::from_value(update).unwrap();
        assert_eq!(fold_update(&update), expected);
    }

    #[test]
    fn message_and_thought_chunks() {
        check(
            json!({"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"Hi"}}),
            vec![t::EventBody::AgentMessageChunk { text: "Hi".into() }],
        );
        check(
            json!({"sessionUpdate":"agent_thought_chunk","content":{"type":"text","text":"hm"}}),
            vec![t::EventBody::AgentThoughtChunk { text: "hm".into() }],
        );
        check(
            json!({"sessionUpdate":"user_message_chunk","content":{"type":"text","text":"echo"}}),
            vec![],
        );
    }

    #[test]
    fn tool_call_with_diff_and_location() {
        check(
            json!({"sessionUpdate":"tool_call","toolCallId":"c1","title":"Edit a.rs","kind":"edit",
                   "status":"in_progress",
                   "content":[{"type":"diff","path":"/w/a.rs","oldText":"a","newText":"b"}],
                   "locations":[{"path":"/w/a.rs","line":3}]}),
            vec![t::EventBody::ToolCall(t::ToolCall {
                id: "c1".into(),
                title: "Edit a.rs".into(),
                kind: t::ToolKind::Edit,
                status: t::ToolStatus::InProgress,
                content: vec![t::ToolContent::Diff {
                    path: "/w/a.rs".into(),
                    old_text: Some("a".into()),
                    new_text: "b".into(),
                }],
                locations: vec![t::Location {
                    path: "/w/a.rs".into(),
                    line: Some(3),
                }],
                raw_input: None,
                raw_output: None,
            })],
        );
    }

    #[test]
    fn tool_call_update_keeps_only_changed_fields() {
        check(
            json!({"sessionUpdate":"tool_call_update","toolCallId":"c1","status":"completed",
                   "content":[{"type":"content","content":{"type":"text","text":"ok"}}]}),
            vec![t::EventBody::ToolCallUpdate(t::ToolCallPatch {
                id: "c1".into(),
                status: Some(t::ToolStatus::Completed),
                content: Some(vec![t::ToolContent::Text { text: "ok".into() }]),
                ..Default::default()
            })],
        );
    }

    #[test]
    fn plan_and_title() {
        check(
            json!({"sessionUpdate":"plan","entries":[
                {"content":"Read","priority":"high","status":"completed"},
                {"content":"Write","priority":"low","status":"pending"}]}),
            vec![t::EventBody::Plan {
                entries: vec![
                    t::PlanEntry {
                        content: "Read".into(),
                        priority: t::PlanPriority::High,
                        status: t::PlanStatus::Completed,
                    },
                    t::PlanEntry {
                        content: "Write".into(),
                        priority: t::PlanPriority::Low,
                        status: t::PlanStatus::Pending,
                    },
                ],
            }],
        );
        check(
            json!({"sessionUpdate":"session_info_update","title":"  Fix the build "}),
            vec![t::EventBody::TitleChange {
                title: "Fix the build".into(),
            }],
        );
        check(
            json!({"sessionUpdate":"session_info_update","_meta":{"codex":{"threadStatus":{}}}}),
            vec![],
        );
    }

    #[test]
    fn modes_usage_commands_and_notices() {
        check(
            json!({"sessionUpdate":"usage_update","used":10,"size":100}),
            vec![t::EventBody::Usage {
                usage: t::agent_state::Usage {
                    used: 10,
                    size: 100,
                    cost: None,
                },
            }],
        );
        check(
            json!({"sessionUpdate":"current_mode_update","currentModeId":"plan"}),
            vec![t::EventBody::ModeChange {
                mode: "plan".into(),
                by: ChangedBy::Agent,
            }],
        );
        check(
            json!({"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"note"},
                   "_meta":{"claudeCode":{"kind":"informational"}}}),
            vec![t::EventBody::Notice {
                text: "note".into(),
            }],
        );
        check(
            json!({"sessionUpdate":"config_option_update","configOptions":[
                {"id":"fast","name":"Fast","type":"boolean","currentValue":true},
                {"id":"model","name":"Model","category":"model","type":"select","currentValue":"b",
                 "options":[{"group":"g","name":"G","options":[{"value":"b","name":"B"}]}]},
                {"id":"broken","name":"Broken","type":"dial"}]}),
            vec![t::EventBody::AgentOptions {
                options: vec![
                    ConfigOption {
                        id: "fast".into(),
                        name: "Fast".into(),
                        category: None,
                        value: ConfigValue::Boolean(true),
                        choices: vec![],
                        from_models: false,
                    },
                    ConfigOption {
                        id: "model".into(),
                        name: "Model".into(),
                        category: Some("model".into()),
                        value: ConfigValue::Choice("b".into()),
                        choices: vec![ConfigChoice {
                            value: "b".into(),
                            name: "B".into(),
                            description: None,
                        }],
                        from_models: false,
                    },
                ],
            }],
        );
    }
}
