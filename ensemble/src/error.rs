//! The ensemble crate's error type.

/// Everything that can go wrong in the ensemble crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Inputs of the wrong shape or with invalid values; the message says which and where.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An error from the env crate (predictions tables, policies).
    #[error(transparent)]
    Env(#[from] metablend_env::Error),
}

/// The ensemble crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
