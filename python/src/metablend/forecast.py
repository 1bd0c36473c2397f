"""Forecasting pandas panels in statsforecast's shape: long frames with ``unique_id``,
``ds`` and ``y``.

::

    from metablend.forecast import MetaForecaster, cross_validation, features
    mf = MetaForecaster(h=13, meta="fforma").fit(train_df)
    fc = mf.predict(level=[80, 95])     # unique_id, ds, metablend, metablend-lo-80, ...
    scores = cross_validation(train_df, h=13, n_windows=3, level=[80, 95])
    feats = features(train_df)          # one row per series, FFORMA's feature names

The work runs in Rust through the same functions and settings as the ``metablend fit``,
``forecast`` and ``cv`` commands, so the numbers are the command's on the same data.
Settings (keywords): ``season`` (default: from the stamps, e.g. 7 for daily data),
``models`` (the pool, e.g. ``"naive snaive ses theta auto_arima"`` or a list),
``meta`` (``"fforma"``, ``"ppo"``, ``"inverse"``, ``"best"``, ``"equal"``), ``preset``
(``"m4-hourly"``, ``"m4-weekly"``), ``seed``, ``fforma_objective``, ``fforma_inputs``, ``fforma_shrink``, ``fforma_bag``,
``ppo_steps``, ``action_map``, ``global_mlp``, ``global_steps``, ``keep_work`` (default
``True``: ``fit`` keeps each series' work, so that ``predict`` on the fitted frame runs the
pool once per series instead of three times, with the same numbers); ``fill`` says what to
do with missing values (``"error"``, ``"previous"``, ``"drop"``).
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core, engine as _engine
from .exceptions import InvalidInputError

Models = Union[str, Sequence[str], None]


def _panel(df: pd.DataFrame, id_col: str, time_col: str, target_col: str) -> Any:
    if not isinstance(df, pd.DataFrame):
        raise InvalidInputError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in (id_col, time_col, target_col) if c not in df.columns]
    if missing:
        raise InvalidInputError(
            f"the frame has no column(s) {missing}; it needs {id_col}, {time_col}, {target_col} "
            f"(columns: {list(df.columns)})"
        )
    return _engine.panel_data(df, (id_col, time_col, target_col))


def _settings(h: Optional[int], models: Models, settings: dict) -> str:
    out: dict = {k: v for k, v in settings.items() if v is not None}
    if h is not None:
        out["horizon"] = int(h)
    if models is not None:
        out["pool"] = models if isinstance(models, str) else " ".join(models)
    return json.dumps(out)


def _ds_like(values: pd.Series, template: pd.Series) -> pd.Series:
    """Future stamps in the input's dtype (datetimes stay datetimes, integers integers)."""
    if pd.api.types.is_datetime64_any_dtype(template):
        return pd.to_datetime(values)
    if pd.api.types.is_integer_dtype(template):
        return values.astype(np.int64)
    return values


