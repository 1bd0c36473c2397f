"""metablend's environments as genuine :class:`gymnasium.Env` classes.

The dynamics run in Rust; these classes hold the Rust env and present Gymnasium's API:
``gymnasium.spaces`` with the declared dtypes (observations are float32, as Gymnasium's own
envs), ``reset(seed=..., options=...)``, ``step -> (obs, reward, terminated, truncated,
info)``. CartPole-v1 and Pendulum-v1 are Gymnasium's dynamics exactly; the ensemble env
weights K base forecasts of a series at each step (see ``docs/guide-python.md``).

All are registered under the ``metablend/`` namespace, so ``gymnasium.make`` works::

    import gymnasium as gym
    import metablend  # registers the envs
    env = gym.make("metablend/CartPole-v1")
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import _core
from .exceptions import InvalidInputError

_F32_MAX = float(np.finfo(np.float32).max)

RewardLike = Union[str, Mapping[str, Any], Callable[[dict], float], None]


def _box(low: np.ndarray, high: np.ndarray, shape: Sequence[int]) -> spaces.Box:
    # Unbounded coordinates get float32's largest value, as Gymnasium's CartPole declares them.
    low = np.clip(np.asarray(low, dtype=np.float64), -_F32_MAX, _F32_MAX).astype(np.float32)
    high = np.clip(np.asarray(high, dtype=np.float64), -_F32_MAX, _F32_MAX).astype(np.float32)
    return spaces.Box(low.reshape(shape), high.reshape(shape), dtype=np.float32)


def _space(desc: tuple) -> gym.Space:
    if desc[0] == "discrete":
        return spaces.Discrete(int(desc[1]))
    return _box(desc[1], desc[2], desc[3])


class RustEnv(gym.Env):
    """Base of the Rust-backed envs: spaces, seeding, stepping, rendering and pickling.

    ``render_mode="ansi"`` renders the last observation as text.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, core: _core.Env, render_mode: Optional[str] = None, args: Optional[dict] = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise InvalidInputError(
                f"render_mode {render_mode!r}: supported are {self.metadata['render_modes']} or None"
            )
        self.render_mode = render_mode
        self._core = core
        self._args = dict(args or {})
        self._args["render_mode"] = render_mode
        self.observation_space = _space(core.observation_space())
        self.action_space = _space(core.action_space())
        # `step` goes straight to Rust (no Python frame on the hot path): the instance
        # attribute shadows the method below, which documents it.
        self.step = core.step

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
        """Starts an episode. A seed reseeds the env (and ``self.np_random``)."""
        super().reset(seed=seed)
        if seed is not None and seed < 0:
            raise InvalidInputError(f"seed {seed}: a seed is a non-negative integer")
        return self._core.reset(seed)

    def step(self, action):
        """One step: ``(obs, reward, terminated, truncated, info)``."""
        return self._core.step(action)

    def render(self):
        """With ``render_mode="ansi"``, the last observation as text; otherwise None."""
        if self.render_mode == "ansi":
            obs = self._core.last_obs()
            return "(not reset)" if obs is None else " ".join(f"{x:.4f}" for x in obs)
        return None

    # Pickling (SubprocVecEnv and multiprocessing): rebuild from the constructor's
    # arguments, then restore the episode state.
    def __getstate__(self):
        return {"args": self._args, "state": self._core.snapshot()}

    def __setstate__(self, state):
        self.__init__(**state["args"])
        self._core.restore(state["state"])


class CartPoleEnv(RustEnv):
    """CartPole-v1: Gymnasium's dynamics exactly (replayed against Gymnasium's own
    trajectories), with its 500-step limit."""

    metadata = {"render_modes": ["ansi"], "render_fps": 50}

    def __init__(self, render_mode: Optional[str] = None):
        super().__init__(_core.Env.cartpole(), render_mode)


class PendulumEnv(RustEnv):
    """Pendulum-v1: Gymnasium's dynamics exactly, with its 200-step limit. Its action space
    is Gymnasium's ``Box(-2, 2)``, about which Gymnasium's env checker warns for Gymnasium's
    own Pendulum-v1 too."""

    metadata = {"render_modes": ["ansi"], "render_fps": 30}

    def __init__(self, render_mode: Optional[str] = None):
        super().__init__(_core.Env.pendulum(), render_mode)


