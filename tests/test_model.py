"""Tests for mnistcore.model: the checkpoint round trip, and every kind of bad file refused
with a CheckpointError that says what is wrong (nothing is ever unpickled)."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pytest

from mnistcore import model as model_module
from mnistcore.config import TrainConfig
from mnistcore.model import CheckpointError, TrainedModel
from mnistcore.trainer import Trainer


def _small_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (300, 784)).astype(np.float32)
    y = rng.integers(0, 10, 300)
    return x, y, x[:50], y[:50]


@pytest.fixture(scope="module", params=["float32-one-layer", "float64-two-layers"])
def trained(request) -> TrainedModel:
    if request.param == "float32-one-layer":
        config = TrainConfig(hidden=(8,), batch_size=20, steps=40, eval_every=10)
    else:
        config = TrainConfig(
            hidden=(12, 6),
            activation="relu",
            loss="cross-entropy",
            init="he",
            dtype="float64",
            optimizer="adam",
            lr=0.01,
            batch_size=30,
            steps=None,
            epochs=2.0,
            eval_every=7,
        )
    trainer = Trainer(config, *_small_data())
    trainer.run()
    return TrainedModel.from_trainer(trainer, test_accuracy=0.4321, name="unit-test model")


def _assert_same_model(loaded: TrainedModel, original: TrainedModel) -> None:
    for a, b in zip(loaded.network.parameters(), original.network.parameters()):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert loaded.network.activation.name == original.network.activation.name
    assert loaded.network.output_loss.name == original.network.output_loss.name
    assert loaded.config == original.config
    ours, theirs = loaded.history.to_columns(), original.history.to_columns()
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name])  # NaN == NaN here
    assert [e.step for e in loaded.history.snapshot()] == [e.step for e in original.history.snapshot()]
    np.testing.assert_array_equal(loaded.snapshot_steps, original.snapshot_steps)
    np.testing.assert_array_equal(loaded.snapshot_weights, original.snapshot_weights)
    for name in ("status", "test_accuracy", "validation_accuracy", "train_seconds", "trained_at", "name"):
        assert getattr(loaded, name) == getattr(original, name), name
    assert loaded.fingerprint == original.fingerprint


def test_round_trip_through_a_file(trained, tmp_path):
    path = tmp_path / "model.npz"
    trained.save(path)
    _assert_same_model(TrainedModel.load(path), trained)
    _assert_same_model(TrainedModel.load(str(path)), trained)


def test_round_trip_through_bytes_and_file_objects(trained):
    data = trained.to_bytes()
    _assert_same_model(TrainedModel.load(data), trained)
    _assert_same_model(TrainedModel.load(io.BytesIO(data)), trained)


def test_loaded_model_predicts_like_the_original(trained):
    x = np.random.default_rng(1).uniform(size=(40, 784)).astype(np.float32)
    loaded = TrainedModel.load(trained.to_bytes())
    np.testing.assert_array_equal(loaded.network.predict_proba(x), trained.network.predict_proba(x))


def test_round_trip_keeps_the_training_history_and_snapshots(trained):
    assert len(trained.history) > 0 and trained.snapshot_steps[0] == 0
    assert trained.snapshot_weights.shape == (len(trained.snapshot_steps), 784, trained.config.hidden[0])


def test_fingerprint_changes_with_the_weights(trained):
    clone = TrainedModel.load(trained.to_bytes())
    clone.network.weights[0][0, 0] += 1
    assert clone.fingerprint != trained.fingerprint


def test_model_without_snapshots_or_history_round_trips():
    from mnistcore.network import MLP

    config = TrainConfig(hidden=(5,))
    bare = TrainedModel(MLP.create(config.layer_sizes, rng=np.random.default_rng(0)), config)
    loaded = TrainedModel.load(bare.to_bytes())
    assert loaded.snapshot_weights is None and len(loaded.history) == 0 and loaded.test_accuracy is None
    _assert_same_model(loaded, bare)


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
    monkeypatch.setattr(model_module, "MAX_CHECKPOINT_BYTES", 10_000)
    with pytest.raises(CheckpointError, match=r"checkpoint too large: \d+ MB uncompressed, the limit is 0 MB"):
        TrainedModel.load(data)


def test_missing_file_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not a readable .npz checkpoint: .*No such file"):
        TrainedModel.load(tmp_path / "nowhere.npz")
