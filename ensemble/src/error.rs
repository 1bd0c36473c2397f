//! The ensemble crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the ensemble crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Inputs of the wrong shape or with invalid values; the message says which and where.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A data file could not be parsed; names the file, the 1-based line and the column.
    #[error("{file}: line {line}, column `{column}`: {message}")]
    Parse {
        /// The file (or source name) being read.
        file: String,
        /// 1-based line number, the header being line 1.
        line: u64,
        /// The column's name.
        column: String,
        /// What was wrong.
        message: String,
    },
    /// A file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The history is too short for the model's order or configuration.
    #[error("{model}: needs at least {needed} observations, got {got}")]
    TooShort {
        /// The model's name.
        model: String,
        /// The minimum history length.
        needed: usize,
        /// The history length given.
        got: usize,
    },
    /// `forecast` or `append` was called before `fit`.
    #[error("{0}: forecast or append called before fit")]
    NotFitted(String),
    /// Estimation failed (no finite objective, a non-stationary fit, divergence).
    #[error("{model}: fit failed: {detail}")]
    FitFailed {
        /// The model's name.
        model: String,
        /// What went wrong.
        detail: String,
    },
    /// The caller asked the work to stop (see `metablend_core::Progress`).
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// A model configuration is invalid (e.g. a non-positive seasonal period).
    #[error("invalid model configuration: {0}")]
    Config(String),
    /// An error from candle (neural forecasters).
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// An error from the foundation (metrics, predictions tables, files).
    #[error(transparent)]
    Core(#[from] metablend_core::Error),
    /// An error from the network toolkit.
    #[error(transparent)]
    Nn(#[from] metablend_nn::Error),
    /// An error from the env crate (policies).
    #[error(transparent)]
    Env(#[from] metablend_env::Error),
}

/// The ensemble crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that every value of `history` is finite; names the first offending index.
pub(crate) fn check_finite(model: &str, history: &[f64]) -> Result<()> {
    match history.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::InvalidInput(format!(
            "{model}: history[{i}] is {} (values must be finite)",
            history[i]
        ))),
        None => Ok(()),
    }
}

/// Checks that `history` has at least `needed` values.
pub(crate) fn check_len(model: &str, history: &[f64], needed: usize) -> Result<()> {
    if history.len() < needed {
        return Err(Error::TooShort {
            model: model.to_string(),
            needed,
            got: history.len(),
        });
    }
    Ok(())
}
