"""The Python API's wall time beside the command's on the same work, alternating runs:
PPO on CartPole-v1 (zoo preset, seed 0), fit + forecast with 80/95 intervals, and the
features, on the bundled M4 Weekly training series. Prints medians.

    python python/benches/bench_vs_cli.py [--bin target/debug/metablend] [--repeats 3]
        [--only ppo|forecast|features]
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

import metablend
from metablend.forecast import MetaForecaster, features

REPO = Path(__file__).resolve().parents[2]


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=str(REPO / "target" / "debug" / "metablend"))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--only", choices=["ppo", "forecast", "features"],
                   help="time one of the three pairs (default: all)")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp())
    data = REPO / "data" / "m4" / "weekly_train.csv.gz"
    frame = pd.read_csv(data).rename(columns={"series": "unique_id", "t": "ds", "value": "y"})
    pool = "naive snaive:52 naive2:1 ses theta auto_arima"

    def cli_ppo():
        subprocess.run([args.bin, "gym", "--env", "cartpole", "--steps", str(args.steps),
                        "--eval-episodes", "0"], check=True, capture_output=True)

    def py_ppo():
        metablend.PPO("metablend/CartPole-v1", preset="cartpole_zoo", seed=0).learn(args.steps)

    runs = iter(range(10**6))

    def cli_forecast():
        n = next(runs)
        model = tmp / f"m{n}"
        subprocess.run([args.bin, "fit", "--data", str(data), "--horizon", "13", "--season", "1",
                        "--pool", pool, "--out", str(model), "--no-progress"],
                       check=True, capture_output=True)
        subprocess.run([args.bin, "forecast", "--model", str(model), "--data", str(data), "--level",
                        "80", "95", "--out", str(tmp / f"f{n}.csv"), "--no-progress"],
                       check=True, capture_output=True)

    def py_forecast():
        MetaForecaster(h=13, season=1, models=pool).fit(frame).predict(level=[80, 95])

    def cli_features():
        subprocess.run([args.bin, "features", "--data", str(data), "--season", "52", "--out",
                        str(tmp / f"features{next(runs)}.csv"), "--no-progress"],
                       check=True, capture_output=True)

    def py_features():
        features(frame, season=52)

    cases = {"PPO CartPole-v1, command": cli_ppo, "PPO CartPole-v1, Python": py_ppo,
             "fit + forecast M4 Weekly, command": cli_forecast,
             "fit + forecast M4 Weekly, Python": py_forecast,
             "features M4 Weekly, command": cli_features, "features M4 Weekly, Python": py_features}
    if args.only:
        prefix = {"ppo": "PPO", "forecast": "fit + forecast", "features": "features"}[args.only]
        cases = {name: fn for name, fn in cases.items() if name.startswith(prefix)}
    times = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, fn in cases.items():
            times[name].append(timed(fn))
    for name, ts in times.items():
        print(f"{name:40s} median {statistics.median(ts):7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in ts)})")


if __name__ == "__main__":
    main()
