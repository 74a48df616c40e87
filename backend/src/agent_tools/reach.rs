//! What a run's tools may see and touch: only what every member of its
//! assistant may see. An agent acts for everyone who can direct it, so it
//! gets the rights they share, never one person's more: with a member who
//! cannot see assistant B, it cannot list B's tasks, give B a task or wake
//! B. Admins see everything, so they narrow nothing; an assistant with no
//! members reaches only itself and the team's unassigned tasks.

use crate::store::{Store, StoreError};
use std::collections::HashSet;
use tandem_shared::api::Task;
use tandem_shared::AssistantId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    visible: HashSet<AssistantId>,
}

/// One member of the run's assistant: an admin, or the assistants they
/// belong to.
pub enum Member {
    Admin,
    Of(HashSet<AssistantId>),
}

impl Reach {
    /// The assistants every member sees, and always the run's own.
    pub fn shared_by(me: &AssistantId, members: &[Member], all: &[AssistantId]) -> Reach {
        let mut visible: HashSet<AssistantId> = if members.is_empty() {
            HashSet::new()
        } else {
            all.iter()
                .filter(|id| {
                    members.iter().all(|member| match member {
                        Member::Admin => true,
                        Member::Of(theirs) => theirs.contains(*id),
                    })
                })
                .cloned()
                .collect()
        };
        visible.insert(me.clone());
        Reach { visible }
    }

    /// Read from the store for the run's assistant.
    pub async fn of(store: &Store, me: &AssistantId) -> Result<Reach, StoreError> {
        let mut members = Vec::new();
        for user in store.members(me).await? {
            members.push(if user.admin {
                Member::Admin
            } else {
                Member::Of(store.member_of(&user.id).await?.into_iter().collect())
            });
        }
        let all: Vec<AssistantId> = store
            .list_assistants(crate::store::Scope::All)
            .await?
            .into_iter()
            .map(|assistant| assistant.id)
            .collect();
        Ok(Reach::shared_by(me, &members, &all))
    }

    pub fn sees(&self, assistant: &AssistantId) -> bool {
        self.visible.contains(assistant)
    }

    /// A task is seen when its assignee and the assistant it is private to
    /// (when either is set) are.
    pub fn sees_task(&self, task: &Task) -> bool {
        task.assignee_id
            .iter()
            .chain(&task.private_to)
            .all(|assistant| self.sees(assistant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<AssistantId> {
        names.iter().map(|n| AssistantId((*n).to_owned())).collect()
    }

    fn of(names: &[&str]) -> Member {
        Member::Of(ids(names).into_iter().collect())
    }

    #[test]
    fn only_what_every_member_sees() {
        let all = ids(&["mine", "shared", "theirs"]);
        let me = AssistantId("mine".into());
        let reach = Reach::shared_by(
            &me,
            &[of(&["mine", "shared"]), of(&["mine", "shared", "theirs"])],
            &all,
        );
        assert!(reach.sees(&me));
        assert!(reach.sees(&AssistantId("shared".into())));
        assert!(!reach.sees(&AssistantId("theirs".into())));
        // An admin member narrows nothing.
        let with_admin = Reach::shared_by(&me, &[Member::Admin, of(&["mine", "theirs"])], &all);
        assert!(with_admin.sees(&AssistantId("theirs".into())));
        assert!(!with_admin.sees(&AssistantId("shared".into())));
        // No members: itself only.
        let alone = Reach::shared_by(&me, &[], &all);
        assert!(alone.sees(&me) && !alone.sees(&AssistantId("shared".into())));
    }

    #[test]
    fn a_task_is_seen_through_its_assignee_and_its_privacy() {
        let reach = Reach::shared_by(
            &AssistantId("mine".into()),
            &[of(&["mine"])],
            &ids(&["mine", "theirs"]),
        );
        let task = |assignee: Option<&str>, private: Option<&str>| Task {
            id: "t".into(),
            title: "t".into(),
            body: String::new(),
            status: tandem_shared::api::TaskStatus::Todo,
            assignee_id: assignee.map(|a| AssistantId(a.into())),
            parent_id: None,
            private_to: private.map(|a| AssistantId(a.into())),
            session_ids: vec![],
            created_at: 0,
            updated_at: 0,
        };
        assert!(reach.sees_task(&task(None, None)));
        assert!(reach.sees_task(&task(Some("mine"), None)));
        assert!(!reach.sees_task(&task(Some("theirs"), None)));
        assert!(!reach.sees_task(&task(None, Some("theirs"))));
        assert!(!reach.sees_task(&task(Some("mine"), Some("theirs"))));
    }
}
