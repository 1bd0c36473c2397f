//! Long work with Ctrl-C honoured: the work runs on a helper thread while the calling
//! (Python main) thread, with the GIL released between checks, looks for signals every
//! 50 ms and returns as soon as the work ends. On Ctrl-C the work is asked to stop through [`Progress::stop_requested`] (the
//! library stops between units and returns an "interrupted" error, writing nothing that
//! looks complete), and Python gets its `KeyboardInterrupt`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
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
    let done = (Mutex::new(false), Condvar::new());
    let result = std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let out = work(&flag);
            *done.0.lock().unwrap_or_else(PoisonError::into_inner) = true;
            done.1.notify_all();
            out
        });
        // Returns as soon as the work ends (or panics); checks for signals every 50 ms.
        while !wait_for(py, &done, Duration::from_millis(50)) && !handle.is_finished() {
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

/// Waits up to `timeout` (without the GIL) for the flag in `done` to be set; whether it is.
fn wait_for(py: Python<'_>, done: &(Mutex<bool>, Condvar), timeout: Duration) -> bool {
    py.detach(|| {
        let guard = done.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = done
            .1
            .wait_timeout_while(guard, timeout, |finished| !*finished)
            .unwrap_or_else(PoisonError::into_inner);
        *guard
    })
}
