//! Reading what `git diff` prints: the files with their counts
//! (`--numstat -z`, `--name-status -z`) and the hunks of a unified patch.
//! Plain code over text, so tests drive it without a repository.

use std::collections::HashMap;
use tandem_shared::changes::{FileChange, FileDiff, FileStatus, Hunk, HunkLine, LineKind};

/// The files of `--name-status -z` joined with their counts from
/// `--numstat -z` (both run with the same rename detection).
pub fn files(name_status: &str, numstat: &str) -> Vec<FileChange> {
    let counts = numstat_counts(numstat);
    let mut fields = name_status.split('\0').filter(|f| !f.is_empty());
    let mut files = Vec::new();
    while let Some(code) = fields.next() {
        let (status, old_path, path) = match code.chars().next() {
            Some('R') | Some('C') => {
                let (Some(old), Some(new)) = (fields.next(), fields.next()) else {
                    break;
                };
                let status = if code.starts_with('R') {
                    FileStatus::Renamed
                } else {
                    FileStatus::Added
                };
                (status, Some(old.to_owned()), new.to_owned())
            }
            Some(letter) => {
                let Some(path) = fields.next() else { break };
                let status = match letter {
                    'A' => FileStatus::Added,
                    'D' => FileStatus::Deleted,
                    _ => FileStatus::Modified,
                };
                (status, None, path.to_owned())
            }
            None => break,
        };
        let (added, removed, binary) = counts.get(&path).copied().unwrap_or((0, 0, false));
        files.push(FileChange {
            path,
            old_path,
            status,
            added,
            removed,
            binary,
        });
    }
    files
}

