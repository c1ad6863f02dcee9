"""Altair charts for the Draw page: pure builders, data in, ``alt.Chart`` out.

* ``probability_bars``: the network's probability for each of the ten digits.
* ``activation_grid``: one cell per first-hidden-layer unit, coloured by how
  active it is for the current drawing, clickable (a point selection named
  ``UNIT_SELECTION`` on the ``unit`` field).
* ``contribution_bars``: the units that pushed the winning digit up most.

Deliberate limits: no Streamlit here (``st.altair_chart`` shows the charts and
reads the selection), and no styling beyond what makes the charts readable on
a light or dark theme; the data are small (at most a few thousand cells), so
they are inlined into the chart spec.  Lives in ``mnistcore.charts``, with the
other pages' chart builders (the only modules that import altair), so it can be
tested without a UI.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from mnistcore.analysis.images import grid_shape
from mnistcore.charts._common import class_axis

__all__ = ["UNIT_SELECTION", "activation_grid", "contribution_bars", "probability_bars", "unit_from_selection"]

UNIT_SELECTION = "unit_pick"
"""Name of the point selection in ``activation_grid``; Streamlit reports clicks under it."""

_HIGHLIGHT = "#e4572e"  # the predicted digit / the chosen unit
_MUTED = "#8d99ae"
_GRID_WIDTH = 300  # pixels available for the activation grid


def probability_bars(
    probabilities: np.ndarray,
    predicted: int | None = None,
    height: int = 180,
    class_names: Sequence[str] | None = None,
) -> alt.Chart:
    """Bar chart of the probability of each class.

    Parameters
    ----------
    probabilities : (n_classes,) values in [0, 1].
    predicted : class to highlight (usually the argmax); None highlights nothing.
    height : chart height in pixels.
    class_names : what the classes are called (Fashion-MNIST's), shown on the axis; None: digits.

    Returns
    -------
    alt.Chart with one bar per digit, x = digit, y = probability (0..1, as %).
    """
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim != 1 or probs.size == 0:
        raise ValueError(f"probabilities must be a non-empty 1-D array (n_classes,), got shape {probs.shape}")
    table = pd.DataFrame(
        {
            "digit": np.arange(probs.size),
            "probability": probs,
            "predicted": np.arange(probs.size) == predicted,
        }
    )
    base = alt.Chart(table).encode(
        x=alt.X(
            "digit:O",
            title="digit" if class_names is None else "class",
            axis=class_axis(class_names),
        ),
        y=alt.Y("probability:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("digit:O"), alt.Tooltip("probability:Q", format=".1%")],
    )
    bars = base.mark_bar().encode(
        color=alt.condition(alt.datum.predicted, alt.value(_HIGHLIGHT), alt.value(_MUTED)),
    )
    labels = base.mark_text(dy=-6, fontSize=11).encode(
        text=alt.Text("probability:Q", format=".0%"),
        opacity=alt.condition(alt.datum.probability >= 0.01, alt.value(1.0), alt.value(0.0)),
    )
    title = "Probability of each digit" if class_names is None else "Probability of each class"
    return (bars + labels).properties(height=height, title=title)


def activation_grid(hidden: np.ndarray, chosen: int | None = None, max_columns: int = 32) -> alt.Chart:
    """Heat-map grid with one cell per hidden unit, clickable.

    Parameters
    ----------
    hidden : (H,) activations of one hidden layer for one input.
    chosen : unit to outline (the one whose weights are shown); None outlines none.
    max_columns : cap on cells per row (the grid is near-square below it).

    Returns
    -------
    alt.Chart; cells are laid out row by row (unit ``j`` at row ``j // columns``,
    column ``j % columns``), coloured by activation on a scale that starts at
    zero (diverging around zero if any activation is negative, e.g. tanh).
    Clicking a cell fills the point selection ``UNIT_SELECTION`` with its unit.
    """
    acts = np.asarray(hidden, dtype=np.float64)
    if acts.ndim != 1 or acts.size == 0:
        raise ValueError(f"hidden must be a non-empty 1-D array (H,), got shape {acts.shape}")
    acts = np.nan_to_num(acts, nan=0.0, posinf=0.0, neginf=0.0)  # a diverged model must still draw
    _, columns = grid_shape(acts.size, max_columns=max_columns)
    units = np.arange(acts.size)
    table = pd.DataFrame(
        {"unit": units, "row": units // columns, "col": units % columns, "activation": acts, "chosen": units == chosen}
    )
    cell = max(8, min(24, _GRID_WIDTH // columns))
    pick = alt.selection_point(name=UNIT_SELECTION, fields=["unit"], on="click", clear=False)
    return (
        alt.Chart(table)
        .mark_rect(cornerRadius=2)
        .encode(
            x=alt.X("col:O", axis=None),
            y=alt.Y("row:O", axis=None),
            color=alt.Color("activation:Q", scale=_activation_scale(acts), legend=alt.Legend(title="activation")),
            stroke=alt.condition(alt.datum.chosen, alt.value(_HIGHLIGHT), alt.value(None)),
            strokeWidth=alt.condition(alt.datum.chosen, alt.value(3), alt.value(0)),
            tooltip=[alt.Tooltip("unit:Q"), alt.Tooltip("activation:Q", format=".3f")],
        )
        .add_params(pick)
        # Sized by step (pixels per cell), so a front end that fits charts to a width cannot squash the cells.
        .properties(width=alt.Step(cell), height=alt.Step(cell))
    )


def _activation_scale(acts: np.ndarray) -> alt.Scale:
    """Colour scale for activations: sequential from 0, or diverging around 0 if any are negative."""
    if acts.min() < 0:
        limit = float(np.abs(acts).max()) or 1.0
        return alt.Scale(scheme="redblue", domain=[-limit, limit], reverse=True)
    return alt.Scale(scheme="viridis", domain=[0.0, float(acts.max()) or 1.0])


def contribution_bars(contributors: list[tuple[int, float]], digit: int | str, height_per_bar: int = 22) -> alt.Chart:
    """Horizontal bars: how much each of the top units raised the digit's score (its logit).

    Parameters
    ----------
    contributors : ``(unit, contribution)`` pairs, largest first (as from
        ``units.top_contributors`` / ``Prediction.contributors``); may be empty.
    digit : the digit (or class name, 'Sneaker') the contributions are towards (for the title).
    height_per_bar : pixels per bar.

    Returns
    -------
    alt.Chart with one bar per unit, largest on top.
    """
    table = pd.DataFrame(
        {
            "unit": [f"unit {unit}" for unit, _ in contributors],
            "contribution": [float(value) for _, value in contributors],
        }
    )
    order = list(table["unit"])
    return (
        alt.Chart(table)
        .mark_bar(color=_HIGHLIGHT)
        .encode(
            y=alt.Y("unit:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False)),
            x=alt.X("contribution:Q", title=f"push towards {digit}"),
            tooltip=[alt.Tooltip("unit:N"), alt.Tooltip("contribution:Q", format=".3f")],
        )
        .properties(height=max(1, len(order)) * height_per_bar)
    )


def unit_from_selection(selection_state: object) -> int | None:
    """The unit clicked in ``activation_grid``, from the state Streamlit returns.

    Parameters
    ----------
    selection_state : ``st.altair_chart(..., on_select=...)`` state, i.e. a
        mapping with ``"selection" -> {UNIT_SELECTION: [{"unit": j}, ...]}``.

    Returns
    -------
    The last clicked unit, or None when nothing (valid) is selected.
    """
    try:
        points = selection_state["selection"][UNIT_SELECTION]  # type: ignore[index]
        unit = points[-1]["unit"]
    except (KeyError, IndexError, TypeError):
        return None
    return int(unit) if isinstance(unit, (int, float)) and not isinstance(unit, bool) and unit >= 0 else None
