//! Session titles from the wake's first message.

const TARGET: usize = 60;

/// The first line of the message, cut at a word boundary near 60
/// characters, with an ellipsis when cut.
pub fn title_from_message(message: &str) -> String {
    let first_line = message
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("");
    let chars: Vec<char> = first_line.chars().collect();
    if chars.is_empty() {
        return "Untitled session".to_owned();
    }
    if chars.len() <= TARGET {
        return first_line.to_owned();
    }
    // The last space at or before the target, unless that cuts too much.
    let cut = chars[..=TARGET]
        .iter()
        .rposition(|c| c.is_whitespace())
        .filter(|&at| at >= TARGET / 2)
        .unwrap_or(TARGET);
    let head: String = chars[..cut].iter().collect();
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_messages_are_kept() {
        assert_eq!(
            title_from_message("echo hello > hello.txt"),
            "echo hello > hello.txt"
        );
        assert_eq!(
            title_from_message("\n\n  second line first\nmore"),
            "second line first"
        );
        assert_eq!(title_from_message("   "), "Untitled session");
    }

    #[test]
    fn long_messages_are_cut_at_a_word() {
        let title = title_from_message(
            "Refactor the session actor so that approvals survive restarts and nothing is lost",
        );
        assert_eq!(
            title,
            "Refactor the session actor so that approvals survive…"
        );
        assert!(title.chars().count() <= TARGET + 1);
    }

    #[test]
    fn a_long_word_is_cut_anyway() {
        let title = title_from_message(&"x".repeat(200));
        assert_eq!(title.chars().count(), TARGET + 1);
    }
}
