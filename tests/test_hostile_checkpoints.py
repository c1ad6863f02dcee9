"""Hostile checkpoint files: every one is refused fast, with one CheckpointError line, by
``TrainedModel.load`` and by ``python -m mnistcore evaluate`` (exit 2, one line on stderr, no
traceback), and refusing one costs the process next to no memory.

Every file is built here, in code, from the shipped default model (no binaries committed):
files that declare huge sizes and compress to almost nothing (64 MB of history in a 0.5 MB
upload, a 784-4096-3000-10 network in 65 KB, a (10^6, 10^6) array header), a zip of 250,000
members, metadata that is deep, long or of the wrong types, histories holding NaN or
infinities, and paths that are not regular files (a directory, a FIFO, a character device).
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import struct
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mnistcore.engine import cli
from mnistcore.engine.checkpoint import MAX_CHECKPOINT_BYTES, MAX_MESSAGE_CHARS, CheckpointError
from mnistcore.engine.model import TrainedModel

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "models" / "default.npz"
# A refusal reads headers only (about 0.1 s); reading the payload would take far longer. The
# bound is generous so that a loaded CI machine cannot fail it.
REFUSAL_SECONDS = 5.0
REFUSAL_PEAK_MB = 20  # what refusing a hostile file may add to the process's peak memory

# ------------------------------------------------------------------ building hostile files


def default_arrays() -> dict[str, np.ndarray]:
    with np.load(DEFAULT_MODEL, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def npz(arrays: dict[str, np.ndarray], compressed: bool = True) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def meta_of(arrays: dict[str, np.ndarray]) -> dict:
    return json.loads(str(arrays["meta"]))


def with_meta(arrays: dict[str, np.ndarray], **changes) -> dict[str, np.ndarray]:
    return {**arrays, "meta": np.array(json.dumps({**meta_of(arrays), **changes}))}


def with_meta_text(arrays: dict[str, np.ndarray], text: str) -> dict[str, np.ndarray]:
    return {**arrays, "meta": np.array(text)}


def with_history(arrays: dict[str, np.ndarray], name: str, index: int, value: float) -> dict[str, np.ndarray]:
    column = arrays[f"history/{name}"].copy()
    column[index] = value
    return {**arrays, f"history/{name}": column}


def npy_header_only(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """A .npy member that declares ``shape`` and holds no data at all."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def npz_with_member(arrays: dict[str, np.ndarray], name: str, data: bytes) -> bytes:
    """``arrays`` as an .npz, with the member ``name`` replaced by raw bytes."""
    members = {f"{key}.npy": _npy(value) for key, value in arrays.items() if key != name}
    return zip_of({**members, f"{name}.npy": data})


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def many_member_zip(count: int, directory_entries: int | None = None) -> bytes:
    """A valid zip of ``count`` empty members, written with struct (zipfile takes seconds for
    250,000). Its end records claim ``directory_entries`` entries (default: the truth)."""
    local, central, offset = [], [], 0
    for i in range(count):
        name = f"m{i}.npy".encode()
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
        central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, offset)
            + name
        )
        local.append(header)
        offset += len(header)
    directory = b"".join(central)
    entries = count if directory_entries is None else directory_entries
    end = b""
    if entries > 0xFFFF:  # zip64 end records, as zipfile writes them
        end64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, len(directory), offset)
        end = end64 + struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + len(directory), 1)
    end += struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, min(entries, 0xFFFF), min(entries, 0xFFFF), len(directory), offset, 0
    )
    return b"".join(local) + directory + end


def huge_history() -> bytes:
    """The default model (without snapshots) with ~64 MB of zeros as its history: half a
    megabyte compressed."""
    arrays = without_snapshots(default_arrays())
    rows = (MAX_CHECKPOINT_BYTES - sum(a.nbytes for a in arrays.values()) - 100_000) // (8 * 9)
    history = {key: np.zeros(rows) for key in arrays if key.startswith("history/")}
    return npz({**arrays, **history})


