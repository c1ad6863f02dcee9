"""Tests for mnistcore.analysis.evaluation: a hand-made tiny network with known answers, then the
shipped default model on the real MNIST test set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnistcore.analysis.evaluation import TOP_PER_UNIT, Evaluation, evaluate_model, unit_pages, unit_range_label
from mnistcore.analysis.images import (
    MOSAIC_GAP,
    mosaic_columns,
    mosaic_scale,
    snapshot_limit,
    symmetric_limit,
    weight_images,
    weight_mosaic,
)
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.network import MLP

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "default.npz"


# --------------------------------------------------------------------------
# A tiny network whose answers are known by construction
# --------------------------------------------------------------------------


def copy_net() -> MLP:
    """3 inputs -> 3 relu units (identity) -> 3 softmax outputs (5x identity): predicts argmax(x)."""
    eye = np.eye(3, dtype=np.float32)
    return MLP([eye, 5 * eye], [np.zeros(3, np.float32), np.zeros(3, np.float32)], "relu", "cross-entropy")


@pytest.fixture()
def tiny() -> tuple[Evaluation, np.ndarray, np.ndarray]:
    x = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [0, 0.9, 0.2], [0.7, 0, 0]], np.float32)
    y = np.array([0, 1, 2, 0, 2, 0])  # rows 3 and 4 are wrong: 0 read as 1, 2 read as 1
    return evaluate_model(copy_net(), x, y), x, y


def test_tiny_evaluation_matches_hand_computed_answers(tiny):
    ev, x, y = tiny
    np.testing.assert_array_equal(ev.predictions, [0, 1, 2, 1, 1, 0])
    np.testing.assert_array_equal(ev.confusion, [[2, 1, 0], [0, 1, 0], [0, 1, 1]])
    assert ev.accuracy == pytest.approx(4 / 6)
    assert (ev.n_samples, ev.n_correct, ev.n_mistakes) == (6, 4, 2)
    np.testing.assert_allclose(ev.class_accuracy, [2 / 3, 1.0, 0.5])
    # relu of an identity layer: the hidden activations are the inputs themselves.
    np.testing.assert_allclose(ev.unit_mean, x.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(ev.unit_active, (x > 0).mean(axis=0))
    assert ev.unit_top.shape == ev.unit_top_values.shape == (3, 6)  # TOP_PER_UNIT capped at the 6 samples
    np.testing.assert_allclose(ev.unit_top_values, np.take_along_axis(x.T, ev.unit_top, axis=1))
    assert ev.probs.dtype == np.float32 and ev.unit_mean.dtype == ev.unit_top_values.dtype == np.float32
    np.testing.assert_allclose(ev.probs.sum(axis=1), 1.0, rtol=1e-6)
    assert ev.layer_limits == pytest.approx((symmetric_limit(np.eye(3)), symmetric_limit(5 * np.eye(3))))


def test_tiny_mistake_filter_and_order(tiny):
    ev, _, _ = tiny
    np.testing.assert_array_equal(ev.mistakes(order="index"), [3, 4])
    np.testing.assert_array_equal(ev.mistakes(true_digit=2), [4])
    np.testing.assert_array_equal(ev.mistakes(true_digit=1), [])
    # Row 3 (0 -> 1 with x = e1) is more confident than row 4 (x = 0.9 e1 + 0.2 e2).
    np.testing.assert_array_equal(ev.mistakes(order="most_confident"), [3, 4])
    np.testing.assert_array_equal(ev.mistakes(order="least_confident"), [4, 3])
    described = ev.describe(np.array([4]))
    assert (described[0].index, described[0].true, described[0].predicted) == (4, 2, 1)


def test_tiny_top_activating_unit(tiny):
    ev, _, _ = tiny
    # Unit 0 copies input 0: rows 0 (1.0) then 5 (0.7); unit 2 copies input 2: rows 2 then 4.
    np.testing.assert_array_equal(ev.unit_top[0, :2], [0, 5])
    np.testing.assert_array_equal(ev.unit_top[2, :2], [2, 4])
    np.testing.assert_array_equal(ev.unit_top[1], [1, 3, 4, 0, 2, 5])  # ties (zeros) by lower index


@pytest.mark.parametrize(
    ("x_shape", "y_len", "message"),
    [((4, 5), 4, r"test_x must have shape \(n, 3\)"), ((4, 3), 3, r"test_y must have shape \(4,\)")],
)
def test_evaluate_model_rejects_mismatched_inputs(x_shape, y_len, message):
    with pytest.raises(ValueError, match=message):
        evaluate_model(copy_net(), np.zeros(x_shape, np.float32), np.zeros(y_len, np.int64))


def test_evaluate_model_needs_a_hidden_layer():
    net = MLP([np.eye(3, dtype=np.float32)], [np.zeros(3, np.float32)], "relu", "cross-entropy")
    with pytest.raises(ValueError, match="no hidden layer"):
        evaluate_model(net, np.eye(3, dtype=np.float32), np.arange(3))


# --------------------------------------------------------------------------
# Units in pages
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_units", "n_pages", "last"), [(16, 1, range(0, 16)), (64, 1, range(0, 64)), (800, 13, range(768, 800))]
)
def test_unit_pages_cover_every_unit_once(n_units, n_pages, last):
    pages = unit_pages(n_units)
    assert len(pages) == n_pages and pages[-1] == last
    assert [u for page in pages for u in page] == list(range(n_units))
    assert all(len(page) <= 64 for page in pages)


def test_unit_pages_rejects_nonsense():
    with pytest.raises(ValueError, match="n_units >= 1"):
        unit_pages(0)


def test_unit_range_label_counts_like_a_reader():
    assert unit_range_label(range(0, 64)) == "units 0–63"
    assert unit_range_label(range(7, 8)) == "unit 7"


# --------------------------------------------------------------------------
# The shipped default model on the real test set
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_model() -> TrainedModel:
    return TrainedModel.load(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def default_eval(default_model, mnist) -> Evaluation:
    return evaluate_model(default_model.network, mnist.test_x, mnist.test_y)


def test_default_confusion_matrix_counts_every_test_digit_once(default_eval, default_model, mnist):
    cm = default_eval.confusion
    assert cm.shape == (10, 10) and cm.sum() == 10_000
    correct = int(np.sum(default_model.network.predict(mnist.test_x) == mnist.test_y))
    assert np.trace(cm) == correct == default_eval.n_correct
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(mnist.test_y, minlength=10))
    assert default_eval.accuracy == pytest.approx(default_model.test_accuracy)


def test_default_evaluation_arrays_have_the_documented_shapes(default_eval, default_model, mnist):
    n_hidden = default_model.network.layer_sizes[1]
    assert default_eval.probs.shape == (10_000, 10) and default_eval.probs.dtype == np.float32
    assert default_eval.unit_mean.shape == default_eval.unit_active.shape == (n_hidden,)
    assert default_eval.unit_top.shape == default_eval.unit_top_values.shape == (n_hidden, TOP_PER_UNIT)
    hidden = default_model.network.layer_outputs(mnist.test_x)[0]
    np.testing.assert_allclose(default_eval.unit_mean, hidden.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(default_eval.unit_active, (hidden > 0).mean(axis=0))
    np.testing.assert_array_equal(default_eval.unit_top_values, np.take_along_axis(hidden.T, default_eval.unit_top, 1))
    assert len(default_eval.layer_limits) == len(default_model.network.weights)


@pytest.mark.parametrize(("true_digit", "predicted_digit"), [(4, 9), (7, 2), (3, None), (None, 8)])
def test_default_mistake_filter_returns_only_matching_digits(default_eval, true_digit, predicted_digit):
    indices = default_eval.mistakes(true_digit, predicted_digit)
    labels, predictions = default_eval.labels[indices], default_eval.predictions[indices]
    assert (labels != predictions).all()
    if true_digit is not None:
        assert (labels == true_digit).all()
    if predicted_digit is not None:
        assert (predictions == predicted_digit).all()
    # ... and all of them: as many as the matching off-diagonal cells of the confusion matrix count.
    true_idx, predicted_idx = np.indices((10, 10))
    cells = true_idx != predicted_idx
    if true_digit is not None:
        cells &= true_idx == true_digit
    if predicted_digit is not None:
        cells &= predicted_idx == predicted_digit
    assert len(indices) == default_eval.confusion[cells].sum()


def test_default_weight_images_one_per_hidden_unit(default_model):
    w1 = default_model.network.weights[0]
    images = weight_images(w1)
    assert images.shape == (default_model.network.layer_sizes[1], 28, 28)
    pages = unit_pages(images.shape[0])
    limit = symmetric_limit(w1)
    for units in pages:
        mosaic = weight_mosaic(w1, units, limit)
        columns, rows = mosaic_columns(len(units)), -(-len(units) // mosaic_columns(len(units)))
        pitch = 28 * mosaic_scale(columns) + MOSAIC_GAP
        assert mosaic.shape == (rows * pitch - MOSAIC_GAP, columns * pitch - MOSAIC_GAP, 3)


def test_default_top_activating_digits_excite_the_unit_most(default_eval, default_model, mnist):
    top = default_eval.unit_top[5]
    column = default_model.network.layer_outputs(mnist.test_x)[0][:, 5]
    assert len(top) == 16 and column[top[-1]] >= np.sort(column)[-16]
    assert (np.diff(column[top]) <= 0).all()


def test_default_snapshot_limit_spans_all_snapshots(default_model):
    snapshots = default_model.snapshot_weights
    limit = snapshot_limit(snapshots)
    assert limit >= max(symmetric_limit(s) for s in snapshots) * 0.5
    assert 0 < limit <= np.abs(snapshots).max()


def test_engine_modules_do_not_import_streamlit():
    code = "import sys, mnistcore.analysis.evaluation, mnistcore.charts.insight; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=DEFAULT_MODEL.parents[1]).returncode == 0
