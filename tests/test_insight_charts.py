"""Tests for mnistcore.charts.insight: the Vega-Lite specs carry the right data, scales and selection."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore.analysis.images import legend_stops
from mnistcore.charts import insight as charts


def records(spec: dict, required: set[str]) -> list[dict]:
    """The rows of the one dataset in ``spec`` whose rows have all ``required`` keys."""
    found = [rows for rows in spec.get("datasets", {}).values() if rows and required <= set(rows[0])]
    assert len(found) == 1, f"expected one dataset with {sorted(required)}, found {len(found)}"
    return found[0]


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def find_encoding(spec: dict, channel: str) -> list[dict]:
    return [layer["encoding"][channel] for layer in layers(spec) if channel in layer.get("encoding", {})]


@pytest.fixture()
def cm() -> np.ndarray:
    rng = np.random.default_rng(1)
    matrix = rng.integers(0, 6, size=(10, 10))
    np.fill_diagonal(matrix, 900 + np.arange(10))
    return matrix


# --------------------------------------------------------------------------
# Confusion heatmap
# --------------------------------------------------------------------------


def test_confusion_heatmap_has_a_cell_per_pair_with_counts_and_row_shares(cm):
    spec = charts.confusion_heatmap(cm).to_dict()
    rows = records(spec, {"true", "predicted", "count", "row_share"})
    assert len(rows) == 100 and sum(r["count"] for r in rows) == cm.sum()
    cell_4_9 = next(r for r in rows if (r["true"], r["predicted"]) == (4, 9))
    assert cell_4_9["count"] == cm[4, 9]
    assert cell_4_9["row_share"] == pytest.approx(cm[4, 9] / cm[4].sum())
    # Empty cells show no number; the others show their count.
    assert all((r["label"] == "") == (r["count"] == 0) for r in rows)
    titles = {t.get("title") for tips in find_encoding(spec, "tooltip") for t in tips}
    assert {"True digit", "Predicted", "Count", "Share of true digit"} <= titles


def test_confusion_heatmap_click_selection_reports_true_and_predicted(cm):
    spec = charts.confusion_heatmap(cm).to_dict()
    params = [p for layer in layers(spec) for p in layer.get("params", [])] + spec.get("params", [])
    assert len(params) == 1
    (param,) = params
    assert param["name"] == charts.CELL_SELECTION
    assert param["select"]["type"] == "point" and param["select"]["fields"] == ["true", "predicted"]
    # The clickable layer is the top one, so a click on a cell's number still selects the cell.
    assert param["views"] == [layers(spec)[-1]["name"]]


@pytest.mark.parametrize(
    ("true_digit", "predicted_digit", "expected"),
    [
        (None, None, set()),
        (4, 9, {(4, 9)}),
        (3, None, {(3, p) for p in range(10) if p != 3}),
        (None, 0, {(t, 0) for t in range(1, 10)}),
    ],
)
def test_confusion_heatmap_outlines_the_cells_of_the_current_filter(cm, true_digit, predicted_digit, expected):
    rows = records(charts.confusion_heatmap(cm, true_digit, predicted_digit).to_dict(), {"in_filter"})
    assert {(r["true"], r["predicted"]) for r in rows if r["in_filter"]} == expected


def test_confusion_heatmap_colours_mistakes_from_white_at_zero(cm):
    spec = charts.confusion_heatmap(cm).to_dict()
    colour = find_encoding(spec, "color")[0]
    scale = colour["condition"]["scale"]
    off_diagonal_max = int((cm - np.diag(np.diag(cm))).max())
    assert scale["domain"] == [0, 1, off_diagonal_max] and scale["range"][0] == "#ffffff"
    assert colour["value"] == charts.CORRECT_GREY  # the diagonal is grey


# --------------------------------------------------------------------------
# Bars
# --------------------------------------------------------------------------


def test_class_accuracy_bars_flag_digits_below_overall_and_zoom_the_axis():
    accuracy = np.array([0.99, 0.995, 0.96, 0.97, 0.98, 0.975, 0.985, 0.97, 0.955, 0.96])
    spec = charts.class_accuracy_bars(accuracy, overall=0.975).to_dict()
    rows = records(spec, {"digit", "accuracy", "weak"})
    assert [r["digit"] for r in rows if r["weak"] == "below overall"] == [2, 3, 7, 8, 9]
    x = find_encoding(spec, "x")[0]
    low, high = x["scale"]["domain"]
    assert 0.9 <= low <= accuracy.min() and high > 1.0  # room for labels beyond 100%
    assert x["axis"]["values"][-1] == 1.0 and x["axis"]["values"][0] == pytest.approx(low)


@pytest.mark.parametrize(
    ("true_digit", "roles"),
    [
        (2, {"predicted (wrong)", "true digit", "other"}),
        (7, {"predicted (right)", "other"}),
        (None, {"predicted", "other"}),
    ],
)
def test_probability_bars_colour_the_answer_and_the_truth(true_digit, roles):
    probs = np.full(10, 0.01)
    probs[7] = 0.91
    spec = charts.probability_bars(probs, true_digit).to_dict()
    rows = records(spec, {"digit", "probability", "role"})
    assert {r["role"] for r in rows} == roles
    assert next(r for r in rows if r["digit"] == 7)["role"].startswith("predicted")
    colour = find_encoding(spec, "color")[0]
    assert set(colour["scale"]["domain"]) == roles  # the legend lists only what is drawn
    assert find_encoding(spec, "y")[0]["scale"]["domain"] == [0, 1]


def test_probability_bars_reject_a_true_digit_out_of_range():
    with pytest.raises(ValueError, match="true_digit"):
        charts.probability_bars(np.full(10, 0.1), 10)


def test_outgoing_weight_bars_use_the_shared_diverging_scale():
    weights = np.linspace(-0.5, 0.4, 10)
    spec = charts.outgoing_weight_bars(weights, limit=0.8).to_dict()
    rows = records(spec, {"to", "weight"})
    np.testing.assert_allclose([r["weight"] for r in rows], weights)
    scale = find_encoding(spec, "color")[0]["scale"]
    assert scale["domain"] == [-0.8, 0.8] and scale["domainMid"] == 0 and scale["scheme"] == "redblue"


def test_outgoing_weight_bars_reject_a_matrix():
    with pytest.raises(ValueError, match=r"weights must have shape \(n,\)"):
        charts.outgoing_weight_bars(np.zeros((2, 10)), limit=1.0)


# --------------------------------------------------------------------------
# Heatmaps and legend
# --------------------------------------------------------------------------


def test_weight_heatmap_labels_cells_with_their_unit_numbers():
    block = np.arange(12, dtype=float).reshape(4, 3)  # units 64..67 -> digits 0..2
    spec = charts.weight_heatmap(block, limit=5.0, from_start=64, to_start=0).to_dict()
    rows = records(spec, {"from", "to", "weight"})
    assert len(rows) == 12
    by_cell = {(r["from"], r["to"]): r["weight"] for r in rows}
    assert by_cell[(64, 0)] == 0.0 and by_cell[(67, 2)] == 11.0 and by_cell[(65, 1)] == block[1, 1]
    assert find_encoding(spec, "color")[0]["scale"]["domain"] == [-5.0, 5.0]
    assert spec["height"] == {"step": 20}


def test_weight_heatmap_thins_long_axes_and_rejects_empty_blocks():
    spec = charts.weight_heatmap(np.zeros((64, 10)), limit=1.0).to_dict()
    assert find_encoding(spec, "x")[0]["axis"]["values"] == list(range(0, 64, 4))
    with pytest.raises(ValueError, match="non-empty 2-D"):
        charts.weight_heatmap(np.zeros((0, 10)), limit=1.0)


def test_colour_legend_spans_minus_to_plus_limit_with_the_image_colours():
    values, colours = legend_stops(0.3, n_steps=11)
    spec = charts.colour_legend(values, colours, 0.3).to_dict()
    rows = records(spec, {"start", "end", "colour"})
    assert [r["colour"] for r in rows] == colours
    x = find_encoding(spec, "x")[0]
    assert x["scale"]["domain"] == [-0.3, 0.3] and x["axis"]["values"] == [-0.3, 0.0, 0.3]
    assert x["axis"]["title"] == "Weight"
    assert charts.colour_legend(values, colours, 0.3, "Change").to_dict()["encoding"]["x"]["axis"]["title"] == "Change"
    with pytest.raises(ValueError, match="one colour per value"):
        charts.colour_legend(values, colours[:-1], 0.3)
