"""Stable-Baselines3's ``VecEnv`` interface over metablend's vector env, so SB3's algorithms
train on metablend envs unchanged::

    from stable_baselines3 import PPO
    from metablend.sb3 import SB3VecEnv
    venv = SB3VecEnv(metablend.CartPoleEnv(), n_envs=8)
    PPO("MlpPolicy", venv).learn(100_000)

SB3's semantics: ``reset()`` returns the observations only; ``step_wait()`` returns
``(obs, rewards, dones, infos)`` with ``dones = terminated | truncated``, and for a sub-env
whose episode ended, ``infos[i]["terminal_observation"]`` (its last observation; ``obs[i]`` is
already the next episode's first) and ``infos[i]["TimeLimit.truncated"]`` (truncated, not
terminated). When SB3 is installed the class is a subclass of its ``VecEnv``; without it,
the same class works standalone (and is tested that way).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from .envs import RustEnv
from .vector import VectorEnv

try:  # SB3 is optional: the adapter subclasses its VecEnv when it is there.
    from stable_baselines3.common.vec_env import VecEnv as _Base
except ImportError:  # pragma: no cover - depends on the environment
    _Base = object


class SB3VecEnv(_Base):  # type: ignore[misc, valid-type]
    """``n_envs`` copies of a metablend env behind SB3's ``VecEnv`` interface."""

    def __init__(self, env: RustEnv, n_envs: int = 1):
        self._vec = VectorEnv(env, n_envs)
        self._seed: Optional[int] = None
        self._actions: Optional[np.ndarray] = None
        if _Base is not object:
            super().__init__(n_envs, env.observation_space, env.action_space)
        else:
            self.num_envs = n_envs
            self.observation_space = env.observation_space
            self.action_space = env.action_space
        self.render_mode = None

    def seed(self, seed: Optional[int] = None) -> List[Optional[int]]:
        """Seeds the next ``reset``: sub-env i gets ``seed + i``."""
        self._seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def reset(self) -> np.ndarray:
        obs, _ = self._vec.reset(seed=self._seed)
        self._seed = None
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self):
        obs, rewards, terminated, truncated, info = self._vec.step(self._actions)
        dones = terminated | truncated
        infos: List[dict] = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            infos[i]["terminal_observation"] = info["final_obs"][i]
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, rewards.astype(np.float32), dones, infos

    def step(self, actions: np.ndarray):
        self.step_async(actions)
        return self.step_wait()

    def close(self) -> None:
        self._vec.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> List[Any]:
        return [getattr(self, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *args, indices: Any = None, **kwargs) -> List[Any]:
        raise NotImplementedError(f"{method_name}: the sub-envs live in Rust and have no Python methods")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> List[bool]:
        return [False] * len(self._indices(indices))

    def get_images(self) -> Sequence[Optional[np.ndarray]]:
        return [None] * self.num_envs

    def _indices(self, indices: Any) -> List[int]:
        if indices is None:
            return list(range(self.num_envs))
        if isinstance(indices, int):
            return [indices]
        return list(indices)


__all__ = ["SB3VecEnv"]
