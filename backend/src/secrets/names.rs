//! Which names a secret may have: environment variable names, except those
//! that would change how the agent's programs load or where Tandem's own
//! settings come from.

/// Names that change what runs rather than what it knows.
pub const REFUSED: [&str; 4] = ["PATH", "NODE_OPTIONS", "HOME", "SHELL"];
pub const REFUSED_PREFIXES: [&str; 3] = ["LD_", "DYLD_", "TANDEM_"];
/// Longest name and value taken (in characters, as the API document
/// counts).
pub const MAX_NAME: usize = 64;
pub const MAX_VALUE: usize = 8 * 1024;

/// Why `name` cannot be a secret's name, if it cannot.
pub fn refusal(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let well_formed = name.len() <= MAX_NAME
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Some(format!(
            "a secret's name is an environment variable name: capital letters, digits and _, \
             not starting with a digit, at most {MAX_NAME} characters"
        ));
    }
    if REFUSED.contains(&name) || REFUSED_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Some(format!(
            "{name} changes which programs the agent runs, not what it knows: it cannot be a secret"
        ));
    }
    None
}

/// Why `value` cannot be a secret's value, if it cannot.
pub fn value_refusal(value: &str) -> Option<String> {
    if value.is_empty() || value.chars().count() > MAX_VALUE || value.contains('\0') {
        return Some(format!(
            "a secret's value: 1 to {MAX_VALUE} characters, no NUL"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_environment_variables_that_do_not_change_what_runs() {
        for good in [
            "ANTHROPIC_API_KEY",
            "OPENAI_BASE_URL",
            "_X",
            "GEMINI_API_KEY2",
        ] {
            assert_eq!(refusal(good), None, "{good}");
        }
        for bad in ["", "lower", "9LIVES", "A-B", "A B", &"A".repeat(65)] {
            assert!(
                refusal(bad).is_some_and(|r| r.contains("environment variable")),
                "{bad}"
            );
        }
        for risky in [
            "PATH",
            "LD_PRELOAD",
            "DYLD_INSERT_LIBRARIES",
            "NODE_OPTIONS",
            "TANDEM_DATA_DIR",
        ] {
            assert!(
                refusal(risky).is_some_and(|r| r.contains("cannot be a secret")),
                "{risky}"
            );
        }
        assert!(value_refusal("").is_some());
        assert!(value_refusal("a\0b").is_some());
        assert!(value_refusal(&"x".repeat(MAX_VALUE + 1)).is_some());
        assert_eq!(value_refusal("sk-123"), None);
    }
}
