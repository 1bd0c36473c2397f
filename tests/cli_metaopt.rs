//! `metablend metaopt train|eval` end to end at toy sizes: checkpoints, resume, the
//! evaluation report (including a forecaster trained through the optimiser interface) and
//! clear errors.

use crate::util::metablend;

#[test]
fn metaopt_trains_resumes_and_evaluates() {
    let root = std::env::temp_dir().join(format!("metablend-metaopt-{}", std::process::id()));
    let run = root.join("run");
    let run_s = run.to_str().unwrap();
    let train = |iterations: &str, finetune: &str, resume: bool, extra: &[&str]| {
        let mut args = vec![
            "metaopt",
            "train",
            "--out",
            run_s,
            "--iterations",
            iterations,
            "--finetune-iterations",
            finetune,
            "--horizon",
            "10",
            "--truncation",
            "5",
            "--no-progress",
        ];
        if resume {
            args.push("--resume");
        }
        args.extend_from_slice(extra);
        metablend(&args)
    };
    let (ok, out, err) = train("4", "0", false, &[]);
    assert!(ok, "{out}\n{err}");
    assert!(run.join("checkpoint/phi.safetensors").exists());
    // Item 7 of the reliability list: a trained folder is not overwritten without --resume.
    let phi = std::fs::read(run.join("checkpoint/phi.safetensors")).unwrap();
    let (ok, _, err) = train("4", "0", false, &[]);
    assert!(!ok && err.contains("already holds"), "{err}");
    assert_eq!(
        std::fs::read(run.join("checkpoint/phi.safetensors")).unwrap(),
        phi
    );
    // Resumed with more truncated iterations, then two ES fine-tuning updates.
    let (ok, out, err) = train("6", "2", true, &[]);
    assert!(ok, "{out}\n{err}");
    let log = std::fs::read_to_string(run.join("log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 8, "{log}");
    let fine_tuning = log
        .lines()
        .filter(|l| l.contains("\"fine_tuning\":true"))
        .count();
    assert_eq!(fine_tuning, 2, "{log}");
    let state = std::fs::read_to_string(run.join("checkpoint/train_state.json")).unwrap();
    assert!(state.contains("\"iteration\":8"), "{state}");
    // Steps decay after the training horizon, and wide weight matrices take smaller steps.
    let net = std::fs::read_to_string(run.join("checkpoint/metaopt.json")).unwrap();
    let net: serde_json::Value = serde_json::from_str(&net).unwrap();
    assert_eq!(net["decay"]["after"], 10, "{net}");
    assert_eq!(net["base_fan_in"], 24, "{net}");
    assert!(run.join("meta_loss.png").exists());
    // A different decay or width scaling is a different optimizer: resuming with it is a
    // clear error.
    let (ok, _, err) = train("6", "2", true, &["--decay-power", "0"]);
    assert!(!ok && err.contains("--decay-power"), "{err}");
    let (ok, _, err) = train("6", "2", true, &["--base-fan-in", "0"]);
    assert!(!ok && err.contains("--base-fan-in 0"), "{err}");
    // Past the truncated phase, its length can no longer change.
    let (ok, _, err) = train("7", "2", true, &[]);
    assert!(!ok && err.contains("--iterations 6"), "{err}");

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
        "train",
        "--out",
        "/tmp/x-metaopt",
        "--decay-power=-1",
    ]);
    assert!(!ok && err.contains("decay"), "{err}");
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
