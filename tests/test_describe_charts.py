"""Tests for the chart summaries of mnistcore.analysis.describe added for issue #20: the
Backprop, Draw, Home, Weights, Train and Teach-it charts in one line each, word for word."""

from __future__ import annotations

import numpy as np

from mnistcore.analysis.describe import (
    activation_grid_summary,
    closest_classes,
    contribution_summary,
    hidden_map_summary,
    legend_summary,
    loss_steps_summary,
    matrix_summary,
    network_summary,
    runs_summary,
    strip_summary,
    teach_summary,
)

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def test_strip_summary_names_the_range_and_the_largest_in_size():
    text = strip_summary(np.array([0.1, -0.5, 0.2]), "δ^(0)")
    assert text == "δ^(0): 3 values from −0.5 to +0.2; largest in size unit 1 (−0.5), unit 2 (+0.2)."
    labelled = strip_summary(np.array([0.0, 0.9]), "δ per output", labels=["0", "1"], top=1)
    assert labelled.endswith("largest in size 1 (+0.9).")
    assert strip_summary(np.array([np.nan]), "δ") == "δ: no finite values to show."


def test_matrix_summary_finds_the_extremes_with_the_block_offsets():
    text = matrix_summary(np.array([[0.1, -0.5], [0.7, 0.0]]), "∂L/∂W[1]", row_start=3, to_labels=("A", "B"))
    assert text == "∂L/∂W[1]: 2 × 2 values; most positive unit 4 → A (+0.7), most negative unit 3 → B (−0.5)."
    assert "unit 10 → unit 21" in matrix_summary(np.array([[2.0]]), "W", 10, 21)


def test_loss_steps_summary_says_how_far_the_loss_fell():
    assert loss_steps_summary([2.0, 1.0, 0.5]) == "Loss on this digit: 2 before, 0.5 after 2 steps (down 75%)."
    assert loss_steps_summary([2.0]) == "Loss on this digit: 2; no steps taken yet."
    assert "(up 50%)" in loss_steps_summary([1.0, 1.5])


def test_activation_grid_and_contributions():
    text = activation_grid_summary(np.array([0.1, 0.9, 0.5]), chosen=1)
    assert text == (
        "First hidden layer: 3 units, mean activation 0.50; most active unit 1 (0.90), unit 2 (0.50), "
        "unit 0 (0.10). Chosen: unit 1."
    )
    assert contribution_summary([(3, 2.4), (5, 1.1)], 8) == "Unit 3 pushed 8 up most (+2.4), then unit 5 (+1.1)."
    assert contribution_summary([(3, 2.4)], 7, FASHION) == "Unit 3 pushed Sneaker up most (+2.4)."
    assert contribution_summary([], 1) == "No unit pushed 1 up."


def test_network_summary_counts_layers_and_parameters_and_names_the_classes():
    assert network_summary([784, 128, 64, 10], "relu", "cross-entropy") == (
        "Network: 784 input pixels → hidden layers of 128 and 64 relu units → 10 softmax outputs, "
        "one per digit 0–9; 109,386 weights and biases in all."
    )
    fashion = network_summary([784, 16, 10], "sigmoid", "mse", FASHION)
    assert "hidden layer of 16 sigmoid units → 10 sigmoid outputs, one per class: T-shirt/top, Trouser" in fashion
    assert "digit" not in fashion
    assert "7,850 weights" in network_summary([784, 10], "sigmoid", "mse")


def test_legend_summary_gives_both_ends_of_the_scale():
    assert legend_summary(0.25) == (
        "Colour scale: blue for a negative weight (darkest at −0.25 or below), white for zero, "
        "red for a positive one (darkest at +0.25 or above)."
    )


def test_hidden_map_summary_counts_points_and_finds_the_closest_classes():
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [0.1, 0.0], [5.0, 5.0]])
    labels = np.array([0, 1, 2, 3])
    assert closest_classes(xy, labels) == (0, 2)
    assert closest_classes(xy[:1], labels[:1]) is None
    text = hidden_map_summary(xy, labels, np.array([True, False, False, False]), FASHION)
    assert (
        text == "4 points, 1 misclassified (crosses); the classes whose centres lie closest: T-shirt/top and Pullover."
    )


def test_runs_summary_puts_the_best_first_and_skips_unmeasured_runs():
    assert (
        runs_summary([("#1", 0.95), ("#2 fast", 0.978), ("#3", None)])
        == "Best test accuracy: #2 fast at 97.8%; then #1 at 95.0%."
    )
    assert runs_summary([("#1", None)]).startswith("None of these runs")


def test_teach_summary_reads_before_and_after():
    before, after = np.eye(10)[3] * 0.45, np.eye(10)[7] * 0.92
    accuracy_after = np.full(10, 0.9)
    accuracy_after[7] = 0.888
    text = teach_summary(before, after, np.full(10, 0.9), accuracy_after)
    assert text == (
        "Your drawing: read as 3 (45%) before, 7 (92%) after. Test accuracy per digit changed most for 7 (−1.2 points)."
    )
    assert "per class changed most for Sneaker" in teach_summary(
        before, after, np.full(10, 0.9), accuracy_after, FASHION
    )
