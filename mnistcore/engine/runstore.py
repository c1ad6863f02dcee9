"""The run store: trained runs kept on disk, so a reload keeps them and a link can share one.

Every finished or stopped run is saved whole (config, history, snapshots, weights) as an
``.npz`` checkpoint (``checkpoint``, the format of a downloaded model file) under an id that
no one can guess (``secrets.token_urlsafe``: 144 random bits). A SQLite index (the standard
library's ``sqlite3``) lists the runs: when each was made and last used, its size, name and
test accuracy, and a hash of the session that made it (for the per-hour limit).

Layout of the store's folder (``default_runs_dir()``, moved with ``MNIST_RUNS_DIR``)::

    index.sqlite3        the index: one row per complete run
    runs/<id>.npz        the run's checkpoint
    tmp/                 files being written (a crash leaves them here; the next open removes them)

Why a crash never leaves half a run: ``save`` writes the checkpoint to ``tmp/``, fsyncs it,
renames it into ``runs/`` (a rename is atomic) and fsyncs the folder, and only then commits
the index row (SQLite's commit is atomic too). The index is the truth: a run is listed only
once its file is complete on disk. A crash before the commit leaves a file without a row,
which ``recover`` (run on open) deletes; a file that went missing or bad later is reported
by ``load`` and left out by ``runs``, never a crash.

Every stored file is read as an upload is: ``TrainedModel.load``, with all of the checkpoint
module's caps. An id is checked (``check_run_id``) before it is used in a path or a query.

Limits (``StoreLimits``, from the environment with ``limits_from_env``): the store's total
size and number of runs (the runs used longest ago are evicted first), and the runs one
owner (a browser session) may save per hour. A run made or opened in the last
``keep_seconds`` (a day) is never evicted: a reload starts a new session with a new hourly
allowance, so without this anyone could flood the store and push out everyone else's runs.
A store full of such runs refuses new ones instead (they stay in their session), which
loses nothing. Sizes are checked before anything is written, free disk space included. A
store that cannot be written (read-only, full disk) raises ``RunStoreUnavailable``: callers
keep the run in memory and say so.

Deliberate limits: runs are never changed after they are saved (so a shared run cannot be
altered by anyone); deleting one is eviction's job, or removing the folder's files. Two saves
at the same moment may each find room and together overshoot the limits by one run (the next
save evicts it). Files are stored uncompressed: float weights barely deflate (7% for
784-800-10) and deflating took 15 times longer than writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from mnistcore.engine import checkpoint
from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.config import env_number
from mnistcore.engine.model import TrainedModel

try:  # optional, as for the MNIST cache (data.files)
    import platformdirs
except ImportError:  # pragma: no cover
    platformdirs = None  # type: ignore[assignment]

RUN_ID_BYTES = 18  # 144 random bits; token_urlsafe makes them 24 characters
RUN_ID_CHARS = 24
_RUN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{23}")
INDEX_NAME = "index.sqlite3"
DEFAULT_MAX_STORE_MB = 2000.0  # 2 GB: 80 runs of the widest network, thousands of small ones
DEFAULT_MAX_RUNS = 1000
DEFAULT_RUNS_PER_HOUR = 30  # per owner (browser session)
DEFAULT_KEEP_HOURS = 24.0  # a run made or opened this recently is never evicted
FREE_DISK_MARGIN = 50 * 1024 * 1024  # never fill the disk to its last bytes
STALE_SECONDS = 600.0  # a file without an index row this old is a crashed write, not one in progress


class RunStoreError(Exception):
    """A run that cannot be had: a bad id, an unknown run, a missing or corrupt file. The
    message is one line, fit to show."""


class BadRunId(RunStoreError):
    """Text that is not a run id (refused before it is used anywhere)."""


class RunNotFound(RunStoreError):
    """No such run in the store (never saved, or evicted)."""


class RunStoreUnavailable(RunStoreError):
    """The store cannot be written (read-only, full disk, over a limit): keep the run in memory."""


def new_run_id() -> str:
    """24 random URL-safe characters (about 143.9 bits: ids never start with "-", which a
    command line would read as an option)."""
    while True:
        run_id = secrets.token_urlsafe(RUN_ID_BYTES)
        if not run_id.startswith("-"):
            return run_id


def is_run_id(text: object) -> bool:
    return isinstance(text, str) and len(text) == RUN_ID_CHARS and _RUN_ID.fullmatch(text) is not None


def check_run_id(text: object) -> str:
    """``text`` if it is a run id (24 URL-safe characters), else ``BadRunId``: a path such as
    ``../../etc/passwd`` or 10 KB of text never reaches a file name or a query."""
    if not is_run_id(text):
        shown = repr(text[:24] + "...") if isinstance(text, str) and len(text) > 24 else repr(text)[:40]
        raise BadRunId(
            f"{shown} is not a run id (a run id is {RUN_ID_CHARS} letters, digits, - or _, not starting with -)"
        )
    assert isinstance(text, str)
    return text


def default_runs_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$MNIST_RUNS_DIR``, else ``<user cache>/mnistcore/runs`` (next to the MNIST cache)."""
    env = os.environ if env is None else env
    named = env.get("MNIST_RUNS_DIR", "").strip()
    if named:
        return Path(named).expanduser()
    if platformdirs is not None:
        return Path(platformdirs.user_cache_dir("mnistcore", appauthor=False)) / "runs"
    xdg = env.get("XDG_CACHE_HOME", "")
    root = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return root / "mnistcore" / "runs"


