//! The limits the handlers check, written into the API document from the
//! same constants, so a client (or a fuzzer) that follows the document is
//! never refused for the shape of what it sends. What only the server's
//! state decides (a directory that is not there, a name already taken) is
//! answered 403, 404 or 409, never 400.
//!
//! Every string takes no NUL (`text::check`); every `name` and `title` no
//! control or direction character. Fields a handler trims are documented
//! trimmed: the server takes surrounding white space, the document asks
//! for none.

use crate::text::pattern::{self, LABEL, LABEL_EDGE, PLAIN, PLAIN_EDGE, TEXT, TEXT_EDGE};
use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// What one field accepts beyond its type.
#[derive(Debug, Default, Clone)]
pub struct Limit {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<String>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub minimum: Option<isize>,
    pub maximum: Option<isize>,
    pub one_of: Option<Vec<&'static str>>,
}

impl Limit {
    fn text(pattern: String) -> Limit {
        Limit {
            pattern: Some(pattern),
            ..Limit::default()
        }
    }

    fn at_most(self, max: usize) -> Limit {
        Limit {
            max_length: Some(max),
            ..self
        }
    }

    fn at_least(self, min: usize) -> Limit {
        Limit {
            min_length: Some(min),
            ..self
        }
    }
}

/// Any stored text of at most `max` characters.
fn text_up_to(max: usize) -> Limit {
    Limit::text(pattern::only(TEXT)).at_most(max)
}

/// Text with something in it besides white space, up to `max` characters.
fn not_blank(max: usize) -> Limit {
    Limit::text(pattern::not_blank(TEXT, TEXT_EDGE)).at_most(max)
}

/// A name or title of 1 to `max` characters, kept as written.
fn label(max: usize) -> Limit {
    Limit::text(pattern::only(LABEL)).at_least(1).at_most(max)
}

/// A name the handler trims: no white space around it.
fn trimmed_label(max: usize) -> Limit {
    Limit::text(pattern::trimmed(LABEL, LABEL_EDGE)).at_most(max)
}

/// An absolute path.
fn absolute_path() -> Limit {
    Limit::text(format!("^/{TEXT}*$"))
}

/// An account's name (`check_user_name`).
fn user_name() -> Limit {
    Limit::text(format!(
        "^[A-Za-z0-9._-]{{1,{}}}$",
        tandem_shared::auth::MAX_USER_NAME_CHARS
    ))
}

fn password() -> Limit {
    Limit::text(pattern::only(TEXT))
        .at_least(tandem_shared::auth::MIN_PASSWORD_CHARS)
        .at_most(tandem_shared::auth::MAX_PASSWORD_CHARS)
}

/// A secret's name: an environment variable that does not change which
/// programs run (`secrets::names::refusal`).
fn secret_name() -> Limit {
    use crate::secrets::names::{MAX_NAME, REFUSED, REFUSED_PREFIXES};
    Limit::text(format!(
        "^(?!(?:{})$|{})[A-Z_][A-Z0-9_]{{0,{}}}$",
        REFUSED.join("|"),
        REFUSED_PREFIXES.join("|"),
        MAX_NAME - 1
    ))
}

fn secret_value() -> Limit {
    text_up_to(crate::secrets::names::MAX_VALUE).at_least(1)
}

/// A directory's name for the picker (`workspaces::create`): no slash, not
/// hidden, nothing around it.
fn directory_name() -> Limit {
    let first = r"[^./\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000]";
    let last = r"[^/\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000]";
    let middle = r"[^/\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]";
    Limit::text(format!("^{first}(?:{middle}*{last})?$"))
        .at_most(crate::workspaces::MAX_DIRECTORY_NAME)
}

/// A setting's name or value (`choices::check`).
fn setting() -> Limit {
    Limit::text(pattern::not_blank(PLAIN, PLAIN_EDGE)).at_most(crate::http::choices::MAX_LEN)
}

fn cron() -> Limit {
    Limit::text(crate::routines::schedule::cron_pattern())
}

fn time_zone() -> Limit {
    Limit {
        one_of: Some(crate::routines::schedule::time_zone_names()),
        ..Limit::default()
    }
}

fn between(minimum: isize, maximum: isize) -> Limit {
    Limit {
        minimum: Some(minimum),
        maximum: Some(maximum),
        ..Limit::default()
    }
}

/// The schema itself rather than one of its properties.
const SELF: &str = "";

