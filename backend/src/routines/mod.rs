//! Routines: an assistant woken on a schedule.

pub mod schedule;
pub mod scheduler;

pub use schedule::{Schedule, ScheduleError};
pub use scheduler::{tick, RoutineScheduler, WakeSink};
