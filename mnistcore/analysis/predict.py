"""Classify one canvas drawing and explain the answer: the Draw page's engine.

``predict_drawing`` runs a drawing through the MNIST-style preprocessing of
``mnistcore.analysis.drawing``, one forward pass of the network, and a short analysis of
what the first hidden layer did: every unit's activation, and which units
pushed the winning digit up most.

"Pushed up" is measured as activation x sensitivity: unit ``j`` of the first
hidden layer contributes ``a_j * d z_digit / d a_j`` to the winning digit's
output pre-activation (its logit).  With one hidden layer the sensitivity is
just the outgoing weight ``W2[j, digit]``, so the contribution is exact
(``units.top_contributors``); with more hidden layers it is the usual
first-order (gradient x activation) attribution through the deeper layers.

Deliberate limits:

* One drawing at a time: the page calls it once per stroke, so clarity beats
  batching.  It takes ~1 ms on a 280x280 canvas (see the module's tests and
  the Draw page issue for the measurement).
* UI-free: returns plain NumPy arrays in a frozen dataclass; the page decides
  how to show them, including what "not sure" looks like.
* An empty or near-empty canvas is not an error: it returns ``None``.
  Invalid input (wrong shape, absurd size, NaN) raises ``DrawingError`` with a
  message naming the problem, and a network that does not take 28x28 inputs
  raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnistcore.analysis.drawing import DrawingError, preprocess
from mnistcore.analysis.units import top_contributors
from mnistcore.engine.network import MLP

__all__ = ["NOT_SURE_THRESHOLD", "TOP_UNITS", "DrawingError", "Prediction", "predict_drawing", "unit_sensitivities"]

NOT_SURE_THRESHOLD: float = 0.5
"""Below this top probability the page says "not sure" instead of sounding certain."""

TOP_UNITS: int = 8
"""How many helpful first-layer units ``predict_drawing`` reports by default."""

_INPUT_SIDE = 28


@dataclass(frozen=True)
class Prediction:
    """What the network made of one drawing.

    Attributes
    ----------
    digit : the predicted class (argmax of ``probabilities``).
    confidence : ``probabilities[digit]``.
    probabilities : (n_classes,) float64 output of the network (sums to 1 for softmax).
    image : (28, 28) float32 in [0, 1]: the input the network saw.
    hidden : (H1,) float64 activations of the first hidden layer
        (the output probabilities again for a network without hidden layers).
    contributors : up to ``top_k`` ``(unit, contribution)`` pairs, largest first:
        first-layer units whose activation raised the winning digit's logit
        (empty for a network without hidden layers).
    """

    digit: int
    confidence: float
    probabilities: np.ndarray
    image: np.ndarray
    hidden: np.ndarray
    contributors: list[tuple[int, float]]

    @property
    def not_sure(self) -> bool:
        """Whether the top probability is below ``NOT_SURE_THRESHOLD``."""
        return self.confidence < NOT_SURE_THRESHOLD


def unit_sensitivities(network: MLP, layer_outputs: list[np.ndarray]) -> np.ndarray:
    """How much each output logit moves per unit of each first-hidden-layer activation.

    Parameters
    ----------
    network : the MLP (at least one hidden layer).
    layer_outputs : ``[a1, ..., aL]`` for ONE input, each (1, n_l), as from
        ``network.layer_outputs``.

    Returns
    -------
    (H1, n_classes) float64 Jacobian ``d z_L / d a1`` at this input; equal to the
    second-layer weights ``W2`` when there is a single hidden layer.
    """
    jacobian = network.weights[1].astype(np.float64)
    for layer in range(2, len(network.weights)):
        # Through hidden layer l: scale by its activation's slope f'(z), then by its outgoing weights.
        activation = layer_outputs[layer - 1][0]
        slope = network.activation.derivative(activation, np.empty_like(activation))
        jacobian = (jacobian * slope.astype(np.float64)) @ network.weights[layer].astype(np.float64)
    return jacobian


def predict_drawing(network: MLP, image_rgba: np.ndarray | None, top_k: int = TOP_UNITS) -> Prediction | None:
    """Preprocess a canvas drawing, classify it and explain the answer.

    Parameters
    ----------
    network : an MLP taking 784 inputs (28x28 images flattened row-major).
    image_rgba : (H, W, 4) uint8 canvas (white ink on black or transparent),
        or any image ``mnistcore.analysis.drawing.preprocess`` accepts; ``None`` (the
        canvas has not sent anything yet) counts as empty.
    top_k : how many contributing units to report (>= 1).

    Returns
    -------
    Prediction, or None when the drawing is empty or near-empty.

    Raises
    ------
    DrawingError
        The image is not a plausible drawing (shape, size, dtype, NaN...).
    ValueError
        The network does not take 784 inputs, or ``top_k`` < 1.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
    n_inputs = network.layer_sizes[0]
    if n_inputs != _INPUT_SIDE * _INPUT_SIDE:
        raise ValueError(f"the network takes {n_inputs} inputs; drawings need a 784-input (28x28) network")
    if image_rgba is None:
        return None
    pixels = preprocess(image_rgba)
    if pixels is None:
        return None
    outputs = network.layer_outputs(pixels[np.newaxis, :])
    probabilities = outputs[-1][0].astype(np.float64)
    digit = int(np.argmax(probabilities))
    if len(network.weights) > 1:
        hidden = outputs[0][0].astype(np.float64)
        contributors = top_contributors(hidden, unit_sensitivities(network, outputs), digit, k=top_k)
    else:
        hidden, contributors = probabilities, []
    return Prediction(
        digit=digit,
        confidence=float(probabilities[digit]),
        probabilities=probabilities,
        image=pixels.reshape(_INPUT_SIDE, _INPUT_SIDE),
        hidden=hidden,
        contributors=contributors,
    )
