"""Tests for mnistcore.analysis.describe: the alt texts and chart summaries, word for word."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore.analysis.describe import (
    class_accuracy_summary,
    confusion_cell_label,
    confusion_cells,
    confusion_summary,
    digit_alt,
    mistake_alt,
    mosaic_alt,
    network_view_alt,
    outgoing_summary,
    probability_summary,
    training_summary,
    weight_tile_alt,
)
from mnistcore.analysis.mistakes import Mistake


def test_digit_alt_says_the_digit_and_what_the_network_read():
    assert digit_alt(8527, 4, 9, 0.853) == "test digit 8527: a 4, read as 9 (85%)"
    assert digit_alt(3, 8) == "test digit 3: an 8"
    assert mistake_alt(Mistake(index=1234, true=4, predicted=9, confidence=0.97, true_confidence=0.01)) == (
        "test digit 1234: a 4, read as 9 (97%)"
    )


def test_weight_alts():
    assert network_view_alt(3, 0.974) == "the 28×28 image the network sees, read as 3 (97%)"
    assert weight_tile_alt(12) == "hidden unit 12: weights"
    assert weight_tile_alt(3, "change in weights") == "hidden unit 3: change in weights"
    mosaic = mosaic_alt("Hidden layer 1", 0, 63, 8)
    assert mosaic.startswith("Hidden layer 1: the incoming weights of hidden units 0 to 63 as 28×28 tiles, 8 per row")


def test_confusion_cells_lists_mistakes_most_frequent_first():
    confusion = np.diag([90] * 3)
    confusion[0, 2], confusion[2, 1], confusion[1, 0] = 4, 7, 4
    assert confusion_cells(confusion) == [(2, 1, 7), (0, 2, 4), (1, 0, 4)]
    assert confusion_cell_label(2, 1, 7) == "2 read as 1: 7 times"
    assert confusion_cell_label(2, 1, 1) == "2 read as 1: 1 time"
    assert confusion_summary(confusion, top=2) == (
        "Confusion matrix: 270 of 285 test digits on the diagonal (read right). "
        "Most common mistakes: 2 read as 1: 7 times; 0 read as 2: 4 times."
    )
    assert confusion_summary(np.diag([5, 5])).endswith("No mistakes.")
    with pytest.raises(ValueError, match="square"):
        confusion_cells(np.zeros((2, 3)))


def test_class_accuracy_and_probability_summaries():
    accuracy = np.array([0.99, 0.995, 0.97, 0.96, 0.98, 0.975, 0.985, 0.97, 0.951, 0.96])
    assert class_accuracy_summary(accuracy, 0.9791) == (
        "Accuracy per digit: overall 97.91%; best 1 (99.5%); weakest 8 (95.1%), 3 (96.0%)."
    )
    probs = np.array([0.0, 0.0, 0.0, 0.0, 0.12, 0.0, 0.0, 0.02, 0.0, 0.86])
    assert probability_summary(probs, true=4) == "Read as 9 (86%), then 4 (12%)."
    assert probability_summary(probs, true=7) == "Read as 9 (86%), then 4 (12%); the true digit 7 got 2%."


def test_training_summary_says_where_the_curves_end():
    from mnistcore.engine.history import ProgressEvent

    def event(step, validation):
        return ProgressEvent(step, step / 500, step * 100, 0.0712, 0.98, validation, 0.1, 1.0, 1e4)

    events = [event(1000, 0.976), event(2000, 0.978), event(3000, float("nan"))]
    assert training_summary(events) == (
        "At step 3,000: validation accuracy 97.8% (best 97.8%), last batch 98.0% right, batch loss 0.0712."
    )
    assert training_summary([event(10, float("nan"))]).startswith("At step 10: not validated yet, ")
    assert training_summary([]) == "No training steps yet."


def test_outgoing_summary_names_the_digits_a_unit_pushes():
    weights = np.array([0.0, 0.1, -0.05, 0.41, 0.0, 0.22, 0.0, 0.0, -0.38, 0.0])
    assert outgoing_summary(12, weights) == (
        "Hidden unit 12 pushes up 3 most (+0.41), then 5 (+0.22); pushes down 8 most (−0.38)."
    )
