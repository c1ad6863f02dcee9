"""Hidden-layer activation functions, each with its derivative right beside it.

Every activation works in place on a preallocated array, because training calls them
thousands of times a second and fresh allocations would cost more than the maths.
Derivatives are written in terms of the activation's *output* ``a = f(z)``: backprop
already keeps the outputs, so it never needs the pre-activations ``z`` again.

Deliberate limits: element-wise activations only (no maxout, no batch norm), and only
the three the dashboard offers. Add one by adding an entry to ``ACTIVATIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + e^-z), written through tanh so it never overflows.

    The seed computed ``1 / (1 + np.exp(-z))``, which warns with an overflow for
    z < -88 in float32. The identity sigmoid(z) = (1 + tanh(z / 2)) / 2 is exact and
    tanh saturates quietly at ±1.
    """
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def sigmoid_derivative(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d sigmoid / dz = a (1 - a), from the output a. (The seed's e^z / (e^z + 1)^2 is the same.)"""
    np.subtract(1.0, a, out=out)
    out *= a
    return out


def tanh(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent: a sigmoid centred on zero, range (-1, 1)."""
    return np.tanh(z, out=out)


def tanh_derivative(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d tanh / dz = 1 - a^2."""
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


def relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Rectified linear unit max(0, z): no saturation for positive inputs, so it learns fast."""
    return np.maximum(z, 0.0, out=out)


def relu_derivative(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d relu / dz = 1 where the unit was active (a > 0), else 0."""
    return np.greater(a, 0.0, out=out, casting="unsafe")


@dataclass(frozen=True)
class Activation:
    """An activation and its derivative (expressed through the output ``a``)."""

    name: str
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative),
    "tanh": Activation("tanh", tanh, tanh_derivative),
    "relu": Activation("relu", relu, relu_derivative),
}