@dataclass(frozen=True)
class StoreLimits:
    """``max_bytes`` in all, at most ``max_runs`` runs, ``runs_per_hour`` saves per owner; no
    run made or opened in the last ``keep_seconds`` is evicted to make room."""

    max_bytes: int = int(DEFAULT_MAX_STORE_MB * 1e6)
    max_runs: int = DEFAULT_MAX_RUNS
    runs_per_hour: int = DEFAULT_RUNS_PER_HOUR
    keep_seconds: float = DEFAULT_KEEP_HOURS * 3600


def limits_from_env(env: Mapping[str, str] | None = None) -> StoreLimits:
    """``MNIST_RUNS_MAX_MB``, ``MNIST_RUNS_MAX_COUNT``, ``MNIST_RUNS_PER_HOUR`` and
    ``MNIST_RUNS_KEEP_HOURS`` (defaults where unset or blank); ValueError names a variable that
    is not a finite number >= 1 (>= 0 for the hours)."""
    env = os.environ if env is None else env

    return StoreLimits(
        max_bytes=int(env_number(env, "MNIST_RUNS_MAX_MB", DEFAULT_MAX_STORE_MB, float, low=1) * 1e6),
        max_runs=env_number(env, "MNIST_RUNS_MAX_COUNT", DEFAULT_MAX_RUNS, int, low=1),
        runs_per_hour=env_number(env, "MNIST_RUNS_PER_HOUR", DEFAULT_RUNS_PER_HOUR, int, low=1),
        keep_seconds=env_number(env, "MNIST_RUNS_KEEP_HOURS", DEFAULT_KEEP_HOURS, float, low=0) * 3600,
    )


