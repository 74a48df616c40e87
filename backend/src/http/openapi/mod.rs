//! `/api/openapi.json`, generated from the handlers and the shared types,
//! then completed: the error answers every route may give, and the limits
//! the handlers check, so the document says what the server accepts.

mod error_answers;
mod limits;

use crate::http::error::ApiJson;
use error_answers::ErrorAnswers;
use limits::Limits;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tandem",
        description = "Assistants doing coding work in agent sessions, with people in the loop."
    ),
    paths(
        crate::http::agents::health,
        crate::http::agents::list,
        crate::http::agents::sandbox,
        crate::http::assistants::list,
        crate::http::assistants::get,
        crate::http::assistants::create,
        crate::http::assistants::update,
        crate::http::assistants::journal,
        crate::http::assistants::add_journal_entry,
        crate::http::assistants::org_constitution,
        crate::http::assistants::set_org_constitution,
        crate::http::usage::get,
        crate::http::budgets::list,
        crate::http::prices::list,
        crate::http::prices::set,
        crate::http::prices::remove,
        crate::http::budgets::of_assistant,
        crate::http::budgets::set_team,
        crate::http::budgets::remove_team,
        crate::http::budgets::set_assistant,
        crate::http::budgets::remove_assistant,
        crate::http::usage::csv,
        crate::http::wakes::chat,
        crate::http::wakes::post_chat,
        crate::http::wakes::list,
        crate::http::wakes::heartbeat,
        crate::http::routines::list,
        crate::http::routines::create,
        crate::http::routines::update,
        crate::http::routines::delete,
        crate::http::rules::list_tandem,
        crate::http::rules::create_tandem,
        crate::http::rules::list_assistant,
        crate::http::rules::create_assistant,
        crate::http::rules::delete,
        crate::http::tasks::list,
        crate::http::tasks::create,
        crate::http::tasks::get,
        crate::http::tasks::update,
        crate::http::sessions::list,
        crate::http::sessions::create,
        crate::http::sessions::archive,
        crate::http::sessions::get,
        crate::http::sessions::events,
        crate::http::sessions::send_message,
        crate::http::sessions::stop,
        crate::http::sessions::pause,
        crate::http::sessions::resume,
        crate::http::changes::changes,
        crate::http::changes::send_review,
        crate::http::changes::land,
        crate::http::changes::worktrees,
        crate::http::choices::list,
        crate::http::secrets::list,
        crate::http::agents::check,
        crate::http::agents::check_kind,
        crate::http::workspaces::list,
        crate::http::workspaces::create,
        crate::http::choices::list_defaults,
        crate::http::choices::choose_default,
        crate::http::secrets::put,
        crate::http::secrets::delete,
        crate::http::choices::choose,
        crate::http::approvals::decide,
        crate::http::approvals::pending,
        crate::http::push::key,
        crate::http::push::devices,
        crate::http::push::subscribe,
        crate::http::push::remove,
        crate::http::push::test,
        crate::http::push::mutes,
        crate::http::push::set_mutes,
        crate::http::agent_tools::call,
        crate::http::auth::state,
        crate::http::auth::setup,
        crate::http::auth::login,
        crate::http::auth::logout,
        crate::http::auth::change_password,
        crate::http::users::list,
        crate::http::users::create,
        crate::http::users::tokens,
        crate::http::users::create_token,
        crate::http::users::revoke_token,
        crate::http::users::members,
        crate::http::users::add_member,
        crate::http::users::remove_member,
        crate::http::share::create,
        crate::http::share::list,
        crate::http::share::list_all,
        crate::http::share::revoke,
        crate::http::share::shared,
        crate::http::share::events,
    ),
    components(schemas(
        tandem_shared::ws::ClientMessage,
        tandem_shared::ws::ServerMessage,
        tandem_shared::TranscriptEvent,
    )),
    modifiers(&ErrorAnswers, &Limits)
)]
pub struct ApiDoc;

pub async fn document() -> ApiJson<utoipa::openapi::OpenApi> {
    ApiJson(ApiDoc::openapi())
}
