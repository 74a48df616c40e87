//! One prompt of the shell agent: ask, run, stream, report.

use super::{ShellAgentError, Wire};
use crate::acp::jsonrpc::Incoming;
use crate::acp::schema as acp;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

/// Output held back between updates, at most: a flood is sent on at once
/// rather than grown in memory.
const MAX_PENDING: usize = 64 * 1024;
/// Output updates are sent at most this often.
const UPDATE_EVERY: Duration = Duration::from_millis(100);

enum Permission {
    Allowed { always: bool },
    Rejected,
    Cancelled,
}

pub(crate) async fn run_turn(
    wire: &mut Wire,
    session_id: &str,
    cwd: &Path,
    always_allowed: &mut bool,
    prompt: &str,
) -> Result<acp::StopReason, ShellAgentError> {
    let commands: Vec<&str> = prompt
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if commands.is_empty() {
        say(
            wire,
            session_id,
            "Nothing to run: send shell commands, one per line.",
        )
        .await?;
        return Ok(acp::StopReason::EndTurn);
    }
    for (n, command) in commands.iter().enumerate() {
        let call_id = format!("cmd-{}-{}", std::process::id(), n + 1);
        let call = acp::ToolCall::new(call_id.clone(), (*command).to_owned())
            .kind(acp::ToolKind::Execute)
            .status(acp::ToolCallStatus::Pending)
            .raw_input(json!({ "command": command, "cwd": cwd }));
        wire.update(session_id, acp::SessionUpdate::ToolCall(call))
            .await?;

        if !*always_allowed {
            match ask(wire, session_id, &call_id, command).await? {
                Permission::Allowed { always } => *always_allowed |= always,
                Permission::Rejected => {
                    set_status(
                        wire,
                        session_id,
                        &call_id,
                        acp::ToolCallStatus::Failed,
                        Some("Rejected: not run."),
                    )
                    .await?;
                    say(
                        wire,
                        session_id,
                        &format!("`{command}` was rejected, so it did not run."),
                    )
                    .await?;
                    return Ok(acp::StopReason::EndTurn);
                }
                Permission::Cancelled => {
                    set_status(
                        wire,
                        session_id,
                        &call_id,
                        acp::ToolCallStatus::Failed,
                        Some("Cancelled."),
                    )
                    .await?;
                    return Ok(acp::StopReason::Cancelled);
                }
            }
        }

        set_status(
            wire,
            session_id,
            &call_id,
            acp::ToolCallStatus::InProgress,
            None,
        )
        .await?;
        match execute(wire, session_id, &call_id, cwd, command).await? {
            Execution::Exited { code } => {
                let status = if code == Some(0) {
                    acp::ToolCallStatus::Completed
                } else {
                    acp::ToolCallStatus::Failed
                };
                set_status(wire, session_id, &call_id, status, None).await?;
                let how = match code {
                    Some(code) => format!("exited with status {code}"),
                    None => "was killed by a signal".to_owned(),
                };
                say(wire, session_id, &format!("`{command}` {how}.\n")).await?;
                if code != Some(0) {
                    return Ok(acp::StopReason::EndTurn);
                }
            }
            Execution::Cancelled => {
                set_status(
                    wire,
                    session_id,
                    &call_id,
                    acp::ToolCallStatus::Failed,
                    None,
                )
                .await?;
                return Ok(acp::StopReason::Cancelled);
            }
        }
    }
    Ok(acp::StopReason::EndTurn)
}

async fn say(wire: &mut Wire, session_id: &str, text: &str) -> Result<(), ShellAgentError> {
    let chunk = acp::ContentChunk::new(acp::ContentBlock::from(text.to_owned()));
    wire.update(session_id, acp::SessionUpdate::AgentMessageChunk(chunk))
        .await
}

async fn set_status(
    wire: &mut Wire,
    session_id: &str,
    call_id: &str,
    status: acp::ToolCallStatus,
    output: Option<&str>,
) -> Result<(), ShellAgentError> {
    let mut fields = acp::ToolCallUpdateFields::new().status(status);
    if let Some(output) = output {
        fields = fields.content(vec![acp::ToolCallContent::from(output.to_owned())]);
    }
    let update = acp::ToolCallUpdate::new(call_id.to_owned(), fields);
    wire.update(session_id, acp::SessionUpdate::ToolCallUpdate(update))
        .await
}

async fn ask(
    wire: &mut Wire,
    session_id: &str,
    call_id: &str,
    command: &str,
) -> Result<Permission, ShellAgentError> {
    let options = vec![
        acp::PermissionOption::new(
            "allow-once",
            "Allow once",
            acp::PermissionOptionKind::AllowOnce,
        ),
        acp::PermissionOption::new(
            "allow-always",
            "Allow always",
            acp::PermissionOptionKind::AllowAlways,
        ),
        acp::PermissionOption::new("reject", "Reject", acp::PermissionOptionKind::RejectOnce),
    ];
    let tool_call = acp::ToolCallUpdate::new(
        call_id.to_owned(),
        acp::ToolCallUpdateFields::new()
            .title(format!("Run `{command}`"))
            .kind(acp::ToolKind::Execute),
    );
    let request_id = wire
        .request(
            "session/request_permission",
            acp::RequestPermissionRequest::new(session_id.to_owned(), tool_call, options),
        )
        .await?;
    while let Some(message) = wire.incoming.recv().await {
        match message {
            Incoming::Response { id, outcome } if id == request_id => {
                let Ok(result) = outcome else {
                    return Ok(Permission::Cancelled);
                };
                return Ok(
                    match serde_json::from_value::<acp::RequestPermissionResponse>(result) {
                        Ok(response) => match response.outcome {
                            acp::RequestPermissionOutcome::Selected(selected) => {
                                match &*selected.option_id.0 {
                                    "allow-once" => Permission::Allowed { always: false },
                                    "allow-always" => Permission::Allowed { always: true },
                                    _ => Permission::Rejected,
                                }
                            }
                            _ => Permission::Cancelled,
                        },
                        Err(_) => Permission::Rejected,
                    },
                );
            }
            Incoming::Notification { method, .. } if method == "session/cancel" => {
                // Keep waiting: the client answers the open request with
                // `cancelled`, which ends the turn above.
                continue;
            }
            Incoming::Request { id, .. } => {
                wire.respond::<Value>(
                    &id,
                    Err(crate::acp::jsonrpc::RpcError::new(
                        -32600,
                        "busy with a turn",
                    )),
                )
                .await?;
            }
            _ => continue,
        }
    }
    Ok(Permission::Cancelled)
}

