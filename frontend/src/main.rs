//! Tandem's web app: the login, a sidebar of sessions, the live transcript
//! of the one selected, approval cards and a composer; and the read-only
//! page of a share link.

mod api;
mod app;
mod endpoints;
mod follow;
mod markdown;
mod marks;
mod offline;
mod pieces;
mod pwa;
mod root;
mod socket;
mod state;
mod views;

fn main() {
    marks::once(marks::STARTED);
    console_error_panic_hook::set_once();
    // The worker's install fetches every piece of the app: not while the
    // first page is still being drawn.
    gloo_timers::callback::Timeout::new(2_000, pwa::register_service_worker).forget();
    leptos::mount::mount_to_body(root::Root);
}
