import numpy as np
import pandas as pd
import pytest

import metablend
from metablend import (CartPoleEnv, CheckpointError, DataFileError, EnsembleEnv, EnvStateError,
                       InvalidInputError, MetablendError, PPO)
from metablend.forecast import MetaForecaster


def test_classes_are_standard_ones_too():
    assert issubclass(InvalidInputError, ValueError) and issubclass(InvalidInputError, MetablendError)
    assert issubclass(DataFileError, OSError) and issubclass(CheckpointError, OSError)
    assert issubclass(EnvStateError, RuntimeError)


def test_step_before_reset_and_after_the_end():
    env = CartPoleEnv()
    with pytest.raises(EnvStateError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    while True:
        _, _, terminated, truncated, _ = env.step(1)
        if terminated or truncated:
            break
    with pytest.raises(EnvStateError):
        env.step(1)


def test_bad_actions():
    env = CartPoleEnv()
    env.reset(seed=0)
    with pytest.raises(InvalidInputError, match="action"):
        env.step(5)
    with pytest.raises(InvalidInputError, match="action"):
        env.step("left")


def test_bad_settings_name_the_field(predictions_frame):
    with pytest.raises(InvalidInputError, match="windw"):
        EnsembleEnv(predictions_frame, windw=10)
    with pytest.raises(InvalidInputError, match="window"):
        EnsembleEnv(predictions_frame, window=0)
    with pytest.raises(InvalidInputError, match="action map"):
        EnsembleEnv(predictions_frame, action_map="argmax")
    with pytest.raises(InvalidInputError, match="no target column"):
        EnsembleEnv(predictions_frame.rename(columns={"target": "y"}))
    with pytest.raises(InvalidInputError, match="n_stepz"):
        PPO(CartPoleEnv(), n_stepz=10)
    with pytest.raises(InvalidInputError, match="preset"):
        PPO(CartPoleEnv(), preset="atari")


def test_non_finite_data_is_refused_by_position():
    y = np.arange(50, dtype=float)
    p = np.stack([y, y + 1], axis=1)
    p[17, 1] = np.nan
    with pytest.raises(InvalidInputError, match="17"):
        EnsembleEnv(target=y, predictions=p)


def test_files(tmp_path):
    with pytest.raises(DataFileError, match="missing.csv"):
        EnsembleEnv(csv=str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("t,target,a,b\n0,1,2,3\n1,x,2,3\n")
    with pytest.raises(InvalidInputError, match="bad.csv.*line 3"):
        EnsembleEnv(csv=str(bad))
    with pytest.raises(CheckpointError):
        PPO.load(str(tmp_path), env=CartPoleEnv())
    with pytest.raises(CheckpointError):
        MetaForecaster.load(str(tmp_path))


def test_bad_panels_name_the_series(daily_panel):
    dup = pd.concat([daily_panel, daily_panel.iloc[[3]]])
    with pytest.raises(InvalidInputError, match="s0"):
        MetaForecaster(h=7).fit(dup)
    with pytest.raises(InvalidInputError, match="columns"):
        MetaForecaster(h=7).fit(daily_panel.rename(columns={"y": "value"}))
    with pytest.raises(InvalidInputError, match="not fitted"):
        MetaForecaster(h=7).predict()
    with pytest.raises(InvalidInputError, match="horizon"):
        MetaForecaster().fit(daily_panel)
