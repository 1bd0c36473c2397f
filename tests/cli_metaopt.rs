//! `metablend metaopt train|eval` end to end at toy sizes: checkpoints, resume, the
//! evaluation report (including a forecaster trained through the optimiser interface) and
//! clear errors.

use crate::util::metablend;

#[test]
fn metaopt_trains_resumes_and_evaluates() {
    let root = std::env::temp_dir().join(format!("metablend-metaopt-{}", std::process::id()));
    let run = root.join("run");
    let run_s = run.to_str().unwrap();
    let train = |iterations: &str, resume: bool| {
        let mut args = vec![
            "metaopt",
            "train",
            "--out",
            run_s,
            "--iterations",
            iterations,
            "--horizon",
            "10",
            "--truncation",
            "5",
            "--no-progress",
        ];
        if resume {
            args.push("--resume");
        }
        let (ok, out, err) = metablend(&args);
        assert!(ok, "{out}\n{err}");
    };
    train("4", false);
    assert!(run.join("checkpoint/phi.safetensors").exists());
    train("6", true);
    let log = std::fs::read_to_string(run.join("log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 6, "{log}");
    let state = std::fs::read_to_string(run.join("checkpoint/train_state.json")).unwrap();
    assert!(state.contains("\"iteration\":6"), "{state}");

    let report = root.join("report");
    let (ok, out, err) = metablend(&[
        "metaopt",
        "eval",
        "--run",
        run_s,
        "--out",
        report.to_str().unwrap(),
        "--tasks",
        "3",
        "--horizon",
        "10",
        "--forecast-series",
        "1",
        "--no-progress",
    ]);
    assert!(ok, "{out}\n{err}");
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    for needle in [
        "MLP ReLU, 16 hidden | 100 |",
        "MLP tanh, 64 hidden (wider) | 10 |",
        "mean MASE learned",
    ] {
        assert!(md.contains(needle), "report lacks {needle}:\n{md}");
    }
    assert!(report.join("loss_curves.png").exists());
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn metaopt_rejects_bad_arguments() {
    let (ok, _, err) = metablend(&[
        "metaopt",
        "train",
        "--out",
        "/tmp/x-metaopt",
        "--net",
        "gru",
    ]);
    assert!(!ok && err.contains("gru"), "{err}");
    let (ok, _, err) = metablend(&[
        "metaopt",
        "eval",
        "--run",
        "/nonexistent/run",
        "--out",
        "/tmp/y",
    ]);
    assert!(!ok && err.contains("metaopt.json"), "{err}");
}
