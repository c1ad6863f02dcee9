"""Tests for mnistcore.engine.checkpoint: every kind of bad file refused with a CheckpointError
that says what is wrong (nothing is ever unpickled), and the caps, exactly. The round trip of
good files is in test_model.py; hostile files on the dashboard in test_hostile_checkpoints.py."""

from __future__ import annotations

import io
import json
import math
import pickle

import numpy as np
import pytest

from mnistcore.engine import checkpoint
from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.config import MAX_HISTORY_EVENTS, MAX_PARAMETERS, TrainConfig
from mnistcore.engine.history import History, ProgressEvent
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.network import MLP
from mnistcore.engine.trainer import Trainer


def _small_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (300, 784)).astype(np.float32)
    y = rng.integers(0, 10, 300)
    return x, y, x[:50], y[:50]


# ------------------------------------------------------------------ refusals


def _arrays(model: TrainedModel) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(model.to_bytes()), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _with_meta(arrays, **changes):
    meta = json.loads(str(arrays["meta"]))
    meta.update(changes)
    return {**arrays, "meta": np.array(json.dumps(meta))}


def _with_config(arrays, **changes):
    meta = json.loads(str(arrays["meta"]))
    meta["config"].update(changes)
    return {**arrays, "meta": np.array(json.dumps(meta))}


def _without(arrays, key):
    return {k: v for k, v in arrays.items() if k != key}


def _npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((784, 16)))
    return buffer.getvalue()


BAD_FILES = {
    "object array (pickle)": (
        lambda a: _npz({**a, "payload": np.array([{"run": "code"}], dtype=object)}),
        "it holds Python objects (object arrays), which are never loaded",
    ),
    "object-array meta": (
        lambda a: _npz({**a, "meta": np.array([json.loads(str(a["meta"]))], dtype=object)}),
        "never loaded",
    ),
    "a pickle": (lambda a: pickle.dumps(a), "not a NumPy .npz archive (pickled Python objects are never loaded)"),
    "plain text": (lambda a: b"weights: [1, 2, 3]\n", "not a NumPy .npz archive"),
    "empty file": (lambda a: b"", "not a readable .npz checkpoint"),
    "truncated zip": (lambda a: _npz(a)[:2000], "not a readable .npz checkpoint"),
    "single .npy": (lambda a: _npy_bytes(), "expected an .npz archive of named arrays, got a single array"),
    "wrong-shaped weight": (
        lambda a: _npz({**a, "weights/0": a["weights/0"].T.copy()}),
        "weights/0 has shape (8, 784), expected (784, 8) for this config",
    ),
    "wrong-shaped bias": (lambda a: _npz({**a, "biases/1": np.zeros(3)}), "biases/1 has shape (3,), expected (10,)"),
    "integer weights": (
        lambda a: _npz({**a, "weights/1": a["weights/1"].astype(np.int64)}),
        "weights/1 must hold floating-point numbers, got dtype int64",
    ),
    "missing key": (lambda a: _npz(_without(a, "biases/1")), "missing ['biases/1']"),
    "missing history column": (lambda a: _npz(_without(a, "history/batch_loss")), "missing ['history/batch_loss']"),
    "extra key": (lambda a: _npz({**a, "weights/2": np.zeros((10, 10))}), "unexpected ['weights/2']"),
    "NaN weights": (
        lambda a: _npz({**a, "weights/0": np.where(np.arange(784 * 8).reshape(784, 8) == 5, np.nan, a["weights/0"])}),
        "weights/0 contains NaN or infinite values",
    ),
    "infinite bias": (lambda a: _npz({**a, "biases/0": np.full(8, np.inf)}), "biases/0 contains NaN or infinite"),
    "NaN snapshot": (
        lambda a: _npz({**a, "snapshots/weights": a["snapshots/weights"] * np.nan}),
        "snapshots/weights contains NaN",
    ),
    "bad config value": (lambda a: _npz(_with_config(a, lr=-1)), "checkpoint config is invalid: lr must be in (0, 10]"),
    "unknown config key": (lambda a: _npz(_with_config(a, dropout=0.5)), "checkpoint config is invalid: unknown"),
    "config for another architecture": (
        lambda a: _npz(_with_config(a, hidden=[32])),
        "weights/0 has shape (784, 8), expected (784, 32) for this config",
    ),
    "wrong format tag": (lambda a: _npz(_with_meta(a, format="keras")), "wrong format tag"),
    "future version": (lambda a: _npz(_with_meta(a, version=2)), "format version 2 is not supported"),
    "no meta": (lambda a: _npz(_without(a, "meta")), "the 'meta' entry is missing or not text"),
    "meta not JSON": (lambda a: _npz({**a, "meta": np.array("{not json")}), "metadata is not valid JSON"),
    "meta without config": (lambda a: _npz(_with_meta(a, config=None)), "checkpoint metadata has no config"),
    "non-numeric accuracy": (
        lambda a: _npz(_with_meta(a, test_accuracy="97%")),
        "checkpoint metadata test_accuracy must be a number, got '97%'",
    ),
    "ragged history": (
        lambda a: _npz({**a, "history/step": a["history/step"][:-1]}),
        "history columns must be 1-D arrays of one common length",
    ),
    "float snapshot steps": (
        lambda a: _npz({**a, "snapshots/steps": a["snapshots/steps"].astype(np.float64)}),
        "snapshots/steps must be a 1-D array of integers",
    ),
}


