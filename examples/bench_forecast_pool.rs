//! Wall time of a walk-forward of the default model pool (naive, drift, damped Holt, Theta,
//! auto ARIMA, MLP, LSTM) over the last 1,000 log S&P 500 closes: 250 one-step origins,
//! refit every 25 on an expanding window. Prints each run, the median and the throughput.
//!
//! `cargo run --release --example bench_forecast_pool -- [runs] [threads]` (default 3 runs; one
//! rayon thread, as the peers' single-thread timings).

use std::time::Instant;

use metablend::ensemble::{ModelSpec, Series, WalkForward, Window};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let threads: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()?;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/forecast/arima.json"
    ))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let values: Vec<f64> = json["series"]["sp500_log_last1000"]["y"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("fixture lacks the series"))?
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let series = Series {
        name: "sp500_log".into(),
        values,
        timestamps: None,
    };
    let wf = WalkForward {
        models: ModelSpec::default_set(1),
        start: 750,
        end: None,
        refit_every: 25,
        window: Window::Expanding,
    };
    let mut times = Vec::new();
    for run in 0..runs {
        let started = Instant::now();
        let out = wf.run(&series, &metablend::core::Silent)?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "run {run}: {secs:.2} s for {} origins x {} models",
            out.predictions.len(),
            out.predictions.num_models()
        );
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let forecasts = 250 * wf.models.len();
    println!(
        "median {median:.2} s over {runs} runs ({threads} thread(s)): {:.0} forecasts/s",
        forecasts as f64 / median
    );
    Ok(())
}
