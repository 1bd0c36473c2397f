//! `metablend fit` and `forecast` end to end on a small daily panel: a model folder, one row
//! per series and step continuing each series' dates, fallbacks listed, byte-identical
//! reruns, and clear errors for bad panels and damaged models.

use std::path::{Path, PathBuf};

use crate::util::{metablend, s};

/// 8 daily series with a weekly pattern (2024-01-01 to 2024-02-29), and one of 6 days.
fn write_panel(dir: &Path) -> PathBuf {
    let mut text = String::from("unique_id,ds,y\n");
    for i in 0..8 {
        for t in 0..60usize {
            let (month, day) = if t < 31 { (1, t + 1) } else { (2, t - 30) };
            let y = 20.0
                + i as f64
                + 4.0 * ((t % 7) as f64 - 3.0).abs()
                + ((t * 31 + i * 17) % 11) as f64 * 0.3;
            text += &format!("store{i},2024-{month:02}-{day:02},{y}\n");
        }
    }
    for t in 0..6 {
        text += &format!("new_store,2024-03-{:02},{}\n", 1 + t, 10 + t);
    }
    let path = dir.join("sales.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn fit_then_forecast_a_users_panel() {
    let dir = std::env::temp_dir().join(format!("mb-cli-forecast-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = write_panel(&dir);
    let model = dir.join("model");
    let pool = "naive snaive:7 drift ses:7 theta:7";
    let fit = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "fit",
            "--data",
            s(&data),
            "--horizon",
            "7",
            "--pool",
            pool,
            "--out",
            s(out),
            "--no-progress",
        ];
        args.extend_from_slice(extra);
        metablend(&args)
    };
    let (ok, out, err) = fit(&model, &[]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("on 8 of 9 series") && out.contains("season 7"),
        "{out}"
    );
    assert!(out.contains("new_store"), "{out}");
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("model.json")).unwrap()).unwrap();
    assert_eq!(card["meta"], "fforma");
    assert_eq!(card["horizon"], 7);
    assert!(model.join("fforma.safetensors").exists());
    assert!(card.get("fforma_shrinkage").is_none());
    // Shrinkage toward the panel's best member: reported, recorded, and off again on request.
    let shrunk = dir.join("model-shrunk");
    let (ok, out, err) = fit(&shrunk, &["--fforma-shrink"]);
    assert!(ok && out.contains("shrunk toward"), "{out}{err}");
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shrunk.join("model.json")).unwrap()).unwrap();
    let lambda = card["fforma_shrinkage"]["lambda"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&lambda), "{card}");
    let (ok, out, err) = fit(&dir.join("model-plain"), &["--fforma-shrink", "false"]);
    assert!(ok && !out.contains("shrunk toward"), "{out}{err}");
    let forecasts = dir.join("forecasts.csv");
    let forecast_with = |model: &Path, out: &Path| {
        metablend(&[
            "forecast",
            "--model",
            s(model),
            "--data",
            s(&data),
            "--out",
            s(out),
            "--no-progress",
        ])
    };
    let run = |out: &Path| forecast_with(&model, out);
    let (ok, out, err) = run(&forecasts);
    assert!(ok, "{out}{err}");
    let text = std::fs::read_to_string(&forecasts).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 9 * 7);
    assert!(
        lines[0].starts_with("unique_id,ds,metablend,naive,") && lines[0].ends_with(",fallback")
    );
    assert!(lines[0].contains(",w_naive,"), "{}", lines[0]);
    // store0's data end on a leap day: the forecast continues the calendar.
    assert!(lines[1].starts_with("store0,2024-03-01,"), "{}", lines[1]);
    assert!(lines.last().unwrap().starts_with("new_store,2024-03-13,"));
    assert!(lines.last().unwrap().ends_with(",naive2"));
    // Same model and data, byte for byte the same forecasts.
    let again = dir.join("again.csv");
    assert!(run(&again).0);
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
    // Two series are too few to calibrate their own 80% intervals: by default the model's
    // fitted series calibrate them (from the work it kept); on the panel's own, a clear error.
    let two = dir.join("two.csv");
    let panel_text = std::fs::read_to_string(&data).unwrap();
    let rows: Vec<&str> = panel_text.lines().collect();
    let picked = rows
        .iter()
        .filter(|l| l.starts_with("store1,") || l.starts_with("store2,"));
    let renamed: Vec<String> = picked.map(|l| l.replacen("store", "shop", 1)).collect();
    std::fs::write(&two, format!("{}\n{}\n", rows[0], renamed.join("\n"))).unwrap();
    let forecast_two = |extra: &[&str]| {
        let out = dir.join("two-forecasts.csv");
        let mut args = vec!["forecast", "--model", s(&model), "--data", s(&two)];
        args.extend_from_slice(&["--out", s(&out), "--no-progress", "--level", "80"]);
        args.extend_from_slice(extra);
        metablend(&args)
    };
    let (ok, out, err) = forecast_two(&[]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("of the model's fitted series"), "{out}");
    let (ok, out, err) = forecast_two(&["--calibration", "model"]);
    assert!(
        ok && out.contains("of the model's fitted series"),
        "{out}{err}"
    );
    let (ok, _, err) = forecast_two(&["--calibration", "panel"]);
    assert!(!ok && err.contains("needs at least 4 series"), "{err}");
    // The work `fit` kept stood in for the pool's validation windows: without it, the
    // same bytes.
    assert!(model.join("work.msgpack").exists());
    let no_work = dir.join("model-no-work");
    let (ok, out, err) = fit(&no_work, &["--keep-work", "false"]);
    assert!(ok && !no_work.join("work.msgpack").exists(), "{out}{err}");
    let afresh = dir.join("afresh.csv");
    let (ok, out, err) = forecast_with(&no_work, &afresh);
    assert!(ok, "{out}{err}");
    assert_eq!(std::fs::read(&afresh).unwrap(), text.as_bytes());
    // The input is never the output; a damaged model is an error naming the file.
    let (ok, _, err) = run(&data);
    assert!(!ok && err.contains("input"), "{err}");
    std::fs::write(model.join("model.json"), "{").unwrap();
    let (ok, _, err) = run(&dir.join("x.csv"));
    assert!(
        !ok && err.contains("model.json") && err.contains("damaged"),
        "{err}"
    );
    // A folder of the user's is not replaced by a model.
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    let (ok, _, err) = fit(&mine, &[]);
    assert!(!ok && err.contains("--force"), "{err}");
    // The features table: one row per series, the short one empty.
    let table = dir.join("features.csv");
    let (ok, out, err) = metablend(&[
        "features",
        "--data",
        s(&data),
        "--out",
        s(&table),
        "--no-progress",
    ]);
    assert!(ok && out.contains("season 7"), "{out}{err}");
    let text = std::fs::read_to_string(&table).unwrap();
    assert!(text.starts_with("unique_id,x_acf1,"));
    assert_eq!(text.lines().count(), 1 + 9);
    let (ok, _, err) = metablend(&["features", "--data", s(&data), "--out", s(&data)]);
    assert!(!ok && err.contains("input"), "{err}");
    // Rolling-origin evaluation: a report folder with every method.
    let cv = dir.join("cv");
    let (ok, out, err) = metablend(&[
        "cv",
        "--data",
        s(&data),
        "--horizon",
        "7",
        "--windows",
        "2",
        "--pool",
        pool,
        "--level",
        "80",
        "--out",
        s(&cv),
        "--no-progress",
    ]);
    assert!(ok, "{out}{err}");
    for needle in [
        "| metablend (fforma) |",
        "| inverse_error |",
        "| naive2_7 |",
        "coverage 80%",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cv.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["series_scored"], serde_json::json!([8, 8]));
    // Pool models are scored with their own intervals too.
    let naive2 = report["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "naive2_7")
        .unwrap();
    assert_eq!(naive2["coverage"].as_array().map(Vec::len), Some(1));
    for chart in ["owa.png", "owa_by_window.png"] {
        let bytes = std::fs::read(cv.join(chart)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{chart}");
    }
    // The contextual PPO meta-combiner: its policy is saved in the model folder.
    let ppo_model = dir.join("ppo-model");
    let (ok, out, err) = fit(&ppo_model, &["--meta", "ppo", "--ppo-steps", "600"]);
    assert!(ok && out.contains("fitted ppo"), "{out}{err}");
    assert!(ppo_model.join("ppo").join("state.json").exists());
    let ppo_forecasts = dir.join("ppo.csv");
    let (ok, out, err) = metablend(&[
        "forecast",
        "--model",
        s(&ppo_model),
        "--data",
        s(&data),
        "--out",
        s(&ppo_forecasts),
        "--no-progress",
    ]);
    assert!(ok, "{out}{err}");
    let ppo_text = std::fs::read_to_string(&ppo_forecasts).unwrap();
    assert_eq!(ppo_text.lines().count(), 1 + 9 * 7);
    // Bad panels name the series and the line.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "unique_id,ds,y\na,2024-01-01,1\na,2024-01-01,2\n").unwrap();
    let (ok, _, err) = metablend(&[
        "fit",
        "--data",
        s(&bad),
        "--horizon",
        "2",
        "--out",
        s(&dir.join("m2")),
    ]);
    assert!(
        !ok && err.contains("series a") && err.contains("line 3"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
