"""Tests for mnistcore.analysis.confusion, on small hand-made arrays with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore.analysis.confusion import confusion_matrix, confusion_table, per_class_accuracy


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
