//! The toolkit's error type.

/// What can go wrong in the toolkit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A gradient or parameter with NaN or infinite values; the message names it.
    #[error("{0}")]
    NonFinite(String),
    /// Tensors whose shapes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// The toolkit's result type.
pub type Result<T> = std::result::Result<T, Error>;
