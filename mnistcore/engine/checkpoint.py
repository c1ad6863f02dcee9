"""The ``.npz`` checkpoint format of a trained model: writing it, and reading a stranger's.

Checkpoints are plain NumPy archives (a zip of ``.npy`` members): only numeric arrays and
one JSON string, never Python objects, so loading a file from a stranger cannot run code.
The dashboard is shared by strangers, so every file is treated as hostile: ``load`` refuses
anything that is not a valid checkpoint within the limits below with one short
``CheckpointError`` line that says what is wrong, and never raises anything else. It reads
in this order, so that no size a file declares is believed before it has been checked:

1. the source must be a regular file (not a directory, a FIFO or a device: checked with
   ``stat`` before opening, so a FIFO cannot block) of at most ``max_file_bytes()``;
2. the zip's end record, as ``zipfile`` itself reads it: at most ``MAX_CHECKPOINT_ENTRIES``
   members and a table of contents of at most ``MAX_ZIP_DIRECTORY_BYTES``, checked before
   that table is parsed (a zip of 250,000 tiny members is refused in milliseconds);
3. every member's ``.npy`` header (shape and dtype), read from the zip without its data:
   no array may declare more than ``MAX_CHECKPOINT_BYTES`` or more than its member holds,
   and object arrays (pickles) are refused;
4. the metadata (at most ``MAX_META_CHARS`` of JSON; too deep a nesting is refused), every
   field's type, the config, and against the config every array's shape and dtype, the
   network's size (``config.MAX_PARAMETERS``), the history's length
   (``config.MAX_HISTORY_EVENTS``), the number of snapshots (``MAX_SNAPSHOTS``) and of
   training-health records (``health.MAX_HEALTH_RECORDS``; a checkpoint may have none);
5. only then the arrays' data, each checked for NaN and infinity where they cannot belong.

So refusing any file costs next to no memory, and loading a valid one costs about its
arrays' size twice (the arrays read, and the network's own packed copy).

One module on purpose, over 300 lines: the reader is one sequence of checks in the order
above, and each check can only be trusted next to those before it; split, no single
file would show that nothing a file declares is believed before it is checked.

Deliberate limits: one format version; only the stored and deflated zip methods (what
NumPy writes); a file's own limits are not configurable per server.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from mnistcore.engine import health
from mnistcore.engine.config import MAX_HISTORY_EVENTS, MAX_PARAMETERS, ConfigError, TrainConfig, parameter_count
from mnistcore.engine.health import HealthLog
from mnistcore.engine.history import History, ProgressEvent
from mnistcore.engine.network import MLP, shape_text
from mnistcore.engine.trainer import N_SNAPSHOTS, RunStatus

if TYPE_CHECKING:
    from mnistcore.engine.model import TrainedModel

FORMAT = "mnistcore-checkpoint"
FORMAT_VERSION = 1
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024  # uncompressed; a 784-800-10 model with snapshots is ~25 MB
MAX_CHECKPOINT_ENTRIES = 64  # arrays in one archive; a checkpoint has at most 22 (4 hidden layers)
MAX_ZIP_DIRECTORY_BYTES = 64 * 1024  # the zip's table of contents; a checkpoint's is about 2 KB
MAX_ENTRY_NAME_CHARS = 64  # 'history/samples_per_second.npy' is the longest a checkpoint has
MAX_META_CHARS = 65_536  # the JSON metadata; a checkpoint's is about 600 characters
MAX_SNAPSHOTS = N_SNAPSHOTS + 1  # the start, and N_SNAPSHOTS spread over the run
MAX_TEXT_CHARS = {"status": 32, "trained_at": 64, "name": 200}  # the metadata's text fields
MAX_MESSAGE_CHARS = 300  # a refusal's message: one line, however long what it quotes
_NPY_MAX_HEADER = 10_000  # NumPy's own limit on a .npy header's length
_WHOLE_NUMBER_LIMIT = 2**53  # history counts above this are not whole numbers in float64
_HISTORY_KEYS = [f"history/{name}" for name in ProgressEvent.__dataclass_fields__]
_HEALTH_KEYS = {f"health/{name}" for name in health.COLUMNS}
_HISTORY_COUNTS = ("step", "samples_seen")  # whole numbers >= 0
_HISTORY_MAYBE_NAN = ("validation_accuracy",)  # NaN on the steps where it was not measured
_ZIP_PREFIXES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first member, or an empty zip
_NPY_PREFIX = b"\x93NUMPY"
# ZipFile's own reader of the end record (CPython 2.6 to 3.13): the limits in it are checked
# with exactly the numbers ZipFile would then trust.
_zip_end_record = zipfile._EndRecData  # type: ignore[attr-defined]


def max_file_bytes() -> int:
    """The largest file ``load`` opens: the uncompressed limit plus room for the zip's own
    records and the .npy headers (deflate never grows data by more than a fraction)."""
    return MAX_CHECKPOINT_BYTES + 1024 * 1024


class CheckpointError(ValueError):
    """A file that is not a valid mnistcore checkpoint; the message says why."""


# ---------------------------------------------------------------------- writing


def save(model: TrainedModel, target: str | Path | IO[bytes], compress: bool = True) -> None:
    """Write ``model`` as a compressed ``.npz`` checkpoint to a path or a binary file object
    (``compress=False``: stored, not deflated; several times faster to write, and only about
    7% larger for a 784-800-10 model, whose float weights barely compress: the run store's choice)."""
    arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(_meta(model)))}
    for l, (w, b) in enumerate(zip(model.network.weights, model.network.biases)):
        arrays[f"weights/{l}"] = w
        arrays[f"biases/{l}"] = b
    for name, column in model.history.to_columns().items():
        arrays[f"history/{name}"] = column
    for name, column in model.history.health.to_columns().items():  # none for a run without health records
        arrays[f"health/{name}"] = column
    arrays["snapshots/steps"] = model.snapshot_steps.astype(np.int64)
    if model.snapshot_weights is not None:
        arrays["snapshots/weights"] = model.snapshot_weights
    (np.savez_compressed if compress else np.savez)(target, **arrays)  # type: ignore[arg-type]


