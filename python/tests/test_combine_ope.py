import json

import numpy as np
import pandas as pd
import pytest

from metablend import CartPoleEnv, DataFileError, InvalidInputError
from metablend.combine import combine
from metablend.ope import evaluate


def test_every_classical_combiner_and_equal_weights(predictions_frame):
    every = combine(predictions_frame, train_end=200, eval_end=300)
    assert {"equal", "median", "inverse_mse50", "stacking", "hedge", "exp_gradient",
            "fixed_share"} <= set(every)
    eq = combine(predictions_frame, train_end=200, eval_end=300, method="equal")
    expected = predictions_frame[["good", "noisy", "lagged"]].iloc[200:300].mean(axis=1).to_numpy()
    np.testing.assert_allclose(eq.forecasts, expected, rtol=1e-12)
    assert list(eq.weights.index) == list(range(200, 300))
    oracles = [c.name for c in every.values() if c.oracle]
    assert len(oracles) == 1


@pytest.mark.parametrize("method", ["inverse_mse", "hedge", "exp_gradient", "fixed_share"])
def test_no_look_ahead(predictions_frame, method):
    a = combine(predictions_frame, train_end=200, method=method)
    changed = predictions_frame.copy()
    changed.loc[250:, "target"] += 1000.0
    b = combine(changed, train_end=200, method=method)
    # Rows before 250 never saw the changed targets; row 250's weights use targets < 250.
    np.testing.assert_array_equal(a.weights.loc[:250].to_numpy(), b.weights.loc[:250].to_numpy())
    assert not np.array_equal(a.weights.loc[252:].to_numpy(), b.weights.loc[252:].to_numpy())


def test_bad_combiner_input(predictions_frame):
    with pytest.raises(InvalidInputError, match="choose"):
        combine(predictions_frame, train_end=200, method="magic")
    with pytest.raises(InvalidInputError, match="evaluation range 250..200"):
        combine(predictions_frame, train_end=250, eval_end=200, method="equal")


def logged_episodes(n=30):
    """CartPole under a uniform random policy, logged with its log-probabilities."""
    env, rng, rows = CartPoleEnv(), np.random.default_rng(0), []
    for episode in range(n):
        obs, _ = env.reset(seed=episode)
        for t in range(500):
            action = int(rng.integers(2))
            nxt, reward, terminated, truncated, _ = env.step(action)
            rows.append(dict(episode=episode, t=t, obs=obs.astype(float).tolist(), action=action,
                             reward=reward, terminated=terminated, truncated=truncated,
                             behavior_log_prob=float(np.log(0.5))))
            obs = nxt
            if terminated or truncated:
                break
    return pd.DataFrame(rows)


def test_same_policy_estimates_equal_the_behaviour_value(tmp_path):
    log = logged_episodes()
    table = evaluate(log, lambda obs, action: np.log(0.5), bootstrap=200)
    behaviour = table.attrs["diagnostics"]["behavior_value"]
    assert list(table["estimator"]) == ["IS", "WIS", "PDIS", "WPDIS", "DR"]
    # Every importance weight is 1: the trajectory-wise and per-decision sums are the
    # behaviour's own average return.
    np.testing.assert_allclose(table["value"][:3], behaviour, rtol=1e-12)
    assert (table["ci_low"] <= table["value"]).all() and (table["value"] <= table["ci_high"]).all()
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in log.to_dict("records")))
    from_file = evaluate(str(path), log_probs=np.full(len(log), np.log(0.5)), bootstrap=200)
    pd.testing.assert_frame_equal(from_file, table)


def test_a_greedier_target_is_reweighted():
    log = logged_episodes()
    # Always push right: most logged actions are impossible under it.
    table = evaluate(log, lambda obs, a: 0.0 if a == 1 else -30.0, bootstrap=100)
    assert table.attrs["diagnostics"]["effective_sample_size"] < 5


def test_ope_errors(tmp_path):
    log = logged_episodes(3)

    def broken(obs, action):
        raise ZeroDivisionError("target policy")

    with pytest.raises(ZeroDivisionError):
        evaluate(log, broken)
    with pytest.raises(DataFileError, match="missing.jsonl"):
        evaluate(str(tmp_path / "missing.jsonl"), broken)
    with pytest.raises(InvalidInputError, match="log-probabilities"):
        evaluate(log, log_probs=[0.0])
