"""Forecast combiners on numpy arrays or a DataFrame: each fitted on the training rows and
run over the evaluation rows, reading only the past at every row (the library's
implementations, the numbers of ``metablend compare``).

::

    from metablend.combine import combine
    result = combine(df, train_end=600, method="fixed_share")   # df: target + model columns
    result.forecasts, result.weights                            # per evaluation row
    every = combine(df, train_end=600)                          # every classical combiner

Methods: ``equal``, ``median``, ``best_single``, ``inverse_mse`` (``window``), ``stacking``,
``hedge``, ``exp_gradient``, ``fixed_share`` (``eta``; tuned on the training rows when not
given) and ``oracle`` (sees the evaluation targets: an upper reference, not a method).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _core
from .exceptions import InvalidInputError


@dataclass
class Combined:
    """One combiner's output over the evaluation rows."""

    name: str
    oracle: bool
    forecasts: np.ndarray
    weights: pd.DataFrame


def combine(
    data=None,
    *,
    target=None,
    predictions=None,
    model_names: Optional[Sequence[str]] = None,
    train_end: int,
    eval_end: Optional[int] = None,
    method: Optional[str] = None,
    eta: Optional[float] = None,
    window: Optional[int] = None,
    target_column: str = "target",
) -> Union[Combined, Dict[str, Combined]]:
    """Runs ``method`` (or, without one, every classical combiner, returned by name) on
    rows ``[train_end, eval_end)`` after fitting on rows ``[0, train_end)``."""
    if data is not None:
        if target_column not in data.columns:
            raise InvalidInputError(f"the frame has no target column {target_column!r}")
        names = list(model_names) if model_names is not None else [
            c for c in data.columns if c not in (target_column, "ds", "timestamp", "date", "t", "time")]
        y = data[target_column].to_numpy(dtype=np.float64)
        p = data[names].to_numpy(dtype=np.float64)
    elif target is not None and predictions is not None:
        y = np.asarray(target, dtype=np.float64)
        p = np.asarray(predictions, dtype=np.float64)
        if p.ndim != 2:
            raise InvalidInputError("predictions: a T x K array (one column per model)")
        names = list(model_names) if model_names is not None else [f"model{i}" for i in range(p.shape[1])]
    else:
        raise InvalidInputError("combine needs a DataFrame or target= and predictions= arrays")
    results = _core.combine(np.ascontiguousarray(y), np.ascontiguousarray(p), names, int(train_end),
                            eval_end, method, eta, window)
    index = np.arange(train_end, train_end + len(results[0][2]))
    out = {name: Combined(name, oracle, forecasts, pd.DataFrame(weights, columns=names, index=index))
           for name, oracle, forecasts, weights in results}
    return next(iter(out.values())) if method is not None else out


__all__ = ["combine", "Combined"]
