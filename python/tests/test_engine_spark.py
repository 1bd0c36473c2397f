"""Forecasting on Spark (local mode, 2 cores) through Fugue, against the local path. Needs
pyspark and a Java runtime, which CI does not install: `pip install pyspark==4.0.1`."""

import os
import sys

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("fugue_spark")

from engine_frames import assert_engine_equals_local  # noqa: E402


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
    assert_engine_equals_local(lambda df: spark.createDataFrame(df).repartition(3), daily_panel)
