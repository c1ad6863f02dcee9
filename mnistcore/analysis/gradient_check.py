"""Backprop checked against finite differences, for one digit: the Backprop page's proof that
the gradients it shows are right.

``gradient_check`` compares a few of backprop's dLoss/dW and dLoss/db per layer with central
differences (L(θ+h) - L(θ-h)) / 2h, in float64 on a copy of the network; ``precise_loss``
is the loss computed accurately enough for that difference to mean something.

Deliberate limits: a sample of parameters (``CHECKS_PER_LAYER`` weights and one bias per
layer), not all of them; parameters next to a relu kink are left out, where the loss has
no derivative to check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnistcore.analysis.backprop import digit_pass, float64_copy
from mnistcore.engine.network import MLP

FD_STEP = 1e-5  # central-difference step: float64 rounding error ~1e-16/h, truncation ~h^2
KINK_MARGIN = 1e-3  # relu units this close to z = 0 are not finite-differenced (h * x is far smaller)
CHECKS_PER_LAYER = 3  # weights checked per layer, plus one bias


@dataclass(frozen=True)
class GradientCheck:
    """One parameter: backprop's gradient against a central finite difference."""

    layer: int
    kind: str  # "W" or "b"
    index: tuple[int, ...]
    backprop: float
    numeric: float

    @property
    def relative_error(self) -> float:
        """|g - n| / max(|g| + |n|, tiny): 0 when both are 0."""
        scale = abs(self.backprop) + abs(self.numeric)
        return abs(self.backprop - self.numeric) / scale if scale > 0 else 0.0

    @property
    def name(self) -> str:
        where = ",".join(str(i) for i in self.index)
        return f"{self.kind}[{self.layer}][{where}]"


def gradient_check(
    network: MLP, x: np.ndarray, label: int, rng: np.random.Generator, per_layer: int = CHECKS_PER_LAYER
) -> list[GradientCheck]:
    """Backprop's dLoss/dW and dLoss/db for one digit against central finite differences
    (L(θ+h) - L(θ-h)) / 2h in float64, for ``per_layer`` weights and one bias per layer.

    The weights are drawn at random among those whose gradient is at least 1e-3 of the
    layer's largest (a gradient that is exactly 0, e.g. from a blank pixel, tells nothing:
    both sides give 0), leaving out those into a relu unit whose pre-activation is within
    ``KINK_MARGIN`` of the kink at 0: a step of h could cross it, and there the loss has no
    derivative to check. Works on a float64 copy; ``network`` is never changed."""
    net = float64_copy(network)
    p = digit_pass(net, x, label)
    xb, yb = p.x[None, :], p.target[None, :]
    checks = []
    for l in range(p.n_layers):
        smooth = np.ones(p.zs[l].shape, bool)  # units of layer l whose loss is smooth around z
        if p.activation_name == "relu" and l < p.n_layers - 1:
            smooth = np.abs(p.zs[l]) > KINK_MARGIN
        for kind, grad, param in (("W", p.grad_weights[l], net.weights[l]), ("b", p.grad_biases[l], net.biases[l])):
            magnitude = np.where(smooth, np.abs(grad), 0.0).ravel()  # a column per unit: broadcasts for W and b
            candidates = np.flatnonzero(magnitude >= 1e-3 * magnitude.max()) if magnitude.max() > 0 else np.arange(0)
            count = min(per_layer if kind == "W" else 1, len(candidates))
            for flat in rng.choice(candidates, size=count, replace=False):
                index = np.unravel_index(int(flat), param.shape)
                numeric = _central_difference(net, xb, yb, param, index)
                checks.append(GradientCheck(l, kind, tuple(int(i) for i in index), float(grad[index]), numeric))
    return checks


def _central_difference(net: MLP, x: np.ndarray, y: np.ndarray, param: np.ndarray, index: tuple) -> float:
    original = param[index]
    param[index] = original + FD_STEP
    plus = precise_loss(net, x, y)
    param[index] = original - FD_STEP
    minus = precise_loss(net, x, y)
    param[index] = original
    return (plus - minus) / (2 * FD_STEP)


def precise_loss(net: MLP, x: np.ndarray, y: np.ndarray) -> float:
    """The same loss as ``net.loss``, computed so that its rounding error is relative to the
    loss itself: a confident, right digit has a loss near 1e-3 and gradients near 1e-6, and
    a finite difference divides the loss's rounding error by 2h.

    Cross-entropy: -log p_y = log(1 + Σ_{k≠y} exp(z_k - z_y)), with ``log1p`` (log p_y of a
    p_y near 1 would carry an absolute error of 1e-16 instead). MSE is accurate as it is."""
    zs, activations = net.forward_trace(x)
    if net.output_loss.name != "cross-entropy":
        return net.output_loss.loss(activations[-1], y)
    logits, labels = zs[-1], y.argmax(axis=1)
    rows = np.arange(len(labels))
    relative = logits - logits[rows, labels][:, None]  # z_k - z_y
    relative[rows, labels] = -np.inf  # leave out k = y: exp(-inf) = 0, and no "1 + ε - 1"
    return float(np.mean(np.log1p(np.exp(relative).sum(axis=1))))
