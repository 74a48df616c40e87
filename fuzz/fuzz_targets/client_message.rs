//! Any text a browser might send as one WebSocket frame: decoded or
//! refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tandem_shared::ws::ClientMessage::decode(text);
    }
});
