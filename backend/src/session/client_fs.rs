//! The `fs/*` requests Tandem answers for agents it offers them to.
//!
//! Paths must be absolute and inside the assistant's workspace: an agent is
//! given its workspace, not the machine.

use crate::acp::jsonrpc::RpcError;
use crate::acp::schema as acp;
use serde_json::Value;
use std::path::{Component, Path, PathBuf};

pub async fn read_text_file(workspace: &Path, params: Value) -> Result<Value, RpcError> {
    let request: acp::ReadTextFileRequest = serde_json::from_value(params)
        .map_err(|err| RpcError::new(RpcError::INVALID_PARAMS, err.to_string()))?;
    let path = inside_workspace(workspace, &request.path)?;
    let content = tokio::fs::read_to_string(&path).await.map_err(|err| {
        if err.kind() == std::io::ErrorKind::NotFound {
            RpcError::new(
                RpcError::RESOURCE_NOT_FOUND,
                format!("{} does not exist", path.display()),
            )
        } else {
            RpcError::new(RpcError::INTERNAL_ERROR, err.to_string())
        }
    })?;
    let content = select_lines(&content, request.line, request.limit);
    serde_json::to_value(acp::ReadTextFileResponse::new(content))
        .map_err(|err| RpcError::new(RpcError::INTERNAL_ERROR, err.to_string()))
}

pub async fn write_text_file(workspace: &Path, params: Value) -> Result<Value, RpcError> {
    let request: acp::WriteTextFileRequest = serde_json::from_value(params)
        .map_err(|err| RpcError::new(RpcError::INVALID_PARAMS, err.to_string()))?;
    let path = inside_workspace(workspace, &request.path)?;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|err| RpcError::new(RpcError::INTERNAL_ERROR, err.to_string()))?;
    }
    tokio::fs::write(&path, request.content.as_bytes())
        .await
        .map_err(|err| RpcError::new(RpcError::INTERNAL_ERROR, err.to_string()))?;
    Ok(Value::Object(Default::default()))
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

fn inside_workspace(workspace: &Path, path: &Path) -> Result<PathBuf, RpcError> {
    if !path.is_absolute() {
        return Err(RpcError::new(
            RpcError::INVALID_PARAMS,
            format!("path must be absolute: {}", path.display()),
        ));
    }
    let normal = normalize(path);
    if !normal.starts_with(normalize(workspace)) {
        return Err(RpcError::new(
            RpcError::INVALID_PARAMS,
            format!("{} is outside the workspace", path.display()),
        ));
    }
    Ok(normal)
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