def _meta(model: TrainedModel) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "status": model.status,
        "test_accuracy": model.test_accuracy,
        "validation_accuracy": model.validation_accuracy,
        "train_seconds": model.train_seconds,
        "trained_at": model.trained_at,
        "name": model.name,
    }


# ---------------------------------------------------------------------- reading


def load(source: str | os.PathLike[str] | IO[bytes] | bytes) -> dict[str, Any]:
    """Read and validate a checkpoint: a path, a binary file object or the file's bytes.

    Returns the ``TrainedModel`` fields it holds, as keyword arguments (``TrainedModel.load``
    makes the model). Raises CheckpointError, and nothing else, for anything but a valid
    checkpoint within the module's limits; its message is one line of at most
    MAX_MESSAGE_CHARS."""
    try:
        with _opened(source) as handle:
            return _read_checkpoint(handle)
    except CheckpointError as exc:
        raise CheckpointError(_one_short_line(str(exc))) from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CheckpointError(_one_short_line(f"not a readable .npz checkpoint: {_unreadable_reason(exc)}")) from None
    except Exception as exc:  # the last line of defence: a stranger's file never gives a traceback
        raise CheckpointError(f"not a readable .npz checkpoint ({type(exc).__name__})") from None


def _one_short_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 3] + "..."


def _unreadable_reason(exc: Exception) -> str:
    """Why reading failed, without NumPy's hint to load pickled data unsafely."""
    text = str(exc)
    if "Object arrays cannot be loaded" in text:
        return "it holds Python objects (object arrays), which are never loaded"
    if "pickled" in text or "allow_pickle" in text:
        return "it is not a NumPy .npz archive (pickled Python objects are never loaded)"
    return text


# ---------------------------------------------------------------------- the source