class MetaForecaster:
    """A pool of forecasters combined per series by a meta-learner (FFORMA by default):
    ``fit`` learns the weights from each series' features and validation errors,
    ``predict`` refits the pool on each series' whole history and combines its forecasts,
    with conformal prediction intervals."""

    def __init__(
        self,
        h: Optional[int] = None,
        *,
        season: Optional[int] = None,
        models: Models = None,
        meta: str = "fforma",
        preset: Optional[str] = None,
        seed: int = 0,
        fill: str = "error",
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
        **settings: Any,
    ):
        self.h = h
        self.fill = fill
        self._cols = (id_col, time_col, target_col)
        self._settings = _settings(
            h, models, dict(season=season, meta=meta, preset=preset, seed=seed, **settings)
        )
        self._model: Optional[_core.MetaModel] = None
        self._df: Any = None
        self._engine: Tuple[Any, Any] = (None, None)

    def fit(self, df: Any, *, engine: Any = None, engine_conf: Any = None) -> "MetaForecaster":
        """Fits the pool on each series' validation window and trains the meta-learner.

        ``df`` may be a Dask, Ray or Spark frame (or a pandas frame with ``engine=``, e.g. a
        Dask client): the per-series work then runs on the engine's workers and the
        meta-learner on this machine (see :mod:`metablend.engine`); ``season`` must be
        given, and a global MLP cannot run there."""
        if _engine.is_distributed(df, engine):
            self._model = _engine.fit(df, self._settings, self.fill, self._cols, engine,
                                      engine_conf)
        else:
            self._model = _core.fit_panel(_panel(df, *self._cols), self._settings, self.fill)
        self._df = df
        self._engine = (engine, engine_conf)
        self.h = self.card["horizon"]
        return self

    @property
    def card(self) -> dict:
        """The fitted model's card: every setting, the pool, the data's fingerprint."""
        return json.loads(self._fitted().card_json())

    def _fitted(self) -> _core.MetaModel:
        if self._model is None:
            raise InvalidInputError("the forecaster is not fitted: call fit(df) first")
        return self._model

    def predict(
        self,
        h: Optional[int] = None,
        level: Optional[Sequence[float]] = None,
        df: Any = None,
        *,
        calibration: str = "auto",
        engine: Any = None,
        engine_conf: Any = None,
    ) -> Any:
        """Forecasts ``h`` steps after each series of ``df`` (default: the fitted frame;
        new series are welcome). Columns: ``unique_id``, ``ds``, ``metablend``, its
        ``metablend-lo-L``/``-hi-L`` per level, each pool model with its own intervals, the
        weights ``w_<model>`` and ``fallback`` (the rule used for a series too short for
        the pool). ``calibration``: whose errors calibrate the intervals, ``"panel"``
        (``df``'s own series), ``"model"`` (the fitted series, from the work the model kept:
        intervals for a few series, a third less work on new ones) or ``"auto"`` (the
        panel's where enough of its series have the window before validation, else the
        model's). On an engine's frame (or with ``engine=``; default: the fit's engine
        for the fitted frame) the forecasts are made on the workers and returned as the
        engine's frame, in no particular row order."""
        model = self._fitted()
        if h is not None and h != self.h:
            raise InvalidInputError(
                f"h={h}: the meta-model was fitted for h={self.h} (its validation windows and "
                "weights are per horizon); fit another one for this horizon"
            )
        data = self._df if df is None else df
        if df is None and engine is None:
            engine, engine_conf = self._engine
        if _engine.is_distributed(data, engine):
            return _engine.predict(model, data, level or [], self.fill, self._cols, engine,
                                   engine_conf, calibration)
        levels = [float(x) for x in (level or [])]
        cols = model.forecast(_panel(data, *self._cols), levels, self.fill, calibration)
        out = pd.DataFrame(cols)
        out["ds"] = _ds_like(out["ds"], data[self._cols[1]])
        if self._cols[0] != "unique_id":
            out = out.rename(columns={"unique_id": self._cols[0]})
        if self._cols[1] != "ds":
            out = out.rename(columns={"ds": self._cols[1]})
        return out

    def save(self, path: str) -> None:
        """Writes the model folder (the same as ``metablend fit --out``), atomically."""
        self._fitted().save(str(path))

    @classmethod
    def load(cls, path: str, **kwargs: Any) -> "MetaForecaster":
        """A forecaster from a model folder written by ``save`` or ``metablend fit``."""
        self = cls(**kwargs)
        self._model = _core.MetaModel.load(str(path))
        self.h = self.card["horizon"]
        return self


def cross_validation(
    df: Any,
    h: Optional[int] = None,
    n_windows: int = 1,
    level: Optional[Sequence[float]] = None,
    *,
    models: Models = None,
    fill: str = "error",
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    engine: Any = None,
    engine_conf: Any = None,
    **settings: Any,
) -> pd.DataFrame:
    """Rolling-origin evaluation as ``metablend cv``: for each of the last ``n_windows``
    windows of ``h`` steps, everything is refit on the data before it. Returns one row per
    method and window: ``method``, ``window`` (0 is the earliest), ``smape``, ``mase``,
    ``owa`` (against Naive2 on the same window) and, per level, ``coverage-L`` and
    ``msis-L``; the methods are the meta-learner, the rules and every pool model. On an
    engine's frame (or with ``engine=``) the per-series work and scoring run on the
    workers (``season`` must be given); the scores are those of the local path on the frame
    sorted by ``unique_id``."""
    levels = [float(x) for x in (level or [])]
    if _engine.is_distributed(df, engine):
        cols = (id_col, time_col, target_col)
        text = _engine.cross_validation(df, _settings(h, models, settings), int(n_windows),
                                        levels, fill, cols, engine, engine_conf)
    else:
        text = _core.cross_validate(_panel(df, id_col, time_col, target_col),
                                    _settings(h, models, settings), int(n_windows), levels, fill)
    report = json.loads(text)
    rows = []
    for method in report["methods"]:
        for w in method["windows"]:
            row = {"method": method["method"], "window": w["window"], "smape": w["smape"],
                   "mase": w["mase"], "owa": w["owa"]}
            for lv, c, m in zip(report["levels"], w["coverage"], w["msis"]):
                row[f"coverage-{lv:g}"] = c
                row[f"msis-{lv:g}"] = m
            rows.append(row)
    return pd.DataFrame(rows)


def features(
    df: Any,
    season: Optional[int] = None,
    *,
    fill: str = "error",
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    engine: Any = None,
    engine_conf: Any = None,
) -> Any:
    """FFORMA's 42 features of every series (tsfeatures' names), one row per series;
    NaN where a feature does not apply or the series is too short for them. On an
    engine's frame (or with ``engine=``) they are computed on the workers and returned as
    the engine's frame."""
    if _engine.is_distributed(df, engine):
        cols = (id_col, time_col, target_col)
        return _engine.features(df, season, fill, cols, engine, engine_conf)
    ids, names, rows = _core.panel_features(_panel(df, id_col, time_col, target_col), season, fill)
    values = np.array([r if r is not None else [np.nan] * len(names) for r in rows], dtype=np.float64)
    out = pd.DataFrame(values.reshape(len(ids), len(names)), columns=names)
    out.insert(0, id_col, ids)
    return out


__all__ = ["MetaForecaster", "cross_validation", "features"]
