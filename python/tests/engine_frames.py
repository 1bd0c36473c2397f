"""What the engine tests share: the pool, and an engine's frame gathered here in the local
path's dtypes and row order."""

import pandas as pd

POOL = "naive snaive:7 drift ses:7 theta:7"


def gathered(df) -> pd.DataFrame:
    """A Dask, Ray or Spark frame (or a pandas one) as the local path returns it."""
    if hasattr(df, "compute"):
        df = df.compute()
    elif hasattr(df, "toPandas"):
        df = df.toPandas()
    elif hasattr(df, "to_pandas"):
        df = df.to_pandas()
    df = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        col = df[c]
        if c == "ds":
            out[c] = pd.to_datetime(col).astype("datetime64[ns]")
        elif c in ("unique_id", "fallback"):
            out[c] = col.astype(object).where(col.notna(), None)
        else:
            out[c] = col.astype("float64")
    return out


def assert_engine_equals_local(to_engine, panel: pd.DataFrame) -> None:
    """fit + predict with 80/95% intervals and a 2-window cross_validation on
    ``to_engine(frame)`` (an engine's frame of a shuffled copy of ``panel``) equal the local
    path's on ``panel`` sorted by id, exactly."""
    from metablend.forecast import MetaForecaster, cross_validation

    df = panel.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    settings = dict(h=7, season=7, models=POOL)
    local = MetaForecaster(**settings).fit(df)
    want = gathered(local.predict(level=[80, 95]))
    data = to_engine(df.sample(frac=1, random_state=0))
    mf = MetaForecaster(**settings).fit(data)
    assert mf.card == local.card
    got = gathered(mf.predict(level=[80, 95]))
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=True)
    kw = dict(h=7, n_windows=2, level=[80], season=7, models=POOL)
    pd.testing.assert_frame_equal(cross_validation(data, **kw), cross_validation(df, **kw),
                                  check_exact=True)
