"""Server time of the Backprop page: ``python -m benchmarks.backprop_page [--hidden 800] [--runs 15]``.

Runs the page with Streamlit's AppTest (the script as the server runs it, without a browser)
on a 784-H-10 relu/softmax network and prints the median and spread of the time per rerun
after the first view, and per "Take one SGD step" click. Target: under 300 ms at H = 800.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from streamlit.testing.v1 import AppTest

from mnistcore import TrainConfig, TrainedModel
from mnistcore.engine.network import MLP, shape_text
from tests.app_support import ROOT


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return 1000 * (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=800)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    config = TrainConfig(hidden=(args.hidden,), activation="relu", loss="cross-entropy", init="he", steps=1)
    network = MLP.create(config.layer_sizes, "relu", "cross-entropy", "he", np.random.default_rng(0))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["model"] = TrainedModel(network, config)
    at.run()
    first = timed(lambda: at.switch_page("pages/backprop.py").run())
    reruns = [timed(at.run) for _ in range(args.runs)]
    steps = []
    for _ in range(args.runs):
        button = next(b for b in at.button if b.label == "Take one SGD step")
        steps.append(timed(lambda b=button: b.click().run()))
    assert not at.exception, [e.value for e in at.exception]
    shape = shape_text(config.layer_sizes)
    print(f"Backprop page, {shape} model: first view {first:.0f} ms")
    for name, times in (("rerun", reruns), ("SGD step", steps)):
        q = statistics.quantiles(times, n=10)
        print(f"  {name}: median {statistics.median(times):.0f} ms (p10 {q[0]:.0f}, p90 {q[-1]:.0f}; target < 300 ms)")


if __name__ == "__main__":
    main()
