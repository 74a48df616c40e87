//! What a push says. Plain functions of what happened; the sender
//! encrypts the JSON for each device, the service worker shows it.

use tandem_shared::api::{PushAction, PushMessage, PushMessageKind};
use tandem_shared::{ApprovalId, PermissionKind, PermissionOption, SessionId, SessionStatus};

/// Notification text is cut here (lock screens show two or three lines).
const MAX_BODY: usize = 180;

fn cut(text: &str, most: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(most) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_owned(),
    }
}

pub fn session_url(session_id: &SessionId) -> String {
    format!("/#/sessions/{}", session_id.as_str())
}

/// An approval waiting: what the agent would do, where, and two buttons
/// (allow once, reject) when the agent offered those options.
pub fn approval(
    assistant: &str,
    session_title: &str,
    session_id: &SessionId,
    approval_id: &ApprovalId,
    tool_title: &str,
    options: &[PermissionOption],
) -> PushMessage {
    let button = |kind: PermissionKind| {
        options.iter().find(|o| o.kind == kind).map(|o| PushAction {
            option_id: o.option_id.clone(),
            title: cut(&o.name, 24),
        })
    };
    PushMessage {
        kind: PushMessageKind::Approval,
        title: cut(&format!("{assistant} asks: {tool_title}"), 80),
        body: cut(&format!("In “{session_title}”"), MAX_BODY),
        url: session_url(session_id),
        session_id: Some(session_id.clone()),
        approval_id: Some(approval_id.clone()),
        actions: [
            button(PermissionKind::AllowOnce),
            button(PermissionKind::RejectOnce),
        ]
        .into_iter()
        .flatten()
        .collect(),
    }
}

/// A session that ended: how, and the first line of its summary.
pub fn ended(
    assistant: &str,
    session_title: &str,
    session_id: &SessionId,
    status: SessionStatus,
    summary: &str,
) -> PushMessage {
    let how = match status {
        SessionStatus::Completed => "finished",
        SessionStatus::Failed => "failed",
        SessionStatus::Stopped => "stopped",
        _ => "ended",
    };
    PushMessage {
        kind: PushMessageKind::Ended,
        title: cut(&format!("{assistant} {how}: {session_title}"), 80),
        body: cut(summary.lines().next().unwrap_or(""), MAX_BODY),
        url: session_url(session_id),
        session_id: Some(session_id.clone()),
        approval_id: None,
        actions: Vec::new(),
    }
}

/// A budget past its warning, or reached: what was spent of what.
pub fn budget(assistant_id: &tandem_shared::AssistantId, words: &str) -> PushMessage {
    let mut title = words.split(':').next().unwrap_or(words).to_owned();
    if let Some(first) = title.get(..1) {
        title = format!("{}{}", first.to_uppercase(), &title[1..]);
    }
    PushMessage {
        kind: PushMessageKind::Budget,
        title: cut(&title, 80),
        body: cut(words, MAX_BODY),
        url: format!("/#/assistants/{}", assistant_id.as_str()),
        session_id: None,
        approval_id: None,
        actions: Vec::new(),
    }
}

pub fn test(device: &str) -> PushMessage {
    PushMessage {
        kind: PushMessageKind::Test,
        title: "Tandem".into(),
        body: cut(
            &format!(
                "Notifications reach {}.",
                if device.is_empty() {
                    "this device"
                } else {
                    device
                }
            ),
            MAX_BODY,
        ),
        url: "/#/settings".into(),
        session_id: None,
        approval_id: None,
        actions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(id: &str, kind: PermissionKind) -> PermissionOption {
        PermissionOption {
            option_id: id.into(),
            name: format!("{id} — a rather long option name"),
            kind,
        }
    }

    #[test]
    fn an_approval_offers_allow_once_and_reject_only() {
        let message = approval(
            "Ada",
            "Fix the build",
            &SessionId("ses_1".into()),
            &ApprovalId("apr_1".into()),
            "Run cargo test",
            &[
                option("always", PermissionKind::AllowAlways),
                option("once", PermissionKind::AllowOnce),
                option("no", PermissionKind::RejectOnce),
            ],
        );
        assert_eq!(message.title, "Ada asks: Run cargo test");
        assert_eq!(message.url, "/#/sessions/ses_1");
        let ids: Vec<&str> = message
            .actions
            .iter()
            .map(|a| a.option_id.as_str())
            .collect();
        assert_eq!(ids, ["once", "no"]);
        assert!(message
            .actions
            .iter()
            .all(|a| a.title.chars().count() <= 25));
    }

    #[test]
    fn long_text_is_cut_on_a_character() {
        let long = "é".repeat(500);
        let message = ended(
            "Ada",
            &long,
            &SessionId("s".into()),
            SessionStatus::Failed,
            &long,
        );
        assert!(message.title.starts_with("Ada failed: é"));
        assert!(message.title.ends_with('…'));
        assert_eq!(message.body.chars().count(), MAX_BODY + 1);
    }
}
