//! The `fs/*` requests Tandem answers for agents it offers them to.
//!
//! Paths must be absolute and inside the assistant's workspace: an agent is
//! given its workspace, not the machine. The path is only turned into one
//! relative to the workspace here; the kernel then opens it beneath the
//! workspace's directory (cap-std, openat2 with `RESOLVE_BENEATH` on Linux), so
//! a link leading out, or a folder swapped for one between a check and the
//! open, is refused rather than followed.

use crate::acp::jsonrpc::RpcError;
use crate::acp::schema as acp;
use cap_std::fs::Dir;
use serde_json::Value;
use std::io;
use std::path::{Component, Path, PathBuf};

pub async fn read_text_file(workspace: &Path, params: Value) -> Result<Value, RpcError> {
    let request: acp::ReadTextFileRequest = serde_json::from_value(params)
        .map_err(|err| RpcError::new(RpcError::INVALID_PARAMS, err.to_string()))?;
    let relative = inside_workspace(workspace, &request.path)?;
    let root = workspace.to_owned();
    let shown = request.path.clone();
    let content = blocking(move || {
        let dir = open_workspace(&root)?;
        dir.read_to_string(&relative)
            .map_err(|err| refusal(&shown, err))
    })
    .await?;
    let content = select_lines(&content, request.line, request.limit);
    serde_json::to_value(acp::ReadTextFileResponse::new(content))
        .map_err(|err| RpcError::new(RpcError::INTERNAL_ERROR, err.to_string()))
}

pub async fn write_text_file(workspace: &Path, params: Value) -> Result<Value, RpcError> {
    let request: acp::WriteTextFileRequest = serde_json::from_value(params)
        .map_err(|err| RpcError::new(RpcError::INVALID_PARAMS, err.to_string()))?;
    let relative = inside_workspace(workspace, &request.path)?;
    let root = workspace.to_owned();
    let shown = request.path.clone();
    blocking(move || {
        let dir = open_workspace(&root)?;
        if let Some(parent) = relative.parent().filter(|p| !p.as_os_str().is_empty()) {
            dir.create_dir_all(parent)
                .map_err(|err| refusal(&shown, err))?;
        }
        dir.write(&relative, request.content.as_bytes())
            .map_err(|err| refusal(&shown, err))
    })
    .await?;
    Ok(Value::Object(Default::default()))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| RpcError::new(RpcError::INTERNAL_ERROR, err.to_string()))?
}

fn open_workspace(workspace: &Path) -> Result<Dir, RpcError> {
    Dir::open_ambient_dir(workspace, cap_std::ambient_authority()).map_err(|err| {
        RpcError::new(
            RpcError::INTERNAL_ERROR,
            format!(
                "the workspace {} cannot be opened: {err}",
                workspace.display()
            ),
        )
    })
}

/// What the agent is told when the kernel refused or found nothing.
fn refusal(path: &Path, err: io::Error) -> RpcError {
    match err.kind() {
        io::ErrorKind::NotFound => RpcError::new(
            RpcError::RESOURCE_NOT_FOUND,
            format!("{} does not exist", path.display()),
        ),
        // cap-std reports a path that leads out (a link, a swapped folder)
        // as permission denied, as the kernel's own refusals are.
        io::ErrorKind::PermissionDenied => RpcError::new(
            RpcError::INVALID_PARAMS,
            format!(
                "{} is refused: it leads outside the workspace or is not permitted ({err})",
                path.display()
            ),
        ),
        // A folder on the way is a file, or a link (which is not followed
        // when folders are made).
        io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory => RpcError::new(
            RpcError::INVALID_PARAMS,
            format!(
                "{} is refused: a part of the path is not a folder of the workspace ({err})",
                path.display()
            ),
        ),
        _ => RpcError::new(
            RpcError::INTERNAL_ERROR,
            format!("{}: {err}", path.display()),
        ),
    }
}

/// Lines `line..line+limit` (1-based), as ACP defines them.
fn select_lines(content: &str, line: Option<u32>, limit: Option<u32>) -> String {
    if line.is_none() && limit.is_none() {
        return content.to_owned();
    }
    let skip = line.map(|l| l.saturating_sub(1) as usize).unwrap_or(0);
    let take = limit.map(|l| l as usize).unwrap_or(usize::MAX);
    content
        .split_inclusive('\n')
        .skip(skip)
        .take(take)
        .collect()
}

/// The path relative to the workspace, judged as text: absolute, and inside
/// the workspace once `.` and `..` are resolved. Links are the kernel's to
/// judge when the file is opened.
fn inside_workspace(workspace: &Path, path: &Path) -> Result<PathBuf, RpcError> {
    if !path.is_absolute() {
        return Err(RpcError::new(
            RpcError::INVALID_PARAMS,
            format!("path must be absolute: {}", path.display()),
        ));
    }
    let normal = normalize(path);
    let outside = || {
        RpcError::new(
            RpcError::INVALID_PARAMS,
            format!("{} is outside the workspace", path.display()),
        )
    };
    let relative = normal
        .strip_prefix(normalize(workspace))
        .map_err(|_| outside())?;
    if relative.as_os_str().is_empty() {
        return Err(outside());
    }
    Ok(relative.to_owned())
}

