"""Tests for mnistcore.analysis.insight, on small hand-made arrays with known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mnistcore.analysis.insight import (
    Mistake,
    confusion_matrix,
    confusion_table,
    describe_mistakes,
    grid_shape,
    paginate,
    per_class_accuracy,
    select_mistakes,
    symmetric_limit,
    tile_images,
    to_diverging_rgb,
    top_activating,
    top_contributors,
    upscale,
    weight_images,
)

# --------------------------------------------------------------------------
# Confusion matrix
# --------------------------------------------------------------------------


def test_confusion_matrix_counts_with_rows_true_and_columns_predicted():
    # Asymmetric on purpose: two 0s predicted as 2, no 2 predicted as 0.
    y_true = np.array([0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 2, 2, 1, 0, 2, 1])
    cm = confusion_matrix(y_true, y_pred, n_classes=3)
    expected = np.array([[1, 0, 2], [1, 1, 0], [0, 1, 1]])
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64
    assert cm.sum() == y_true.size
    assert np.trace(cm) == np.sum(y_true == y_pred)
    assert cm[0, 2] == 2 and cm[2, 0] == 0


def test_confusion_matrix_accepts_uint8_labels_without_overflow():
    # MNIST labels are uint8; the flat cell index 29 * 30 + 29 = 899 would wrap in uint8.
    y = np.array([29, 29, 3], dtype=np.uint8)
    cm = confusion_matrix(y, y, n_classes=30)
    assert cm[29, 29] == 2 and cm[3, 3] == 1 and cm.sum() == 3


def test_confusion_matrix_empty_input_gives_zeros():
    cm = confusion_matrix(np.array([], dtype=np.int64), np.array([], dtype=np.int64), n_classes=4)
    np.testing.assert_array_equal(cm, np.zeros((4, 4)))


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        (np.array([0, 1]), np.array([0, 1, 1]), "y_true has 2 labels but y_pred has 3"),
        (np.array([[0, 1]]), np.array([0, 1]), "y_true must be 1-D"),
        (np.array([0, 10]), np.array([0, 1]), r"y_true must lie in 0\.\.9"),
        (np.array([0, 1]), np.array([-1, 1]), r"y_pred must lie in 0\.\.9"),
        (np.array([0.0, 1.0]), np.array([0, 1]), "y_true must hold integer"),
    ],
)
def test_confusion_matrix_rejects_bad_input(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(y_true, y_pred)


def test_per_class_accuracy_with_an_empty_class():
    cm = np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]])
    accuracy = per_class_accuracy(cm)
    assert accuracy.dtype == np.float64
    np.testing.assert_allclose(accuracy[[0, 2]], [0.75, 0.5])
    assert np.isnan(accuracy[1])


def test_confusion_table_records_and_row_shares():
    cm = np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]])
    table = confusion_table(cm)
    assert len(table) == 9
    assert set(table[0]) == {"true", "predicted", "count", "row_share"}
    by_cell = {(r["true"], r["predicted"]): r for r in table}
    assert by_cell[(0, 1)]["count"] == 1
    assert by_cell[(0, 1)]["row_share"] == pytest.approx(0.25)
    assert by_cell[(2, 2)]["row_share"] == pytest.approx(0.5)
    for true_class, total in [(0, 1.0), (1, 0.0), (2, 1.0)]:
        shares = [r["row_share"] for r in table if r["true"] == true_class]
        assert sum(shares) == pytest.approx(total)
    # Plain Python types so the records serialise straight to JSON for a chart.
    assert all(type(r["count"]) is int and type(r["row_share"]) is float for r in table)


# --------------------------------------------------------------------------
# Mistakes
# --------------------------------------------------------------------------

# Six samples, three classes.  Predictions (argmax) are 0, 2, 2, 1, 0, 1.
Y_TRUE = np.array([0, 0, 1, 2, 2, 1])
PROBS = np.array(
    [
        [0.90, 0.05, 0.05],  # 0: correct
        [0.10, 0.20, 0.70],  # 1: true 0 -> 2, conf 0.70
        [0.10, 0.30, 0.60],  # 2: true 1 -> 2, conf 0.60
        [0.05, 0.90, 0.05],  # 3: true 2 -> 1, conf 0.90
        [0.70, 0.10, 0.20],  # 4: true 2 -> 0, conf 0.70 (ties with 1)
        [0.20, 0.50, 0.30],  # 5: correct
    ]
)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("most_confident", [3, 1, 4, 2]),
        ("least_confident", [2, 1, 4, 3]),
        ("index", [1, 2, 3, 4]),
    ],
)
def test_select_mistakes_orders_with_ties_by_index(order, expected):
    indices = select_mistakes(Y_TRUE, PROBS, order=order)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices, expected)


def test_select_mistakes_default_order_is_most_confident():
    np.testing.assert_array_equal(select_mistakes(Y_TRUE, PROBS), [3, 1, 4, 2])


@pytest.mark.parametrize(
    ("true_digit", "predicted_digit", "expected"),
    [
        (2, None, [3, 4]),
        (None, 2, [1, 2]),
        (0, 2, [1]),
        (1, 1, []),  # a correct prediction is never a mistake
        (0, 1, []),
    ],
)
def test_select_mistakes_filters(true_digit, predicted_digit, expected):
    indices = select_mistakes(Y_TRUE, PROBS, true_digit=true_digit, predicted_digit=predicted_digit)
    np.testing.assert_array_equal(indices, expected)
    predicted = PROBS.argmax(axis=1)
    assert np.all(predicted[indices] != Y_TRUE[indices])
    if true_digit is not None:
        assert np.all(Y_TRUE[indices] == true_digit)
    if predicted_digit is not None:
        assert np.all(predicted[indices] == predicted_digit)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"order": "random"},
            r"order must be one of 'most_confident', 'least_confident', 'index'",
        ),
        ({"true_digit": 3}, r"true_digit must be None or an integer in 0\.\.2, got 3"),
        (
            {"predicted_digit": -1},
            r"predicted_digit must be None or an integer in 0\.\.2",
        ),
        ({"true_digit": 1.0}, "true_digit must be None or an integer"),
    ],
)
def test_select_mistakes_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        select_mistakes(Y_TRUE, PROBS, **kwargs)


def test_select_mistakes_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="y_true has 5 labels but probs has 6 rows"):
        select_mistakes(Y_TRUE[:5], PROBS)


def test_describe_mistakes_keeps_order_and_reads_probabilities():
    mistakes = describe_mistakes(np.array([3, 1]), Y_TRUE, PROBS)
    assert mistakes == [
        Mistake(index=3, true=2, predicted=1, confidence=0.90, true_confidence=0.05),
        Mistake(index=1, true=0, predicted=2, confidence=0.70, true_confidence=0.10),
    ]
    assert type(mistakes[0].index) is int and type(mistakes[0].confidence) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        mistakes[0].index = 0
    with pytest.raises(ValueError, match=r"indices must lie in 0\.\.5"):
        describe_mistakes(np.array([6]), Y_TRUE, PROBS)


@pytest.mark.parametrize(
    ("n_items", "page", "per_page", "expected_slice", "expected_pages"),
    [
        (0, 1, 10, slice(0, 0), 1),
        (25, 1, 10, slice(0, 10), 3),
        (25, 3, 10, slice(20, 25), 3),  # short last page
        (25, 9, 10, slice(20, 25), 3),  # beyond the end: clamped to the last page
        (25, 0, 10, slice(0, 10), 3),  # below 1: clamped to the first page
        (30, 3, 10, slice(20, 30), 3),  # exact multiple: no empty extra page
    ],
)
def test_paginate(n_items, page, per_page, expected_slice, expected_pages):
    page_slice, n_pages = paginate(n_items, page, per_page)
    assert (page_slice, n_pages) == (expected_slice, expected_pages)


def test_paginate_rejects_non_positive_per_page():
    with pytest.raises(ValueError, match="per_page must be an integer >= 1"):
        paginate(10, 1, 0)


# --------------------------------------------------------------------------
# Weight images
# --------------------------------------------------------------------------


def test_weight_images_pixel_layout():
    w1 = np.random.default_rng(0).normal(size=(784, 5))
    images = weight_images(w1)
    assert images.shape == (5, 28, 28) and images.dtype == np.float32
    for unit, row, col in [(0, 0, 0), (2, 0, 27), (4, 27, 0), (3, 13, 21)]:
        assert images[unit, row, col] == np.float32(w1[row * 28 + col, unit])


def test_weight_images_rejects_transposed_weights():
    with pytest.raises(ValueError, match="looks transposed"):
        weight_images(np.zeros((5, 784)))


@pytest.mark.parametrize(
    ("values", "percentile", "expected"),
    [
        (np.linspace(-100, 100, 201), 100, 100.0),
        (np.linspace(-100, 100, 201), 50, 50.0),
        (np.zeros(10), 99.5, 1.0),  # all zero: a usable fallback
        (np.r_[np.zeros(999), -4.0], 50, 4.0),  # percentile is 0: fall back to the max
    ],
)
def test_symmetric_limit(values, percentile, expected):
    assert symmetric_limit(values, percentile) == pytest.approx(expected)


def test_symmetric_limit_ignores_a_few_outliers():
    values = np.r_[np.linspace(-1, 1, 1001), 1000.0]
    assert symmetric_limit(values, 99.5) < 1.01


@pytest.mark.parametrize(
    ("value", "check"),
    [
        (0.0, lambda rgb: tuple(rgb) == (255, 255, 255)),
        (2.0, lambda rgb: rgb[0] > rgb[2] + 100),  # +limit: red
        (-2.0, lambda rgb: rgb[2] > rgb[0] + 100),  # -limit: blue
        (0.5, lambda rgb: rgb[0] > rgb[2] and min(rgb) > 100),  # light red
    ],
)
def test_to_diverging_rgb_colours(value, check):
    rgb = to_diverging_rgb(np.array([[value]]), limit=2.0)[0, 0]
    assert check(rgb), rgb


def test_to_diverging_rgb_clips_beyond_limit_and_keeps_shape():
    images = np.array([[[-2.0, -50.0], [2.0, 50.0]]] * 3)
    rgb = to_diverging_rgb(images, limit=2.0)
    assert rgb.shape == (3, 2, 2, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[:, 0, 0], rgb[:, 0, 1])
    np.testing.assert_array_equal(rgb[:, 1, 0], rgb[:, 1, 1])


def test_to_diverging_rgb_darkens_monotonically_away_from_zero():
    brightness = to_diverging_rgb(np.linspace(0, 1, 11), limit=1.0).astype(int).sum(axis=-1)
    assert np.all(np.diff(brightness) <= 0)
    brightness = to_diverging_rgb(np.linspace(0, -1, 11), limit=1.0).astype(int).sum(axis=-1)
    assert np.all(np.diff(brightness) <= 0)


def test_to_diverging_rgb_rejects_non_positive_limit():
    with pytest.raises(ValueError, match="limit must be a finite number > 0"):
        to_diverging_rgb(np.zeros((2, 2)), limit=0.0)


@pytest.mark.parametrize(
    ("n", "columns", "channels", "expected_shape"),
    [
        (16, 4, (), (4 * 29 - 1, 4 * 29 - 1)),
        (800, 16, (), (50 * 29 - 1, 16 * 29 - 1)),
        (800, 16, (3,), (50 * 29 - 1, 16 * 29 - 1, 3)),
        (17, 4, (), (5 * 29 - 1, 4 * 29 - 1)),  # partial last row
    ],
)
def test_tile_images_shape(n, columns, channels, expected_shape):
    images = np.zeros((n, 28, 28) + channels, dtype=np.uint8)
    assert tile_images(images, columns).shape == expected_shape


def test_tile_images_places_each_image_and_pads():
    images = np.arange(3 * 2 * 2).reshape(3, 2, 2)  # image i holds 4i..4i+3
    mosaic = tile_images(images, columns=2, pad=1, pad_value=-1)
    expected = np.array(
        [
            [0, 1, -1, 4, 5],
            [2, 3, -1, 6, 7],
            [-1, -1, -1, -1, -1],
            [8, 9, -1, -1, -1],
            [10, 11, -1, -1, -1],
        ]
    )
    np.testing.assert_array_equal(mosaic, expected)


def test_upscale_repeats_pixels():
    image = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    big = upscale(image, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    np.testing.assert_array_equal(big[:3, :3], 1)
    np.testing.assert_array_equal(big[3:, 3:], 4)
    assert upscale(np.zeros((2, 2, 3)), 2).shape == (4, 4, 3)


@pytest.mark.parametrize(
    ("n", "max_columns", "expected"),
    [
        (1, 16, (1, 1)),
        (16, 16, (4, 4)),
        (17, 16, (4, 5)),
        (100, 16, (10, 10)),
        (800, 16, (50, 16)),
    ],
)
def test_grid_shape(n, max_columns, expected):
    rows, columns = grid_shape(n, max_columns)
    assert (rows, columns) == expected
    assert rows * columns >= n > (rows - 1) * columns


# --------------------------------------------------------------------------
# Hidden units
# --------------------------------------------------------------------------


def test_top_activating_orders_descending_with_ties_by_index():
    acts = np.array([[0.1, 5.0], [0.9, 0.0], [0.5, 1.0], [0.9, 2.0], [0.0, 3.0]])
    np.testing.assert_array_equal(top_activating(acts, k=3), [[1, 3, 2], [0, 4, 3]])
    np.testing.assert_array_equal(top_activating(acts, k=2), [[1, 3], [0, 4]])
    # k larger than the number of samples returns them all, ranked.
    np.testing.assert_array_equal(top_activating(acts, k=99), [[1, 3, 2, 0, 4], [0, 4, 3, 2, 1]])


def test_top_activating_breaks_ties_at_the_cut_by_lowest_index():
    # Four samples tie for the last two places (a dead unit's zeros): the lowest indices win.
    acts = np.array([[1.0], [0.0], [0.0], [0.0], [0.0], [0.7]])
    np.testing.assert_array_equal(top_activating(acts, 3), [[0, 5, 1]])
    np.testing.assert_array_equal(top_activating(acts, 4), [[0, 5, 1, 2]])


def test_top_activating_equals_a_stable_full_sort_of_every_unit():
    rng = np.random.default_rng(0)
    acts = np.maximum(rng.normal(size=(2000, 40)), 0).astype(np.float32)
    acts[:, 0] = 0  # a dead unit: all ties
    acts[:5, 1], acts[5:, 1] = 2.0, 0.0  # fires on fewer samples than k
    acts[:, 2] = np.round(acts[:, 2])  # many ties at the cut
    acts[::3, 3], acts[:, 4] = np.nan, np.nan  # a diverged network: NaNs rank last
    expected = np.stack([np.argsort(-acts[:, unit], kind="stable")[:16] for unit in range(40)])  # NaNs go last
    np.testing.assert_array_equal(top_activating(acts, 16), expected)


def test_top_activating_rejects_bad_shapes_and_k():
    with pytest.raises(ValueError, match="must be 2-D"):
        top_activating(np.zeros(4), 2)
    with pytest.raises(ValueError, match="k"):
        top_activating(np.zeros((4, 2)), 0)


def test_top_contributors_matches_hand_computation():
    activation = np.array([1.0, 2.0, 0.0, 3.0, 0.5])
    w2 = np.zeros((5, 3))
    w2[:, 1] = [0.5, -1.0, 9.0, 0.4, 4.0]
    # Contributions to digit 1: 0.5, -2.0, 0.0, 1.2, 2.0 -> positive ones ranked.
    top = top_contributors(activation, w2, digit=1, k=5)
    assert [unit for unit, _ in top] == [4, 3, 0]
    assert [value for _, value in top] == pytest.approx([2.0, 1.2, 0.5])
    assert [unit for unit, _ in top_contributors(activation, w2, digit=1, k=2)] == [
        4,
        3,
    ]
    assert top_contributors(activation, w2, digit=0) == []


def test_top_contributors_validates_shapes_and_digit():
    with pytest.raises(ValueError, match=r"outgoing_weights must have shape \(3, n_classes\)"):
        top_contributors(np.ones(3), np.ones((4, 10)), digit=0)
    with pytest.raises(ValueError, match=r"digit must be an integer in 0\.\.9"):
        top_contributors(np.ones(3), np.ones((3, 10)), digit=10)
