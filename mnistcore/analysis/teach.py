"""Teach the network one digit: a few gradient steps on a drawing with the label the visitor
says is right, and what that costs the rest of what the network knows.

``teach`` copies the network first (the caller's arrays are never written: the dashboard's
shared default model stays as it is, and the copy kept for "undo" stays bit for bit what it
was), then takes ``steps`` plain SGD steps with the engine's one ``train_step``:

* **with replay** (the default), each batch holds the drawing ``DRAWING_COPIES`` times and
  ``REPLAY_DIGITS`` training digits drawn at random: the old digits pull the weights back
  towards what they were while the drawing pulls towards its new label;
* **without replay**, each batch is the drawing alone. Its gradient then meets no
  resistance, and a few steps can teach the whole network to answer that label for almost
  anything: *catastrophic forgetting*, visible in the test accuracy and per-digit accuracy
  measured before and after (``Scores``) on the full 10,000-digit test set.

Deliberate limits: one drawing per call; plain SGD without momentum or weight decay, so
what moves the weights is exactly the gradients of the batch; at most ``MAX_STEPS`` steps
and a learning rate of at most ``MAX_LR`` (a shared server: one press is a fraction of a
second for the networks the server allows).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from mnistcore.engine.data import one_hot, scale_pixels
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.network import MLP
from mnistcore.engine.optimizers import make_optimizer
from mnistcore.engine.trainer import train_step

N_CLASSES = 10
N_PIXELS = 784
DEFAULT_STEPS = 10
MAX_STEPS = 50
DEFAULT_LR = 0.05
LR_CHOICES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
MAX_LR = max(LR_CHOICES)
DRAWING_COPIES = 8  # with replay, the drawing is a quarter of each batch of 32 ...
REPLAY_DIGITS = 24  # ... and training digits picked at random the rest
DEFAULT_SEED = 0  # which replayed digits: the same press gives the same result


class TeachError(ValueError):
    """Settings or a drawing that cannot be taught; the message says which and why."""


@dataclass(frozen=True)
class TeachSettings:
    """One press of "Teach it": the right ``label``, ``steps`` SGD steps at learning rate
    ``lr``, with or without ``replay`` of training digits. Validated on creation."""

    label: int
    steps: int = DEFAULT_STEPS
    lr: float = DEFAULT_LR
    replay: bool = True

    def __post_init__(self) -> None:
        whole = (int, np.integer)
        if isinstance(self.label, bool) or not isinstance(self.label, whole) or not 0 <= self.label < N_CLASSES:
            raise TeachError(f"the label must be a digit from 0 to 9, got {self.label!r}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, whole) or not 1 <= self.steps <= MAX_STEPS:
            raise TeachError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {self.steps!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not 0 < self.lr <= MAX_LR:
            raise TeachError(f"the learning rate must be above 0 and at most {MAX_LR:g}, got {self.lr!r}")

    @property
    def batch_size(self) -> int:
        return DRAWING_COPIES + REPLAY_DIGITS if self.replay else 1


@dataclass(frozen=True)
class Scores:
    """A network on a labelled set: overall ``accuracy`` and ``per_class`` (10,) accuracy
    (NaN for a digit the set does not hold)."""

    accuracy: float
    per_class: np.ndarray


def scores(network: MLP, x: np.ndarray, y: np.ndarray) -> Scores:
    """``network``'s accuracy on inputs x (n, 784) with labels y (n,), overall and per digit."""
    right = network.predict(x) == y
    counts = np.bincount(y, minlength=N_CLASSES)[:N_CLASSES]
    hits = np.bincount(y, weights=right, minlength=N_CLASSES)[:N_CLASSES]
    per_class = np.divide(hits, counts, out=np.full(N_CLASSES, np.nan), where=counts > 0)
    return Scores(float(right.mean()) if len(y) else float("nan"), per_class)


@dataclass(frozen=True)
class TeachResult:
    """What one press did. ``network`` is the taught copy; the probabilities (10,) are the
    network's for the drawing before and after; the scores are on the test set given;
    ``seconds`` is the time of the steps and both measurements."""

    network: MLP
    settings: TeachSettings
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    before: Scores
    after: Scores
    seconds: float

    @property
    def predicted_before(self) -> int:
        return int(np.argmax(self.probabilities_before))

    @property
    def predicted_after(self) -> int:
        return int(np.argmax(self.probabilities_after))

    @property
    def learned(self) -> bool:
        """Whether the taught network now reads the drawing as the label it was given."""
        return self.predicted_after == self.settings.label


