"""A trained model: the network with the config, history and snapshots that made it,
and its ``.npz`` checkpoint format.

Checkpoints are plain NumPy archives read with ``allow_pickle=False``: only numeric
arrays and one JSON string, never Python objects, so loading a file from a stranger
cannot run code. Loading validates every key, shape, dtype and value and refuses
anything else with a ``CheckpointError`` that says what is wrong.

Deliberate limits: one format version; files over ``MAX_CHECKPOINT_BYTES`` (uncompressed)
are refused, which bounds what a hostile upload can make the server allocate.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np

from mnistcore.config import ConfigError, TrainConfig
from mnistcore.network import MLP
from mnistcore.trainer import History, ProgressEvent, RunResult, Trainer

FORMAT = "mnistcore-checkpoint"
FORMAT_VERSION = 1
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024  # uncompressed; a 784-800-10 model with snapshots is ~25 MB
_HISTORY_KEYS = [f"history/{name}" for name in ProgressEvent.__dataclass_fields__]


class CheckpointError(ValueError):
    """A file that is not a valid mnistcore checkpoint; the message says why."""


@dataclass
class TrainedModel:
    """A network and where it came from. ``snapshot_weights`` (S, 784, H1) holds the
    first layer's weights at ``snapshot_steps`` (S,), for the Weights page's evolution view."""

    network: MLP
    config: TrainConfig
    history: History = field(default_factory=History)
    snapshot_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    snapshot_weights: np.ndarray | None = None
    status: str = "finished"
    test_accuracy: float | None = None
    validation_accuracy: float | None = None
    train_seconds: float = 0.0
    trained_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    name: str = ""

    @property
    def fingerprint(self) -> str:
        """A short hash of the weights: a cache key for results derived from this model."""
        digest = hashlib.sha1(f"{self.config.activation}/{self.config.loss}".encode())
        for array in self.network.parameters():
            digest.update(np.ascontiguousarray(array).data)
        return digest.hexdigest()[:16]

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

    # ------------------------------------------------------------------ saving
    def save(self, target: str | Path | IO[bytes]) -> None:
        """Write a compressed ``.npz`` checkpoint to a path or a binary file object."""
        arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(self._meta()))}
        for l, (w, b) in enumerate(zip(self.network.weights, self.network.biases)):
            arrays[f"weights/{l}"] = w
            arrays[f"biases/{l}"] = b
        for name, column in self.history.to_columns().items():
            arrays[f"history/{name}"] = column
        arrays["snapshots/steps"] = self.snapshot_steps.astype(np.int64)
        if self.snapshot_weights is not None:
            arrays["snapshots/weights"] = self.snapshot_weights
        np.savez_compressed(target, **arrays)  # type: ignore[arg-type]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    def _meta(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "status": self.status,
            "test_accuracy": self.test_accuracy,
            "validation_accuracy": self.validation_accuracy,
            "train_seconds": self.train_seconds,
            "trained_at": self.trained_at,
            "name": self.name,
        }

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, source: str | Path | IO[bytes] | bytes) -> TrainedModel:
        """Read and validate a checkpoint; raises CheckpointError for anything else."""
        if isinstance(source, (bytes, bytearray)):
            source = io.BytesIO(source)
        try:
            loaded = np.load(source, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):  # a bare .npy array has no `with` support
                raise CheckpointError("not a checkpoint: expected an .npz archive of named arrays, got a single array")
            with loaded as archive:
                _check_size(archive)
                arrays = {key: archive[key] for key in archive.files}
        except CheckpointError:
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            raise CheckpointError(f"not a readable .npz checkpoint: {_unreadable_reason(exc)}") from None
        return _from_arrays(arrays)


def _unreadable_reason(exc: Exception) -> str:
    """Why np.load failed, without NumPy's hint to load pickled data unsafely."""
    text = str(exc)
    if "Object arrays cannot be loaded" in text:
        return "it holds Python objects (object arrays), which are never loaded"
    if "pickled" in text:
        return "it is not a NumPy .npz archive (pickled Python objects are never loaded)"
    return text


def _check_size(archive: Any) -> None:
    zip_file = getattr(archive, "zip", None)
    if zip_file is None:
        raise CheckpointError("not a checkpoint: expected an .npz archive of named arrays, got a single array")
    total = sum(info.file_size for info in zip_file.infolist())
    if total > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"checkpoint too large: {total / 1e6:.0f} MB uncompressed, the limit is {MAX_CHECKPOINT_BYTES / 1e6:.0f} MB"
        )


