//! Continuity: whether a run warm-resumes the agent's own session or
//! cold-starts with the assistant's context loaded, and that context.
//! `decide` and `context_block` are pure code, driven by tests without
//! processes; `identity` reads what they need from the store.

pub mod identity;

pub use identity::{join_constitutions, Identity, ORG_CONSTITUTION};
use std::time::Duration;

/// What Tandem knows of the agent's own session from earlier runs, as the
/// session row keeps it.
#[derive(Debug, Clone, Default)]
pub struct KnownAgentSession {
    pub id: Option<String>,
    /// The persona + constitution fingerprint it started with.
    pub fingerprint: Option<String>,
    pub started_at: Option<i64>,
    pub turns: i64,
    /// The title of the earlier session of the assistant this one took the
    /// agent session from (a new wake continues the assistant's latest).
    pub inherited_from: Option<String>,
}

/// What decides between warm and cold.
#[derive(Debug, Clone)]
pub struct ContinuityInput<'a> {
    /// The agent advertised `loadSession`.
    pub can_load: bool,
    /// The agent's session id from an earlier run, if any.
    pub agent_session_id: Option<&'a str>,
    /// The persona + constitution fingerprint that agent session started with.
    pub started_fingerprint: Option<&'a str>,
    pub current_fingerprint: &'a str,
    /// How long ago that agent session started, and how many turns it has had.
    pub agent_session_age: Option<Duration>,
    pub agent_session_turns: u64,
    pub max_age: Duration,
    pub max_turns: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartMode {
    Warm,
    Cold(ColdReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColdReason {
    /// The first run of a session.
    FirstRun,
    /// The agent cannot load sessions.
    AgentCannotLoad,
    /// Persona or constitution changed since the agent session started.
    IdentityChanged,
    /// The agent session is older than the rotation age.
    TooOld,
    /// The agent session has had as many turns as rotation allows.
    TooManyTurns,
    /// `session/load` failed; the reason the agent gave.
    WarmResumeFailed(String),
}

impl ColdReason {
    pub fn describe(&self) -> String {
        match self {
            ColdReason::FirstRun => "first run of this session".into(),
            ColdReason::AgentCannotLoad => "the agent cannot resume sessions".into(),
            ColdReason::IdentityChanged => {
                "the persona, constitution, agent or workspace changed".into()
            }
            ColdReason::TooOld => "the agent session reached its maximum age".into(),
            ColdReason::TooManyTurns => "the agent session reached its maximum turns".into(),
            ColdReason::WarmResumeFailed(why) => format!("warm resume failed ({why})"),
        }
    }
}

pub fn decide(input: &ContinuityInput<'_>) -> StartMode {
    let Some(_) = input.agent_session_id else {
        return StartMode::Cold(ColdReason::FirstRun);
    };
    if !input.can_load {
        return StartMode::Cold(ColdReason::AgentCannotLoad);
    }
    if input.started_fingerprint != Some(input.current_fingerprint) {
        return StartMode::Cold(ColdReason::IdentityChanged);
    }
    if input
        .agent_session_age
        .is_some_and(|age| age >= input.max_age)
    {
        return StartMode::Cold(ColdReason::TooOld);
    }
    if input.agent_session_turns >= input.max_turns {
        return StartMode::Cold(ColdReason::TooManyTurns);
    }
    StartMode::Warm
}

/// A stable fingerprint of who the assistant is and where it works:
/// FNV-1a over the persona, the joined constitution and `works_as` (its
/// agent and workspace: another agent cannot resume this one's session),
/// as hex. Not a security boundary; it only has to change when one does.
pub fn fingerprint(persona: &str, constitution: &str, works_as: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in persona
        .as_bytes()
        .iter()
        .chain(&[0u8])
        .chain(constitution.as_bytes())
        .chain(&[0u8])
        .chain(works_as.as_bytes())
    {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// What a cold start tells the agent before the wake's own message.
#[derive(Debug, Clone, Default)]
pub struct ContextParts<'a> {
    pub assistant_name: &'a str,
    pub persona: &'a str,
    /// Organisation-wide rules first, then the assistant's own.
    pub constitution: &'a str,
    pub memory: &'a str,
    /// Newest last: `(date, text)`.
    pub journal: &'a [(String, String)],
    /// Newest last: `(who, text)`.
    pub recent_chat: &'a [(String, String)],
    pub why: &'a str,
}

/// Per-section budgets in characters, so the block stays bounded.
pub const PERSONA_BUDGET: usize = 4_000;
pub const CONSTITUTION_BUDGET: usize = 8_000;
pub const MEMORY_BUDGET: usize = 8_000;
pub const JOURNAL_BUDGET: usize = 4_000;
pub const CHAT_BUDGET: usize = 4_000;

/// Builds the context block. Persona and constitution are cut at the end
/// (their openings matter most), memory too; journal and chat keep their
/// newest entries and drop the oldest. Every cut is said in the block.
pub fn context_block(parts: &ContextParts<'_>) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Context for {}\n\nYou are starting without memory of earlier sessions; this is what you need to know.\n",
        parts.assistant_name
    ));
    section(&mut out, "Persona", parts.persona, PERSONA_BUDGET);
    section(
        &mut out,
        "Constitution (rules you always follow)",
        parts.constitution,
        CONSTITUTION_BUDGET,
    );
    section(&mut out, "Memory", parts.memory, MEMORY_BUDGET);
    newest(
        &mut out,
        "Recent journal",
        parts
            .journal
            .iter()
            .map(|(date, text)| format!("- {date}: {text}")),
        JOURNAL_BUDGET,
        "journal entries",
    );
    newest(
        &mut out,
        "Recent chat",
        parts
            .recent_chat
            .iter()
            .map(|(who, text)| format!("- {who}: {text}")),
        CHAT_BUDGET,
        "messages",
    );
    out.push_str(&format!("\n## Why you woke\n\n{}\n", parts.why.trim()));
    out
}

fn section(out: &mut String, title: &str, text: &str, budget: usize) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    out.push_str(&format!("\n## {title}\n\n"));
    let total = text.chars().count();
    if total <= budget {
        out.push_str(text);
    } else {
        let kept: String = text.chars().take(budget).collect();
        out.push_str(&kept);
        out.push_str(&format!(
            "\n\n[cut: the last {} of {total} characters are left out]",
            total - budget
        ));
    }
    out.push('\n');
}