/// `added removed path` per file; binary files say `-` for both counts.
fn numstat_counts(numstat: &str) -> HashMap<String, (u32, u32, bool)> {
    let mut counts = HashMap::new();
    let mut fields = numstat.split('\0');
    while let Some(record) = fields.next() {
        let mut parts = record.splitn(3, '\t');
        let (Some(added), Some(removed), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        // A rename: the path is empty and the old and new paths follow.
        let path = if path.is_empty() {
            let _old = fields.next();
            match fields.next() {
                Some(new) => new.to_owned(),
                None => break,
            }
        } else {
            path.to_owned()
        };
        let binary = added == "-" && removed == "-";
        counts.insert(
            path,
            (
                added.parse().unwrap_or(0),
                removed.parse().unwrap_or(0),
                binary,
            ),
        );
    }
    counts
}

/// The hunks of a unified patch, per file (keyed by the new path, or the
/// old one for a deleted file), each cut at `max_lines` lines.
pub fn hunks(patch: &str, max_lines: usize) -> HashMap<String, FileDiff> {
    let mut files: HashMap<String, FileDiff> = HashMap::new();
    let mut current: Option<FileDiff> = None;
    let mut old_path: Option<String> = None;
    let mut numbers = (0u32, 0u32);
    let mut in_hunk = false;
    let mut lines_in_file = 0usize;
    for line in patch.split('\n') {
        if line.starts_with("diff --git ") {
            finish(current.take(), &mut files);
            old_path = None;
            in_hunk = false;
            lines_in_file = 0;
            continue;
        }
        if !in_hunk || current.is_none() {
            if let Some(old) = line.strip_prefix("--- ") {
                old_path = side_path(old, "a/");
                continue;
            }
            if let Some(new) = line.strip_prefix("+++ ") {
                let path = side_path(new, "b/").or_else(|| old_path.clone());
                current = path.map(|path| FileDiff {
                    path,
                    hunks: Vec::new(),
                    truncated: false,
                    tool_call_id: None,
                });
                continue;
            }
        }
        let Some(file) = current.as_mut() else {
            continue;
        };
        if let Some(header) = line.strip_prefix("@@ ") {
            if let Some(hunk) = hunk_header(header) {
                numbers = (hunk.old_start, hunk.new_start);
                in_hunk = true;
                if lines_in_file < max_lines {
                    file.hunks.push(hunk);
                }
                continue;
            }
        }
        if !in_hunk {
            continue;
        }
        let (kind, text) = match line.chars().next() {
            Some('+') => (LineKind::Added, &line[1..]),
            Some('-') => (LineKind::Removed, &line[1..]),
            Some(' ') => (LineKind::Context, &line[1..]),
            // "\ No newline at end of file", or the patch's last newline.
            _ => continue,
        };
        let (old, new) = match kind {
            LineKind::Added => {
                numbers.1 += 1;
                (None, Some(numbers.1 - 1))
            }
            LineKind::Removed => {
                numbers.0 += 1;
                (Some(numbers.0 - 1), None)
            }
            LineKind::Context => {
                numbers.0 += 1;
                numbers.1 += 1;
                (Some(numbers.0 - 1), Some(numbers.1 - 1))
            }
        };
        if lines_in_file >= max_lines {
            file.truncated = true;
            continue;
        }
        lines_in_file += 1;
        if let Some(hunk) = file.hunks.last_mut() {
            hunk.lines.push(HunkLine {
                kind,
                old,
                new,
                text: text.trim_end_matches('\r').to_owned(),
            });
        }
    }
    finish(current.take(), &mut files);
    files
}

fn finish(file: Option<FileDiff>, files: &mut HashMap<String, FileDiff>) {
    if let Some(file) = file {
        files.insert(file.path.clone(), file);
    }
}

/// `a/path` or `b/path` (quoted when git had to), or none for /dev/null.
fn side_path(field: &str, prefix: &str) -> Option<String> {
    let field = field.trim_end_matches('\t');
    if field == "/dev/null" {
        return None;
    }
    let unquoted = if field.starts_with('"') {
        unquote(field)?
    } else {
        field.to_owned()
    };
    unquoted.strip_prefix(prefix).map(str::to_owned)
}

/// A C-style quoted name as git writes one: escapes and octal bytes.
fn unquote(field: &str) -> Option<String> {
    let inner = field.strip_prefix('"')?.strip_suffix('"')?;
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(byte) = chars.next() {
        if byte != b'\\' {
            bytes.push(byte);
            continue;
        }
        match chars.next()? {
            b'n' => bytes.push(b'\n'),
            b't' => bytes.push(b'\t'),
            b'r' => bytes.push(b'\r'),
            b'a' => bytes.push(7),
            b'b' => bytes.push(8),
            b'f' => bytes.push(12),
            b'v' => bytes.push(11),
            digit @ b'0'..=b'7' => {
                let mut value = u32::from(digit - b'0');
                for _ in 0..2 {
                    match chars.peek() {
                        Some(next @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(next - b'0');
                            chars.next();
                        }
                        _ => break,
                    }
                }
                bytes.push(u8::try_from(value).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

/// `-12,3 +14,5 @@ fn name` into a hunk with no lines yet.
fn hunk_header(header: &str) -> Option<Hunk> {
    let (ranges, section) = header.split_once(" @@").unwrap_or((header, ""));
    let mut parts = ranges.split(' ');
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    let range = |text: &str| -> Option<(u32, u32)> {
        match text.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((text.parse().ok()?, 1)),
        }
    };
    let (old_start, old_lines) = range(old)?;
    let (new_start, new_lines) = range(new)?;
    Some(Hunk {
        old_start,
        old_lines,
        new_start,
        new_lines,
        section: section.trim().to_owned(),
        lines: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -1,4 +1,5 @@ fn main() {
 one
-two
+TWO
+two and a half
 three
 four
@@ -10,2 +11,2 @@
 ten
-eleven
+ELEVEN
\\ No newline at end of file
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/logo.png b/logo.png
Binary files a/logo.png and b/logo.png differ
diff --git \"a/with \\\"quote\\\" \\303\\251.txt\" \"b/with \\\"quote\\\" \\303\\251.txt\"
--- \"a/with \\\"quote\\\" \\303\\251.txt\"
+++ \"b/with \\\"quote\\\" \\303\\251.txt\"
@@ -0,0 +1 @@
+hello
";

    #[test]
    fn hunks_are_numbered_as_in_the_files() {
        let files = hunks(PATCH, 1000);
        let lib = &files["src/lib.rs"];
        assert_eq!(lib.hunks.len(), 2);
        let first = &lib.hunks[0];
        assert_eq!((first.old_start, first.new_start), (1, 1));
        assert_eq!(first.section, "fn main() {");
        let kinds: Vec<(LineKind, Option<u32>, Option<u32>)> =
            first.lines.iter().map(|l| (l.kind, l.old, l.new)).collect();
        assert_eq!(
            kinds,
            vec![
                (LineKind::Context, Some(1), Some(1)),
                (LineKind::Removed, Some(2), None),
                (LineKind::Added, None, Some(2)),
                (LineKind::Added, None, Some(3)),
                (LineKind::Context, Some(3), Some(4)),
                (LineKind::Context, Some(4), Some(5)),
            ]
        );
        let second = &lib.hunks[1];
        assert_eq!(second.lines[2].text, "ELEVEN");
        assert_eq!(second.lines[2].new, Some(12));
        assert_eq!(second.lines.len(), 3, "the no-newline marker is no line");
        assert_eq!(files["gone.txt"].hunks[0].lines[0].kind, LineKind::Removed);
        assert!(
            !files.contains_key("logo.png"),
            "binary files have no hunks"
        );
        assert_eq!(
            files["with \"quote\" é.txt"].hunks[0].lines[0].text,
            "hello"
        );
    }

    #[test]
    fn a_long_file_is_cut_and_says_so() {
        let mut patch =
            String::from("diff --git a/big b/big\n--- /dev/null\n+++ b/big\n@@ -0,0 +1,100 @@\n");
        for n in 0..100 {
            patch.push_str(&format!("+line {n}\n"));
        }
        let files = hunks(&patch, 10);
        let big = &files["big"];
        assert!(big.truncated);
        assert_eq!(big.hunks[0].lines.len(), 10);
    }

    #[test]
    fn files_join_status_and_counts_renames_and_binaries_included() {
        let name_status =
            "M\0src/lib.rs\0R087\0old name.txt\0new name.txt\0A\0logo.png\0D\0gone.txt\0";
        let numstat = "3\t2\tsrc/lib.rs\x001\t1\t\0old name.txt\0new name.txt\0-\t-\tlogo.png\x000\t1\tgone.txt\0";
        let files = files(name_status, numstat);
        assert_eq!(files.len(), 4);
        assert_eq!((files[0].added, files[0].removed), (3, 2));
        assert_eq!(files[1].status, FileStatus::Renamed);
        assert_eq!(files[1].old_path.as_deref(), Some("old name.txt"));
        assert_eq!(files[1].path, "new name.txt");
        assert_eq!((files[1].added, files[1].removed), (1, 1));
        assert!(files[2].binary);
        assert_eq!(files[2].status, FileStatus::Added);
        assert_eq!(files[3].status, FileStatus::Deleted);
        assert_eq!(files[3].removed, 1);
    }

    #[test]
    fn garbage_reads_as_nothing_rather_than_failing() {
        assert!(files("Z", "x\ty").is_empty());
        assert!(hunks("@@ nonsense @@\n+x\n", 10).is_empty());
        assert_eq!(unquote("\"\\777\""), None);
    }
}
