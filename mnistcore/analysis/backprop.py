"""One digit through the network, forward and backward, with every number: the Backprop page's maths.

The page shows what ``MLP.gradients_for`` computes for a single digit: each layer's
pre-activations ``zs[l]`` and activations ``activations[l+1]``, the loss, each layer's
``deltas[l]`` = dLoss/dz and the gradients dLoss/dW[l], dLoss/db[l]; then lets a learner
take plain SGD steps on a *copy* of the model (``StepLab``) and checks backprop against
central finite differences (``gradient_check``). Formulas come out as LaTeX with the real
numbers in them, named as the engine's code names them.

Everything here works in float64 on a float64 copy of the network: the page's numbers are
then exact to the digits shown, and finite differences are meaningful. The model it came
from is never written to.

Deliberate limits: one digit at a time (a batch of one), the networks ``mnistcore`` makes;
no Streamlit (the page wires these to widgets; ``backprop_charts`` draws them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from mnistcore.engine.network import MLP, Gradients
from mnistcore.engine.optimizers import SGD
from mnistcore.engine.trainer import train_step

FD_STEP = 1e-5  # central-difference step: float64 rounding error ~1e-16/h, truncation ~h^2
KINK_MARGIN = 1e-3  # relu units this close to z = 0 are not finite-differenced (h * x is far smaller)
CHECKS_PER_LAYER = 3  # weights checked per layer, plus one bias
MAX_STEPS = 200  # SGD steps one visitor can take on the page's copy before a reset
SYMBOLS = {"relu": r"\operatorname{relu}", "sigmoid": r"\sigma", "tanh": r"\tanh"}
DERIVATIVES = {  # f'(z) written through a = f(z), as mnistcore.engine.activations computes it
    "relu": r"[a > 0]",
    "sigmoid": r"a(1-a)",
    "tanh": r"1-a^2",
}


def float64_copy(network: MLP) -> MLP:
    """An independent float64 copy of ``network`` (the original is never touched)."""
    return MLP(
        [w.astype(np.float64) for w in network.weights],
        [b.astype(np.float64) for b in network.biases],
        network.activation.name,
        network.output_loss.name,
    )


def one_hot(label: int, n_classes: int) -> np.ndarray:
    target = np.zeros(n_classes)
    target[label] = 1.0
    return target


@dataclass(frozen=True)
class DigitPass:
    """One digit's forward and backward pass. Arrays have no batch axis:

    x (n_0,); zs[l], deltas[l] (n_{l+1},); activations [x, a1, ..., aL];
    grad_weights[l] (n_l, n_{l+1}); grad_biases[l] (n_{l+1},); target y (n_L,) one-hot.
    """

    x: np.ndarray
    label: int
    target: np.ndarray
    zs: list[np.ndarray]
    activations: list[np.ndarray]
    deltas: list[np.ndarray]
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    loss: float
    loss_name: str
    activation_name: str

    @property
    def output(self) -> np.ndarray:
        """The output layer's activations (n_L,): probabilities for softmax."""
        return self.activations[-1]

    @property
    def predicted(self) -> int:
        return int(self.output.argmax())

    @property
    def n_layers(self) -> int:
        return len(self.zs)


def digit_pass(network: MLP, x: np.ndarray, label: int) -> DigitPass:
    """Run ``x`` (784,) with true class ``label`` through ``network`` (any dtype; computed in
    float64 on a copy unless it already is float64) and keep every number."""
    net = network if network.dtype == np.float64 else float64_copy(network)
    x = np.asarray(x, dtype=np.float64).reshape(1, -1)
    target = one_hot(label, net.layer_sizes[-1])
    grads: Gradients = net.gradients_for(x, target[None, :])
    loss = net.output_loss.loss(grads.activations[-1], target[None, :])
    return DigitPass(
        x=x[0],
        label=int(label),
        target=target,
        zs=[z[0] for z in grads.zs],
        activations=[a[0] for a in grads.activations],
        deltas=[d[0] for d in grads.deltas],
        grad_weights=grads.weights,
        grad_biases=grads.biases,
        loss=loss,
        loss_name=net.output_loss.name,
        activation_name=net.activation.name,
    )


