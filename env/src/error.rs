//! The env crate's error type.

/// Everything that can go wrong in the env crate. Messages name what was wrong and where
/// (index, series, CSV line and column), so a caller can act on them without a debugger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An action that does not fit the action space (wrong length, NaN, out of range index).
    #[error("invalid action: {0}")]
    InvalidAction(String),
    /// `step()` was called after the episode ended and before the next `reset()`.
    #[error("step() after episode end; call reset()")]
    StepAfterDone,
    /// `step()` was called before the first `reset()`.
    #[error("step() before reset(); call reset() first")]
    NotReset,
    /// A configuration value that cannot work (window 0, empty range, ...).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Data that breaks an invariant (non-finite value, mismatched lengths, too short).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A CSV file or stream that could not be parsed; `line` is 1-based and counts the header.
    #[error("{source_name}: line {line}, column '{column}': {message}")]
    Csv {
        /// File path or stream name.
        source_name: String,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// Column name, or "-" when the problem is the whole record.
        column: String,
        /// What was wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `check_env` found the environment breaking the API contract.
    #[error("env check failed: {0}")]
    CheckFailed(String),
    /// An error from the foundation (predictions tables, files).
    #[error(transparent)]
    Core(#[from] metablend_core::Error),
    /// A policy failed to produce an action.
    #[error("policy error: {0}")]
    Policy(String),
}

/// The env crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
