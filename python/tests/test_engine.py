"""Forecasting on a cluster engine: a local Dask cluster with two worker processes, through
Fugue, against the local path."""

import os

import pandas as pd
import pytest

pytest.importorskip("fugue.api")
dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

from engine_frames import POOL, gathered  # noqa: E402
from metablend import _core  # noqa: E402
from metablend.exceptions import InvalidInputError  # noqa: E402
from metablend.forecast import MetaForecaster, features  # noqa: E402

SETTINGS = dict(h=7, season=7, models=POOL)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def sorted_panel(daily_panel):
    """The panel in unique_id order, the order an engine gathers series in."""
    return daily_panel.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def expected(local):
    return local.sort_values(["unique_id", "ds"]).reset_index(drop=True)


@pytest.mark.parametrize("meta", ["fforma", "inverse"])
def test_fit_and_predict_on_dask_equal_the_local_path_bit_for_bit(client, sorted_panel, meta):
    local = MetaForecaster(meta=meta, **SETTINGS).fit(sorted_panel)
    want = expected(local.predict(level=[80, 95]))
    for partitions in (1, 5):
        ddf = dd.from_pandas(sorted_panel.sample(frac=1, random_state=partitions), npartitions=partitions)
        mf = MetaForecaster(meta=meta, **SETTINGS).fit(ddf)
        assert mf.card == local.card
        # The workers skip the work the fit kept; without it they redo it: the same rows.
        assert _core.kept_index(mf._model, [80.0, 95.0]) is not None
        got = gathered(mf.predict(level=[80, 95]))
        pd.testing.assert_frame_equal(got[want.columns], want, check_exact=True)
        plain = MetaForecaster(meta=meta, keep_work=False, **SETTINGS).fit(ddf)
        assert _core.kept_index(plain._model, [80.0, 95.0]) is None
        got = gathered(plain.predict(level=[80, 95]))
        pd.testing.assert_frame_equal(got[want.columns], want, check_exact=True)
    # A pandas frame with engine= runs there too; so do new series given to predict.
    mf = MetaForecaster(meta=meta, **SETTINGS).fit(sorted_panel, engine=client)
    assert mf.card == local.card
    got = gathered(mf.predict(level=[80], df=sorted_panel, engine=client))
    pd.testing.assert_frame_equal(got, expected(local.predict(level=[80])), check_exact=True)


def test_new_series_on_dask_calibrated_on_the_fitted_ones_equal_the_local_path(client, sorted_panel):
    mf = MetaForecaster(**SETTINGS).fit(sorted_panel)
    renamed = sorted_panel.assign(unique_id=sorted_panel.unique_id + "-new")
    want = expected(mf.predict(df=renamed, level=[80, 95], calibration="model"))
    ddf = dd.from_pandas(renamed, npartitions=3)
    got = gathered(mf.predict(df=ddf, level=[80, 95], calibration="model"))
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=True)


def test_features_on_dask_equal_the_local_ones(client, sorted_panel):
    ddf = dd.from_pandas(sorted_panel, npartitions=3)
    got = features(ddf, season=7).compute().sort_values("unique_id").reset_index(drop=True)
    got = got.astype({c: "float64" for c in got.columns[1:]})
    got["unique_id"] = got["unique_id"].astype(object)
    want = features(sorted_panel, season=7).sort_values("unique_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_what_cannot_run_partitioned_is_a_clear_error(client, sorted_panel):
    ddf = dd.from_pandas(sorted_panel, npartitions=2)
    with pytest.raises(InvalidInputError, match="season"):
        MetaForecaster(h=7, models=POOL).fit(ddf)
    with pytest.raises(InvalidInputError, match="global MLP"):
        MetaForecaster(global_mlp=True, **SETTINGS).fit(ddf)
    local = MetaForecaster(global_mlp=True, global_steps=20, **SETTINGS).fit(sorted_panel)
    with pytest.raises(InvalidInputError, match="global MLP"):
        local.predict(df=ddf)


def test_a_worker_killed_mid_run_is_replaced_and_the_result_is_unchanged(sorted_panel, tmp_path):
    marker = tmp_path / "died"

    class DieOnce(distributed.WorkerPlugin):
        """Kills its worker's process at the first task it starts, once per cluster."""

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(1)

    local = MetaForecaster(**SETTINGS).fit(sorted_panel)
    want = expected(local.predict(level=[80, 95]))
    # Dask's P2P shuffle restarts when a worker leaves, but can instead fail the run if the
    # worker dies mid-shuffle (a race in distributed); the task shuffle, whose tasks the
    # scheduler simply reruns, is what docs/guide-engines.md recommends where workers die.
    with dask.config.set({"dataframe.shuffle.method": "tasks"}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as c:
        ddf = dd.from_pandas(sorted_panel, npartitions=4).persist()
        distributed.wait(ddf)
        before = set(c.scheduler_info()["workers"])
        c.register_plugin(DieOnce())
        mf = MetaForecaster(**SETTINGS).fit(ddf)
        assert marker.exists(), "no worker died"
        got = gathered(mf.predict(level=[80, 95]))
        after = set(c.scheduler_info()["workers"])
    assert before != after, "the dead worker was not replaced"
    assert mf.card == local.card
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=True)


def test_cross_validation_on_dask_equals_the_local_one(client, sorted_panel):
    from metablend.forecast import cross_validation

    kw = dict(h=7, n_windows=2, level=[80, 95], season=7, models=POOL)
    want = cross_validation(sorted_panel, **kw)
    for partitions in (1, 3):
        ddf = dd.from_pandas(sorted_panel.sample(frac=1, random_state=1), npartitions=partitions)
        got = cross_validation(ddf, **kw)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert set(want["method"]) >= {"metablend (fforma)", "inverse_error", "naive2_7"}


def test_the_engine_fingerprints_its_byte_parameters_by_digest(sorted_panel, monkeypatch):
    """Fugue names each step by a hash of its parameters taken element by element: plain
    bytes (a plan, a kept-work index) cost one hash per byte, which grows with the number of
    series. Every byte parameter goes as a digest-named blob, and distinct bytes get
    distinct names (Fugue may reuse a step whose name it has seen)."""
    import fugue.api as fa
    from triad.utils.hash import to_uuid

    from metablend import engine
    from metablend.forecast import cross_validation

    seen = []
    transform = fa.transform

    def recording(*args, **kwargs):
        seen.extend((kwargs.get("params") or {}).values())
        return transform(*args, **kwargs)

    monkeypatch.setattr(fa, "transform", recording)
    mf = MetaForecaster(**SETTINGS).fit(sorted_panel, engine="native")
    gathered(mf.predict(level=[80, 95]))
    cross_validation(sorted_panel, h=7, n_windows=1, level=[80], season=7, models=POOL,
                     engine="native")
    blobs = [p for p in seen if isinstance(p, bytes)]
    assert len(blobs) >= 5, seen  # fit's plan; predict's plan and kept index; cv's plans
    assert all(isinstance(p, engine._Blob) for p in blobs)
    one, other = engine._Blob(b"\x00" * 4096), engine._Blob(b"\x00" * 4095 + b"\x01")
    assert to_uuid(one) == to_uuid(engine._Blob(bytes(one))) != to_uuid(other)
