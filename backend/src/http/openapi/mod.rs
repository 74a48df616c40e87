//! `/api/openapi.json`, generated from the handlers and the shared types.

use super::error::ApiJson;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tandem",
        description = "Assistants doing coding work in agent sessions, with people in the loop."
    ),
    paths(
        super::agents::health,
        super::agents::list,
        super::agents::sandbox,
        super::assistants::list,
        super::assistants::get,
        super::assistants::create,
        super::assistants::update,
        super::assistants::journal,
        super::assistants::add_journal_entry,
        super::assistants::org_constitution,
        super::assistants::set_org_constitution,
        super::wakes::chat,
        super::wakes::post_chat,
        super::wakes::list,
        super::wakes::heartbeat,
        super::routines::list,
        super::routines::create,
        super::routines::update,
        super::routines::delete,
        super::rules::list_tandem,
        super::rules::create_tandem,
        super::rules::list_assistant,
        super::rules::create_assistant,
        super::rules::delete,
        super::tasks::list,
        super::tasks::create,
        super::tasks::get,
        super::tasks::update,
        super::sessions::list,
        super::sessions::create,
        super::sessions::archive,
        super::sessions::get,
        super::sessions::events,
        super::sessions::send_message,
        super::sessions::stop,
        super::sessions::pause,
        super::sessions::resume,
        super::choices::list,
        super::secrets::list,
        super::agents::check,
        super::agents::check_kind,
        super::workspaces::list,
        super::workspaces::create,
        super::choices::list_defaults,
        super::choices::choose_default,
        super::secrets::put,
        super::secrets::delete,
        super::choices::choose,
        super::approvals::decide,
        super::approvals::pending,
        super::agent_tools::call,
        super::auth::state,
        super::auth::setup,
        super::auth::login,
        super::auth::logout,
        super::auth::change_password,
        super::users::list,
        super::users::create,
        super::users::tokens,
        super::users::create_token,
        super::users::revoke_token,
        super::users::members,
        super::users::add_member,
        super::users::remove_member,
        super::share::create,
        super::share::list,
        super::share::list_all,
        super::share::revoke,
        super::share::shared,
        super::share::events,
    ),
    components(schemas(
        tandem_shared::ws::ClientMessage,
        tandem_shared::ws::ServerMessage,
        tandem_shared::TranscriptEvent,
    )),
    modifiers(&ErrorAnswers)
)]
pub struct ApiDoc;

/// The error answers every route may give, documented on every operation
/// that does not say them itself: credentials (401), bad input (400), what
/// the caller may not do or see (403, 404), limits (413, 429) and a disk
/// that takes no writes (503), each an `ErrorBody`.
struct ErrorAnswers;

impl utoipa::Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let answers = [
            (
                "400",
                "the request is malformed or a field is invalid; the message names it",
            ),
            ("401", "no credentials, or they ended"),
            ("403", "the caller may not do this"),
            ("404", "no such thing, or the caller may not see it"),
            ("413", "the request body is too large"),
            ("429", "too many requests; wait"),
            (
                "503",
                "the data directory takes no writes; nothing saved is lost",
            ),
        ];
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for (status, description) in answers {
                    if operation.responses.responses.contains_key(status) {
                        continue;
                    }
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build();
                    operation
                        .responses
                        .responses
                        .insert(status.to_owned(), response.into());
                }
            }
        }
    }
}

pub async fn document() -> ApiJson<utoipa::openapi::OpenApi> {
    ApiJson(ApiDoc::openapi())
}
