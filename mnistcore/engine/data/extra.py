"""MNIST plus a few digits of the visitor's own, for one training run.

``with_extra_digits`` returns a view of a loaded ``Mnist`` whose training split has the extra
digits appended (each ``repeat`` times, so a handful of drawings is seen more than once per
epoch among 55,000 MNIST digits); validation and test are MNIST's own, untouched, so a run
with extra digits is measured exactly like any other. The shared dataset is never modified:
the longer training array is this object's own copy, made for one run.

Deliberate limits: at most ``MAX_EXTRA_ROWS`` extra rows; the extra digits must already be
MNIST-style bytes (28x28 uint8, white ink on black, centred: what the Draw page keeps).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mnistcore.engine.data.mnist import Mnist

DEFAULT_REPEAT = 10  # each extra digit 10 times: 200 drawings are 2,000 of 57,000 rows
MAX_EXTRA_ROWS = 10_000


@dataclass(frozen=True, eq=False)
class MnistWithExtras:
    """What a trainer reads from an ``Mnist`` (``train_pixels``, ``train_y``, ``val_x``,
    ``val_y``, ``test_x``, ``test_y``), with ``extra_pixels`` (m, 784) uint8 and their
    ``extra_labels`` (m,) appended to the training split."""

    base: Mnist
    extra_pixels: np.ndarray
    extra_labels: np.ndarray

    @cached_property
    def train_pixels(self) -> np.ndarray:
        return np.concatenate([self.base.train_pixels, self.extra_pixels])

    @cached_property
    def train_y(self) -> np.ndarray:
        return np.concatenate([self.base.train_y, self.extra_labels.astype(self.base.train_y.dtype)])

    @property
    def val_x(self) -> np.ndarray:
        return self.base.val_x

    @property
    def val_y(self) -> np.ndarray:
        return self.base.val_y

    @property
    def test_x(self) -> np.ndarray:
        return self.base.test_x

    @property
    def test_y(self) -> np.ndarray:
        return self.base.test_y

    @property
    def n_extra(self) -> int:
        return len(self.extra_labels)


def with_extra_digits(
    data: Mnist, pixels: np.ndarray, labels: np.ndarray, repeat: int = DEFAULT_REPEAT
) -> MnistWithExtras:
    """``data`` with ``pixels`` (m, 784) or (m, 28, 28) uint8 and ``labels`` (m,) in 0..9 added
    to its training split, each ``repeat`` times. ValueError names what is wrong."""
    pixels = np.asarray(pixels)
    labels = np.asarray(labels)
    if pixels.dtype != np.uint8 or pixels.shape[1:] not in ((784,), (28, 28)):
        raise ValueError(f"extra digits must be (m, 784) or (m, 28, 28) uint8, got {pixels.dtype} {pixels.shape}")
    if labels.shape != (len(pixels),) or labels.dtype.kind not in "iu":
        raise ValueError(f"extra labels must be ({len(pixels)},) integers, got {labels.dtype} {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise ValueError("extra labels must be digits 0..9")
    if not 1 <= repeat or len(labels) * repeat > MAX_EXTRA_ROWS:
        raise ValueError(f"at most {MAX_EXTRA_ROWS:,} extra rows, got {len(labels)} digits x {repeat}")
    rows = np.repeat(pixels.reshape(len(pixels), 784), repeat, axis=0)
    return MnistWithExtras(data, rows, np.repeat(labels.astype(np.int64), repeat))
