"""Tests for mnistcore.analysis.mistakes, on small hand-made arrays with known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mnistcore.analysis.mistakes import Mistake, describe_mistakes, paginate, select_mistakes

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
