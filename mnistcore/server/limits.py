"""What one training run may cost on a shared server, and the refusal when it would cost more.

Limits, all configurable from the environment (see ``limits_from_env``):

* ``max_concurrent`` jobs train at once (``MNIST_MAX_JOBS``, default 2: one per core here)
* each run trains at most ``max_seconds`` (``MNIST_MAX_RUN_SECONDS``, default 600 s)
* a network may have at most ``max_parameters`` weights and biases (``MNIST_MAX_PARAMS``),
  and its checkpoint must fit the checkpoint size limit, so one visitor cannot make the
  server allocate gigabytes or produce a model file that cannot be loaded again
* a run may need at most ``max_run_mb`` MB of memory (``MNIST_MAX_RUN_MB``, default 256),
  as ``estimated_run_memory`` works it out from the settings: a big batch of a wide
  network (batch 55,000 of 784-1250-10 needs over a gigabyte) is refused before training
* NumPy's BLAS uses ``blas_threads`` threads (``MNIST_BLAS_THREADS``, default 1), so each
  job keeps to one core (see ``tuning.limit_blas_threads``)

``check_limits`` raises ``JobRefused`` with a message that says what to lower; so does the
job manager when an owner already has a run in progress (``ONE_RUN_AT_A_TIME``).

Deliberate limits: the memory figure is an estimate from the settings (an upper bound,
measured against real runs in tests/test_jobs.py), not a measurement of the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnistcore.engine.checkpoint import MAX_CHECKPOINT_BYTES
from mnistcore.engine.config import (
    MAX_HISTORY_EVENTS,
    MAX_PARAMETERS,
    N_CLASSES,
    N_INPUTS,
    TRAIN_SIZE,
    TrainConfig,
    env_number,
    parameter_count,
)
from mnistcore.engine.model import estimated_checkpoint_bytes
from mnistcore.engine.trainer import N_SNAPSHOTS

DEFAULT_MAX_JOBS = 2
DEFAULT_MAX_RUN_SECONDS = 600.0
DEFAULT_MAX_PARAMETERS = MAX_PARAMETERS  # 1,000,000: moonshot (784-1200-10) has 954,010
DEFAULT_MAX_RUN_MB = 256.0  # the presets need 30 (seed) to 137 MB (moonshot): see estimated_run_memory
DEFAULT_BLAS_THREADS = 1  # one core per job: see tuning.limit_blas_threads

ONE_RUN_AT_A_TIME = "You already have a run in progress: stop it before starting another."


class JobRefused(ValueError):
    """A job the server will not run (too big for its limits, or its owner already has one
    in progress); the message says why."""


# ------------------------------------------------------------------ from the environment


def limits_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``JobManager`` limits set in ``env``, by keyword (the defaults where unset):
    ``MNIST_MAX_JOBS``, ``MNIST_MAX_RUN_SECONDS``, ``MNIST_MAX_PARAMS``, ``MNIST_MAX_RUN_MB``
    and ``MNIST_BLAS_THREADS``. Raises ValueError naming a variable that is not a number
    or is below 1."""
    return {
        "max_concurrent": env_number(env, "MNIST_MAX_JOBS", DEFAULT_MAX_JOBS, int, low=1),
        "max_seconds": env_number(env, "MNIST_MAX_RUN_SECONDS", DEFAULT_MAX_RUN_SECONDS, float, low=1),
        "max_parameters": env_number(env, "MNIST_MAX_PARAMS", DEFAULT_MAX_PARAMETERS, int, low=1),
        "max_run_mb": env_number(env, "MNIST_MAX_RUN_MB", DEFAULT_MAX_RUN_MB, float, low=1),
        "blas_threads": env_number(env, "MNIST_BLAS_THREADS", DEFAULT_BLAS_THREADS, int, low=1),
    }


# ------------------------------------------------------------------ memory per run


#: Rows per chunk when ``MLP.predict_proba`` measures accuracy (validation, test set).
EVAL_CHUNK_ROWS = 5000
#: One ``ProgressEvent`` in a history, measured with tracemalloc: about 392 bytes.
EVENT_BYTES = 400
#: What any run costs besides its arrays: its thread, the allocator's arena for it, the
#: augmentation's scratch, small objects (measured: a short 784-16-10 run adds about 7 MB).
RUN_OVERHEAD_BYTES = 16_000_000
#: Test-set rows measured once when a run ends (its predictions are kept briefly).
TEST_ROWS = 10_000


