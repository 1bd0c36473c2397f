//! A checkpoint's `state.json`: any text gives a checked state or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metablend_agents::ppo::parse_state;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_state(text, std::path::Path::new("state.json"));
    }
});