@pytest.fixture(scope="module")
def good_arrays() -> dict[str, np.ndarray]:
    config = TrainConfig(hidden=(8,), batch_size=20, steps=40, eval_every=10)
    trainer = Trainer(config, *_small_data())
    trainer.run()
    return _arrays(TrainedModel.from_trainer(trainer, test_accuracy=0.5))


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_checkpoints_are_refused_saying_what_is_wrong(case, good_arrays):
    make, expected = BAD_FILES[case]
    with pytest.raises(CheckpointError) as info:
        TrainedModel.load(make(good_arrays))
    assert expected in str(info.value)
    assert "allow_pickle" not in str(info.value)  # never advise loading unsafely


def test_the_good_arrays_do_load(good_arrays):
    assert TrainedModel.load(_npz(good_arrays)).test_accuracy == 0.5  # the refusals above are not vacuous


def test_oversized_checkpoint_is_refused_before_reading_its_arrays(good_arrays, monkeypatch):
    data = _npz(good_arrays)
    monkeypatch.setattr(checkpoint, "MAX_CHECKPOINT_BYTES", 10_000)
    with pytest.raises(CheckpointError, match=r"checkpoint too large: \d+ MB uncompressed, the limit is 0 MB"):
        TrainedModel.load(data)


def test_missing_file_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not a readable .npz checkpoint: .*No such file"):
        TrainedModel.load(tmp_path / "nowhere.npz")


# ------------------------------------------------------------------ the caps are exact


def _zeros_model(hidden: tuple[int, ...], events: int = 0) -> TrainedModel:
    config = TrainConfig(hidden=hidden)
    sizes = config.layer_sizes
    network = MLP(
        [np.zeros((a, b), np.float32) for a, b in zip(sizes[:-1], sizes[1:])],
        [np.zeros(b, np.float32) for b in sizes[1:]],
        config.activation,
        config.loss,
    )
    history = History([ProgressEvent(i, 0.0, i, 0.0, 0.0, math.nan, 0.1, 0.0, 0.0) for i in range(events)])
    return TrainedModel(network, config, history=history)


def test_the_parameter_cap_is_exact():
    assert MAX_PARAMETERS == 1_000_000
    assert TrainedModel.load(_zeros_model((1257,)).to_bytes()).config.hidden == (1257,)  # 999,325 parameters
    with pytest.raises(CheckpointError, match="has 1,000,120 weights and biases; models here have at most 1,000,000"):
        TrainedModel.load(_zeros_model((1258,)).to_bytes())


def test_the_history_cap_is_exact():
    full = _zeros_model((4,), MAX_HISTORY_EVENTS)
    assert len(TrainedModel.load(full.to_bytes()).history) == MAX_HISTORY_EVENTS
    arrays = _arrays(full)  # one row more than a History keeps, written straight into the file
    longer = {k: np.append(v, v[-1:]) if k.startswith("history/") else v for k, v in arrays.items()}
    with pytest.raises(CheckpointError, match="history has 20,001 events, the limit is 20,000"):
        TrainedModel.load(_npz(longer))


def test_a_file_object_a_path_and_bytes_are_refused_alike(tmp_path, good_arrays):
    data = _npz(_with_meta(good_arrays, train_seconds="abc"))
    (tmp_path / "bad.npz").write_bytes(data)
    messages = set()
    for source in (data, io.BytesIO(data), tmp_path / "bad.npz", str(tmp_path / "bad.npz")):
        with pytest.raises(CheckpointError) as info:
            TrainedModel.load(source)
        messages.add(str(info.value))
    assert messages == {"checkpoint metadata train_seconds must be a finite number of seconds >= 0, got 'abc'"}


def test_an_unexpected_failure_inside_the_loader_is_still_a_checkpoint_error(good_arrays, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not the file")

    monkeypatch.setattr(checkpoint, "_read_history", broken)
    with pytest.raises(CheckpointError, match=r"^not a readable .npz checkpoint \(RuntimeError\)$"):
        TrainedModel.load(_npz(good_arrays))


@pytest.mark.parametrize("status", ["running", "ready", "bogus"])
def test_a_checkpoint_whose_status_is_not_an_ended_run_is_refused(status, tmp_path):
    model = TrainedModel(MLP.create([784, 3, 10]), TrainConfig(hidden=(3,), steps=1))
    data = dict(np.load(io.BytesIO(model.to_bytes())))
    meta = json.loads(str(data["meta"]))
    meta["status"] = status
    data["meta"] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **data)
    with pytest.raises(CheckpointError, match="status must be one of 'finished', 'stopped', 'diverged'"):
        TrainedModel.load(buffer.getvalue())
