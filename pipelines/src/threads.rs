//! Where parallel work runs.

/// Runs `work` with rayon's parallel loops on every core. Binaries pin candle's own kernels
/// to one thread (fastest for small networks), which also sizes rayon's global pool to one;
/// independent jobs (models, series, tasks, ES runs) still want all cores. Results never
/// depend on the number of threads.
pub fn on_all_cores<T: Send>(work: impl FnOnce() -> T + Send) -> crate::Result<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| crate::Error::Settings(format!("starting {threads} worker threads: {e}")))?;
    Ok(pool.install(work))
}
