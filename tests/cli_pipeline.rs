//! `backtest → train → evaluate` and `run --quick` end to end through the binary, and one
//! test per kind of bad input: each exits non-zero with one clear message and no panic.

use crate::util::{metablend, s, train_args};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mb-pipe-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TINY: &str = "total_timesteps = 1024\neval_every = 1\ncheckpoint_every = 1\n[env]\nwindow = 10\nepisode_len = 32\n[ppo]\nn_envs = 2\nn_steps = 256\nbatch_size = 64\nn_epochs = 2\ngamma = 0.5\n";

/// Backtests the vendored electricity series into `dir/preds.csv`.
fn backtest(dir: &Path) -> PathBuf {
    let series = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/taylor_halfhourly.csv");
    let preds = dir.join("preds.csv");
    let (ok, _, err) = metablend(&[
        "backtest",
        "--series",
        s(&series),
        "--period",
        "48",
        "--models",
        "naive snaive:48 theta:48 damped",
        "--test-size",
        "400",
        "--refit-every",
        "200",
        "--out",
        s(&preds),
    ]);
    assert!(ok, "{err}");
    preds
}

/// Backtests, then trains a tiny PPO run.
fn pipeline(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let preds = backtest(dir);
    let config = dir.join("train.toml");
    std::fs::write(&config, TINY).unwrap();
    let run = dir.join("run");
    let (ok, out, err) = metablend(&train_args(&preds, &config, &run, false));
    assert!(ok && out.contains("1024 env steps"), "{out}{err}");
    (preds, config, run)
}

