"""Output layers paired with the loss they are trained on.

An output non-linearity and its loss travel together because their derivatives
simplify together: for softmax + cross-entropy the gradient of the loss with respect
to the output pre-activations is just ``p - y``. Each entry gives

* ``output(z, out)``: the output activation, in place;
* ``loss(a, y)``: the loss averaged over the batch (a float, for reporting);
* ``delta(a, y, out)``: dLoss/dz for the output layer, already divided by the batch
  size, because the loss is a batch *mean*.

Targets ``y`` are one-hot rows of shape (batch, classes), as in the seed notebook.
Deliberate limits: classification losses only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnistcore.engine.activations import sigmoid
from mnistcore.engine.numerics import FLUSH_BELOW, flush_tiny_nonnegative


def mse_loss(a: np.ndarray, y: np.ndarray) -> float:
    """Mean over the batch of 1/2 * sum_k (a_k - y_k)^2 (the 1/2 makes the gradient a - y)."""
    diff = a - y
    return float(0.5 * np.einsum("ij,ij->", diff, diff) / a.shape[0])


def mse_delta(a: np.ndarray, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """dC/dz for sigmoid outputs under MSE: (a - y) * sigmoid'(z) / batch.

    This is the derivative of our cost function, mean squared error: the gradient of the
    final activations is a - y. The chain rule then multiplies it by the derivative of
    the activations with respect to the pre-activations, a (1 - a) for the sigmoid.
    """
    np.subtract(a, y, out=out)
    out *= a * (1.0 - a)  # only (batch, 10) wide: the temporary costs nothing
    out *= 1.0 / a.shape[0]
    return out


def softmax(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Row-wise softmax. Subtracting each row's max first keeps exp() from overflowing.

    Probabilities under ``FLUSH_BELOW`` (1e-30) become exactly 0: a confident network's
    ruled-out classes would otherwise get subnormal probabilities, and every product with
    their deltas in backprop would take the CPU's slow path (see ``numerics``).
    """
    np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return flush_tiny_nonnegative(out)  # (batch, 10): costs next to nothing


def cross_entropy_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean over the batch of -log p[true class]; each sample's term is capped at -log(1e-30) = 69,
    so a probability that softmax flushed to zero gives a large finite loss."""
    return float(-np.einsum("ij,ij->", y, np.log(np.maximum(p, FLUSH_BELOW))) / p.shape[0])


def cross_entropy_delta(p: np.ndarray, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """dC/dz for softmax outputs under cross-entropy: (p - y) / batch.

    The softmax Jacobian and the derivative of -log cancel each other, which is why this
    pair learns faster than sigmoid + MSE: the gradient does not vanish when a confident
    output is wrong.
    """
    np.subtract(p, y, out=out)
    out *= 1.0 / p.shape[0]
    return out


@dataclass(frozen=True)
class OutputLoss:
    """An output activation together with the loss it is trained on."""

    name: str
    output: Callable[[np.ndarray, np.ndarray], np.ndarray]
    loss: Callable[[np.ndarray, np.ndarray], float]
    delta: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


LOSSES: dict[str, OutputLoss] = {
    "mse": OutputLoss("mse", sigmoid, mse_loss, mse_delta),
    "cross-entropy": OutputLoss("cross-entropy", softmax, cross_entropy_loss, cross_entropy_delta),
}
