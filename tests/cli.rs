//! The `metablend` command end to end: success paths print what they say, bad input exits
//! non-zero with one clear message and no panic.

use crate::util::metablend;

fn write_predictions(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("mb-cli-{name}-{}.csv", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_env_accepts_a_valid_predictions_file() {
    let mut text = String::from("timestamp,target,naive,drift\n");
    for t in 0..80 {
        let y = (t as f64 * 0.3).sin() * 5.0 + t as f64 * 0.1;
        text += &format!("d{t},{y},{},{}\n", y + 0.5, y - 0.25);
    }
    let path = write_predictions("ok", &text);
    for map in ["softmax", "residual", "simplex", "select"] {
        let (ok, stdout, stderr) = metablend(&[
            "check-env",
            "--predictions",
            path.to_str().unwrap(),
            "--window",
            "10",
            "--action-map",
            map,
        ]);
        assert!(ok, "{stderr}");
        assert!(
            stdout.contains("env contract holds") && stdout.contains("naive, drift"),
            "{stdout}"
        );
    }
}

#[test]
fn bad_input_exits_non_zero_with_one_clear_message() {
    let bad_cell = write_predictions("bad", "target,a,b\n1,2,3\n4,oops,6\n");
    let short = write_predictions("short", "target,a,b\n1,2,3\n4,5,6\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["check-env", "--predictions", "/no/such/file.csv"],
            "/no/such/file.csv",
        ),
        (
            vec!["check-env", "--predictions", bad_cell.to_str().unwrap()],
            "line 3, column 'a'",
        ),
        (
            vec!["check-env", "--predictions", short.to_str().unwrap()],
            "range",
        ),
        (
            vec![
                "gym",
                "--env",
                "cartpole",
                "--config",
                "/no/such/config.toml",
            ],
            "config",
        ),
    ];
    for (args, want) in cases {
        let (ok, _, stderr) = metablend(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
    }
}

#[test]
fn gym_trains_and_reports_a_table() {
    let cfg = std::env::temp_dir().join(format!("mb-cli-ppo-{}.toml", std::process::id()));
    std::fs::write(
        &cfg,
        "n_envs = 2\nn_steps = 32\nbatch_size = 64\nn_epochs = 2\n",
    )
    .unwrap();
    let (ok, stdout, stderr) = metablend(&[
        "gym",
        "--env",
        "cartpole",
        "--steps",
        "512",
        "--config",
        cfg.to_str().unwrap(),
        "--eval-episodes",
        "2",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("| CartPole-v1 | 0 | 512 |"), "{stdout}");
    std::fs::write(&cfg, "n_envs = 0\n").unwrap();
    let (ok, _, stderr) = metablend(&[
        "gym",
        "--env",
        "cartpole",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("n_envs"), "{stderr}");
}

/// `backtest` turns a series CSV into a predictions CSV that the env crate reads back and
/// that `check-env` accepts; forecasts at t use only rows before t.
#[test]
fn backtest_writes_predictions_the_env_reads() {
    let mut text = String::from("date,open,close\n");
    for t in 0..160 {
        let y = 100.0 + (t as f64 * 0.4).sin() * 3.0 + t as f64 * 0.05;
        text += &format!("2020-{t:03},{},{y}\n", y - 1.0);
    }
    let series = write_predictions("series", &text);
    let out = std::env::temp_dir().join(format!("mb-cli-bt-{}.csv", std::process::id()));
    let (ok, stdout, stderr) = metablend(&[
        "backtest",
        "--series",
        series.to_str().unwrap(),
        "--column",
        "close",
        "--models",
        "naive drift ses arima:1,1,1 theta",
        "--test-size",
        "60",
        "--refit-every",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("60 origins x 5 models") && stdout.contains("| arima(1,1,1) |"),
        "{stdout}"
    );
    let p = metablend_env::Predictions::read_csv(&out).unwrap();
    assert_eq!(p.len(), 60);
    assert_eq!(p.model_names()[0], "naive");
    assert_eq!(p.timestamps().unwrap()[0], "2020-100");
    // Naive's forecast of row t is the close of row t - 1.
    assert_eq!(p.pred(1)[0], p.target()[0]);
    let (ok, stdout, stderr) = metablend(&[
        "check-env",
        "--predictions",
        out.to_str().unwrap(),
        "--window",
        "10",
    ]);
    assert!(
        ok && stdout.contains("env contract holds"),
        "{stdout}{stderr}"
    );
    // `compare` scores every model and combiner on the second half, in three formats.
    let md = out.with_extension("md");
    let json = out.with_extension("json");
    let (ok, stdout, stderr) = metablend(&[
        "compare",
        "--predictions",
        out.to_str().unwrap(),
        "--train-frac",
        "0.5",
        "--markdown",
        md.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("evaluation rows 30..60") && stdout.contains("oracle_convex (ORACLE)"),
        "{stdout}"
    );
    assert!(std::fs::read_to_string(&md).unwrap().contains("| hedge |"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["methods"].as_array().unwrap().len(), 5 + 9);
    let (ok, _, stderr) = metablend(&[
        "compare",
        "--predictions",
        out.to_str().unwrap(),
        "--train-end",
        "60",
    ]);
    assert!(
        !ok && stderr.contains("no training or no evaluation rows"),
        "{stderr}"
    );
}

#[test]
fn backtest_bad_input_is_one_clear_message() {
    let series = write_predictions("bt-bad", "t,value\n0,1\n1,x\n");
    let out = std::env::temp_dir().join(format!("mb-cli-bt-bad-out-{}.csv", std::process::id()));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--series", series.to_str().unwrap(), "--test-size", "1"],
            "line 3",
        ),
        (
            vec!["--series", "/no/such.csv", "--test-size", "1"],
            "/no/such.csv",
        ),
        (
            vec![
                "--series",
                series.to_str().unwrap(),
                "--models",
                "naive prophet",
                "--test-size",
                "1",
            ],
            "unknown model",
        ),
        (
            vec![
                "--series",
                series.to_str().unwrap(),
                "--models",
                "snaive:0 naive",
                "--test-size",
                "1",
            ],
            "period",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["backtest", "--out", out.to_str().unwrap()];
        full.extend(args);
        let (ok, _, stderr) = metablend(&full);
        assert!(
            !ok && stderr.contains(needle) && !stderr.contains("panicked"),
            "{full:?}: {stderr}"
        );
    }
}
