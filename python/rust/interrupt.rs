//! Long work with Ctrl-C honoured: the work runs on a helper thread while the calling
//! (Python main) thread, with the GIL released between checks, looks for signals every
//! 50 ms. On Ctrl-C the work is asked to stop through [`Progress::stop_requested`] (the
//! library stops between units and returns an "interrupted" error, writing nothing that
//! looks complete), and Python gets its `KeyboardInterrupt`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metablend_core::Progress;
use pyo3::prelude::*;

/// Asks the library's long work to stop once the flag is set.
pub(crate) struct StopFlag(AtomicBool);

impl Progress for StopFlag {
    fn stop_requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Runs `work` with a progress that reports Ctrl-C; the pending `KeyboardInterrupt` (or
/// another exception a signal handler raised) wins over the work's own result.
pub(crate) fn run<R, F>(py: Python<'_>, work: F) -> PyResult<R>
where
    R: Send,
    F: FnOnce(&dyn Progress) -> R + Send,
{
    let flag = StopFlag(AtomicBool::new(false));
    let mut signal: Option<PyErr> = None;
    let result = std::thread::scope(|scope| {
        let handle = scope.spawn(|| work(&flag));
        while !handle.is_finished() {
            py.detach(|| std::thread::sleep(Duration::from_millis(50)));
            if signal.is_none() {
                if let Err(e) = py.check_signals() {
                    signal = Some(e);
                    flag.0.store(true, Ordering::Relaxed);
                }
            }
        }
        handle.join()
    });
    if let Some(e) = signal {
        return Err(e);
    }
    result.map_err(|_| {
        crate::errors::raise(crate::errors::Kind::Training, "the work panicked (a bug)")
    })
}
