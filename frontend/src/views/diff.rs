//! An edit drawn as its changed lines (see `tandem_shared::line_diff`).

use leptos::prelude::*;
use tandem_shared::line_diff::{lines_of, LineTag};

/// The file's path, then its changed lines; a count of lines added and
/// removed sits beside the path.
#[component]
pub fn DiffView(path: String, old_text: Option<String>, new_text: String) -> impl IntoView {
    let lines = lines_of(old_text.as_deref(), &new_text);
    let added = lines.iter().filter(|l| l.tag == LineTag::Added).count();
    let removed = lines.iter().filter(|l| l.tag == LineTag::Removed).count();
    let what = if old_text.is_none() { "new file" } else { "" };
    let number = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    view! {
        <div class="diff" data-testid="diff">
            <div class="diff-path">
                <span>{path}</span>
                <span class="diff-counts">
                    {what} " "
                    <span class="diff-added-count">{format!("+{added}")}</span> " "
                    <span class="diff-removed-count">{format!("−{removed}")}</span>
                </span>
            </div>
            <div class="diff-lines">
                {lines.into_iter().map(|line| {
                    let (class, mark) = match line.tag {
                        LineTag::Kept => ("diff-line kept", " "),
                        LineTag::Removed => ("diff-line removed", "−"),
                        LineTag::Added => ("diff-line added", "+"),
                        LineTag::Gap => ("diff-line gap", "⋯"),
                    };
                    view! {
                        <div class=class data-testid="diff-line">
                            <span class="diff-no">{number(line.old_no)}</span>
                            <span class="diff-no">{number(line.new_no)}</span>
                            <span class="diff-mark">{mark}</span>
                            <span class="diff-text">{line.text}</span>
                        </div>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}
