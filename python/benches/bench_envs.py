"""Env stepping throughput from Python, side by side in one run: Gymnasium's pure-Python
CartPole-v1, metablend's CartPole-v1 one step per call, and metablend's VectorEnv (many
sub-envs per Rust call); then the ensemble env. Prints the median of `--repeats` runs.

    python python/benches/bench_envs.py [--steps 200000] [--repeats 5]
"""

import argparse
import statistics
import time

import gymnasium as gym
import numpy as np

import metablend


def single(env, steps):
    env.reset(seed=0)
    # Box actions: zero logits (equal weights). A sampled action of the unbounded logit space
    # holds values near float32's limits, whose overflowing exponentials are slower.
    action = 1 if isinstance(env.action_space, gym.spaces.Discrete) else np.zeros(
        env.action_space.shape, dtype=np.float32)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(action if not isinstance(action, int) else (_ & 1))
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def vector(vec, steps):
    vec.reset(seed=0)
    n = vec.num_envs
    actions = np.ones(n, dtype=np.int64) if isinstance(vec.single_action_space, gym.spaces.Discrete) \
        else np.zeros((n,) + vec.single_action_space.shape, dtype=np.float32)
    start = time.perf_counter()
    for _ in range(steps // n):
        vec.step(actions)
    return (steps // n) * n / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    y = np.sin(np.arange(5000) * 0.3) * 10 + rng.normal(size=5000)
    preds = np.stack([y + rng.normal(size=y.size) for _ in range(4)], axis=1)
    cases = {
        "gymnasium CartPole-v1 (pure Python)": lambda: single(gym.make("CartPole-v1").unwrapped, args.steps),
        "metablend CartPole-v1, one env": lambda: single(metablend.CartPoleEnv(), args.steps),
        "metablend CartPole-v1, VectorEnv n=64": lambda: vector(metablend.VectorEnv(metablend.CartPoleEnv(), 64), args.steps),
        "metablend Ensemble (K=4), one env": lambda: single(metablend.EnsembleEnv(target=y, predictions=preds), args.steps // 4),
        "metablend Ensemble (K=4), VectorEnv n=64": lambda: vector(
            metablend.VectorEnv(metablend.EnsembleEnv(target=y, predictions=preds), 64), args.steps // 4),
    }
    results = {name: [] for name in cases}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every case alike
        for name, run in cases.items():
            results[name].append(run())
    for name, rates in results.items():
        print(f"{name:45s} median {statistics.median(rates) / 1e6:7.3f} M steps/s")


if __name__ == "__main__":
    main()
