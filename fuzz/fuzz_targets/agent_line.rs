//! Any bytes an agent might print on one line: decoded or refused, never a
//! panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = tandem::acp::inbound::decode_line(line);
    }
});
