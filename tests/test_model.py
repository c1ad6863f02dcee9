"""Tests for mnistcore.engine.model: the checkpoint round trip, and every kind of bad file refused
with a CheckpointError that says what is wrong (nothing is ever unpickled)."""

from __future__ import annotations

import hashlib
import io
import json
import math
import pickle
import re

import numpy as np
import pytest

from mnistcore.engine import model as model_module
from mnistcore.engine.config import MAX_HISTORY_EVENTS, MAX_PARAMETERS, TrainConfig
from mnistcore.engine.history import History, ProgressEvent
from mnistcore.engine.model import CheckpointError, TrainedModel, content_fields, length_prefixed
from mnistcore.engine.network import MLP
from mnistcore.engine.trainer import Trainer


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


# ------------------------------------------------------------------ the fingerprint: a key of the whole content


def _layer_shapes(hidden: tuple[int, ...]) -> list[tuple[int, ...]]:
    sizes = [784, *hidden, 10]
    return [shape for a, b in zip(sizes[:-1], sizes[1:]) for shape in ((a, b), (b,))]


def _network(flat: np.ndarray, hidden: tuple[int, ...]) -> MLP:
    """The values of ``flat``, in order, cut into the layers of a 784-hidden-10 network."""
    arrays, start = [], 0
    for shape in _layer_shapes(hidden):
        arrays.append(flat[start : start + math.prod(shape)].reshape(shape))
        start += math.prod(shape)
    assert start == flat.size
    return MLP(arrays[0::2], arrays[1::2], "sigmoid", "mse")


