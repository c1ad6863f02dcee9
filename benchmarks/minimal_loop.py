"""Yardsticks for the engine's speed: the same training work written as plainly as possible.

The work, identical for every contender: a 784-H-10 network, ReLU hidden layer, softmax
output with cross-entropy, plain SGD, batches of 100, float32 throughout.

* ``numpy_minimal``: the loop a NumPy user would write in twenty lines, with whatever
  temporaries the expressions create. ``shuffle=False`` walks the training set in its
  stored order, one contiguous slice per batch (no copy at all: the cheapest possible
  data access, but not the same work as shuffled SGD); ``shuffle=True`` draws a fresh
  permutation every epoch and gathers each batch's rows, as the engine does.
* ``torch_minimal``: the same network and loop in PyTorch on the CPU, when torch can be
  imported (it is never a requirement of this project).

Each function returns the seconds spent in the training loop proper (set-up excluded).
Deliberate limits: no evaluation, no logging, no schedule: these loops are measuring
sticks, not trainers.
"""

from __future__ import annotations

import time

import numpy as np


def _he_layer(rng: np.random.Generator, fan_in: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
    weights = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
    return weights.astype(np.float32), np.zeros(fan_out, np.float32)


def _batch_rows(n: int, batch: int, steps: int, shuffle: bool, rng: np.random.Generator):
    """Yield, per step, either a slice (contiguous) or an index array (shuffled)."""
    per_epoch = n // batch
    order = rng.permutation(n)
    for step in range(steps):
        k = step % per_epoch
        if not shuffle:
            yield slice(k * batch, (k + 1) * batch)
            continue
        if k == 0 and step:
            order = rng.permutation(n)
        yield order[k * batch : (k + 1) * batch]


def numpy_minimal(
    images: np.ndarray, onehot: np.ndarray, hidden: int, steps: int, batch: int = 100, shuffle: bool = False
) -> float:
    """Train 784-hidden-10 for ``steps`` SGD steps; return the loop's seconds.

    images : (n, 784) float32; onehot : (n, 10) float32 targets.
    """
    rng = np.random.default_rng(0)
    w1, b1 = _he_layer(rng, images.shape[1], hidden)
    w2, b2 = _he_layer(rng, hidden, onehot.shape[1])
    lr = np.float32(0.1)
    rows = _batch_rows(len(images), batch, steps, shuffle, rng)
    start = time.perf_counter()
    for index in rows:
        x, y = images[index], onehot[index]
        h = np.maximum(x @ w1 + b1, 0)
        z = h @ w2 + b2
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dz = (p - y) / batch  # softmax + cross-entropy: the gradient at the output is p - y
        dh = (dz @ w2.T) * (h > 0)
        w2 -= lr * (h.T @ dz)
        b2 -= lr * dz.sum(axis=0)
        w1 -= lr * (x.T @ dh)
        b1 -= lr * dh.sum(axis=0)
    return time.perf_counter() - start


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_minimal(
    images: np.ndarray, labels: np.ndarray, hidden: int, steps: int, batch: int = 100, shuffle: bool = False
) -> float:
    """The same work in PyTorch on the CPU; return the loop's seconds. Needs torch."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(images.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_all, y_all = torch.from_numpy(np.array(images)), torch.from_numpy(labels.astype(np.int64))  # writable copies
    rows = list(_batch_rows(len(images), batch, steps, shuffle, np.random.default_rng(0)))
    if shuffle:
        rows = [torch.from_numpy(r) for r in rows]
    start = time.perf_counter()
    for index in rows:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_all[index]), y_all[index])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start