def _reward_args(reward: RewardLike) -> tuple[Optional[str], Optional[Callable]]:
    if reward is None:
        return None, None
    if isinstance(reward, str):
        return json.dumps({"kind": reward}), None
    if isinstance(reward, Mapping):
        return json.dumps(dict(reward)), None
    if callable(reward):
        return None, reward
    raise InvalidInputError(
        f"reward: a built-in name, a dict like {{'kind': 'trading_pnl', 'cost': 0.001}}, "
        f"or a callable taking the step's context dict; got {type(reward).__name__}"
    )


def _series_from_frame(frame, target: str, models: Optional[Sequence[str]], id_col: str):
    cols = list(frame.columns)
    if target not in cols:
        raise InvalidInputError(f"the frame has no target column {target!r} (columns: {cols})")
    if models is None:
        skip = {target, id_col, "ds", "timestamp", "date", "t", "time"}
        models = [c for c in cols if c not in skip]
    missing = [m for m in models if m not in cols]
    if missing:
        raise InvalidInputError(f"the frame has no model columns {missing} (columns: {cols})")
    groups = frame.groupby(id_col, sort=False) if id_col in cols else [(None, frame)]
    ids, targets, preds = [], [], []
    for key, g in groups:
        ids.append(str(key) if key is not None else "series")
        targets.append(np.ascontiguousarray(g[target].to_numpy(dtype=np.float64)))
        preds.append(np.ascontiguousarray(g[list(models)].to_numpy(dtype=np.float64)))
    return ids, targets, preds, list(models)


class EnsembleEnv(RustEnv):
    """The ensemble-weighting env: at each step the agent's action becomes weights over K
    models' forecasts of the next value; the reward scores the combined forecast.

    Data, one of:

    - ``data``: a pandas DataFrame with a ``target`` column and one column per model (the
      rest), optionally a ``unique_id`` column for several series;
    - ``target`` (T values) and ``predictions`` (T x K) numpy arrays, with ``model_names``;
      lists of them for several series;
    - ``csv``: a predictions CSV file (the CLI's format) or a list of them.

    ``action_map``: ``"softmax"`` (logits), ``"residual"`` (logits added to the inverse-MSE
    prior), ``"simplex"`` (weights in [0, 1]) or ``"select"`` (pick one model; a Discrete
    space). ``reward``: a built-in by name (``"neg_squared_error"``, ``"neg_abs_error"``,
    ``"improvement_over_equal"``, ``"directional_hit"``), a dict with parameters
    (``{"kind": "trading_pnl", "cost": 0.001}``), or a Python callable ``f(ctx) -> float``
    where ``ctx`` holds ``t, target, prev_target, history, preds, weights, prev_weights,
    forecast, prev_forecast, scale`` (only values known once ``target[t]`` is revealed).
    Every other keyword is a field of the env's config: ``window``, ``log_rmse``,
    ``episode_len``, ``start`` (``"random"`` or ``"beginning"``), ``range_start``,
    ``range_end``, ``series``, ``scale_epsilon``, ``context`` (a dict of the seasonal
    context features: ``phase_periods``, ``same_phase_period``, ``same_phase_cycles``,
    ``disagreement``; see the PPO guide).
    """

    def __init__(
        self,
        data=None,
        *,
        target=None,
        predictions=None,
        model_names: Optional[Sequence[str]] = None,
        csv: Union[str, Sequence[str], None] = None,
        target_column: str = "target",
        id_column: str = "unique_id",
        action_map: str = "softmax",
        reward: RewardLike = None,
        render_mode: Optional[str] = None,
        **config: Any,
    ):
        args = dict(
            data=data, target=target, predictions=predictions, model_names=model_names,
            csv=csv, target_column=target_column, id_column=id_column,
            action_map=action_map, reward=reward, **config,
        )
        spec, fn = _reward_args(reward)
        cfg = json.dumps(config) if config else None
        if csv is not None:
            paths = [csv] if isinstance(csv, str) else list(csv)
            core = _core.Env.ensemble_csv([str(p) for p in paths], cfg, action_map, spec, fn)
        elif data is not None:
            ids, targets, preds, names = _series_from_frame(data, target_column, model_names, id_column)
            core = _core.Env.ensemble(targets, preds, names, ids, cfg, action_map, spec, fn)
        elif target is not None and predictions is not None:
            many = isinstance(target, (list, tuple))
            targets = [np.asarray(t, dtype=np.float64) for t in (target if many else [target])]
            preds = [np.asarray(p, dtype=np.float64) for p in (predictions if many else [predictions])]
            if any(p.ndim != 2 for p in preds):
                raise InvalidInputError("predictions: a T x K array (one column per model)")
            k = preds[0].shape[1]
            names = list(model_names) if model_names is not None else [f"model{i}" for i in range(k)]
            core = _core.Env.ensemble(targets, preds, names, None, cfg, action_map, spec, fn)
        else:
            raise InvalidInputError(
                "EnsembleEnv needs data: a DataFrame, target= and predictions= arrays, or csv="
            )
        super().__init__(core, render_mode, None)
        self._args.update(args)


