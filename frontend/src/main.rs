//! Tandem's web app: a sidebar of sessions, the live transcript of the one
//! selected, approval cards and a composer.

mod api;
mod app;
mod socket;
mod views;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
