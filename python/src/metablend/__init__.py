"""metablend: meta-learned forecast combination, with a Rust core.

- :mod:`metablend.envs` — CartPole-v1, Pendulum-v1 and the ensemble-weighting env as
  Gymnasium envs (registered as ``metablend/...``); :class:`metablend.VectorEnv` steps many
  in one call.
- :class:`metablend.PPO` — the Rust PPO with Stable-Baselines3's names.
- :mod:`metablend.forecast` — statsforecast-shaped forecasting of pandas panels
  (``MetaForecaster``, ``cross_validation``, ``features``).
- :mod:`metablend.combine` and :mod:`metablend.ope` — every combiner on arrays, and
  off-policy evaluation of a policy from logged episodes.
- :mod:`metablend.sb3` — Stable-Baselines3's ``VecEnv`` over metablend's envs.
- :mod:`metablend.exceptions` — the documented error classes.
"""

import os as _os

# candle reads this on every matrix product: metablend's networks are small, and one thread
# is both the fastest for them and what makes training bit-reproducible. A value the user
# set wins. (The forecasting pool runs on its own pool of all cores.)
_os.environ.setdefault("RAYON_NUM_THREADS", "1")

from . import _core  # noqa: E402
from .envs import CartPoleEnv, ContextualEnv, EnsembleEnv, PendulumEnv, register_envs
from .exceptions import (
    CheckpointError,
    DataFileError,
    EnvStateError,
    InvalidInputError,
    MetablendError,
    TrainingError,
)
from .ppo import PPO
from .vector import VectorEnv

__version__ = _core.__version__

register_envs()

__all__ = [
    "CartPoleEnv",
    "PendulumEnv",
    "EnsembleEnv",
    "ContextualEnv",
    "VectorEnv",
    "PPO",
    "MetablendError",
    "InvalidInputError",
    "DataFileError",
    "CheckpointError",
    "EnvStateError",
    "TrainingError",
    "__version__",
]
