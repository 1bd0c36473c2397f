import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metablend.exceptions import InvalidInputError
from metablend.forecast import MetaForecaster, cross_validation, features

POOL = "naive snaive:7 drift ses:7 theta:7"
REPO = Path(__file__).resolve().parents[2]


def test_fit_predict_continues_each_series(daily_panel):
    mf = MetaForecaster(h=7, models=POOL).fit(daily_panel)
    fc = mf.predict(level=[80, 95])
    assert len(fc) == 24 * 7
    assert fc["ds"].dtype == daily_panel["ds"].dtype
    s0 = fc[fc.unique_id == "s0"]
    assert s0["ds"].iloc[0] == daily_panel[daily_panel.unique_id == "s0"]["ds"].max() + pd.Timedelta(days=1)
    combined = sum(s0[f"w_{m}"] * s0[m] for m in mf.card["names"])
    np.testing.assert_allclose(combined, s0["metablend"], rtol=1e-12)
    assert (s0["metablend-lo-95"] <= s0["metablend-lo-80"]).all()
    assert (s0["metablend-hi-80"] <= s0["metablend-hi-95"]).all()
    theta = next(n for n in mf.card["names"] if n.startswith("theta"))
    assert {"naive-lo-80", f"{theta}-hi-95"} <= set(fc.columns)
    short = fc[fc.unique_id == "s23"]
    assert short["fallback"].iloc[0] in ("naive2", "naive") and short["w_naive"].isna().all()


def test_new_series_and_the_model_folder(daily_panel, tmp_path):
    seen = daily_panel[daily_panel.unique_id != "s3"]
    mf = MetaForecaster(h=7, models=POOL).fit(seen)
    mf.save(str(tmp_path / "model"))
    loaded = MetaForecaster.load(str(tmp_path / "model"))
    a = mf.predict(df=daily_panel, level=[80])
    b = loaded.predict(df=daily_panel, level=[80])
    pd.testing.assert_frame_equal(a, b)
    assert "s3" in set(a.unique_id)


def test_predict_on_the_fitted_frame_reuses_fit_s_work_with_the_same_numbers(daily_panel, tmp_path):
    kept = MetaForecaster(h=7, models=POOL).fit(daily_panel)
    plain = MetaForecaster(h=7, models=POOL, keep_work=False).fit(daily_panel)
    pd.testing.assert_frame_equal(kept.predict(level=[80, 95]), plain.predict(level=[80, 95]))
    kept.save(str(tmp_path / "kept"))
    plain.save(str(tmp_path / "plain"))
    assert (tmp_path / "kept" / "work.msgpack").exists()
    assert not (tmp_path / "plain" / "work.msgpack").exists()
    assert "work_sha256" in MetaForecaster.load(str(tmp_path / "kept")).card


def test_a_few_new_series_are_calibrated_on_the_fitted_ones(daily_panel):
    mf = MetaForecaster(h=7, models=POOL).fit(daily_panel)
    # The fitted series under new ids, three of them: too few for their own 95% intervals.
    renamed = daily_panel.assign(unique_id="new-" + daily_panel.unique_id)
    few = renamed[renamed.unique_id.isin(["new-s0", "new-s1", "new-s2"])]
    with pytest.raises(InvalidInputError, match="needs at least"):
        mf.predict(df=few, level=[80, 95], calibration="panel")
    auto = mf.predict(df=few, level=[80, 95])
    model = mf.predict(df=few, level=[80, 95], calibration="model")
    pd.testing.assert_frame_equal(auto, model)
    # Calibrated on the fitted series, the renamed ones get the fitted ones' rows.
    fitted = mf.predict(level=[80, 95])
    want = fitted[fitted.unique_id.isin(["s0", "s1", "s2"])].reset_index(drop=True)
    got = model.assign(unique_id=model.unique_id.str.removeprefix("new-"))
    pd.testing.assert_frame_equal(got, want)
    with pytest.raises(InvalidInputError, match="auto, panel or model"):
        mf.predict(df=few, level=[80], calibration="elsewhere")


def test_fforma_shrinks_toward_the_best_member(daily_panel):
    plain = MetaForecaster(h=7, models=POOL).fit(daily_panel)
    mf = MetaForecaster(h=7, models=POOL, fforma_shrink=True).fit(daily_panel)
    assert "fforma_shrinkage" not in plain.card
    s = mf.card["fforma_shrinkage"]
    assert s["member_name"] == mf.card["names"][s["member"]] and 0.0 <= s["lambda"] <= 1.0
    a, b = mf.predict(), plain.predict()
    rows = a.fallback.isna()
    member = f"w_{s['member_name']}"
    for name in mf.card["names"]:
        expected = (1 - s["lambda"]) * b.loc[rows, f"w_{name}"] + s["lambda"] * (f"w_{name}" == member)
        np.testing.assert_allclose(a.loc[rows, f"w_{name}"], expected, atol=1e-12)


