"""Teaching the network one digit (``mnistcore.analysis.teach``), on the shipped model and real
MNIST: the taught copy reads the digit as its new label, the original is untouched bit for
bit, and without replay the rest of the network's knowledge pays more than with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnistcore import TrainedModel
from mnistcore.analysis.teach import (
    DEFAULT_LR,
    DEFAULT_STEPS,
    MAX_STEPS,
    TeachError,
    TeachSettings,
    scores,
    taught_model,
    teach,
)

ROOT = Path(__file__).resolve().parents[1]
DRAWN = np.load(ROOT / "tests" / "data" / "drawn_digits.npz", allow_pickle=False)


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return TrainedModel.load(ROOT / "models" / "default.npz")


def run(model, mnist, pixels, settings):
    return teach(model.network, pixels, settings, mnist.test_x, mnist.test_y, mnist.train_pixels, mnist.train_y)


def parameter_bytes(network) -> list[bytes]:
    return [p.tobytes() for p in network.parameters()]


@pytest.mark.parametrize("replay", [True, False])
def test_a_test_digit_taught_another_label_is_read_as_that_label(model, mnist, replay):
    index = 0  # test digit #0 is a 7, which the shipped model reads as 7
    assert mnist.test_y[index] == 7 and model.network.predict(mnist.test_x[index : index + 1])[0] == 7
    result = run(model, mnist, mnist.test_x[index], TeachSettings(label=1, replay=replay))
    assert result.predicted_before == 7
    assert result.predicted_after == 1 and result.learned
    assert taught_model(model, result).network.predict(mnist.test_x[index : index + 1])[0] == 1
    print(f"replay={replay}: {result.seconds * 1000:.0f} ms, p(1) {result.probabilities_after[1]:.3f}")


@pytest.mark.parametrize("drawing", [4, 13, 18])  # a drawn 4, 3 and 8 (tests/data/drawn_digits.npz)
def test_a_drawing_taught_another_label_is_read_as_that_label(model, mnist, drawing):
    pixels, drawn = DRAWN["images"][drawing], int(DRAWN["labels"][drawing])
    label = (drawn + 5) % 10
    result = run(model, mnist, pixels, TeachSettings(label=label))
    assert result.predicted_before == drawn and result.predicted_after == label


def test_teaching_never_writes_the_original_network(model, mnist):
    before = parameter_bytes(model.network)
    result = run(model, mnist, DRAWN["images"][4], TeachSettings(label=9, steps=MAX_STEPS, lr=0.5, replay=False))
    assert parameter_bytes(model.network) == before  # bit for bit: the undo copy stays what it was
    assert parameter_bytes(result.network) != before
    assert all(not np.shares_memory(a, b) for a, b in zip(model.network.parameters(), result.network.parameters()))


def test_without_replay_the_test_accuracy_falls_more_than_with_it(model, mnist):
    """The defaults on five drawings, each taught a wrong label; the full 10,000-digit test set."""
    base = scores(model.network, mnist.test_x, mnist.test_y)
    falls = {True: [], False: []}
    for drawing in (4, 7, 3, 10, 18):
        label = (int(DRAWN["labels"][drawing]) + 5) % 10
        for replay in (True, False):
            result = run(model, mnist, DRAWN["images"][drawing], TeachSettings(label=label, replay=replay))
            assert result.before.accuracy == base.accuracy
            falls[replay].append(base.accuracy - result.after.accuracy)
            print(
                f"drawing {drawing} as {label}, replay {replay}: {base.accuracy:.2%} -> {result.after.accuracy:.2%}"
                f" (worst digit {np.nanmin(result.after.per_class):.1%}), {result.seconds * 1000:.0f} ms"
            )
    assert all(off > on for on, off in zip(falls[True], falls[False])), falls
    assert np.mean(falls[False]) > 0.05  # forgetting is plain to see
    assert np.mean(falls[True]) < 0.02  # replay keeps most of it
    print(
        f"defaults: {DEFAULT_STEPS} steps, lr {DEFAULT_LR}; mean fall with replay {np.mean(falls[True]):.2%}, "
        f"without {np.mean(falls[False]):.2%}"
    )


def test_the_same_press_gives_the_same_network(model, mnist):
    settings = TeachSettings(label=2)
    first, second = (run(model, mnist, DRAWN["images"][0], settings) for _ in range(2))
    assert parameter_bytes(first.network) == parameter_bytes(second.network)


def test_per_class_scores_match_the_accuracy(model, mnist):
    result = scores(model.network, mnist.test_x, mnist.test_y)
    counts = np.bincount(mnist.test_y, minlength=10)
    assert result.per_class.shape == (10,)
    assert np.isclose((result.per_class * counts).sum() / counts.sum(), result.accuracy)


@pytest.mark.parametrize(
    "settings",
    [
        {"label": 10},
        {"label": -1},
        {"label": True},
        {"label": 3, "steps": 0},
        {"label": 3, "steps": MAX_STEPS + 1},
        {"label": 3, "steps": 2.5},
        {"label": 3, "lr": 0},
        {"label": 3, "lr": 5.0},
        {"label": 3, "lr": float("nan")},
    ],
)
def test_settings_out_of_range_are_refused(settings):
    with pytest.raises(TeachError):
        TeachSettings(**settings)


@pytest.mark.parametrize(
    "pixels", [np.zeros((27, 28)), np.full((28, 28), np.nan), np.full((28, 28), 2.0), np.zeros((28, 28), "U1")]
)
def test_a_drawing_that_is_not_28x28_pixels_is_refused(model, mnist, pixels):
    with pytest.raises(TeachError):
        run(model, mnist, pixels, TeachSettings(label=3))


def test_replay_needs_training_digits(model, mnist):
    with pytest.raises(TeachError, match="replay"):
        teach(model.network, DRAWN["images"][0], TeachSettings(label=3), mnist.test_x, mnist.test_y)


def test_the_before_after_charts_show_twenty_bars_in_percent():
    from mnistcore.charts.teach import class_accuracy_change, probability_change

    for chart in (
        probability_change(np.full(10, 0.1), np.eye(10)[3]),
        class_accuracy_change(np.ones(10), np.zeros(10)),
    ):
        spec = chart.to_dict()
        assert spec["mark"]["type"] == "bar" and spec["encoding"]["xOffset"]["field"] == "when"
        rows = next(iter(spec["datasets"].values()))
        assert len(rows) == 20 and {r["when"] for r in rows} == {"before", "after"}
    with pytest.raises(ValueError):
        probability_change(np.ones(9), np.ones(10))
