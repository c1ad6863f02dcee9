"""The measurements behind the benchmark report, each run in a fresh worker process.

``python -m benchmarks.measure TASK '{"json": "arguments"}'`` runs one task and prints its
result as one JSON object on the last line of stdout. ``run.py`` starts one process per
task, so that memory figures are per task and one task's threads or allocations cannot
slow the next.

Every timing that is compared alternates the contenders within the task (A B C, B C A,
...) and keeps every round, so the report can give per-round ratios: on a shared machine
the speed drifts, and only side-by-side ratios mean something.

Deliberate limits: real MNIST only (``MNIST_DATA_DIR`` or the user cache); float32; the
engine is driven through its public API (``Trainer``, ``PRESETS``), as users drive it.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import sys
import threading
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.issue17 import seed_step_parts, value_speed
from benchmarks.minimal_loop import numpy_minimal, torch_available, torch_minimal
from mnistcore.engine import health
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.data import load_mnist, one_hot
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import trainer_for
from mnistcore.engine.optimizers import make_optimizer
from mnistcore.engine.presets import PRESETS
from mnistcore.engine.trainer import train_step

NEVER = 1_000_000  # an eval_every that no benchmark run reaches: validation only at the very end


def _mnist():
    return load_mnist(download_missing=False)


# ------------------------------------------------------------------------ environment
def environment() -> dict[str, Any]:
    """Which BLAS runs and with how many threads, and what else could colour the figures."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average": list(os.getloadavg()),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "BLIS_"))},
    }
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["blas"] = "threadpoolctl is not installed"
    else:
        keys = ("internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")
        info["blas"] = [{k: pool.get(k) for k in keys} for pool in threadpool_info()]
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        return platform.processor()


def load_time() -> dict[str, Any]:
    """Seconds to load all of MNIST (checksums included) in a fresh process."""
    start = time.perf_counter()
    mnist = _mnist()
    return {"seconds": time.perf_counter() - start, "rows": int(mnist.pixels.shape[0])}


# ------------------------------------------------------------------------ throughput
def _engine_config(hidden: int, steps: int) -> TrainConfig:
    """The minimal loop's work in the engine: relu, softmax + cross-entropy, SGD, batch 100."""
    return TrainConfig(
        hidden=(hidden,),
        activation="relu",
        loss="cross-entropy",
        init="he",
        optimizer="sgd",
        lr=0.1,
        batch_size=100,
        steps=steps,
        eval_every=NEVER,
    )


def _engine_seconds(mnist, hidden: int, steps: int) -> float:
    """Seconds of the training loop proper: the last event's clock, read before its validation."""
    events: list[ProgressEvent] = []
    trainer = trainer_for(_engine_config(hidden, steps), mnist, on_event=events.append)
    trainer.run()
    return events[-1].elapsed


def throughput(hidden: int, steps: int, rounds: int, only: list[str] | None = None) -> dict[str, Any]:
    """Samples/s of the engine and the minimal NumPy loops (or ``only`` some), alternated round by round."""
    mnist = _mnist()
    images, targets = mnist.train_x, one_hot(mnist.train_y)
    contenders: dict[str, Callable[[], float]] = {
        "engine": lambda: _engine_seconds(mnist, hidden, steps),
        "numpy_contiguous": lambda: numpy_minimal(images, targets, hidden, steps, shuffle=False),
        "numpy_shuffled": lambda: numpy_minimal(images, targets, hidden, steps, shuffle=True),
    }
    contenders = {name: run for name, run in contenders.items() if only is None or name in only}
    for run in contenders.values():  # warm-up: first-touch page faults, BLAS thread start
        run()
    names = list(contenders)
    rates: dict[str, list[float]] = {name: [] for name in names}
    with np.errstate(all="ignore"):  # the yardsticks' lr is not tuned; only their speed matters
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                rates[name].append(steps * 100 / contenders[name]())
    return {"hidden": hidden, "steps": steps, "samples_per_second": rates}


