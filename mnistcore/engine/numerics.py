"""Keeping training on the CPU's fast path: no subnormal numbers in the arrays it multiplies.

A float32 holds normal numbers down to about 1.2e-38 (``np.finfo(np.float32).tiny``).
Below that come the *subnormal* numbers, down to 1.4e-45, which give up precision to reach
further towards zero. Many CPUs (Intel's among them) handle an instruction with a subnormal
operand or result in microcode, tens of times slower than normal; one subnormal in a SIMD
vector is enough. On such a CPU, a 784-800-10 ReLU network from the seed's uniform [-1, 1]
init trained at a third of the speed of the same network from He init: its confident softmax
gave probabilities under 1e-38, and ``x.T @ delta`` took the slow path.

Training makes such tiny numbers in a few places, never where they change the result:

* softmax probabilities of classes the network rules out (``exp`` of a very negative number);
* deltas multiplied by many small derivatives, layer after layer (deep sigmoid networks);
* optimizer state decaying by a constant factor each step (momentum's velocity, Adam's moment
  estimates) for weights whose gradient has become zero, such as those of dead ReLU units.

So those places set values under ``FLUSH_BELOW`` = 1e-30 to exactly zero. Why that changes
nothing that matters: a float32 weight of size 0.01 is resolved to about 1e-9, so an update
carrying a factor 1e-30 is lost in rounding anyway, for SGD and momentum alike; Adam divides by
sqrt(v) + eps with eps = 1e-8, so a moment under 1e-30 moves its step by less than float32
can show. And a probability under 1e-30 sits 22 orders of magnitude below the float32
resolution of its row, whose entries sum to 1. Gradient checks in float64 see no difference
(tests/test_numerics.py, tests/test_backprop.py).

Values above the bound, and exact zeros, are left bit for bit as they were: a run that never
makes such tiny numbers (the ``seed`` preset) is identical to one without the flush.

Deliberate limits: the flush runs where tiny numbers are born, not after every operation;
an unusual network can still make a few subnormals (a product of two tiny, unflushed factors
inside a matrix product), which cost time but never change the result.
"""

from __future__ import annotations

import numpy as np

FLUSH_BELOW = 1e-30
"""Magnitudes under this are set to zero where training makes them (see the module docstring)."""

STATE_FLUSH_EVERY = 16
"""Optimizers flush their state every this many steps: a value decaying by 0.9 a step takes
about 170 steps to fall from 1e-30 into the subnormal range, so it is zero long before."""


def flush_tiny(a: np.ndarray, below: float = FLUSH_BELOW) -> np.ndarray:
    """Set the entries of ``a`` with magnitude under ``below`` to exactly zero, in place.

    Zero is the value a CPU in flush-to-zero mode would give them, without the slow path
    that subnormal numbers take on many CPUs. Returns ``a``.
    """
    np.copyto(a, 0.0, where=np.abs(a) < below)
    return a


def flush_tiny_nonnegative(a: np.ndarray, below: float = FLUSH_BELOW) -> np.ndarray:
    """``flush_tiny`` for arrays that are never negative (probabilities, squared gradients):
    one comparison instead of two passes. Returns ``a``."""
    np.copyto(a, 0.0, where=a < below)
    return a


def count_subnormal(a: np.ndarray) -> int:
    """How many entries of a float array are subnormal: non-zero, under the dtype's smallest normal."""
    magnitude = np.abs(a)
    return int(np.count_nonzero((magnitude > 0) & (magnitude < np.finfo(a.dtype).tiny)))
