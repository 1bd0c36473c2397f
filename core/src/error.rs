//! The foundation's error type.

/// Everything that can go wrong in the foundation. Messages name the file, line, column or
/// index involved, so a caller can act on them without a debugger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Data that breaks an invariant (non-finite value, mismatched lengths, too short).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// Arguments of the wrong shape or with invalid values (metrics).
    #[error("invalid input: {0}")]
    InvalidInput(String),
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
        /// The file or folder involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An output path that would destroy something the user did not ask to replace.
    #[error("{path}: {reason}")]
    UnsafeOutput {
        /// The output path as given.
        path: String,
        /// Why it is refused, and what to do instead.
        reason: String,
    },
    /// A run folder another process is writing.
    #[error("{path} is in use by {holder}; wait for it to finish or choose another folder")]
    Locked {
        /// The folder.
        path: String,
        /// Who holds it ("process 1234").
        holder: String,
    },
    /// A saved file or folder whose content is not what was written (checksum, format).
    #[error("{path}: {message}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The foundation's result type.
pub type Result<T> = std::result::Result<T, Error>;
