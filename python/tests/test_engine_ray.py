"""Forecasting on Ray (a local Ray cluster of 2 CPUs) through Fugue, against the local
path."""

import pandas as pd
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("fugue_ray")

from engine_frames import POOL, gathered  # noqa: E402
from metablend.forecast import MetaForecaster, cross_validation  # noqa: E402

@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # Few shuffle partitions: the panel is small, and each costs a task.
    ray.data.DataContext.get_current().default_hash_shuffle_parallelism = 4
    yield
    ray.shutdown()


def test_fit_predict_and_cross_validation_on_ray_equal_the_local_path(ray_cluster, daily_panel):
    df = daily_panel.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    settings = dict(h=7, season=7, models=POOL)
    local = MetaForecaster(**settings).fit(df)
    want = gathered(local.predict(level=[80, 95]))
    data = ray.data.from_pandas(df.sample(frac=1, random_state=0)).repartition(3)
    mf = MetaForecaster(**settings).fit(data)
    assert mf.card == local.card
    got = gathered(mf.predict(level=[80, 95]))
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=True)
    kw = dict(h=7, n_windows=2, level=[80], season=7, models=POOL)
    pd.testing.assert_frame_equal(cross_validation(data, **kw), cross_validation(df, **kw),
                                  check_exact=True)