def drawing_row(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A drawing, (28, 28) or (784,) floats in [0, 1] or uint8 bytes, as one input row (1, 784)."""
    array = np.asarray(pixels)
    if array.size != N_PIXELS or array.ndim not in (1, 2):
        raise TeachError(f"a drawing must be 28x28 pixels, got shape {array.shape}")
    if array.dtype == np.uint8:
        array = scale_pixels(array)
    elif array.dtype.kind != "f" or not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
        raise TeachError("a drawing's pixels must be bytes 0..255 or finite numbers in [0, 1]")
    return array.reshape(1, N_PIXELS).astype(dtype)


def teach(
    network: MLP,
    pixels: np.ndarray,
    settings: TeachSettings,
    test_x: np.ndarray,
    test_y: np.ndarray,
    replay_pixels: np.ndarray | None = None,
    replay_labels: np.ndarray | None = None,
    seed: int = DEFAULT_SEED,
) -> TeachResult:
    """Teach a copy of ``network`` that ``pixels`` is ``settings.label``; measure before and after.

    Parameters
    ----------
    network : a 784-input, 10-output MLP; never modified
    pixels : the drawing, (28, 28) or (784,), floats in [0, 1] or uint8 bytes
    test_x, test_y : (n, 784) floats and (n,) labels the accuracy is measured on
    replay_pixels, replay_labels : (m, 784) uint8 training digits and their (m,) labels,
        needed when ``settings.replay`` (MNIST's training split)
    seed : picks the replayed digits
    """
    if network.layer_sizes[0] != N_PIXELS or network.layer_sizes[-1] != N_CLASSES:
        raise TeachError(f"only a 784-input, 10-output network can be taught a digit, not {network.layer_sizes}")
    if settings.replay and (replay_pixels is None or replay_labels is None or len(replay_labels) == 0):
        raise TeachError("replay needs training digits to mix in")
    started = time.perf_counter()
    row = drawing_row(pixels, network.dtype)
    before = scores(network, test_x, test_y)
    probabilities_before = network.predict_proba(row)[0].astype(np.float64)
    taught = network.copy()  # from here on only the copy is written
    x, y = _first_batch(row, settings, taught.dtype)
    optimizer = make_optimizer("sgd", taught.update_arrays()[0])
    rng = np.random.default_rng(seed)
    for _ in range(settings.steps):
        if settings.replay:
            assert replay_pixels is not None and replay_labels is not None
            rows = rng.integers(0, len(replay_labels), REPLAY_DIGITS)
            x[DRAWING_COPIES:] = scale_pixels(replay_pixels[rows])
            y[DRAWING_COPIES:] = one_hot(np.asarray(replay_labels[rows], np.int64), N_CLASSES, taught.dtype)
        train_step(taught, optimizer, x, y, settings.lr)
    taught.release_buffers()
    return TeachResult(
        network=taught,
        settings=settings,
        probabilities_before=probabilities_before,
        probabilities_after=taught.predict_proba(row)[0].astype(np.float64),
        before=before,
        after=scores(taught, test_x, test_y),
        seconds=time.perf_counter() - started,
    )


def _first_batch(row: np.ndarray, settings: TeachSettings, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The batch buffers (x, one-hot y), the drawing in the first rows; replayed rows come later."""
    x = np.empty((settings.batch_size, N_PIXELS), dtype)
    y = np.zeros((settings.batch_size, N_CLASSES), dtype)
    copies = DRAWING_COPIES if settings.replay else 1
    x[:copies] = row
    y[:copies, settings.label] = 1
    return x, y


def taught_model(model: TrainedModel, result: TeachResult) -> TrainedModel:
    """``model`` with the taught network: a new model (``model`` itself is untouched), named
    "<name>, taught", its test accuracy the one measured after teaching; its validation accuracy
    is no longer known."""
    name = model.name if model.name.endswith(", taught") else f"{model.name or 'model'}, taught"
    return dataclasses.replace(
        model, network=result.network, test_accuracy=result.after.accuracy, validation_accuracy=None, name=name
    )
