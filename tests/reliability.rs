//! Users' files are never lost and interrupted or damaged runs never pass for complete ones:
//! one test per way a command could destroy a file, leave a wrong result that looks right,
//! or exhaust memory (killed children, signals at chosen moments, folders of the user's).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{metablend, s, train_args};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mb-rel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A predictions table of `rows` rows and three models, one of them much better than the
/// others on the first half and worse on the second.
fn predictions(dir: &Path, rows: usize, scale: f64) -> PathBuf {
    let mut text = String::from("t,target,a,b,c\n");
    for t in 0..rows {
        let y = scale * ((t as f64 * 0.2).sin() * 5.0 + t as f64 * 0.01);
        let (ea, eb) = if t < rows / 2 { (0.1, 0.8) } else { (0.8, 0.1) };
        text += &format!("{t},{y},{},{},{}\n", y + ea, y - eb, y + 0.4);
    }
    let path = dir.join(format!("preds-{rows}-{scale:e}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

const TINY: &str = "total_timesteps = 1024\neval_every = 1\ncheckpoint_every = 1\n[env]\nwindow = 10\nepisode_len = 32\n[ppo]\nn_envs = 2\nn_steps = 128\nbatch_size = 64\nn_epochs = 2\ngamma = 0.5\n";

fn train(preds: &Path, config: &Path, run: &Path, resume: bool) -> (bool, String, String) {
    metablend(&train_args(preds, config, run, resume))
}

/// `metablend collect` of a run's policy: `episodes` episodes of `len` steps into `out`.
fn collect(
    run: &Path,
    preds: &Path,
    episodes: &str,
    len: &str,
    out: &Path,
) -> (bool, String, String) {
    metablend(&[
        "collect",
        "--run",
        s(run),
        "--predictions",
        s(preds),
        "--episodes",
        episodes,
        "--episode-len",
        len,
        "--out",
        s(out),
    ])
}

/// A trained run folder on a 400-row table.
fn trained(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let preds = predictions(dir, 400, 1.0);
    let config = dir.join("tiny.toml");
    std::fs::write(&config, TINY).unwrap();
    let run = dir.join("run");
    let (ok, out, err) = train(&preds, &config, &run, false);
    assert!(ok, "{out}{err}");
    (preds, config, run)
}

fn spawn(args: &[&str], cwd: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_metablend"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `path` has at least `lines` lines (a training run is under way).
fn wait_for_lines(path: &Path, lines: usize) {
    let started = Instant::now();
    while std::fs::read_to_string(path).map_or(0, |t| t.lines().count()) < lines {
        assert!(
            started.elapsed().as_secs() < 120,
            "{} never grew",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Items 1 and 2: the current folder, its parents and folders of the user's are never
/// replaced; a folder the same command wrote is, and `--force` replaces the rest.
#[test]
fn report_folders_never_replace_the_current_folder_or_the_users_files() {
    let dir = scratch("cwd");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("a"), "mine").unwrap();
    for out in [".", "..", "./", "sub/.."] {
        let child = spawn(&["run", "--quick", "--no-progress", "--out", out], &work);
        let done = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&done.stderr);
        assert!(
            !done.status.success() && err.contains("current folder"),
            "{out}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(work.join("a")).unwrap(), "mine");
    let user = dir.join("u");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("notes.txt"), "keep").unwrap();
    for cmd in [
        &["run", "--quick"][..],
        &["m4", "--quick", "--series", "3"][..],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--no-progress", "--out", s(&user)]);
        let (ok, _, err) = metablend(&args);
        assert!(
            !ok && err.contains("did not write") && err.contains("--force"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(user.join("notes.txt")).unwrap(),
        "keep"
    );
    let (ok, _, err) = metablend(&[
        "run",
        "--quick",
        "--no-progress",
        "--force",
        "--out",
        s(&user),
    ]);
    assert!(ok, "{err}");
    assert!(user.join("report.md").exists() && !user.join("notes.txt").exists());
    // Now a report of `run`: `run` replaces it, `m4` does not.
    let (ok, _, err) = metablend(&["m4", "--quick", "--no-progress", "--out", s(&user)]);
    assert!(!ok && err.contains("`metablend run`"), "{err}");
}

/// Item 3: an output that is an input is refused, and so is a read-only output file; the
/// files stay as they were.
#[test]
fn outputs_that_are_inputs_or_read_only_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("inputs");
    let (preds, _, run) = trained(&dir);
    let before = std::fs::read(&preds).unwrap();
    let series = dir.join("s.csv");
    std::fs::write(&series, "t,value\n0,1\n1,2\n2,3\n3,4\n4,5\n5,6\n").unwrap();
    let log = dir.join("log.jsonl");
    let (ok, _, err) = collect(&run, &preds, "3", "4", &log);
    assert!(ok, "{err}");
    let log_before = std::fs::read(&log).unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "backtest",
            "--series",
            s(&series),
            "--models",
            "naive drift",
            "--test-size",
            "2",
            "--out",
            s(&series),
        ],
        vec!["compare", "--predictions", s(&preds), "--json", s(&preds)],
        vec![
            "collect",
            "--run",
            s(&run),
            "--predictions",
            s(&preds),
            "--out",
            s(&preds),
        ],
        vec![
            "ope",
            "--run",
            s(&run),
            "--predictions",
            s(&preds),
            "--log",
            s(&log),
            "--markdown",
            s(&log),
        ],
        vec![
            "evaluate",
            "--run",
            s(&run),
            "--predictions",
            s(&preds),
            "--out",
            s(&run),
        ],
    ];
    for args in cases {
        let (ok, _, err) = metablend(&args);
        assert!(!ok && err.contains("input"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(&preds).unwrap(), before);
    assert_eq!(std::fs::read(&log).unwrap(), log_before);
    let locked = dir.join("locked.md");
    std::fs::write(&locked, "old").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (ok, _, err) = metablend(&[
        "compare",
        "--predictions",
        s(&preds),
        "--markdown",
        s(&locked),
    ]);
    assert!(!ok && err.contains("read-only"), "{err}");
    assert_eq!(std::fs::read_to_string(&locked).unwrap(), "old");
}

/// Item 5: a second writer of a run folder is refused while the first runs.
#[test]
fn a_run_folder_has_one_writer() {
    let dir = scratch("lock");
    let preds = predictions(&dir, 400, 1.0);
    let config = dir.join("long.toml");
    std::fs::write(&config, TINY.replace("1024", "100000000")).unwrap();
    let run = dir.join("run");
    let first = spawn(
        &[
            "train",
            "--predictions",
            s(&preds),
            "--config",
            s(&config),
            "--out",
            s(&run),
        ],
        &dir,
    );
    wait_for_lines(&run.join("metrics.jsonl"), 2);
    for resume in [false, true] {
        let (ok, _, err) = train(&preds, &config, &run, resume);
        assert!(
            !ok && err.contains(&format!("in use by process {}", first.id())),
            "{err}"
        );
    }
    signal(&first, "-KILL");
    let _ = first.wait_with_output();
    // The lock died with its process: a resume to a small budget either finishes it or says
    // the steps were already taken, but no longer sees a writer.
    let short = dir.join("short.toml");
    std::fs::write(&short, TINY).unwrap();
    let (_, _, err) = train(&preds, &short, &run, true);
    assert!(!err.contains("in use"), "{err}");
}

/// Items 6 and 9: a resume after `kill -9` continues without repeating iterations in the
/// log or the validation history; a damaged history is an error, not a reset; a smaller step
/// budget than already trained is refused.
#[test]
fn resume_after_a_kill_counts_every_update_once_and_damage_is_an_error() {
    let dir = scratch("resume");
    let preds = predictions(&dir, 400, 1.0);
    let config = dir.join("long.toml");
    std::fs::write(
        &config,
        TINY.replace("1024", "100000000")
            .replace("checkpoint_every = 1", "checkpoint_every = 3"),
    )
    .unwrap();
    let run = dir.join("run");
    let child = spawn(
        &[
            "train",
            "--predictions",
            s(&preds),
            "--config",
            s(&config),
            "--out",
            s(&run),
        ],
        &dir,
    );
    wait_for_lines(&run.join("metrics.jsonl"), 5);
    signal(&child, "-KILL");
    let _ = child.wait_with_output();
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("checkpoint/state.json")).unwrap())
            .unwrap();
    let done = state["num_timesteps"].as_u64().unwrap();
    let longer = dir.join("longer.toml");
    std::fs::write(
        &longer,
        TINY.replace("1024", &(done + 1024).to_string())
            .replace("checkpoint_every = 1", "checkpoint_every = 3"),
    )
    .unwrap();
    let (ok, out, err) = train(&preds, &longer, &run, true);
    assert!(ok, "{out}{err}");
    let iterations: Vec<u64> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["iteration"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let expected: Vec<u64> = (1..=iterations.len() as u64).collect();
    assert_eq!(iterations, expected);
    let validation: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("validation.json")).unwrap())
            .unwrap();
    let steps: Vec<u64> = validation["curve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_u64().unwrap())
        .collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    // Fewer steps than already taken.
    let shorter = dir.join("shorter.toml");
    std::fs::write(
        &shorter,
        TINY.replace("1024", "256")
            .replace("checkpoint_every = 1", "checkpoint_every = 3"),
    )
    .unwrap();
    let (ok, _, err) = train(&preds, &shorter, &run, true);
    assert!(!ok && err.contains("already taken"), "{err}");
    // A damaged validation history.
    let best = std::fs::read(run.join("best_model/model.safetensors")).unwrap();
    std::fs::write(run.join("validation.json"), "{ damaged").unwrap();
    let more = dir.join("more.toml");
    std::fs::write(
        &more,
        TINY.replace("1024", &(done + 4096).to_string())
            .replace("checkpoint_every = 1", "checkpoint_every = 3"),
    )
    .unwrap();
    let (ok, _, err) = train(&preds, &more, &run, true);
    assert!(
        !ok && err.contains("validation.json") && err.contains("damaged"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(run.join("best_model/model.safetensors")).unwrap(),
        best
    );
}

/// Item 8: Ctrl-C in `run` or `m4` keeps the previous report, says so and exits with 130.
#[test]
fn an_interrupted_job_keeps_the_previous_report_and_exits_130() {
    let dir = scratch("sigint-run");
    let out = dir.join("report");
    let (ok, _, err) = metablend(&["run", "--quick", "--no-progress", "--out", s(&out)]);
    assert!(ok, "{err}");
    let summary = std::fs::read(out.join("summary.json")).unwrap();
    for args in [
        vec!["run", "--no-progress", "--out", s(&out)],
        vec![
            "m4",
            "--quick",
            "--no-progress",
            "--series",
            "20",
            "--out",
            s(&dir.join("m4")),
        ],
    ] {
        let child = spawn(&args, &dir);
        std::thread::sleep(Duration::from_millis(1500));
        signal(&child, "-INT");
        let done = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(130), "{args:?}: {err}");
        assert!(err.contains("interrupted"), "{err}");
    }
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), summary);
    assert!(!dir.join("m4").exists());
    let debris: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(debris.is_empty(), "{debris:?}");
}

/// Item 10: silent wrong data becomes an error or a warning.
#[test]
fn wrong_data_and_settings_are_reported_not_used() {
    let dir = scratch("wrong");
    let (preds, config, run) = trained(&dir);
    // Same shape, other values.
    let other = predictions(&dir, 400, 2.0);
    let (ok, _, err) = train(&other, &config, &run, true);
    assert!(!ok && err.contains("differs"), "{err}");
    // Evaluating on the rows the policy was trained on.
    let (ok, _, err) = metablend(&[
        "evaluate",
        "--run",
        s(&run),
        "--predictions",
        s(&preds),
        "--test-start",
        "50",
        "--test-end",
        "150",
        "--out",
        s(&dir.join("eval")),
    ]);
    assert!(
        ok && err.contains("warning") && err.contains("trained or selected on"),
        "{err}"
    );
    // A replay whose episodes are not the log's.
    let log = dir.join("log.jsonl");
    let (ok, _, err) = collect(&run, &preds, "5", "8", &log);
    assert!(ok, "{err}");
    let (ok, _, err) = metablend(&[
        "ope",
        "--run",
        s(&run),
        "--predictions",
        s(&preds),
        "--log",
        s(&log),
        "--replay",
        "10",
    ]);
    assert!(!ok && err.contains("--episode-len 8"), "{err}");
    // Settings that cannot work.
    let (m_out, mo_out) = (dir.join("m"), dir.join("mo"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "m4",
                "--quick",
                "--seeds",
                "0",
                "--no-progress",
                "--out",
                s(&m_out),
            ],
            "seed",
        ),
        (
            vec![
                "metaopt",
                "train",
                "--iterations",
                "0",
                "--finetune-iterations",
                "0",
                "--out",
                s(&mo_out),
            ],
            "trains nothing",
        ),
    ];
    for (args, needle) in cases {
        let (ok, _, err) = metablend(&args);
        assert!(!ok && err.contains(needle), "{args:?}: {err}");
    }
    let zero_clip = dir.join("clip.toml");
    std::fs::write(&zero_clip, format!("{TINY}max_grad_norm = 0\n")).unwrap();
    let (ok, _, err) = train(&preds, &zero_clip, &dir.join("run-clip"), false);
    assert!(!ok && err.contains("max_grad_norm"), "{err}");
    let huge = predictions(&dir, 400, 1e300);
    let (ok, _, err) = train(&huge, &config, &dir.join("run-huge"), false);
    assert!(!ok && err.contains("validation MSE"), "{err}");
    // --quick does not cap what is given explicitly.
    let out = dir.join("m4q");
    let (ok, _, err) = metablend(&[
        "m4",
        "--quick",
        "--series",
        "6",
        "--folds",
        "0",
        "--seeds",
        "1",
        "--ppo-steps",
        "4096",
        "--no-progress",
        "--out",
        s(&out),
    ]);
    assert!(ok, "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["ppo_steps"], 4096);
}

/// Item 11: sizes that cannot fit are errors, not aborts.
#[test]
fn absurd_sizes_are_clear_errors() {
    let dir = scratch("sizes");
    let (preds, _, run) = trained(&dir);
    let log = dir.join("log.jsonl");
    let (ok, _, err) = collect(&run, &preds, "3", "4", &log);
    assert!(ok, "{err}");
    let env = ["--run", s(&run), "--predictions", s(&preds)];
    let l2 = dir.join("l2");
    let cases: Vec<Vec<&str>> = vec![
        [
            &["collect"][..],
            &env,
            &["--episodes", "10000000000", "--out", s(&l2)],
        ]
        .concat(),
        [
            &["ope"][..],
            &env,
            &["--log", s(&log), "--bootstrap", "10000000000"],
        ]
        .concat(),
        [
            &["ope"][..],
            &env,
            &[
                "--log",
                s(&log),
                "--episode-len",
                "4",
                "--replay",
                "10000000000",
            ],
        ]
        .concat(),
    ];
    for args in cases {
        let (ok, _, err) = metablend(&args);
        assert!(
            !ok && err.contains("available") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
    let wide = dir.join("wide.toml");
    std::fs::write(&wide, format!("{TINY}net_arch = [100000000]\n")).unwrap();
    let (ok, _, err) = train(&preds, &wide, &dir.join("run-wide"), false);
    assert!(!ok && err.contains("net_arch"), "{err}");
}

/// Item 12 and the smaller items: OPE logs are read with a bounded line length and a BOM;
/// no bootstrap means no interval; predictions CSVs may be gzip'd, must be in time order;
/// a NaN cell is called what it is; an empty config is an error.
#[test]
fn inputs_are_read_as_their_users_expect() {
    let dir = scratch("inputs2");
    let (preds, _, run) = trained(&dir);
    let log = dir.join("log.jsonl");
    let (ok, _, err) = collect(&run, &preds, "1", "4", &log);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, format!("\u{feff}{text}")).unwrap();
    let (ok, out, err) = metablend(&[
        "ope",
        "--run",
        s(&run),
        "--predictions",
        s(&preds),
        "--log",
        s(&log),
        "--bootstrap",
        "0",
    ]);
    assert!(ok && out.contains("unavailable"), "{out}{err}");
    let giant = dir.join("giant.jsonl");
    std::fs::write(&giant, vec![b'x'; (16 << 20) + 10]).unwrap();
    let (ok, _, err) = metablend(&[
        "ope",
        "--run",
        s(&run),
        "--predictions",
        s(&preds),
        "--log",
        s(&giant),
    ]);
    assert!(!ok && err.contains("longer than"), "{err}");
    // A gzip'd predictions file is read as such.
    let gz = dir.join("preds.csv.gz");
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(&std::fs::read(&preds).unwrap()).unwrap();
        enc.finish().unwrap();
    }
    let (ok, _, err) = metablend(&["compare", "--predictions", s(&gz)]);
    assert!(ok, "{err}");
    let backwards = dir.join("backwards.csv");
    std::fs::write(
        &backwards,
        "date,target,a,b\n2024-01-02,1,1,1\n2024-01-01,2,2,2\n",
    )
    .unwrap();
    let (ok, _, err) = metablend(&["compare", "--predictions", s(&backwards)]);
    assert!(
        !ok && err.contains("line 3") && err.contains("time order"),
        "{err}"
    );
    let series = dir.join("nan.csv");
    std::fs::write(&series, "t,value\n0,1\n1,NaN\n2,3\n").unwrap();
    let (ok, _, err) = metablend(&[
        "backtest",
        "--series",
        s(&series),
        "--models",
        "naive drift",
        "--test-size",
        "1",
        "--out",
        s(&dir.join("bt.csv")),
    ]);
    assert!(!ok && err.contains("missing value `NaN`"), "{err}");
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let (ok, _, err) = metablend(&[
        "train",
        "--predictions",
        s(&preds),
        "--config",
        s(&empty),
        "--out",
        s(&dir.join("r2")),
    ]);
    assert!(!ok && err.contains("empty"), "{err}");
}
