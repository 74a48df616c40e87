//! What a wake does given the assistant's live sessions: deliver into one,
//! start one, or wait its turn. Plain code; the README's queue rule says
//! the same in words.

use tandem_shared::api::WakeTrigger;
use tandem_shared::SessionId;

/// A live session of the assistant, oldest first in the lists given here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub id: SessionId,
    /// Started for a task (its own piece of work, not the chat's).
    pub for_task: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A chat message continues this session.
    Deliver(SessionId),
    Start,
    /// Queued until a session of the assistant ends.
    Wait,
}

/// `slots`: how many sessions the assistant may run at once (1 unless its
/// sessions get worktrees of their own).
pub fn place(trigger: WakeTrigger, running: &[Running], slots: usize) -> Placement {
    let free = running.len() < slots.max(1);
    if slots <= 1 {
        return match (trigger, running.last()) {
            (WakeTrigger::Chat, Some(newest)) => Placement::Deliver(newest.id.clone()),
            (_, Some(_)) => Placement::Wait,
            (_, None) => Placement::Start,
        };
    }
    if trigger == WakeTrigger::Chat {
        if let Some(chat) = running.iter().rev().find(|r| !r.for_task) {
            return Placement::Deliver(chat.id.clone());
        }
    }
    if free {
        Placement::Start
    } else {
        Placement::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(id: &str, for_task: bool) -> Running {
        Running {
            id: SessionId(id.into()),
            for_task,
        }
    }

    #[test]
    fn one_at_a_time_chat_joins_the_live_session_and_the_rest_wait() {
        let live = [running("s1", true)];
        assert_eq!(
            place(WakeTrigger::Chat, &live, 1),
            Placement::Deliver(SessionId("s1".into()))
        );
        assert_eq!(place(WakeTrigger::Task, &live, 1), Placement::Wait);
        assert_eq!(place(WakeTrigger::Routine, &[], 1), Placement::Start);
    }

    #[test]
    fn in_parallel_tasks_start_until_the_slots_are_full() {
        let two = [running("s1", true), running("s2", true)];
        assert_eq!(place(WakeTrigger::Task, &two, 3), Placement::Start);
        let three = [
            running("s1", true),
            running("s2", true),
            running("s3", false),
        ];
        assert_eq!(place(WakeTrigger::Task, &three, 3), Placement::Wait);
        assert_eq!(place(WakeTrigger::Heartbeat, &three, 3), Placement::Wait);
    }

    #[test]
    fn in_parallel_chat_continues_the_newest_chat_session_never_a_task() {
        let live = [
            running("chat", false),
            running("t1", true),
            running("t2", true),
        ];
        assert_eq!(
            place(WakeTrigger::Chat, &live, 3),
            Placement::Deliver(SessionId("chat".into()))
        );
        let tasks_only = [running("t1", true)];
        assert_eq!(place(WakeTrigger::Chat, &tasks_only, 3), Placement::Start);
        let full = [
            running("t1", true),
            running("t2", true),
            running("t3", true),
        ];
        assert_eq!(place(WakeTrigger::Chat, &full, 3), Placement::Wait);
    }
}
