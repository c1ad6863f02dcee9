"""Training-health charts: one Altair chart per statistic of ``engine.health``, one line per layer.

Pure builders (records in, chart out), like ``charts.training``; draw them live with
``training.vega_lite_parts``. The gradient norm and the update ratio span decades, so their
axes are logarithmic (zero and NaN values are left out: a log axis cannot show them); the
dead or saturated share is a percentage; the histogram shows the latest record's outputs.

Layers are coloured from dark (layer 1, next to the input) to light (the output layer), so
the order of the lines reads as the order of the layers.

Deliberate limits: at most ``MAX_POINTS`` records per line (thinned evenly, the last kept).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from mnistcore.analysis.health_readings import HEALTHY_UPDATE
from mnistcore.charts.training import thin
from mnistcore.engine.health import BINS, HealthRecord

MAX_POINTS = 300
# Five blues to oranges, dark to light enough to tell apart and all readable on white.
LAYER_COLOURS = ("#0B3C8C", "#1F77B4", "#2CA5A0", "#7BB23A", "#E8A10A")
TITLES: dict[str, str | dict[str, str]] = {
    "grad_norm": "Gradient size per layer (log scale)",
    "update_ratio": "Step size ÷ weight size (log scale)",
    "inactive": {"relu": "Dead units (ReLU off for the whole batch)", "other": "Saturated outputs (flat part)"},
    "histogram": "Outputs of each hidden layer (latest step)",
}
Y_TITLES = {
    "grad_norm": "‖dLoss/dW‖",
    "update_ratio": "‖ΔW‖ / ‖W‖",
    "inactive": "Share",
}


def layer_names(count: int, with_output: bool) -> list[str]:
    """'layer 1', ..., with '(output)' on the last when it is the output layer."""
    names = [f"layer {l + 1}" for l in range(count)]
    if with_output and names:
        names[-1] += " (output)"
    return names


def _colour(names: Sequence[str]) -> alt.Color:
    colours = [LAYER_COLOURS[min(i, len(LAYER_COLOURS) - 1)] for i in range(len(names))]
    return alt.Color(
        "layer:N",
        title="Layer",
        sort=list(names),
        scale=alt.Scale(domain=list(names), range=colours),
        legend=alt.Legend(orient="right", direction="vertical", symbolStrokeWidth=3),
    )


def series_frame(records: Sequence[HealthRecord], name: str, positive: bool = False) -> pd.DataFrame:
    """Long-form ``step, layer, value`` for statistic ``name``; NaN left out (and values <= 0
    when ``positive``: for a log axis)."""
    kept = thin(records, MAX_POINTS)
    if not kept:
        return pd.DataFrame({"step": [], "layer": [], "value": []})
    values = np.array([getattr(r, name) for r in kept], dtype=np.float64)
    names = layer_names(values.shape[1], with_output=name in ("grad_norm", "update_ratio"))
    steps = np.repeat([r.step for r in kept], values.shape[1])
    frame = pd.DataFrame({"step": steps, "layer": np.tile(names, len(kept)), "value": values.reshape(-1)})
    keep = np.isfinite(frame["value"]) & ((frame["value"] > 0) if positive else True)
    return frame[keep].reset_index(drop=True)


@functools.lru_cache(maxsize=32)
def _line_template(name: str, names: tuple[str, ...], log: bool, title: str, height: int) -> alt.TopLevelMixin:
    axis = alt.Axis(format=".0%") if name == "inactive" else alt.Axis(format="~g")
    scale = alt.Scale(type="log") if log else alt.Scale(domain=[0, 1])
    lines = (
        alt.Chart()
        .mark_line(strokeWidth=2, interpolate="linear")
        .encode(
            x=alt.X("step:Q", title="Step", scale=alt.Scale(nice=False)),
            y=alt.Y("value:Q", title=Y_TITLES[name], scale=scale, axis=axis),
            color=_colour(names),
            tooltip=[
                alt.Tooltip("layer:N", title="Layer"),
                alt.Tooltip("step:Q", title="Step", format=","),
                alt.Tooltip("value:Q", title=Y_TITLES[name], format=".1%" if name == "inactive" else ".3g"),
            ],
        )
    )
    if name != "update_ratio":
        return lines.properties(height=height, title=title)
    # The rule of thumb as a dashed line: about 1e-3 of the weights' size per step. aria=False:
    # it carries no data of the run (the reading under the chart says it in words).
    rule = alt.Chart().mark_rule(strokeDash=[4, 4], color="#5F6368", aria=False).encode(y=alt.datum(HEALTHY_UPDATE))
    return alt.layer(lines, rule).properties(height=height, title=title)


def line_chart(records: Sequence[HealthRecord], name: str, activation: str, height: int = 240) -> alt.TopLevelMixin:
    """Statistic ``name`` ('grad_norm', 'update_ratio' or 'inactive') against the step, a line per layer."""
    if name not in Y_TITLES:
        raise ValueError(f"name must be one of {', '.join(Y_TITLES)}, got {name!r}")
    log = name != "inactive"
    frame = series_frame(records, name, positive=log)
    count = len(getattr(records[-1], name)) if records else 0
    names = tuple(layer_names(count, with_output=log))
    titles = TITLES[name]
    title = titles if isinstance(titles, str) else titles["relu" if activation == "relu" else "other"]
    chart: Any = _line_template(name, names, log, title, height).copy(deep=False)  # type: ignore[attr-defined]
    chart.data = frame
    return chart


def histogram_frame(record: HealthRecord) -> pd.DataFrame:
    """``layer, value, share``: each bin's centre and its share of the layer's outputs."""
    rows = []
    for name, hist, (low, high) in zip(layer_names(len(record.histogram), False), record.histogram, record.hist_range):
        centres = low + (np.arange(BINS) + 0.5) * (high - low) / BINS
        rows += [(name, float(c), float(s)) for c, s in zip(centres, hist) if np.isfinite(s)]
    return pd.DataFrame(rows, columns=["layer", "value", "share"])


def histogram_chart(records: Sequence[HealthRecord], height: int = 240) -> alt.Chart:
    """The latest record's output histogram of each hidden layer, a line per layer."""
    record = records[-1] if records else None
    frame = histogram_frame(record) if record is not None else pd.DataFrame(columns=["layer", "value", "share"])
    names = layer_names(len(record.histogram) if record is not None else 0, False)
    step = f" (step {record.step:,})" if record is not None else ""
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2, interpolate="monotone", point=alt.OverlayMarkDef(size=16))
        .encode(
            x=alt.X("value:Q", title="Output value", scale=alt.Scale(nice=False, zero=False)),
            y=alt.Y("share:Q", title="Share of outputs", axis=alt.Axis(format=".0%")),
            color=_colour(names),
            tooltip=[
                alt.Tooltip("layer:N", title="Layer"),
                alt.Tooltip("value:Q", title="Output near", format=".3g"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(height=height, title=f"Outputs of each hidden layer{step}")
    )


def health_charts(records: Sequence[HealthRecord], activation: str) -> dict[str, alt.TopLevelMixin]:
    """The four charts, keyed like ``analysis.health_readings.READINGS``."""
    charts: dict[str, alt.TopLevelMixin] = {
        name: line_chart(records, name, activation) for name in ("grad_norm", "update_ratio", "inactive")
    }
    charts["histogram"] = histogram_chart(records)
    return charts
