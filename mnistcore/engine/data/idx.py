"""The IDX file format, as MNIST uses it: parsed strictly, gzip-compressed or raw.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number of
dimensions), one big-endian 4-byte size per dimension, then the payload. Only the MNIST
flavour is accepted: unsigned bytes, 28x28 images (magic 2051) or 1-d labels 0..9 (magic
2049). Anything else is a ``DataError`` naming the file and what is wrong.

The data package's two errors live here, in the module all the others import.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "DataError",
    "DataNotFoundError",
    "read_idx",
]


class DataError(Exception):
    """Any problem with the MNIST files: missing, corrupt, wrong content, download failed."""


class DataNotFoundError(DataError):
    """The MNIST files are not where they were looked for (nothing is corrupt)."""


IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IMAGE_SIDE = 28
N_CLASSES = 10

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE_CODE = 0x08


def read_bytes(path: Path) -> bytes:
    """Return the file's content, decompressed when it starts with the gzip magic."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read MNIST file {path}: {exc}") from exc
    return maybe_gunzip(raw, str(path))


def maybe_gunzip(raw: bytes, source: str) -> bytes:
    """Decompress ``raw`` if it is gzip (by magic bytes, not by file name)."""
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{source} is a corrupt gzip file: {exc}") from exc


def _parse_header(data: bytes, source: str) -> tuple[int, tuple[int, ...], int]:
    """Check the IDX header; return (magic, dims, payload offset)."""
    if len(data) < 4:
        raise DataError(f"{source} is too short to be an IDX file ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0:
        raise DataError(f"{source} is not an IDX file: bad magic number 0x{magic:08x}")
    if data[2] != _UBYTE_CODE:
        raise DataError(f"{source} has IDX dtype byte 0x{data[2]:02x}, expected 0x08 (unsigned byte)")
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise DataError(
            f"{source} has {data[3]} dimensions (magic {magic}); MNIST files have "
            f"3 (magic {IMAGES_MAGIC}, images) or 1 (magic {LABELS_MAGIC}, labels)"
        )
    ndim = data[3]
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise DataError(f"{source} is truncated inside its IDX header")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return magic, dims, offset


def parse_idx(
    data: bytes,
    source: str,
    expected_magic: int | None = None,
    expected_count: int | None = None,
) -> np.ndarray:
    """Validate IDX ``data`` (already decompressed) and return it as a uint8 array."""
    magic, dims, offset = _parse_header(data, source)
    if expected_magic is not None and magic != expected_magic:
        raise DataError(f"{source} has magic number {magic}, expected {expected_magic}")
    if magic == IMAGES_MAGIC and dims[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{source} holds {dims[1]}x{dims[2]} images, expected 28x28")
    if expected_count is not None and dims[0] != expected_count:
        raise DataError(f"{source} holds {dims[0]} items, expected {expected_count}")
    payload = len(data) - offset
    needed = math.prod(dims)
    if payload != needed:
        problem = "truncated" if payload < needed else "followed by extra bytes"
        raise DataError(f"{source} is {problem}: header {dims} needs {needed} payload bytes, found {payload}")
    array = np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)
    if magic == LABELS_MAGIC and array.size and int(array.max()) >= N_CLASSES:
        bad = int(np.argmax(array >= N_CLASSES))
        raise DataError(f"{source} has label {array[bad]} at index {bad}, outside 0..9")
    return array


def read_idx(
    path: str | Path,
    expected_magic: int | None = None,
    expected_count: int | None = None,
) -> np.ndarray:
    """Read one MNIST IDX file, gzip-compressed or raw.

    Parameters
    ----------
    path : str or Path
        The file. Gzip is detected from its first two bytes, not its suffix.
    expected_magic : int, optional
        ``IMAGES_MAGIC`` (2051) or ``LABELS_MAGIC`` (2049); any other magic fails.
    expected_count : int, optional
        Number of images/labels the file must hold.

    Returns
    -------
    np.ndarray
        Read-only uint8 array, shape (n, 28, 28) for images or (n,) for labels.

    Raises
    ------
    DataError
        Naming the file: unreadable, corrupt gzip, bad magic or dtype byte, payload
        length not matching the header, images not 28x28, labels outside 0..9.
    """
    path = Path(path)
    return parse_idx(read_bytes(path), str(path), expected_magic, expected_count)
