"""A vector env that steps N metablend envs in one Rust call, as a
:class:`gymnasium.vector.VectorEnv` with Gymnasium 1.x's ``SAME_STEP`` autoreset: a
sub-env whose episode ends is reset within the same ``step``; ``obs[i]`` is then the new
episode's first observation, ``info["final_obs"][i]`` the ended episode's last one and
``info["final_info"]`` its last info (masks ``info["_final_obs"]`` and so on, as Gymnasium's
``SyncVectorEnv(autoreset_mode=AutoresetMode.SAME_STEP)``).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv as _GymVectorEnv
from gymnasium.vector.utils import batch_space

from . import _core
from .envs import RustEnv
from .exceptions import InvalidInputError


class VectorEnv(_GymVectorEnv):
    """``num_envs`` copies of ``env`` (built afresh from its arguments), stepped in Rust.

    Seeds: ``reset(seed=s)`` gives sub-env ``i`` the seed ``s + i``, as Gymnasium does.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, env: RustEnv, num_envs: int):
        if not isinstance(env, RustEnv):
            raise InvalidInputError("VectorEnv: env must be a metablend env (metablend.envs)")
        if num_envs < 1:
            raise InvalidInputError(f"num_envs {num_envs}: at least 1")
        self._core = _core.VecEnv(env._core, int(num_envs))
        self._env_args = (type(env), dict(env._args))
        self.num_envs = int(num_envs)
        self.single_observation_space = env.observation_space
        self.single_action_space = env.action_space
        self.observation_space = batch_space(env.observation_space, self.num_envs)
        self.action_space = batch_space(env.action_space, self.num_envs)
        self.render_mode = None

    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
        """Resets every sub-env; returns ``(obs, info)`` batched."""
        if isinstance(seed, (list, tuple)):
            raise InvalidInputError("seed: one integer (sub-env i gets seed + i) or None")
        self._np_random_seed = seed
        return self._core.reset(seed)

    def step(self, actions):
        """Steps every sub-env; see the module's note on autoreset. The infos are batched
        in Rust, as Gymnasium batches them (per key an array and its mask ``_key``)."""
        return self._core.step(np.asarray(actions))

    def close_extras(self, **kwargs):
        self._core = None


__all__ = ["VectorEnv"]
