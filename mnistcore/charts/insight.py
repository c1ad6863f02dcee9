"""Altair charts for the Mistakes and Weights pages: arrays in, an Altair chart out.

Each builder is a pure function of NumPy arrays and plain values, so it can be tested
(``chart.to_dict()``) without Streamlit.  Weights share one diverging colour scheme
(Vega's ``redblue``, reversed: blue negative, white zero, red positive) that matches the
weight images drawn by ``mnistcore.analysis.images.to_diverging_rgb``, and every scale is
pinned to ``[-limit, limit]`` so colours compare across units and layers.

Deliberate limits: no Streamlit here, and no sizing beyond a sensible default height;
the page decides the width (charts stretch to their container).  Heatmaps draw one
mark per cell, so callers pass at most a few thousand cells (one page of units).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from mnistcore.analysis.confusion import confusion_table
from mnistcore.charts._common import check_vector, class_axis, class_label_expr, diverging_scale
from mnistcore.engine.model import percent

CELL_SELECTION = "cell"  # the confusion heatmap's point-selection parameter name
CELL_PX = 30  # confusion cells: room for a four-digit count, and 10 of them fit a 390 px phone
CORRECT_GREY = "#e3e3e3"  # diagonal cells: right answers, kept quiet so mistakes stand out
TRUE_GREEN = "#2ca02c"
WRONG_RED = "#d62728"
OTHER_GREY = "#9e9e9e"


# --------------------------------------------------------------------------
# Mistakes page
# --------------------------------------------------------------------------


def confusion_heatmap(
    cm: np.ndarray,
    true_digit: int | None = None,
    predicted_digit: int | None = None,
    class_names: Sequence[str] | None = None,
) -> alt.LayerChart:
    """Confusion matrix (rows true, columns predicted) with counts, tooltips and a click selection.

    Parameters
    ----------
    cm : (n_classes, n_classes) counts.
    true_digit, predicted_digit : the gallery's current filter; matching mistake cells get a
        dark outline.  ``None`` means any.
    class_names : what the labels mean, shown on the axes and in the tooltip (Fashion-MNIST's
        'Shirt'); None: the digits themselves.

    The point selection is named ``CELL_SELECTION`` and reports ``true`` and ``predicted``.
    Off-diagonal cells are coloured by count (the mistakes); the diagonal is grey.
    """
    table = pd.DataFrame(confusion_table(cm))
    table["mistake"] = table["true"] != table["predicted"]
    table["label"] = np.where(table["count"] > 0, table["count"].astype(str), "")
    table["in_filter"] = table["mistake"]
    if true_digit is not None:
        table["in_filter"] &= table["true"] == true_digit
    if predicted_digit is not None:
        table["in_filter"] &= table["predicted"] == predicted_digit
    if true_digit is None and predicted_digit is None:
        table["in_filter"] = False
    max_mistakes = int(table.loc[table["mistake"], "count"].max()) if table["mistake"].any() else 0
    names = class_label_expr(class_names)
    noun = "digit" if class_names is None else "class"
    if class_names is not None:
        table["true_name"] = [class_names[i] for i in table["true"]]
        table["predicted_name"] = [class_names[i] for i in table["predicted"]]

    base = alt.Chart(table).encode(
        x=alt.X(
            "predicted:O",
            title=f"Predicted {noun}",
            axis=alt.Axis(
                labelAngle=0 if class_names is None else -90, orient="top", labelExpr=names, labelOverlap=False
            ),
        ),
        y=alt.Y("true:O", title=f"True {noun}", axis=alt.Axis(labelExpr=names)),
    )
    # Right answers grey; mistakes from white (none) through light orange (one) to dark red.
    top = max(2, max_mistakes)
    mistake_scale = alt.Scale(domain=[0, 1, top], range=["#ffffff", "#fdd49e", "#b30000"], interpolate="lab")
    colour = (
        alt.when(alt.datum.mistake)
        .then(alt.Color("count:Q", legend=None, scale=mistake_scale))
        .otherwise(alt.value(CORRECT_GREY))
    )
    shown = ("true:O", "predicted:O") if class_names is None else ("true_name:N", "predicted_name:N")
    tooltip = [
        alt.Tooltip(shown[0], title=f"True {noun}"),
        alt.Tooltip(shown[1], title="Predicted"),
        alt.Tooltip("count:Q", title="Count"),
        alt.Tooltip("row_share:Q", title=f"Share of true {noun}", format=".1%"),
    ]
    cells = base.mark_rect().encode(
        color=colour,
        stroke=alt.when(alt.datum.in_filter).then(alt.value("#111111")).otherwise(alt.value("#ffffff")),
        strokeWidth=alt.when(alt.datum.in_filter).then(alt.value(2.5)).otherwise(alt.value(0.5)),
    )
    dark = alt.datum["count"] > 0.6 * max(1, max_mistakes)
    counts = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.when(alt.datum.mistake & dark).then(alt.value("white")).otherwise(alt.value("black")),
    )
    # An invisible layer on top takes the clicks and the hover, so a click on a cell's
    # number selects the cell too (a selection cannot span two layers).
    hits = base.mark_rect(opacity=0, cursor="pointer").encode(tooltip=tooltip)
    cell = alt.selection_point(name=CELL_SELECTION, fields=["true", "predicted"], on="click", clear="dblclick")
    return (cells + counts + hits.add_params(cell)).properties(
        width=alt.Step(CELL_PX), height=alt.Step(CELL_PX), title="Confusion matrix: click a cell"
    )


def class_accuracy_bars(
    class_accuracy: np.ndarray, overall: float, class_names: Sequence[str] | None = None
) -> alt.LayerChart:
    """Horizontal bars of accuracy per true digit (10,), with a rule at the overall accuracy.

    The axis starts just below the weakest digit (not at 0), so differences of a
    fraction of a percent stay visible; the title says so.  Digits below the overall
    accuracy are orange.
    """
    accuracy = check_vector(class_accuracy, "class_accuracy")
    finite = accuracy[np.isfinite(accuracy)]
    low = float(np.floor((finite.min() if finite.size else 0.0) * 100 - 1)) / 100 if finite.size else 0.0
    low = max(0.0, min(low, overall - 0.01))
    table = pd.DataFrame({"digit": np.arange(accuracy.size), "accuracy": accuracy})
    table["weak"] = np.where(table["accuracy"] < overall, "below overall", "at or above overall")
    # The domain ends a little past 100% so the value labels beside the bars fit.
    x = alt.X(
        "accuracy:Q", title="Accuracy", scale=alt.Scale(domain=[low, 1.0 + (1.0 - low) * 0.12], zero=False, clamp=True)
    )
    bars = (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=x.axis(format=".0%" if 1.0 - low > 0.05 else ".1%", values=_percent_ticks(low)),
            y=alt.Y(
                "digit:O",
                title="True digit" if class_names is None else "True class",
                axis=alt.Axis(labelExpr=class_label_expr(class_names)),
            ),
            color=alt.Color(
                "weak:N",
                title=None,
                scale=alt.Scale(domain=["below overall", "at or above overall"], range=["#f28e2b", "#8fb3d9"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[alt.Tooltip("digit:O", title="Digit"), alt.Tooltip("accuracy:Q", format=".2%", title="Accuracy")],
        )
    )
    labels = bars.mark_text(align="left", dx=3).encode(
        text=alt.Text("accuracy:Q", format=".1%"), color=alt.value("black")
    )
    rule = (
        alt.Chart(pd.DataFrame({"overall": [overall]}))
        .mark_rule(color="black", strokeDash=[4, 3])
        .encode(x="overall:Q")
    )
    title = alt.TitleParams(
        "Accuracy per digit" if class_names is None else "Accuracy per class",
        subtitle=f"Axis starts at {low:.0%}; dashed line: overall {percent(overall)}",
        anchor="start",
    )
    return (bars + labels + rule).properties(height=alt.Step(26), title=title)


def probability_bars(
    probs: np.ndarray, true_digit: int | None = None, class_names: Sequence[str] | None = None
) -> alt.LayerChart:
    """The model's output for one digit: a bar per class (n_classes,), on a 0-1 axis.

    The predicted class is red when it is wrong, the true class green, the rest grey.
    """
    probs = check_vector(probs, "probs")
    if true_digit is not None and not 0 <= true_digit < probs.size:
        raise ValueError(f"true_digit must be None or in 0..{probs.size - 1}, got {true_digit!r}")
    predicted = int(np.argmax(probs))
    role = np.full(probs.size, "other", dtype=object)
    if true_digit is not None:
        role[true_digit] = "true digit"
    if predicted != true_digit:
        role[predicted] = "predicted (wrong)" if true_digit is not None else "predicted"
    else:
        role[predicted] = "predicted (right)"
    table = pd.DataFrame({"digit": np.arange(probs.size), "probability": probs, "role": role})
    palette = {
        "predicted (wrong)": WRONG_RED,
        "predicted (right)": TRUE_GREEN,
        "predicted": WRONG_RED,
        "true digit": TRUE_GREEN,
        "other": OTHER_GREY,
    }
    roles = [r for r in palette if r in set(role)]  # the legend lists only what is drawn
    colours = [palette[r] for r in roles]
    base = alt.Chart(table).encode(
        x=alt.X(
            "digit:O",
            title="Digit" if class_names is None else "Class",
            axis=class_axis(class_names),
        ),
        y=alt.Y("probability:Q", title="Output", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "role:N", title=None, scale=alt.Scale(domain=roles, range=colours), legend=alt.Legend(orient="bottom")
        ),
        tooltip=[alt.Tooltip("digit:O", title="Digit"), alt.Tooltip("probability:Q", format=".2%", title="Output")],
    )
    labels = (
        base.transform_filter(alt.datum.probability >= 0.005)
        .mark_text(dy=-6)
        .encode(text=alt.Text("probability:Q", format=".0%"))
    )
    return (bars + labels).properties(height=260, title="What the network answered")


# --------------------------------------------------------------------------
# Weights page
# --------------------------------------------------------------------------


def outgoing_weight_bars(weights: np.ndarray, limit: float) -> alt.LayerChart:
    """One hidden unit's weights to the next layer (n_out,), coloured on the diverging scale."""
    weights = check_vector(weights, "weights")
    table = pd.DataFrame({"to": np.arange(weights.size), "weight": weights})
    n_out = weights.size
    x_title = "Digit" if n_out == 10 else "Unit in the next layer"
    bars = (
        alt.Chart(table)
        .mark_bar(stroke="#777777", strokeWidth=0.5)
        .encode(
            x=alt.X("to:O", title=x_title, axis=alt.Axis(labelAngle=0, values=_tick_values(0, n_out))),
            y=alt.Y("weight:Q", title="Weight"),
            color=alt.Color("weight:Q", scale=diverging_scale(limit), legend=None),
            tooltip=[alt.Tooltip("to:O", title=x_title), alt.Tooltip("weight:Q", format=".3f", title="Weight")],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#555555").encode(y="y:Q")
    return (bars + zero).properties(height=220, title="Outgoing weights")


def weight_heatmap(
    matrix: np.ndarray,
    limit: float,
    from_start: int = 0,
    to_start: int = 0,
    from_title: str = "Hidden unit",
    to_title: str = "Digit",
    to_names: Sequence[str] | None = None,
) -> alt.Chart:
    """A block of a weight matrix as a heatmap: x = the unit the weight leaves, y = where it goes.

    Parameters
    ----------
    matrix : (n_from, n_to) block of ``W[l]`` (inputs x outputs, as the engine stores it).
    limit : colour limit; the scale spans ``[-limit, limit]`` centred on white.
    from_start, to_start : unit numbers of the block's first row and column (for labels).
    from_title, to_title : axis titles.
    to_names : names of the ``to`` units by number (a Fashion model's classes), shown instead of numbers.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"matrix must be a non-empty 2-D (n_from, n_to) block, got shape {matrix.shape}")
    to_axis = alt.Axis(values=_tick_values(to_start, matrix.shape[1]), labelExpr=class_label_expr(to_names))
    n_from, n_to = matrix.shape
    from_idx, to_idx = np.indices(matrix.shape)
    table = pd.DataFrame(
        {"from": (from_idx + from_start).ravel(), "to": (to_idx + to_start).ravel(), "weight": matrix.ravel()}
    )
    chart = (
        alt.Chart(table)
        .mark_rect()
        .encode(
            x=alt.X("from:O", title=from_title, axis=alt.Axis(labelAngle=0, values=_tick_values(from_start, n_from))),
            y=alt.Y("to:O", title=to_title, axis=to_axis),
            color=alt.Color("weight:Q", title="Weight", scale=diverging_scale(limit)),
            tooltip=[
                alt.Tooltip("from:O", title=from_title),
                alt.Tooltip("to:O", title=to_title),
                alt.Tooltip("weight:Q", format=".3f", title="Weight"),
            ],
        )
    )
    # A fixed step per row: Streamlit fits a plain height to the whole chart, axes included.
    return chart.properties(height=alt.Step(max(6, min(20, 600 // n_to))))


def colour_legend(values: np.ndarray, colours: list[str], limit: float, title: str = "Weight") -> alt.Chart:
    """A horizontal gradient bar for the weight images, labelled -limit, 0, +limit.

    Parameters
    ----------
    values : (n,) evenly spaced values from -limit to +limit.
    colours : n '#rrggbb' colours for ``values`` (from ``images.legend_stops``).
    title : what the colours stand for, under the bar.
    """
    values = check_vector(values, "values")
    if len(colours) != values.size or values.size < 2:
        raise ValueError(f"need one colour per value and at least 2 values, got {len(colours)} and {values.size}")
    half_step = (values[1] - values[0]) / 2
    table = pd.DataFrame({"start": values - half_step, "end": values + half_step, "colour": colours, "row": ""})
    ticks = [-limit, 0.0, limit]
    axis = alt.Axis(values=ticks, format=".2f", title=title)
    return (
        alt.Chart(table)
        .mark_rect()
        .encode(
            x=alt.X("start:Q", scale=alt.Scale(domain=[-limit, limit], nice=False, zero=False), axis=axis),
            x2="end:Q",
            y=alt.Y("row:N", axis=None),
            color=alt.Color("colour:N", scale=None),
        )
        .properties(height=alt.Step(20))
    )


def _tick_values(start: int, n: int, max_ticks: int = 16) -> list[int]:
    """At most ``max_ticks`` evenly spaced unit labels, so long axes stay readable."""
    step = max(1, int(np.ceil(n / max_ticks)))
    if step > 1:
        step = int(2 ** np.ceil(np.log2(step)))  # 2, 4, 8, ... line up with 8-wide mosaic rows
    return list(range(start, start + n, step))


def _percent_ticks(low: float) -> list[float]:
    """About five round ticks from ``low`` up to exactly 1.0 (100%)."""
    span = 1.0 - low
    step = next((s for s in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2) if span / s <= 6), 0.25)
    return [round(1.0 - i * step, 6) for i in range(int(span / step + 1e-9), -1, -1)]
