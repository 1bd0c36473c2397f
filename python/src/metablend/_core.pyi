"""Type stubs of the Rust extension (``metablend._core``). Use the Python modules around
it (``metablend.envs``, ``metablend.ppo``, ``metablend.forecast``); these are their parts."""

from typing import Any, Callable, Optional, Sequence

import numpy as np
import numpy.typing as npt

__version__: str

class Env:
    @staticmethod
    def cartpole() -> "Env": ...
    @staticmethod
    def pendulum() -> "Env": ...
    @staticmethod
    def ensemble(
        targets: Sequence[npt.NDArray[np.float64]],
        predictions: Sequence[npt.NDArray[np.float64]],
        names: Sequence[str],
        ids: Optional[Sequence[str]] = None,
        config: Optional[str] = None,
        action_map: str = "softmax",
        reward: Optional[str] = None,
        reward_fn: Optional[Callable[[dict], float]] = None,
    ) -> "Env": ...
    @staticmethod
    def ensemble_csv(
        paths: Sequence[str],
        config: Optional[str] = None,
        action_map: str = "softmax",
        reward: Optional[str] = None,
        reward_fn: Optional[Callable[[dict], float]] = None,
    ) -> "Env": ...
    @staticmethod
    def contextual(
        ids: Sequence[str],
        contexts: npt.NDArray[np.float64],
        targets: npt.NDArray[np.float64],
        forecasts: npt.NDArray[np.float64],
        mase_scales: npt.NDArray[np.float64],
        references: npt.NDArray[np.float64],
        names: Sequence[str],
        action_map: str = "residual",
        order: str = "random",
    ) -> "Env": ...
    def fresh(self) -> "Env": ...
    def reset(self, seed: Optional[int] = None) -> tuple[npt.NDArray[np.float32], dict]: ...
    def step(self, action: Any) -> tuple[npt.NDArray[np.float32], float, bool, bool, dict]: ...
    def observation_space(self) -> tuple: ...
    def action_space(self) -> tuple: ...
    def snapshot(self) -> str: ...
    def restore(self, state: str) -> None: ...

class VecEnv:
    num_envs: int
    def __init__(self, env: Env, n: int) -> None: ...
    def reset(self, seed: Optional[int] = None) -> tuple[npt.NDArray[np.float32], dict]: ...
    def step(self, actions: Any) -> tuple[
        npt.NDArray[np.float32],
        npt.NDArray[np.float64],
        npt.NDArray[np.bool_],
        npt.NDArray[np.bool_],
        dict,
    ]: ...

class PPO:
    num_timesteps: int
    def __init__(self, env: Env, preset: Optional[str] = None, settings: Optional[str] = None) -> None: ...
    @staticmethod
    def load(env: Env, path: str) -> "PPO": ...
    def learn(
        self,
        total_timesteps: int,
        callback: Optional[Callable[[str], Optional[bool]]] = None,
        log_path: Optional[str] = None,
    ) -> list[str]: ...
    def predict(self, obs: npt.NDArray[np.float64], deterministic: bool = False) -> np.ndarray: ...
    def save(self, path: str) -> None: ...
    def config_json(self) -> str: ...

class MetaModel:
    def forecast(self, csv: str, levels: Sequence[float], fill: str = "error") -> dict: ...
    def save(self, path: str) -> None: ...
    @staticmethod
    def load(path: str) -> "MetaModel": ...
    def card_json(self) -> str: ...

def fit_panel(csv: str, settings: str, fill: str = "error") -> MetaModel: ...
def cross_validate(csv: str, settings: str, windows: int, levels: Sequence[float], fill: str = "error") -> str: ...
def panel_features(csv: str, season: Optional[int], fill: str = "error") -> tuple[list[str], list[str], list[Optional[list[float]]]]: ...
def combine(
    target: npt.NDArray[np.float64],
    predictions: npt.NDArray[np.float64],
    names: Sequence[str],
    train_end: int,
    eval_end: Optional[int] = None,
    method: Optional[str] = None,
    eta: Optional[float] = None,
    window: Optional[int] = None,
) -> list[tuple[str, bool, npt.NDArray[np.float64], npt.NDArray[np.float64]]]: ...
def off_policy(
    log: str,
    source: str,
    settings: Optional[str] = None,
    log_prob: Optional[Callable[[npt.NDArray[np.float64], Any], float]] = None,
    keys: Optional[Sequence[tuple[int, int]]] = None,
    values: Optional[Sequence[float]] = None,
) -> str: ...
