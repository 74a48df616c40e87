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
    ))
)]
pub struct ApiDoc;

pub async fn document() -> ApiJson<utoipa::openapi::OpenApi> {
    ApiJson(ApiDoc::openapi())
}
