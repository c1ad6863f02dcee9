"""One pass of a trained network over the test set, kept for the Mistakes and Weights pages.

``evaluate_model`` runs the 10,000 test digits through the network once and keeps what
the insight pages need: the output probabilities, the predictions, a summary of each
first-layer unit (mean activation, how often it fires, the digits that excite it most),
the confusion matrix and the accuracies.  The pages cache the result per model, so
every later rerun only slices these arrays.  The rest of the module turns arrays into pictures the pages show
as they are: weight mosaics on the shared blue-white-red scale, digit thumbnails, and
the numbering of hidden units into pages.

Deliberate limits:

* UI-free: NumPy only, no Streamlit or plotting library; images are ``uint8`` arrays.
* Of the hidden activations only per-unit summaries are kept, not the ``(n, H1)`` array
  (32 MB for 800 units and 10,000 digits): an evaluation stays small enough to cache and
  copy per rerun. ``TOP_PER_UNIT`` digits are kept for each unit.
* ``probs`` are whatever the output layer produces: softmax probabilities for the
  cross-entropy loss, independent sigmoid scores (not summing to 1) for MSE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnistcore.analysis import insight
from mnistcore.analysis.insight import Mistake

UNITS_PER_PAGE = 64  # first-layer units shown at once: an 8 x 8 mosaic stays readable
GAP_GREY = 150  # between weight tiles: zero weights are white, so white gaps would vanish
MOSAIC_GAP = 3  # pixels between tiles, at any enlargement
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
        (see ``insight.select_mistakes``)."""
        return insight.select_mistakes(self.labels, self.probs, true_digit, predicted_digit, order)

    def describe(self, indices: np.ndarray) -> list[Mistake]:
        """One ``Mistake`` record (true, predicted, both confidences) per index, in order."""
        return insight.describe_mistakes(np.asarray(indices, dtype=np.int64), self.labels, self.probs)


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
    confusion = insight.confusion_matrix(labels, predictions, n_classes)
    hidden = outputs[0]
    top = insight.top_activating(hidden, TOP_PER_UNIT)
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
        class_accuracy=insight.per_class_accuracy(confusion),
        layer_limits=tuple(insight.symmetric_limit(w) for w in network.weights),
    )


def snapshot_limit(snapshot_weights: np.ndarray) -> float:
    """One colour limit for all first-layer snapshots (S, 784, H), so changes stay visible."""
    return insight.symmetric_limit(snapshot_weights)


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


def mosaic_columns(n_tiles: int) -> int:
    """Tiles per row for a near-square mosaic (16 -> 4, 64 -> 8), at most 16."""
    return insight.grid_shape(n_tiles, max_columns=16)[1]


def mosaic_scale(columns: int, side: int = 28, gap: int = MOSAIC_GAP, target_px: int = 720) -> int:
    """Whole-pixel enlargement of each tile so ``columns`` tiles and their gaps fit in ``target_px``."""
    return max(1, (target_px - (columns - 1) * gap) // (columns * side))


# --------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------


def weight_mosaic(first_layer_weights: np.ndarray, units: range, limit: float, scale: int | None = None) -> np.ndarray:
    """The incoming weights of ``units`` as 28x28 tiles on one blue-white-red image.

    Parameters
    ----------
    first_layer_weights : (784, H) matrix ``W1``.
    units : which columns of ``W1`` to draw, row-major in the mosaic.
    limit : weight drawn as the darkest colour (the same for every unit and page).
    scale : whole-pixel enlargement; by default at most about 720 px wide.

    Returns
    -------
    (rows*(28*scale+gap)-gap, columns*(28*scale+gap)-gap, 3) uint8 image, with
    ``gap = MOSAIC_GAP`` grey pixels between tiles whatever the scale.
    """
    images = insight.weight_images(np.asarray(first_layer_weights)[:, units.start : units.stop])
    columns = mosaic_columns(len(units))
    scale = scale or mosaic_scale(columns)
    tiles = insight.to_diverging_rgb(images, limit).repeat(scale, axis=1).repeat(scale, axis=2)
    return insight.tile_images(tiles, columns, pad=MOSAIC_GAP, pad_value=GAP_GREY)


def weight_picture(unit_weights: np.ndarray, limit: float, scale: int = 8) -> np.ndarray:
    """One unit's 784 incoming weights as an enlarged (28*scale, 28*scale, 3) uint8 image."""
    image = insight.weight_images(np.asarray(unit_weights).reshape(-1, 1))[0]
    return insight.upscale(insight.to_diverging_rgb(image, limit), scale)


def digit_picture(pixels: np.ndarray, scale: int = 4) -> np.ndarray:
    """An MNIST digit (784,) in [0, 1] as dark ink on white, (28*scale, 28*scale) uint8."""
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.size != 784:
        raise ValueError(f"a digit has 784 pixels, got {pixels.size}")
    ink = np.rint(255.0 * (1.0 - np.clip(pixels.reshape(28, 28), 0.0, 1.0))).astype(np.uint8)
    return insight.upscale(ink, scale)


def legend_stops(limit: float, n_steps: int = 41) -> tuple[np.ndarray, list[str]]:
    """Values (n_steps,) from -limit to +limit and their colours as '#rrggbb' strings."""
    values = np.linspace(-limit, limit, n_steps)
    rgb = insight.to_diverging_rgb(values, limit)
    return values, [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]


def mistake_caption(mistake: Mistake) -> str:
    """Two short lines: '4 → 9 · 97%' (true → predicted, confidence in the prediction) and
    '4: 1% · #1234' (confidence in the true digit, test-set index)."""
    return (
        f"{mistake.true} → {mistake.predicted} · {mistake.confidence:.0%}  \n"
        f"{mistake.true}: {mistake.true_confidence:.0%} · #{mistake.index}"
    )


def model_summary(model, accuracy: float, title: str = "", source: str = "") -> str:
    """One Markdown line naming the model shown: title, where it came from, shape, accuracy.

    ``model`` is a ``TrainedModel``; ``accuracy`` comes from its evaluation, so the line is
    right even for a model saved without a measured test accuracy.  ``title`` defaults to
    the model's name.
    """
    config = model.config
    shape = "-".join(str(n) for n in model.network.layer_sizes)
    title = title or model.name or "unnamed model"
    origin = f", {source}" if source else ""
    return (
        f"Model shown: **{title}**{origin} · {shape} units, {config.activation}, {config.loss} · "
        f"test accuracy **{accuracy:.2%}**"
    )
