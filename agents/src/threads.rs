//! Deliberate control of candle's CPU thread count.

/// Sets the number of threads candle's CPU kernels use, by setting `RAYON_NUM_THREADS` (the
/// variable candle 0.11 reads on every matrix multiply).
///
/// For the small networks of RL, one thread is fastest (an MLP Adam step measured 184 µs with
/// one thread and 442 µs with two on a 2-core machine), and when the variable is unset candle
/// re-reads `/proc/cpuinfo` on every multiply. Call this once at program start, before other
/// threads exist: changing the environment while other threads read it is not thread-safe.
pub fn set_candle_threads(n: usize) {
    // SAFETY-relevant note: `set_var` is safe in edition 2021; the caller contract above is
    // what keeps it sound.
    std::env::set_var("RAYON_NUM_THREADS", n.max(1).to_string());
}

/// The thread count candle will use, when it is set explicitly.
pub fn candle_threads() -> Option<usize> {
    std::env::var("RAYON_NUM_THREADS").ok()?.parse().ok()
}