def test_a_bag_of_fforma_networks_averages_consecutive_seeds(daily_panel, tmp_path):
    one = MetaForecaster(h=7, models=POOL, seed=4).fit(daily_panel)
    bag = MetaForecaster(h=7, models=POOL, seed=3, fforma_bag=2).fit(daily_panel)
    assert (one.card["fforma"]["bag"], bag.card["fforma"]["bag"]) == (1, 2)
    seed3 = MetaForecaster(h=7, models=POOL, seed=3).fit(daily_panel).predict()
    a, b = bag.predict(), one.predict()
    rows = a.fallback.isna()
    for name in bag.card["names"]:
        mean = (seed3.loc[rows, f"w_{name}"] + b.loc[rows, f"w_{name}"]) / 2
        np.testing.assert_allclose(a.loc[rows, f"w_{name}"], mean, atol=1e-12)
    bag.save(tmp_path / "bag")
    again = MetaForecaster.load(tmp_path / "bag").predict(df=daily_panel)
    pd.testing.assert_frame_equal(again, a, check_exact=True)
    with pytest.raises(InvalidInputError):
        MetaForecaster(h=7, models=POOL, fforma_bag=0).fit(daily_panel)


def test_the_same_numbers_as_the_command(daily_panel, tmp_path):
    binary = Path(os.environ.get("METABLEND_BIN", REPO / "target" / "debug" / "metablend"))
    if not binary.exists():
        pytest.skip(f"the command is not built ({binary}); CI builds it before these tests")
    data = tmp_path / "panel.csv"
    daily_panel.to_csv(data, index=False)
    model, out = tmp_path / "m", tmp_path / "f.csv"
    subprocess.run([binary, "fit", "--data", data, "--horizon", "7", "--pool", POOL, "--out", model,
                    "--no-progress"], check=True, capture_output=True)
    subprocess.run([binary, "forecast", "--model", model, "--data", data, "--level", "80", "95",
                    "--out", out, "--no-progress"], check=True, capture_output=True)
    table = tmp_path / "features.csv"
    subprocess.run([binary, "features", "--data", data, "--out", table, "--no-progress"],
                   check=True, capture_output=True)
    command_features = pd.read_csv(table, float_precision="round_trip")
    pd.testing.assert_frame_equal(features(daily_panel), command_features, check_exact=True)
    command = pd.read_csv(out, float_precision="round_trip")
    ours = MetaForecaster(h=7, models=POOL).fit(daily_panel).predict(level=[80, 95])
    for col in command.columns:
        if col in ("unique_id", "ds", "fallback"):
            assert list(command[col].fillna("").astype(str)) == list(
                ours[col].fillna("").astype(str) if col != "ds" else ours[col].dt.strftime("%Y-%m-%d"))
        else:
            np.testing.assert_array_equal(command[col].to_numpy(), ours[col].to_numpy(), err_msg=col)


def test_cross_validation_scores_every_method(daily_panel):
    cv = cross_validation(daily_panel, h=7, n_windows=2, level=[80], models=POOL)
    methods = set(cv["method"])
    assert {"metablend (fforma)", "inverse_error", "equal", "naive"} <= methods
    assert any(m.startswith("theta") for m in methods)
    assert set(cv["window"]) == {0, 1}
    assert cv["coverage-80"].between(0, 1).all()
    naive2 = cv[cv.method.str.startswith("naive2")]
    np.testing.assert_allclose(naive2["owa"], 1.0)


def test_features_one_row_per_series(daily_panel):
    f = features(daily_panel)
    assert list(f["unique_id"]) == [f"s{i}" for i in range(24)]
    assert {"x_acf1", "seasonal_strength", "hurst"} <= set(f.columns)
    assert f.iloc[23, 1:].isna().all()
    assert np.isfinite(f.loc[0, "x_acf1"])


def test_integer_stamps_and_other_column_names(daily_panel):
    df = daily_panel.assign(t=daily_panel.groupby("unique_id").cumcount()).drop(columns="ds")
    df = df.rename(columns={"unique_id": "item", "y": "sales"})
    mf = MetaForecaster(h=7, season=7, models=POOL, id_col="item", time_col="t", target_col="sales")
    fc = mf.fit(df).predict()
    assert fc["t"].dtype == np.int64
    assert fc[fc.item == "s0"]["t"].iloc[0] == 120


def test_numeric_values_handed_over_as_an_array_equal_the_text_path(daily_panel):
    # Integer and float targets go to Rust as an array; any other dtype (here strings) as
    # CSV text. Both must read as the same panel, missing values and errors included.
    text = daily_panel.assign(y=daily_panel["y"].map(repr))
    kw = dict(h=7, season=7, models="naive snaive:7 ses")
    assert isinstance(daily_panel["y"].iloc[0], float)
    pd.testing.assert_frame_equal(features(daily_panel, season=7), features(text, season=7))
    want = MetaForecaster(**kw).fit(text).predict(level=[80])
    got = MetaForecaster(**kw).fit(daily_panel).predict(level=[80])
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    ints = daily_panel.assign(y=daily_panel["y"].round().astype("int64"))
    pd.testing.assert_frame_equal(
        features(ints, season=7), features(ints.assign(y=ints["y"].astype(str)), season=7)
    )
    from metablend import InvalidInputError

    gap = daily_panel.copy()
    gap.loc[gap.index[3], "y"] = np.nan
    with pytest.raises(InvalidInputError, match=r"line 5.*missing value"):
        features(gap, season=7)
    filled = features(gap, season=7, fill="previous")
    assert filled.equals(features(gap.assign(y=gap["y"].map(repr)), season=7, fill="previous"))
    gap.loc[gap.index[3], "y"] = np.inf
    with pytest.raises(InvalidInputError, match=r"line 5.*not finite"):
        features(gap, season=7)
