//! Bearer tokens for agent tool calls: one per run, scoped to a session and
//! its assistant, gone when the run ends. On a database several servers
//! share, each token is also a row (its digest): an agent's MCP server may
//! call any of them, and a server taking the run over keeps it valid.

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
    shared: Option<crate::store::Store>,
}

impl ToolTokens {
    /// Tokens every server on `store` accepts.
    pub fn shared(store: crate::store::Store) -> ToolTokens {
        ToolTokens {
            grants: Mutex::default(),
            shared: Some(store),
        }
    }

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

    /// This server's own tokens, then (on a shared database) every server's.
    pub async fn check_anywhere(&self, token: &str) -> Option<Grant> {
        if let Some(grant) = self.check(token) {
            return Some(grant);
        }
        let store = self.shared.as_ref()?;
        match store
            .tool_grant(&crate::accounts::secret::digest(token))
            .await
        {
            Ok(grant) => grant,
            Err(error) => {
                tracing::warn!(%error, "could not look a tool token up");
                None
            }
        }
    }

    pub fn revoke(&self, token: &str) {
        if let Ok(mut grants) = self.grants.lock() {
            grants.remove(token);
        }
    }

    /// A token that is revoked when the guard drops, however its run ends
    /// (a panic included).
    pub async fn issue_for_run(self: &Arc<Self>, grant: Grant, now: i64) -> RunToken {
        let secret = self.issue(grant.clone());
        let hash = crate::accounts::secret::digest(&secret);
        if let Some(store) = &self.shared {
            if let Err(error) = store.add_tool_grant(&hash, &grant, now).await {
                tracing::warn!(%error, "could not share a run's tool token with the other servers");
            }
        }
        RunToken {
            secret,
            hash,
            tokens: self.clone(),
        }
    }

    /// The token of a run this server took over (its agent holds the
    /// secret; the row is what keeps it valid): revoked with the guard.
    pub fn adopt(self: &Arc<Self>, hash: String) -> RunToken {
        RunToken {
            secret: String::new(),
            hash,
            tokens: self.clone(),
        }
    }
}

pub struct RunToken {
    secret: String,
    hash: String,
    tokens: Arc<ToolTokens>,
}

impl RunToken {
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Its digest, as the store keeps it.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Another server took the run over: the token stays valid there (its
    /// row stays), only this server's copy goes.
    pub fn hand_over(mut self) {
        self.hash.clear();
    }
}

impl Drop for RunToken {
    fn drop(&mut self) {
        self.tokens.revoke(&self.secret);
        if self.hash.is_empty() {
            return;
        }
        if let (Some(store), Ok(runtime)) = (
            self.tokens.shared.clone(),
            tokio::runtime::Handle::try_current(),
        ) {
            let hash = std::mem::take(&mut self.hash);
            runtime.spawn(async move {
                if let Err(error) = store.forget_tool_grant(&hash).await {
                    tracing::warn!(%error, "could not revoke a run's tool token");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokens_are_unique_and_die_on_revoke() {
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
        let scoped = tokens.issue_for_run(grant.clone(), 0).await;
        let secret = scoped.secret().to_owned();
        assert_eq!(tokens.check(&secret), Some(grant));
        drop(scoped);
        assert_eq!(tokens.check(&secret), None);
        assert!(tokens.check("tdm_guess").is_none());
    }
}
