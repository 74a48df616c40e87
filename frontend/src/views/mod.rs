//! One module per view.

pub mod entry;
pub mod new_session;
pub mod session;
pub mod sidebar;