#[test]
fn backtest_train_resume_evaluate() {
    let dir = scratch("ok");
    let (preds, config, run) = pipeline(&dir);
    for f in [
        "config.toml",
        "data.json",
        "metrics.jsonl",
        "validation.json",
        "training_curve.png",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    assert!(run.join("best_model/model.safetensors").is_file());
    // Resume to a larger budget: the log continues.
    std::fs::write(&config, TINY.replace("1024", "2048")).unwrap();
    let (ok, out, err) = metablend(&train_args(&preds, &config, &run, true));
    assert!(ok && out.contains("2048 env steps"), "{out}{err}");
    let lines = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(
        lines, 4,
        "two updates of 512 steps before and two after the resume"
    );
    // Evaluate: the printed table's numbers are the JSON's.
    let report = dir.join("report");
    let (ok, out, err) = metablend(&[
        "evaluate",
        "--run",
        s(&run),
        "--predictions",
        s(&preds),
        "--period",
        "48",
        "--out",
        s(&report),
    ]);
    assert!(ok, "{err}");
    for f in [
        "report.md",
        "report.json",
        "cumulative_loss.png",
        "weights.png",
    ] {
        assert!(report.join(f).is_file(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    let methods = json["report"]["methods"].as_array().unwrap();
    assert_eq!(
        methods.len(),
        4 + 11,
        "4 models, 9 classical combiners, same-phase inverse MSE (period 48) and the policy"
    );
    assert!(methods.iter().any(|m| m["name"] == "inverse_mse_phase48x7"));
    let policy = methods.iter().find(|m| m["name"] == "ppo_policy").unwrap();
    let printed = format!("{:.6}", policy["rmse"].as_f64().unwrap());
    let line = out.lines().find(|l| l.starts_with("ppo_policy")).unwrap();
    assert!(line.contains(&printed), "{line} vs {printed}");
    let verdicts = json["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 4 + 10 - 1, "every non-oracle baseline");
    assert!(std::fs::read_to_string(report.join("report.md"))
        .unwrap()
        .contains("The PPO policy against each baseline"));
    online_next_step(&dir, &run, &preds);
}

/// `forecast --run`: the policy's weights for the latest row, whose target may be empty;
/// they do not depend on that target (the row's combination never reads it).
fn online_next_step(dir: &Path, run: &Path, preds: &Path) {
    let text = std::fs::read_to_string(preds).unwrap();
    let target_col = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "target")
        .unwrap();
    let blank = |line: &str| {
        let mut cells: Vec<&str> = line.split(',').collect();
        cells[target_col] = "";
        cells.join(",")
    };
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let last = lines.len() - 1;
    lines[last] = blank(&lines[last]);
    let open = dir.join("open.csv");
    std::fs::write(&open, lines.join("\n") + "\n").unwrap();
    let next = |table: &Path, out: &Path| {
        metablend(&[
            "forecast",
            "--run",
            s(run),
            "--predictions",
            s(table),
            "--out",
            s(out),
        ])
    };
    let (ok, out, err) = next(&open, &dir.join("next.json"));
    assert!(ok && out.contains("target not yet observed"), "{out}{err}");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let step = read("next.json");
    assert_eq!(step["row"], last - 1, "the last data row");
    let weights: Vec<f64> = step["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(weights.len(), 4);
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let (ok, out, err) = next(preds, &dir.join("known.json"));
    assert!(ok && out.contains("target known"), "{out}{err}");
    assert_eq!(
        read("known.json"),
        step,
        "the row's own target is never read"
    );
    // Only the last row may leave its target empty.
    lines[last - 1] = blank(&lines[last - 1]);
    std::fs::write(&open, lines.join("\n") + "\n").unwrap();
    let (ok, _, err) = next(&open, &dir.join("bad.json"));
    assert!(!ok && err.contains("only the last row"), "{err}");
}

#[test]
fn run_quick_writes_the_report() {
    let dir = scratch("quick");
    let out = dir.join("report");
    let (ok, stdout, err) = metablend(&["run", "--quick", "--out", s(&out)]);
    assert!(ok, "{err}");
    assert!(
        stdout.contains("ppo_policy") && stdout.contains("verdict"),
        "{stdout}"
    );
    for f in [
        "report.md",
        "summary.json",
        "sp500/report.json",
        "taylor/weights.png",
        "sp500/cumulative_loss.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary.as_array().unwrap().len(), 2);
}

fn fails_with(args: &[&str], needle: &str) {
    let (ok, out, err) = metablend(args);
    assert!(!ok, "{args:?} succeeded: {out}");
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "{err}"
    );
    assert_eq!(
        err.trim()
            .lines()
            .filter(|l| l.starts_with("error"))
            .count(),
        1,
        "{err}"
    );
}

#[test]
fn bad_input_is_one_clear_message_each() {
    let dir = scratch("bad");
    let (preds, config, run) = pipeline(&dir);
    let p = s(&preds);
    // Missing file and malformed CSV.
    fails_with(
        &[
            "train",
            "--predictions",
            "/no/such.csv",
            "--out",
            s(&dir.join("r1")),
        ],
        "/no/such.csv",
    );
    let bad_csv = dir.join("bad.csv");
    std::fs::write(&bad_csv, "target,a,b\n1,2,3\n4,x,6\n").unwrap();
    fails_with(
        &[
            "train",
            "--predictions",
            s(&bad_csv),
            "--out",
            s(&dir.join("r2")),
        ],
        "line 3",
    );
    // Unknown model, unknown reward, unknown config key, invalid value.
    fails_with(
        &[
            "backtest",
            "--series",
            p,
            "--models",
            "naive oracle9",
            "--test-size",
            "5",
            "--out",
            s(&dir.join("x.csv")),
        ],
        "unknown model `oracle9`",
    );
    for (text, needle) in [
        ("[reward]\nkind = \"sharpe\"\n", "sharpe"),
        ("total_timestep = 5\n", "total_timestep"),
        ("[ppo]\nlearning_rate = -1.0\n", "learning_rate"),
        ("[split]\ntrain = 0.99\nvalidation = 0.005\n", "split"),
    ] {
        let cfg = dir.join("bad.toml");
        std::fs::write(&cfg, text).unwrap();
        fails_with(&train_args(&preds, &cfg, &dir.join("r3"), false), needle);
    }
    // A run folder is not silently overwritten.
    fails_with(&train_args(&preds, &config, &run, false), "--resume");
    // Damaged checkpoint.
    let damaged = dir.join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    for f in ["config.toml", "data.json"] {
        std::fs::copy(run.join(f), damaged.join(f)).unwrap();
    }
    std::fs::create_dir_all(damaged.join("best_model")).unwrap();
    for f in std::fs::read_dir(run.join("best_model")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, damaged.join("best_model").join(f.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        damaged.join("best_model/model.safetensors"),
        b"not a tensor file",
    )
    .unwrap();
    fails_with(
        &[
            "evaluate",
            "--run",
            s(&damaged),
            "--predictions",
            p,
            "--out",
            s(&dir.join("e1")),
        ],
        "model.safetensors",
    );
    // Predictions with another model set.
    let other = dir.join("other.csv");
    let text = std::fs::read_to_string(&preds)
        .unwrap()
        .replacen("naive", "drift", 1);
    std::fs::write(&other, text).unwrap();
    fails_with(
        &[
            "evaluate",
            "--run",
            s(&run),
            "--predictions",
            s(&other),
            "--out",
            s(&dir.join("e2")),
        ],
        "do not match the run's model set",
    );
    // Out-of-range test split.
    fails_with(
        &[
            "evaluate",
            "--run",
            s(&run),
            "--predictions",
            p,
            "--test-start",
            "300",
            "--test-end",
            "900",
            "--out",
            s(&dir.join("e3")),
        ],
        "outside the table",
    );
    // Not a run folder.
    fails_with(
        &[
            "evaluate",
            "--run",
            s(&dir),
            "--predictions",
            p,
            "--out",
            s(&dir.join("e4")),
        ],
        "not a run folder",
    );
}

/// Ctrl-C (SIGINT) stops training with a checkpoint and exit status 130 (as shells expect of
/// an interrupted command); `--resume` continues from it.
#[cfg(unix)]
#[test]
fn ctrl_c_saves_a_checkpoint_and_resume_continues() {
    let dir = scratch("sigint");
    let preds = backtest(&dir);
    let config = dir.join("long.toml");
    std::fs::write(
        &config,
        TINY.replace("1024", "100000000")
            .replace("checkpoint_every = 1", "checkpoint_every = 1000"),
    )
    .unwrap();
    let run = dir.join("run");
    let child = Command::new(env!("CARGO_BIN_EXE_metablend"))
        .args(train_args(&preds, &config, &run, false))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let log = run.join("metrics.jsonl");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) < 2 {
        assert!(started.elapsed().as_secs() < 120, "training did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: checkpoint saved"), "{stderr}");
    assert!(run.join("checkpoint/trainer.json").is_file());
    let steps: u64 = stdout.split_whitespace().next().unwrap().parse().unwrap();
    // Resume for one more update.
    let longer = TINY.replace("1024", &(steps + 512).to_string());
    std::fs::write(
        &config,
        longer.replace("checkpoint_every = 1", "checkpoint_every = 1000"),
    )
    .unwrap();
    let (ok, out, err) = metablend(&train_args(&preds, &config, &run, true));
    let expected = format!("{} env steps", steps + 512);
    assert!(ok && out.contains(&expected), "{out}{err}");
}

/// `collect` logs a noisy version of a run's policy; `ope` estimates a nearby policy from
/// that log, next to its replayed value; damaged logs fail naming the line.
#[test]
fn collect_and_ope_on_the_ensemble_env() {
    let dir = scratch("ope");
    let (preds, _, run) = pipeline(&dir);
    let log = dir.join("log.jsonl");
    let (ok, out, err) = metablend(&[
        "collect",
        "--run",
        s(&run),
        "--predictions",
        s(&preds),
        "--policy",
        "noise:0.5",
        "--episode-len",
        "6",
        "--episodes",
        "300",
        "--out",
        s(&log),
    ]);
    assert!(ok && out.contains("300 episodes, 1800 steps"), "{out}{err}");
    let json = dir.join("ope.json");
    let (ok, out, err) = metablend(&[
        "ope",
        "--run",
        s(&run),
        "--predictions",
        s(&preds),
        "--log",
        s(&log),
        "--policy",
        "noise:0.45",
        "--episode-len",
        "6",
        "--replay",
        "2000",
        "--bootstrap",
        "200",
        "--json",
        s(&json),
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("| DR |")
            && out.contains("Replayed value")
            && out.contains("effective sample size"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["report"]["estimates"].as_array().unwrap().len(), 5);
    assert!(report["replayed_value"].as_f64().unwrap().is_finite());
    // A damaged log and an unknown policy name.
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"episode\": 0, \"t\": 2";
    let damaged = dir.join("damaged.jsonl");
    std::fs::write(&damaged, lines.join("\n")).unwrap();
    fails_with(
        &[
            "ope",
            "--run",
            s(&run),
            "--predictions",
            s(&preds),
            "--log",
            s(&damaged),
        ],
        "line 3",
    );
    fails_with(
        &[
            "ope",
            "--run",
            s(&run),
            "--predictions",
            s(&preds),
            "--log",
            s(&log),
            "--policy",
            "greedy",
        ],
        "unknown policy `greedy`",
    );
    fails_with(
        &[
            "collect",
            "--run",
            s(&run),
            "--predictions",
            s(&preds),
            "--policy",
            "epsilon:0.1",
            "--out",
            s(&dir.join("x.jsonl")),
        ],
        "select",
    );
}
