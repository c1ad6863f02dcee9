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

Values above the bound (and NaN, and infinities) are left bit for bit as they were, and a
zero becomes +0: a run that never makes such tiny numbers (the ``seed`` preset) is identical
to one without the flush.

The flush is arithmetic, not a copy through a mask: a masked copy branches on every entry, and
a ReLU layer's delta is about half zeros in no regular pattern, so the branches mispredicted
and the flush of a 100 x 640 delta took 190 µs, a tenth of a ``sprint`` step. Multiplying by
the comparison's 0 or 1, then adding +0 (which turns -0 into +0 and changes nothing else),
gives the same bits in about 20 µs.

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

MASKED_COPY_UP_TO = 4096
"""Arrays up to this size are flushed by a masked copy: on a few thousand entries its
mispredicted branches cost less than the arithmetic's extra passes (the seed's 100 x 16 delta)."""


def flush_tiny(a: np.ndarray, below: float = FLUSH_BELOW) -> np.ndarray:
    """Set the entries of ``a`` with magnitude under ``below`` to exactly zero, in place.

    Zero is the value a CPU in flush-to-zero mode would give them, without the slow path
    that subnormal numbers take on many CPUs. Returns ``a``.
    """
    return _zero_where(np.abs(a) < below, a)


def _zero_where(small: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Set ``a`` to +0 where ``small`` is true, in place (see the module docstring for why by
    arithmetic); with nothing to flush, as in most steps of a sigmoid network, no more passes."""
    if a.size <= MASKED_COPY_UP_TO:
        np.copyto(a, 0.0, where=small)
    elif small.any():
        np.logical_not(small, out=small)
        a *= small  # the small entries become +0 or -0, the others are multiplied by 1 ...
        a += 0.0  # ... and -0 + 0 is +0 while x + 0 is x: what copying 0.0 into them would give
    return a


def flush_tiny_nonnegative(a: np.ndarray, below: float = FLUSH_BELOW) -> np.ndarray:
    """``flush_tiny`` for arrays that are never negative (probabilities, squared gradients):
    one comparison instead of two passes. Returns ``a``."""
    return _zero_where(a < below, a)


def count_subnormal(a: np.ndarray) -> int:
    """How many entries of a float array are subnormal: non-zero, under the dtype's smallest normal."""
    magnitude = np.abs(a)
    return int(np.count_nonzero((magnitude > 0) & (magnitude < np.finfo(a.dtype).tiny)))
