"""Health records in checkpoints: they round-trip, an old file without them still loads, and
the hardened loader checks every health array's declared shape before reading it."""

from __future__ import annotations

import io

import numpy as np
import pytest

from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.health import MAX_HEALTH_RECORDS
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.trainer import Trainer


def arrays_of(model: TrainedModel) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(model.to_bytes()), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (300, 784)).astype(np.float32)
    y = rng.integers(0, 10, 300)
    trainer = Trainer(TrainConfig(hidden=(8, 6), batch_size=20, steps=40, eval_every=10), x, y, x[:50], y[:50])
    trainer.run()
    return TrainedModel.from_trainer(trainer, test_accuracy=0.5)


def test_health_records_round_trip(trained):
    loaded = TrainedModel.load(trained.to_bytes())
    before, after = trained.history.health.snapshot(), loaded.history.health.snapshot()
    assert [r.step for r in after] == [r.step for r in before] == [1, 40]
    for a, b in zip(before, after):
        for name in ("grad_norm", "update_ratio", "inactive", "histogram", "hist_range"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_an_old_checkpoint_without_health_still_loads(trained):
    old = {k: v for k, v in arrays_of(trained).items() if not k.startswith("health/")}
    loaded = TrainedModel.load(npz(old))
    assert len(loaded.history.health) == 0 and len(loaded.history) == len(trained.history)


def changed(arrays, key, value):
    return {**arrays, key: value}


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda a: {k: v for k, v in a.items() if k != "health/inactive"}, "health records are incomplete"),
        (
            lambda a: changed(a, "health/grad_norm", a["health/grad_norm"][:, :2]),
            "statistics are for 2 layers, the network has 3",
        ),
        (lambda a: changed(a, "health/histogram", a["health/histogram"][:, :, :5]), "health/histogram has shape"),
        (lambda a: changed(a, "health/steps", a["health/steps"].astype(np.int64)), "floating-point"),
        (lambda a: changed(a, "health/grad_norm", a["health/grad_norm"] * np.inf), "infinite"),
        (lambda a: changed(a, "health/steps", a["health/steps"] + 0.5), "whole numbers"),
    ],
)
def test_bad_health_columns_are_refused(trained, make, expected):
    with pytest.raises(CheckpointError, match=expected):
        TrainedModel.load(npz(make(arrays_of(trained))))


def test_too_many_health_records_are_refused_from_the_headers(trained):
    arrays = arrays_of(trained)
    records = MAX_HEALTH_RECORDS + 1
    longer = {k: np.repeat(v[:1], records, axis=0) if k.startswith("health/") else v for k, v in arrays.items()}
    with pytest.raises(CheckpointError, match=f"health has {records:,} records, the limit is {MAX_HEALTH_RECORDS}"):
        TrainedModel.load(npz(longer))
