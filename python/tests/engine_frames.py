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
