import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import metablend
from metablend import CartPoleEnv, EnsembleEnv, PendulumEnv

# Gymnasium's checker recommends a Box action space within [-1, 1]; Gymnasium's own
# Pendulum-v1 (range [-2, 2]) gets the same note, and the softmax/residual maps take
# unbounded logits. It is the only warning allowed.
RANGE_NOTE = "we recommend using a symmetric and normalized space"


def checked(env):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=False)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("env_id", ["metablend/CartPole-v1", "metablend/Pendulum-v1"])
def test_gymnasium_checker_passes(env_id):
    env = gym.make(env_id, render_mode="ansi")
    messages = checked(env)
    allowed = [m for m in messages if RANGE_NOTE in m and "Pendulum" in env_id]
    assert messages == allowed, messages


@pytest.mark.parametrize("action_map", ["softmax", "residual", "simplex", "select"])
def test_ensemble_env_passes_the_checker(predictions_frame, action_map):
    env = gym.make("metablend/Ensemble-v0", data=predictions_frame, action_map=action_map,
                   episode_len=64, render_mode="ansi")
    messages = checked(env)
    assert all(RANGE_NOTE in m for m in messages), messages
    if action_map in ("simplex", "select"):
        assert messages == []
    expected = gym.spaces.Discrete if action_map == "select" else gym.spaces.Box
    assert isinstance(env.action_space, expected)
    assert env.observation_space.dtype == np.float32


def test_context_features_extend_the_observation(predictions_frame):
    plain = EnsembleEnv(data=predictions_frame, action_map="residual", log_rmse=True)
    context = {"phase_periods": [24], "same_phase_period": 24, "same_phase_cycles": 2,
               "disagreement": True}
    env = EnsembleEnv(data=predictions_frame, action_map="residual", log_rmse=True,
                      context=context)
    k = plain.action_space.shape[0]
    assert env.observation_space.shape[0] == plain.observation_space.shape[0] + 2 + 2 * k + 1
    made = gym.make("metablend/Ensemble-v0", data=predictions_frame, action_map="residual",
                    log_rmse=True, context=context, episode_len=64, render_mode="ansi")
    assert all(RANGE_NOTE in m for m in checked(made))
    with pytest.raises(ValueError, match="at least 2"):
        EnsembleEnv(data=predictions_frame, context={"phase_periods": [1]})


def rollout(env, seed, steps=300):
    obs, _ = env.reset(seed=seed)
    out = [obs]
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        action = 1 if rng.random() < 0.5 else 0
        obs, reward, terminated, truncated, _ = env.step(action)
        out.append(np.append(obs, [reward, terminated, truncated]))
        if terminated or truncated:
            obs, _ = env.reset()
            out.append(obs)
    return out


def test_same_seed_same_trajectory_bit_for_bit():
    a, b = rollout(CartPoleEnv(), 7), rollout(CartPoleEnv(), 7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    c = rollout(CartPoleEnv(), 8)
    assert not np.array_equal(a[0], c[0])


def test_observations_follow_gymnasium_dynamics():
    # From the same state, one step of metablend's CartPole equals Gymnasium's own.
    ours = CartPoleEnv()
    obs, _ = ours.reset(seed=3)
    ref = gym.make("CartPole-v1").unwrapped
    ref.reset(seed=0)
    ref.state = obs.astype(np.float64)
    for action in [1, 0, 0, 1, 1]:
        expected, r_ref, term_ref, _, _ = ref.step(action)
        got, r, term, _, _ = ours.step(action)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
        assert (r, term) == (r_ref, term_ref)
        ref.state = got.astype(np.float64)


def test_time_limits_are_gymnasium_s():
    env = PendulumEnv()
    env.reset(seed=0)
    steps = 0
    while True:
        _, _, terminated, truncated, _ = env.step(np.zeros(1, dtype=np.float32))
        steps += 1
        if terminated or truncated:
            break
    assert (steps, terminated, truncated) == (200, False, True)


def test_every_input_kind_gives_the_same_env(predictions_frame, tmp_path):
    df = predictions_frame
    from_frame = EnsembleEnv(df, episode_len=50)
    from_arrays = EnsembleEnv(target=df["target"].to_numpy(),
                              predictions=df[["good", "noisy", "lagged"]].to_numpy(),
                              model_names=["good", "noisy", "lagged"], episode_len=50)
    path = tmp_path / "preds.csv"
    df.insert(0, "t", np.arange(len(df)))
    df.to_csv(path, index=False)
    from_csv = EnsembleEnv(csv=str(path), episode_len=50)
    trajectories = []
    for env in (from_frame, from_arrays, from_csv):
        obs, _ = env.reset(seed=5)
        seq = [obs]
        for _ in range(40):
            obs, r, *_ = env.step(np.array([1.0, 0.0, -1.0], dtype=np.float32))
            seq.append(np.append(obs, r))
        trajectories.append(seq)
    for other in trajectories[1:]:
        assert all(np.array_equal(x, y) for x, y in zip(trajectories[0], other))


def test_info_holds_the_combination(predictions_frame):
    env = EnsembleEnv(predictions_frame, action_map="simplex")
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.array([1.0, 0.0, 0.0], dtype=np.float32))
    assert np.allclose(info["weights"], [1.0, 0.0, 0.0])
    t = int(info["t"])
    assert info["forecast"] == predictions_frame["good"].iloc[t]
    assert info["target"] == predictions_frame["target"].iloc[t]
    assert reward < 0


