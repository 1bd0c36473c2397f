//! One-series CSVs, long panels and M4 wide files: any bytes give a series or an error, never a panic, under
//! every fill policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metablend_ensemble::panel::{self, PanelOptions};
use metablend_ensemble::{read_panel_from, read_series_from, FillPolicy, SeriesCsvOptions};

fuzz_target!(|data: &[u8]| {
    for fill in [FillPolicy::Error, FillPolicy::Previous, FillPolicy::Drop] {
        let options = SeriesCsvOptions { column: None, fill };
        if let Ok(series) = read_series_from(data, "fuzz.csv", &options) {
            assert!(series.values.iter().all(|v| v.is_finite()));
        }
        if let Ok(p) = panel::read_panel_from(data, "fuzz.csv", &PanelOptions { fill }) {
            for (i, s) in p.series.iter().enumerate() {
                assert!(s.stamps.windows(2).all(|w| w[0] < w[1]));
                let _ = p.future_stamps(i, 3);
            }
        }
    }
    let _ = read_panel_from(data, "fuzz.csv");
});