fn newest(
    out: &mut String,
    title: &str,
    lines: impl DoubleEndedIterator<Item = String> + ExactSizeIterator,
    budget: usize,
    what: &str,
) {
    let total = lines.len();
    if total == 0 {
        return;
    }
    let mut kept: Vec<String> = Vec::new();
    let mut used = 0;
    for line in lines.rev() {
        let len = line.chars().count() + 1;
        if used + len > budget && !kept.is_empty() {
            break;
        }
        used += len;
        kept.push(line);
    }
    kept.reverse();
    out.push_str(&format!("\n## {title}\n\n"));
    if kept.len() < total {
        out.push_str(&format!(
            "[cut: the {} oldest {what} are left out]\n",
            total - kept.len()
        ));
    }
    for line in kept {
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(fingerprint: &'a str) -> ContinuityInput<'a> {
        ContinuityInput {
            can_load: true,
            agent_session_id: Some("a1"),
            started_fingerprint: Some("f1"),
            current_fingerprint: fingerprint,
            agent_session_age: Some(Duration::from_secs(60)),
            agent_session_turns: 3,
            max_age: Duration::from_secs(3600),
            max_turns: 50,
        }
    }

    #[test]
    fn warm_only_when_everything_allows_it() {
        assert_eq!(decide(&input("f1")), StartMode::Warm);
        assert_eq!(
            decide(&input("f2")),
            StartMode::Cold(ColdReason::IdentityChanged)
        );
        let mut no_load = input("f1");
        no_load.can_load = false;
        assert_eq!(
            decide(&no_load),
            StartMode::Cold(ColdReason::AgentCannotLoad)
        );
        let mut first = input("f1");
        first.agent_session_id = None;
        assert_eq!(decide(&first), StartMode::Cold(ColdReason::FirstRun));
        let mut old = input("f1");
        old.agent_session_age = Some(Duration::from_secs(3600));
        assert_eq!(decide(&old), StartMode::Cold(ColdReason::TooOld));
        let mut busy = input("f1");
        busy.agent_session_turns = 50;
        assert_eq!(decide(&busy), StartMode::Cold(ColdReason::TooManyTurns));
    }

    #[test]
    fn fingerprint_changes_with_persona_or_constitution() {
        let base = fingerprint("helpful", "be kind", "claude /w");
        assert_eq!(base, fingerprint("helpful", "be kind", "claude /w"));
        assert_ne!(base, fingerprint("helpful!", "be kind", "claude /w"));
        assert_ne!(base, fingerprint("helpful", "be kinder", "claude /w"));
        assert_ne!(base, fingerprint("helpful", "be kind", "codex /w"));
        // The separator keeps the two texts apart.
        assert_ne!(fingerprint("ab", "c", ""), fingerprint("a", "bc", ""));
    }

    #[test]
    fn the_block_carries_every_part_and_says_what_it_cut() {
        let journal: Vec<(String, String)> = (1..=500)
            .map(|i| (format!("2026-01-{i:03}"), format!("entry {i}")))
            .collect();
        let memory = "m".repeat(MEMORY_BUDGET + 10);
        let block = context_block(&ContextParts {
            assistant_name: "Ada",
            persona: "A careful Rust engineer.",
            constitution: "Never push to main.",
            memory: &memory,
            journal: &journal,
            recent_chat: &[("Sam".into(), "Please fix CI".into())],
            why: "Sam wrote in chat: fix CI",
        });
        for needle in [
            "# Context for Ada",
            "A careful Rust engineer.",
            "Never push to main.",
            "## Memory",
            "[cut: the last 10 of",
            "entry 500",
            "oldest journal entries are left out",
            "- Sam: Please fix CI",
            "## Why you woke\n\nSam wrote in chat: fix CI",
        ] {
            assert!(block.contains(needle), "{needle} missing");
        }
        assert!(!block.contains("entry 1\n"), "the oldest entries go first");
        assert!(
            block.chars().count()
                < PERSONA_BUDGET
                    + CONSTITUTION_BUDGET
                    + MEMORY_BUDGET
                    + JOURNAL_BUDGET
                    + CHAT_BUDGET
                    + 1_000
        );
    }

    #[test]
    fn empty_sections_are_left_out() {
        let block = context_block(&ContextParts {
            assistant_name: "A",
            why: "a task",
            ..Default::default()
        });
        assert!(!block.contains("## Persona"));
        assert!(!block.contains("## Recent journal"));
        assert!(block.ends_with("## Why you woke\n\na task\n"));
    }
}
