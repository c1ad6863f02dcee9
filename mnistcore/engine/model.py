"""A trained model: the network with the config, history and snapshots that made it.

``TrainedModel`` saves and loads itself through ``checkpoint`` (the ``.npz`` format, and every
check a stranger's file passes before it is believed). Here: the model's ``fingerprint``
(a key of its whole content, from an injective encoding of it), the size its checkpoint
will have (``estimated_checkpoint_bytes``), and training one on MNIST (``trainer_for``,
``finish``, ``train``).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from mnistcore.engine import checkpoint
from mnistcore.engine.config import N_INPUTS, TrainConfig, parameter_count
from mnistcore.engine.data.datasets import DatasetMismatchError, dataset_named
from mnistcore.engine.history import History
from mnistcore.engine.network import MLP
from mnistcore.engine.trainer import N_SNAPSHOTS, RunResult, RunStatus, Trainer


def percent(value: float | None, digits: int = 2, missing: str = "not measured") -> str:
    """An accuracy (or any share in [0, 1]) as the pages and the CLI show it: ``97.87%``;
    ``missing`` for None or NaN (how an accuracy that was not measured is kept)."""
    if value is None or not math.isfinite(value):
        return missing
    return f"{100 * value:.{digits}f}%"


def estimated_checkpoint_bytes(config: TrainConfig) -> int:
    """Uncompressed size of this config's checkpoint: the parameters plus the first-layer
    weight snapshots the trainer keeps (``N_SNAPSHOTS + 1`` copies of a (784, H1) array)."""
    itemsize = np.dtype(config.dtype).itemsize
    snapshot_values = (N_SNAPSHOTS + 1) * N_INPUTS * config.hidden[0]
    return itemsize * (parameter_count(config) + snapshot_values)


@dataclass
class TrainedModel:
    """A network and where it came from. ``snapshot_weights`` (S, 784, H1) holds the
    first layer's weights at ``snapshot_steps`` (S,), for the Weights page's evolution view."""

    network: MLP
    config: TrainConfig
    history: History = field(default_factory=History)
    snapshot_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    snapshot_weights: np.ndarray | None = None
    status: RunStatus = RunStatus.FINISHED
    test_accuracy: float | None = None
    validation_accuracy: float | None = None
    train_seconds: float = 0.0
    trained_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    name: str = ""

    @property
    def fingerprint(self) -> str:
        """A key of this model's whole content, for results cached for every visitor of the
        server (the Mistakes page's evaluation, the Weights page's snapshot scale).

        It is the SHA-256 (64 hex digits) of ``length_prefixed(content_fields(model))``: a
        format tag, the config as canonical JSON, the number of parameter arrays, then each
        parameter array, the snapshot steps and (after a tag saying whether there are any)
        the snapshot weights, each array as three fields: its dtype, its shape and its bytes.

        Why no two different models share a key, except by a SHA-256 collision: the encoding
        is injective. Every field is written as its length (8 bytes) and then its bytes, so
        the encoding splits back into exactly one sequence of fields; the fields come in a
        fixed order, and what decides how many follow (the number of arrays, whether there
        are snapshot weights) is itself a field, so that sequence reads back into exactly one
        content. The same bytes cut into other shapes, or read as another dtype, are other
        fields and so another encoding. (The 64-bit SHA-1 prefix of the weight bytes alone
        that this replaces gave the default model's bytes re-cut into other layer shapes the
        default model's key, and with it every visitor's cached view of that model.)"""
        digest = hashlib.sha256()
        for chunk in length_prefixed(content_fields(self)):
            digest.update(chunk)
        return digest.hexdigest()

    @classmethod
    def from_trainer(cls, trainer: Trainer, test_accuracy: float | None = None, name: str = "") -> TrainedModel:
        """Collect a finished (or stopped) trainer's network, history and snapshots."""
        steps = np.array([s for s, _ in trainer.snapshots], dtype=np.int64)
        weights = np.stack([w for _, w in trainer.snapshots]) if trainer.snapshots else None
        result: RunResult | None = trainer.result
        return cls(
            network=trainer.network,
            config=trainer.config,
            history=trainer.history,
            snapshot_steps=steps,
            snapshot_weights=weights,
            status=result.status if result else trainer.status,
            test_accuracy=test_accuracy,
            validation_accuracy=result.validation_accuracy if result else None,
            train_seconds=result.train_seconds if result else 0.0,
            name=name,
        )

    # ------------------------------------------------------------------ the checkpoint file
    def save(self, target: str | Path | IO[bytes]) -> None:
        """Write a compressed ``.npz`` checkpoint to a path or a binary file object."""
        checkpoint.save(self, target)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    @classmethod
    def load(cls, source: str | os.PathLike[str] | IO[bytes] | bytes) -> TrainedModel:
        """Read and validate a checkpoint: a path, a binary file object or the file's bytes.

        Raises ``checkpoint.CheckpointError``, and nothing else, for anything but a valid
        checkpoint within that module's limits; its message is one line of at most
        ``checkpoint.MAX_MESSAGE_CHARS``."""
        return cls(**checkpoint.load(source))


