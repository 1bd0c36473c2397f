//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// Path of a file under `tests/data/`.
pub fn data_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// Path of a file under the vendored `data/` folder.
pub fn repo_data_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(rel)
}

/// Parses a JSON file under `tests/data/`.
pub fn read_json(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(data_path(rel)).expect("test data file is readable");
    serde_json::from_str(&text).expect("test data file is valid JSON")
}

/// `|a - b| <= tol * max(1, |b|)`.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// Runs the `metablend` binary; returns (success, stdout, stderr).
pub fn metablend(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_metablend"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// `metablend train` arguments for a predictions file, a config and a run folder.
pub fn train_args<'a>(
    preds: &'a Path,
    config: &'a Path,
    run: &'a Path,
    resume: bool,
) -> Vec<&'a str> {
    let mut args = vec![
        "train",
        "--predictions",
        s(preds),
        "--config",
        s(config),
        "--out",
        s(run),
    ];
    if resume {
        args.push("--resume");
    }
    args
}
