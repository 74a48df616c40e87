//! A session's Changes tab: its branch against the base (or, without git,
//! the edits its tool calls made), every file with its counts, then the
//! hunks — unified, or side by side on wide screens. People select lines
//! to comment on, send the comments as one review, and land the change.
//! The server works the diff out; this only draws it, and reads it again
//! as the agent works.

use crate::endpoints::sessions;
use crate::state::AppState;
use leptos::prelude::*;
use tandem_shared::changes::{
    side_by_side, stat_words, Changes, FileChange, FileDiff, FileStatus, HunkLine, Land, LineKind,
    MergeHow, ReviewComment, SendReview, Side, WorktreeState,
};
use tandem_shared::SessionId;

/// Screens at least this wide show old and new side by side at first.
const SIDE_BY_SIDE_FROM: f64 = 1100.0;
/// While the agent works, the diff is read again at most this often.
const REFRESH_MS: u32 = 1_200;

/// Lines picked for a comment: one file, one side, a range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Picked {
    path: String,
    side: Side,
    start: u32,
    end: u32,
}

impl Picked {
    fn holds(&self, path: &str, side: Side, line: u32) -> bool {
        self.path == path && self.side == side && (self.start..=self.end).contains(&line)
    }
}

#[component]
pub fn ChangesView(id: SessionId) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = StoredValue::new(id);
    let changes = RwSignal::new(None::<Changes>);
    let diffs = RwSignal::new(Vec::<FileDiff>::new());
    let next = RwSignal::new(None::<u32>);
    let failure = RwSignal::new(None::<String>);
    let wide = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w >= SIDE_BY_SIDE_FROM);
    let split = RwSignal::new(wide);
    let picked = RwSignal::new(None::<Picked>);
    let draft = RwSignal::new(String::new());
    let pending = RwSignal::new(Vec::<ReviewComment>::new());
    let outcome = RwSignal::new(None::<String>);
    let how = RwSignal::new(MergeHow::Auto);
    let busy = RwSignal::new(false);

    let load = move |from: u32, append: bool| {
        leptos::task::spawn_local(async move {
            match sessions::changes(&id.get_value(), from).await {
                Ok(page) => {
                    failure.set(None);
                    if append {
                        diffs.update(|all| all.extend(page.diffs.clone()));
                    } else {
                        diffs.set(page.diffs.clone());
                    }
                    next.set(page.next_file);
                    changes.set(Some(page));
                }
                Err(message) => failure.set(Some(message)),
            }
        });
    };
    load(0, false);

    // As the agent works, read the diff again (at most every REFRESH_MS).
    let live = Memo::new(move |_| {
        state
            .follow
            .transcript
            .with(|t| t.status.is_some_and(|s| s.is_live()))
    });
    let waiting = StoredValue::new(false);
    Effect::new(move |seen: Option<u64>| {
        let seq = state.follow.transcript.with(|t| t.last_seq.0);
        if seen.is_some_and(|seen| seen != seq) && !waiting.get_value() {
            waiting.set_value(true);
            gloo_timers::callback::Timeout::new(REFRESH_MS, move || {
                waiting.set_value(false);
                load(0, false);
            })
            .forget();
        }
        seq
    });

    let pick = move |path: String, side: Side, line: u32, extend: bool| {
        picked.update(|now| {
            *now = match now.take() {
                Some(p) if extend && p.path == path && p.side == side => Some(Picked {
                    start: p.start.min(line),
                    end: p.end.max(line),
                    ..p
                }),
                _ => Some(Picked {
                    path,
                    side,
                    start: line,
                    end: line,
                }),
            };
        });
    };
    let add_comment = move || {
        let text = draft.get_untracked();
        let Some(p) = picked.get_untracked() else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        pending.update(|all| {
            all.push(ReviewComment {
                path: p.path,
                side: p.side,
                start_line: p.start,
                end_line: p.end,
                text,
            })
        });
        draft.set(String::new());
        picked.set(None);
    };
    let send_review = move |interrupt: bool| {
        let body = SendReview {
            comments: pending.get_untracked(),
            interrupt,
        };
        if body.comments.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match sessions::review(&id.get_value(), &body).await {
                Ok(_) => {
                    pending.set(Vec::new());
                    outcome.set(Some("Review sent: it is the agent's next message.".into()));
                }
                Err(message) => state.error.set(Some(message)),
            }
        });
    };
    let land = move |action: Land| {
        if action == Land::Discard
            && !web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message("Discard this session's branch and worktree?")
                        .ok()
                })
                .unwrap_or(false)
        {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match sessions::land(&id.get_value(), &action).await {
                Ok(landed) => {
                    let said = match landed.url {
                        Some(url) => format!("{} — {url}", landed.outcome),
                        None => landed.outcome,
                    };
                    outcome.set(Some(format!("Done: {said}.")));
                    load(0, false);
                }
                Err(message) => state.error.set(Some(message)),
            }
            busy.set(false);
        });
    };

    let header = move || {
        changes.get().map(|c| {
            let stat = stat_words(c.files.len(), c.added, c.removed);
            let (where_, state_label) = match &c.worktree {
                Some(w) => (
                    format!("{} → {}", w.branch, w.base_branch),
                    Some(match w.state {
                        WorktreeState::Active => "not merged yet".to_owned(),
                        other => w.outcome.clone().unwrap_or_else(|| other.as_str().to_owned()),
                    }),
                ),
                None => (
                    "Edits made by its tool calls (the workspace has no git)".to_owned(),
                    None,
                ),
            };
            let proposed = c.worktree.as_ref().and_then(|w| w.proposed_at).is_some();
            view! {
                <div class="changes-head">
                    <div class="changes-branch" data-testid="changes-branch">{where_}</div>
                    <div class="changes-stat" data-testid="changes-stat">{stat}
                        {state_label.map(|label| view! { <span class="status-badge">{label}</span> })}
                        {proposed.then(|| view! { <span class="status-badge proposed" data-testid="changes-proposed">"merge proposed"</span> })}
                    </div>
                    {c.unavailable.clone().map(|why| view! { <p class="muted" role="status">{why}</p> })}
                </div>
            }
        })
    };

    let land_bar = move || {
        let c = changes.get()?;
        let worktree = c.worktree.clone()?;
        if worktree.state.is_landed() {
            return None;
        }
        let tools = c.tools.clone();
        Some(view! {
            <div class="land-bar" data-testid="land-bar">
                <Show when=move || live.get()>
                    <span class="muted">"Landing waits until the session's turn ends."</span>
                </Show>
                <label class="field inline"><span class="visually-hidden">"How to merge"</span>
                    <select data-testid="merge-how" on:change=move |ev| how.set(match event_target_value(&ev).as_str() {
                        "fast_forward" => MergeHow::FastForward,
                        "merge_commit" => MergeHow::MergeCommit,
                        _ => MergeHow::Auto,
                    })>
                        <option value="auto">"Fast-forward if possible"</option>
                        <option value="fast_forward">"Fast-forward only"</option>
                        <option value="merge_commit">"Merge commit"</option>
                    </select>
                </label>
                <button class="button primary" data-testid="merge" disabled=move || live.get() || busy.get()
                    on:click=move |_| land(Land::Merge { how: how.get_untracked() })>
                    {format!("Merge into {}", worktree.base_branch)}</button>
                <button class="button" data-testid="keep" disabled=move || live.get() || busy.get()
                    title="Keep the branch for later; the worktree is removed"
                    on:click=move |_| land(Land::Keep)>"Keep branch"</button>
                <button class="button danger" data-testid="discard" disabled=move || live.get() || busy.get()
                    on:click=move |_| land(Land::Discard)>"Discard"</button>
                {match tools.remote.clone() {
                    Some(remote) => view! {
                        <button class="button" data-testid="push" disabled=move || live.get() || busy.get()
                            on:click=move |_| land(Land::Push)>{format!("Push branch to {remote}")}</button>
                    }.into_any(),
                    None => view! { <span class="muted" data-testid="push-absent">"No remote to push to"</span> }.into_any(),
                }}
                {if tools.pull_requests {
                    view! {
                        <button class="button" data-testid="pull-request" disabled=move || live.get() || busy.get()
                            on:click=move |_| land(Land::PullRequest)>"Open pull request"</button>
                    }.into_any()
                } else {
                    let why = tools.pull_requests_absent.clone().unwrap_or_default();
                    let shown = why.clone();
                    view! { <span class="muted" data-testid="pull-request-absent" title=why>"Pull requests: " {shown}</span> }.into_any()
                }}
            </div>
        })
    };

    view! {
        <section class="changes" data-testid="changes">
            {header}
            {land_bar}
            {move || outcome.get().map(|said| view! { <p class="notice-line" role="status" data-testid="changes-outcome">{said}</p> })}
            {move || failure.get().map(|why| view! { <p class="banner banner-error" role="alert">{why}</p> })}
            <div class="changes-tools">
                <div class="segmented" role="group" aria-label="Diff layout">
                    <button class="button small" aria-pressed=move || (!split.get()).to_string() data-testid="unified"
                        on:click=move |_| split.set(false)>"Unified"</button>
                    <button class="button small" aria-pressed=move || split.get().to_string() data-testid="side-by-side"
                        on:click=move |_| split.set(true)>"Side by side"</button>
                </div>
                <span class="muted">"Click a line number to comment; Shift+click to take in more lines."</span>
            </div>
            <FileList changes=changes />
            {move || {
                let files = changes.with(|c| c.as_ref().map(|c| c.files.clone()).unwrap_or_default());
                diffs.get().into_iter().map(|diff| {
                    let file = files.iter().find(|f| f.path == diff.path).cloned();
                    view! { <FileView diff=diff file=file split=split picked=picked pick=pick
                        draft=draft add_comment=Callback::new(move |()| add_comment()) /> }
                }).collect_view()
            }}
            {move || next.get().map(|from| view! {
                <button class="button" data-testid="more-files" on:click=move |_| load(from, true)>"Show more files"</button>
            })}
            {move || changes.with(|c| c.as_ref().is_some_and(|c| c.files.is_empty() && c.unavailable.is_none())).then(|| view! {
                <p class="muted" data-testid="no-changes">"No changes yet."</p>
            })}
            <Show when=move || !pending.with(Vec::is_empty)>
                <div class="review-bar" data-testid="review-bar">
                    <ul class="plain-list">
                        {move || pending.get().into_iter().enumerate().map(|(at, c)| {
                            let lines = if c.start_line == c.end_line { format!("line {}", c.start_line) } else { format!("lines {}–{}", c.start_line, c.end_line) };
                            view! {
                                <li class="row" data-testid="pending-comment">
                                    <span class="mono">{c.path.clone()} " " {lines}</span>
                                    <span class="pending-text">{c.text.clone()}</span>
                                    <button class="link" on:click=move |_| pending.update(|all| { all.remove(at); })>"Remove"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <button class="button primary" data-testid="send-review" on:click=move |_| send_review(false)>
                        {move || format!("Send review ({})", pending.with(Vec::len))}</button>
                    <Show when=move || live.get()>
                        <button class="button" data-testid="send-review-now" title="Cancel the agent's turn and send the review now"
                            on:click=move |_| send_review(true)>"Interrupt and send"</button>
                    </Show>
                </div>
            </Show>
        </section>
    }
}

/// Every file with its counts; each names the section its hunks are in.
#[component]
fn FileList(changes: RwSignal<Option<Changes>>) -> impl IntoView {
    view! {
        <ul class="change-files" data-testid="change-files">
            {move || changes.with(|c| c.as_ref().map(|c| c.files.clone()).unwrap_or_default())
                .into_iter().map(|file| {
                    let status = match file.status {
                        FileStatus::Added => "added",
                        FileStatus::Modified => "modified",
                        FileStatus::Deleted => "deleted",
                        FileStatus::Renamed => "renamed",
                    };
                    view! {
                        <li class="change-file-row" data-testid="change-file">
                            <span class=format!("file-status {status}")>{status}</span>
                            <span class="mono">{file.path.clone()}</span>
                            {file.binary.then(|| view! { <span class="muted">"binary"</span> })}
                            <span class="diff-counts">
                                <span class="diff-added-count">{format!("+{}", file.added)}</span> " "
                                <span class="diff-removed-count">{format!("−{}", file.removed)}</span>
                            </span>
                        </li>
                    }
                }).collect_view()}
        </ul>
    }
}

/// One file's hunks, and the comment box under them while lines of it are
/// picked.
#[component]
fn FileView(
    diff: FileDiff,
    file: Option<FileChange>,
    split: RwSignal<bool>,
    picked: RwSignal<Option<Picked>>,
    pick: impl Fn(String, Side, u32, bool) + Copy + Send + Sync + 'static,
    draft: RwSignal<String>,
    add_comment: Callback<()>,
) -> impl IntoView {
    let path = StoredValue::new(diff.path.clone());
    let title = match file.as_ref().and_then(|f| f.old_path.clone()) {
        Some(old) => format!("{old} → {}", diff.path),
        None => diff.path.clone(),
    };
    let binary = file.as_ref().is_some_and(|f| f.binary);
    let counts = file
        .as_ref()
        .map(|f| (f.added, f.removed))
        .unwrap_or_default();
    let hunks = StoredValue::new(diff.hunks.clone());
    let truncated = diff.truncated;
    let from_tool = diff.tool_call_id.clone();
    let number = move |line: &HunkLine, side: Side| {
        let n = match side {
            Side::New => line.new.filter(|_| line.kind != LineKind::Removed),
            Side::Old => line.old.filter(|_| line.kind != LineKind::Added),
        };
        let Some(n) = n else {
            return view! { <span class="diff-no"></span> }.into_any();
        };
        let chosen = move || {
            picked.with(|p| {
                p.as_ref()
                    .is_some_and(|p| path.with_value(|path| p.holds(path, side, n)))
            })
        };
        view! {
            <button class="diff-no pickable" class:chosen=chosen data-testid="line-number"
                aria-label=format!("Comment on line {n}")
                on:click=move |ev: web_sys::MouseEvent| pick(path.get_value(), side, n, ev.shift_key())>{n}</button>
        }
        .into_any()
    };
    let class_of = |kind: LineKind| match kind {
        LineKind::Added => "diff-line added",
        LineKind::Removed => "diff-line removed",
        LineKind::Context => "diff-line kept",
    };
    let mark_of = |kind: LineKind| match kind {
        LineKind::Added => "+",
        LineKind::Removed => "−",
        LineKind::Context => " ",
    };
    let unified = move || {
        hunks.with_value(|hunks| {
            hunks
                .iter()
                .map(|hunk| {
                    let head = format!(
                        "@@ −{},{} +{},{} @@ {}",
                        hunk.old_start,
                        hunk.old_lines,
                        hunk.new_start,
                        hunk.new_lines,
                        hunk.section
                    );
                    view! {
                        <div class="hunk-head">{head}</div>
                        {hunk.lines.iter().map(|line| view! {
                            <div class=class_of(line.kind) data-testid="hunk-line">
                                {number(line, Side::Old)}
                                {number(line, Side::New)}
                                <span class="diff-mark">{mark_of(line.kind)}</span>
                                <span class="diff-text">{line.text.clone()}</span>
                            </div>
                        }).collect_view()}
                    }
                })
                .collect_view()
        })
    };
    let side_by_side_view = move || {
        hunks.with_value(|hunks| {
            hunks.iter().map(|hunk| {
                let head = format!("@@ −{},{} +{},{} @@ {}", hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines, hunk.section);
                let half = move |line: Option<&HunkLine>, side: Side| match line {
                    Some(line) => view! {
                        <div class=format!("diff-half {}", class_of(line.kind))>
                            {number(line, side)}
                            <span class="diff-text">{line.text.clone()}</span>
                        </div>
                    }.into_any(),
                    None => view! { <div class="diff-half empty"></div> }.into_any(),
                };
                view! {
                    <div class="hunk-head">{head}</div>
                    {side_by_side(hunk).into_iter().map(|(old, new)| view! {
                        <div class="diff-row" data-testid="hunk-row">{half(old, Side::Old)}{half(new, Side::New)}</div>
                    }).collect_view()}
                }
            }).collect_view()
        })
    };
    let commenting = move || {
        picked.with(|p| {
            p.as_ref()
                .is_some_and(|p| path.with_value(|path| &p.path == path))
        })
    };
    view! {
        <section class="diff change-file" data-testid="file-diff">
            <div class="diff-path">
                <span>{title}</span>
                <span class="diff-counts">
                    {from_tool.map(|id| format!("tool call {id} "))}
                    <span class="diff-added-count">{format!("+{}", counts.0)}</span> " "
                    <span class="diff-removed-count">{format!("−{}", counts.1)}</span>
                </span>
            </div>
            {if binary {
                view! { <p class="muted diff-note">"Binary file: not shown."</p> }.into_any()
            } else {
                view! {
                    <div class="diff-lines" class:split=move || split.get()>
                        {move || if split.get() { side_by_side_view().into_any() } else { unified().into_any() }}
                    </div>
                }.into_any()
            }}
            {truncated.then(|| view! { <p class="muted diff-note">"This file's diff is too long to show whole."</p> })}
            <Show when=commenting>
                <div class="comment-box" data-testid="comment-box">
                    <label class="field">
                        <span>{move || picked.get().map(|p| if p.start == p.end {
                            format!("Comment on line {}", p.start)
                        } else {
                            format!("Comment on lines {}–{}", p.start, p.end)
                        })}</span>
                        <textarea data-testid="comment-text" prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
                    </label>
                    <div class="row">
                        <button class="button primary small" data-testid="add-comment" on:click=move |_| add_comment.run(())>"Add comment"</button>
                        <button class="button small" on:click=move |_| picked.set(None)>"Cancel"</button>
                    </div>
                </div>
            </Show>
        </section>
    }
}
