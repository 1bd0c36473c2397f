use metablend_core::Silent;
use metablend_ensemble::panel::{read_panel_from, PanelOptions};

use super::*;

/// A daily panel: `n` seasonal series of different levels, one short and one constant.
fn panel(n: usize, len: usize) -> Panel {
    let mut text = String::from("unique_id,ds,y\n");
    for i in 0..n {
        for t in 0..len {
            let day = chrono_day(t);
            let y = 10.0 * (i + 1) as f64
                + 3.0 * ((t % 7) as f64 - 3.0)
                + 0.05 * t as f64 * (i % 3) as f64
                + ((t * 7919 + i * 104_729) % 13) as f64 * 0.1;
            text += &format!("s{i},{day},{y}\n");
        }
    }
    for t in 0..5 {
        text += &format!("short,{},1{t}\n", chrono_day(t));
    }
    for t in 0..60 {
        text += &format!("flat,{},4\n", chrono_day(t));
    }
    read_panel_from(text.as_bytes(), "mem.csv", &PanelOptions::default()).unwrap()
}

fn chrono_day(t: usize) -> String {
    let base = 738_000 + t as i32; // days from 0001-01-01: 2021-07-29 onwards
    let d = chrono::NaiveDate::from_num_days_from_ce_opt(base).unwrap();
    d.format("%Y-%m-%d").to_string()
}

fn options(meta: MetaLearner) -> FitOptions {
    FitOptions {
        horizon: 7,
        season: None,
        models: Some(ModelSpec::parse_list("naive snaive:7 drift ses:7 theta:7", 7).unwrap()),
        meta,
        seed: 0,
        fforma_objective: Default::default(),
        fforma_inputs: Default::default(),
        fforma_shrink: false,
        fforma_bag: 1,
        ppo: Default::default(),
        global: None,
        keep_work: true,
    }
}

/// Damages `file` of the model folder `dir`: loading it is an error naming the file.
fn assert_damage_is_named(dir: &std::path::Path, file: &str) {
    std::fs::write(dir.join(file), b"damaged").unwrap();
    let err = MetaModel::load(dir).err().unwrap().to_string();
    assert!(err.contains(file), "{err}");
}

/// Sets the `format` of the card at `path`.
fn object_format(path: &std::path::Path, format: u32) {
    let mut card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    card["format"] = format.into();
    std::fs::write(path, card.to_string()).unwrap();
}

#[test]
fn a_member_s_intervals_are_those_of_a_combination_that_picks_it_alone() {
    // Weights one-hot on model k for every series make the combination model k, so its
    // intervals, calibrated on the same window, must be model k's own.
    let p = panel(20, 70);
    let (m, models) = resolve(&p, &options(MetaLearner::Equal)).unwrap();
    let windows = Windows {
        earlier: true,
        ..Windows::default()
    };
    let prepared = Prepared::new(&p, &models, None, (7, m), None, windows, &Silent).unwrap();
    let ctx = prepared.ctx.as_ref().unwrap();
    let naive2 = prepared.naive2;
    let levels = [80.0, 95.0];
    for k in 0..models.len() {
        let mut hot = vec![0.0; models.len()];
        hot[k] = 1.0;
        let weights = vec![hot; prepared.eligible.len()];
        let earlier = prepared.earlier.as_ref();
        let c = intervals::calibrate(ctx, earlier, &weights, naive2, &levels, CalibrateOn::Panel)
            .unwrap();
        assert_eq!(c.info.window, "earlier");
        assert_eq!(c.quantiles, c.members[k], "model {k}");
        assert_ne!(c.members[k], c.members[(k + 1) % models.len()]);
    }
}

