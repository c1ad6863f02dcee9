"""Altair charts for the Backprop page: arrays in, an Altair chart out (no Streamlit).

* ``unit_strip``: one layer's values (z, a or delta) as a strip of coloured cells, one per
  unit, with the value in the tooltip: every unit at a glance, however wide the layer.
* ``value_bars``: the values of a few units (or the ten outputs) as labelled bars.
* ``loss_by_step``: the digit's loss after each SGD step taken on the page.

Colours: values that can be negative use the weight images' diverging blue-white-red
scale, centred on 0; activations that cannot (relu, sigmoid) use a sequential one.
Deliberate limits: at most a few thousand cells per chart (a layer is at most 4,096 units).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from mnistcore.analysis.images import symmetric_limit
from mnistcore.charts._common import diverging_scale


def unit_strip(values: np.ndarray, title: str, value_name: str = "value") -> alt.Chart:
    """One cell per unit (n,), coloured by its value; hover a cell for the unit and value."""
    values = np.asarray(values, dtype=np.float64).ravel()
    table = pd.DataFrame({"unit": np.arange(values.size), value_name: values, "row": value_name})
    if values.min() >= 0:
        scale = alt.Scale(scheme="greys", domain=[0, max(float(values.max()), 1e-12)])
    else:
        scale = diverging_scale(max(symmetric_limit(values, percentile=100.0), 1e-12))
    outline = values.size <= 64  # cells wide enough to outline
    return (
        alt.Chart(table, title=alt.TitleParams(title, anchor="start", fontSize=13))
        .mark_rect(stroke="#d0d4dc" if outline else None, strokeWidth=0.5 if outline else 0)
        .encode(
            x=alt.X("unit:O", title=None, axis=alt.Axis(labels=values.size <= 32, ticks=False, labelAngle=0)),
            # A one-row y with a fixed step: Streamlit fits a plain height to the whole chart, axes included.
            y=alt.Y("row:N", title=None, axis=None),
            color=alt.Color(
                f"{value_name}:Q", title=value_name, scale=scale, legend=alt.Legend(orient="right", gradientLength=40)
            ),
            tooltip=[alt.Tooltip("unit:O"), alt.Tooltip(f"{value_name}:Q", format=".4g")],
        )
        .properties(height=alt.Step(26))  # the width: the page's (st.altair_chart(width="stretch"))
    )


def value_bars(values: np.ndarray, units: Sequence[int], title: str, highlight: int | None = None) -> alt.LayerChart:
    """Labelled bars for ``values`` (n,) of ``units`` (their numbers, for the axis)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    table = pd.DataFrame(
        {"unit": [int(u) for u in units], "value": values, "highlight": [int(u) == highlight for u in units]}
    )
    base = alt.Chart(table).encode(
        x=alt.X("unit:O", title="unit", sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None),
        tooltip=[alt.Tooltip("unit:O"), alt.Tooltip("value:Q", format=".4g")],
    )
    bars = base.mark_bar().encode(
        color=alt.condition(alt.datum.highlight, alt.value("#d62728"), alt.value("#4c78a8")),
    )
    biggest = float(np.abs(values).max()) if values.size else 0.0
    labels = (  # only the bars that show: tiny values' labels would pile up on a phone
        base.transform_filter(f"abs(datum.value) >= {0.02 * biggest}")
        .mark_text(dy=-6, fontSize=10)
        .encode(text=alt.Text("value:Q", format=".2g"))
    )
    return (bars + labels).properties(height=180, title=title)


def loss_by_step(losses: Sequence[float]) -> alt.Chart:
    """The digit's loss after 0, 1, 2, ... SGD steps (a log axis when it spans decades)."""
    values = np.maximum(np.asarray(losses, dtype=np.float64), 1e-12)
    table = pd.DataFrame({"step": np.arange(values.size), "loss": values})
    spans_decades = values.size > 1 and values.max() / values.min() > 100
    return (
        alt.Chart(table, title="Loss on this digit after each step")
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title="SGD steps taken", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("loss:Q", title="loss", scale=alt.Scale(type="log" if spans_decades else "linear")),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4g")],
        )
        .properties(height=200)
    )


def gradient_heatmap(matrix: np.ndarray, rows: Sequence[int], title: str = "∂L/∂W") -> alt.Chart:
    """Rows ``rows`` (their unit numbers) of a gradient dL/dW[l] (n_l, n_{l+1}) as a heatmap:
    x = the unit the weight goes to, y = the unit it leaves; a diverging scale centred on 0."""
    matrix = np.asarray(matrix, dtype=np.float64)
    block = matrix[list(rows)]
    from_idx, to_idx = np.meshgrid(np.asarray(rows), np.arange(matrix.shape[1]), indexing="ij")
    table = pd.DataFrame({"from": from_idx.ravel(), "to": to_idx.ravel(), "gradient": block.ravel()})
    limit = max(symmetric_limit(block, percentile=100.0), 1e-12)
    return (
        alt.Chart(table)
        .mark_rect()
        .encode(
            x=alt.X("to:O", title="to unit", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("from:O", title="from unit", sort=None),
            color=alt.Color("gradient:Q", title=title, scale=diverging_scale(limit)),
            tooltip=[alt.Tooltip("from:O"), alt.Tooltip("to:O"), alt.Tooltip("gradient:Q", format=".4g")],
        )
        .properties(height=alt.Step(14))
    )
