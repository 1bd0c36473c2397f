//! Predictions tables and panels: any bytes parse or give an error; what parses writes back
//! and parses to the same table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metablend_core::{Predictions, PredictionsPanel};

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = Predictions::from_csv_reader(data, "fuzz.csv") {
        let mut text = Vec::new();
        table.to_csv_writer(&mut text).expect("writes to memory");
        let again = Predictions::from_csv_reader(&text[..], "again.csv").expect("round trip");
        assert_eq!(again, table);
    }
    let _ = PredictionsPanel::from_csv_reader(data, "fuzz.csv");
});