@dataclass(frozen=True)
class RunInfo:
    """One stored run as the index lists it (its file is read only by ``load``)."""

    run_id: str
    created: float
    last_used: float
    size: int
    name: str
    test_accuracy: float | None
    summary: dict

    @property
    def created_text(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(self.created)) + " UTC"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    last_used REAL NOT NULL,
    size INTEGER NOT NULL,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    test_accuracy REAL,
    summary TEXT NOT NULL
)
"""
MAX_SUMMARY_CHARS = 4096  # the index's JSON per run (config, status): a few hundred characters


def _owner_key(owner: str) -> str:
    """The index keeps a hash of the owner (a session id), never the id itself."""
    return hashlib.sha256(owner.encode()).hexdigest()[:32] if owner else ""


class RunStore:
    """Runs on disk in ``directory`` (created on first use), within ``limits``.

    ``fault`` is for tests: it is called with the name of each write step as it is reached
    ("temp written", "temp synced", "renamed", "indexed") and may raise to simulate a crash there.
    """

    def __init__(
        self,
        directory: str | Path,
        limits: StoreLimits | None = None,
        fault: Callable[[str], None] | None = None,
    ):
        self.directory = Path(directory)
        self.limits = limits or StoreLimits()
        self._fault = fault or (lambda step: None)
        self._ready = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RunStore:
        return cls(default_runs_dir(env), limits_from_env(env))

    # ------------------------------------------------------------------ paths and the index
    @property
    def runs_dir(self) -> Path:
        return self.directory / "runs"

    @property
    def tmp_dir(self) -> Path:
        return self.directory / "tmp"

    def run_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{check_run_id(run_id)}.npz"

    @contextlib.contextmanager
    def _index(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation (each thread and process its own), committed on
        success and rolled back on an error."""
        self._open()
        connection = sqlite3.connect(self.directory / INDEX_NAME, timeout=30)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def _open(self) -> None:
        """Create the folders and the index on first use, then remove what crashed writes left."""
        if self._ready:
            return
        try:
            for folder in (self.directory, self.runs_dir, self.tmp_dir):
                folder.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.directory / INDEX_NAME, timeout=30)
            try:
                with connection:
                    connection.execute(_SCHEMA)
            finally:
                connection.close()
        except (OSError, sqlite3.Error) as exc:
            raise RunStoreUnavailable(f"the run store at {self.directory} cannot be used: {_reason(exc)}") from None
        self._ready = True
        with contextlib.suppress(OSError, sqlite3.Error):
            self.recover()

    def recover(self, older_than: float = STALE_SECONDS) -> list[str]:
        """Remove what a crashed write left (files in ``tmp/``; checkpoints without an index
        row), once older than ``older_than`` seconds so that a write in progress in another
        process is left alone. Returns what was removed, as file names."""
        self._open()
        now = time.time()
        removed = []
        with self._index() as db:
            listed = {row[0] for row in db.execute("SELECT id FROM runs")}
        candidates = [p for p in self.tmp_dir.iterdir()]
        candidates += [p for p in self.runs_dir.iterdir() if p.stem not in listed or p.suffix != ".npz"]
        for path in candidates:
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime >= older_than:
                    path.unlink()
                    removed.append(path.name)
        return removed

    # ------------------------------------------------------------------ saving
    def save(self, model: TrainedModel, owner: str = "") -> str:
        """Store ``model`` as a new run and return its id. Raises ``RunStoreUnavailable`` (with
        why, in a line) when it cannot: over the per-hour limit, too big, a read-only or full
        disk, a store full of runs too recent to evict. Older runs are evicted first to keep
        the store within its limits."""
        buffer = io.BytesIO()
        checkpoint.save(model, buffer, compress=False)  # the float weights barely compress: speed first
        data = buffer.getbuffer()
        size = len(data)
        if size > checkpoint.max_file_bytes() or size > self.limits.max_bytes:
            raise RunStoreUnavailable(f"this run's file ({size / 1e6:.1f} MB) is larger than the store allows")
        key = _owner_key(owner)
        now = time.time()
        with self._index() as db:
            if key:
                (recent,) = db.execute(
                    "SELECT COUNT(*) FROM runs WHERE owner = ? AND created > ?", (key, now - 3600)
                ).fetchone()
                if recent >= self.limits.runs_per_hour:
                    raise RunStoreUnavailable(
                        f"this session already stored {recent} runs in the last hour, the limit is "
                        f"{self.limits.runs_per_hour}"
                    )
        self._make_room(size)
        self._check_disk(size)
        run_id = new_run_id()
        summary = json.dumps(
            {"config": model.config.to_dict(), "status": str(model.status), "trained_at": model.trained_at},
            allow_nan=False,
        )
        try:
            self._write_file(run_id, data)
            with self._index() as db:
                db.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, now, now, size, key, model.name[:200], _number(model.test_accuracy), summary),
                )
                self._fault("indexed")  # a crash before the commit: no row, the file is an orphan
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                self.run_path(run_id).unlink()
            raise RunStoreUnavailable(f"the run could not be stored: {_reason(exc)}") from None
        return run_id

    def _write_file(self, run_id: str, data: bytes | memoryview) -> None:
        """Temp file, fsync, rename into ``runs/``, fsync the folder."""
        temp = self.tmp_dir / f"{run_id}.{secrets.token_hex(4)}.tmp"
        try:
            with open(temp, "xb") as handle:
                handle.write(data)
                self._fault("temp written")
                handle.flush()
                os.fsync(handle.fileno())
            self._fault("temp synced")
            os.replace(temp, self.run_path(run_id))
            self._fault("renamed")
            _fsync_dir(self.runs_dir)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise

    def _make_room(self, size: int) -> None:
        """Evict the runs used longest ago until one more of ``size`` bytes fits the limits,
        never one used within ``keep_seconds``: if only such runs are left, refuse the save.
        The row goes first, then the file: a crash in between leaves an orphan file, removed
        by ``recover``, never a row without its file."""
        while True:
            with self._index() as db:
                count, total = db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM runs").fetchone()
                if count + 1 <= self.limits.max_runs and total + size <= self.limits.max_bytes:
                    return
                kept_since = time.time() - self.limits.keep_seconds
                oldest = db.execute(
                    "SELECT id FROM runs WHERE last_used < ? ORDER BY last_used, created LIMIT 1", (kept_since,)
                ).fetchone()
                if oldest is None:
                    hours = self.limits.keep_seconds / 3600
                    raise RunStoreUnavailable(
                        f"the run store is full of runs made or opened in the last {hours:g} hours, "
                        "which are never removed to make room"
                    )
                db.execute("DELETE FROM runs WHERE id = ?", oldest)
            with contextlib.suppress(OSError):
                self.run_path(oldest[0]).unlink()

    def _check_disk(self, size: int) -> None:
        try:
            free = shutil.disk_usage(self.directory).free
        except OSError as exc:
            raise RunStoreUnavailable(f"the run store's disk cannot be read: {_reason(exc)}") from None
        if free < size + FREE_DISK_MARGIN:
            raise RunStoreUnavailable(f"the disk is almost full ({free / 1e6:,.0f} MB free)")

    # ------------------------------------------------------------------ reading
    def info(self, run_id: str) -> RunInfo:
        """The index's row for ``run_id``; ``BadRunId`` or ``RunNotFound`` otherwise."""
        check_run_id(run_id)
        with self._index() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(f"no stored run {run_id} (it may have been removed to make room)")
        return _info(row)

    def load(self, run_id: str) -> TrainedModel:
        """The stored run's model, read as an upload is read (every checkpoint check and
        cap). Raises ``RunStoreError`` (one line) for a bad id, an unknown run, or a missing or
        corrupt file; marks the run as used (eviction takes the runs used longest ago)."""
        self.info(run_id)
        path = self.run_path(run_id)
        try:
            model = TrainedModel.load(path)
        except CheckpointError as exc:
            raise RunStoreError(f"stored run {run_id} cannot be read: {exc}") from None
        with contextlib.suppress(OSError, sqlite3.Error), self._index() as db:
            db.execute("UPDATE runs SET last_used = ? WHERE id = ?", (time.time(), run_id))
        return model

    def runs(self) -> list[RunInfo]:
        """Every complete run, newest first: listed in the index and its file on disk at its
        recorded size (a run whose file went missing is left out)."""
        with self._index() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY created DESC").fetchall()
        listed = []
        for row in rows:
            info = _info(row)
            with contextlib.suppress(OSError):
                if self.run_path(info.run_id).stat().st_size == info.size:
                    listed.append(info)
        return listed

    def total_bytes(self) -> int:
        with self._index() as db:
            return int(db.execute("SELECT COALESCE(SUM(size), 0) FROM runs").fetchone()[0])


_COLUMNS = "id, created, last_used, size, name, test_accuracy, summary"


def _info(row: tuple) -> RunInfo:
    run_id, created, last_used, size, name, accuracy, summary = row
    try:
        details = json.loads(summary) if len(summary) <= MAX_SUMMARY_CHARS else {}
    except ValueError:
        details = {}
    return RunInfo(run_id, created, last_used, size, name, accuracy, details if isinstance(details, dict) else {})


def _number(value: float | None) -> float | None:
    return None if value is None or value != value else float(value)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (not possible on every platform: then skipped)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]
