//! Who the assistant is right now, read from the store: the fingerprint a
//! warm start is checked against, and the context block a cold start gives
//! the agent.

use super::{context_block, fingerprint, ContextParts};
use crate::session::Context;
use crate::store::StoreError;
use tandem_shared::api::Assistant;

/// The settings key of the organisation-wide constitution.
pub const ORG_CONSTITUTION: &str = "constitution";

pub struct Identity {
    pub fingerprint: String,
    pub context: String,
}

impl Identity {
    /// The fingerprint of persona + joined constitution, and the context
    /// block built from memory, the recent journal and chat, and `why`.
    pub async fn load(
        ctx: &Context,
        assistant: &Assistant,
        why: &str,
    ) -> Result<Identity, StoreError> {
        let org = ctx
            .store
            .setting(ORG_CONSTITUTION)
            .await?
            .unwrap_or_default();
        let constitution = join_constitutions(&org, &assistant.constitution);
        let journal: Vec<(String, String)> = ctx
            .store
            .recent_journal(&assistant.id, 20)
            .await?
            .into_iter()
            .map(|entry| (format_date(entry.at), entry.text))
            .collect();
        let chat: Vec<(String, String)> = ctx
            .store
            .recent_chat(&assistant.id, 20)
            .await?
            .into_iter()
            .map(|message| (message.author, message.text))
            .collect();
        let context = context_block(&ContextParts {
            assistant_name: &assistant.name,
            persona: &assistant.persona,
            constitution: &constitution,
            memory: &assistant.memory,
            journal: &journal,
            recent_chat: &chat,
            why,
        });
        Ok(Identity {
            fingerprint: fingerprint(
                &assistant.persona,
                &constitution,
                &format!(
                    "{}\0{}",
                    serde_json::to_string(&assistant.agent).unwrap_or_default(),
                    assistant.workspace
                ),
            ),
            context,
        })
    }
}

/// Organisation rules first, then the assistant's own: lower layers add
/// rules, never remove them.
pub fn join_constitutions(org: &str, own: &str) -> String {
    match (org.trim(), own.trim()) {
        ("", own) => own.to_owned(),
        (org, "") => org.to_owned(),
        (org, own) => format!("{org}\n\n{own}"),
    }
}

/// `YYYY-MM-DD` (UTC) of a millisecond timestamp.
fn format_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| at.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| "(unknown date)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(1_795_519_964_535), "2026-11-24");
        assert_eq!(format_date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn organisation_rules_come_first() {
        assert_eq!(
            join_constitutions("Org rule.", "Own rule."),
            "Org rule.\n\nOwn rule."
        );
        assert_eq!(join_constitutions("", "Own."), "Own.");
        assert_eq!(join_constitutions("Org.", "  "), "Org.");
    }
}