#[test]
fn fit_save_load_forecast_continues_each_series() {
    let p = panel(20, 70);
    let model = fit(&p, &options(MetaLearner::Fforma), &Silent).unwrap();
    assert_eq!(model.card.period, 7, "daily data: weekly season");
    assert_eq!(model.card.fallbacks, ["short", "flat"]);
    assert!(model.card.names.iter().any(|n| n.starts_with("naive2")));
    let dir = std::env::temp_dir().join(format!("mb-fit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    model.save(&dir).unwrap();
    let loaded = MetaModel::load(&dir).unwrap();
    assert_eq!(loaded.card, {
        let mut c = model.card.clone();
        c.learner_sha256 = loaded.card.learner_sha256.clone();
        c.work_sha256 = loaded.card.work_sha256.clone();
        c
    });
    let a = forecast(&model, &p, &[80.0, 95.0], &Silent).unwrap();
    let b = forecast(&loaded, &p, &[80.0, 95.0], &Silent).unwrap();
    assert_eq!(a, b, "the saved model forecasts as the fitted one");
    assert_eq!(a.rows.len(), 22 * 7);
    // Calibrated on the window before the validation window (it chose no weights).
    let info = a.calibration.clone().unwrap();
    assert_eq!((info.window.as_str(), info.series), ("earlier", 20));
    // Series too short for that window: the model's fitted series have it, and calibrate
    // (auto); on the panel's own, the validation window is used, and said.
    let mut long_horizon = options(MetaLearner::InverseError);
    long_horizon.horizon = 12;
    let m12 = fit(&p, &long_horizon, &Silent).unwrap();
    let short = panel(20, 40);
    let c = forecast(&m12, &short, &[80.0], &Silent).unwrap();
    let info = c.calibration.unwrap();
    assert_eq!(
        (info.on, info.window.as_str(), info.series),
        (CalibrateOn::Model, "earlier", 20)
    );
    let on_panel = ForecastOptions {
        levels: vec![80.0],
        calibrate_on: CalibrateOn::Panel,
    };
    let c = forecast_with(&m12, &short, &on_panel, &Silent).unwrap();
    let info = c.calibration.unwrap();
    assert_eq!(
        (info.on, info.window.as_str(), info.series),
        (CalibrateOn::Panel, "validation", 20)
    );
    let first = &a.rows[0];
    assert_eq!(
        (first.unique_id.as_str(), first.ds.clone()),
        ("s0", chrono_day(70))
    );
    assert!((first.weights.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    let combined: f64 = first
        .weights
        .iter()
        .zip(&first.models)
        .map(|(w, f)| w * f)
        .sum();
    assert!((combined - first.forecast).abs() < 1e-9);
    for r in &a.rows {
        let [(lo80, hi80), (lo95, hi95)] = r.intervals[..] else {
            panic!("two levels")
        };
        assert!(lo95 <= lo80 && lo80 <= r.forecast && r.forecast <= hi80 && hi80 <= hi95);
    }
    // Each pool model has its own nested intervals around its own forecast; a fallback
    // series has none.
    for r in a.rows.iter().filter(|r| r.fallback.is_none()) {
        assert_eq!(r.model_intervals.len(), r.models.len());
        for (f, b) in r.models.iter().zip(&r.model_intervals) {
            let [(lo80, hi80), (lo95, hi95)] = b[..] else {
                panic!("two levels")
            };
            assert!(lo95 <= lo80 && lo80 <= *f && *f <= hi80 && hi80 <= hi95);
        }
    }
    assert!(a
        .rows
        .iter()
        .filter(|r| r.fallback.is_some())
        .all(|r| r.model_intervals.is_empty()));
    // The flat series has no error scale spread: its interval has width 0.
    let flat_row = a.rows.iter().find(|r| r.unique_id == "flat").unwrap();
    assert_eq!(flat_row.intervals[1], (4.0, 4.0));
    assert_eq!(a.fallbacks(), ["short", "flat"]);
    let flat: Vec<f64> = a
        .rows
        .iter()
        .filter(|r| r.unique_id == "flat")
        .map(|r| r.forecast)
        .collect();
    assert_eq!(flat, vec![4.0; 7]);
    // A format-1 card (no PPO, global MLP or FFORMA options) still loads and forecasts the
    // same; a newer format is refused with a clear message.
    let card_path = dir.join("model.json");
    let text = std::fs::read_to_string(&card_path).unwrap();
    let mut card: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = card.as_object_mut().unwrap();
    for key in ["ppo", "global", "fforma_inputs"] {
        object.remove(key);
    }
    object["fforma"]
        .as_object_mut()
        .unwrap()
        .remove("objective");
    object["format"] = 1.into();
    std::fs::write(&card_path, card.to_string()).unwrap();
    let old = MetaModel::load(&dir).unwrap();
    assert_eq!(forecast(&old, &p, &[80.0, 95.0], &Silent).unwrap(), a);
    object_format(&card_path, MODEL_FORMAT + 1);
    let err = MetaModel::load(&dir).err().unwrap().to_string();
    assert!(
        err.contains(&format!("format {}", MODEL_FORMAT + 1)),
        "{err}"
    );
    std::fs::write(&card_path, text).unwrap();
    // A damaged learner is an error naming the file.
    assert_damage_is_named(&dir, "fforma.safetensors");
    std::fs::remove_dir_all(&dir).ok();
}

/// The model `opts` fits on `p` keeping its work, and the one it fits without.
fn fit_kept_and_plain(p: &Panel, mut opts: FitOptions) -> (MetaModel, MetaModel) {
    opts.keep_work = true;
    let kept = fit(p, &opts, &Silent).unwrap();
    opts.keep_work = false;
    (kept, fit(p, &opts, &Silent).unwrap())
}

#[test]
fn forecast_of_the_fitted_panel_reuses_the_kept_work_with_the_same_result() {
    let p = panel(20, 70);
    let mut opts = options(MetaLearner::Fforma);
    opts.global = Some(GlobalMlpConfig {
        input: 14,
        hidden: 8,
        steps: 40,
        ..GlobalMlpConfig::default()
    });
    let (kept, plain) = fit_kept_and_plain(&p, opts);
    assert!(plain.work.is_none());
    assert_eq!(
        kept.card, plain.card,
        "keeping the work changes nothing learnt"
    );
    let work = kept.work.as_ref().unwrap();
    assert!(work.earlier && work.matches(&p));
    assert_eq!(work.fits.len(), 22);
    let with_earlier = work
        .fits
        .iter()
        .filter_map(|f| f.pool.as_ref()?.earlier.as_ref());
    assert!(with_earlier
        .into_iter()
        .all(|e| e.forecasts.len() == kept.card.names.len()));
    let levels = [80.0, 95.0];
    for lv in [&[][..], &levels[..]] {
        let (a, b) = (
            forecast(&kept, &p, lv, &Silent),
            forecast(&plain, &p, lv, &Silent),
        );
        assert_eq!(a.unwrap(), b.unwrap(), "levels {lv:?}");
    }
    // Saved and loaded, the work is the same and checked.
    let dir = std::env::temp_dir().join(format!("mb-kept-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    kept.save(&dir).unwrap();
    let mut loaded = MetaModel::load(&dir).unwrap();
    assert_eq!(loaded.work, kept.work);
    let reference = forecast(&plain, &p, &levels, &Silent).unwrap();
    // The kept work is what `forecast` reads for the fitted panel: altered, the forecasts
    // follow it...
    let fit0 = &mut loaded.work.as_mut().unwrap().fits[0];
    fit0.pool.as_mut().unwrap().validation[0][0] += 100.0;
    assert_ne!(forecast(&loaded, &p, &levels, &Silent).unwrap(), reference);
    // ...and a panel with one value changed is not the fitted one: its work is done afresh.
    let mut q = p.clone();
    q.series[3].values[10] += 1.0;
    assert!(!kept.work.as_ref().unwrap().matches(&q));
    let fresh = forecast(&plain, &q, &levels, &Silent).unwrap();
    assert_eq!(forecast(&loaded, &q, &levels, &Silent).unwrap(), fresh);
    // A damaged work file is an error naming it.
    assert_damage_is_named(&dir, "work.msgpack");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn without_a_global_mlp_each_unchanged_series_reuses_its_kept_work() {
    let p = panel(20, 70);
    let (mut kept, plain) = fit_kept_and_plain(&p, options(MetaLearner::Fforma));
    // Another panel: s3 has a changed value, s0 is left out, and a new series joins.
    let mut q = p.clone();
    q.series[3].values[10] += 1.0;
    let mut new = q.series[5].clone();
    new.id = "new".into();
    new.values.iter_mut().for_each(|v| *v *= 2.0);
    q.series.remove(0);
    q.series.push(new);
    let levels = [80.0, 95.0];
    let fresh = forecast(&plain, &q, &levels, &Silent).unwrap();
    assert_eq!(forecast(&kept, &q, &levels, &Silent).unwrap(), fresh);
    // Which series read their kept work: alter the work of s3 (changed) and s5 (unchanged).
    let work = kept.work.as_mut().unwrap();
    for i in [3, 5] {
        work.fits[i].pool.as_mut().unwrap().validation[0][0] += 100.0;
    }
    let altered = forecast(&kept, &q, &levels, &Silent).unwrap();
    // (Point forecasts and weights: the intervals pool every series' errors.)
    let rows = |f: &Forecasts, id: &str| -> Vec<(f64, Vec<f64>, Vec<f64>)> {
        let of_id = f.rows.iter().filter(|r| r.unique_id == id);
        of_id
            .map(|r| (r.forecast, r.models.clone(), r.weights.clone()))
            .collect()
    };
    assert_eq!(
        rows(&altered, "s3"),
        rows(&fresh, "s3"),
        "changed: worked afresh"
    );
    assert_eq!(
        rows(&altered, "new"),
        rows(&fresh, "new"),
        "new: worked afresh"
    );
    assert_ne!(
        rows(&altered, "s5"),
        rows(&fresh, "s5"),
        "unchanged: kept work"
    );
}

#[test]
fn the_ppo_meta_combiner_is_saved_with_its_policy_and_forecasts_the_same() {
    let p = panel(20, 70);
    let mut opts = options(MetaLearner::Ppo);
    opts.ppo.steps = 1_000;
    let model = fit(&p, &opts, &Silent).unwrap();
    assert_eq!(model.card.ppo, Some(opts.ppo));
    assert!(model.learner.is_none() && model.ppo.is_some());
    let dir = std::env::temp_dir().join(format!("mb-fit-ppo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    model.save(&dir).unwrap();
    let loaded = MetaModel::load(&dir).unwrap();
    let card = ModelCard {
        work_sha256: None,
        ..loaded.card.clone()
    };
    assert_eq!(card, model.card);
    assert!(loaded.card.work_sha256.is_some() && loaded.work == model.work);
    let a = forecast(&model, &p, &[80.0], &Silent).unwrap();
    let b = forecast(&loaded, &p, &[80.0], &Silent).unwrap();
    assert_eq!(a, b, "the saved policy gives the same weights");
    // The policy's weights are its own: neither equal nor inverse-error everywhere.
    let inverse = fit(&p, &options(MetaLearner::InverseError), &Silent).unwrap();
    let c = forecast(&inverse, &p, &[], &Silent).unwrap();
    assert!(a
        .rows
        .iter()
        .zip(&c.rows)
        .any(|(x, y)| x.weights != y.weights));
    for r in a.rows.iter().filter(|r| r.fallback.is_none()) {
        assert!((r.weights.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    }
    // Same seed, same policy; a damaged policy file is an error naming it.
    let again = fit(&p, &opts, &Silent).unwrap();
    assert_eq!(forecast(&again, &p, &[80.0], &Silent).unwrap(), a);
    let state = dir.join("ppo").join("state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, &text[..text.len() / 2]).unwrap();
    let err = MetaModel::load(&dir).err().unwrap().to_string();
    assert!(err.contains("state.json"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
    opts.ppo.steps = 0;
    assert!(fit(&p, &opts, &Silent).is_err());
}

#[test]
fn fforma_can_learn_from_the_earlier_windows_errors() {
    let p = panel(20, 70);
    let mut opts = options(MetaLearner::Fforma);
    opts.fforma_inputs = InputWindow::Earlier;
    let model = fit(&p, &opts, &Silent).unwrap();
    assert_eq!(model.card.fforma_inputs, Some(InputWindow::Earlier));
    let shifted = forecast(&model, &p, &[], &Silent).unwrap();
    let same = forecast(
        &fit(&p, &options(MetaLearner::Fforma), &Silent).unwrap(),
        &p,
        &[],
        &Silent,
    )
    .unwrap();
    assert_ne!(shifted, same, "another training signal, other weights");
    assert_eq!(
        forecast(&fit(&p, &opts, &Silent).unwrap(), &p, &[], &Silent).unwrap(),
        shifted
    );
    // No series long enough for an earlier window: a clear error.
    opts.horizon = 12;
    let err = fit(&panel(20, 40), &opts, &Silent)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("earlier window"), "{err}");
}

#[test]
fn fforma_shrinks_toward_the_panel_s_best_member_by_a_held_out_amount() {
    let p = panel(20, 70);
    let plain = fit(&p, &options(MetaLearner::Fforma), &Silent).unwrap();
    assert!(plain.card.fforma_shrinkage.is_none());
    for inputs in [InputWindow::Validation, InputWindow::Earlier] {
        let mut opts = options(MetaLearner::Fforma);
        opts.fforma_inputs = inputs;
        opts.fforma_shrink = true;
        let model = fit(&p, &opts, &Silent).unwrap();
        let s = model
            .card
            .fforma_shrinkage
            .clone()
            .expect("fitted with shrinkage");
        assert_eq!(s.member_name, model.card.names[s.member]);
        assert!(metablend_ensemble::meta::SHRINK_GRID.contains(&s.lambda));
        let chosen = s.held_out_owa.iter().copied().fold(f64::INFINITY, f64::min);
        let at = metablend_ensemble::meta::SHRINK_GRID
            .iter()
            .position(|&l| l == s.lambda);
        assert_eq!(
            s.held_out_owa[at.unwrap()],
            chosen,
            "the lowest held-out OWA wins"
        );
        // Each series' weights are the learner's (the same learner as without shrinkage),
        // moved toward the member by lambda.
        let mut unshrunk_opts = opts.clone();
        unshrunk_opts.fforma_shrink = false;
        let unshrunk = fit(&p, &unshrunk_opts, &Silent).unwrap();
        let a = forecast(&model, &p, &[], &Silent).unwrap();
        let b = forecast(&unshrunk, &p, &[], &Silent).unwrap();
        for (x, y) in a
            .rows
            .iter()
            .zip(&b.rows)
            .filter(|(x, _)| x.fallback.is_none())
        {
            let expected = s.apply(&y.weights);
            for (w, e) in x.weights.iter().zip(&expected) {
                assert!((w - e).abs() < 1e-12, "{:?} vs {expected:?}", x.weights);
            }
        }
        // Saved and loaded with the model; the same seed gives the same forecasts.
        let dir = std::env::temp_dir().join(format!("mb-fit-shrink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        model.save(&dir).unwrap();
        let loaded = MetaModel::load(&dir).unwrap();
        assert_eq!(loaded.card.fforma_shrinkage, Some(s));
        assert_eq!(
            forecast(&loaded, &p, &[80.0], &Silent).unwrap(),
            forecast(&model, &p, &[80.0], &Silent).unwrap()
        );
        assert_eq!(
            forecast(&fit(&p, &opts, &Silent).unwrap(), &p, &[], &Silent).unwrap(),
            a
        );
        std::fs::remove_dir_all(&dir).ok();
    }
    // Shrinkage is chosen on series with an earlier window: none is a clear error.
    let mut opts = options(MetaLearner::Fforma);
    opts.fforma_shrink = true;
    opts.horizon = 12;
    let err = fit(&panel(20, 40), &opts, &Silent)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("earlier window"), "{err}");
}

#[test]
fn forecasts_use_only_each_series_history_and_new_series_work() {
    let p = panel(10, 70);
    let model = fit(&p, &options(MetaLearner::InverseError), &Silent).unwrap();
    // Series never seen in fit, and a longer history of a seen one: the forecast of a
    // series depends only on its own values.
    let other = panel(3, 84);
    let f = forecast(&model, &other, &[], &Silent).unwrap();
    let alone = Panel {
        series: vec![other.series[1].clone()],
        ..other.clone()
    };
    let g = forecast(&model, &alone, &[], &Silent).unwrap();
    let rows: Vec<&ForecastRow> = f.rows.iter().filter(|r| r.unique_id == "s1").collect();
    assert_eq!(rows.len(), 7);
    for (a, b) in rows.iter().zip(&g.rows) {
        assert_eq!(*a, b);
    }
    assert_eq!(rows[0].ds, chrono_day(84));
}

#[test]
fn settings_that_cannot_work_are_errors() {
    let p = panel(3, 70);
    let mut o = options(MetaLearner::Equal);
    o.horizon = 0;
    assert!(fit(&p, &o, &Silent).is_err());
    o.horizon = 40;
    let err = fit(&p, &o, &Silent).err().unwrap().to_string();
    assert!(err.contains("long enough"), "{err}");
    assert!("boosting".parse::<MetaLearner>().is_err());
    // 3 series cannot calibrate a 95% interval; the error says how many are needed.
    let model = fit(&p, &options(MetaLearner::Equal), &Silent).unwrap();
    let err = forecast(&model, &p, &[95.0], &Silent)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("at least 19 series"), "{err}");
    assert!(forecast(&model, &p, &[100.0], &Silent).is_err());
    assert_eq!(
        "inverse".parse::<MetaLearner>().unwrap(),
        MetaLearner::InverseError
    );
}

#[test]
fn a_holdout_is_a_one_window_cross_validation_with_the_values_given_apart() {
    let p = panel(24, 84);
    let opts = CvOptions {
        fit: options(MetaLearner::Fforma),
        windows: 1,
        levels: vec![80.0, 95.0],
    };
    let cv = cross_validation(&p, &opts, &Silent).unwrap();
    // The same cut by hand: every series longer than the horizon, its last 7 values apart.
    let mut history = p.clone();
    history.series.retain(|s| s.values.len() > 7);
    let actual: Vec<Vec<f64>> = history
        .series
        .iter_mut()
        .map(|s| {
            let end = s.values.len() - 7;
            s.stamps.truncate(end);
            s.values.split_off(end)
        })
        .collect();
    assert_eq!(holdout(&history, &actual, &opts, &Silent).unwrap(), cv);
    // Bad held-out data are clear errors.
    let short: Vec<Vec<f64>> = actual.iter().map(|a| a[..6].to_vec()).collect();
    let err = holdout(&history, &short, &opts, &Silent)
        .unwrap_err()
        .to_string();
    assert!(err.contains("6 held-out values, the horizon is 7"), "{err}");
    assert!(holdout(&history, &actual[1..], &opts, &Silent).is_err());
}

#[test]
fn cross_validation_reads_each_window_only_to_score_it() {
    let p = panel(20, 84);
    let opts = CvOptions {
        fit: options(MetaLearner::Fforma),
        windows: 2,
        levels: vec![80.0],
    };
    let report = cross_validation(&p, &opts, &Silent).unwrap();
    assert_eq!(
        (report.windows, report.series_scored.clone()),
        (2, vec![21, 21])
    );
    let meta = report
        .methods
        .iter()
        .find(|m| m.method == "metablend (fforma)")
        .unwrap();
    assert_eq!(meta.windows.len(), 2);
    assert_eq!(meta.coverage.len(), 1);
    assert!(report
        .methods
        .iter()
        .any(|m| m.method.starts_with("naive2")));
    let naive2 = report
        .methods
        .iter()
        .find(|m| m.method.starts_with("naive2"))
        .unwrap();
    assert!((naive2.owa - 1.0).abs() < 1e-12);
    assert!(report.to_markdown().contains("| metablend (fforma) |"));
    // Changing the last window's values changes its scores only: the first window never
    // saw them.
    let mut changed = p.clone();
    for s in &mut changed.series {
        let n = s.values.len();
        for v in &mut s.values[n.saturating_sub(7)..] {
            *v += 3.0;
        }
    }
    let other = cross_validation(&changed, &opts, &Silent).unwrap();
    let find = |r: &CvReport| {
        r.methods
            .iter()
            .find(|m| m.method == "metablend (fforma)")
            .unwrap()
            .clone()
    };
    assert_eq!(find(&report).windows[0], find(&other).windows[0]);
    assert_ne!(find(&report).windows[1], find(&other).windows[1]);
}

#[test]
fn features_of_every_series_in_panel_order() {
    let p = panel(6, 70);
    let table = panel_features(&p, None, &Silent).unwrap();
    assert_eq!(table.season, 7, "daily stamps: weekly season");
    let ids: Vec<&str> = table.rows.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["s0", "s1", "s2", "s3", "s4", "s5", "short", "flat"]);
    let acf1 = table.names.iter().position(|n| *n == "x_acf1").unwrap();
    let s0 = table.rows[0].1.as_ref().unwrap();
    assert!(s0[acf1].is_finite());
    assert_eq!(
        table.rows[6].1, None,
        "5 values are too short for the features"
    );
    // The same as the extractor on the series itself, whatever the threads did.
    let direct = metablend_ensemble::features::extract(&p.series[3].values, 7).unwrap();
    assert_eq!(table.rows[3].1.as_ref().unwrap(), &direct.values);
    let path = std::env::temp_dir().join(format!("mb-features-{}.csv", std::process::id()));
    table.write_csv(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(text.starts_with("unique_id,x_acf1,"));
    assert_eq!(text.lines().count(), 9);
    assert!(text.lines().nth(7).unwrap().starts_with("short,,"));
}

#[test]
fn new_series_may_be_calibrated_on_the_models_fitted_series() {
    let p = panel(20, 70);
    let (kept, plain) = fit_kept_and_plain(&p, options(MetaLearner::Fforma));
    let levels = [80.0, 95.0];
    let on = |calibrate_on| ForecastOptions {
        levels: levels.to_vec(),
        calibrate_on,
    };
    // The fitted panel under new ids: the same series, none of their work kept.
    let mut renamed = p.clone();
    for s in &mut renamed.series {
        s.id = format!("new-{}", s.id);
    }
    let fitted = forecast(&kept, &p, &levels, &Silent).unwrap();
    assert_eq!(fitted.calibration.as_ref().unwrap().on, CalibrateOn::Panel);
    let new = forecast_with(&kept, &renamed, &on(CalibrateOn::Model), &Silent).unwrap();
    let info = new.calibration.clone().unwrap();
    assert_eq!(
        (info.on, info.window.as_str()),
        (CalibrateOn::Model, "earlier")
    );
    // Calibrated on the fitted series' errors, which are the renamed ones': the same rows.
    let unnamed = |f: &Forecasts| -> Vec<ForecastRow> {
        let rows = f.rows.iter().cloned();
        rows.map(|mut r| {
            r.unique_id = r.unique_id.trim_start_matches("new-").to_string();
            r
        })
        .collect()
    };
    assert_eq!(unnamed(&new), unnamed(&fitted));
    // On the fitted panel itself, the model's series are the panel's.
    let again = forecast_with(&kept, &p, &on(CalibrateOn::Model), &Silent).unwrap();
    assert_eq!(again.rows, fitted.rows);
    // Three series are too few for their own 95% intervals: auto takes the model's.
    let few = Panel {
        series: renamed.series[..3].to_vec(),
        ..renamed.clone()
    };
    let too_few = |e: Error| {
        let e = e.to_string();
        assert!(e.contains("needs at least") && e.contains("has 3"), "{e}");
    };
    too_few(forecast_with(&kept, &few, &on(CalibrateOn::Panel), &Silent).unwrap_err());
    let auto = forecast(&kept, &few, &levels, &Silent).unwrap();
    assert_eq!(auto.calibration.as_ref().unwrap().on, CalibrateOn::Model);
    assert_eq!(auto.rows[..], new.rows[..3 * 7]);
    // A model that kept no work has no fitted series to calibrate on.
    let e = forecast_with(&plain, &few, &on(CalibrateOn::Model), &Silent).unwrap_err();
    assert!(e.to_string().contains("kept"), "{e}");
    too_few(forecast(&plain, &few, &levels, &Silent).unwrap_err());
    // Without levels there is nothing to calibrate: the option changes nothing.
    let plain_rows = forecast(&kept, &few, &[], &Silent).unwrap();
    let model_rows = forecast_with(
        &kept,
        &few,
        &ForecastOptions {
            levels: Vec::new(),
            calibrate_on: CalibrateOn::Model,
        },
        &Silent,
    )
    .unwrap();
    assert_eq!(plain_rows, model_rows);
}

#[test]
fn a_bagged_fforma_learner_saves_loads_and_forecasts_as_fitted() {
    let p = panel(20, 70);
    let mut opts = options(MetaLearner::Fforma);
    opts.fforma_bag = 3;
    let model = fit(&p, &opts, &Silent).unwrap();
    assert_eq!(model.card.fforma.as_ref().map(|c| c.bag), Some(3));
    let single = fit(&p, &options(MetaLearner::Fforma), &Silent).unwrap();
    let dir = std::env::temp_dir().join(format!("mb-bag-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    model.save(&dir).unwrap();
    let loaded = MetaModel::load(&dir).unwrap();
    let a = forecast(&model, &p, &[80.0], &Silent).unwrap();
    assert_eq!(a, forecast(&loaded, &p, &[80.0], &Silent).unwrap());
    assert_ne!(a, forecast(&single, &p, &[80.0], &Silent).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}
