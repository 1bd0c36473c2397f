"""Forecasting on a cluster engine (Dask, Ray, Spark, or anything Fugue runs on), as
statsforecast does: ``MetaForecaster.fit``, ``predict``, ``cross_validation`` and
``features`` take the engine's frame (or a pandas frame and ``engine=``) and run here.

The per-series work (the pool's fits and forecasts, the features, the forecast rows) runs
partitioned by series on the engine's workers, through the same Rust functions as the local
path; the meta-learner trains on the driver from the gathered per-series work (features and
validation windows: a few hundred numbers per series, never a history), and the fitted
model's card and each series' weights go back to the workers for the forecasts. The work
``fit`` kept is not redone: ``predict`` sends the workers an index of it (id and values'
digest per series), and an unchanged series forecasts only its future.

Series are gathered in ``unique_id`` order (a distributed frame has no row order), so the
results equal the local path's on a frame sorted by ``unique_id``, bit for bit, whatever the
number of workers or partitions. A worker that dies is replaced and its tasks rerun by the
engine; every stage is a pure function of its input, so the result is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from .exceptions import InvalidInputError

Columns = Tuple[str, str, str]


class _Blob(bytes):
    """Bytes that Fugue fingerprints by their digest. Fugue names every step of its plan
    by a hash of the step's parameters, taken element by element: for plain bytes, one
    hash per byte, 9 µs a byte on the driver (a quarter of a second per step name for M4
    Weekly's kept-work index of 359 series, about a minute at 100,000 series)."""

    def __uuid__(self) -> str:
        return hashlib.sha256(self).hexdigest()


def _blob(data: Optional[bytes]) -> Optional[_Blob]:
    return None if data is None else _Blob(data)


def is_distributed(df: Any, engine: Any) -> bool:
    """Whether ``df`` with ``engine`` runs on an engine rather than on this machine."""
    return engine is not None or not isinstance(df, pd.DataFrame)


def _fugue():
    try:
        import fugue.api as fa
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise InvalidInputError(
            "a non-pandas frame or engine= needs Fugue and the engine's package "
            "(e.g. pip install 'fugue[dask]'); pass a pandas DataFrame to run locally"
        ) from e
    return fa


def panel_data(df: pd.DataFrame, cols: Columns) -> Union[str, Tuple[str, np.ndarray]]:
    """A pandas panel as the Rust reader takes it: CSV text of ``unique_id,ds,y`` or, where
    ``y`` holds integers or floats, the text of ``unique_id,ds`` beside ``y`` as a float64
    array (NaN where missing). Printing and parsing every value was most of the cost of
    handing a frame over; the values arrive exactly as they are."""
    frame = df[list(cols)]
    frame.columns = ["unique_id", "ds", "y"]
    y = frame["y"]
    if pd.api.types.is_float_dtype(y) or pd.api.types.is_integer_dtype(y):
        values = y.to_numpy(dtype=np.float64, na_value=np.nan)
        return frame[["unique_id", "ds"]].to_csv(index=False), values
    return frame.to_csv(index=False)


def _map_work(df: pd.DataFrame, plan: Any, cols: Any, fill: Any, kept: Any = None) -> pd.DataFrame:
    """A worker's series: their work as bytes (the id column named as the input's). With
    ``kept`` (the model's kept-work index) the series found there only forecast their
    future; their ``_fit`` is empty and the driver takes it from the model."""
    ids, fits, futures, frequency = _core.map_partition(panel_data(df, tuple(cols)), plan, fill,
                                                        kept)
    return pd.DataFrame(
        {
            cols[0]: pd.Series(ids, dtype=object),
            "_fit": pd.Series(fits, dtype=object),
            "_future": pd.Series(futures, dtype=object),
            "_frequency": pd.Series([frequency] * len(ids), dtype=object),
        }
    )


def _by_series(cols: Columns) -> dict:
    """Whole series per call, several per call: rows hashed by id into sixteen partitions per
    core of the engine, each sorted by id and time (one Rust call per partition, not per
    series)."""
    return {"by": [cols[0]], "presort": f"{cols[1]} asc", "algo": "coarse",
            "num": "CONCURRENCY*16"}


def _work(fa: Any, df: Any, plan: bytes, cols: Columns, fill: str, kept: Optional[bytes] = None,
          **kwargs: Any) -> Any:
    return fa.transform(
        df,
        _map_work,
        schema=f"{cols[0]}:str,_fit:bytes,_future:bytes,_frequency:str",
        params={"plan": _blob(plan), "cols": list(cols), "fill": fill, "kept": _blob(kept)},
        partition=_by_series(cols),
        **kwargs,
    )


def _gathered(fa: Any, work: Any, cols: Columns, columns: List[str]) -> pd.DataFrame:
    """The work's ``columns`` on the driver, in ``unique_id`` order."""
    local = fa.as_pandas(fa.select_columns(work, [cols[0], *columns]))
    return local.sort_values(cols[0], kind="stable").reset_index(drop=True)


def fit(
    df: Any, settings: str, fill: str, cols: Columns, engine: Any, engine_conf: Any
) -> "_core.MetaModel":
    """Fits a meta-model on ``df`` over ``engine``."""
    fa = _fugue()
    plan = _core.fit_plan(settings)
    with fa.engine_context(engine, engine_conf, infer_by=[df]):
        work = _work(fa, df, plan, cols, fill)
        gathered = _gathered(fa, work, cols, ["_fit", "_frequency"])
    return _core.fit_from_work(settings, list(gathered["_fit"]), list(gathered["_frequency"]))


def _ds_kind(fa: Any, df: Any, time_col: str) -> str:
    import pyarrow as pa

    t = fa.get_schema(df)[time_col].type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "datetime"
    if pa.types.is_integer(t):
        return "int"
    return "str"


def _forecast_rows(
    df: pd.DataFrame, card: Any, levels: Any, calibration: Any, ds_kind: Any, cols: Any
) -> pd.DataFrame:
    """A worker's series: their forecast rows."""
    # `_w0_0`, `_w0_1`, ...: the series' weights, NaN for a series on the fallback.
    w = df[[c for c in df.columns if c.startswith("_w0_")]].to_numpy(dtype=np.float64)
    weights = [None if np.isnan(row).all() else row.tolist() for row in w]
    out = pd.DataFrame(
        _core.forecast_partition(card, list(df["_future"]), weights, list(levels), calibration)
    )
    if ds_kind == "datetime":
        out["ds"] = pd.to_datetime(out["ds"])
    elif ds_kind == "int":
        out["ds"] = out["ds"].astype(np.int64)
    return out.rename(columns={"unique_id": cols[0], "ds": cols[1]})


def _rows_schema(card: str, levels: List[float], calibration: Optional[bytes], ds_kind: str,
                 cols: Columns) -> Any:
    import pyarrow as pa

    names = list(_core.forecast_partition(card, [], [], levels, calibration).keys())
    ds = {"datetime": pa.timestamp("ns"), "int": pa.int64()}.get(ds_kind, pa.string())
    fields = []
    for n in names:
        if n == "unique_id":
            fields.append(pa.field(cols[0], pa.string()))
        elif n == "ds":
            fields.append(pa.field(cols[1], ds))
        elif n == "fallback":
            fields.append(pa.field(n, pa.string()))
        else:
            fields.append(pa.field(n, pa.float64()))
    from triad import Schema

    return str(Schema(pa.schema(fields)))


def predict(
    model: "_core.MetaModel",
    df: Any,
    levels: Sequence[float],
    fill: str,
    cols: Columns,
    engine: Any,
    engine_conf: Any,
    calibration: str = "auto",
) -> Any:
    """The forecast rows of every series of ``df`` over ``engine``, as the engine's frame;
    the intervals calibrated on the series ``calibration`` names (auto, panel or model)."""
    fa = _fugue()
    levels = [float(x) for x in levels]
    plan = _core.forecast_plan(model, levels, calibration)
    card = model.card_json()
    with fa.engine_context(engine, engine_conf, infer_by=[df]):
        ds_kind = _ds_kind(fa, df, cols[1])
        # Persisted: the driver reads the validation work, the workers then the future's.
        # Series whose work the model kept (unchanged since fit) skip it.
        kept = _core.kept_index(model, levels, calibration)
        work = _work(fa, df, plan, cols, fill, kept, persist=True)
        gathered = _gathered(fa, work, cols, ["_fit"])
        weights, calibration = _core.combine_work(model, list(gathered[cols[0]].astype(str)),
                                                  list(gathered["_fit"]), levels, calibration)
        from fugue import PandasDataFrame

        k = len(json.loads(card)["names"])
        per_series = _weights_frame(gathered[cols[0]], [weights], k, cols[0])
        joined = _beside(fa, work, [cols[0], "_future"], per_series)
        rows = fa.transform(
            joined,
            _forecast_rows,
            schema=_rows_schema(card, levels, calibration, ds_kind, cols),
            params={"card": card, "levels": levels, "calibration": _blob(calibration),
                    "ds_kind": ds_kind, "cols": list(cols)},
        )
        return fa.get_native_as_df(rows)


def _map_window(df: pd.DataFrame, plan: Any, window: Any, cols: Any, fill: Any) -> pd.DataFrame:
    """A worker's series cut before a cross-validation window: their work as bytes."""
    ids, fits, tails, frequency = _core.map_window_partition(
        panel_data(df, tuple(cols)), plan, window, fill
    )
    return pd.DataFrame(
        {
            cols[0]: pd.Series(ids, dtype=object),
            "_fit": pd.Series(fits, dtype=object),
            "_tail": pd.Series(tails, dtype=object),
            "_frequency": pd.Series([frequency] * len(ids), dtype=object),
        }
    )


def _score_rows(
    df: pd.DataFrame, card: Any, plan: Any, calibrations: Any, shape: Any, cols: Any
) -> pd.DataFrame:
    """A worker's series: their shares of a window's scores."""
    combos, k = shape
    w = df[[f"_w{c}_{j}" for c in range(combos) for j in range(k)]].to_numpy(dtype=np.float64)
    w = w.reshape(len(df), combos, k)
    weights = [[None if np.isnan(w[i, c]).all() else w[i, c].tolist() for c in range(combos)]
               for i in range(len(df))]
    scores = _core.score_partition(card, plan, list(df["_tail"]), weights, calibrations)
    return pd.DataFrame({cols[0]: df[cols[0]].astype(str).to_numpy(dtype=object),
                         "_scores": pd.Series(scores, dtype=object)})


def _weights_frame(ids: pd.Series, weights: List[List[Optional[List[float]]]], k: int,
                   id_col: str) -> Any:
    """``weights[c][i]`` as float columns ``_w{c}_{j}`` beside the ids (NaN: fallback).
    Engines keep floats exact, and turn object columns (lists, bytes) into text."""
    from fugue import PandasDataFrame

    combos = len(weights)
    w = np.full((len(ids), combos, k), np.nan)
    for c, per_series in enumerate(weights):
        for i, row in enumerate(per_series):
            if row is not None:
                w[i, c] = row
    names = [f"_w{c}_{j}" for c in range(combos) for j in range(k)]
    frame = pd.DataFrame(w.reshape(len(ids), combos * k), columns=names)
    frame.insert(0, id_col, ids.astype(str).to_numpy())
    return PandasDataFrame(frame, ",".join([f"{id_col}:str"] + [f"{n}:double" for n in names]))


def _beside(fa: Any, work: Any, columns: List[str], per_series: Any) -> Any:
    """``work``'s ``columns`` with each series' row of ``per_series`` beside them. The
    per-series rows are a few numbers a series, so they go to the workers whole, as one
    partition (a broadcast): the engine joins them to each of the work's partitions where it
    lies instead of shuffling the work (Dask merges blockwise, Spark broadcasts)."""
    small = fa.broadcast(fa.repartition(per_series, {"num": 1}))
    return fa.inner_join(fa.select_columns(work, columns), small)


def cross_validation(df: Any, settings: str, n_windows: int, levels: Sequence[float], fill: str,
                     cols: Columns, engine: Any, engine_conf: Any) -> str:
    """The rolling-origin report (JSON) of ``df`` over ``engine``: per window, the workers
    cut and map their series, the driver fits and combines, the workers score their
    series, and the driver sums the scores in ``unique_id`` order."""
    fa = _fugue()
    levels = [float(x) for x in levels]
    plan = _core.cv_plan(settings, int(n_windows), levels)
    cards, scores, scored, fallbacks = [], [], [], []
    with fa.engine_context(engine, engine_conf, infer_by=[df]):
        for window in range(int(n_windows)):
            work = fa.transform(
                df,
                _map_window,
                schema=f"{cols[0]}:str,_fit:bytes,_tail:bytes,_frequency:str",
                params={"plan": _blob(plan), "window": window, "cols": list(cols), "fill": fill},
                partition=_by_series(cols),
                persist=True,
            )
            gathered = _gathered(fa, work, cols, ["_fit", "_frequency"])
            card, weights, calibrations, n, fallback = _core.fit_window_work(
                settings, plan, window, list(gathered["_fit"]), list(gathered["_frequency"])
            )
            k = len(json.loads(card)["names"])
            per_series = _weights_frame(gathered[cols[0]], weights, k, cols[0])
            joined = _beside(fa, work, [cols[0], "_tail"], per_series)
            shares = fa.transform(
                joined,
                _score_rows,
                schema=f"{cols[0]}:str,_scores:bytes",
                params={"card": card, "plan": _blob(plan), "calibrations": _blob(calibrations),
                        "shape": [len(weights), k], "cols": list(cols)},
            )
            cards.append(card)
            scores.append(list(_gathered(fa, shares, cols, ["_scores"])["_scores"]))
            scored.append(n)
            fallbacks.append(fallback)
    return _core.cv_report_from_scores(settings, plan, cards, scores, scored, fallbacks)


def _feature_rows(df: pd.DataFrame, season: Any, cols: Any, fill: Any) -> pd.DataFrame:
    """A worker's series: their features."""
    ids, names, rows = _core.panel_features(panel_data(df, tuple(cols)), season, fill)
    values = np.array([r if r is not None else [np.nan] * len(names) for r in rows],
                      dtype=np.float64).reshape(len(ids), len(names))
    out = pd.DataFrame(values, columns=names)
    out.insert(0, cols[0], pd.Series(ids, dtype=object))
    return out


def features(df: Any, season: Optional[int], fill: str, cols: Columns, engine: Any,
             engine_conf: Any) -> Any:
    """FFORMA's features of every series of ``df`` over ``engine``, as the engine's frame."""
    fa = _fugue()
    schema = ",".join([f"{cols[0]}:str"] + [f"{n}:double" for n in _core.FEATURE_NAMES])
    with fa.engine_context(engine, engine_conf, infer_by=[df]):
        return fa.transform(
            df,
            _feature_rows,
            schema=schema,
            params={"season": season, "cols": list(cols), "fill": fill},
            partition=_by_series(cols),
        )


__all__ = ["is_distributed", "fit", "predict", "cross_validation", "features"]
