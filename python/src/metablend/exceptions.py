"""The exceptions metablend raises. Every error of the Rust core arrives as one of these.

Each is a :class:`MetablendError` and also the standard class it fits, so code that already
catches ``ValueError`` or ``OSError`` keeps working::

    MetablendError
    ├── InvalidInputError  (ValueError)   bad data, settings, actions, frames
    ├── DataFileError      (OSError)      a file that cannot be read or written
    ├── CheckpointError    (OSError)      a damaged or mismatched checkpoint or model folder
    ├── EnvStateError      (RuntimeError) step() before reset() or after the episode ended
    └── TrainingError      (RuntimeError) training diverged or a callback failed

An interrupted call (Ctrl-C) raises Python's own ``KeyboardInterrupt``.
"""


class MetablendError(Exception):
    """Base class of every metablend error."""


class InvalidInputError(MetablendError, ValueError):
    """Bad data, settings or actions; the message names the series, row, field or index."""


class DataFileError(MetablendError, OSError):
    """A file that cannot be read or written; the message names it."""


class CheckpointError(MetablendError, OSError):
    """A checkpoint or model folder that is damaged or does not fit; the message names it."""


class EnvStateError(MetablendError, RuntimeError):
    """An env used out of order: ``step()`` before ``reset()`` or after the episode ended."""


class TrainingError(MetablendError, RuntimeError):
    """Training cannot go on (a non-finite loss or reward, a failing callback)."""


__all__ = [
    "MetablendError",
    "InvalidInputError",
    "DataFileError",
    "CheckpointError",
    "EnvStateError",
    "TrainingError",
]
