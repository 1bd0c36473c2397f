"""statsforecast's per-series cost on the same engine as `bench_engine.py`: a comparable pool
(naive, seasonal naive, drift, SES, Holt, damped Holt, Theta, auto ARIMA) forecasting M4
Hourly and Weekly with 80/95% intervals on a local Dask cluster of N single-thread
workers, through statsforecast's own Fugue path. Needs statsforecast (not a test
requirement). Numba compiles on each worker's first call, so each cluster runs once on a
few series before the timed run.

    python python/benches/bench_statsforecast_engine.py [--frequencies weekly hourly]
        [--workers 1 2] [--series N]
"""

import argparse
import time
from typing import Optional

from bench_engine import SETTINGS, load


def pool(m: int, arima_season: Optional[int] = None):
    """The pool; AutoARIMA's ``season_length`` is ``m`` unless ``arima_season`` is given."""
    from statsforecast.models import (
        AutoARIMA,
        AutoETS,
        Holt,
        Naive,
        RandomWalkWithDrift,
        SeasonalNaive,
        Theta,
    )

    return [Naive(), SeasonalNaive(season_length=m), RandomWalkWithDrift(),
            AutoETS(model="ANN", alias="SES"), Holt(),
            AutoETS(model="AAN", damped=True, alias="Damped"),
            Theta(season_length=m),
            AutoARIMA(season_length=m if arima_season is None else arima_season)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frequencies", nargs="+", default=["weekly", "hourly"])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--series", type=int, default=0, help="first N series by id (0: all)")
    args = ap.parse_args()
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
    from statsforecast import StatsForecast

    for frequency in args.frequencies:
        df = load(frequency, args.series)
        n = df["unique_id"].nunique()
        h, m = SETTINGS[frequency]["h"], SETTINGS[frequency]["season"]
        for workers in args.workers:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=":0") as cluster, Client(cluster):
                sf = StatsForecast(models=pool(m), freq=1, n_jobs=1)
                few = df[df["unique_id"].isin(df["unique_id"].unique()[: 4 * workers])]
                sf.forecast(df=dd.from_pandas(few, npartitions=workers), h=h,
                            level=[80, 95]).compute()
                ddf = dd.from_pandas(df, npartitions=4 * workers).persist()
                t0 = time.perf_counter()
                out = sf.forecast(df=ddf, h=h, level=[80, 95]).compute()
                wall = time.perf_counter() - t0
            assert len(out) == n * h
            print(f"{frequency}: statsforecast on Dask, {workers} worker(s): {wall:.1f} s; "
                  f"{workers * wall / n * 1000:.0f} worker-ms per series (one fit of the pool "
                  "per series)", flush=True)


if __name__ == "__main__":
    main()