def test_python_reward_callable(predictions_frame):
    seen = []

    def reward(ctx):
        seen.append(ctx)
        return -abs(ctx["forecast"] - ctx["target"])

    env = EnsembleEnv(predictions_frame, reward=reward, window=10)
    env.reset(seed=1)
    _, r, _, _, info = env.step(np.zeros(3, dtype=np.float32))
    ctx = seen[-1]
    assert r == -abs(info["forecast"] - info["target"])
    # Only what is known once target[t] is revealed: the history ends before t.
    assert len(ctx["history"]) == ctx["t"]
    assert ctx["preds"].shape == (3,)


def test_an_exception_in_the_reward_reaches_the_caller(predictions_frame):
    class Boom(Exception):
        pass

    def reward(ctx):
        raise Boom("in the reward")

    env = EnsembleEnv(predictions_frame, reward=reward)
    env.reset(seed=0)
    with pytest.raises(Boom):
        env.step(np.zeros(3, dtype=np.float32))


def test_built_in_rewards_by_name_and_with_parameters(predictions_frame):
    for reward in ["neg_abs_error", "directional_hit", {"kind": "trading_pnl", "cost": 0.001}]:
        env = EnsembleEnv(predictions_frame, reward=reward)
        env.reset(seed=0)
        _, r, *_ = env.step(np.zeros(3, dtype=np.float32))
        assert np.isfinite(r)


def test_pickle_keeps_the_episode(predictions_frame):
    env = EnsembleEnv(predictions_frame, reward="neg_abs_error", episode_len=100)
    env.reset(seed=2)
    for _ in range(10):
        env.step(np.ones(3, dtype=np.float32))
    clone = pickle.loads(pickle.dumps(env))
    for _ in range(20):
        a = env.step(np.array([0.5, 0.0, -0.5], dtype=np.float32))
        b = clone.step(np.array([0.5, 0.0, -0.5], dtype=np.float32))
        assert np.array_equal(a[0], b[0]) and a[1] == b[1]
    cart = CartPoleEnv()
    cart.reset(seed=4)
    cart.step(1)
    again = pickle.loads(pickle.dumps(cart))
    assert np.array_equal(cart.step(0)[0], again.step(0)[0])


def test_render_ansi():
    env = CartPoleEnv(render_mode="ansi")
    obs, _ = env.reset(seed=0)
    assert env.render().split()[0] == f"{obs[0]:.4f}"


def contextual_arrays(n=30, h=6, seed=0):
    rng = np.random.default_rng(seed)
    targets = 100 + rng.normal(size=(n, h)).cumsum(axis=1)
    good = targets + rng.normal(scale=0.5, size=(n, h))
    bad = targets + rng.normal(scale=3.0, size=(n, h))
    forecasts = np.stack([good, bad], axis=1)
    contexts = rng.normal(size=(n, 4))
    scales = np.ones(n)
    naive = np.repeat(targets[:, :1], h, axis=1)
    smape = 200 * np.mean(np.abs(targets - naive) / (np.abs(targets) + np.abs(naive)), axis=1)
    mase = np.mean(np.abs(targets - naive), axis=1)
    refs = np.stack([smape, np.maximum(mase, 1e-3)], axis=1)
    return contexts, targets, forecasts, scales, refs


@pytest.mark.parametrize("action_map", ["residual", "softmax", "simplex", "select"])
def test_contextual_env(action_map):
    c, y, f, s, r = contextual_arrays()
    env = gym.make("metablend/Contextual-v0", contexts=c, targets=y, forecasts=f, mase_scales=s,
                   references=r, model_names=["good", "bad"], action_map=action_map)
    messages = checked(env)
    assert all(RANGE_NOTE in m for m in messages), messages
    obs, info = env.reset(seed=0)
    assert obs.shape == (6,)  # 4 features + 2 log-losses
    action = env.action_space.sample()
    _, reward, terminated, truncated, info = env.step(action)
    assert terminated and not truncated and reward <= 0 and "loss" in info
    clone = pickle.loads(pickle.dumps(env.unwrapped))
    assert np.array_equal(clone.reset()[0], env.unwrapped.reset()[0])


def test_ppo_learns_the_contextual_env_prefers_the_good_model():
    c, y, f, s, r = contextual_arrays(n=60)
    env = metablend.ContextualEnv(c, y, f, s, r, ["good", "bad"], action_map="softmax")
    model = metablend.PPO(env, preset="ensemble", n_steps=256, batch_size=64, seed=0)
    model.learn(6_000)
    obs = np.stack([env.reset(seed=i)[0] for i in range(10)])
    actions, _ = model.predict(obs, deterministic=True)
    weights = np.exp(actions) / np.exp(actions).sum(axis=1, keepdims=True)
    assert weights[:, 0].mean() > 0.6
