"""Wall time of fit + predict (80/95% intervals) on M4 Hourly and Weekly: the local path
(all cores) beside a local Dask cluster with 1 and 2 single-threaded worker processes,
through Fugue, with the per-series cost. The default pool (no global MLP, which cannot run
partitioned), FFORMA, M4's horizons and periods. Checks that every run's forecasts equal
the local path's.

    python python/benches/bench_engine.py [--frequencies weekly hourly] [--series N]
        [--copies C] [--workers 1 2]

``--copies C`` repeats the panel C times under new ids, to tell the engine's fixed cost per
call (scheduling, the shuffle's start, gathering) from its cost per series.

Before each timed run, every process imports what it will use once per process (the
driver Fugue's engine plugins, which import Ray where it is installed; each worker
metablend and Fugue), so that whichever run comes first is not charged for it.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SETTINGS = {"hourly": dict(h=48, season=24), "weekly": dict(h=13, season=52)}


def load(frequency: str, series: int, copies: int = 1) -> pd.DataFrame:
    df = pd.read_csv(REPO / "data" / "m4" / f"{frequency}_train.csv.gz")
    df.columns = ["unique_id", "ds", "y"]
    ids = sorted(df["unique_id"].unique())[:series] if series else None
    if ids is not None:
        df = df[df["unique_id"].isin(ids)]
    if copies > 1:
        df = pd.concat([df.assign(unique_id=df["unique_id"] + f"_{c}") for c in range(copies)])
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def gathered(out) -> pd.DataFrame:
    out = out.compute() if hasattr(out, "compute") else out
    out = out.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    return out.astype({c: "float64" for c in out.columns if c not in ("unique_id", "ds", "fallback")})


def run(df, settings, engine=None):
    from metablend.forecast import MetaForecaster

    t0 = time.perf_counter()
    mf = MetaForecaster(**settings).fit(df if engine is None else df, engine=engine)
    t1 = time.perf_counter()
    out = gathered(mf.predict(level=[80, 95]))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, out


def warm_up(client) -> None:
    """The one-time imports of the driver and of each worker, untimed."""
    import importlib

    import fugue.api as fa

    with fa.engine_context(client):
        pass
    for module in ("metablend.engine", "fugue_dask"):
        client.run(importlib.import_module, module)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frequencies", nargs="+", default=["weekly", "hourly"])
    ap.add_argument("--series", type=int, default=0, help="first N series by id (0: all)")
    ap.add_argument("--copies", type=int, default=1, help="the panel repeated under new ids")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    cores = os.cpu_count()
    for frequency in args.frequencies:
        df = load(frequency, args.series, args.copies)
        n = df["unique_id"].nunique()
        settings = SETTINGS[frequency]
        fit, pred, want = run(df, settings)
        print(f"{frequency}: {n} series; local ({cores} cores): fit {fit:.1f} s, "
              f"predict {pred:.1f} s, total {fit + pred:.1f} s", flush=True)
        for workers in args.workers:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=":0") as cluster, Client(cluster) as client:
                ddf = dd.from_pandas(df, npartitions=4 * workers).persist()
                client.wait_for_workers(workers)
                warm_up(client)
                fit, pred, got = run(ddf, settings)
            same = all(np.array_equal(got[c].to_numpy(), want[c].to_numpy(), equal_nan=True)
                       for c in want.columns if c not in ("unique_id", "ds", "fallback"))
            total = fit + pred
            print(f"{frequency}: Dask {workers} worker(s): fit {fit:.1f} s, predict {pred:.1f} s, "
                  f"total {total:.1f} s; {workers * total / n * 1000:.0f} worker-ms per series; "
                  f"same forecasts as local: {same}", flush=True)


if __name__ == "__main__":
    main()
