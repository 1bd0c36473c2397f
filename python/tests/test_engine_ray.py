"""Forecasting on Ray (a local Ray cluster of 2 CPUs) through Fugue, against the local
path."""

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("fugue_ray")

from engine_frames import assert_engine_equals_local  # noqa: E402


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # Few shuffle partitions: the panel is small, and each costs a task.
    ray.data.DataContext.get_current().default_hash_shuffle_parallelism = 4
    yield
    ray.shutdown()


def test_fit_predict_and_cross_validation_on_ray_equal_the_local_path(ray_cluster, daily_panel):
    assert_engine_equals_local(lambda df: ray.data.from_pandas(df).repartition(3), daily_panel)