@contextlib.contextmanager
def _opened(source: str | os.PathLike[str] | IO[bytes] | bytes) -> Iterator[IO[bytes]]:
    """A seekable binary file on ``source``; a path must name a regular file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        _require_regular(os.stat(path).st_mode, path)  # before opening: opening a FIFO would block
        # O_NONBLOCK: should a FIFO be put there between the stat and the open, it cannot block either.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(descriptor, "rb") as handle:
            _require_regular(os.fstat(descriptor).st_mode, path)
            yield handle
    elif getattr(source, "seekable", lambda: False)():
        yield source
    else:  # a pipe or a socket: read what the limit allows
        yield io.BytesIO(source.read(max_file_bytes() + 1))


def _require_regular(mode: int, path: str) -> None:
    if stat.S_ISDIR(mode):
        raise CheckpointError(f"{path} is a directory, not a checkpoint file")
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"{path} is not a regular file (a checkpoint is an .npz file)")


def _read_checkpoint(handle: IO[bytes]) -> dict[str, Any]:
    size = handle.seek(0, io.SEEK_END)
    if size > max_file_bytes():
        raise CheckpointError(f"file too large: {size / 1e6:.1f} MB, the limit is {max_file_bytes() / 1e6:.0f} MB")
    handle.seek(0)
    magic = handle.read(len(_NPY_PREFIX))
    if not magic:
        raise CheckpointError("not a readable .npz checkpoint: the file is empty")
    if magic.startswith(_NPY_PREFIX):
        raise CheckpointError("not a checkpoint: expected an .npz archive of named arrays, got a single array")
    if not magic.startswith(_ZIP_PREFIXES):
        raise CheckpointError(
            "not a readable .npz checkpoint: it is not a NumPy .npz archive (pickled Python objects are never loaded)"
        )
    _check_zip_directory(handle)
    with zipfile.ZipFile(handle) as archive:
        members = _members(archive)
        headers = {key: _npy_header(archive, key, info) for key, info in members.items()}
        meta = _read_meta(archive, members, headers)
        config = _read_config(meta)
        _check_layout(config, headers)
        arrays = {key: _read_array(archive, info) for key, info in members.items() if key != "meta"}
    return _build(meta, config, arrays)


def _check_zip_directory(handle: IO[bytes]) -> None:
    """The member count and table-of-contents size, from the zip's end record alone."""
    record = _zip_end_record(handle)
    if not record:
        raise zipfile.BadZipFile("File is not a zip file")
    entries, directory_bytes = record[zipfile._ECD_ENTRIES_TOTAL], record[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
    _check_entry_count(entries)
    if directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise CheckpointError(
            f"not a checkpoint: its zip directory is {directory_bytes:,} bytes, "
            f"a checkpoint's is at most {MAX_ZIP_DIRECTORY_BYTES:,}"
        )


def _check_entry_count(entries: int) -> None:
    if entries > MAX_CHECKPOINT_ENTRIES:
        raise CheckpointError(
            f"not a checkpoint: the archive holds {entries:,} entries, a checkpoint at most {MAX_CHECKPOINT_ENTRIES}"
        )


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Key ('weights/0') -> zip entry, for entries that can be a checkpoint's arrays."""
    infos = archive.infolist()
    _check_entry_count(len(infos))
    total = sum(info.file_size for info in infos)
    if total > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"checkpoint too large: {total / 1e6:.0f} MB uncompressed, the limit is {MAX_CHECKPOINT_BYTES / 1e6:.0f} MB"
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if len(name) > MAX_ENTRY_NAME_CHARS or not name.endswith(".npy"):
            raise CheckpointError(
                f"not a checkpoint: unexpected entry {name[:MAX_ENTRY_NAME_CHARS]!r} (not an .npy array)"
            )
        key = name[: -len(".npy")]
        if key in members:
            raise CheckpointError(f"not a checkpoint: the entry {name!r} appears twice")
        if info.flag_bits & 0x1:
            raise CheckpointError(f"not a checkpoint: {key} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(f"not a checkpoint: {key} is compressed with a method NumPy never uses")
        members[key] = info
    return members


@dataclass(frozen=True)
class _Header:
    """What a .npy member declares, read without its data."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize  # Python ints: no overflow


def _npy_header(archive: zipfile.ZipFile, key: str, info: zipfile.ZipInfo) -> _Header:
    """The member's shape and dtype, decompressing only its first bytes; the declared size
    is checked against the limits here, before anything allocates it."""
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
        except ValueError:
            raise CheckpointError(f"not a checkpoint: {key} is not a NumPy array") from None
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream, max_header_size=_NPY_MAX_HEADER)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream, max_header_size=_NPY_MAX_HEADER)
        else:
            raise CheckpointError(
                f"not a checkpoint: {key} is in .npy format version {version}, which is not read here"
            )
    if dtype.hasobject:
        raise CheckpointError(
            "not a readable .npz checkpoint: it holds Python objects (object arrays), which are never loaded"
        )
    if len(shape) > 3 or any(n < 0 for n in shape):
        raise CheckpointError(f"{key} declares the shape {shape}, which no checkpoint array has")
    header = _Header(tuple(shape), dtype)
    if header.nbytes > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"{key} declares a {shape} array of {header.nbytes / 1e6:,.0f} MB; "
            f"a checkpoint holds at most {MAX_CHECKPOINT_BYTES / 1e6:.0f} MB"
        )
    if header.nbytes > info.file_size:
        raise CheckpointError(f"{key} declares {header.nbytes:,} bytes of data but holds only {info.file_size:,}")
    return header


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """A member's data, once its header has passed ``_npy_header``."""
    with archive.open(info) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False, max_header_size=_NPY_MAX_HEADER)


# ---------------------------------------------------------------------- metadata and config


def _read_meta(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], headers: dict[str, _Header]) -> dict:
    header = headers.get("meta")
    if header is None or header.shape != () or header.dtype.kind != "U":
        raise CheckpointError("not an mnistcore checkpoint: the 'meta' entry is missing or not text")
    chars = header.dtype.itemsize // 4
    if chars > MAX_META_CHARS:
        raise CheckpointError(f"checkpoint metadata too long: {chars:,} characters, the limit is {MAX_META_CHARS:,}")
    text = str(_read_array(archive, members["meta"]))
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint metadata is not valid JSON: {exc}") from None
    except RecursionError:
        raise CheckpointError("checkpoint metadata is nested too deeply") from None
    except ValueError:  # an integer of thousands of digits
        raise CheckpointError("checkpoint metadata holds a number too long to read") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError("not an mnistcore checkpoint: wrong format tag in 'meta'")
    if meta.get("version") != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format version {meta.get('version')!r} is not supported (this version reads {FORMAT_VERSION})"
        )
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError("checkpoint metadata has no config")
    return meta


