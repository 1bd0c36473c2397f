//! The staged path (per-series map, driver, per-series rows) against the local one.

use metablend_core::Silent;
use metablend_ensemble::panel::{read_panel_from, Panel, PanelOptions};

use super::*;

/// A weekly-stamped panel with integer stamps: seasonal series, one short, one constant.
fn panel() -> Panel {
    let mut text = String::from("unique_id,ds,y\n");
    for i in 0..24 {
        let len = 60 + 3 * i;
        for t in 0..len {
            let y = 20.0
                + i as f64
                + 4.0 * ((t % 6) as f64 - 2.5)
                + 0.1 * t as f64 * (i % 4) as f64
                + ((t * 7919 + i * 104_729) % 17) as f64 * 0.2;
            text += &format!("s{i},{t},{y}\n");
        }
    }
    for t in 0..6 {
        text += &format!("short,{t},{t}\n");
    }
    for t in 0..50 {
        text += "flat,";
        text += &format!("{t},3\n");
    }
    read_panel_from(text.as_bytes(), "mem.csv", &PanelOptions::default()).unwrap()
}

fn options(meta: MetaLearner) -> FitOptions {
    FitOptions {
        season: Some(6),
        models: Some(ModelSpec::parse_list("naive snaive:6 drift ses:6 theta:6", 6).unwrap()),
        meta,
        ppo: PpoMetaOptions {
            steps: 600,
            ..PpoMetaOptions::default()
        },
        ..FitOptions::new(5)
    }
}

/// `panel` cut into `parts` partitions (series `i` in partition `i % parts`), each mapped on
/// its own, the partitions done last first, the work put back in panel order.
fn map_partitioned(panel: &Panel, plan: &Plan, parts: usize) -> Vec<SeriesWork> {
    map_partitioned_kept(panel, plan, None, parts)
}

/// [`map_partitioned`], each partition skipping the work kept in `index`.
fn map_partitioned_kept(
    panel: &Panel,
    plan: &Plan,
    index: Option<&KeptIndex>,
    parts: usize,
) -> Vec<SeriesWork> {
    let mut out: Vec<(usize, SeriesWork)> = Vec::new();
    for p in (0..parts).rev() {
        let idx: Vec<usize> = (0..panel.series.len()).filter(|i| i % parts == p).collect();
        let part = Panel {
            series: idx.iter().map(|&i| panel.series[i].clone()).collect(),
            format: panel.format,
            frequency: panel.frequency,
        };
        let works = match index {
            Some(index) => map_series_kept(&part, plan, index, &Silent).unwrap(),
            None => map_series(&part, plan, &Silent).unwrap(),
        };
        out.extend(idx.into_iter().zip(works));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, w)| w).collect()
}

/// Fits and forecasts in stages over `parts` partitions.
fn staged(
    panel: &Panel,
    opts: &FitOptions,
    levels: &[f64],
    parts: usize,
) -> (MetaModel, Forecasts) {
    let plan = Plan::for_fit(opts).unwrap();
    let fits = map_partitioned(panel, &plan, parts)
        .into_iter()
        .map(|w| w.fit)
        .collect();
    let model = fit_gathered(fits, opts, panel.frequency, &Silent).unwrap();
    let plan = Plan::for_forecast(&model, &ForecastOptions::at(levels)).unwrap();
    // As the engine does: the workers skip the work the model kept, the driver completes it.
    let index = model.work.as_ref().map(KeptWork::index);
    let works = map_partitioned_kept(panel, &plan, index.as_ref(), parts);
    assert_eq!(
        works.iter().any(|w| w.reused),
        opts.keep_work,
        "the kept work is skipped"
    );
    let gathered = works
        .iter()
        .map(|w| (w.fit.id.clone(), (!w.reused).then(|| w.fit.clone())))
        .collect();
    let fits = model.complete_work(gathered).unwrap();
    let futures: Vec<_> = works.into_iter().map(|w| w.future).collect();
    let combination = combine_gathered(&model, fits, &ForecastOptions::at(levels)).unwrap();
    let mut rows = Vec::new();
    for (future, weights) in futures.iter().zip(&combination.weights) {
        rows.extend(
            forecast_rows(
                &model.card,
                future.as_ref().unwrap(),
                weights.as_deref(),
                levels.len(),
                combination.calibration.as_ref(),
            )
            .unwrap(),
        );
    }
    let forecasts = Forecasts {
        names: model.card.names.clone(),
        horizon: model.card.horizon,
        levels: levels.to_vec(),
        rows,
        calibration: combination.calibration.as_ref().map(|c| c.info.clone()),
    };
    (model, forecasts)
}

