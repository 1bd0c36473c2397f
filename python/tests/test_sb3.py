import numpy as np

from metablend import CartPoleEnv, EnsembleEnv
from metablend.sb3 import SB3VecEnv


def test_sb3_semantics_terminal_observation_and_truncation():
    venv = SB3VecEnv(CartPoleEnv(), n_envs=3)
    assert venv.seed(5) == [5, 6, 7]
    obs = venv.reset()
    assert obs.shape == (3, 4)
    single = CartPoleEnv()
    first, _ = single.reset(seed=5)
    assert np.array_equal(obs[0], first)
    for _ in range(100):
        obs, rewards, dones, infos = venv.step(np.ones(3, dtype=np.int64))
        assert rewards.dtype == np.float32 and dones.dtype == bool and len(infos) == 3
        last, *_ = single.step(1)
        if dones[0]:
            assert np.array_equal(infos[0]["terminal_observation"], last)
            assert infos[0]["TimeLimit.truncated"] is False  # the pole fell: terminated
            return
    raise AssertionError("no episode ended")


def test_time_limit_truncation_is_flagged(predictions_frame):
    venv = SB3VecEnv(EnsembleEnv(predictions_frame, action_map="simplex", episode_len=4), n_envs=2)
    venv.reset()
    for step in range(4):
        _, _, dones, infos = venv.step(np.full((2, 3), 1 / 3, dtype=np.float32))
    assert dones.all()
    assert all(i["TimeLimit.truncated"] for i in infos)
    assert venv.get_attr("render_mode") == [None, None]
    assert venv.env_is_wrapped(object) == [False, False]
