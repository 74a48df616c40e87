//! One module per view.

pub mod assistant;
pub mod composer;
pub mod entry;
pub mod new_session;
pub mod session;
pub mod sidebar;
pub mod tasks;
