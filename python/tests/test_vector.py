import gymnasium as gym
import numpy as np
import pytest

from metablend import CartPoleEnv, EnsembleEnv, InvalidInputError, VectorEnv


def test_sub_env_i_is_the_single_env_seeded_seed_plus_i():
    vec = VectorEnv(CartPoleEnv(), 3)
    obs, _ = vec.reset(seed=10)
    assert obs.shape == (3, 4) and obs.dtype == np.float32
    for i in range(3):
        single, _ = CartPoleEnv().reset(seed=10 + i)
        assert np.array_equal(obs[i], single)
    assert isinstance(vec.single_action_space, gym.spaces.Discrete)
    assert vec.action_space.shape == (3,)


def test_same_step_autoreset_keeps_the_final_observation():
    vec = VectorEnv(CartPoleEnv(), 2)
    vec.reset(seed=0)
    singles = [CartPoleEnv(), CartPoleEnv()]
    last = [s.reset(seed=i)[0] for i, s in enumerate(singles)]
    for _ in range(40):
        obs, rewards, terminated, truncated, info = vec.step(np.array([1, 1]))
        steps = [s.step(1) for s in singles]
        ended = terminated | truncated
        for i, (o, r, te, tr, _) in enumerate(steps):
            assert terminated[i] == te and truncated[i] == tr and rewards[i] == r
            if te or tr:
                # The ended episode's last observation is kept; obs is the next episode's.
                assert info["_final_obs"][i]
                assert np.array_equal(info["final_obs"][i], o)
                assert not np.array_equal(obs[i], o)
                assert np.all(np.abs(obs[i]) <= 0.05)
            else:
                assert np.array_equal(obs[i], o)
        if ended.any():
            assert set(info) >= {"final_obs", "_final_obs", "final_info", "_final_info"}
            return
    pytest.fail("no episode ended")


def test_box_actions_and_infos(predictions_frame):
    vec = VectorEnv(EnsembleEnv(predictions_frame, action_map="simplex", episode_len=5), 4)
    obs, _ = vec.reset(seed=1)
    ended = False
    for _ in range(6):
        obs, r, te, tr, info = vec.step(np.tile(np.array([1.0, 0.0, 0.0], np.float32), (4, 1)))
        assert r.shape == (4,)
        if tr.all():
            # Every sub-env ended: the step infos are the final infos, beside the resets'.
            assert info["final_info"]["weights"].shape == (4, 3)
        else:
            assert info["weights"].shape == (4, 3)
        ended |= bool(tr.any())
    assert ended


def test_bad_vector_input():
    with pytest.raises(InvalidInputError):
        VectorEnv(CartPoleEnv(), 0)
    vec = VectorEnv(CartPoleEnv(), 2)
    vec.reset(seed=0)
    with pytest.raises(InvalidInputError, match="expected 2 actions"):
        vec.step(np.array([1, 0, 1]))