def _read_config(meta: dict[str, Any]) -> TrainConfig:
    try:
        config = TrainConfig.from_dict(meta["config"])
    except (ConfigError, TypeError, ValueError, OverflowError) as exc:
        raise CheckpointError(f"checkpoint config is invalid: {exc}") from None
    sizes, count = config.layer_sizes, parameter_count(config)
    if count > MAX_PARAMETERS:
        raise CheckpointError(
            f"the network ({shape_text(sizes)}) has {count:,} weights and biases; "
            f"models here have at most {MAX_PARAMETERS:,}"
        )
    return config


def _text(meta: dict[str, Any], key: str, default: str) -> str:
    value = meta.get(key, default)
    limit = MAX_TEXT_CHARS[key]
    if not isinstance(value, str) or len(value) > limit:
        shown = f"{len(value):,} characters" if isinstance(value, str) else repr(value)
        raise CheckpointError(f"checkpoint metadata {key} must be text of at most {limit} characters, got {shown}")
    return value


def _status(text: str) -> RunStatus:
    """A saved run's status: how its training ended (a run still going is never saved)."""
    try:
        status = RunStatus(text)
    except ValueError:
        status = RunStatus.READY  # refused below, with the one message
    if not status.ended:
        allowed = ", ".join(repr(s.value) for s in RunStatus if s.ended)
        raise CheckpointError(f"checkpoint metadata status must be one of {allowed}, got {text[:32]!r}")
    return status


