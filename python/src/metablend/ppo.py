"""PPO with Stable-Baselines3's names, trained in Rust on metablend envs.

::

    from metablend import PPO, CartPoleEnv
    model = PPO(CartPoleEnv(), preset="cartpole_zoo", seed=0)
    model.learn(100_000)
    actions, _ = model.predict(obs, deterministic=True)
    model.save("runs/cartpole")               # a resumable checkpoint folder
    model = PPO.load("runs/cartpole", env=CartPoleEnv())

Every field of the Rust ``PpoConfig`` is a keyword argument under SB3's name: ``n_envs``,
``n_steps``, ``batch_size``, ``n_epochs``, ``gamma``, ``gae_lambda``, ``learning_rate``,
``clip_range``, ``clip_range_vf``, ``normalize_advantage``, ``ent_coef``, ``vf_coef``,
``max_grad_norm``, ``target_kl``, ``net_arch`` (one list for actor and critic),
``activation`` (``"tanh"`` or ``"relu"``), ``ortho_init``, ``log_std_init``, ``adam_eps``,
``dirichlet``, ``seed``. ``learning_rate`` and ``clip_range`` take a number (constant) or
``("linear", initial)`` (SB3's ``linear_schedule``). Presets: ``cartpole_zoo``,
``pendulum_zoo``, ``ensemble``, ``sb3_default``; keywords override the preset's fields.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, List, Optional, Tuple, Union

import gymnasium as gym
import numpy as np

from . import _core
from .envs import RustEnv
from .exceptions import InvalidInputError

_SCHEDULES = ("learning_rate", "clip_range")


def _settings(kwargs: dict) -> Optional[str]:
    out = {}
    for key, value in kwargs.items():
        if key in _SCHEDULES:
            if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] in ("linear", "constant"):
                value = {value[0]: float(value[1])}
            elif isinstance(value, (int, float)):
                value = {"constant": float(value)}
            else:
                raise InvalidInputError(
                    f"{key}: a number or ('linear', initial); got {value!r}"
                )
        elif key == "activation" and isinstance(value, str):
            value = value.lower()
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return json.dumps(out) if out else None


def _core_env(env):
    """The Rust env PPO trains on: a metablend env itself; any other ``gymnasium.Env`` (or a
    callable making one) is driven from Rust through Python calls."""
    if isinstance(env, str):
        env = gym.make(env)
    inner = getattr(env, "unwrapped", env)
    if isinstance(inner, RustEnv):
        return inner._core
    if isinstance(env, gym.Env):
        return _core.Env.python(lambda: copy.deepcopy(env))
    if callable(env):
        return _core.Env.python(env)
    raise InvalidInputError(
        f"env: a metablend env, a gymnasium.Env, an env id or a callable making an env; "
        f"got {type(env).__name__}"
    )


class PPO:
    """The Rust PPO on ``n_envs`` copies of ``env``: a metablend env or its Gymnasium id,
    which run in Rust, or any ``gymnasium.Env`` with a flat Box observation space and a
    Discrete or Box action space (copied with ``copy.deepcopy``, or pass a callable that
    makes one), which Rust drives through Python calls, one step at a time."""

    def __init__(self, env, *, preset: Optional[str] = None, verbose: int = 0, **kwargs: Any):
        self.env = env
        self.verbose = verbose
        self._core = _core.PPO(_core_env(env), preset, _settings(kwargs))
        self.logs: List[dict] = []

    @property
    def num_timesteps(self) -> int:
        """Env steps taken so far (all envs together)."""
        return self._core.num_timesteps

    @property
    def config(self) -> dict:
        """The full config in use."""
        return json.loads(self._core.config_json())

    def learn(
        self,
        total_timesteps: int,
        callback: Optional[Callable[[dict], Optional[bool]]] = None,
        log_path: Optional[str] = None,
    ) -> "PPO":
        """Trains until ``total_timesteps`` env steps in all (the last rollout may overshoot,
        as in SB3). ``callback(log)`` is called after every update with its log (a dict:
        ``iteration``, ``total_timesteps``, ``ep_rew_mean``, losses, ...); returning False
        stops training. ``log_path`` writes the logs as JSON lines. Ctrl-C stops within one
        update and raises ``KeyboardInterrupt``; the model keeps what it learned."""
        wrapped = None
        if callback is not None or self.verbose:
            def wrapped(line: str):
                log = json.loads(line)
                if self.verbose:
                    print(
                        f"iteration {log['iteration']:>5} steps {log['total_timesteps']:>9} "
                        f"ep_rew_mean {log.get('ep_rew_mean')}"
                    )
                return callback(log) if callback is not None else None
        lines = self._core.learn(int(total_timesteps), wrapped, log_path)
        self.logs.extend(json.loads(line) for line in lines)
        return self

    def predict(
        self,
        observation,
        state=None,
        episode_start=None,
        deterministic: bool = False,
    ) -> Tuple[np.ndarray, None]:
        """Actions for one observation or a batch, as SB3's ``predict``: returns
        ``(actions, None)`` (the policy has no recurrent state)."""
        obs = np.asarray(observation, dtype=np.float64)
        single = obs.ndim == 1
        batch = np.ascontiguousarray(obs.reshape(1, -1) if single else obs)
        if batch.ndim != 2:
            raise InvalidInputError(f"observation: one vector or a batch of them; got shape {obs.shape}")
        actions = self._core.predict(batch, deterministic)
        return (actions[0] if single else actions), None

    def save(self, path: str) -> None:
        """Writes a resumable checkpoint folder (atomically): weights, optimiser state,
        counters and every env's state; ``PPO.load`` continues exactly."""
        self._core.save(str(path))

    @classmethod
    def load(cls, path: str, env, verbose: int = 0) -> "PPO":
        """The model saved in ``path``, on ``env`` (the same kind of env it was trained on)."""
        self = cls.__new__(cls)
        self.env = env
        self.verbose = verbose
        self._core = _core.PPO.load(_core_env(env), str(path))
        self.logs = []
        return self


__all__ = ["PPO"]
