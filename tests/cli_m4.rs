//! `metablend m4` end to end on a small M4 Hourly subset: the report is complete, and the
//! meta-learners' weights and validation losses do not move when every test value is
//! perturbed (the test horizon is read only for scoring), while the scores do.

use std::io::Write;

use crate::util::{metablend, repo_data_path};
use metablend_ensemble::read_panel;

/// Writes the first `n` series of the hourly train/test files (test values times `scale`)
/// and the published scores into `dir`.
fn subset(dir: &std::path::Path, n: usize, scale: f64) {
    std::fs::create_dir_all(dir).unwrap();
    for (part, factor) in [("train", 1.0), ("test", scale)] {
        let panel = read_panel(repo_data_path(&format!("m4/hourly_{part}.csv.gz"))).unwrap();
        let file = std::fs::File::create(dir.join(format!("hourly_{part}.csv.gz"))).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        writeln!(gz, "series,t,value").unwrap();
        for s in panel.iter().take(n) {
            for (t, v) in s.values.iter().enumerate() {
                writeln!(gz, "{},{t},{}", s.name, v * factor).unwrap();
            }
        }
        gz.finish().unwrap();
    }
    std::fs::copy(
        repo_data_path("m4/m4_published_point_forecasts_by_frequency.csv"),
        dir.join("m4_published_point_forecasts_by_frequency.csv"),
    )
    .unwrap();
}

fn run(data: &std::path::Path, out: &std::path::Path) -> (serde_json::Value, serde_json::Value) {
    let (ok, stdout, stderr) = metablend(&[
        "m4",
        "--frequency",
        "hourly",
        "--quick",
        "--no-progress",
        "--ppo-steps",
        "1024",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(f)).unwrap()).unwrap()
    };
    (read("report.json"), read("weights.json"))
}

#[test]
fn m4_command_scores_a_subset_and_never_reads_the_test_values_before_scoring() {
    let root = std::env::temp_dir().join(format!("metablend-m4-{}", std::process::id()));
    let (plain, perturbed) = (root.join("plain"), root.join("perturbed"));
    subset(&plain, 10, 1.0);
    subset(&perturbed, 10, 1.3);
    let (report, weights) = run(&plain, &root.join("out-a"));
    let md = std::fs::read_to_string(root.join("out-a/report.md")).unwrap();
    for needle in [
        "PPO meta-combiner, seed 1",
        "FFORMA-style (supervised), seed 0",
        "Unseen series (2 folds",
        "best_on_validation",
        "inverse_error",
        "global_mlp",
        "Slawek Smyl",
    ] {
        assert!(md.contains(needle), "report lacks {needle}:\n{md}");
    }
    assert!(root.join("out-a/owa.png").exists() && root.join("out-a/ppo_weights.png").exists());
    assert_eq!(report["series"], 10);
    let w = &weights["weights"]["ppo_seed0"];
    assert_eq!(w.as_array().unwrap().len(), 10);
    for row in w.as_array().unwrap() {
        let sum: f64 = row
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-6);
    }

    let (report_b, weights_b) = run(&perturbed, &root.join("out-b"));
    assert_eq!(weights, weights_b, "weights moved with the test values");
    assert_eq!(
        report["ppo_validation_loss"],
        report_b["ppo_validation_loss"]
    );
    assert_ne!(
        report["baselines"], report_b["baselines"],
        "scores must use the test values"
    );
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn m4_command_rejects_bad_arguments() {
    for args in [
        &["m4", "--frequency", "daily"][..],
        &["m4", "--action-map", "nope", "--series", "3"][..],
        &[
            "m4",
            "--models",
            "naive drift",
            "--series",
            "3",
            "--no-progress",
        ][..],
        &["m4", "--data", "/nonexistent/m4", "--no-progress"][..],
    ] {
        let (ok, _, stderr) = metablend(args);
        assert!(!ok, "{args:?} should fail");
        assert!(
            stderr.contains("Error") || stderr.contains("error"),
            "{stderr}"
        );
    }
}

/// Writes the first `n` series of the official Hourly train and test files into `dir`
/// (official wide format), leaving out the test row of series `drop` if given.
fn official_subset(dir: &std::path::Path, n: usize, drop: Option<&str>) {
    use std::io::{BufRead, BufReader};
    std::fs::create_dir_all(dir).unwrap();
    for part in ["train", "test"] {
        let path = repo_data_path(&format!("m4/official/Hourly-{part}.csv.gz"));
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
        let mut out = std::fs::File::create(dir.join(format!("Hourly-{part}.csv"))).unwrap();
        for line in BufReader::new(gz).lines().take(n + 1) {
            let line = line.unwrap();
            let id = line
                .split(',')
                .next()
                .unwrap()
                .trim_matches('"')
                .to_string();
            if part == "test" && drop == Some(id.as_str()) {
                continue;
            }
            writeln!(out, "{line}").unwrap();
        }
    }
}

/// `metablend m4 --official DATA --quick --no-progress --out OUT`: (ok, stdout, stderr).
fn official(data: &std::path::Path, out: &std::path::Path) -> (bool, String, String) {
    metablend(&[
        "m4",
        "--official",
        data.to_str().unwrap(),
        "--quick",
        "--no-progress",
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn m4_official_scores_fit_and_forecast_on_the_official_files() {
    let root = std::env::temp_dir().join(format!("metablend-m4-official-{}", std::process::id()));
    let data = root.join("data");
    official_subset(&data, 20, None);
    let out = root.join("report");
    let (ok, stdout, stderr) = official(&data, &out);
    assert!(ok, "{stdout}\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let results = report.as_array().unwrap();
    assert_eq!(results.len(), 1, "only Hourly's files are there");
    let hourly = &results[0];
    assert_eq!(hourly["frequency"], "hourly");
    assert_eq!(hourly["series"], 20);
    assert_eq!(hourly["report"]["horizon"], 48);
    assert_eq!(hourly["report"]["season"], 24);
    let methods = hourly["report"]["methods"].as_array().unwrap();
    let names: Vec<&str> = methods
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    for name in [
        "metablend (fforma)",
        "inverse_error",
        "naive2_24",
        "global_mlp",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let naive2 = methods.iter().find(|m| m["method"] == "naive2_24").unwrap();
    assert!((naive2["owa"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(
        naive2["coverage"].as_array().unwrap().len(),
        2,
        "80 and 95 by default"
    );
    assert!(hourly["published"].as_array().unwrap().len() > 10);
    assert!(std::fs::read_to_string(out.join("report.md"))
        .unwrap()
        .contains("Jurgen Doornik"));

    // A training series without test values is named.
    let broken = root.join("broken");
    official_subset(&broken, 4, Some("H3"));
    let (ok, _, stderr) = official(&broken, &root.join("broken-report"));
    assert!(!ok);
    assert!(
        stderr.contains("no test values for series 'H3'"),
        "{stderr}"
    );
    // A folder without official files is refused.
    let (ok, _, stderr) = official(&root, &root.join("empty-report"));
    assert!(!ok);
    assert!(stderr.contains("no official M4 files"), "{stderr}");
    std::fs::remove_dir_all(&root).ok();
}
