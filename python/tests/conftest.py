import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def predictions_frame():
    """One series and three models' one-step forecasts of it."""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    y = 10 * np.sin(t * 0.3) + rng.normal(size=t.size)
    return pd.DataFrame(
        {
            "target": y,
            "good": y + rng.normal(size=t.size),
            "noisy": y + 3 * rng.normal(size=t.size),
            "lagged": np.roll(y, 1),
        }
    )


@pytest.fixture
def daily_panel():
    """24 daily series with a weekly cycle (enough for 95% intervals), the last one too
    short for the pool."""
    rows = []
    for i in range(24):
        n = 12 if i == 23 else 120
        ds = pd.date_range("2024-01-01", periods=n, freq="D")
        t = np.arange(n)
        y = 50 + 5 * i + 4 * np.sin(2 * np.pi * t / 7) + 0.1 * t + ((t * 7919 + i * 104729) % 13) * 0.2
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(rows, ignore_index=True)
