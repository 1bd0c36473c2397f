//! Panels from users' files: the official M4 wide files read to the same series as the
//! bundled long copies, with the test rows matched to the training rows.

use std::path::Path;

use metablend_ensemble::panel::{read_m4_wide, read_panel_file, PanelOptions};

#[test]
fn official_m4_wide_files_read_to_the_bundled_long_panel() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/m4");
    let (wide, test) = read_m4_wide(
        dir.join("official/Hourly-train.csv.gz"),
        Some(&dir.join("official/Hourly-test.csv.gz")),
    )
    .unwrap();
    let long = read_panel_file(dir.join("hourly_train.csv.gz"), &PanelOptions::default()).unwrap();
    assert_eq!(wide.series.len(), 414);
    assert_eq!(wide, long);
    let long_test =
        read_panel_file(dir.join("hourly_test.csv.gz"), &PanelOptions::default()).unwrap();
    let test = test.unwrap();
    assert!(test.iter().all(|v| v.len() == 48));
    let expected: Vec<Vec<f64>> = long_test.series.into_iter().map(|s| s.values).collect();
    assert_eq!(test, expected);
    // A test file whose rows are another frequency's series is refused.
    let err = read_m4_wide(
        dir.join("official/Hourly-train.csv.gz"),
        Some(&dir.join("weekly_test.csv.gz")),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("weekly_test"), "{err}");
}
