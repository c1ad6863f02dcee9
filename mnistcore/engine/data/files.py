"""Where the four MNIST files are, and fetching them when they are not anywhere.

``find_data_dir`` looks at the argument, ``$MNIST_DATA_DIR`` and the per-user cache, in
that order. ``download`` fills a folder from the public mirrors: each ``<name>.gz`` is
tried on every mirror in turn, its *decompressed* content must have the SHA-256 below
(the archives differ between mirrors, the content must not), and it is written
uncompressed through a temp file and ``os.replace``, so a failure never leaves a partial
file. A folder that cannot be made or written to is one clear line, before anything is
fetched.

Why not pooch: of this module it would replace ``_fetch`` (20 lines) and nothing else. It
hashes the archive it downloads, which differs between mirrors; it takes one URL per
file; it decompresses without an atomic write; and it needs requests. A prototype on
pooch 1.9 came to more lines than this module (315 against 308), failed two download tests
and dropped the 64 MB cap.

Deliberate limits: one compressed file in memory at a time (about 10 MB), no resume of
interrupted downloads; numpy and the standard library only, platformdirs is optional.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from mnistcore.engine.data.datasets import MNIST, Dataset
from mnistcore.engine.data.idx import DataError, DataNotFoundError, maybe_gunzip, read_bytes

try:  # optional: only used to pick the per-user cache directory
    import platformdirs
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    platformdirs = None  # type: ignore[assignment]

__all__ = [
    "ENV_VAR",
    "FILES",
    "MIRRORS",
    "SHA256",
    "ProgressCallback",
    "default_cache_dir",
    "download",
    "find_data_dir",
]

FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# MNIST's, as before; every dataset's are in ``datasets`` (Fashion-MNIST's too). SHA-256 of
# the decompressed files: archives differ between mirrors, content must not.
SHA256: dict[str, str] = MNIST.sha256
MIRRORS: tuple[str, ...] = MNIST.mirrors
ENV_VAR = MNIST.env_var

_CHUNK_BYTES = 64 * 1024
_MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024  # the largest MNIST archive is ~10 MB

ProgressCallback = Callable[[str, int, int | None], None]


# --------------------------------------------------------------------------- locating


def default_cache_dir(dataset: Dataset = MNIST) -> Path:
    """Per-user directory where a dataset's downloaded files are cached.

    ``<user cache>/mnistcore/mnist`` (``fashion-mnist`` for Fashion-MNIST), where the user cache comes from platformdirs
    when installed, else ``$XDG_CACHE_HOME`` or ``~/.cache``. Not created here.
    """
    if platformdirs is not None:
        base = Path(platformdirs.user_cache_dir("mnistcore", appauthor=False))
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        root = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
        base = root / "mnistcore"
    return base / dataset.cache_name


def existing_file(directory: Path, name: str) -> Path | None:
    """The raw file if present (it is what download writes), else the .gz, else None."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing_files(directory: Path) -> list[str]:
    return [name for name in FILES.values() if existing_file(directory, name) is None]


def manual_install_help(directory: Path, dataset: Dataset = MNIST) -> str:
    """Exact instructions for installing the files by hand."""
    names = "\n".join(f"    {name}.gz" for name in FILES.values())
    return (
        f"To install {dataset.title} by hand, put these 4 files (gzip-compressed, or uncompressed "
        f"without the .gz suffix) into\n    {directory}\n{names}\n"
        f"or put them in any directory and set the environment variable "
        f"{dataset.env_var}=/path/to/that/directory."
    )


def _require_complete(directory: Path, origin: str, dataset: Dataset = MNIST) -> Path:
    """Return ``directory`` if it holds all four files, else raise naming the gaps."""
    missing = _missing_files(directory)
    if not missing:
        return directory
    where = "does not exist" if not directory.is_dir() else "is missing " + ", ".join(missing)
    fetch = f"{str(directory)!r}" if dataset is MNIST else f"{str(directory)!r}, dataset=FASHION_MNIST"
    raise DataNotFoundError(
        f"{dataset.title} directory {directory} ({origin}) {where}.\n"
        f"{manual_install_help(directory, dataset)}\n"
        f"Or fetch them there with mnistcore.engine.data.download({fetch})."
    )


