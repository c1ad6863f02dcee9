"""One pass of a trained network over the test set, kept for the Mistakes and Weights pages.

``evaluate_model`` runs the 10,000 test digits through the network once and keeps what
the insight pages need: the output probabilities, the predictions, a summary of each
first-layer unit (mean activation, how often it fires, the digits that excite it most),
the confusion matrix and the accuracies.  The pages cache the result per model, so
every later rerun only slices these arrays.  ``unit_pages`` numbers the first-layer units
into the pages the Weights page shows them in.  The pictures of weights and digits are in
``images``, their captions in ``wording``.

Deliberate limits:

* UI-free: NumPy only, no Streamlit or plotting library.
* Of the hidden activations only per-unit summaries are kept, not the ``(n, H1)`` array
  (32 MB for 800 units and 10,000 digits): an evaluation stays small enough to cache and
  copy per rerun. ``TOP_PER_UNIT`` digits are kept for each unit.
* ``probs`` are whatever the output layer produces: softmax probabilities for the
  cross-entropy loss, independent sigmoid scores (not summing to 1) for MSE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnistcore.analysis.confusion import confusion_matrix, per_class_accuracy
from mnistcore.analysis.images import symmetric_limit
from mnistcore.analysis.mistakes import Mistake, describe_mistakes, select_mistakes
from mnistcore.analysis.units import top_activating

UNITS_PER_PAGE = 64  # first-layer units shown at once: an 8 x 8 mosaic stays readable
TOP_PER_UNIT = 16  # digits kept per first-layer unit, strongest first: the Weights page shows them


@dataclass(frozen=True)
class Evaluation:
    """A network's answers on a labelled set (the test set), computed once.

    Attributes
    ----------
    labels : (n,) int64 true digits.
    probs : (n, 10) float32 output-layer activations.
    predictions : (n,) int64 argmax digit per sample.
    unit_mean : (H1,) float32 mean activation of each first-layer unit over the samples.
    unit_active : (H1,) float64 share of samples on which each unit's activation is > 0.
    unit_top : (H1, k) int64 per unit, the samples that excite it most, strongest first
        (ties by lower index); k = ``TOP_PER_UNIT`` or fewer samples.
    unit_top_values : (H1, k) float32 the activations of those samples.
    confusion : (10, 10) int64 counts, rows = true digit, columns = predicted.
    accuracy : share of samples predicted correctly.
    class_accuracy : (10,) float64 share of each true digit predicted correctly.
    layer_limits : one symmetric colour limit per weight matrix (input layer first),
        so every view of a layer uses the same blue-white-red scale.
    """

    labels: np.ndarray
    probs: np.ndarray
    predictions: np.ndarray
    unit_mean: np.ndarray
    unit_active: np.ndarray
    unit_top: np.ndarray
    unit_top_values: np.ndarray
    confusion: np.ndarray
    accuracy: float
    class_accuracy: np.ndarray
    layer_limits: tuple[float, ...]

    @property
    def n_samples(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_correct(self) -> int:
        return int(np.trace(self.confusion))

    @property
    def n_mistakes(self) -> int:
        return self.n_samples - self.n_correct

    def mistakes(
        self, true_digit: int | None = None, predicted_digit: int | None = None, order: str = "most_confident"
    ) -> np.ndarray:
        """Indices (k,) of misclassified samples matching the filter, in ``order``
        (see ``mistakes.select_mistakes``)."""
        return select_mistakes(self.labels, self.probs, true_digit, predicted_digit, order)

    def describe(self, indices: np.ndarray) -> list[Mistake]:
        """One ``Mistake`` record (true, predicted, both confidences) per index, in order."""
        return describe_mistakes(np.asarray(indices, dtype=np.int64), self.labels, self.probs)


def evaluate_model(network, test_x: np.ndarray, test_y: np.ndarray) -> Evaluation:
    """Run ``network`` (an ``MLP``) over ``test_x`` (n, 784) once and summarise it.

    Raises ValueError when the inputs do not match the network or each other.
    """
    test_x = np.asarray(test_x)
    labels = np.asarray(test_y).astype(np.int64)
    n_inputs, n_classes = network.layer_sizes[0], network.layer_sizes[-1]
    if test_x.ndim != 2 or test_x.shape[1] != n_inputs:
        raise ValueError(f"test_x must have shape (n, {n_inputs}) for this network, got {test_x.shape}")
    if labels.shape != (test_x.shape[0],):
        raise ValueError(f"test_y must have shape ({test_x.shape[0]},) to match test_x, got {labels.shape}")
    if len(network.weights) < 2:
        raise ValueError("the network has no hidden layer: nothing for the insight pages to show")
    outputs = network.layer_outputs(test_x)
    probs = outputs[-1].astype(np.float32, copy=False)
    predictions = probs.argmax(axis=1).astype(np.int64)
    confusion = confusion_matrix(labels, predictions, n_classes)
    hidden = outputs[0]
    top = top_activating(hidden, TOP_PER_UNIT)
    return Evaluation(
        labels=labels,
        probs=probs,
        predictions=predictions,
        unit_mean=hidden.mean(axis=0, dtype=np.float64).astype(np.float32),
        unit_active=(hidden > 0).mean(axis=0),
        unit_top=top,
        unit_top_values=np.take_along_axis(hidden.T, top, axis=1).astype(np.float32),
        confusion=confusion,
        accuracy=float(np.trace(confusion) / max(labels.size, 1)),
        class_accuracy=per_class_accuracy(confusion),
        layer_limits=tuple(symmetric_limit(w) for w in network.weights),
    )


# --------------------------------------------------------------------------
# Units in pages
# --------------------------------------------------------------------------


def unit_pages(n_units: int, per_page: int = UNITS_PER_PAGE) -> list[range]:
    """Split units ``0..n_units-1`` into consecutive ranges of at most ``per_page``."""
    if n_units < 1 or per_page < 1:
        raise ValueError(f"need n_units >= 1 and per_page >= 1, got {n_units} and {per_page}")
    return [range(start, min(start + per_page, n_units)) for start in range(0, n_units, per_page)]


def unit_range_label(units: range) -> str:
    """'units 0–63' for a range of units (inclusive end, as a reader counts)."""
    return f"unit {units.start}" if len(units) == 1 else f"units {units.start}–{units.stop - 1}"
