//! The pipelines' error type.

/// What can go wrong in a protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller asked the work to stop ([`metablend_core::Progress::stop_requested`]);
    /// nothing that looks complete was written.
    #[error("interrupted{}", if .0.is_empty() { String::new() } else { format!(": {}", .0) })]
    Interrupted(String),
    /// A setting that cannot work, or settings that do not fit the data or the run folder;
    /// the message names the setting.
    #[error("{0}")]
    Settings(String),
    /// A run folder, data folder or report whose content cannot be used.
    #[error("{path}: {message}")]
    Folder {
        /// The file or folder.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An error from the foundation (files, tables, metrics).
    #[error(transparent)]
    Core(#[from] metablend_core::Error),
    /// An error from the env crate.
    #[error(transparent)]
    Env(#[from] metablend_env::Error),
    /// An error from the agents crate.
    #[error(transparent)]
    Agents(#[from] metablend_agents::Error),
    /// An error from the ensemble crate.
    #[error(transparent)]
    Ensemble(#[from] metablend_ensemble::Error),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A report could not be rendered (a chart).
    #[error("rendering {path}: {message}")]
    Render {
        /// The output file.
        path: String,
        /// What failed.
        message: String,
    },
}

impl Error {
    /// Whether the work stopped because the caller asked it to (here or in a crate below).
    pub fn is_interrupted(&self) -> bool {
        matches!(
            self,
            Self::Interrupted(_) | Self::Ensemble(metablend_ensemble::Error::Interrupted(_))
        )
    }

    /// A folder error.
    pub fn folder(path: &std::path::Path, message: impl Into<String>) -> Self {
        Self::Folder {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// The pipelines' result type.
pub type Result<T> = std::result::Result<T, Error>;
