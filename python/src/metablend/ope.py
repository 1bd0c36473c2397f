"""Off-policy evaluation: the value of a target policy estimated from episodes logged by
another (behaviour) policy, with bootstrap intervals and the diagnostics that say when not
to trust it (the library's estimators, the numbers of ``metablend ope``).

::

    from metablend.ope import evaluate
    table = evaluate("episodes.jsonl", log_prob=lambda obs, action: my_policy_logp(obs, action))
    table                        # estimator, value, ci_low, ci_high (IS, WIS, PDIS, WPDIS, DR)
    table.attrs["diagnostics"]   # effective sample size, largest weights, behaviour value

The log is the JSONL format of ``metablend collect`` (one line per step: ``episode, t, obs,
action, reward, terminated, truncated, behavior_log_prob``), given as a path or as a
DataFrame with those columns. The target policy is ``log_prob(obs, action) -> float``
(ln π(action | obs)) or ``log_probs``, one value per logged step in the log's row order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _core
from .exceptions import DataFileError, InvalidInputError

_COLUMNS = ["episode", "t", "obs", "action", "reward", "terminated", "truncated", "behavior_log_prob"]


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _log_text(log) -> tuple[str, str]:
    if isinstance(log, (str, Path)):
        try:
            return Path(log).read_text(), str(log)
        except OSError as e:
            raise DataFileError(f"{log}: {e.strerror or e}") from e
    if isinstance(log, pd.DataFrame):
        missing = [c for c in _COLUMNS if c not in log.columns]
        if missing:
            raise InvalidInputError(f"the log frame has no column(s) {missing}")
        lines = (json.dumps({c: _jsonable(row[c]) for c in _COLUMNS})
                 for row in log[_COLUMNS].to_dict("records"))
        return "\n".join(lines) + "\n", "the log frame"
    raise InvalidInputError("log: a JSONL path or a DataFrame")


def evaluate(
    log: Union[str, Path, pd.DataFrame],
    log_prob: Optional[Callable[[np.ndarray, object], float]] = None,
    *,
    log_probs: Optional[Sequence[float]] = None,
    gamma: float = 0.99,
    bootstrap: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    ridge: float = 1e-3,
) -> pd.DataFrame:
    """Every estimator's value and bootstrap interval, one row each; the diagnostics in
    ``.attrs["diagnostics"]``."""
    text, source = _log_text(log)
    keys = values = None
    if log_probs is not None:
        keys = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                    keys.append((int(row["episode"]), int(row["t"])))
                except (ValueError, KeyError) as e:
                    raise InvalidInputError(f"{source}: line {n}: {e}") from e
        values = [float(v) for v in log_probs]
    elif log_prob is None:
        raise InvalidInputError("give the target policy: log_prob(obs, action) or log_probs")
    settings = json.dumps(dict(gamma=gamma, bootstrap=bootstrap, level=level, seed=seed, ridge=ridge))
    report = json.loads(_core.off_policy(text, source, settings, log_prob, keys, values))
    table = pd.DataFrame(report.pop("estimates"))
    table["estimator"] = table["estimator"].str.upper()
    table.attrs["diagnostics"] = report
    return table


__all__ = ["evaluate"]
