"""The Weights page's pictures of weight matrices: a mosaic of first-layer units with its
colour legend, and every later layer's weights as heatmaps (in blocks when they are big).
``mosaic_section`` draws the current weights, their change and the training snapshots alike."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.describe import label_word, legend_summary, matrix_summary, mosaic_alt
from mnistcore.analysis.evaluation import unit_pages, unit_range_label
from mnistcore.analysis.images import legend_stops, mosaic_columns, weight_mosaic
from mnistcore.charts import insight as charts
from pages.ui import state
from pages.ui.health_view import health_view
from pages.ui.pictures import picture
from pages.ui.wording import class_names_for

HEATMAP_BLOCK = 64  # rows or columns of a deeper weight matrix drawn at once


def mosaic_section(weights: np.ndarray, units: range, limit: float, title: str) -> None:
    """A mosaic of first-layer units with the colour legend beside it."""
    columns = mosaic_columns(len(units))
    mosaic, legend = st.columns([3, 1])
    with mosaic:
        picture(
            weight_mosaic(weights, units, limit),
            mosaic_alt(title, units.start, units.stop - 1, columns),
            f"{title}: {unit_range_label(units)}, row by row, {columns} per row (top left is unit {units.start}).",
        )
    with legend:
        values, colours = legend_stops(limit)
        legend_title = "Change in weight" if title.startswith("Change") else "Weight"
        st.altair_chart(charts.colour_legend(values, colours, limit, legend_title))
        st.caption(legend_summary(limit, legend_title.lower()))
        st.caption(
            f"Every tile uses this one scale: values at or beyond ±{limit:.2f} get the darkest colour "
            "(the limit ignores the most extreme 0.5% of weights, so a few outliers do not wash out the rest)."
        )


def block_range(label: str, size: int, axis: str, layer: int) -> range:
    """All of ``size`` units, or a chosen block of ``HEATMAP_BLOCK`` when there are more
    (``axis`` "rows" or "cols" of layer ``layer``'s weights)."""
    key = state.weights_block_key(axis, layer)
    blocks = unit_pages(size, HEATMAP_BLOCK)
    if len(blocks) == 1:
        return blocks[0]
    state.persist(key, 0, fix=state.clamp(0, len(blocks) - 1))
    chosen = st.selectbox(label, range(len(blocks)), format_func=lambda i: unit_range_label(blocks[i]), key=key)
    return blocks[chosen]


def later_layers(model, ev, first_units: range) -> None:
    """Every weight matrix after the first as a heatmap (hidden units x next layer)."""
    weights = model.network.weights
    names = class_names_for(model)
    for l in range(1, len(weights)):
        is_output = l == len(weights) - 1
        to_name = ("digits" if names is None else "classes") if is_output else f"hidden layer {l + 1}"
        st.header(f"{'Output layer' if is_output else f'Layer {l + 1}'}: hidden layer {l} → {to_name}")
        n_from, n_to = weights[l].shape
        rows = first_units if l == 1 else block_range(f"Units of hidden layer {l}", n_from, "rows", l)
        cols = range(n_to) if is_output else block_range(f"Units of {to_name}", n_to, "cols", l)
        if l == 1 and len(rows) < n_from:
            st.caption(f"Showing {unit_range_label(rows)}, the units chosen above.")
        block = weights[l][rows.start : rows.stop, cols.start : cols.stop]
        chart = charts.weight_heatmap(
            block,
            ev.layer_limits[l],
            rows.start,
            cols.start,
            from_title=f"Unit of hidden layer {l}",
            to_title=("Digit" if names is None else "Class") if is_output else f"Unit of hidden layer {l + 1}",
            to_names=names if is_output else None,
        )
        st.altair_chart(chart)
        outputs = [label_word(i, names) for i in range(n_to)] if is_output else None
        st.caption(matrix_summary(block, "Weights shown", rows.start, cols.start, to_labels=outputs))


def health_section(model) -> None:
    """The model's training health, from its history: there after a reload or for an uploaded file."""
    st.subheader("Training health: why it learned, or stalled")
    health_view(model.history.health, model.config, key="weights")
