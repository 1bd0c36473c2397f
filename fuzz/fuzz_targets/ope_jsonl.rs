//! Logged trajectories (JSONL): any bytes give trajectories or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metablend_agents::ope::read_log_from;

fuzz_target!(|data: &[u8]| {
    let _ = read_log_from(data, "fuzz.jsonl");
});
