//! How long-running library work reports progress and learns that it should stop.

/// A progress display (a terminal bar, a notebook widget) or nothing ([`Silent`]), shared
/// across threads: parallel stages report from every worker.
pub trait Progress: Sync {
    /// A stage of `total` units starts.
    fn start(&self, stage: &str, total: u64) {
        let _ = (stage, total);
    }

    /// `n` more units of the current stage are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }

    /// Whether the caller asked the work to stop (e.g. Ctrl-C). Long work checks it between
    /// units and then stops with an error that says it was interrupted, keeping whatever it
    /// had saved (checkpoints) and never writing a result that looks complete.
    fn stop_requested(&self) -> bool {
        false
    }
}

/// Reports nothing and never asks to stop.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