def content_fields(model: TrainedModel) -> Iterator[bytes | memoryview]:
    """The fields ``TrainedModel.fingerprint`` hashes, in order (see there)."""
    yield b"mnistcore-model-content-1"
    yield json.dumps(model.config.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    parameters = model.network.parameters()
    yield str(len(parameters)).encode()
    for array in parameters:
        yield from _array_fields(array)
    yield from _array_fields(np.asarray(model.snapshot_steps))
    if model.snapshot_weights is None:
        yield b"no snapshot weights"
    else:
        yield b"snapshot weights"
        yield from _array_fields(model.snapshot_weights)


def _array_fields(array: np.ndarray) -> Iterator[bytes | memoryview]:
    yield array.dtype.str.encode()  # with the byte order: '<f4'
    yield ",".join(map(str, array.shape)).encode()
    yield np.ascontiguousarray(array).reshape(-1).view(np.uint8).data  # no copy when already contiguous


def length_prefixed(fields: Iterable[bytes | memoryview]) -> Iterator[bytes | memoryview]:
    """Each field as its length in bytes (8 bytes, big-endian) followed by its bytes."""
    for item in fields:
        yield len(item).to_bytes(8, "big")  # bytes, or a 1-D memoryview of bytes: len is the byte count
        yield item


def check_dataset(config: TrainConfig, data: Any) -> None:
    """Refuse data from another dataset than ``config``'s: a digit model's accuracy on clothes
    (or the reverse) means nothing. ``data`` without a ``name`` is MNIST (as before)."""
    given = getattr(data, "name", "mnist")
    if given != config.dataset:
        wanted, got = dataset_named(config.dataset).title, dataset_named(given).title
        raise DatasetMismatchError(
            f"this model is for {wanted} but the data given is {got}: a {wanted} model "
            f"is trained and measured on {wanted} only (load {wanted} instead)."
        )


def trainer_for(config: TrainConfig, data: Any, **kwargs: Any) -> Trainer:
    """A Trainer on a loaded ``Mnist``: its 55k training digits (as bytes) and 5k validation digits."""
    check_dataset(config, data)
    return Trainer(config, data.train_pixels, data.train_y, data.val_x, data.val_y, **kwargs)


def finish(trainer: Trainer, data: Any, name: str = "") -> TrainedModel:
    """After ``trainer.run()``: measure the test set once and package the model."""
    check_dataset(trainer.config, data)
    diverged = trainer.result is not None and trainer.result.diverged
    test_accuracy = None if diverged else trainer.network.accuracy(data.test_x, data.test_y)
    return TrainedModel.from_trainer(trainer, test_accuracy, name)


def train(config: TrainConfig, data: Any, name: str = "", **kwargs: Any) -> TrainedModel:
    """Train a network on MNIST from ``config`` in this thread and return the trained model."""
    trainer = trainer_for(config, data, **kwargs)
    trainer.run()
    return finish(trainer, data, name)