/// Fields of the document's schemas: (schema, property, limit). A property
/// is found in the schema itself or in any of its variants.
fn fields() -> Vec<(&'static str, &'static str, Limit)> {
    use crate::http::{assistants, routines, rules, sessions, share, tasks};
    use crate::session::manager::MAX_MESSAGE_CHARS;
    let assistant = [
        ("name", label(assistants::MAX_NAME)),
        ("color", Limit::text("^#[0-9A-Fa-f]{6}$".into())),
        ("workspace", absolute_path()),
        ("persona", not_blank(assistants::MAX_PERSONA)),
        ("constitution", text_up_to(assistants::MAX_CONSTITUTION)),
        ("memory", text_up_to(assistants::MAX_MEMORY)),
    ];
    let mut fields = Vec::new();
    for schema in ["CreateAssistant", "UpdateAssistant"] {
        for (field, limit) in assistant.clone() {
            fields.push((schema, field, limit));
        }
    }
    fields.extend([
        (
            "AgentSpec",
            "command",
            not_blank(crate::agents::MAX_COMMAND),
        ),
        ("SecretValue", "name", secret_name()),
        ("SecretValue", "value", secret_value()),
        ("PutSecret", "value", secret_value()),
        ("NewWorkspace", "parent", absolute_path()),
        ("NewWorkspace", "name", directory_name()),
        (
            "NewJournalEntry",
            "text",
            Limit::text(pattern::trimmed(TEXT, TEXT_EDGE)).at_most(assistants::MAX_JOURNAL_ENTRY),
        ),
        (
            "Constitution",
            "text",
            text_up_to(assistants::MAX_CONSTITUTION),
        ),
        (
            "ArchiveSessions",
            "session_ids",
            Limit {
                min_items: Some(1),
                max_items: Some(sessions::MAX_ARCHIVE),
                ..Limit::default()
            },
        ),
        ("CreateSession", "prompt", not_blank(MAX_MESSAGE_CHARS)),
        ("SendMessage", "text", not_blank(MAX_MESSAGE_CHARS)),
        ("PostChat", "text", not_blank(MAX_MESSAGE_CHARS)),
        ("Heartbeat", "message", not_blank(MAX_MESSAGE_CHARS)),
        ("CreateTask", "title", label(tasks::MAX_TITLE)),
        ("CreateTask", "body", text_up_to(tasks::MAX_BODY)),
        ("UpdateTask", "title", label(tasks::MAX_TITLE)),
        ("UpdateTask", "body", text_up_to(tasks::MAX_BODY)),
        ("CreateRoutine", "prompt", not_blank(routines::MAX_PROMPT)),
        ("UpdateRoutine", "prompt", not_blank(routines::MAX_PROMPT)),
        ("CreateRoutine", "cron", cron()),
        ("UpdateRoutine", "cron", cron()),
        ("CreateRoutine", "time_zone", time_zone()),
        ("UpdateRoutine", "time_zone", time_zone()),
        ("Setting", "mode", setting()),
        ("Setting", "id", setting()),
        ("ConfigValue", SELF, setting()),
        ("CreateRule", "prefix", text_up_to(rules::MAX_PREFIX)),
        ("FirstAdmin", "name", user_name()),
        ("FirstAdmin", "password", password()),
        ("CreateUser", "name", user_name()),
        ("CreateUser", "password", password()),
        ("ChangePassword", "new", password()),
        (
            "CreateToken",
            "name",
            trimmed_label(crate::accounts::team::MAX_TOKEN_NAME),
        ),
        (
            "CreateShareLink",
            "expires_in_hours",
            between(1, share::MAX_HOURS as isize),
        ),
        (
            "ReviewComment",
            "text",
            not_blank(tandem_shared::changes::MAX_COMMENT_CHARS),
        ),
        ("ReviewComment", "start_line", between(1, u32::MAX as isize)),
        ("ReviewComment", "end_line", between(1, u32::MAX as isize)),
        (
            "SendReview",
            "comments",
            Limit {
                min_items: Some(1),
                max_items: Some(tandem_shared::changes::MAX_REVIEW_COMMENTS),
                ..Limit::default()
            },
        ),
        (
            "SessionSettings",
            "max_parallel",
            between(1, tandem_shared::api::MAX_PARALLEL_SESSIONS as isize),
        ),
    ]);
    fields
}

/// Parameters of operations: (path, parameter, limit).
fn parameters() -> Vec<(&'static str, &'static str, Limit)> {
    use crate::http::sessions;
    let page = between(1, sessions::MAX_PAGE as isize);
    vec![
        ("/api/workspaces", "path", absolute_path()),
        ("/api/sessions", "q", text_up_to(sessions::MAX_QUERY)),
        ("/api/sessions/{id}/events", "limit", page.clone()),
        ("/api/share/{token}/events", "limit", page),
        ("/api/sessions/{id}/events", "after", between(0, isize::MAX)),
        ("/api/share/{token}/events", "after", between(0, isize::MAX)),
        ("/api/assistants/{id}/secrets/{name}", "name", secret_name()),
    ]
}