/// Resolves `.` and `..` without touching the disk (the file may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_are_one_based() {
        assert_eq!(select_lines("a\nb\nc\n", Some(2), Some(1)), "b\n");
        assert_eq!(select_lines("a\nb\nc", Some(2), None), "b\nc");
        assert_eq!(select_lines("a\nb", None, None), "a\nb");
    }

    #[test]
    fn paths_must_stay_in_the_workspace() {
        let ws = Path::new("/w/demo");
        assert!(inside_workspace(ws, Path::new("/w/demo/a/b.txt")).is_ok());
        assert!(inside_workspace(ws, Path::new("/w/demo/../other/x")).is_err());
        assert!(inside_workspace(ws, Path::new("relative.txt")).is_err());
        assert!(inside_workspace(ws, Path::new("/etc/passwd")).is_err());
        assert!(inside_workspace(ws, Path::new("/w/demo")).is_err());
        assert_eq!(
            inside_workspace(ws, Path::new("/w/demo/./a/../b")).unwrap(),
            Path::new("b")
        );
    }

    #[tokio::test]
    async fn links_out_of_the_workspace_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "keep out").unwrap();
        let ws = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.path().join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), ws.path().join("s")).unwrap();
        for name in ["out/secret", "s"] {
            let read = read_text_file(
                ws.path(),
                json!({"sessionId":"s","path":ws.path().join(name)}),
            )
            .await
            .unwrap_err();
            assert_eq!(
                read.code,
                RpcError::INVALID_PARAMS,
                "{name}: {}",
                read.message
            );
            assert!(read.message.contains("leads outside"), "{}", read.message);
        }
        let write = write_text_file(
            ws.path(),
            json!({"sessionId":"s","path":ws.path().join("out/new/evil"),"content":"x"}),
        )
        .await
        .unwrap_err();
        assert_eq!(write.code, RpcError::INVALID_PARAMS, "{}", write.message);
        assert!(write.message.contains("is refused"), "{}", write.message);
        assert!(!outside.path().join("new").exists());
        // A link that stays inside is an ordinary path.
        std::fs::create_dir(ws.path().join("real")).unwrap();
        std::os::unix::fs::symlink("real", ws.path().join("alias")).unwrap();
        write_text_file(
            ws.path(),
            json!({"sessionId":"s","path":ws.path().join("alias/ok"),"content":"in"}),
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(ws.path().join("real/ok")).unwrap(),
            "in"
        );
    }

    /// A folder swapped for a link to outside while writes go on: with a check
    /// followed by an open, some writes land outside; opened beneath the
    /// workspace, none does.
    #[tokio::test]
    async fn a_folder_swapped_for_a_link_never_leads_out() {
        let outside = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let sub = ws.path().join("sub");
        let parked = ws.path().join("parked");
        std::fs::create_dir(&sub).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let swapper = {
            let (sub, parked, target, stop) = (
                sub.clone(),
                parked.clone(),
                outside.path().to_owned(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let mut swaps = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Folder → link to outside → folder, each held a moment.
                    if std::fs::rename(&sub, &parked).is_ok() {
                        let _ = std::os::unix::fs::symlink(&target, &sub);
                        std::thread::sleep(std::time::Duration::from_micros(50));
                        let _ = std::fs::remove_file(&sub);
                        let _ = std::fs::rename(&parked, &sub);
                        std::thread::sleep(std::time::Duration::from_micros(50));
                        swaps += 1;
                    }
                }
                swaps
            })
        };
        let mut written = 0;
        for n in 0..3000 {
            let path = sub.join(format!("f{n}"));
            if write_text_file(
                ws.path(),
                json!({"sessionId":"s","path":path,"content":"x"}),
            )
            .await
            .is_ok()
            {
                written += 1;
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        assert!(swaps > 0, "the swapper never swapped");
        let escaped: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
        assert!(
            escaped.is_empty(),
            "{} of {written} writes landed outside",
            escaped.len()
        );
    }

    #[tokio::test]
    async fn write_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.txt");
        write_text_file(
            dir.path(),
            json!({"sessionId":"s","path":path,"content":"one\ntwo\n"}),
        )
        .await
        .unwrap();
        let read = read_text_file(dir.path(), json!({"sessionId":"s","path":path,"line":2}))
            .await
            .unwrap();
        assert_eq!(read["content"], "two\n");
        let missing = read_text_file(
            dir.path(),
            json!({"sessionId":"s","path":dir.path().join("nope")}),
        )
        .await
        .unwrap_err();
        assert_eq!(missing.code, RpcError::RESOURCE_NOT_FOUND);
        let bad = read_text_file(dir.path(), json!({"path": 5}))
            .await
            .unwrap_err();
        assert_eq!(bad.code, RpcError::INVALID_PARAMS);
    }
}
