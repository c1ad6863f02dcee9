"""Optimizers and learning-rate schedules, separate from the network so they can be swapped.

An optimizer owns its state (velocities, moment estimates) and its scratch space behind
one method, ``step(params, grads, lr)``, which updates the parameter arrays *in place* and
never writes to the gradients: after a step they still hold dLoss/dparams, so they can be
plotted or checked. Each optimizer is made for the arrays it will update (their shapes and
dtypes size its state and scratch); the scratch keeps a step free of allocations.

A schedule is a pure function ``(base_lr, step, total_steps) -> lr``.

Deliberate limits: the three optimizers the dashboard offers; no gradient clipping
(a diverging run is reported by the trainer instead, which teaches more).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from mnistcore.engine.numerics import STATE_FLUSH_EVERY, flush_tiny, flush_tiny_nonnegative

Array = np.ndarray


class Optimizer(Protocol):
    def step(self, params: Sequence[Array], grads: Sequence[Array], lr: float) -> None: ...

    def last_update(self) -> list[Array]: ...


class SGD:
    """Plain gradient descent: p <- p - lr * g, the update the seed notebook performs."""

    def __init__(self, params: Sequence[Array]):
        self.scratch = [np.empty_like(p) for p in params]

    def step(self, params: Sequence[Array], grads: Sequence[Array], lr: float) -> None:
        for p, g, s in zip(params, grads, self.scratch):
            np.multiply(g, lr, out=s)  # lr * g into our own scratch: no temporary per step
            p -= s

    def last_update(self) -> list[Array]:
        """The last step's change to each parameter array (its negative: lr * g)."""
        return self.scratch


class Momentum:
    """Heavy-ball momentum: v <- mu v - lr g; p <- p + v.

    The velocity averages recent gradients, so steps grow along directions that agree
    from batch to batch and cancel along directions that zig-zag.
    """

    def __init__(self, params: Sequence[Array], momentum: float = 0.9):
        self.momentum = momentum
        self.t = 0
        self.velocities = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]

    def step(self, params: Sequence[Array], grads: Sequence[Array], lr: float) -> None:
        self.t += 1
        for p, g, v, s in zip(params, grads, self.velocities, self.scratch):
            v *= self.momentum
            np.multiply(g, lr, out=s)
            v -= s
            p += v
            if self.t % STATE_FLUSH_EVERY == 0:
                # Where the gradient has become zero (a dead ReLU unit), v shrinks by mu every
                # step towards the subnormal range, where arithmetic is slow on many CPUs: a
                # velocity under 1e-30 moves no float32 weight, so it becomes exactly 0.
                flush_tiny(v)

    def last_update(self) -> list[Array]:
        """The last step's change to each parameter array: the velocity."""
        return self.velocities


class Adam:
    """Adam (Kingma & Ba, 2015): per-parameter steps from running means of g and g².

    m and v estimate the gradient's first and second moments; dividing by sqrt(v) gives
    every weight a step of about lr whatever its gradient's scale. The bias correction
    (1 - beta^t) undoes the zero start of m and v.
    """

    def __init__(self, params: Sequence[Array], beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]

    def step(self, params: Sequence[Array], grads: Sequence[Array], lr: float) -> None:
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        # lr * m_hat / (sqrt(v_hat) + eps), folded so the corrections are scalars
        step_size = lr * math.sqrt(c2) / c1
        eps = self.eps * math.sqrt(c2)
        for p, g, m, v, s in zip(params, grads, self.m, self.v, self.scratch):
            np.multiply(g, 1.0 - self.beta1, out=s)
            m *= self.beta1
            m += s  # m <- beta1 m + (1 - beta1) g
            np.multiply(g, g, out=s)
            s *= 1.0 - self.beta2
            v *= self.beta2
            v += s  # v <- beta2 v + (1 - beta2) g^2
            np.sqrt(v, out=s)
            s += eps
            np.divide(m, s, out=s)
            s *= step_size
            p -= s
            if self.t % STATE_FLUSH_EVERY == 0:
                # m and v shrink by beta1 and beta2 every step where the gradient has become
                # zero, towards the subnormal range, where arithmetic is slow on many CPUs.
                # Against eps = 1e-8, moments under 1e-30 change no step: they become 0.
                flush_tiny(m)
                flush_tiny_nonnegative(v)

    def last_update(self) -> list[Array]:
        """The last step's change to each parameter array (its negative), left in the scratch."""
        return self.scratch


def make_optimizer(name: str, params: Sequence[Array], momentum: float = 0.9) -> Optimizer:
    """The optimizer called ``name`` ('sgd', 'momentum' or 'adam') for these parameters."""
    if name == "sgd":
        return SGD(params)
    if name == "momentum":
        return Momentum(params, momentum)
    if name == "adam":
        return Adam(params)
    raise ValueError(f"optimizer must be one of 'sgd', 'momentum', 'adam'; got {name!r}")


def constant_schedule(base_lr: float, step: int, total_steps: int) -> float:
    """The same learning rate throughout, as in the seed."""
    return base_lr


def cosine_schedule(base_lr: float, step: int, total_steps: int) -> float:
    """Half a cosine from base_lr down to zero at the last step (Loshchilov & Hutter, 2017):
    big steps early to travel, small steps late to settle into a minimum."""
    progress = min(step / max(total_steps, 1), 1.0)
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * progress))


SCHEDULES: dict[str, Callable[[float, int, int], float]] = {
    "constant": constant_schedule,
    "cosine": cosine_schedule,
}
OPTIMIZERS = ("sgd", "momentum", "adam")
