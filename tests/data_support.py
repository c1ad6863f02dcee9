"""Small MNIST-shaped IDX files for the data tests: made in memory, written where a test wants them."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from mnistcore.engine.data import FILES


def idx_bytes(array: np.ndarray, dtype_code: int = 0x08) -> bytes:
    """Encode a uint8 array as IDX: 0, 0, dtype code, ndim, big-endian dims, payload."""
    header = bytes([0, 0, dtype_code, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def fake_images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


def fake_labels(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 10, count, dtype=np.uint8)


def fake_mnist_files() -> dict[str, bytes]:
    """Small valid IDX content for the four file names (train images span 2 chunks)."""
    return {
        FILES["train_images"]: idx_bytes(fake_images(120, seed=1)),
        FILES["train_labels"]: idx_bytes(fake_labels(120, seed=2)),
        FILES["test_images"]: idx_bytes(fake_images(7, seed=3)),
        FILES["test_labels"]: idx_bytes(fake_labels(7, seed=4)),
    }


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def write_set(directory: Path, contents: dict[str, bytes], compress: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        target = directory / (f"{name}.gz" if compress else name)
        target.write_bytes(gzip.compress(content, mtime=0) if compress else content)


def touch_set(directory: Path) -> Path:
    """A directory where all four names exist (content irrelevant to find_data_dir)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILES.values():
        (directory / f"{name}.gz").write_bytes(b"")
    return directory


def corrupt_gzip(content: bytes) -> bytes:
    packed = bytearray(gzip.compress(content))
    packed[len(packed) // 2] ^= 0xFF  # damages the deflate stream or its CRC
    return bytes(packed)
