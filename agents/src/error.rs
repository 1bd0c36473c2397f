//! The agents crate's error type.

/// Everything that can go wrong while building, training, saving or loading an agent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A PPO configuration value that cannot work; the message names the field.
    #[error("invalid PPO config: {0}")]
    InvalidConfig(String),
    /// A learned-optimizer or meta-training setting that cannot work.
    #[error("invalid learned-optimizer config: {0}")]
    InvalidMetaOptConfig(String),
    /// A training callback failed (evaluation, logging, saving); the message says which.
    #[error("callback failed: {0}")]
    Callback(String),
    /// The env's action or observation space is one this policy cannot serve.
    #[error("unsupported space: {0}")]
    UnsupportedSpace(String),
    /// Training produced NaN or infinite values; the message says where.
    #[error("training diverged: {0}")]
    NonFinite(String),
    /// A checkpoint that is missing, damaged, or from another architecture.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The checkpoint folder or file.
        path: String,
        /// What is wrong with it.
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
    /// A logged-trajectory file that cannot be used; names the file and the 1-based line.
    #[error("{path}: line {line}: {message}")]
    Log {
        /// The log file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Inputs that cannot work (empty logs, mismatched lengths); the message says which.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An error from the foundation (files, predictions tables).
    #[error(transparent)]
    Core(#[from] metablend_core::Error),
    /// An error from the environment.
    #[error(transparent)]
    Env(#[from] metablend_env::Error),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl From<metablend_nn::Error> for Error {
    fn from(e: metablend_nn::Error) -> Self {
        match e {
            metablend_nn::Error::NonFinite(m) => Self::NonFinite(m),
            metablend_nn::Error::Candle(e) => Self::Candle(e),
            other => Self::InvalidInput(other.to_string()),
        }
    }
}

/// The agents crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
