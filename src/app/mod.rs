//! The application layer of the `metablend` command: what ties the env, agents and ensemble
//! crates together into training, evaluation and the main job. It lives in the binary (not
//! in the library crates) because it needs all three.

pub mod evaluate;
pub mod m4;
mod m4_report;
pub mod main_job;
pub mod metaopt;
pub mod ope;
pub mod plots;
pub mod settings;
pub mod train;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Set by Ctrl-C; long-running commands check it, save a checkpoint and stop.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let handler_flag = flag.clone();
        // If a handler cannot be installed (e.g. one already is), Ctrl-C keeps its default
        // behaviour; training still checkpoints periodically.
        let _ = ctrlc::set_handler(move || handler_flag.store(true, Ordering::SeqCst));
        flag
    })
    .clone()
}

/// A progress bar for `len` units of work labelled `label` (elapsed time, bar, count, ETA).
pub fn progress_bar(len: u64, label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>10} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
        )
        .expect("valid template"),
    );
    bar.set_message(label.to_string());
    bar
}

/// Writes `text` to `path` atomically.
pub fn write_text(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    metablend::core::fs::write_text(path, text)?;
    Ok(())
}

/// Runs `work` with rayon's parallel loops on every core. The binary pins candle's own
/// kernels to one thread (fastest for small networks), which also sizes rayon's global pool
/// to one; independent jobs (models, tasks, ES runs) still want all cores.
pub fn on_all_cores<T: Send>(work: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    Ok(pool.install(work))
}
