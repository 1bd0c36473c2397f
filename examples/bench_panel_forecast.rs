//! Wall time and throughput of `fit` and `forecast` on a panel (the pool on every series'
//! validation window and future, FFORMA's features, the meta-learner, 80/95% intervals):
//! the bundled M4 Hourly (414 series, h = 48, season 24) or Weekly (359 series, h = 13,
//! season 52) training series, optionally only the first N, optionally each repeated
//! `copies` times under new ids. `forecast` is timed three times: on the fitted panel
//! (which reuses the work `fit` kept); on the same series under new ids, the intervals
//! calibrated on the model's fitted series (the pool on the validation window and the whole
//! history); and as on a panel the model has not seen with its own calibration (the work done
//! afresh: the pool on the validation window, the window before it and the whole history).
//! Prints each run and the medians.
//!
//! `cargo run --release --example bench_panel_forecast -- [hourly|weekly] [runs] [threads] [series] [copies] [pool]`
//! (default: hourly, 3 runs, all cores, every series, 1 copy, the default pool; `pool` in
//! `--pool`'s syntax, e.g. `"naive snaive:52 naive2:52 drift ses:52 holt:52 damped:52
//! theta:52 auto_arima:52,approx"`).

use std::time::Instant;

use metablend::core::Silent;
use metablend::ensemble::panel::{read_panel_file, PanelOptions};
use metablend::ensemble::ModelSpec;
use metablend::pipelines::forecast::{
    fit, forecast, forecast_with, CalibrateOn, FitOptions, ForecastOptions, MetaLearner,
};

// The same allocator as the `metablend` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let frequency = args.first().map_or("hourly", String::as_str);
    let runs: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(3);
    let threads: Option<usize> = args.get(2).map(|a| a.parse()).transpose()?;
    let limit: Option<usize> = args.get(3).map(|a| a.parse()).transpose()?;
    if let Some(t) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()?;
    }
    let (file, horizon, season) = match frequency {
        "hourly" => ("hourly_train.csv.gz", 48, 24),
        "weekly" => ("weekly_train.csv.gz", 13, 52),
        other => anyhow::bail!("frequency {other}: hourly or weekly"),
    };
    let path = format!("{}/data/m4/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut panel = read_panel_file(path, &PanelOptions::default())?;
    let copies: usize = args.get(4).map(|a| a.parse()).transpose()?.unwrap_or(1);
    if let Some(n) = limit {
        panel.series.truncate(n);
    }
    let originals = panel.series.clone();
    for copy in 1..copies {
        panel.series.extend(originals.iter().map(|s| {
            let mut s = s.clone();
            s.id = format!("{}-{copy}", s.id);
            s
        }));
    }
    let n = panel.series.len();
    let models = args
        .get(5)
        .map(|text| ModelSpec::parse_list(text, season))
        .transpose()?;
    let options = FitOptions {
        horizon,
        season: Some(season),
        models,
        meta: MetaLearner::Fforma,
        seed: 0,
        fforma_objective: Default::default(),
        fforma_inputs: Default::default(),
        fforma_shrink: false,
        fforma_bag: 1,
        ppo: Default::default(),
        global: None,
        keep_work: true,
    };
    let (mut fits, mut forecasts, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
    let mut new_series = Vec::new();
    let levels = [80.0, 95.0];
    let mut renamed = panel.clone();
    for s in &mut renamed.series {
        s.id = format!("new-{}", s.id);
    }
    let on_model = ForecastOptions {
        levels: levels.to_vec(),
        calibrate_on: CalibrateOn::Model,
    };
    for run in 0..runs {
        let start = Instant::now();
        let mut model = fit(&panel, &options, &Silent)?;
        let fit_secs = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let out = forecast(&model, &panel, &levels, &Silent)?;
        let forecast_secs = start.elapsed().as_secs_f64();
        assert_eq!(out.rows.len(), n * horizon);
        let start = Instant::now();
        let new = forecast_with(&model, &renamed, &on_model, &Silent)?;
        let new_secs = start.elapsed().as_secs_f64();
        assert_eq!(new.rows.len(), n * horizon);
        model.work = None;
        let start = Instant::now();
        let again = forecast(&model, &panel, &levels, &Silent)?;
        let fresh_secs = start.elapsed().as_secs_f64();
        assert_eq!(again, out, "the kept work gives the same forecasts");
        println!(
            "{frequency} run {run}: fit {fit_secs:.2} s, forecast {forecast_secs:.2} s \
             (fitted panel), {new_secs:.2} s (new ids, calibrated on the model), \
             {fresh_secs:.2} s (work afresh)"
        );
        new_series.push(new_secs);
        fits.push(fit_secs);
        forecasts.push(forecast_secs);
        fresh.push(fresh_secs);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (f, g, a) = (
        median(&mut fits),
        median(&mut forecasts),
        median(&mut fresh),
    );
    let b = median(&mut new_series);
    println!(
        "{frequency}: {n} series, {} thread(s): fit median {f:.2} s ({:.1} series/s), \
         forecast median {g:.2} s ({:.1} series/s) on the fitted panel, {b:.2} s \
         ({:.1} series/s) on new ids calibrated on the model, {a:.2} s ({:.1} series/s) \
         with the work afresh",
        rayon::current_num_threads(),
        n as f64 / f,
        n as f64 / g,
        n as f64 / b,
        n as f64 / a
    );
    Ok(())
}