def _seconds(meta: dict[str, Any], key: str) -> float:
    value = meta.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise CheckpointError(f"checkpoint metadata {key} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def _optional_float(meta: dict[str, Any], key: str) -> float | None:
    """An accuracy: None, a number in [0, 1], or NaN (not measured)."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CheckpointError(f"checkpoint metadata {key} must be a number, got {value!r}")
    if not (0 <= value <= 1 or math.isnan(value)):
        raise CheckpointError(f"checkpoint metadata {key} must be in [0, 1], got {value!r}")
    return float(value)


# ---------------------------------------------------------------------- arrays against the config


def _listed(keys: set[str], shown: int = 5) -> str:
    names = sorted(keys)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{names[:shown]}{more}"


def _check_layout(config: TrainConfig, headers: dict[str, _Header]) -> None:
    """Every array's shape and dtype against the config, and the caps, from headers alone."""
    sizes = config.layer_sizes
    layers = range(len(sizes) - 1)
    expected = {"meta", "snapshots/steps", "snapshots/weights", *_HISTORY_KEYS}
    expected |= {f"{kind}/{l}" for kind in ("weights", "biases") for l in layers}
    optional = {"snapshots/weights", *_HEALTH_KEYS}  # older checkpoints have no health records
    expected |= optional
    unknown = set(headers) - expected
    missing = (expected - optional) - set(headers)
    if unknown or missing:
        raise CheckpointError(
            f"checkpoint keys do not match its config: unexpected {_listed(unknown)}, missing {_listed(missing)}"
        )
    for l in layers:
        _expect(headers, f"weights/{l}", (sizes[l], sizes[l + 1]))
        _expect(headers, f"biases/{l}", (sizes[l + 1],))
    history = [headers[key] for key in _HISTORY_KEYS]
    shapes = {h.shape for h in history}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise CheckpointError("history columns must be 1-D arrays of one common length")
    if any(h.dtype.kind != "f" for h in history):
        raise CheckpointError("history columns must be floating-point arrays")
    events = history[0].shape[0]
    if events > MAX_HISTORY_EVENTS:
        raise CheckpointError(f"checkpoint history has {events:,} events, the limit is {MAX_HISTORY_EVENTS:,}")
    steps = headers["snapshots/steps"]
    if len(steps.shape) != 1 or steps.dtype.kind not in "iu":
        raise CheckpointError("snapshots/steps must be a 1-D array of integers")
    if steps.shape[0] > MAX_SNAPSHOTS:
        raise CheckpointError(f"checkpoint has {steps.shape[0]:,} weight snapshots, the limit is {MAX_SNAPSHOTS}")
    if "snapshots/weights" in headers:
        _expect(headers, "snapshots/weights", (steps.shape[0], sizes[0], sizes[1]))
    if any(key in headers for key in _HEALTH_KEYS):
        _check_health_layout(headers, len(sizes) - 1)


def _check_health_layout(headers: dict[str, _Header], layers: int) -> None:
    """The health columns: all or none, float, shapes that fit the network, at most
    ``health.MAX_HEALTH_RECORDS`` records; from headers alone, before any is read."""
    if not all(key in headers for key in _HEALTH_KEYS):
        raise CheckpointError(f"checkpoint health records are incomplete: it needs all of {sorted(_HEALTH_KEYS)}")
    if any(headers[key].dtype.kind != "f" for key in _HEALTH_KEYS):
        raise CheckpointError("health columns must be floating-point arrays")
    problem = health.column_problem({key.split("/", 1)[1]: headers[key].shape for key in _HEALTH_KEYS}, layers)
    if problem:
        raise CheckpointError(f"checkpoint {problem}")


def _expect(headers: dict[str, _Header], key: str, shape: tuple[int, ...]) -> None:
    header = headers[key]
    if header.shape != shape:
        raise CheckpointError(f"{key} has shape {header.shape}, expected {shape} for this config")
    if header.dtype.kind != "f":
        raise CheckpointError(f"{key} must hold floating-point numbers, got dtype {header.dtype}")


# ---------------------------------------------------------------------- values, and the model


def _finite(arrays: dict[str, np.ndarray], key: str, chunk: int = 1 << 20) -> np.ndarray:
    """The array, if it holds no NaN or infinity; checked a million values at a time, so
    that the check never needs a second array of the same size."""
    array = arrays[key]
    values = array.ravel(order="K")  # no copy, in whichever order the file stored it
    if not all(np.isfinite(values[i : i + chunk]).all() for i in range(0, values.size, chunk)):
        raise CheckpointError(f"{key} contains NaN or infinite values")
    return array


def _read_history(arrays: dict[str, np.ndarray]) -> History:
    columns = {key.split("/", 1)[1]: arrays[key].astype(np.float64) for key in _HISTORY_KEYS}
    for name, column in columns.items():
        if name in _HISTORY_COUNTS:
            whole = np.isfinite(column) & (column >= 0) & (column <= _WHOLE_NUMBER_LIMIT)
            if not (whole.all() and (column == np.floor(column)).all()):
                raise CheckpointError(f"history/{name} must hold whole numbers >= 0 (no NaN or infinity)")
        elif name in _HISTORY_MAYBE_NAN:
            if np.isinf(column).any():
                raise CheckpointError(f"history/{name} contains infinite values")
        elif not np.isfinite(column).all():
            raise CheckpointError(f"history/{name} contains NaN or infinite values")
    return History.from_columns(columns)


def _read_health(arrays: dict[str, np.ndarray]) -> HealthLog:
    """The health records (an empty log for a checkpoint without them): NaN is allowed (a
    statistic that was not a number), infinity is not; steps are whole numbers >= 0."""
    if not any(key in arrays for key in _HEALTH_KEYS):
        return HealthLog()
    columns = {key.split("/", 1)[1]: arrays[key].astype(np.float64) for key in _HEALTH_KEYS}
    for name, column in columns.items():
        if np.isinf(column).any():
            raise CheckpointError(f"health/{name} contains infinite values")
    steps = columns["steps"]
    if not (np.isfinite(steps).all() and (steps >= 0).all() and (steps <= _WHOLE_NUMBER_LIMIT).all()):
        raise CheckpointError("health/steps must hold whole numbers >= 0")
    if not (steps == np.floor(steps)).all():
        raise CheckpointError("health/steps must hold whole numbers >= 0")
    return HealthLog.from_columns(columns)


def _build(meta: dict[str, Any], config: TrainConfig, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The model's fields, from arrays whose headers passed ``_check_layout``: values checked now."""
    layers = range(len(config.layer_sizes) - 1)
    weights = [_finite(arrays, f"weights/{l}") for l in layers]
    biases = [_finite(arrays, f"biases/{l}") for l in layers]
    snapshot_weights = _finite(arrays, "snapshots/weights") if "snapshots/weights" in arrays else None
    steps = arrays["snapshots/steps"]
    if not ((steps >= 0) & (steps <= _WHOLE_NUMBER_LIMIT)).all():
        raise CheckpointError("snapshots/steps must be step numbers >= 0")
    history = _read_history(arrays)
    history.health = _read_health(arrays)
    dtype = np.dtype(config.dtype)
    network = MLP(
        [np.asarray(w, dtype) for w in weights], [np.asarray(b, dtype) for b in biases], config.activation, config.loss
    )
    return {
        "network": network,
        "config": config,
        "history": history,
        "snapshot_steps": steps.astype(np.int64),
        "snapshot_weights": snapshot_weights,
        "status": _status(_text(meta, "status", "finished")),
        "test_accuracy": _optional_float(meta, "test_accuracy"),
        "validation_accuracy": _optional_float(meta, "validation_accuracy"),
        "train_seconds": _seconds(meta, "train_seconds"),
        "trained_at": _text(meta, "trained_at", ""),
        "name": _text(meta, "name", ""),
    }
