//! Wall time and throughput of `fit` and `forecast` on a panel (the pool on every series'
//! validation window and future, FFORMA's features, the meta-learner, intervals): the
//! bundled M4 Hourly (414 series, h = 48, season 24) or Weekly (359 series, h = 13, season
//! 52) training series, optionally only the first N. Prints each run and the medians.
//!
//! `cargo run --release --example bench_panel_forecast -- [hourly|weekly] [runs] [threads] [series]`
//! (default: hourly, 3 runs, all cores, every series).

use std::time::Instant;

use metablend::core::Silent;
use metablend::ensemble::panel::{read_panel_file, PanelOptions};
use metablend::pipelines::forecast::{fit, forecast, FitOptions, MetaLearner};

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
    if let Some(n) = limit {
        panel.series.truncate(n);
    }
    let n = panel.series.len();
    let options = FitOptions {
        horizon,
        season: Some(season),
        models: None,
        meta: MetaLearner::Fforma,
        seed: 0,
        fforma_objective: Default::default(),
        fforma_inputs: Default::default(),
        fforma_shrink: false,
        ppo: Default::default(),
        global: None,
    };
    let (mut fits, mut forecasts) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let start = Instant::now();
        let model = fit(&panel, &options, &Silent)?;
        let fit_secs = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let out = forecast(&model, &panel, &[80.0, 95.0], &Silent)?;
        let forecast_secs = start.elapsed().as_secs_f64();
        assert_eq!(out.rows.len(), n * horizon);
        println!("{frequency} run {run}: fit {fit_secs:.2} s, forecast {forecast_secs:.2} s");
        fits.push(fit_secs);
        forecasts.push(forecast_secs);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (f, g) = (median(&mut fits), median(&mut forecasts));
    println!(
        "{frequency}: {n} series, {} thread(s): fit median {f:.2} s ({:.1} series/s), \
         forecast median {g:.2} s ({:.1} series/s)",
        rayon::current_num_threads(),
        n as f64 / f,
        n as f64 / g
    );
    Ok(())
}
