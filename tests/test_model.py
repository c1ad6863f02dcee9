"""Tests for mnistcore.engine.model: a trained model's checkpoint round trip, and its fingerprint
(a key of its whole content). Bad files are refused in test_checkpoint.py."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re

import numpy as np
import pytest

from mnistcore.engine.config import TrainConfig
from mnistcore.engine.model import TrainedModel, content_fields, length_prefixed, percent
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


def test_percent_writes_an_accuracy_as_the_pages_and_the_cli_do():
    assert percent(0.97871) == "97.87%" and percent(1.0) == "100.00%" and percent(0.5, digits=1) == "50.0%"
    assert percent(None) == percent(math.nan) == "not measured"
    assert percent(None, missing="n/a") == "n/a"
    for value in (0.9787, 0.12345, 0.999999, 0.0):  # the same text as the '.2%' format the pages used
        assert percent(value) == f"{value:.2%}"