class ContextualEnv(RustEnv):
    """The contextual combination env: each episode is one step on one series. The
    observation is the series' features, then each model's log-loss on its validation
    window (clipped to ±5); the action becomes weights (``residual``: a correction of the
    inverse-loss prior, ``softmax``, ``simplex``, ``select``); the reward is minus the
    combined forecast's M4 loss on the window (relative to the reference forecast, capped
    at 10). This is the env of the PPO meta-combiner (``meta="ppo"``).

    Arrays, one row per series: ``contexts`` (n x d features, scaled as you want),
    ``targets`` (n x h), ``forecasts`` (n x K x h), ``mase_scales`` (n), ``references``
    (n x 2: the reference forecast's sMAPE and MASE on the window). ``order``: ``"random"``
    tasks (training) or ``"sequential"`` (evaluation: each once, in turn).
    """

    def __init__(self, contexts, targets, forecasts, mase_scales, references,
                 model_names: Sequence[str], ids: Optional[Sequence[str]] = None,
                 action_map: str = "residual", order: str = "random",
                 render_mode: Optional[str] = None):
        args = dict(contexts=contexts, targets=targets, forecasts=forecasts, mase_scales=mase_scales,
                    references=references, model_names=model_names, ids=ids,
                    action_map=action_map, order=order)
        def arr(a):
            return np.ascontiguousarray(a, dtype=np.float64)

        contexts, targets, forecasts = arr(contexts), arr(targets), arr(forecasts)
        scales, refs = arr(mase_scales), arr(references)
        if forecasts.ndim != 3 or contexts.ndim != 2 or targets.ndim != 2 or refs.ndim != 2:
            raise InvalidInputError("contexts n x d, targets n x h, forecasts n x K x h, references n x 2")
        ids = [str(i) for i in (ids if ids is not None else range(len(contexts)))]
        core = _core.Env.contextual(ids, contexts, targets, forecasts, scales, refs,
                                    list(model_names), action_map, order)
        super().__init__(core, render_mode, None)
        self._args.update(args)


def register_envs() -> None:
    """Registers the envs with Gymnasium under ``metablend/`` (done on ``import metablend``)."""
    for env_id, entry in [
        ("metablend/CartPole-v1", "metablend.envs:CartPoleEnv"),
        ("metablend/Pendulum-v1", "metablend.envs:PendulumEnv"),
        ("metablend/Ensemble-v0", "metablend.envs:EnsembleEnv"),
        ("metablend/Contextual-v0", "metablend.envs:ContextualEnv"),
    ]:
        if env_id not in gym.registry:
            # The Rust envs apply their own time limits (500 and 200 steps).
            gym.register(id=env_id, entry_point=entry, disable_env_checker=False)


__all__ = ["RustEnv", "CartPoleEnv", "PendulumEnv", "EnsembleEnv", "ContextualEnv", "register_envs"]
