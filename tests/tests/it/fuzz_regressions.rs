//! The fuzz targets' seeds and every crash the fuzzer ever found, run
//! through the same decoders on each `cargo xtask test`. Seeds named `ok-*`
//! must decode, `bad-*` must be refused; regressions must simply return.

use std::path::{Path, PathBuf};
use tandem::acp::inbound::decode_line;
use tandem_shared::ws::ClientMessage;

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name.starts_with('.') {
            continue;
        }
        found.push((name, std::fs::read(&path).expect("read input")));
    }
    found.sort();
    found
}

fn check(target: &str, decodes: impl Fn(&str) -> bool) {
    let seeds = inputs("seeds", target);
    assert!(seeds.len() >= 4, "{target} has seeds");
    for (name, bytes) in seeds {
        let text = String::from_utf8(bytes).expect("seeds are UTF-8");
        if name.starts_with("ok-") {
            assert!(decodes(&text), "{target}/{name} should decode");
        } else {
            assert!(!decodes(&text), "{target}/{name} should be refused");
        }
    }
    for (_, bytes) in inputs("regressions", target) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            decodes(text);
        }
    }
}

#[test]
fn agent_line_seeds_and_regressions() {
    check("agent_line", |line| decode_line(line).is_ok());
}

#[test]
fn client_message_seeds_and_regressions() {
    check("client_message", |text| ClientMessage::decode(text).is_ok());
}

#[test]
fn command_line_seeds_and_regressions() {
    check("command_line", |line| {
        tandem::session::rules::command::read(line).is_ok()
    });
}
