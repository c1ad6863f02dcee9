"""Measurements for issue #17: speed that does not depend on the numbers, and the seed preset
against the NumPy floor. Run in worker processes by ``run.py`` (through ``measure.py``'s tasks).

* ``value_speed``: samples/s of one network shape trained from the seed's uniform [-1, 1]
  init against He init, everything else equal (activation, loss, optimizer, learning rate),
  alternated round by round. Uniform init makes huge logits, hence tiny probabilities and
  (before the flush in ``mnistcore.engine.numerics``) subnormal numbers, slow on many CPUs.
* The seed-vs-floor pairs are run by ``run.py`` itself (two subprocesses per pair).

Deliberate limits: one shape (784-800-10, the issue's), one epoch per round.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mnistcore.engine.config import TrainConfig
from mnistcore.engine.data import load_mnist
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import trainer_for

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
