"""How long the run store takes to save (and load) a 784-800-10 run, and the disk it uses.

    python -m benchmarks.runstore_write [--repeats 5]

Trains a 784-800-10 network (the ``best`` preset's shape) for a few steps on real MNIST so
that it has every array a real run has (weights, history, the first layer's snapshots),
then saves it ``--repeats`` times into a temporary store and loads it back, printing the
median times and the file size. It measures; it asserts nothing (a shared machine drifts).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from mnistcore.engine.data import load_mnist
from mnistcore.engine.model import estimated_checkpoint_bytes, train
from mnistcore.engine.presets import BEST
from mnistcore.engine.runstore import RunStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    config = BEST.replace(hidden=(800,), steps=200, epochs=None, eval_every=50, augment=False)
    model = train(config, load_mnist(), name="benchmark")
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(folder)
        store.save(model)  # the index and folders are made once
        saves, loads = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run_id = store.save(model)
            saves.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.load(run_id)
            loads.append(time.perf_counter() - start)
        size = store.run_path(run_id).stat().st_size
    print(
        f"784-800-10 ({config.dtype}, {len(model.snapshot_steps)} snapshots): file {size / 1e6:.1f} MB on disk, "
        f"{estimated_checkpoint_bytes(config) / 1e6:.1f} MB of arrays uncompressed"
    )
    print(
        f"save: median {statistics.median(saves):.2f} s "
        f"(min {min(saves):.2f}, max {max(saves):.2f}), {args.repeats} saves"
    )
    print(f"load: median {statistics.median(loads):.2f} s (min {min(loads):.2f}, max {max(loads):.2f})")


if __name__ == "__main__":
    main()