def _from_arrays(arrays: dict[str, np.ndarray]) -> TrainedModel:
    meta = _read_meta(arrays)
    try:
        config = TrainConfig.from_dict(meta["config"])
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"checkpoint config is invalid: {exc}") from None
    sizes = config.layer_sizes
    expected = {"meta", "snapshots/steps", "snapshots/weights", *_HISTORY_KEYS}
    expected |= {f"{kind}/{l}" for kind in ("weights", "biases") for l in range(len(sizes) - 1)}
    unknown = set(arrays) - expected
    missing = (expected - {"snapshots/weights"}) - set(arrays)
    if unknown or missing:
        raise CheckpointError(
            f"checkpoint keys do not match its config: unexpected {sorted(unknown)}, missing {sorted(missing)}"
        )
    weights = [_checked(arrays, f"weights/{l}", (sizes[l], sizes[l + 1])) for l in range(len(sizes) - 1)]
    biases = [_checked(arrays, f"biases/{l}", (sizes[l + 1],)) for l in range(len(sizes) - 1)]
    dtype = np.dtype(config.dtype)
    network = MLP([w.astype(dtype) for w in weights], [b.astype(dtype) for b in biases], config.activation, config.loss)
    history = _read_history(arrays)
    steps = arrays["snapshots/steps"]
    snapshot_weights = None
    if "snapshots/weights" in arrays:
        snapshot_weights = _checked(arrays, "snapshots/weights", (len(steps), sizes[0], sizes[1]))
    if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer):
        raise CheckpointError("snapshots/steps must be a 1-D array of integers")
    return TrainedModel(
        network=network,
        config=config,
        history=history,
        snapshot_steps=steps.astype(np.int64),
        snapshot_weights=snapshot_weights,
        status=str(meta.get("status", "finished")),
        test_accuracy=_optional_float(meta, "test_accuracy"),
        validation_accuracy=_optional_float(meta, "validation_accuracy"),
        train_seconds=float(meta.get("train_seconds") or 0.0),
        trained_at=str(meta.get("trained_at", "")),
        name=str(meta.get("name", "")),
    )


def _read_meta(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    raw = arrays.get("meta")
    if raw is None or raw.shape != () or raw.dtype.kind != "U":
        raise CheckpointError("not an mnistcore checkpoint: the 'meta' entry is missing or not text")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint metadata is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError("not an mnistcore checkpoint: wrong format tag in 'meta'")
    if meta.get("version") != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format version {meta.get('version')!r} is not supported (this version reads {FORMAT_VERSION})"
        )
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError("checkpoint metadata has no config")
    return meta


def _checked(arrays: dict[str, np.ndarray], key: str, shape: tuple[int, ...]) -> np.ndarray:
    array = arrays[key]
    if array.shape != shape:
        raise CheckpointError(f"{key} has shape {array.shape}, expected {shape} for this config")
    if array.dtype.kind != "f":
        raise CheckpointError(f"{key} must hold floating-point numbers, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise CheckpointError(f"{key} contains NaN or infinite values")
    return array


def _read_history(arrays: dict[str, np.ndarray]) -> History:
    columns = {key.split("/", 1)[1]: arrays[key] for key in _HISTORY_KEYS}
    lengths = {c.shape for c in columns.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise CheckpointError("history columns must be 1-D arrays of one common length")
    if any(c.dtype.kind != "f" for c in columns.values()):
        raise CheckpointError("history columns must be floating-point arrays")
    return History.from_columns(columns)


def _optional_float(meta: dict[str, Any], key: str) -> float | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CheckpointError(f"checkpoint metadata {key} must be a number, got {value!r}")
    return float(value)


def trainer_for(config: TrainConfig, data: Any, **kwargs: Any) -> Trainer:
    """A Trainer on a loaded ``Mnist``: its 55k training digits (as bytes) and 5k validation digits."""
    return Trainer(config, data.train_pixels, data.train_y, data.val_x, data.val_y, **kwargs)


def finish(trainer: Trainer, data: Any, name: str = "") -> TrainedModel:
    """After ``trainer.run()``: measure the test set once and package the model."""
    diverged = trainer.result is not None and trainer.result.diverged
    test_accuracy = None if diverged else trainer.network.accuracy(data.test_x, data.test_y)
    return TrainedModel.from_trainer(trainer, test_accuracy, name)


def train(config: TrainConfig, data: Any, name: str = "", **kwargs: Any) -> TrainedModel:
    """Train a network on MNIST from ``config`` in this thread and return the trained model."""
    trainer = trainer_for(config, data, **kwargs)
    trainer.run()
    return finish(trainer, data, name)
