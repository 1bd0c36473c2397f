//! One-series and panel CSVs: any bytes give a series or an error, never a panic, under
//! every fill policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metablend_ensemble::{read_panel_from, read_series_from, FillPolicy, SeriesCsvOptions};

fuzz_target!(|data: &[u8]| {
    for fill in [FillPolicy::Error, FillPolicy::Previous, FillPolicy::Drop] {
        let options = SeriesCsvOptions { column: None, fill };
        if let Ok(series) = read_series_from(data, "fuzz.csv", &options) {
            assert!(series.values.iter().all(|v| v.is_finite()));
        }
    }
    let _ = read_panel_from(data, "fuzz.csv");
});