#[test]
fn the_staged_path_is_the_local_one_bit_for_bit_whatever_the_partitions() {
    let p = panel();
    let levels = [80.0, 95.0];
    let mut earlier = options(MetaLearner::Fforma);
    earlier.fforma_inputs = InputWindow::Earlier;
    let mut no_work = options(MetaLearner::Fforma);
    no_work.keep_work = false;
    for opts in [
        options(MetaLearner::Fforma),
        earlier,
        no_work,
        options(MetaLearner::Ppo),
        options(MetaLearner::InverseError),
    ] {
        let local = fit(&p, &opts, &Silent).unwrap();
        let local_forecasts = forecast(&local, &p, &levels, &Silent).unwrap();
        assert_eq!(local_forecasts.fallbacks(), ["short", "flat"]);
        for parts in [1, 3, 7] {
            let (model, forecasts) = staged(&p, &opts, &levels, parts);
            assert_eq!(
                model.card, local.card,
                "{} over {parts} partitions",
                opts.meta
            );
            assert_eq!(forecasts, local_forecasts, "{} over {parts}", opts.meta);
        }
    }
}

#[test]
fn a_staged_forecast_of_changed_series_redoes_only_their_work() {
    let p = panel();
    let levels = [80.0, 95.0];
    let opts = options(MetaLearner::Fforma);
    let plan = Plan::for_fit(&opts).unwrap();
    let fits = map_partitioned(&p, &plan, 3).into_iter().map(|w| w.fit);
    let model = fit_gathered(fits.collect(), &opts, p.frequency, &Silent).unwrap();
    let mut q = p.clone();
    q.series[2].values[7] += 0.5;
    let plan = Plan::for_forecast(&model, &ForecastOptions::at(&levels)).unwrap();
    let index = model.work.as_ref().unwrap().index();
    let works = map_partitioned_kept(&q, &plan, Some(&index), 3);
    let redone: Vec<&str> = works
        .iter()
        .filter(|w| !w.reused)
        .map(|w| w.fit.id.as_str())
        .collect();
    assert_eq!(redone, ["s2"]);
    let gathered = works
        .iter()
        .map(|w| (w.fit.id.clone(), (!w.reused).then(|| w.fit.clone())))
        .collect();
    let fits = model.complete_work(gathered).unwrap();
    let staged = combine_gathered(&model, fits, &ForecastOptions::at(&levels)).unwrap();
    let afresh = map_partitioned(&q, &plan, 3).into_iter().map(|w| w.fit);
    let expected =
        combine_gathered(&model, afresh.collect(), &ForecastOptions::at(&levels)).unwrap();
    assert_eq!(staged, expected);
    // Work missing from both the workers and the model is an error naming the series.
    let err = model.complete_work(vec![("nope".into(), None)]);
    assert!(err.unwrap_err().to_string().contains("nope"));
}

#[test]
fn a_staged_forecast_calibrated_on_the_models_series_skips_the_earlier_window() {
    let p = panel();
    let opts = options(MetaLearner::Fforma);
    let model = fit(&p, &opts, &Silent).unwrap();
    let fopts = ForecastOptions {
        levels: vec![80.0, 95.0],
        calibrate_on: CalibrateOn::Model,
    };
    let plan = Plan::for_forecast(&model, &fopts).unwrap();
    assert!(
        !plan.earlier,
        "the model's series calibrate: no earlier window here"
    );
    // New series: the fitted ones under new ids.
    let mut q = p.clone();
    for s in &mut q.series {
        s.id = format!("{}-new", s.id);
    }
    let index = model.work.as_ref().unwrap().index();
    let works = map_partitioned_kept(&q, &plan, Some(&index), 3);
    assert!(works.iter().all(|w| !w.reused));
    assert!(works
        .iter()
        .filter_map(|w| w.fit.pool.as_ref())
        .all(|pool| pool.earlier.is_none()));
    let fits = works.iter().map(|w| w.fit.clone()).collect();
    let staged = combine_gathered(&model, fits, &fopts).unwrap();
    let local = forecast_with(&model, &q, &fopts, &Silent).unwrap();
    assert_eq!(
        staged.calibration.as_ref().unwrap().info,
        local.calibration.unwrap()
    );
    let weights: Vec<_> = local
        .rows
        .chunks(model.card.horizon)
        .map(|rows| (!rows[0].weights.is_empty()).then(|| rows[0].weights.clone()))
        .collect();
    assert_eq!(staged.weights, weights);
}

