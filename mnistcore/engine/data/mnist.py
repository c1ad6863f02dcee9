"""The MNIST dataset in memory: all 70,000 digits as their bytes, and the standard splits.

``load_mnist`` finds the four files (``files``: the argument, ``$MNIST_DATA_DIR``, the cache;
downloading into the cache when they are nowhere), checks the SHA-256 of each decompressed
file, parses them (``idx``) and returns the whole set as one uint8 buffer of shape
(70000, 784), the bytes as the files hold them: the 60,000 training rows first, then the
10,000 test rows. Keeping bytes, not floats, saves 165 MB in every process that loads MNIST
(a web server holds it all its life); the trainer gathers each batch from the bytes (a
quarter of the memory traffic) and scales it with ``scale_pixels``, and the validation and
test splits become float32 once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from mnistcore.engine.data import files
from mnistcore.engine.data.datasets import MNIST, Dataset, dataset_named
from mnistcore.engine.data.files import FILES, ProgressCallback, existing_file, sha256_hex
from mnistcore.engine.data.idx import (
    IMAGE_SIDE,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    N_CLASSES,
    DataError,
    DataNotFoundError,
    parse_idx,
    read_bytes,
)

__all__ = ["VALIDATION_SIZE", "Mnist", "load_dataset", "load_mnist", "one_hot", "scale_pixels"]

VALIDATION_SIZE = 5000
_TRAIN_COUNT = 60_000


# --------------------------------------------------------------------------- the dataset


def one_hot(labels: np.ndarray, n_classes: int = N_CLASSES, dtype=np.float32) -> np.ndarray:
    """Encode integer class labels as one-hot rows.

    Parameters
    ----------
    labels : np.ndarray, shape (n,)
        Integers in ``0 .. n_classes-1``.

    Returns
    -------
    np.ndarray, shape (n, n_classes)
        Zeros with a single 1 per row, at the label's column.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-d integer array, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    encoded = np.zeros((labels.size, n_classes), dtype=dtype)
    encoded[np.arange(labels.size), labels] = 1
    return encoded