def top_units(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest |values|, largest first (ties: the lower index first)."""
    order = np.argsort(-np.abs(np.asarray(values)), kind="stable")
    return order[:k]


# ------------------------------------------------------------------ formulas with the real numbers


def _num(value: float) -> str:
    """A number for LaTeX: 4 significant digits, scientific notation as a power of ten."""
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _signed(value: float) -> str:
    """A number in a sum, with its parentheses when negative."""
    return f"({_num(value)})" if value < 0 else _num(value)


def loss_formula(p: DigitPass) -> str:
    """The loss for this digit as LaTeX, with the real numbers.

    MSE (sigmoid outputs): L = 1/2 Σ_k (a_k - y_k)^2; softmax + cross-entropy: L = -log p_y."""
    if p.loss_name == "cross-entropy":
        return rf"L = -\log p_{{{p.label}}} = -\log {_num(p.output[p.label])} = {_num(p.loss)}"
    terms = " + ".join(f"({_num(a)} - {int(y)})^2" for a, y in zip(p.output, p.target))
    return rf"L = \tfrac12 \sum_k (a_k - y_k)^2 = \tfrac12\left[{terms}\right] = {_num(p.loss)}"


def output_delta_formula(p: DigitPass, k: int) -> str:
    """δ_k of the output layer for class ``k``, its formula with the numbers (LaTeX)."""
    last = p.n_layers - 1
    a, y, delta = p.output[k], p.target[k], p.deltas[last][k]
    name = rf"\delta^{{({last})}}_{{{k}}}"
    if p.loss_name == "cross-entropy":
        return rf"{name} = p_{{{k}}} - y_{{{k}}} = {_num(a)} - {int(y)} = {_num(delta)}"
    return (
        rf"{name} = (a_{{{k}}} - y_{{{k}}})\,a_{{{k}}}(1 - a_{{{k}}}) = "
        rf"({_num(a)} - {int(y)}) \times {_num(a)} \times (1 - {_num(a)}) = {_num(delta)}"
    )


def hidden_delta_formula(p: DigitPass, network: MLP, layer: int, unit: int) -> str:
    """δ of hidden ``unit`` in layer ``layer`` (0 = the first hidden layer): the next layer's
    deltas pulled back through W[layer+1]^T, times f'(z), with the numbers (LaTeX)."""
    weights = np.asarray(network.weights[layer + 1], dtype=np.float64)[unit]  # W[l+1][unit, :]
    upstream = p.deltas[layer + 1]
    pulled = float(upstream @ weights)
    a = p.activations[layer + 1][unit]
    slope = float(network.activation.derivative(np.array([a]), np.empty(1))[0])  # f'(z) through a
    shown = top_units(upstream * weights, 3)
    terms = [rf"{_signed(upstream[k])} \times {_signed(weights[k])}" for k in sorted(shown)]
    more = r" + \dots" if len(upstream) > len(shown) else ""
    f = SYMBOLS[p.activation_name]
    lines = [  # one product per line: the formula stays narrow enough for a phone
        rf"\delta^{{({layer})}}_{{{unit}}} &= "
        rf"\Big(\sum_k \delta^{{({layer + 1})}}_k W^{{({layer + 1})}}_{{{unit},k}}\Big)\, {f}'(z_{{{unit}}})",
        rf"&= \big({terms[0]}",
        *(rf"&\qquad + {term}" for term in terms[1:]),
        rf"&\qquad{more}\big) \times {_num(slope)}" if more else rf"&\big) \times {_num(slope)}",
        rf"&= {_num(pulled)} \times {_num(slope)} = {_num(p.deltas[layer][unit])}",
    ]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def weight_gradient_formula(p: DigitPass, layer: int, row: int, unit: int) -> str:
    """dLoss/dW[layer][row, unit] = a_row · δ_unit, with the numbers (LaTeX)."""
    a, delta = p.activations[layer][row], p.deltas[layer][unit]
    return (
        rf"\frac{{\partial L}}{{\partial W^{{({layer})}}_{{{row},{unit}}}}} = a^{{({layer})}}_{{{row}}}\,"
        rf"\delta^{{({layer})}}_{{{unit}}} = {_num(a)} \times {_signed(delta)}"
        rf" = {_num(p.grad_weights[layer][row, unit])}"
    )


# ------------------------------------------------------------------ the gradient check


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


# ------------------------------------------------------------------ taking steps on a copy


class StepLab:
    """Plain SGD steps on one digit, on a float64 copy of a model (the model is never touched).

    ``losses[0]`` is the loss before any step, ``losses[-1]`` the current one; ``reset``
    goes back to the model's own weights. ``MAX_STEPS`` steps at most, then reset."""

    def __init__(self, network: MLP, x: np.ndarray, label: int):
        self.original = network
        self.x = np.asarray(x, dtype=np.float64).reshape(-1)
        self.label = int(label)
        self.reset()

    def reset(self) -> None:
        self.network = float64_copy(self.original)
        self.losses = [digit_pass(self.network, self.x, self.label).loss]
        self.first_weights = self.network.weights[0].copy()

    @property
    def steps(self) -> int:
        return len(self.losses) - 1

    def step(self, lr: float) -> DigitPass:
        """One SGD step W <- W - lr dL/dW (and biases) on this digit; returns the pass after it."""
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
        if self.steps >= MAX_STEPS:
            raise ValueError(f"at most {MAX_STEPS} steps on one digit: press Reset to start again")
        x, y = self.x[None, :], one_hot(self.label, self.network.layer_sizes[-1])[None, :]
        train_step(self.network, SGD(self.network.update_arrays()[0]), x, y, lr)
        after = self.current()
        self.losses.append(after.loss)
        return after

    def current(self) -> DigitPass:
        return digit_pass(self.network, self.x, self.label)

    def first_layer_change(self) -> np.ndarray:
        """W[0] now minus W[0] of the model (784, H1): what the steps changed."""
        return self.network.weights[0] - self.first_weights


# ------------------------------------------------------------------ from the page to the code


@cache
def source_of(function: Callable) -> str:
    """The source code of an engine function, for the page's "in the code" panels."""
    return inspect.getsource(function)


def qualified_name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def shown_units(values: Sequence[float] | np.ndarray, limit: int = 32) -> np.ndarray:
    """Which units of a layer to list one by one: all of a layer of up to ``limit`` units,
    else the ``limit`` with the largest |value|, in unit order."""
    values = np.asarray(values)
    if values.size <= limit:
        return np.arange(values.size)
    return np.sort(top_units(values, limit))
