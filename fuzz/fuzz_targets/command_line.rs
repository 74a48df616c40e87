//! Any command line an agent asks to run: read into simple commands or
//! found unreadable, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = tandem::session::rules::command::read(line);
    }
});
