"""statsforecast's fit/forecast rate on this machine beside metablend's, for the same kinds of
models: naive, seasonal naive, drift, SES, Holt, damped Holt, Theta (seasonal where the
season test says so) and a non-seasonal stepwise AutoARIMA (metablend's auto ARIMA is
non-seasonal too; statsforecast's seasonal search with m = 52 is another, far costlier
model), forecasting M4 Weekly or Hourly with 80/95% intervals, all cores (``n_jobs=-1``).
One fit of the pool per series. Numba compiles on the first call, so a warm-up on a few
series runs first. Needs statsforecast (not a test requirement; measured with 2.1.1).

    python python/benches/bench_statsforecast_local.py [--frequency weekly] [--runs 3]
        [--series N] [--arima-season 1]
"""

import argparse
import statistics
import time

from bench_engine import SETTINGS, load
from bench_statsforecast_engine import pool


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frequency", default="weekly", choices=sorted(SETTINGS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--series", type=int, default=0, help="first N series by id (0: all)")
    ap.add_argument("--arima-season", type=int, default=1,
                    help="AutoARIMA's season_length (1: non-seasonal, as metablend's)")
    args = ap.parse_args()
    from statsforecast import StatsForecast

    df = load(args.frequency, args.series)
    n = df["unique_id"].nunique()
    h, m = SETTINGS[args.frequency]["h"], SETTINGS[args.frequency]["season"]
    sf = StatsForecast(models=pool(m, args.arima_season), freq=1, n_jobs=-1)
    few = df[df["unique_id"].isin(df["unique_id"].unique()[:4])]
    sf.forecast(df=few, h=h, level=[80, 95])
    walls = []
    for run in range(args.runs):
        t0 = time.perf_counter()
        out = sf.forecast(df=df, h=h, level=[80, 95])
        walls.append(time.perf_counter() - t0)
        assert len(out) == n * h
        print(f"run {run}: {walls[-1]:.2f} s", flush=True)
    wall = statistics.median(walls)
    print(f"{args.frequency}: statsforecast, {n} series, median {wall:.2f} s "
          f"({n / wall:.1f} series/s, one fit of the pool per series)")


if __name__ == "__main__":
    main()
