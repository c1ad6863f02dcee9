"""Measurements for issue #17: speed that does not depend on the numbers, and the seed preset
against the NumPy floor. Run in worker processes by ``run.py`` (through ``measure.py``'s tasks).

* ``value_speed``: samples/s of one network shape trained from the seed's uniform [-1, 1]
  init against He init, everything else equal (activation, loss, optimizer, learning rate),
  alternated round by round. Uniform init makes huge logits, hence tiny probabilities and
  (before the flush in ``mnistcore.engine.numerics``) subnormal numbers, slow on many CPUs.
* The seed-vs-floor pairs are run by ``run.py`` itself (two subprocesses per pair).
* ``seed_step_parts``: where the seed preset's step goes beside the floor's: the same
  ``train_step`` on one ready batch (the floor's condition), and the shuffled batch the
  preset prepares each step (which the floor's pre-made batches leave out).

Deliberate limits: one shape (784-800-10, the issue's), one epoch per round.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mnistcore.engine.batches import Batches
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.data import load_mnist
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import trainer_for
from mnistcore.engine.optimizers import make_optimizer
from mnistcore.engine.presets import PRESETS
from mnistcore.engine.trainer import train_step

NEVER = 1_000_000  # no validation during the timed steps

#: (activation, loss, optimizer, lr): the issue's ReLU/softmax case, the seed's sigmoid/MSE and Adam.
VALUE_CASES = (
    ("relu", "cross-entropy", "sgd", 0.1),
    ("sigmoid", "mse", "sgd", 0.1),
    ("relu", "cross-entropy", "adam", 0.001),
)


def _seconds(mnist, config: TrainConfig) -> float:
    """Seconds of the training loop proper: the last event's clock."""
    events: list[ProgressEvent] = []
    trainer_for(config, mnist, on_event=events.append).run()
    return events[-1].elapsed


def value_speed(hidden: int = 800, steps: int = 550, rounds: int = 3) -> dict[str, Any]:
    """For each case, samples/s from uniform and from He init, alternated (he, uniform, uniform, he, ...)."""
    mnist = load_mnist(download_missing=False)
    result: dict[str, Any] = {"hidden": hidden, "steps": steps, "batch": 100, "cases": {}}
    for activation, loss, optimizer, lr in VALUE_CASES:
        base = TrainConfig(
            hidden=(hidden,),
            activation=activation,
            loss=loss,
            optimizer=optimizer,
            lr=lr,
            batch_size=100,
            steps=steps,
            eval_every=NEVER,
        )
        configs = {init: base.replace(init=init) for init in ("he", "uniform")}
        _seconds(mnist, configs["he"].replace(steps=min(steps, 50)))  # warm-up: page faults, BLAS threads
        rates: dict[str, list[float]] = {"he": [], "uniform": []}
        with np.errstate(all="ignore"):
            for r in range(rounds):
                for init in ("he", "uniform") if r % 2 == 0 else ("uniform", "he"):
                    rates[init].append(steps * 100 / _seconds(mnist, configs[init]))
        pairs = [u / h for u, h in zip(rates["uniform"], rates["he"])]
        result["cases"][f"{activation}/{loss}/{optimizer} lr {lr:g}"] = {
            "samples_per_second": rates,
            "uniform_over_he": sorted(pairs)[len(pairs) // 2],
            "pairs": pairs,
        }
    return result


def seed_step_parts(steps: int = 4000, rounds: int = 5) -> dict[str, Any]:
    """Microseconds per step of the seed preset's parts, alternated round by round (the best
    round of each, as the floor's and the preset's figures are their best runs):
    ``train_step`` on one ready batch, preparing a shuffled batch, and the two together."""
    mnist = load_mnist(download_missing=False)
    config = PRESETS["seed"]
    trainer = trainer_for(config, mnist)
    net = trainer.network
    batches = Batches(mnist.train_pixels, mnist.train_y, 10, config.batch_size, net.dtype, trainer.rng)
    optimizer = make_optimizer(config.optimizer, net.update_arrays()[0], config.momentum)
    x, y = batches.next()
    ready_x, ready_y = x.copy(), y.copy()

    def step_only() -> None:
        for _ in range(steps):
            train_step(net, optimizer, ready_x, ready_y, config.lr)

    def batch_only() -> None:
        for _ in range(steps):
            batches.next()

    def both() -> None:
        for _ in range(steps):
            train_step(net, optimizer, *batches.next(), config.lr)

    parts = {
        "train_step on a ready batch": step_only,
        "shuffled batch": batch_only,
        "train_step + shuffled batch": both,
    }
    times: dict[str, list[float]] = {name: [] for name in parts}
    with np.errstate(all="ignore"):
        both()  # warm-up
        for r in range(rounds):
            for name in list(parts)[r % 3 :] + list(parts)[: r % 3]:
                start = time.perf_counter()
                parts[name]()
                times[name].append((time.perf_counter() - start) / steps * 1e6)
    return {
        "steps": steps,
        "microseconds": {name: min(t) for name, t in times.items()},
        "median_microseconds": {name: sorted(t)[len(t) // 2] for name, t in times.items()},
    }
