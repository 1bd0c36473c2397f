//! Wall time of FFORMA's 42 features on all 414 M4 Hourly training series (freq 24) — the
//! workload the Python `tsfeatures` package needs 68.4 s for on one thread (fixture
//! README) — and on the 359 Weekly series (freq 1). Prints each run and the median.
//!
//! `cargo run --release --example bench_features -- [runs] [threads]` (default 3 runs, one
//! thread, as the package's single-worker timing).

use std::time::Instant;

use metablend::ensemble::features::extract_all;
use metablend::ensemble::read_panel;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let threads: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()?;
    for (label, file, freq) in [
        ("hourly", "data/m4/hourly_train.csv.gz", 24),
        ("weekly", "data/m4/weekly_train.csv.gz", 1),
    ] {
        let panel = read_panel(format!("{}/{file}", env!("CARGO_MANIFEST_DIR")))?;
        let series: Vec<&[f64]> = panel.iter().map(|s| s.values.as_slice()).collect();
        let mut times = Vec::new();
        for run in 0..runs {
            let start = Instant::now();
            let features = extract_all(&series, freq)?;
            let secs = start.elapsed().as_secs_f64();
            assert_eq!(features.len(), series.len());
            println!("{label} run {run}: {secs:.3} s");
            times.push(secs);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!(
            "{label}: {} series, {threads} thread(s): median {median:.3} s ({:.2} ms per series)",
            series.len(),
            1e3 * median / series.len() as f64
        );
    }
    Ok(())
}
