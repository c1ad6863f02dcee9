"""Find, download, verify and load the real MNIST digits.

MNIST ships as four IDX files (gzip-compressed on the public mirrors). This module
parses them strictly, checks the SHA-256 of the *decompressed* content, downloads
missing files into a per-user cache and returns the whole set as one uint8 buffer of
shape (70000, 784), the bytes as the files hold them: the 60,000 training rows first,
then the 10,000 test rows. Keeping bytes, not floats, saves 165 MB in every process
that loads MNIST (a web server holds it all its life); the trainer gathers each batch
from the bytes (a quarter of the memory traffic) and scales it, and the validation and
test splits become float32 once, on first use.

Deliberate limits:
* Only the MNIST flavour of IDX is accepted: unsigned bytes, 28x28 images
  (magic 2051) or 1-d labels 0..9 (magic 2049). Anything else is a DataError.
* Downloads keep one compressed file in memory at a time (about 10 MB) and write the
  decompressed file atomically; there is no resume of interrupted downloads.
* Dependencies: numpy and the standard library; platformdirs is optional.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import tempfile
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

try:  # optional: only used to pick the per-user cache directory
    import platformdirs
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    platformdirs = None  # type: ignore[assignment]

__all__ = [
    "ENV_VAR",
    "FILES",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "MIRRORS",
    "SHA256",
    "VALIDATION_SIZE",
    "DataError",
    "DataNotFoundError",
    "Mnist",
    "default_cache_dir",
    "download",
    "find_data_dir",
    "load_mnist",
    "one_hot",
    "read_idx",
    "scale_pixels",
]


class DataError(Exception):
    """Any problem with the MNIST files: missing, corrupt, wrong content, download failed."""


class DataNotFoundError(DataError):
    """The MNIST files are not where they were looked for (nothing is corrupt)."""


FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# SHA-256 of the decompressed files: archives differ between mirrors, content must not.
SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

ENV_VAR = "MNIST_DATA_DIR"
VALIDATION_SIZE = 5000
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IMAGE_SIDE = 28
N_CLASSES = 10

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE_CODE = 0x08
_CHUNK_BYTES = 64 * 1024
_MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024  # the largest MNIST archive is ~10 MB
_TRAIN_COUNT = 60_000
_TEST_COUNT = 10_000

ProgressCallback = Callable[[str, int, int | None], None]


# --------------------------------------------------------------------------- IDX parsing


def _read_bytes(path: Path) -> bytes:
    """Return the file's content, decompressed when it starts with the gzip magic."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read MNIST file {path}: {exc}") from exc
    return _maybe_gunzip(raw, str(path))


def _maybe_gunzip(raw: bytes, source: str) -> bytes:
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


