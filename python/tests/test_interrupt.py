import signal
import subprocess
import sys
import time

import pytest

TRAIN = """
import metablend
model = metablend.PPO("metablend/CartPole-v1", n_steps=256, batch_size=64)
print("started", flush=True)
model.learn(10**9)
"""

FORECAST = """
import numpy as np, pandas as pd
from metablend.forecast import MetaForecaster
rng = np.random.default_rng(0)
df = pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(400),
                              "y": 100 + rng.normal(size=400).cumsum()}) for i in range(3000)])
print("started", flush=True)
MetaForecaster(h=12, season=12, models="auto_arima ses theta").fit(df)
"""


@pytest.mark.parametrize("code", [TRAIN, FORECAST], ids=["ppo", "forecast"])
def test_ctrl_c_stops_long_work_within_a_second(code):
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(1.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - sent
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err, err[-2000:]
    assert elapsed < 1.5, elapsed
