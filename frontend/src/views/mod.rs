//! One module per view.

pub mod agent_bar;
pub mod agent_defaults;
pub mod agent_picker;
pub mod approvals;
pub mod assistant;
pub mod avatar;
pub mod check_agent;
pub mod composer;
pub mod diff;
pub mod entry;
pub mod icons;
pub mod login;
pub mod members;
pub mod new_assistant;
pub mod new_session;
pub mod profile;
pub mod rules;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod share;
pub mod sidebar;
pub mod tabbar;
pub mod tasks;
pub mod transcript;
pub mod workspace_picker;
