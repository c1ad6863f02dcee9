"""One digit through the network, forward and backward, with every number: the Backprop page's maths.

The page shows what ``MLP.gradients_for`` computes for a single digit: each layer's
pre-activations ``zs[l]`` and activations ``activations[l+1]``, the loss, each layer's
``deltas[l]`` = dLoss/dz and the gradients dLoss/dW[l], dLoss/db[l]; then lets a learner
take plain SGD steps on a *copy* of the model (``StepLab``). ``formulas`` writes each step
as LaTeX with the real numbers in it; ``gradient_check`` checks backprop against central
finite differences.

Everything here works in float64 on a float64 copy of the network: the page's numbers are
then exact to the digits shown, and finite differences are meaningful. The model it came
from is never written to.

Deliberate limits: one digit at a time (a batch of one), the networks ``mnistcore`` makes;
no Streamlit (the page wires these to widgets; ``mnistcore.charts.backprop`` draws them).
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

MAX_STEPS = 200  # SGD steps one visitor can take on the page's copy before a reset


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