def _parse_idx(
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
    return _parse_idx(_read_bytes(path), str(path), expected_magic, expected_count)


# --------------------------------------------------------------------------- locating


def default_cache_dir() -> Path:
    """Per-user directory where downloaded MNIST files are cached.

    ``<user cache>/mnistcore/mnist``, where the user cache comes from platformdirs
    when installed, else ``$XDG_CACHE_HOME`` or ``~/.cache``. Not created here.
    """
    if platformdirs is not None:
        base = Path(platformdirs.user_cache_dir("mnistcore", appauthor=False))
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        root = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
        base = root / "mnistcore"
    return base / "mnist"


def _existing_file(directory: Path, name: str) -> Path | None:
    """The raw file if present (it is what download writes), else the .gz, else None."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing_files(directory: Path) -> list[str]:
    return [name for name in FILES.values() if _existing_file(directory, name) is None]


def _manual_install_help(directory: Path) -> str:
    """Exact instructions for installing the files by hand."""
    names = "\n".join(f"    {name}.gz" for name in FILES.values())
    return (
        f"To install MNIST by hand, put these 4 files (gzip-compressed, or uncompressed "
        f"without the .gz suffix) into\n    {directory}\n{names}\n"
        f"or put them in any directory and set the environment variable "
        f"{ENV_VAR}=/path/to/that/directory."
    )


def _require_complete(directory: Path, origin: str) -> Path:
    """Return ``directory`` if it holds all four files, else raise naming the gaps."""
    missing = _missing_files(directory)
    if not missing:
        return directory
    where = "does not exist" if not directory.is_dir() else "is missing " + ", ".join(missing)
    raise DataNotFoundError(
        f"MNIST directory {directory} ({origin}) {where}.\n"
        f"{_manual_install_help(directory)}\n"
        f"Or fetch them there with mnistcore.engine.data.download({str(directory)!r})."
    )


def find_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """Locate a directory holding the four MNIST files (each as ``name`` or ``name.gz``).

    Looks at, in order: the ``data_dir`` argument, ``$MNIST_DATA_DIR``, then
    ``default_cache_dir()``. Directories the user named on purpose (argument or
    environment variable) must be complete: otherwise DataNotFoundError lists the
    missing files. An incomplete cache directory just yields None.
    """
    if data_dir is not None:
        return _require_complete(Path(data_dir).expanduser(), "given as data_dir")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return _require_complete(Path(from_env).expanduser(), f"from ${ENV_VAR}")
    cache = default_cache_dir()
    return cache if not _missing_files(cache) else None


# --------------------------------------------------------------------------- downloading


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_present_and_valid(directory: Path, name: str, checksum: str) -> bool:
    path = _existing_file(directory, name)
    if path is None:
        return False
    try:
        return _sha256(_read_bytes(path)) == checksum
    except DataError:  # corrupt gzip: re-download it
        return False


def _fetch(url: str, name: str, progress: ProgressCallback | None, timeout: float) -> bytes:
    """Stream ``url`` into memory; raise DataError if the body is short or too big."""
    # A fresh opener reads the proxy environment now, not at first import.
    opener = urllib.request.build_opener()
    with opener.open(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        chunks, done = [], 0
        if progress is not None:
            progress(name, 0, total)
        while chunk := response.read(_CHUNK_BYTES):
            chunks.append(chunk)
            done += len(chunk)
            if done > _MAX_DOWNLOAD_BYTES:
                raise DataError(f"more than {_MAX_DOWNLOAD_BYTES} bytes, not MNIST")
            if progress is not None:
                progress(name, done, total)
    if total is not None and done != total:
        raise DataError(f"truncated download: got {done} of {total} bytes")
    return b"".join(chunks)


def _write_atomically(data: bytes, final_path: Path) -> None:
    """Write via a temp file in the same directory, so ``final_path`` is never partial."""
    fd, temp_name = tempfile.mkstemp(dir=final_path.parent, prefix=f".{final_path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, final_path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _not_writable(directory: Path, exc: OSError, created: bool = True) -> DataError:
    """The one-line error for a download folder that cannot be made or written to."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    problem = (
        f"cannot write to MNIST directory {directory}" if created else f"cannot create MNIST directory {directory}"
    )
    return DataError(
        f"{problem} ({reason}): the download needs a writable folder there. "
        f"Make it writable, or put the four MNIST files in a folder and set {ENV_VAR} to it."
    )


