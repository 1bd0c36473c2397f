//! Every Rust error becomes an exception of a documented class (`metablend.exceptions`):
//! bad input is a `ValueError`, a file or folder problem an `OSError`, misuse of an env's
//! episode a `RuntimeError`, each also a `MetablendError`; an interruption is Python's own
//! `KeyboardInterrupt`. The classes are defined in Python (they need two bases each) and
//! looked up when an error is raised.

use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyType;

/// The documented exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `InvalidInputError` (a `ValueError`): data, settings, actions.
    InvalidInput,
    /// `DataFileError` (an `OSError`): a file that cannot be read or written.
    File,
    /// `CheckpointError` (an `OSError`): a damaged or mismatched checkpoint or model folder.
    Checkpoint,
    /// `EnvStateError` (a `RuntimeError`): `step` before `reset` or after the episode ended.
    EnvState,
    /// `TrainingError` (a `RuntimeError`): training diverged or a callback failed.
    Training,
}

impl Kind {
    fn class_name(self) -> &'static str {
        match self {
            Kind::InvalidInput => "InvalidInputError",
            Kind::File => "DataFileError",
            Kind::Checkpoint => "CheckpointError",
            Kind::EnvState => "EnvStateError",
            Kind::Training => "TrainingError",
        }
    }
}

/// An exception of class `kind` with `message`.
pub(crate) fn raise(kind: Kind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let class = py
            .import("metablend.exceptions")
            .and_then(|m| m.getattr(kind.class_name()))
            .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
        match class {
            Ok(class) => PyErr::from_type(class, message),
            // Only when `_core` is used without its package.
            Err(_) => match kind {
                Kind::InvalidInput => PyValueError::new_err(message),
                Kind::File | Kind::Checkpoint => PyOSError::new_err(message),
                Kind::EnvState | Kind::Training => PyRuntimeError::new_err(message),
            },
        }
    })
}

/// Conversion of the crates' errors, each variant to its class.
pub(crate) trait ToPyErr {
    /// The exception for this error.
    fn to_py(self) -> PyErr;
}

impl ToPyErr for metablend_core::Error {
    fn to_py(self) -> PyErr {
        use metablend_core::Error as E;
        let kind = match &self {
            E::Io { .. } | E::UnsafeOutput { .. } | E::Locked { .. } => Kind::File,
            E::Damaged { .. } => Kind::Checkpoint,
            _ => Kind::InvalidInput,
        };
        raise(kind, self.to_string())
    }
}

impl ToPyErr for metablend_env::Error {
    fn to_py(self) -> PyErr {
        use metablend_env::Error as E;
        let kind = match &self {
            E::StepAfterDone | E::NotReset => Kind::EnvState,
            E::Io { .. } => Kind::File,
            _ => Kind::InvalidInput,
        };
        raise(kind, self.to_string())
    }
}

impl ToPyErr for metablend_agents::Error {
    fn to_py(self) -> PyErr {
        use metablend_agents::Error as E;
        match self {
            E::Core(e) => e.to_py(),
            E::Env(e) => e.to_py(),
            E::Checkpoint { .. } => raise(Kind::Checkpoint, self.to_string()),
            E::Io { .. } | E::Log { .. } => raise(Kind::File, self.to_string()),
            E::NonFinite(_) | E::Callback(_) | E::Candle(_) => {
                raise(Kind::Training, self.to_string())
            }
            _ => raise(Kind::InvalidInput, self.to_string()),
        }
    }
}

impl ToPyErr for metablend_ensemble::Error {
    fn to_py(self) -> PyErr {
        use metablend_ensemble::Error as E;
        match self {
            E::Core(e) => e.to_py(),
            E::Env(e) => e.to_py(),
            E::Interrupted(m) => PyKeyboardInterrupt::new_err(m),
            E::Io { .. } => raise(Kind::File, self.to_string()),
            _ => raise(Kind::InvalidInput, self.to_string()),
        }
    }
}

impl ToPyErr for metablend_pipelines::Error {
    fn to_py(self) -> PyErr {
        use metablend_pipelines::Error as E;
        match self {
            E::Core(e) => e.to_py(),
            E::Env(e) => e.to_py(),
            E::Agents(e) => e.to_py(),
            E::Ensemble(e) => e.to_py(),
            E::Interrupted(m) => PyKeyboardInterrupt::new_err(m),
            E::Folder { .. } => raise(Kind::Checkpoint, self.to_string()),
            _ => raise(Kind::InvalidInput, self.to_string()),
        }
    }
}

/// `?` on the crates' results inside binding functions.
pub(crate) trait OrRaise<T> {
    /// The value, or the error as its exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T, E: ToPyErr> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(ToPyErr::to_py)
    }
}
