//! Bearer tokens for agent tool calls: one per run, scoped to a session and
//! its assistant, gone when the run ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tandem_shared::{AssistantId, SessionId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub session_id: SessionId,
    pub assistant_id: AssistantId,
}

#[derive(Default)]
pub struct ToolTokens {
    grants: Mutex<HashMap<String, Grant>>,
}

impl ToolTokens {
    /// A fresh token: 244 random bits from two v4 UUIDs.
    pub fn issue(&self, grant: Grant) -> String {
        let token = format!(
            "tdm_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        if let Ok(mut grants) = self.grants.lock() {
            grants.insert(token.clone(), grant);
        }
        token
    }

    pub fn check(&self, token: &str) -> Option<Grant> {
        self.grants.lock().ok()?.get(token).cloned()
    }

    pub fn revoke(&self, token: &str) {
        if let Ok(mut grants) = self.grants.lock() {
            grants.remove(token);
        }
    }

    /// A token that is revoked when the guard drops, however its run ends
    /// (a panic included).
    pub fn issue_for_run(self: &Arc<Self>, grant: Grant) -> RunToken {
        RunToken {
            secret: self.issue(grant),
            tokens: self.clone(),
        }
    }
}

pub struct RunToken {
    secret: String,
    tokens: Arc<ToolTokens>,
}

impl RunToken {
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl Drop for RunToken {
    fn drop(&mut self) {
        self.tokens.revoke(&self.secret);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_die_on_revoke() {
        let tokens = ToolTokens::default();
        let grant = Grant {
            session_id: SessionId("s".into()),
            assistant_id: AssistantId("a".into()),
        };
        let one = tokens.issue(grant.clone());
        let two = tokens.issue(grant.clone());
        assert_ne!(one, two);
        assert_eq!(tokens.check(&one), Some(grant.clone()));
        tokens.revoke(&one);
        assert_eq!(tokens.check(&one), None);
        let tokens = Arc::new(tokens);
        let scoped = tokens.issue_for_run(grant.clone());
        let secret = scoped.secret().to_owned();
        assert_eq!(tokens.check(&secret), Some(grant));
        drop(scoped);
        assert_eq!(tokens.check(&secret), None);
        assert!(tokens.check("tdm_guess").is_none());
    }
}
