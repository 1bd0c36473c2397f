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


def _steps(vec, actions, seed=3):
    vec.reset(seed=seed)
    return [vec.step(a) for a in actions]


def _assert_same_steps(a, b):
    for (oa, ra, tea, tra, _), (ob, rb, teb, trb, _) in zip(a, b):
        assert np.array_equal(oa, ob) and np.array_equal(ra, rb)
        assert np.array_equal(tea, teb) and np.array_equal(trb, tra)


def test_every_way_of_passing_actions_steps_the_same():
    rng = np.random.default_rng(0)
    # Discrete: contiguous int64 (the fast path), strided, another int dtype, a list.
    given = [rng.integers(0, 2, size=8) for _ in range(30)]
    vec = VectorEnv(CartPoleEnv(), 4)
    reference = _steps(vec, [a[::2].copy() for a in given])
    _assert_same_steps(_steps(vec, [a[::2] for a in given]), reference)
    _assert_same_steps(_steps(vec, [a[::2].astype(np.int32) for a in given]), reference)
    _assert_same_steps(_steps(vec, [a[::2].tolist() for a in given]), reference)
    with pytest.raises(InvalidInputError, match="negative"):
        vec.step(np.array([0, -1, 0, 1]))


def test_every_way_of_passing_box_actions_steps_the_same(predictions_frame):
    rng = np.random.default_rng(1)
    given = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(12)]
    vec = VectorEnv(EnsembleEnv(predictions_frame, action_map="softmax", episode_len=5), 4)
    reference = _steps(vec, [np.ascontiguousarray(a.T) for a in given])
    _assert_same_steps(_steps(vec, [a.T for a in given]), reference)  # strided
    _assert_same_steps(_steps(vec, [a.T.astype(np.float64) for a in given]), reference)
    _assert_same_steps(_steps(vec, [a.T.tolist() for a in given]), reference)


def _assert_same_info(ours, theirs, path="info"):
    assert set(ours) == set(theirs), f"{path}: keys {sorted(ours)} != {sorted(theirs)}"
    for key, value in theirs.items():
        if isinstance(value, dict):
            _assert_same_info(ours[key], value, f"{path}[{key!r}]")
        elif value.dtype == object:
            assert ours[key].dtype == object and ours[key].shape == value.shape, f"{path}[{key!r}]"
            for a, b in zip(ours[key], value):
                assert (a is None and b is None) or np.array_equal(a, b), f"{path}[{key!r}]"
        else:
            assert ours[key].shape == value.shape, f"{path}[{key!r}]"
            assert np.array_equal(ours[key], value), f"{path}[{key!r}]: {ours[key]} != {value}"


@pytest.mark.parametrize("kind", ["cartpole", "ensemble"])
def test_batching_equals_gymnasium_s_sync_vector_env(kind, predictions_frame):
    """Every step's arrays and infos (keys, masks, values, final observations and infos) equal
    those of Gymnasium's own SyncVectorEnv in SAME_STEP mode over the same single envs."""
    from gymnasium.vector import AutoresetMode, SyncVectorEnv

    if kind == "cartpole":
        make = CartPoleEnv
        actions = [np.array([1, 0, 1]), np.array([1, 1, 1])]
    else:
        def make():
            return EnsembleEnv(predictions_frame, action_map="simplex", episode_len=4)

        actions = [np.tile(np.array([0.6, 0.3, 0.1], np.float32), (3, 1)),
                   np.tile(np.array([0.1, 0.1, 0.8], np.float32), (3, 1))]
    ours = VectorEnv(make(), 3)
    theirs = SyncVectorEnv([make] * 3, autoreset_mode=AutoresetMode.SAME_STEP)
    (o1, i1), (o2, i2) = ours.reset(seed=5), theirs.reset(seed=5)
    assert np.array_equal(o1, o2)
    _assert_same_info(i1, i2)
    ended = 0
    for t in range(30):
        a = actions[t % 2]
        mine, gym_s = ours.step(a), theirs.step(a)
        for x, y in zip(mine[:4], gym_s[:4]):
            assert x.dtype == y.dtype and np.array_equal(x, y), f"step {t}"
        _assert_same_info(mine[4], gym_s[4])
        ended += int((mine[2] | mine[3]).sum())
    assert ended > 0