enum Execution {
    Exited { code: Option<i32> },
    Cancelled,
}

/// Sends output that is new since the last update, marked to be added to
/// what came before (`_meta.tandem.append`): each byte of output crosses
/// the wire and the store once. (ACP's `content` replaces; Tandem, this
/// agent's client, reads the mark.)
async fn send_output(
    wire: &mut Wire,
    session_id: &str,
    call_id: &str,
    pending: &mut String,
) -> Result<(), ShellAgentError> {
    if pending.is_empty() {
        return Ok(());
    }
    let fields = acp::ToolCallUpdateFields::new()
        .content(vec![acp::ToolCallContent::from(std::mem::take(pending))]);
    let mut meta = serde_json::Map::new();
    meta.insert(
        crate::acp::fold::APPEND_META.to_owned(),
        json!({"append": true}),
    );
    let update = acp::ToolCallUpdate::new(call_id.to_owned(), fields).meta(meta);
    wire.update(session_id, acp::SessionUpdate::ToolCallUpdate(update))
        .await
}

/// Bytes as text, keeping an incomplete UTF-8 character at the end for
/// the next read instead of turning it into U+FFFD.
fn decode(carry: &mut Vec<u8>, bytes: &[u8], out: &mut String) {
    carry.extend_from_slice(bytes);
    let complete = match std::str::from_utf8(carry) {
        Ok(_) => carry.len(),
        Err(error) if error.error_len().is_none() => error.valid_up_to(),
        Err(_) => carry.len(),
    };
    out.push_str(&String::from_utf8_lossy(&carry[..complete]));
    carry.drain(..complete);
}

async fn execute(
    wire: &mut Wire,
    session_id: &str,
    call_id: &str,
    cwd: &Path,
    command: &str,
) -> Result<Execution, ShellAgentError> {
    let child = Command::new("sh")
        .arg("-c")
        // stderr joins stdout so the output reads in order.
        .arg(format!("exec 2>&1; {command}"))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            let mut said = format!("could not start sh: {error}");
            send_output(wire, session_id, call_id, &mut said).await?;
            return Ok(Execution::Exited { code: Some(127) });
        }
    };
    let pgid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    let mut stdout = child.stdout.take();
    let mut pending = String::new();
    let mut carry = Vec::new();
    let mut buf = vec![0u8; 8192];
    let mut last_update = tokio::time::Instant::now();
    loop {
        let read = async {
            match stdout.as_mut() {
                Some(out) => out.read(&mut buf).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = read => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    decode(&mut carry, &buf[..n], &mut pending);
                    if last_update.elapsed() >= UPDATE_EVERY || pending.len() >= MAX_PENDING {
                        send_output(wire, session_id, call_id, &mut pending).await?;
                        last_update = tokio::time::Instant::now();
                    }
                }
            },
            message = wire.incoming.recv() => match message {
                Some(Incoming::Notification { method, .. }) if method == "session/cancel" => {
                    if let Some(pgid) = pgid {
                        let _ = killpg(pgid, Signal::SIGKILL);
                    }
                    let _ = child.wait().await;
                    // What it printed before it stopped, if anyone listens.
                    let _ = send_output(wire, session_id, call_id, &mut pending).await;
                    return Ok(Execution::Cancelled);
                }
                Some(Incoming::Request { id, .. }) => {
                    wire.respond::<Value>(&id, Err(crate::acp::jsonrpc::RpcError::new(-32600, "busy with a turn"))).await?;
                }
                Some(_) => {}
                None => {
                    // The client went away: stop the command with it.
                    if let Some(pgid) = pgid {
                        let _ = killpg(pgid, Signal::SIGKILL);
                    }
                    let _ = child.wait().await;
                    // What it printed before it stopped, if anyone listens.
                    let _ = send_output(wire, session_id, call_id, &mut pending).await;
                    return Ok(Execution::Cancelled);
                }
            },
        }
    }
    let code = child.wait().await.ok().and_then(|status| status.code());
    if !carry.is_empty() {
        pending.push_str(&String::from_utf8_lossy(&carry));
    }
    send_output(wire, session_id, call_id, &mut pending).await?;
    Ok(Execution::Exited { code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_between_reads_stays_whole() {
        let bytes = "héllo ✓".as_bytes();
        let (mut carry, mut out) = (Vec::new(), String::new());
        for chunk in bytes.chunks(1) {
            decode(&mut carry, chunk, &mut out);
        }
        assert_eq!(out, "héllo ✓");
        assert!(carry.is_empty());
        decode(&mut carry, &[0xff, b'a'], &mut out);
        assert!(out.ends_with("\u{FFFD}a"), "{out}");
    }
}