def without_snapshots(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    kept = {key: value for key, value in arrays.items() if key != "snapshots/weights"}
    return {**kept, "snapshots/steps": np.zeros(0, np.int64)}


def huge_network() -> bytes:
    """A 784-4096-3000-10 network of zeros (15.5 million parameters, 62 MB): 65 KB compressed."""
    arrays = default_arrays()
    sizes = [784, 4096, 3000, 10]
    meta = meta_of(arrays)
    meta["config"]["hidden"] = sizes[1:-1]
    net = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        net[f"weights/{l}"] = np.zeros((a, b), np.float32)
        net[f"biases/{l}"] = np.zeros(b, np.float32)
    history = {key: value for key, value in arrays.items() if key.startswith("history/")}
    empty = {"snapshots/steps": np.zeros(0, np.int64)}
    return npz({"meta": np.array(json.dumps(meta)), **net, **history, **empty})


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def meta_text_with(arrays: dict[str, np.ndarray], where: str, raw_json: str) -> dict[str, np.ndarray]:
    """The metadata with the config's ``where`` replaced by ``raw_json``, verbatim."""
    meta = meta_of(arrays)
    meta["config"][where] = "@@"
    return with_meta_text(arrays, json.dumps(meta).replace('"@@"', raw_json))


def lzma_member_npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            method = zipfile.ZIP_LZMA if key == "meta" else zipfile.ZIP_DEFLATED
            archive.writestr(f"{key}.npy", _npy(value), compress_type=method)
    return buffer.getvalue()


def duplicate_member_npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        with zipfile.ZipFile(buffer, "w") as archive:
            for key, value in arrays.items():
                archive.writestr(f"{key}.npy", _npy(value))
            archive.writestr("weights/0.npy", _npy(np.zeros((784, 128), np.float32)))
    return buffer.getvalue()


def too_many_snapshots(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    count = 50  # 20 MB of zeros
    return {**arrays, "snapshots/steps": np.arange(count), "snapshots/weights": np.zeros((count, 784, 128), np.float32)}


A = functools.cache(default_arrays)

#: name -> (the file's bytes, what the refusal says)
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    # -------------------------------------------------- sizes declared, not held (finding 2)
    "64 MB of zeros as history": (huge_history, "events, the limit is 20,000"),
    "a 784-4096-3000-10 network": (huge_network, "has 15,536,370 weights and biases; models here have at most"),
    "50 weight snapshots": (lambda: npz(too_many_snapshots(A())), "has 50 weight snapshots, the limit is 9"),
    "a (10^6, 10^6) array header": (
        lambda: npz_with_member(A(), "weights/0", npy_header_only((10**6, 10**6))),
        "weights/0 declares a (1000000, 1000000) array of 8,000,000 MB",
    ),
    "an array header bigger than its data": (
        lambda: npz_with_member(A(), "weights/0", npy_header_only((784, 128), "<f4")),
        "weights/0 declares 401,408 bytes of data but holds only",
    ),
    "a negative shape": (
        lambda: npz_with_member(A(), "biases/0", npy_header_only((-1,), "<f4")),
        "biases/0 declares the shape (-1,)",
    ),
    "a 4-D array": (
        lambda: npz_with_member(A(), "history/step", npy_header_only((1, 1, 1, 1))),
        "history/step declares the shape (1, 1, 1, 1)",
    ),
    "250,000 zip members": (
        lambda: many_member_zip(250_000),
        "the archive holds 250,000 entries, a checkpoint at most",
    ),
    "a 14 MB zip directory claiming 5 entries": (
        lambda: many_member_zip(250_000, directory_entries=5),
        "its zip directory is 14,138,890 bytes",
    ),
    "a million characters of metadata": (
        lambda: npz(with_meta(A(), padding="x" * 1_000_000)),
        "checkpoint metadata too long: 1,000,",
    ),
    "an LZMA member": (lambda: lzma_member_npz(A()), "meta is compressed with a method NumPy never uses"),
    "a member that is not .npy": (
        lambda: zip_of({**{f"{k}.npy": _npy(v) for k, v in A().items()}, "readme.txt": b"hello"}),
        "unexpected entry 'readme.txt'",
    ),
    "a member twice": (lambda: duplicate_member_npz(A()), "the entry 'weights/0.npy' appears twice"),
    "a member that is not an array": (
        lambda: npz_with_member(A(), "weights/1", b"just some text, long enough to be read"),
        "weights/1 is not a NumPy array",
    ),
    "a structured array": (
        lambda: npz({**A(), "biases/0": np.zeros(128, dtype=[("a", "<f4")])}),
        "biases/0 must hold floating-point numbers, got dtype",
    ),
    # -------------------------------------------------- metadata (finding 6)
    "100,000-deep JSON": (lambda: npz(with_meta_text(A(), deep_json(100_000))), "checkpoint metadata too long"),
    "10,000-deep JSON": (lambda: npz(with_meta_text(A(), deep_json(10_000))), "metadata is nested too deeply"),
    "5,000-deep config value": (
        lambda: npz(meta_text_with(A(), "hidden", deep_json(5_000))),
        "metadata is nested too deeply",
    ),
    "a 5,000-digit number": (
        lambda: npz(meta_text_with(A(), "lr", "1" + "0" * 5_000)),
        "metadata holds a number too long to read",
    ),
    "a 400-digit learning rate": (
        lambda: npz(meta_text_with(A(), "lr", "1" + "0" * 400)),
        "checkpoint config is invalid",
    ),
    "train_seconds 'abc'": (
        lambda: npz(with_meta(A(), train_seconds="abc")),
        "train_seconds must be a finite number of seconds >= 0, got 'abc'",
    ),
    "train_seconds Infinity": (lambda: npz(with_meta(A(), train_seconds=math.inf)), "got inf"),
    "train_seconds NaN": (lambda: npz(with_meta(A(), train_seconds=math.nan)), "got nan"),
    "negative train_seconds": (lambda: npz(with_meta(A(), train_seconds=-1)), "got -1"),
    "a numeric status": (lambda: npz(with_meta(A(), status=123)), "status must be text of at most 32 characters"),
    "a long status": (lambda: npz(with_meta(A(), status="x" * 10_000)), "got 10,000 characters"),
    "trained_at a list": (lambda: npz(with_meta(A(), trained_at=[1, 2])), "trained_at must be text"),
    "a 1,000-character name": (lambda: npz(with_meta(A(), name="n" * 1000)), "name must be text of at most 200"),
    "a null name": (lambda: npz(with_meta(A(), name=None)), "name must be text of at most 200 characters, got None"),
    "an infinite accuracy": (lambda: npz(with_meta(A(), test_accuracy=math.inf)), "test_accuracy must be in [0, 1]"),
    "an accuracy of 2": (lambda: npz(with_meta(A(), validation_accuracy=2)), "validation_accuracy must be in [0, 1]"),
    "a long version": (lambda: npz(with_meta(A(), version="v" * 50_000)), "checkpoint format version 'vvv"),
    "a list for meta": (lambda: npz(with_meta_text(A(), "[1, 2, 3]")), "wrong format tag"),
    # -------------------------------------------------- history and snapshot values (finding 6)
    "a NaN step": (lambda: npz(with_history(A(), "step", 3, math.nan)), "history/step must hold whole numbers >= 0"),
    "an infinite step": (lambda: npz(with_history(A(), "step", 3, math.inf)), "history/step must hold whole numbers"),
    "a fractional step": (lambda: npz(with_history(A(), "step", 3, 2.5)), "history/step must hold whole numbers"),
    "a step of 1e300": (lambda: npz(with_history(A(), "step", 3, 1e300)), "history/step must hold whole numbers"),
    "negative samples seen": (
        lambda: npz(with_history(A(), "samples_seen", 0, -100)),
        "history/samples_seen must hold whole numbers >= 0",
    ),
    "an infinite loss": (
        lambda: npz(with_history(A(), "batch_loss", 7, math.inf)),
        "history/batch_loss contains NaN or infinite values",
    ),
    "a NaN learning rate": (
        lambda: npz(with_history(A(), "learning_rate", 7, math.nan)),
        "history/learning_rate contains NaN or infinite values",
    ),
    "an infinite validation accuracy": (
        lambda: npz(with_history(A(), "validation_accuracy", 7, -math.inf)),
        "history/validation_accuracy contains infinite values",
    ),
    "a negative snapshot step": (
        lambda: npz({**A(), "snapshots/steps": A()["snapshots/steps"] - 5}),
        "snapshots/steps must be step numbers >= 0",
    ),
    "a snapshot step of 2^63": (
        lambda: npz({**A(), "snapshots/steps": A()["snapshots/steps"].astype(np.uint64) + np.uint64(2**63)}),
        "snapshots/steps must be step numbers >= 0",
    ),
}


@functools.cache
def hostile(case: str) -> bytes:
    return HOSTILE[case][0]()


def assert_one_short_line(message: str) -> None:
    assert "\n" not in message and len(message) <= MAX_MESSAGE_CHARS, message
    assert "Traceback" not in message and "allow_pickle" not in message


# ------------------------------------------------------------------ the refusals


@pytest.mark.parametrize("case", list(HOSTILE))
def test_load_refuses_every_hostile_file_fast_in_one_line(case):
    data = hostile(case)
    started = time.perf_counter()
    with pytest.raises(CheckpointError) as info:
        TrainedModel.load(data)
    seconds = time.perf_counter() - started
    message = str(info.value)
    assert HOSTILE[case][1] in message
    assert_one_short_line(message)
    assert seconds < REFUSAL_SECONDS, f"{case}: refused after {seconds:.2f} s"


@pytest.mark.parametrize("case", list(HOSTILE))
def test_evaluate_refuses_every_hostile_file_with_status_2_and_one_line(case, tmp_path, capsys):
    path = tmp_path / "hostile.npz"
    path.write_bytes(hostile(case))
    started = time.perf_counter()
    code = cli.main(["evaluate", str(path)])
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mnistcore: error: "), err
    assert HOSTILE[case][1] in err and "Traceback" not in err
    assert seconds < REFUSAL_SECONDS, f"{case}: refused after {seconds:.2f} s"


def test_the_many_members_refusal_names_none_of_them():
    with pytest.raises(CheckpointError) as info:
        TrainedModel.load(hostile("250,000 zip members"))
    assert "m0" not in str(info.value) and "m249999" not in str(info.value)


def test_the_base_file_of_the_hostile_ones_loads():
    """The refusals above are not vacuous: the file they are made from, and the same file
    rewritten with the helpers used for them, load."""
    assert TrainedModel.load(DEFAULT_MODEL).name == "default"
    assert TrainedModel.load(npz(A())).name == "default"
    assert TrainedModel.load(zip_of({f"{k}.npy": _npy(v) for k, v in A().items()})).name == "default"
    assert TrainedModel.load(npz(with_history(A(), "validation_accuracy", 7, math.nan))).name == "default"
    assert TrainedModel.load(npz(meta_text_with(A(), "lr", "0.05"))).config.lr == 0.05


# ------------------------------------------------------------------ memory


MEASURE = """
import gc, re, resource, sys, time
from mnistcore.engine.model import TrainedModel

def kb(field):
    return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))

for path in sys.argv[1:]:
    data = open(path, "rb").read()
    gc.collect()
    try:
        open("/proc/self/clear_refs", "w").write("5")  # the peak starts again from here (Linux)
        before, peak = kb("VmRSS"), lambda: kb("VmHWM")
    except OSError:  # elsewhere: only growth above the process's earlier peak is seen
        peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        before = peak()
    started = time.perf_counter()
    try:
        TrainedModel.load(data)
        outcome = "loaded"
    except Exception as exc:
        outcome = type(exc).__name__ + ": " + " ".join(str(exc).split())[:100]
    seconds = time.perf_counter() - started
    print((peak() - before) / 1024, seconds, outcome, sep="\\t", flush=True)
    del data
"""


def peaks_of_loading(paths: list[Path], project: Path = ROOT) -> list[tuple[float, float, str]]:
    """For each file: (MB it added to the peak resident memory while loading, seconds, outcome),
    measured in a fresh Python whose ``mnistcore`` comes from ``project`` (e.g. an older checkout)."""
    # A fixed mmap threshold (glibc): every allocation over 128 KB gets fresh pages, so that
    # memory freed by one load cannot hide the next one's allocations from the peak.
    env = {**os.environ, "PYTHONPATH": str(project), "MALLOC_MMAP_THRESHOLD_": "131072"}
    argv = [sys.executable, "-c", MEASURE, *map(str, paths)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=project, check=True, timeout=600)
    rows = [line.split("\t") for line in done.stdout.strip().splitlines()]
    return [(float(mb), float(seconds), outcome) for mb, seconds, outcome in rows]


def test_refusing_a_hostile_file_costs_next_to_no_memory(tmp_path):
    paths = []
    for i, case in enumerate(HOSTILE):
        paths.append(tmp_path / f"{i}.npz")
        paths[-1].write_bytes(hostile(case))
    control = tmp_path / "control.npz"
    control.write_bytes(npz({**A(), "snapshots/weights": A()["snapshots/weights"] + 1}))  # 3.6 MB of snapshots
    *refused, loaded = peaks_of_loading([*paths, control])
    for case, (mb, _, outcome) in zip(HOSTILE, refused):
        assert outcome.startswith("CheckpointError: "), (case, outcome)
        assert mb < REFUSAL_PEAK_MB, f"{case}: refusing it took {mb:.0f} MB"
    assert loaded[2] == "loaded" and loaded[0] > 3, loaded  # the measurement does see a load's arrays


# ------------------------------------------------------------------ paths that are not files


def _not_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, what the refusal says it is)."""
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    cases = {"a directory": (tmp_path, "is a directory"), "a FIFO": (fifo, "is not a regular file")}
    if Path("/dev/zero").exists():
        cases["a character device"] = (Path("/dev/zero"), "is not a regular file")
    return cases


@pytest.fixture(params=["a directory", "a FIFO", "a character device"])
def not_a_file(request, tmp_path):
    cases = _not_files(tmp_path)
    if request.param not in cases:
        pytest.skip("no /dev/zero here")
    path, words = cases[request.param]
    yield path, words
    if path.name == "fifo.npz":  # should a regression block on opening the FIFO, let it go
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def _in_thread(function: Callable[[], object], timeout: float) -> BaseException | None:
    """What ``function`` raised within ``timeout`` seconds; fails if it is still running."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s (blocked?)"
    return raised[0] if raised else None


def test_load_says_what_a_path_that_is_not_a_file_is(not_a_file):
    path, words = not_a_file
    raised = _in_thread(lambda: TrainedModel.load(path), REFUSAL_SECONDS * 5)
    assert isinstance(raised, CheckpointError) and words in str(raised), raised


def test_evaluate_says_what_a_path_that_is_not_a_file_is(not_a_file, capsys):
    path, words = not_a_file
    codes: list[int] = []
    assert _in_thread(lambda: codes.append(cli.main(["evaluate", str(path)])), REFUSAL_SECONDS * 5) is None
    out, err = capsys.readouterr()
    assert codes == [2] and out == ""
    assert err.startswith(f"mnistcore: error: {path} {words}") and err.count("\n") == 1, err
    assert "no such model file" not in err


def test_the_command_line_does_not_hang_on_a_fifo_or_a_device(tmp_path):
    for name, (path, words) in _not_files(tmp_path).items():
        if name == "a directory":
            continue
        done = subprocess.run(
            [sys.executable, "-m", "mnistcore", "evaluate", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 2 and done.stdout == "", (name, done)
        assert done.stderr == f"mnistcore: error: {path} {words} (a model file is an .npz checkpoint)\n", (name, done)
