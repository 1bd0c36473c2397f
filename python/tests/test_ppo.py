import numpy as np
import pytest

from metablend import PPO, CartPoleEnv, EnsembleEnv, InvalidInputError, PendulumEnv


def evaluate(model, env, episodes=3):
    returns = []
    for seed in range(episodes):
        obs, _ = env.reset(seed=100 + seed)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, r, terminated, truncated, _ = env.step(action)
            total += r
            done = terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


def test_ppo_learns_cartpole_from_python(tmp_path):
    model = PPO("metablend/CartPole-v1", preset="cartpole_zoo", seed=0)
    log = tmp_path / "log.jsonl"
    model.learn(50_000, log_path=str(log))
    assert model.num_timesteps >= 50_000
    assert model.logs[-1]["ep_rew_mean"] > 150
    assert len(log.read_text().splitlines()) == len(model.logs)
    assert evaluate(model, CartPoleEnv()) >= 195


def test_settings_use_sb3_names():
    model = PPO(CartPoleEnv(), n_steps=64, batch_size=32, learning_rate=("linear", 1e-3),
                net_arch=[32], activation="relu", seed=3)
    cfg = model.config
    assert (cfg["n_steps"], cfg["batch_size"], cfg["net_arch"], cfg["activation"]) == (64, 32, [32], "relu")
    assert cfg["learning_rate"] == {"linear": 1e-3}


def test_save_and_load_resume_exactly(tmp_path):
    settings = dict(n_steps=128, batch_size=64, n_epochs=2, seed=1)
    straight = PPO(CartPoleEnv(), **settings)
    straight.learn(1024)
    first = PPO(CartPoleEnv(), **settings)
    first.learn(512)
    first.save(str(tmp_path / "ckpt"))
    resumed = PPO.load(str(tmp_path / "ckpt"), env=CartPoleEnv())
    resumed.learn(1024)
    losses = lambda logs: [(l["iteration"], l["loss"], l["approx_kl"]) for l in logs]
    assert len(resumed.logs) == 4
    assert losses(resumed.logs) == losses(straight.logs[4:])
    obs = np.random.default_rng(0).normal(size=(5, 4))
    assert np.array_equal(resumed.predict(obs, deterministic=True)[0],
                          straight.predict(obs, deterministic=True)[0])


def test_callback_sees_each_update_and_can_stop():
    seen = []
    model = PPO(CartPoleEnv(), n_steps=64, batch_size=64, n_epochs=1)
    model.learn(10_000, callback=lambda log: seen.append(log["iteration"]) or len(seen) < 3)
    assert seen == [1, 2, 3]
    assert model.num_timesteps == 3 * 64


def test_an_exception_in_the_callback_reaches_the_caller():
    model = PPO(CartPoleEnv(), n_steps=64, batch_size=64, n_epochs=1)

    def callback(log):
        raise KeyError("from the callback")

    with pytest.raises(KeyError):
        model.learn(1000, callback=callback)


def test_box_actions_and_the_ensemble_env(predictions_frame):
    model = PPO(PendulumEnv(), n_steps=64, batch_size=64, n_epochs=1)
    model.learn(128)
    action, _ = model.predict(np.zeros(3), deterministic=True)
    assert action.shape == (1,) and action.dtype == np.float32
    env = EnsembleEnv(predictions_frame, action_map="residual", episode_len=64)
    model = PPO(env, preset="ensemble", n_envs=2, n_steps=64, batch_size=64)
    model.learn(512)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == (3,)


def test_ppo_trains_on_a_python_gymnasium_env():
    import gymnasium as gym

    model = PPO(gym.make("CartPole-v1"), preset="cartpole_zoo", seed=0)
    model.learn(30_000)
    assert model.logs[-1]["ep_rew_mean"] > 100
    assert evaluate(model, gym.make("CartPole-v1")) >= 150
    # The same through a callable, with a Box action space.
    model = PPO(lambda: gym.make("Pendulum-v1"), n_steps=64, batch_size=64, n_epochs=1)
    model.learn(128)
    action, _ = model.predict(np.zeros(3), deterministic=True)
    assert action.shape == (1,)


def test_a_python_env_s_exception_reaches_the_caller():
    import gymnasium as gym

    class Broken(gym.Env):
        observation_space = gym.spaces.Box(-1.0, 1.0, (2,))
        action_space = gym.spaces.Discrete(2)

        def reset(self, *, seed=None, options=None):
            return np.zeros(2, dtype=np.float32), {}

        def step(self, action):
            raise ArithmeticError("inside the Python env")

    with pytest.raises(ArithmeticError):
        PPO(Broken(), n_steps=16, batch_size=16).learn(100)
    with pytest.raises(InvalidInputError, match="Box observation space"):
        PPO(lambda: gym.make("FrozenLake-v1"))