def torch_throughput(hidden: int, steps: int, rounds: int) -> dict[str, Any]:
    """Samples/s of the same work in PyTorch (CPU), or why it could not run."""
    if not torch_available():
        return {"hidden": hidden, "skipped": "torch is not importable in this Python"}
    import torch

    mnist = _mnist()
    torch_minimal(mnist.train_x, mnist.train_y, hidden, min(steps, 50))  # warm-up
    rates = [steps * 100 / torch_minimal(mnist.train_x, mnist.train_y, hidden, steps) for _ in range(rounds)]
    return {
        "hidden": hidden,
        "steps": steps,
        "samples_per_second": rates,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


# -------------------------------------------------------------------- time to accuracy
def curve(preset: str, test_every: float, steps: int | None = None) -> dict[str, Any]:
    """Train a preset and measure test accuracy along the way, off the training clock.

    The test set is evaluated at most every ``test_every`` training seconds, in the
    trainer's event callback; the seconds spent there are subtracted from the clock, so
    ``points`` give (training seconds, test accuracy) as if nobody had looked.
    The presets' settings were chosen on the validation split; test accuracy is only reported.
    """
    config = PRESETS[preset] if steps is None else PRESETS[preset].replace(steps=steps)
    mnist = _mnist()
    points: list[tuple[float, int, float]] = []
    looked = [0.0, -math.inf]  # seconds spent measuring; training clock at the last look

    def on_event(event: ProgressEvent) -> None:
        clock = event.elapsed - looked[0]
        if clock - looked[1] < test_every and event.step != trainer.total_steps:
            return
        start = time.perf_counter()
        points.append((clock, event.step, trainer.network.accuracy(mnist.test_x, mnist.test_y)))
        looked[0] += time.perf_counter() - start
        looked[1] = clock

    trainer = trainer_for(config, mnist, on_event=on_event)
    result = trainer.run()
    return {
        "preset": preset,
        "config": config.to_dict(),
        "status": result.status,
        "steps": result.steps,
        "epochs": result.epochs,
        "train_seconds": result.train_seconds - looked[0],
        "validation_accuracy": result.validation_accuracy,
        "test_accuracy": trainer.network.accuracy(mnist.test_x, mnist.test_y),
        "points": points,
    }


# ------------------------------------------------------------------------------ memory
def _rss_mb() -> float:
    try:
        import psutil
    except ImportError:
        return float("nan")
    return psutil.Process().memory_info().rss / 2**20


def _peak_rss_mb() -> float:
    """The process's peak resident set so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def memory(preset: str, steps: int) -> dict[str, Any]:
    """Resident memory with MNIST loaded, and its peak while a preset trains (and is tested).

    A sampler thread reads the resident set every 10 ms during the run (psutil); the
    kernel's own peak (getrusage) covers the whole process, loading included.
    """
    from mnistcore.engine.model import finish

    before_load = _rss_mb()
    mnist = _mnist()
    loaded = _rss_mb()
    samples = [loaded]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            samples.append(_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    trainer = trainer_for(PRESETS[preset].replace(steps=steps), mnist)
    trainer.run()
    finish(trainer, mnist, name=preset)
    done.set()
    sampler.join()
    return {
        "preset": preset,
        "steps": steps,
        "rss_before_load_mb": before_load,
        "rss_loaded_mb": loaded,
        "rss_peak_training_mb": max(samples),
        "training_adds_mb": max(samples) - loaded,
        "process_peak_mb": _peak_rss_mb(),
    }


# ------------------------------------------------------------------- evaluation overhead
def eval_overhead(preset: str, steps: int, rounds: int, eval_every: int = 500) -> dict[str, Any]:
    """Samples/s with validation every ``eval_every`` steps against effectively never.

    Both runs validate once at their last step; the difference is the periodic
    validation (and its logging). Also times one evaluation of the 10k test set, which a
    run pays once at its end.
    """
    mnist = _mnist()
    configs = {
        "periodic": PRESETS[preset].replace(steps=steps, eval_every=eval_every),
        "never": PRESETS[preset].replace(steps=steps, eval_every=NEVER),
    }
    rates: dict[str, list[float]] = {name: [] for name in configs}
    trainer_for(configs["never"].replace(steps=min(steps, 50)), mnist).run()  # warm-up
    for r in range(rounds):
        for name in list(configs)[:: 1 if r % 2 == 0 else -1]:
            result = trainer_for(configs[name], mnist).run()
            rates[name].append(result.samples_per_second)
    trainer = trainer_for(configs["never"].replace(steps=1), mnist)
    trainer.run()
    test_seconds = min(_timed(lambda: trainer.network.accuracy(mnist.test_x, mnist.test_y)) for _ in range(3))
    return {
        "preset": preset,
        "hidden": list(configs["never"].hidden),
        "eval_every": eval_every,
        "steps": steps,
        "samples_per_second": rates,
        "test_eval_seconds": test_seconds,
        "full_run_samples": PRESETS[preset].total_steps() * PRESETS[preset].batch_size,
    }


# ------------------------------------------------------------------- training-health recording
def health_overhead(preset: str, steps: int, rounds: int) -> dict[str, Any]:
    """Samples/s with the training-health records (``engine.health``) on and off, alternated,
    and, in one more run, the share of its training time spent measuring them (timed inside
    the run, so it does not drift with the machine's load as the side-by-side rates do)."""
    mnist = _mnist()
    config = PRESETS[preset].replace(steps=steps, eval_every=NEVER)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    trainer_for(config.replace(steps=min(steps, 50)), mnist).run()  # warm-up
    for r in range(rounds):
        for name in ("on", "off") if r % 2 == 0 else ("off", "on"):
            trainer = trainer_for(config, mnist)
            trainer.record_health = name == "on"
            rates[name].append(trainer.run().samples_per_second)
    trainer = trainer_for(config, mnist)
    measure, spent = trainer._measure_health, [0.0]

    def timed_measure(*args: Any) -> None:
        start = time.perf_counter()
        measure(*args)
        spent[0] += time.perf_counter() - start

    trainer._measure_health = timed_measure  # type: ignore[method-assign]
    result = trainer.run()
    # The least time of many repeats of one step and of one record, on the same batch: what a
    # busy machine only ever adds to, so their ratio holds when the rates above drift.
    net, optimizer = trainer.network, make_optimizer(config.optimizer, trainer.network.update_arrays()[0])
    x, y = mnist.train_x[: config.batch_size], one_hot(mnist.train_y[: config.batch_size], 10, net.dtype)
    step = min(timeit.repeat(lambda: train_step(net, optimizer, x, y, config.lr), number=100, repeat=7)) / 100
    record = (
        min(
            timeit.repeat(
                lambda: health.measure(1, net, net.last_outputs(len(x)), optimizer.last_update()), number=100, repeat=7
            )
        )
        / 100
    )
    gap = max(steps // health.TARGET_RECORDS, health.MIN_GAP)
    return {
        "record_over_step": record / step,
        "cost_at_fastest_pace": record / (gap * step),
        "min_gap": health.MIN_GAP,
        "preset": preset,
        "layer_sizes": config.layer_sizes,
        "steps": steps,
        "records": len(trainer.history.health),
        "samples_per_second": rates,
        "measuring_share": spent[0] / result.train_seconds,
    }


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "environment": environment,
    "load_time": load_time,
    "throughput": throughput,
    "torch_throughput": torch_throughput,
    "curve": curve,
    "memory": memory,
    "eval_overhead": eval_overhead,
    "value_speed": value_speed,
    "seed_step_parts": seed_step_parts,
    "health_overhead": health_overhead,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in TASKS:
        print(f"usage: python -m benchmarks.measure {{{','.join(TASKS)}}} '[json arguments]'", file=sys.stderr)
        return 2
    arguments = json.loads(argv[1]) if len(argv) > 1 else {}
    print(json.dumps(TASKS[argv[0]](**arguments)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
