"""Shuffled minibatches for the trainer, gathered into two buffers that every step reuses.

Each batch is gathered from the training arrays (``np.take(..., out=)``) rather than from a
shuffled copy of the whole training set, which would double the memory held per run. For
MNIST loaded by ``mnistcore.engine.data`` the gather reads the original bytes and divides
them by 255 into the float buffer: a quarter of the memory traffic, and values identical
to the loaded floats (profiling showed the float gather as the largest single cost of a
small network's step).
"""

from __future__ import annotations

import numpy as np

from mnistcore.engine.data import scale_pixels


class Batches:
    """Shuffled minibatches, copied into two preallocated buffers; a new order every epoch.

    Parameters
    ----------
    images : (n, 784) inputs: floats, or uint8 pixel bytes 0..255 (as ``Mnist.train_pixels``)
    labels : (n,) int labels
    n_classes : width of the one-hot targets; batch : rows per batch
    dtype : dtype of the batches (the network's); rng : draws each epoch's order

    Bytes are gathered into a byte buffer and scaled with the loader's own call: a quarter
    of the memory traffic of gathering floats, and the same values as ``Mnist.val_x``'s.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, n_classes: int, batch: int, dtype, rng):
        self.images, self.batch, self.rng = images, batch, rng
        self.byte_batch = np.empty((batch, images.shape[1]), np.uint8) if images.dtype == np.uint8 else None
        self.x = np.empty((batch, images.shape[1]), dtype)
        self.y = np.empty((batch, n_classes), dtype)
        self.targets = np.eye(n_classes, dtype=dtype)[labels]  # one-hot, (n, 10): small
        self.order, self.pos = rng.permutation(len(images)), 0

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """The next (x (batch, 784), one-hot y (batch, n_classes)): the same two buffers
        every call, overwritten by the next one."""
        if self.pos + self.batch > len(self.order):  # a new epoch: reshuffle (a partial last batch is dropped)
            self.order, self.pos = self.rng.permutation(len(self.order)), 0
        rows = self.order[self.pos : self.pos + self.batch]
        self.pos += self.batch
        # mode="clip": the rows are a permutation's, always in range; the default "raise"
        # would gather into a temporary and copy that into out (10% of the gather's time).
        if self.byte_batch is not None:
            self.images.take(rows, axis=0, out=self.byte_batch, mode="clip")
            scale_pixels(self.byte_batch, self.x)  # the loader's float32 values; a float64 buffer gets them cast
        elif self.images.dtype == self.x.dtype:
            self.images.take(rows, axis=0, out=self.x, mode="clip")
        else:  # e.g. a float64 run on float32 images: np.take(out=) cannot cast
            self.x[...] = self.images[rows]
        self.targets.take(rows, axis=0, out=self.y, mode="clip")
        return self.x, self.y