def _require_writable(directory: Path) -> None:
    """Create ``directory`` if needed and check a file can be written in it (before any
    download); DataError with the fix if not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(directory, exc, created=False) from exc
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise _not_writable(directory, exc) from exc


def _download_one(
    name: str,
    dest: Path,
    mirrors: Sequence[str],
    checksum: str,
    progress: ProgressCallback | None,
    timeout: float,
) -> list[str]:
    """Try each mirror for ``name``; return the failures (empty list on success)."""
    failures = []
    for mirror in mirrors:
        url = f"{mirror if mirror.endswith('/') else mirror + '/'}{name}.gz"
        try:
            content = _maybe_gunzip(_fetch(url, name, progress, timeout), url)
            if _sha256(content) != checksum:
                raise DataError("wrong content (SHA-256 of decompressed data differs)")
        except (DataError, OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(f"{url}: {exc}")
            continue
        try:
            _write_atomically(content, dest / name)
        except OSError as exc:  # e.g. the folder turned read-only, or the disk is full
            raise _not_writable(dest, exc) from exc
        return []
    return failures


def download(
    dest_dir: str | Path | None = None,
    mirrors: Sequence[str] = MIRRORS,
    progress: ProgressCallback | None = None,
    timeout: float = 30.0,
    *,
    checksums: Mapping[str, str] = SHA256,
    files: Iterable[str] | None = None,
) -> Path:
    """Download the MNIST files that are missing or invalid in ``dest_dir``.

    Each file ``<name>.gz`` is tried on every mirror in turn; its decompressed content
    must match ``checksums[name]`` and is written uncompressed as ``dest_dir/<name>``
    through a temp file and ``os.replace``, so a failure never leaves a partial file.

    Parameters
    ----------
    dest_dir : str or Path, optional
        Target directory, created if needed; default ``default_cache_dir()``.
    mirrors : sequence of str
        Base URLs, each serving ``<name>.gz``.
    progress : callable, optional
        ``progress(name, bytes_done, bytes_total_or_None)``, called as bytes arrive.
    timeout : float
        Socket timeout in seconds for each request.
    checksums : mapping
        File base name -> SHA-256 of its decompressed content.
    files : iterable of str, optional
        Base names to fetch; default all four ``FILES``.

    Returns
    -------
    Path
        The destination directory.

    Raises
    ------
    DataError
        When every mirror fails for a file: lists the URLs tried and why, and says
        exactly where to put the files by hand. When ``dest_dir`` cannot be created or
        written to (checked before anything is fetched): one line naming the folder and
        the fix.
    """
    dest = Path(dest_dir).expanduser() if dest_dir is not None else default_cache_dir()
    names = list(files) if files is not None else list(FILES.values())
    missing = [name for name in names if not _is_present_and_valid(dest, name, checksums[name])]
    if missing:
        _require_writable(dest)
    for name in missing:
        failures = _download_one(name, dest, mirrors, checksums[name], progress, timeout)
        if failures:
            tried = "\n".join(f"  {line}" for line in failures) or "  (no mirrors given)"
            raise DataError(f"could not download MNIST file {name}. Tried:\n{tried}\n{_manual_install_help(dest)}")
    return dest


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
    """

    pixels: np.ndarray
    labels: np.ndarray
    n_train: int = _TRAIN_COUNT
    n_val: int = VALIDATION_SIZE

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


def _load_verified(directory: Path, name: str, magic: int, verify: bool) -> np.ndarray:
    """Read one file from ``directory``, check its checksum if asked, parse it."""
    path = _existing_file(directory, name)
    if path is None:
        raise DataNotFoundError(f"MNIST file {name} vanished from {directory}")
    content = _read_bytes(path)
    if verify and _sha256(content) != SHA256[name]:
        raise DataError(
            f"{path} does not hold the real MNIST {name}: its SHA-256 is "
            f"{_sha256(content)}, expected {SHA256[name]}. Delete it and load again "
            f"to re-download, or replace it by hand."
        )
    return _parse_idx(content, str(path), expected_magic=magic)


def _locate_or_download(
    data_dir: str | Path | None,
    download_missing: bool,
    progress: ProgressCallback | None,
) -> Path:
    """The data directory; downloads into the cache when nothing is found."""
    directory = find_data_dir(data_dir)
    if directory is not None:
        return directory
    cache = default_cache_dir()
    if not download_missing:
        raise DataNotFoundError(
            f"MNIST not found (${ENV_VAR} is unset and {cache} is incomplete).\n{_manual_install_help(cache)}"
        )
    return download(cache, progress=progress)


def load_mnist(
    data_dir: str | Path | None = None,
    *,
    download_missing: bool = True,
    progress: ProgressCallback | None = None,
    verify: bool = True,
) -> Mnist:
    """Load all 70,000 MNIST digits as one read-only uint8 buffer.

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
    directory = _locate_or_download(data_dir, download_missing, progress)
    labels = [_load_verified(directory, FILES[f"{split}_labels"], LABELS_MAGIC, verify) for split in ("train", "test")]
    n_train = labels[0].size
    pixels = np.empty((n_train + labels[1].size, IMAGE_SIDE**2), dtype=np.uint8)
    for split, split_labels, rows in zip(("train", "test"), labels, (pixels[:n_train], pixels[n_train:])):
        name = FILES[f"{split}_images"]
        images = _load_verified(directory, name, IMAGES_MAGIC, verify)
        if images.shape[0] != split_labels.size:
            raise DataError(
                f"{name} holds {images.shape[0]} images but its labels file holds {split_labels.size} labels"
            )
        rows[...] = images.reshape(images.shape[0], -1)  # a copy: the decompressed file can then be freed
    all_labels = np.concatenate(labels).astype(np.int64)
    # Every split is a view of these arrays: protect them from in-place edits.
    pixels.flags.writeable = all_labels.flags.writeable = False
    return Mnist(pixels, all_labels, n_train, n_val=min(VALIDATION_SIZE, n_train))
