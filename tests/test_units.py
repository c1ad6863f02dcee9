"""Tests for mnistcore.analysis.units, on small hand-made arrays with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore.analysis.units import top_activating, top_contributors


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
