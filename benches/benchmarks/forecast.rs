//! Base-forecaster speed on the last 1,000 log S&P 500 closes (the series the peers' timings
//! in tests/data/forecast/timing.json were measured on): ARIMA(2,1,2) fit, auto ARIMA,
//! damped Holt, a 250-origin ARIMA(1,1,1) walk-forward refit every 25 steps, and MLP/LSTM
//! training. The default-pool walk-forward takes tens of seconds per run and is timed by
//! `cargo run --release --example bench_forecast_pool` instead.

use criterion::{black_box, criterion_group, Criterion};
use metablend_ensemble::forecast::{
    Arima, ArimaConfig, AutoArima, AutoArimaConfig, Ets, LstmConfig, LstmForecaster, MlpConfig,
    MlpForecaster, Trend,
};
use metablend_ensemble::{Forecaster, ModelSpec, Series, WalkForward, Window};

/// The fixture's `sp500_log_last1000` series.
pub fn sp500_log_last1000() -> Vec<f64> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/forecast/arima.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture present");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    json["series"]["sp500_log_last1000"]["y"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

fn fits(c: &mut Criterion) {
    let y = sp500_log_last1000();
    let mut g = c.benchmark_group("forecast_fit_sp500_1000");
    g.bench_function("arima_2_1_2", |b| {
        let config = ArimaConfig {
            p: 2,
            d: 1,
            q: 2,
            constant: false,
        };
        b.iter(|| black_box(Arima::estimate(config, &y).expect("fits")))
    });
    g.bench_function("auto_arima", |b| {
        b.iter(|| {
            let mut m = AutoArima::new(AutoArimaConfig::default()).expect("valid");
            m.fit(&y).expect("fits");
            black_box(m.forecast(1).expect("forecast"))
        })
    });
    g.bench_function("damped_holt", |b| {
        b.iter(|| {
            let mut m = Ets::new(Trend::Damped);
            m.fit(&y).expect("fits");
            black_box(m.forecast(1).expect("forecast"))
        })
    });
    g.bench_function("walk_forward_arima_1_1_1_250_refit25", |b| {
        let series = Series {
            name: "sp500".into(),
            values: y.clone(),
            timestamps: None,
        };
        let wf = WalkForward {
            models: vec![
                ModelSpec::Arima(ArimaConfig {
                    p: 1,
                    d: 1,
                    q: 1,
                    constant: false,
                }),
                ModelSpec::Naive,
            ],
            start: 750,
            end: None,
            refit_every: 25,
            window: Window::Expanding,
        };
        b.iter(|| black_box(wf.run(&series, &metablend::core::Silent).expect("runs")))
    });
    g.finish();
    let mut g = c.benchmark_group("forecast_train_sp500_1000");
    g.sample_size(10);
    g.bench_function("mlp_default", |b| {
        b.iter(|| {
            let mut m = MlpForecaster::new(MlpConfig::default()).expect("valid");
            m.fit(&y).expect("fits");
            black_box(m.forecast(1).expect("forecast"))
        })
    });
    g.bench_function("lstm_default", |b| {
        b.iter(|| {
            let mut m = LstmForecaster::new(LstmConfig::default()).expect("valid");
            m.fit(&y).expect("fits");
            black_box(m.forecast(1).expect("forecast"))
        })
    });
    g.finish();
}

criterion_group!(benches, fits);
