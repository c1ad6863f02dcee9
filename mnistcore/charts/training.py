"""Pure chart builders for the dashboard: training data in, an ``alt.Chart`` out.

No Streamlit here: every function returns a chart object whose ``to_dict()`` is the
complete Vega-Lite spec with the data inline, so it can be tested without a server and
drawn by any Altair front end. Inputs are the trainer's ``ProgressEvent`` lists, either
one run (a list or a ``History``) or several runs as ``{label: events}``.

Several runs are told apart by colour: ``RUN_COLOURS`` gives each of up to ``MAX_RUNS``
runs its own, in the order given, and the legend (short labels such as '#3 fast', on the
right) never takes the plot's height: Streamlit fits the whole chart, title and axes
included, into ``height``, which leaves a plot about 120 px shorter however many runs it
shows (measured in Chromium: 360 gives 230-245 px).

Deliberate limits: curves are thinned to at most ``MAX_POINTS`` points per series, so a
long run does not ship megabytes to the browser twice a second; NaN validation values
(steps where validation was not measured) are left out rather than drawn as gaps; more
than ``MAX_RUNS`` runs reuse colours.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from mnistcore.engine.history import History, ProgressEvent

MAX_POINTS = 400
X_FIELDS = {"step": "Step", "epoch": "Epoch"}
TRAIN, VALIDATION = "train batch", "validation"
SERIES_COLOURS = {TRAIN: "#9DB4E8", VALIDATION: "#1F4FB4"}
# One colour per compared run: eight hues far apart from each other and dark enough on white.
RUN_COLOURS = ("#1F4FB4", "#E8710A", "#1E8E3E", "#D93025", "#8E44AD", "#0C9DB0", "#8C6D1F", "#E052A0")
MAX_RUNS = len(RUN_COLOURS)
RUN_LEGEND_WIDTH = 110  # px: a legend label longer than this is cut short ('…'), the plot keeps its width

Runs = History | Sequence[ProgressEvent] | Mapping[str, History | Sequence[ProgressEvent]]


def _as_runs(runs: Runs) -> dict[str, list[ProgressEvent]]:
    """Normalise the accepted inputs to ``{label: events}`` (a single run is labelled 'run')."""
    if isinstance(runs, Mapping):
        return {label: _events(events) for label, events in runs.items()}
    return {"run": _events(runs)}


def _events(events: History | Sequence[ProgressEvent]) -> list[ProgressEvent]:
    return events.snapshot() if isinstance(events, History) else list(events)


def thin(events: Sequence[Any], max_points: int = MAX_POINTS) -> list[Any]:
    """At most ``max_points`` evenly spaced items, always keeping the last one."""
    if len(events) <= max_points:
        return list(events)
    stride = math.ceil(len(events) / max_points)
    kept = list(events[::stride])
    if kept[-1] is not events[-1]:
        kept[-1] = events[-1]
    return kept


def accuracy_frame(runs: Runs, series: Sequence[str] = (TRAIN, VALIDATION)) -> pd.DataFrame:
    """Long-form table ``run, series, step, epoch, accuracy`` for the accuracy chart.

    A DataFrame rather than a list of dicts: Altair validates inline lists value by value,
    which costs ~0.1 s per redraw, while Streamlit ships a DataFrame as one Arrow table."""
    rows: list[tuple[str, str, int, float, float]] = []
    for label, events in _as_runs(runs).items():
        if TRAIN in series:
            rows += [(label, TRAIN, e.step, e.epoch, e.batch_accuracy) for e in thin(events)]
        if VALIDATION in series:
            measured = [e for e in events if not math.isnan(e.validation_accuracy)]
            rows += [(label, VALIDATION, e.step, e.epoch, e.validation_accuracy) for e in thin(measured)]
    return pd.DataFrame(rows, columns=["run", "series", "step", "epoch", "accuracy"])


def loss_frame(runs: Runs, smooth: bool = False) -> pd.DataFrame:
    """Long-form table ``run, series, step, epoch, loss`` of the minibatch loss (positive values only).

    ``smooth``: each run's loss as a centred moving average over a twentieth of its logged
    steps (at least one), so that several runs' curves can be told apart through the noise."""
    rows = []
    for label, events in _as_runs(runs).items():
        kept = [e for e in events if math.isfinite(e.batch_loss) and e.batch_loss > 0]  # a log scale cannot show 0
        losses = [e.batch_loss for e in kept]
        if smooth and kept:
            window = max(1, len(kept) // 20)
            losses = pd.Series(losses).rolling(window, center=True, min_periods=1).mean().tolist()
        indices = thin(range(len(kept)))
        rows += [(label, TRAIN, kept[i].step, kept[i].epoch, losses[i]) for i in indices]
    return pd.DataFrame(rows, columns=["run", "series", "step", "epoch", "loss"])


def run_colours(count: int) -> list[str]:
    """The colours of ``count`` compared runs, in order: all different up to ``MAX_RUNS``."""
    return [RUN_COLOURS[i % MAX_RUNS] for i in range(count)]


def _x(x: str) -> alt.X:
    if x not in X_FIELDS:
        raise ValueError(f"x must be one of {', '.join(X_FIELDS)}, got {x!r}")
    return alt.X(f"{x}:Q", title=X_FIELDS[x], scale=alt.Scale(nice=False))


def _colour(labels: tuple[str, ...] | None, series: tuple[str, ...]) -> alt.Color:
    """One run (``labels`` None): colour tells train batch from validation. Several: colour
    tells the runs apart, in the given order."""
    if labels is None:
        shown = [s for s in (TRAIN, VALIDATION) if s in series]
        return alt.Color(
            "series:N",
            title=None,
            scale=alt.Scale(domain=shown, range=[SERIES_COLOURS[s] for s in shown]),
            legend=alt.Legend(orient="bottom-right", fillColor="white", padding=4),
        )
    return _run_colour(labels)


def _run_colour(labels: tuple[str, ...]) -> alt.Color:
    """Colour by run: each label its own of ``RUN_COLOURS`` (an explicit range, so a theme's
    palette of similar blues never applies), the legend on the right, where it takes width
    instead of the plot's height."""
    return alt.Color(
        "run:N",
        title="Run",
        sort=list(labels),
        scale=alt.Scale(domain=list(labels), range=run_colours(len(labels))),
        legend=alt.Legend(orient="right", direction="vertical", labelLimit=RUN_LEGEND_WIDTH, symbolStrokeWidth=3),
    )


def _run_labels(runs: dict[str, list[ProgressEvent]]) -> tuple[str, ...] | None:
    return tuple(runs) if len(runs) > 1 else None


def _with_data(template: Any, frame: pd.DataFrame) -> Any:
    """A fresh chart: the (cached, never modified) ``template`` with ``frame`` as its data."""
    chart = template.copy(deep=False)
    chart.data = frame
    return chart


# The chart structure depends only on these few arguments, and building it through Altair
# costs milliseconds: cache it and attach each call's data to a shallow copy.
@functools.lru_cache(maxsize=64)
def _accuracy_template(
    x: str, labels: tuple[str, ...] | None, series: tuple[str, ...], height: int
) -> alt.TopLevelMixin:
    base = alt.Chart().encode(
        x=_x(x),
        y=alt.Y("accuracy:Q", title="Accuracy", axis=alt.Axis(format=".0%"), scale=alt.Scale(zero=False)),
        color=_colour(labels, series),
        detail="run:N",
        tooltip=[
            alt.Tooltip("run:N", title="Run"),
            alt.Tooltip("series:N", title="Measured on"),
            alt.Tooltip("step:Q", title="Step", format=","),
            alt.Tooltip("epoch:Q", title="Epoch", format=".2f"),
            alt.Tooltip("accuracy:Q", title="Accuracy", format=".2%"),
        ],
    )
    lines = base.mark_line(strokeWidth=1.5 if labels is None else 2, interpolate="linear").encode(
        opacity=alt.Opacity("series:N", legend=None, scale=alt.Scale(domain=[TRAIN, VALIDATION], range=[0.7, 1.0])),
    )
    # aria=False: the line already describes these values to a screen reader, and before the first
    # validation the empty layer was an unnamed graphics-symbol (axe-core's svg-img-alt).
    points = base.mark_point(filled=True, size=28, aria=False).transform_filter(alt.datum.series == VALIDATION)
    # The data goes on the layer, never on its parts (which Altair would compare to merge).
    return alt.layer(lines, points).properties(height=height, title="Accuracy")


@functools.lru_cache(maxsize=64)
def _loss_template(x: str, labels: tuple[str, ...] | None, height: int, smooth: bool) -> alt.Chart:
    colour = alt.value(SERIES_COLOURS[VALIDATION]) if labels is None else _run_colour(labels)
    title = "Loss on each training batch" + (" (moving average)" if smooth else "")
    return (
        alt.Chart()
        .mark_line(strokeWidth=1.2 if labels is None else 1.8, interpolate="linear")
        .encode(
            x=_x(x),
            y=alt.Y("loss:Q", title="Batch loss (log scale)", scale=alt.Scale(type="log")),
            color=colour,
            detail="run:N",
            tooltip=[
                alt.Tooltip("run:N", title="Run"),
                alt.Tooltip("step:Q", title="Step", format=","),
                alt.Tooltip("loss:Q", title="Loss", format=".4f"),
            ],
        )
        .properties(height=height, title=title)
    )


def accuracy_chart(
    runs: Runs, x: str = "step", series: Sequence[str] | None = None, height: int = 260
) -> alt.TopLevelMixin:
    """Accuracy against steps or epochs: train-batch accuracy (noisy, light) and validation
    accuracy (measured every ``eval_every`` steps, dark with points).

    ``series`` defaults to both for one run and to validation only for several runs, whose
    batch curves would bury each other. Several runs (``{label: events}``, short labels)
    are coloured by run, in the given order. Returns a layered chart; hovering shows the values.
    """
    runs_ = _as_runs(runs)
    series = tuple(series) if series is not None else ((TRAIN, VALIDATION) if len(runs_) == 1 else (VALIDATION,))
    template = _accuracy_template(x, _run_labels(runs_), series, height)
    return _with_data(template, accuracy_frame(runs_, series))


def loss_chart(runs: Runs, x: str = "step", height: int = 260, smooth: bool = False) -> alt.Chart:
    """Minibatch loss against steps or epochs, on a log scale (it spans decades); several runs
    are coloured by run as in ``accuracy_chart``. ``smooth``: a moving average (``loss_frame``)."""
    runs_ = _as_runs(runs)
    return _with_data(_loss_template(x, _run_labels(runs_), height, smooth), loss_frame(runs_, smooth))


def vega_lite_parts(chart: Any) -> tuple[dict[str, Any], pd.DataFrame]:
    """Split a chart made here into its Vega-Lite spec without data, and its data.

    For redrawing a live chart twice a second: Streamlit's ``st.vega_lite_chart(data, spec)``
    sends the table as Arrow and skips the schema validation that ``st.altair_chart`` runs
    on every call (about 10 ms per chart, all of it holding the GIL the training thread needs).
    """
    frame = chart.data
    bare = chart.copy(deep=False)
    bare.data = frame.iloc[:0]  # same columns, no rows: cheap to serialise
    spec = bare.to_dict(validate=False)
    for key in ("data", "datasets", "config"):  # config: Altair's default theme, which Streamlit replaces
        spec.pop(key, None)
    return spec, frame


def _layer_names(
    layer_sizes: Sequence[int], activation: str, loss: str, outputs: str = "digits"
) -> list[tuple[str, str]]:
    """(title, detail) per layer, e.g. ('Hidden 1', '16 units · sigmoid'); ``outputs`` names the output units."""
    output = "softmax" if loss == "cross-entropy" else "sigmoid"
    names = [("Input", f"{layer_sizes[0]:,} pixels (28×28)")]
    names += [(f"Hidden {i}", f"{n:,} units · {activation}") for i, n in enumerate(layer_sizes[1:-1], start=1)]
    names.append(("Output", f"{layer_sizes[-1]:,} {outputs} · {output}"))
    return names


def _neuron_positions(size: int, max_shown: int) -> tuple[list[float], bool]:
    """Heights in [0, 1] of the units drawn for a layer of ``size``; True if some are left out
    (then a gap in the middle holds an ellipsis)."""
    if size <= max_shown:
        return ([0.5] if size == 1 else np.linspace(0.0, 1.0, size).tolist()), False
    ys = np.linspace(0.0, 1.0, max_shown + 1).tolist()
    del ys[max_shown // 2]  # the gap for the ellipsis
    return ys, True


def network_chart(
    layer_sizes: Sequence[int],
    activation: str = "sigmoid",
    loss: str = "mse",
    max_shown: int = 10,
    height: int = 330,
    class_names: Sequence[str] | None = None,
) -> alt.TopLevelMixin:
    """The network as the classic picture: a column of units per layer (at most ``max_shown``
    drawn, an ellipsis for the rest), every drawn connection, each layer named above and
    its weight count below, the output units labelled with their digits (0 at the top).

    Parameters
    ----------
    layer_sizes : [784, h1, ..., 10]
    activation : the hidden layers' activation; ``loss`` picks the output layer's name
    class_names : the output units' labels when they are not the digits (Fashion-MNIST's classes)
    """
    if len(layer_sizes) < 2 or any(int(n) < 1 for n in layer_sizes):
        raise ValueError(f"layer_sizes must be at least two positive sizes, got {list(layer_sizes)}")
    units, gaps, edges = [], [], []
    positions = [_neuron_positions(int(n), max_shown) for n in layer_sizes]
    for layer, (ys, truncated) in enumerate(positions):
        units += [{"layer": layer, "y": y} for y in ys]
        if truncated:
            gaps.append({"layer": layer, "y": 0.5, "text": "⋮"})
    for layer in range(len(layer_sizes) - 1):
        edges += [
            {"layer": layer, "y": y1, "layer2": layer + 1, "y2": y2}
            for y1 in positions[layer][0]
            for y2 in positions[layer + 1][0]
        ]
    names = _layer_names(layer_sizes, activation, loss, "digits" if class_names is None else "classes")
    titles = [{"layer": i, "y": 1.31, "text": title} for i, (title, _) in enumerate(names)]
    details = [{"layer": i, "y": 1.245, "text": detail} for i, (_, detail) in enumerate(names)]  # two lines down
    weights = [
        {"layer": i + 0.5, "y": -0.08, "text": f"{a * b:,} weights + {b:,} biases"}  # two lines down
        for i, (a, b) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]))
    ]
    x = alt.X("layer:Q", axis=None, scale=alt.Scale(domain=[-0.5, len(layer_sizes) - 0.5]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-0.22, 1.37]))
    connections = (
        alt.Chart(pd.DataFrame(edges))
        .mark_rule(color="#8DA2CC", opacity=0.45, strokeWidth=0.8)
        .encode(x=x, y=y, x2="layer2:Q", y2="y2:Q")
    )
    circles = (
        alt.Chart(pd.DataFrame(units))
        .mark_circle(size=170, color="#1F4FB4", opacity=1, stroke="white", strokeWidth=1.5)
        .encode(x=x, y=y)
    )

    def text(rows: list[dict[str, Any]], **style: Any) -> alt.Chart:
        return (
            alt.Chart(pd.DataFrame(rows, columns=["layer", "y", "text"]))
            .mark_text(**style)
            .encode(x=x, y=y, text="text:N")
        )

    last = len(layer_sizes) - 1
    ys, truncated = positions[last]
    labels = (
        list(class_names) if class_names is not None and len(class_names) == len(ys) else list(map(str, range(len(ys))))
    )
    digits = (
        [] if truncated else [{"layer": last + 0.13, "y": y, "text": labels[d]} for d, y in enumerate(reversed(ys))]
    )

    def font(largest: float, chars: float) -> alt.ExprRef:
        """``largest`` px, smaller when the chart is too narrow for labels of about ``chars``
        characters side by side (a phone): no label runs into its neighbour's."""
        return alt.ExprRef(expr=f"clamp(width / {len(layer_sizes) * chars * 0.6:g}, 7, {largest})")

    return alt.layer(
        connections,
        circles,
        # Class names ('Ankle boot') shrink on a narrow chart, as the titles do, so none is cut off.
        text(digits, fontSize=12 if class_names is None else font(12, 22), color="#1B2233", align="left"),
        text(gaps, fontSize=22, color="#1F4FB4"),
        text(titles, fontSize=font(14, 9), fontWeight="bold", color="#1B2233"),
        # Two lines each: '128 units' over 'relu', '100,352 weights' over '128 biases'.
        text(details, fontSize=font(12, 11), color="#4A5670", lineBreak=" · ", baseline="top"),
        text(weights, fontSize=font(11, 16), color="#4A5670", lineBreak=" + ", baseline="top"),
    ).properties(height=height)
