//! The command's side of progress and interruption: a progress bar per stage on stderr
//! (hidden when stderr is not a terminal) and Ctrl-C, which asks the running protocol to
//! stop at its next safe point.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use metablend::core::Progress;

/// Set by Ctrl-C.
fn interrupt_flag() -> Arc<AtomicBool> {
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

/// Progress bars and Ctrl-C for one command.
pub struct Terminal {
    show: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
    stop: Arc<AtomicBool>,
}

impl Terminal {
    /// Installs the Ctrl-C handler; `show` draws progress bars.
    pub fn new(show: bool) -> Self {
        Self {
            show,
            bar: Mutex::new(None),
            stop: interrupt_flag(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Progress for Terminal {
    fn start(&self, stage: &str, total: u64) {
        self.finish();
        if !self.show {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>14} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
            )
            .expect("valid template"),
        );
        bar.set_message(stage.to_string());
        *self.bar.lock().expect("not poisoned") = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").as_ref() {
            bar.inc(n);
        }
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}