@dataclass(frozen=True)
class RunMemory:
    """The memory one run needs: ``fixed`` bytes, plus ``per_row`` bytes for each of the
    ``batch_size`` rows of its minibatch (see ``estimated_run_memory``)."""

    fixed: int
    per_row: int
    batch_size: int

    @property
    def total(self) -> int:
        return self.fixed + self.per_row * self.batch_size

    def largest_batch(self, limit: float) -> int:
        """The biggest batch size whose run fits in ``limit`` bytes (0 if none does)."""
        return max(0, int((limit - self.fixed) // self.per_row))


def estimated_run_memory(config: TrainConfig) -> RunMemory:
    """An upper estimate of the memory a run of ``config`` allocates, from its settings alone.

    Per row of the batch: the float input batch and the uint8 batch its pixel bytes are
    gathered into, the one-hot targets (the gathers, ``np.take(out=)``, also make a
    temporary copy of the bytes and targets), every layer's activation, delta and derivative
    buffers (3 x its width), the loss and accuracy temporaries of a logging step, and with
    augmentation the warp's per-image parameters (a float64 run also takes two float32
    copies of the batch). Fixed: parameters and gradients; the optimizer's state and
    scratch (sgd 1, momentum 2, adam 3 times the parameters); weight decay's temporary;
    the one-hot training targets and the shuffled order; the first-layer snapshots, twice
    (the trainer's copies and the model's stacked array); an evaluation chunk (its rows of
    every layer at once, plus a float64 run's cast copy of the inputs) and the test set's
    predictions; the history at its cap; and ``RUN_OVERHEAD_BYTES``.

    Every term is counted as if all were alive at once, so it is an upper bound: measured
    here, a run's arrays peaked at 62-95% of it (tracemalloc), and the process's resident
    memory grew by 73-94% of the estimate for the runs estimated at 100 MB to 1.2 GB (small
    runs grow it less: their history and overhead allowances are mostly unused)."""
    size = np.dtype(config.dtype).itemsize
    outputs = config.layer_sizes[1:]  # widths of the layers with buffers: hidden ..., 10
    params = parameter_count(config)
    per_row = N_INPUTS * size + 2 * (N_INPUTS + N_CLASSES * size)  # x; bytes and one-hot y, and their gathers' copies
    per_row += 3 * sum(outputs) * size  # activations, deltas, derivatives
    per_row += 2 * N_CLASSES * size + 3 * 8  # a logging step's loss and accuracy temporaries
    if config.augment:
        per_row += 256 + (2 * N_INPUTS * 4 if size != 4 else 0)  # warp parameters; float32 copies
    optimizer_arrays = {"sgd": 1, "momentum": 2, "adam": 3}.get(config.optimizer, 3)
    largest_weights = max(a * b for a, b in zip(config.layer_sizes[:-1], outputs))
    cast = N_INPUTS if size != 4 else 0  # the validation digits are float32: a float64 run copies a chunk
    fixed = (2 + optimizer_arrays) * params * size
    fixed += largest_weights * size if config.weight_decay else 0
    fixed += TRAIN_SIZE * (N_CLASSES * size + 2 * 8)  # one-hot targets; old and new shuffled order
    fixed += 2 * (N_SNAPSHOTS + 1) * N_INPUTS * config.hidden[0] * size
    fixed += EVAL_CHUNK_ROWS * (cast + sum(outputs)) * size + 2 * TEST_ROWS * N_CLASSES * size
    fixed += MAX_HISTORY_EVENTS * EVENT_BYTES + RUN_OVERHEAD_BYTES
    return RunMemory(fixed=fixed, per_row=per_row, batch_size=config.batch_size)


# ------------------------------------------------------------------ the check


def check_limits(config: TrainConfig, max_parameters: int | None, max_run_mb: float | None) -> None:
    """Raise ``JobRefused`` if ``config`` is over ``max_parameters`` weights and biases, makes
    a checkpoint over the size limit, or needs over ``max_run_mb`` MB (None: no such cap)."""
    count = parameter_count(config)
    if max_parameters is not None and count > max_parameters:
        raise JobRefused(
            f"this network has {count:,} weights and biases; this server trains at most "
            f"{max_parameters:,}. Use fewer or smaller hidden layers."
        )
    size = estimated_checkpoint_bytes(config)
    if size > MAX_CHECKPOINT_BYTES:
        raise JobRefused(
            f"this network's model file would be about {size / 1e6:.0f} MB, over the "
            f"{MAX_CHECKPOINT_BYTES / 1e6:.0f} MB limit. Use a smaller first hidden layer or float32."
        )
    memory = estimated_run_memory(config)
    if max_run_mb is not None and memory.total > max_run_mb * 1e6:
        fits = memory.largest_batch(max_run_mb * 1e6)
        if fits >= 1:
            advice = (
                f"Lower the batch size (now {config.batch_size:,}; about {fits:,} fits with these "
                "layers) or use narrower hidden layers."
            )
        else:
            advice = "Use fewer or narrower hidden layers" + (" or float32." if config.dtype != "float32" else ".")
        raise JobRefused(
            f"this run would need about {memory.total / 1e6:,.0f} MB of memory while it trains; this "
            f"server allows {max_run_mb:,.0f} MB per run. {advice}"
        )
