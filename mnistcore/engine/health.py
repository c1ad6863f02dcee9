"""Training health: per-layer statistics that say *why* a network learns or stalls.

Every so often (``HealthLog.due``) the trainer measures, from the arrays its step already
holds, and for weight layers l = 1 .. L (layer L is the output layer):

* ``grad_norm[l]`` : ||dLoss/dW_l||, the Frobenius norm of the weight gradient. Gradients
  that shrink layer by layer on the way back (vanishing gradients) leave the first layers
  almost untrained;
* ``update_ratio[l]`` : ||ΔW_l|| / ||W_l||, the size of the step the optimizer actually took
  (for SGD lr * gradient; for momentum the velocity; for Adam its scaled step) against the
  size of the weights. About 1e-3 is a healthy pace (Karpathy's rule of thumb);

and for hidden layers h = 1 .. L-1:

* ``inactive[h]`` : for ReLU, the share of *dead* units, those that output 0 for every
  example of the batch (no gradient flows through them, so they cannot come back); for
  sigmoid and tanh, the share of *saturated* outputs, within ``SATURATION_MARGIN`` of the
  function's limits, where its slope is nearly zero;
* ``histogram[h]`` : the share of the layer's outputs in each of ``BINS`` equal bins over
  ``hist_range[h]`` (the function's range for sigmoid and tanh; 0 .. the largest output for ReLU).

A ``HealthLog`` keeps a run's records, bounded (``MAX_HEALTH_RECORDS``: it halves its
resolution when full), readable from other threads; ``to_columns``/``from_columns`` turn it
into arrays and back for checkpoints. Non-finite statistics (a diverging run) are kept as NaN.

Deliberate limits: weights only (biases are left out of the norms); the statistics are of
one minibatch, so they are noisy; no statistics of the input layer.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mnistcore.engine.network import MLP

Array = np.ndarray

BINS = 20
SATURATION_MARGIN = 0.01
MAX_HEALTH_RECORDS = 500  # a record of a 4-hidden-layer net is ~100 floats: at most ~0.4 MB a run
TARGET_RECORDS = 200  # a run measures about this many times over its length ...
MIN_GAP = 50  # ... but never closer: a record costs 0.7 of a 784-16-10 step (1.4% at most), 0.1 of 784-128-10's
COLUMNS = ("steps", "grad_norm", "update_ratio", "inactive", "histogram", "hist_range")

#: The range of each bounded activation's outputs, for its histogram and its saturation.
LIMITS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@dataclass(frozen=True)
class HealthRecord:
    """The statistics at one step; L weight layers, H = L - 1 hidden layers."""

    step: int
    grad_norm: Array  # (L,)
    update_ratio: Array  # (L,)
    inactive: Array  # (H,) dead units (ReLU) or saturated outputs (sigmoid, tanh), as shares
    histogram: Array  # (H, BINS) share of outputs per bin
    hist_range: Array  # (H, 2) the bins' low and high edge


def inactive_share(a: Array, activation: str) -> float:
    """For ReLU: the share of units (columns of a, (B, n)) that are 0 on every row;
    for sigmoid/tanh: the share of outputs within ``SATURATION_MARGIN`` of the limits."""
    if activation == "relu":
        return float(np.mean(a.max(axis=0) <= 0.0))
    low, high = LIMITS[activation]
    return float(np.mean((a <= low + SATURATION_MARGIN) | (a >= high - SATURATION_MARGIN)))


def histogram(a: Array, activation: str) -> tuple[Array, tuple[float, float]]:
    """The share of a's values in each of ``BINS`` bins, and the bins' (low, high) range."""
    low, high = LIMITS.get(activation, (0.0, float(a.max()) if a.size else 0.0))
    if not np.isfinite(high) or high <= low:
        high = low + 1.0
    counts, _ = np.histogram(a, bins=BINS, range=(low, high))
    return counts / max(a.size, 1), (low, high)


def per_layer_weights(arrays: Sequence[Array], net: MLP) -> list[Array]:
    """The weight-shaped parts of arrays laid out like ``net.update_arrays()[0]``: one flat
    buffer [W0, b0, W1, b1, ...] end to end, or the list [W0, b0, W1, b1, ...] itself."""
    if len(arrays) != 1:
        return list(arrays[0::2])
    flat, parts, start = arrays[0].reshape(-1), [], 0
    for w, b in zip(net.weights, net.biases):
        parts.append(flat[start : start + w.size])
        start += w.size + b.size
    return parts


def _norm(a: Array) -> float:
    flat = a.reshape(-1)
    return float(np.sqrt(np.dot(flat, flat)))  # a BLAS dot: faster than np.linalg.norm on a view


def measure(step: int, net: MLP, activations: Sequence[Array], update: Sequence[Array] | None) -> HealthRecord:
    """The statistics after one training step.

    activations : [a1, ..., aL], the step's layer outputs (B, n_l) (the input is not needed);
    update : the optimizer's last change to ``net.update_arrays()[0]`` (``last_update()``),
    or None if it cannot say (update ratios are then NaN). Gradients are read from ``net``.
    """
    name = net.activation.name
    grad_norm = np.array([_norm(g) for g in net.grad_weights])
    if update is None:
        update_ratio = np.full(len(net.weights), np.nan)
    else:
        steps = per_layer_weights(update, net)
        update_ratio = np.array([_norm(s) / max(_norm(w), 1e-30) for s, w in zip(steps, net.weights)])
    hidden = activations[:-1]
    inactive = np.array([inactive_share(a, name) for a in hidden])
    pairs = [histogram(a, name) for a in hidden]
    hist = np.array([p[0] for p in pairs]).reshape(len(hidden), BINS)
    ranges = np.array([p[1] for p in pairs], dtype=np.float64).reshape(len(hidden), 2)
    finite = [np.where(np.isfinite(v), v, np.nan) for v in (grad_norm, update_ratio, inactive, hist, ranges)]
    return HealthRecord(step, *finite)


class HealthLog:
    """A run's health records in step order, appended by one thread and read by others.

    Bounded: with more than ``max_records`` it keeps every other one (and the latest) and
    from then on measures half as often (``due``), so a long run keeps its whole span.
    """

    def __init__(self, records: Sequence[HealthRecord] = (), max_records: int = MAX_HEALTH_RECORDS):
        self._lock = threading.Lock()
        self.max_records = max_records
        self._records: list[HealthRecord] = list(records)[-max_records:]
        self._gap = 1  # steps between records, doubled each time the log thins itself

    def due(self, step: int, total_steps: int) -> bool:
        """Whether to measure after this step (called every step, so it only compares numbers):
        the first step, then about ``TARGET_RECORDS`` times a run (at least ``MIN_GAP`` steps
        apart), and the last step."""
        records = self._records  # the appending thread calls this: no lock needed
        if not records or step == total_steps:
            return True
        return step - records[-1].step >= max(self._gap, total_steps // TARGET_RECORDS, MIN_GAP)

    def append(self, record: HealthRecord) -> None:
        with self._lock:
            self._records.append(record)
            if len(self._records) > self.max_records:
                self._records = self._records[:-1:2] + self._records[-1:]
                span = self._records[-1].step - self._records[0].step
                self._gap = max(2 * self._gap, span // len(self._records))

    def snapshot(self) -> list[HealthRecord]:
        with self._lock:
            return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def latest(self) -> HealthRecord | None:
        with self._lock:
            return self._records[-1] if self._records else None

    def to_columns(self) -> dict[str, Array]:
        """One float64 array per statistic, records along the first axis (empty dict if no records)."""
        records = self.snapshot()
        if not records:
            return {}
        return {
            "steps": np.array([r.step for r in records], dtype=np.float64),
            **{name: np.stack([getattr(r, name) for r in records]).astype(np.float64) for name in COLUMNS[1:]},
        }

    @classmethod
    def from_columns(cls, columns: Mapping[str, Array]) -> HealthLog:
        """The inverse of ``to_columns``; ValueError if the columns do not fit together."""
        if not columns:
            return cls()
        problem = column_problem({name: np.shape(columns[name]) for name in COLUMNS})
        if problem:
            raise ValueError(problem)
        steps = np.asarray(columns["steps"])
        rows = [
            HealthRecord(int(steps[i]), *(np.asarray(columns[name][i], dtype=np.float64) for name in COLUMNS[1:]))
            for i in range(len(steps))
        ]
        return cls(rows)


def column_problem(shapes: Mapping[str, tuple[int, ...]], layers: int | None = None) -> str | None:
    """What is wrong with these columns' shapes (None if they fit): R records, L weight layers,
    L - 1 hidden ones; ``layers`` (L) if known. Checks shapes only, so a loader can call it
    before reading any array."""
    if set(shapes) != set(COLUMNS):
        return f"health columns must be exactly {', '.join(COLUMNS)}"
    grad = shapes["grad_norm"]
    if len(shapes["steps"]) != 1 or len(grad) != 2:
        return "health/steps must be 1-D and health/grad_norm 2-D"
    records, n_layers = shapes["steps"][0], grad[1]
    if layers is not None and n_layers != layers:
        return f"health statistics are for {n_layers} layers, the network has {layers}"
    expected = {
        "grad_norm": (records, n_layers),
        "update_ratio": (records, n_layers),
        "inactive": (records, n_layers - 1),
        "histogram": (records, n_layers - 1, BINS),
        "hist_range": (records, n_layers - 1, 2),
    }
    for name, shape in expected.items():
        if tuple(shapes[name]) != shape:
            return f"health/{name} has shape {tuple(shapes[name])}, expected {shape}"
    if records > MAX_HEALTH_RECORDS:
        return f"health has {records:,} records, the limit is {MAX_HEALTH_RECORDS:,}"
    return None


def final_values(log: HealthLog) -> dict[str, list[float | None]] | None:
    """The latest record as plain lists (for the CLI's JSON summary), NaN as None; None if empty."""
    record = log.latest()
    if record is None:
        return None

    def plain(values: Array) -> list[float | None]:
        return [float(v) if np.isfinite(v) else None for v in values]

    return {
        "step": record.step,  # type: ignore[dict-item]
        "grad_norm": plain(record.grad_norm),
        "update_ratio": plain(record.update_ratio),
        "inactive": plain(record.inactive),
    }
