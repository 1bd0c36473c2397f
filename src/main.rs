//! The `metablend` command: parses arguments, calls the library, renders the results.

mod cli;
mod plots;
mod terminal;

use clap::Parser;
use std::process::ExitCode;

// Training allocates and frees many small tensors per second; glibc's malloc returns them to
// the OS and page-faults them back (35% slower PPO on CartPole, measured), mimalloc keeps them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before any thread exists: candle's CPU kernels read this on every matrix multiply.
    if metablend::agents::candle_threads().is_none() {
        metablend::agents::set_candle_threads(1);
    }
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(args.log_level())),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // 130, as shells report a command ended by Ctrl-C.
            let interrupted = e
                .downcast_ref::<metablend::pipelines::Error>()
                .is_some_and(|e| e.is_interrupted())
                || matches!(
                    e.downcast_ref::<metablend::ensemble::Error>(),
                    Some(metablend::ensemble::Error::Interrupted(_))
                );
            ExitCode::from(if interrupted { 130 } else { 1 })
        }
    }
}
