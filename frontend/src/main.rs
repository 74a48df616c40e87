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
    pwa::register_service_worker();
    leptos::mount::mount_to_body(root::Root);
}
