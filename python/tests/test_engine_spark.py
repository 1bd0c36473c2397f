"""Forecasting on Spark (local mode, 2 cores) through Fugue, against the local path. Needs
pyspark and a Java runtime, which CI does not install: `pip install pyspark==4.0.1`."""

import os
import sys

import pandas as pd
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("fugue_spark")

from engine_frames import POOL, gathered  # noqa: E402
from metablend.forecast import MetaForecaster, cross_validation  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Spark's Python workers must be this interpreter (it has metablend).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_fit_predict_and_cross_validation_on_spark_equal_the_local_path(spark, daily_panel):
    df = daily_panel.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    settings = dict(h=7, season=7, models=POOL)
    local = MetaForecaster(**settings).fit(df)
    want = gathered(local.predict(level=[80, 95]))
    data = spark.createDataFrame(df.sample(frac=1, random_state=0)).repartition(3)
    mf = MetaForecaster(**settings).fit(data)
    assert mf.card == local.card
    got = gathered(mf.predict(level=[80, 95]))
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=True)
    kw = dict(h=7, n_windows=2, level=[80], season=7, models=POOL)
    pd.testing.assert_frame_equal(cross_validation(data, **kw), cross_validation(df, **kw),
                                  check_exact=True)
