"""Weights: what the current model's hidden units have learned to look for.

The first hidden layer's incoming weights as 28x28 images, one hidden unit in detail
(bias, outgoing weights, the test digits that excite it most), the later layers'
weights as heatmaps, and how the first layer changed during training.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.evaluation import unit_pages, unit_range_label
from mnistcore.analysis.images import (
    digit_picture,
    legend_stops,
    mosaic_columns,
    snapshot_limit,
    symmetric_limit,
    weight_mosaic,
    weight_picture,
)
from mnistcore.charts import insight as charts
from pages.common import evaluated_model_header

HEATMAP_BLOCK = 64  # rows or columns of a deeper weight matrix drawn at once
DIGITS_PER_ROW = 8  # of the digits that excite a unit most


@st.cache_data(max_entries=4, show_spinner=False)
def cached_snapshot_limit(fingerprint: str, _snapshot_weights: np.ndarray) -> float:
    return snapshot_limit(_snapshot_weights)


def clamp_state(key: str, low: int, high: int, default: int) -> None:
    """Keep a stored widget value valid after a new model (with other sizes) arrives."""
    value = st.session_state.get(key, default)
    st.session_state[key] = min(max(int(value), low), high)


def choose_units(n_units: int) -> range:
    """The page of first-layer units shown (all of them when there are at most 64)."""
    pages = unit_pages(n_units)
    if len(pages) == 1:
        return pages[0]
    clamp_state("weights_units_page", 0, len(pages) - 1, 0)
    chosen = st.selectbox(
        f"Which units ({n_units} in this layer, {len(pages[0])} at a time)",
        range(len(pages)),
        format_func=lambda i: unit_range_label(pages[i]),
        key="weights_units_page",
    )
    return pages[chosen]


def mosaic_section(weights: np.ndarray, units: range, limit: float, title: str) -> None:
    """A mosaic of first-layer units with the colour legend beside it."""
    columns = mosaic_columns(len(units))
    mosaic, legend = st.columns([3, 1])
    mosaic.image(
        weight_mosaic(weights, units, limit),
        caption=f"{title}: {unit_range_label(units)}, row by row, {columns} per row (top left is unit {units.start}).",
    )
    with legend:
        values, colours = legend_stops(limit)
        legend_title = "Change in weight" if title.startswith("Change") else "Weight"
        st.altair_chart(charts.colour_legend(values, colours, limit, legend_title))
        st.caption(
            f"Every tile uses this one scale: values at or beyond ±{limit:.2f} get the darkest colour "
            "(the limit ignores the most extreme 0.5% of weights, so a few outliers do not wash out the rest)."
        )


def first_layer_view(model, ev) -> tuple[np.ndarray, float, str]:
    """The first layer's weights, or their change since the random start, as the user chose.

    Returns (784, H) values to draw, their colour limit and a title for captions."""
    weights = model.network.weights[0]
    snapshots = model.snapshot_weights
    if snapshots is None or len(model.snapshot_steps) == 0:
        return weights, ev.layer_limits[0], "Hidden layer 1"
    choice = st.radio(
        "Show",
        ["Weights", "Change since the start of training"],
        horizontal=True,
        key="weights_view",
        help="Wide layers move little from their random start; the change shows what training added.",
    )
    if choice == "Weights":
        return weights, ev.layer_limits[0], "Hidden layer 1"
    change = weights - snapshots[0]
    return change, symmetric_limit(change), f"Change since step {int(model.snapshot_steps[0]):,}"


def unit_detail(model, ev, data, first_weights: np.ndarray, first_limit: float) -> None:
    """Everything about one first-layer unit (its picture drawn like the mosaic above)."""
    network = model.network
    n_units = network.layer_sizes[1]
    clamp_state("weights_unit", 0, n_units - 1, 0)
    chooser, _ = st.columns([1, 3])
    unit = int(
        chooser.number_input(
            f"Hidden unit (0–{n_units - 1})",
            min_value=0,
            max_value=n_units - 1,
            key="weights_unit",
            help="Units are numbered row by row in the mosaic above.",
        )
    )
    picture, numbers, outgoing = st.columns([2, 1, 3])
    picture.image(weight_picture(first_weights[:, unit], first_limit, scale=7), caption=f"Unit {unit}")
    numbers.metric("Bias", f"{network.biases[0][unit]:+.3f}")
    numbers.metric("Mean activation", f"{ev.unit_mean[unit]:.3f}", help="Over the 10,000 test digits.")
    if model.config.activation == "relu":
        numbers.metric("Active on", f"{ev.unit_active[unit]:.0%}", help="Share of test digits it fires on.")
    with outgoing:
        st.altair_chart(charts.outgoing_weight_bars(network.weights[1][unit], ev.layer_limits[1]))
    top, values = ev.unit_top[unit], ev.unit_top_values[unit]
    st.markdown(f"**The {len(top)} test digits that excite unit {unit} most** (caption: true digit · activation)")
    for start in range(0, len(top), DIGITS_PER_ROW):  # even rows: a lone digit wrapped onto its own line looks lost
        row = slice(start, start + DIGITS_PER_ROW)
        st.image(
            [digit_picture(data.test_x[i], scale=2) for i in top[row]],
            caption=[f"{ev.labels[i]} · {value:.2f}" for i, value in zip(top[row], values[row])],
        )


def block_range(label: str, size: int, key: str) -> range:
    """All of ``size`` units, or a chosen block of ``HEATMAP_BLOCK`` when there are more."""
    blocks = unit_pages(size, HEATMAP_BLOCK)
    if len(blocks) == 1:
        return blocks[0]
    clamp_state(key, 0, len(blocks) - 1, 0)
    chosen = st.selectbox(label, range(len(blocks)), format_func=lambda i: unit_range_label(blocks[i]), key=key)
    return blocks[chosen]


def later_layers(model, ev, first_units: range) -> None:
    """Every weight matrix after the first as a heatmap (hidden units x next layer)."""
    weights = model.network.weights
    for l in range(1, len(weights)):
        is_output = l == len(weights) - 1
        to_name = "digits" if is_output else f"hidden layer {l + 1}"
        st.subheader(f"{'Output layer' if is_output else f'Layer {l + 1}'}: hidden layer {l} → {to_name}")
        n_from, n_to = weights[l].shape
        rows = first_units if l == 1 else block_range(f"Units of hidden layer {l}", n_from, f"weights_rows_{l}")
        cols = range(n_to) if is_output else block_range(f"Units of {to_name}", n_to, f"weights_cols_{l}")
        if l == 1 and len(rows) < n_from:
            st.caption(f"Showing {unit_range_label(rows)}, the units chosen above.")
        block = weights[l][rows.start : rows.stop, cols.start : cols.stop]
        chart = charts.weight_heatmap(
            block,
            ev.layer_limits[l],
            rows.start,
            cols.start,
            from_title=f"Unit of hidden layer {l}",
            to_title="Digit" if is_output else f"Unit of hidden layer {l + 1}",
        )
        st.altair_chart(chart)


def evolution(model, units: range) -> None:
    st.subheader("How the first layer changed during training")
    steps, snapshots = model.snapshot_steps, model.snapshot_weights
    if snapshots is None or len(steps) == 0:
        st.info("This model carries no weight snapshots, so there is no training history to replay.")
        return
    limit = cached_snapshot_limit(model.fingerprint, snapshots)
    labels = {i: f"step {int(s):,}" for i, s in enumerate(steps)}
    clamp_state("weights_snapshot", 0, len(steps) - 1, 0)
    chosen = st.select_slider("Training step", options=list(labels), format_func=labels.get, key="weights_snapshot")
    st.caption(
        f"{len(steps)} snapshots, from the random start (step {int(steps[0]):,}) to step {int(steps[-1]):,}: "
        f"drag the slider to replay training. One colour scale for all of them (±{limit:.2f}), "
        "so you see the weights grow."
    )
    mosaic_section(snapshots[chosen], units, limit, f"First layer at {labels[chosen]}")


def main() -> None:
    data, model, ev = evaluated_model_header("Weights")

    st.subheader("What each first-layer unit looks for")
    st.caption(
        "Each tile is one hidden unit's 784 incoming weights, laid out like the 28×28 digit: red pixels "
        "push the unit on where there is ink, blue pixels hold it back, white ones do not matter."
    )
    units = choose_units(model.network.layer_sizes[1])
    first_weights, first_limit, title = first_layer_view(model, ev)
    mosaic_section(first_weights, units, first_limit, title)

    st.subheader("One hidden unit")
    unit_detail(model, ev, data, first_weights, first_limit)
    later_layers(model, ev, units)
    evolution(model, units)


main()
