//! Training configs: any text gives validated settings or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metablend_pipelines::single::TrainSettings;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TrainSettings::from_toml(text, "fuzz.toml");
    }
});