def scale_pixels(codes: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Pixel bytes 0..255 as float32 in [0, 1], written into ``out`` when given.

    Every float image in the project goes through this one call (the dataset's splits, the
    trainer's batches), so the same pixel always becomes the same float, bit for bit.
    """
    # Division (not * 1/255) maps 255 to exactly 1.0; out= avoids a temporary copy.
    return np.divide(codes, np.float32(255), out=out)


def _as_floats(codes: np.ndarray) -> np.ndarray:
    floats = scale_pixels(codes)
    floats.flags.writeable = False
    return floats


@dataclass(frozen=True, eq=False)
class Mnist:
    """All of MNIST as the files hold it, bytes 0..255, with the standard splits.

    The bytes take 55 MB; as float32 they would take 220 MB. So the trainer gathers its
    batches from ``train_pixels`` and scales each batch, and the float splits are made on
    first use and then kept: ``val_x`` (16 MB) and ``test_x`` (31 MB) for every run and
    page, ``train_x`` (172 MB) only for code that wants all training floats at once.

    Attributes
    ----------
    pixels : np.ndarray, shape (n_total, 784), uint8, read-only
        Original training file first (``n_train`` rows), then the test file.
    labels : np.ndarray, shape (n_total,), int64
    n_train : int
        Rows that came from the training file (60,000 for real MNIST).
    n_val : int
        Leading training rows held out for validation (the usual first 5,000).
    name : str
        Which dataset these are (``datasets.DATASETS``): 'mnist' or 'fashion-mnist'.
    """

    pixels: np.ndarray
    labels: np.ndarray
    n_train: int = _TRAIN_COUNT
    n_val: int = VALIDATION_SIZE
    name: str = MNIST.name

    one_hot = staticmethod(one_hot)

    def __post_init__(self) -> None:
        if self.pixels.dtype != np.uint8:
            raise ValueError(f"pixels must be uint8 bytes 0..255, got {self.pixels.dtype}")
        if self.pixels.ndim != 2 or self.labels.shape != (self.pixels.shape[0],):
            raise ValueError(
                f"pixels must be (n, features) and labels (n,), got {self.pixels.shape} and {self.labels.shape}"
            )
        if not 0 <= self.n_val <= self.n_train <= self.pixels.shape[0]:
            raise ValueError(
                f"need 0 <= n_val ({self.n_val}) <= n_train ({self.n_train}) <= rows ({self.pixels.shape[0]})"
            )

    @property
    def info(self) -> Dataset:
        """The dataset's description: title, class names, checksums."""
        return dataset_named(self.name)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.info.class_names

    @property
    def train_pixels(self) -> np.ndarray:
        """Training images as bytes, shape (n_train - n_val, 784): rows n_val:n_train."""
        return self.pixels[self.n_val : self.n_train]

    @cached_property
    def train_x(self) -> np.ndarray:
        """Training images, float32 in [0, 1]: 172 MB, made on first use (the trainer does not)."""
        return _as_floats(self.train_pixels)

    @property
    def train_y(self) -> np.ndarray:
        return self.labels[self.n_val : self.n_train]

    @cached_property
    def val_x(self) -> np.ndarray:
        """Validation images, float32 in [0, 1]: the first ``n_val`` rows of the training file."""
        return _as_floats(self.pixels[: self.n_val])

    @property
    def val_y(self) -> np.ndarray:
        return self.labels[: self.n_val]

    @cached_property
    def test_x(self) -> np.ndarray:
        """Test images, float32 in [0, 1]: the t10k file."""
        return _as_floats(self.pixels[self.n_train :])

    @property
    def test_y(self) -> np.ndarray:
        return self.labels[self.n_train :]


# --------------------------------------------------------------------------- loading


def _load_verified(directory: Path, name: str, magic: int, verify: bool, dataset: Dataset = MNIST) -> np.ndarray:
    """Read one file from ``directory``, check its checksum if asked, parse it."""
    path = existing_file(directory, name)
    if path is None:
        raise DataNotFoundError(f"{dataset.title} file {name} vanished from {directory}")
    content = read_bytes(path)
    expected = dataset.sha256[name]
    if verify and sha256_hex(content) != expected:
        raise DataError(
            f"{path} does not hold the real {dataset.title} {name}: its SHA-256 is "
            f"{sha256_hex(content)}, expected {expected}. Delete it and load again "
            f"to re-download, or replace it by hand."
        )
    return parse_idx(content, str(path), expected_magic=magic)


def _locate_or_download(
    data_dir: str | Path | None,
    download_missing: bool,
    progress: ProgressCallback | None,
    dataset: Dataset = MNIST,
) -> Path:
    """The data directory; downloads into the cache when nothing is found.

    Looks up ``files.find_data_dir``, ``files.default_cache_dir`` and ``files.download``
    when called, so that one stand-in for any of them (in tests) serves the whole package.
    MNIST calls them as before the datasets were many (stand-ins of that form keep working)."""
    more: dict[str, Any] = {} if dataset is MNIST else {"dataset": dataset}
    directory = files.find_data_dir(data_dir, **more)
    if directory is not None:
        return directory
    cache = files.default_cache_dir(**more)
    if not download_missing:
        raise DataNotFoundError(
            f"{dataset.title} not found (${dataset.env_var} is unset and {cache} is incomplete).\n"
            f"{files.manual_install_help(cache, dataset)}"
        )
    return files.download(cache, progress=progress, **more)


def load_mnist(
    data_dir: str | Path | None = None,
    *,
    download_missing: bool = True,
    progress: ProgressCallback | None = None,
    verify: bool = True,
    dataset: str = MNIST.name,
) -> Mnist:
    """Load all 70,000 MNIST digits (or Fashion-MNIST's clothes) as one read-only uint8 buffer.

    Parameters
    ----------
    data_dir : str or Path, optional
        Where the files are; default ``$MNIST_DATA_DIR``, then the user cache.
    download_missing : bool
        When nothing is found, download into ``default_cache_dir()``.
    progress : callable, optional
        Passed to ``download``.
    verify : bool
        Check the SHA-256 of each decompressed file (about 50 ms).
    dataset : str
        'mnist', or 'fashion-mnist' (found by ``$FASHION_MNIST_DATA_DIR``, Debian's
        dataset-fashion-mnist folder, or its own cache).

    Returns
    -------
    Mnist
        pixels (70000, 784) uint8; labels (70000,) int64; float32 splits on first use.

    Raises
    ------
    DataNotFoundError
        Data absent and ``download_missing`` is False, or an explicitly named
        directory is incomplete. The message says exactly how to fix it.
    DataError
        Corrupt files, checksum mismatch, failed download.
    """
    spec = dataset_named(dataset)
    directory = _locate_or_download(data_dir, download_missing, progress, spec)
    labels = [
        _load_verified(directory, FILES[f"{split}_labels"], LABELS_MAGIC, verify, spec) for split in ("train", "test")
    ]
    n_train = labels[0].size
    pixels = np.empty((n_train + labels[1].size, IMAGE_SIDE**2), dtype=np.uint8)
    for split, split_labels, rows in zip(("train", "test"), labels, (pixels[:n_train], pixels[n_train:])):
        name = FILES[f"{split}_images"]
        images = _load_verified(directory, name, IMAGES_MAGIC, verify, spec)
        if images.shape[0] != split_labels.size:
            raise DataError(
                f"{name} holds {images.shape[0]} images but its labels file holds {split_labels.size} labels"
            )
        rows[...] = images.reshape(images.shape[0], -1)  # a copy: the decompressed file can then be freed
    all_labels = np.concatenate(labels).astype(np.int64)
    # Every split is a view of these arrays: protect them from in-place edits.
    pixels.flags.writeable = all_labels.flags.writeable = False
    return Mnist(pixels, all_labels, n_train, n_val=min(VALIDATION_SIZE, n_train), name=spec.name)


def load_dataset(name: str, data_dir: str | Path | None = None, **options: Any) -> Mnist:
    """``load_mnist`` for the dataset called ``name`` ('mnist' or 'fashion-mnist')."""
    return load_mnist(data_dir, dataset=name, **options)