def _flat(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


N_5 = sum(math.prod(s) for s in _layer_shapes((5,)))  # 3,985 = the parameters of 784-2-185-10 too


def _old_key(model: TrainedModel) -> str:
    """The key this one replaced: a 64-bit SHA-1 prefix of the weight bytes alone."""
    digest = hashlib.sha1(f"{model.config.activation}/{model.config.loss}".encode())
    for array in model.network.parameters():
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()[:16]


def _bytes_of(model: TrainedModel) -> bytes:
    return b"".join(array.tobytes() for array in model.network.parameters())


def test_fingerprint_is_a_full_sha256_hex_digest(trained):
    assert re.fullmatch("[0-9a-f]{64}", trained.fingerprint)


def test_the_same_bytes_recut_into_other_layer_shapes_get_another_key():
    flat = _flat(N_5)
    config = TrainConfig(hidden=(5,))
    one = TrainedModel(_network(flat, (5,)), config)
    recut = TrainedModel(_network(flat, (2, 185)), TrainConfig(hidden=(2, 185)))
    assert _bytes_of(one) == _bytes_of(recut) and _old_key(one) == _old_key(recut)  # the old collision
    assert one.fingerprint != recut.fingerprint
    same_config = TrainedModel(_network(flat, (2, 185)), config)  # the shapes alone tell these apart
    assert same_config.fingerprint != one.fingerprint


def test_the_same_bytes_as_another_dtype_get_another_key():
    network = _network(_flat(N_5), (5,))
    snapshots = _flat(2 * 784 * 5, seed=1).reshape(2, 784, 5)
    steps = np.array([0, 10])
    as_floats = TrainedModel(network, TrainConfig(hidden=(5,)), snapshot_steps=steps, snapshot_weights=snapshots)
    for other in (np.int32, snapshots.dtype.newbyteorder()):
        view = snapshots.view(other)  # the same shape and the same bytes, read as another dtype
        assert view.shape == snapshots.shape and view.tobytes() == snapshots.tobytes()
        as_other = TrainedModel(network, as_floats.config, snapshot_steps=steps, snapshot_weights=view)
        assert as_other.fingerprint != as_floats.fingerprint


def test_another_config_with_the_same_weights_gets_another_key():
    network = _network(_flat(N_5), (5,))
    one = TrainedModel(network, TrainConfig(hidden=(5,)))
    assert TrainedModel(network, one.config.replace(lr=0.2)).fingerprint != one.fingerprint
    assert TrainedModel(network, one.config.replace(seed=1)).fingerprint != one.fingerprint


def test_other_snapshots_get_another_key():
    network, config = _network(_flat(N_5), (5,)), TrainConfig(hidden=(5,))
    weights = _flat(2 * 784 * 5, seed=1).reshape(2, 784, 5)
    base = TrainedModel(network, config, snapshot_steps=np.array([0, 10]), snapshot_weights=weights)
    others = [
        TrainedModel(network, config, snapshot_steps=np.array([0, 20]), snapshot_weights=weights),
        TrainedModel(network, config, snapshot_steps=np.array([0, 10]), snapshot_weights=weights[::-1].copy()),
        TrainedModel(network, config, snapshot_steps=np.array([0, 10]), snapshot_weights=None),
        TrainedModel(network, config),
        TrainedModel(network, config, snapshot_weights=np.zeros((0, 784, 5), np.float32)),
    ]
    keys = {model.fingerprint for model in [base, *others]}
    assert len(keys) == 1 + len(others)


def test_equal_models_get_equal_keys(trained):
    flat = _flat(N_5)
    weights = _flat(784 * 5, seed=2).reshape(1, 784, 5)

    def build() -> TrainedModel:
        return TrainedModel(
            _network(flat.copy(), (5,)),
            TrainConfig(hidden=(5,)),
            snapshot_steps=np.array([0]),
            snapshot_weights=weights.copy(),
        )

    assert build().fingerprint == build().fingerprint
    assert TrainedModel.load(trained.to_bytes()).fingerprint == trained.fingerprint
    renamed = TrainedModel.load(trained.to_bytes())
    renamed.name, renamed.status = "another name", "stopped"  # not part of what is cached under the key
    assert renamed.fingerprint == trained.fingerprint


def _encoded(fields) -> bytes:
    return b"".join(bytes(chunk) for chunk in length_prefixed(fields))


def _decoded(encoding: bytes) -> list[bytes]:
    """The inverse of the encoding: its existence is what makes the encoding injective."""
    fields, at = [], 0
    while at < len(encoding):
        length = int.from_bytes(encoding[at : at + 8], "big")
        fields.append(encoding[at + 8 : at + 8 + length])
        at += 8 + length
    assert at == len(encoding)
    return fields


BOUNDARY_CASES = [
    [],
    [b""],
    [b"", b""],
    [b"abc"],
    [b"ab", b"c"],
    [b"a", b"bc"],
    [b"", b"abc"],
    [b"abc", b""],
    [b"abc", b"", b""],
    [(3).to_bytes(8, "big") + b"abc"],  # one field that looks like a length and a field
    [(3).to_bytes(8, "big"), b"abc"],
]


def test_the_content_encoding_reads_back_into_exactly_its_fields():
    encodings = set()
    for fields in BOUNDARY_CASES:
        encoding = _encoded(fields)
        assert _decoded(encoding) == fields
        encodings.add(encoding)
    assert len(encodings) == len(BOUNDARY_CASES)


def test_moving_bytes_between_two_adjacent_arrays_changes_the_encoding():
    values = np.arange(12, dtype=np.float32)
    cuts = [_encoded([values[:k].tobytes(), values[k:].tobytes()]) for k in range(values.size + 1)]
    assert len(set(cuts)) == len(cuts)  # the same 48 bytes, cut in 13 places: 13 encodings
    arrays = [_encoded([values[:k].reshape(-1).view(np.uint8).data, values[k:].tobytes()]) for k in range(13)]
    assert arrays == cuts  # array fields are their bytes: a memoryview hashes like the bytes it shows


def test_every_field_of_a_model_is_in_its_encoding(trained):
    fields = [bytes(chunk) for chunk in content_fields(trained)]
    assert json.loads(fields[1]) == trained.config.to_dict()
    parameters = trained.network.parameters()
    assert fields[2] == str(len(parameters)).encode()
    for i, array in enumerate(parameters):
        dtype, shape, data = fields[3 + 3 * i : 6 + 3 * i]
        assert (dtype, shape, data) == (
            array.dtype.str.encode(),
            ",".join(map(str, array.shape)).encode(),
            array.tobytes(),
        )
    assert fields[-1] == trained.snapshot_weights.tobytes() and fields[-4] == b"snapshot weights"


def test_model_without_snapshots_or_history_round_trips():
    from mnistcore.engine.network import MLP

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

    monkeypatch.setattr(model_module, "_read_history", broken)
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