pub struct Limits;

impl utoipa::Modify for Limits {
    fn modify(&self, openapi: &mut OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            for (schema, field, limit) in fields() {
                if let Some(RefOr::T(found)) = components.schemas.get_mut(schema) {
                    for_property(found, field, &mut |property| apply(property, &limit));
                }
            }
        }
        // What people and programs send; answers may carry an agent's words.
        let sent = request_schemas(openapi);
        if let Some(components) = openapi.components.as_mut() {
            for (name, found) in components.schemas.iter_mut() {
                if let (true, RefOr::T(found)) = (sent.contains(name), found) {
                    text_rules(found, None);
                }
            }
        }
        for (path, name, limit) in parameters() {
            let Some(item) = openapi.paths.paths.get_mut(path) else {
                continue;
            };
            for operation in operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if parameter.name == name {
                        if let Some(RefOr::T(schema)) = parameter.schema.as_mut() {
                            apply(schema, &limit);
                        }
                    }
                }
            }
        }
        // Query and path strings take no NUL either (`uri_check`).
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let Some(RefOr::T(schema)) = parameter.schema.as_mut() {
                        text_rules(schema, None);
                    }
                }
            }
        }
    }
}

/// The schemas request bodies use, and those they use in turn.
fn request_schemas(openapi: &mut OpenApi) -> std::collections::BTreeSet<String> {
    let mut waiting = Vec::new();
    for item in openapi.paths.paths.values_mut() {
        for operation in operations(item) {
            let bodies = operation
                .request_body
                .iter()
                .flat_map(|body| body.content.values());
            for content in bodies {
                if let Some(schema) = &content.schema {
                    refs(schema, &mut waiting);
                }
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = waiting.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let found = openapi
            .components
            .as_ref()
            .and_then(|c| c.schemas.get(&name));
        if let Some(schema) = found {
            refs(schema, &mut waiting);
        }
    }
    seen
}

/// The component names `schema` refers to.
fn refs(schema: &RefOr<Schema>, out: &mut Vec<String>) {
    let schema = match schema {
        RefOr::Ref(reference) => {
            if let Some(name) = reference.ref_location.rsplit('/').next() {
                out.push(name.to_owned());
            }
            return;
        }
        RefOr::T(schema) => schema,
    };
    match schema {
        Schema::Object(object) => object.properties.values().for_each(|p| refs(p, out)),
        Schema::Array(array) => {
            if let utoipa::openapi::schema::ArrayItems::RefOrSchema(items) = &array.items {
                refs(items, out);
            }
        }
        Schema::OneOf(one) => one.items.iter().for_each(|item| refs(item, out)),
        Schema::AllOf(all) => all.items.iter().for_each(|item| refs(item, out)),
        Schema::AnyOf(any) => any.items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

fn operations(
    item: &mut utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Calls `change` on the property `field` of `schema` or of any of its
/// variants.
fn for_property(schema: &mut Schema, field: &str, change: &mut dyn FnMut(&mut Schema)) {
    if field == SELF {
        return change(schema);
    }
    match schema {
        Schema::Object(object) => {
            if let Some(RefOr::T(property)) = object.properties.get_mut(field) {
                change(property);
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(|item| {
            if let RefOr::T(item) = item {
                for_property(item, field, change);
            }
        }),
        Schema::AllOf(all) => all.items.iter_mut().for_each(|item| {
            if let RefOr::T(item) = item {
                for_property(item, field, change);
            }
        }),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|item| {
            if let RefOr::T(item) = item {
                for_property(item, field, change);
            }
        }),
        _ => {}
    }
}

fn apply(schema: &mut Schema, limit: &Limit) {
    match schema {
        Schema::Object(object) => {
            if is_string(object) {
                object.min_length = limit.min_length.or(object.min_length);
                object.max_length = limit.max_length.or(object.max_length);
                object.pattern = limit.pattern.clone().or(object.pattern.take());
            }
            if let Some(names) = &limit.one_of {
                let mut values: Vec<serde_json::Value> =
                    names.iter().map(|name| (*name).into()).collect();
                if takes_null(object) {
                    values.push(serde_json::Value::Null);
                }
                object.enum_values = Some(values);
            }
            if let Some(minimum) = limit.minimum {
                object.minimum = Some(utoipa::Number::Int(minimum));
            }
            if let Some(maximum) = limit.maximum {
                object.maximum = Some(utoipa::Number::Int(maximum));
            }
        }
        Schema::Array(array) => {
            array.min_items = limit.min_items.or(array.min_items);
            array.max_items = limit.max_items.or(array.max_items);
        }
        // `Option<T>` of a non-string: the limit is on the `T`.
        Schema::OneOf(one) => one.items.iter_mut().for_each(|item| {
            if let RefOr::T(item) = item {
                apply(item, limit);
            }
        }),
        _ => {}
    }
}

/// Gives every string that has no pattern of its own the text rule: no
/// NUL, and for a `name` or `title` no control or direction character.
fn text_rules(schema: &mut Schema, property: Option<&str>) {
    match schema {
        Schema::Object(object) => {
            if is_string(object) && object.pattern.is_none() && object.enum_values.is_none() {
                let label = property.is_some_and(|name| crate::text::LABELS.contains(&name));
                object.pattern = Some(pattern::only(if label { LABEL } else { TEXT }));
            }
            for (name, property) in object.properties.iter_mut() {
                if let RefOr::T(property) = property {
                    text_rules(property, Some(name));
                }
            }
        }
        Schema::Array(array) => {
            if let utoipa::openapi::schema::ArrayItems::RefOrSchema(items) = &mut array.items {
                if let RefOr::T(items) = items.as_mut() {
                    text_rules(items, None);
                }
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(|item| {
            if let RefOr::T(item) = item {
                text_rules(item, property);
            }
        }),
        Schema::AllOf(all) => all.items.iter_mut().for_each(|item| {
            if let RefOr::T(item) = item {
                text_rules(item, property);
            }
        }),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|item| {
            if let RefOr::T(item) = item {
                text_rules(item, property);
            }
        }),
        _ => {}
    }
}

fn takes_null(object: &Object) -> bool {
    use utoipa::openapi::schema::{SchemaType, Type};
    matches!(&object.schema_type, SchemaType::Array(types) if types.contains(&Type::Null))
}

fn is_string(object: &Object) -> bool {
    use utoipa::openapi::schema::{SchemaType, Type};
    match &object.schema_type {
        SchemaType::Type(Type::String) => true,
        SchemaType::Array(types) => types.contains(&Type::String),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::OpenApi as _;

    /// Each limit lands on a field the document has: a renamed field or
    /// schema fails here rather than dropping its limit unseen.
    #[test]
    fn every_limit_finds_its_field() {
        let document = super::super::ApiDoc::openapi();
        let Some(components) = document.components.as_ref() else {
            panic!("components");
        };
        for (schema, field, limit) in fields() {
            let Some(RefOr::T(found)) = components.schemas.get(schema) else {
                panic!("no schema {schema}");
            };
            let mut found = found.clone();
            let mut seen = false;
            for_property(&mut found, field, &mut |property| {
                seen = true;
                let text = serde_json::to_string(property).unwrap_or_default();
                let wanted = limit
                    .pattern
                    .as_deref()
                    .map(|p| serde_json::to_string(p).unwrap_or_default())
                    .or(limit.max_items.map(|n| n.to_string()))
                    .or(limit.one_of.as_ref().map(|names| names.join("\",\"")))
                    .or(limit.maximum.map(|n| n.to_string()))
                    .unwrap_or_default();
                let wanted = wanted.trim_matches('"');
                assert!(text.contains(wanted), "{schema}.{field}: {text}");
            });
            assert!(seen, "{schema} has no field {field}");
        }
        let paths = &document.paths.paths;
        for (path, name, _) in parameters() {
            let found = paths.get(path).is_some_and(|item| {
                [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                    .into_iter()
                    .flatten()
                    .flat_map(|operation| operation.parameters.iter().flatten())
                    .any(|parameter| parameter.name == name)
            });
            assert!(found, "{path} has no parameter {name}");
        }
    }

    #[test]
    fn strings_take_no_nul_and_labels_no_controls() {
        let json = serde_json::to_value(super::super::ApiDoc::openapi()).unwrap_or_default();
        let schemas = &json["components"]["schemas"];
        assert_eq!(
            schemas["CreateTask"]["properties"]["title"]["pattern"],
            serde_json::json!(pattern::only(LABEL))
        );
        assert_eq!(
            schemas["EnvVar"]["properties"]["value"]["pattern"],
            serde_json::json!(pattern::only(TEXT))
        );
        assert_eq!(
            schemas["EnvVar"]["properties"]["name"]["pattern"],
            serde_json::json!(pattern::only(LABEL))
        );
        // Answers are not held to them: they carry agents' words.
        assert!(schemas["Routine"]["properties"]["cron"]["pattern"].is_null());
        // The secret-name pattern refuses what `names::refusal` refuses.
        let secret = secret_name().pattern.unwrap_or_default();
        for refused in crate::secrets::names::REFUSED
            .iter()
            .chain(crate::secrets::names::REFUSED_PREFIXES.iter())
        {
            assert!(secret.contains(refused), "{secret}");
        }
    }
}