def find_data_dir(data_dir: str | Path | None = None, dataset: Dataset = MNIST) -> Path | None:
    """Locate a directory holding the four MNIST files (each as ``name`` or ``name.gz``).

    Looks at, in order: the ``data_dir`` argument, ``$MNIST_DATA_DIR`` (the dataset's
    ``env_var``), the folders a system package installs it in (``known_dirs``: Debian's
    dataset-fashion-mnist), then ``default_cache_dir()``. Directories the user named on purpose (argument or
    environment variable) must be complete: otherwise DataNotFoundError lists the
    missing files. An incomplete cache directory just yields None.
    """
    if data_dir is not None:
        return _require_complete(Path(data_dir).expanduser(), "given as data_dir", dataset)
    from_env = os.environ.get(dataset.env_var, "").strip()
    if from_env:
        return _require_complete(Path(from_env).expanduser(), f"from ${dataset.env_var}", dataset)
    installed = dataset.known_dir()
    if installed is not None and not _missing_files(installed):
        return installed
    cache = default_cache_dir() if dataset is MNIST else default_cache_dir(dataset)
    return cache if not _missing_files(cache) else None


# --------------------------------------------------------------------------- downloading


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 hex digits (``SHA256`` holds the decompressed files')."""
    return hashlib.sha256(data).hexdigest()


def _is_present_and_valid(directory: Path, name: str, checksum: str) -> bool:
    path = existing_file(directory, name)
    if path is None:
        return False
    try:
        return sha256_hex(read_bytes(path)) == checksum
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
            content = maybe_gunzip(_fetch(url, name, progress, timeout), url)
            if sha256_hex(content) != checksum:
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
    mirrors: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = 30.0,
    *,
    checksums: Mapping[str, str] | None = None,
    files: Iterable[str] | None = None,
    dataset: Dataset = MNIST,
) -> Path:
    """Download the dataset's files (MNIST's by default) that are missing or invalid in ``dest_dir``.

    Each file ``<name>.gz`` is tried on every mirror in turn; its decompressed content
    must match ``checksums[name]`` and is written uncompressed as ``dest_dir/<name>``
    through a temp file and ``os.replace``, so a failure never leaves a partial file.

    Parameters
    ----------
    dest_dir : str or Path, optional
        Target directory, created if needed; default ``default_cache_dir(dataset)``.
    mirrors : sequence of str, optional
        Base URLs, each serving ``<name>.gz``; default the dataset's.
    progress : callable, optional
        ``progress(name, bytes_done, bytes_total_or_None)``, called as bytes arrive.
    timeout : float
        Socket timeout in seconds for each request.
    checksums : mapping, optional
        File base name -> SHA-256 of its decompressed content; default the dataset's.
    files : iterable of str, optional
        Base names to fetch; default all four ``FILES``.
    dataset : Dataset
        Which dataset (``datasets.MNIST`` or ``datasets.FASHION_MNIST``).

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
    dest = Path(dest_dir).expanduser() if dest_dir is not None else default_cache_dir(dataset)
    mirrors = dataset.mirrors if mirrors is None else mirrors
    checksums = dataset.sha256 if checksums is None else checksums
    names = list(files) if files is not None else list(FILES.values())
    missing = [name for name in names if not _is_present_and_valid(dest, name, checksums[name])]
    if missing:
        _require_writable(dest)
    for name in missing:
        failures = _download_one(name, dest, mirrors, checksums[name], progress, timeout)
        if failures:
            tried = "\n".join(f"  {line}" for line in failures) or "  (no mirrors given)"
            raise DataError(
                f"could not download {dataset.title} file {name}. Tried:\n{tried}\n{manual_install_help(dest, dataset)}"
            )
    return dest