#[test]
fn the_staged_path_refuses_what_needs_every_series_at_once() {
    let mut opts = options(MetaLearner::Fforma);
    opts.global = Some(global_mlp_for(6, 5));
    let e = Plan::for_fit(&opts).unwrap_err().to_string();
    assert!(e.contains("global MLP"), "{e}");
    let mut opts = options(MetaLearner::Fforma);
    opts.season = None;
    let e = Plan::for_fit(&opts).unwrap_err().to_string();
    assert!(e.contains("season"), "{e}");
    // Work from another pool is refused, naming the series.
    let p = panel();
    let opts = options(MetaLearner::Equal);
    let model = fit(&p, &opts, &Silent).unwrap();
    let mut other = opts.clone();
    other.models = Some(ModelSpec::parse_list("naive ses:6", 6).unwrap());
    let fits = map_series(&p, &Plan::for_fit(&other).unwrap(), &Silent)
        .unwrap()
        .into_iter()
        .map(|w| w.fit)
        .collect();
    let e = combine_gathered(&model, fits, &ForecastOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("series s0") && e.contains("pool"), "{e}");
}

#[test]
fn a_staged_cross_validation_is_the_local_one_bit_for_bit() {
    let p = panel();
    let opts = CvOptions {
        fit: options(MetaLearner::Fforma),
        windows: 2,
        levels: vec![80.0, 95.0],
    };
    let local = cross_validation(&p, &opts, &Silent).unwrap();
    let plan = CvPlan::new(&opts).unwrap();
    for parts in [1, 4] {
        let (mut windows, mut scored, mut fallbacks) = (Vec::new(), Vec::new(), Vec::new());
        for window in 0..opts.windows {
            // Each partition cut and mapped on its own, put back in panel order.
            let mut work: Vec<(usize, (SeriesFit, WindowTail))> = Vec::new();
            for q in (0..parts).rev() {
                let idx: Vec<usize> = (0..p.series.len()).filter(|i| i % parts == q).collect();
                let part = Panel {
                    series: idx.iter().map(|&i| p.series[i].clone()).collect(),
                    format: p.format,
                    frequency: p.frequency,
                };
                let kept: Vec<usize> = idx
                    .into_iter()
                    .filter(|&i| p.series[i].values.len() > plan.plan.horizon * (2 - window))
                    .collect();
                let mapped = map_window(&part, &plan, window, &Silent).unwrap();
                assert_eq!(mapped.len(), kept.len());
                work.extend(kept.into_iter().zip(mapped));
            }
            work.sort_by_key(|(i, _)| *i);
            let (fits, tails): (Vec<_>, Vec<_>) = work.into_iter().map(|(_, w)| w).unzip();
            let fit = fit_window(fits, &plan, &opts, window, p.frequency, &Silent).unwrap();
            let shares: Vec<SeriesScores> = tails
                .iter()
                .enumerate()
                .map(|(i, tail)| {
                    let weights: Vec<_> = fit.weights.iter().map(|w| w[i].clone()).collect();
                    score_series(&fit.card, &plan, tail, &weights, &fit.calibrations).unwrap()
                })
                .collect();
            windows.push(score_window(&plan, &fit.card, window, &shares).unwrap());
            scored.push(fit.series);
            fallbacks.push(fit.fallbacks);
        }
        let staged = cv_report(&plan, &opts, windows, scored, fallbacks);
        assert_eq!(staged, local, "over {parts} partitions");
    }
}
