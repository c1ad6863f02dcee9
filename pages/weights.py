"""Weights: what the current model's hidden units have learned to look for.

The first hidden layer's incoming weights as 28x28 images, one hidden unit in detail
(bias, outgoing weights, the test digits that excite it most), the later layers'
weights as heatmaps, how the first layer changed during training, and the training's
health per layer (gradients, step sizes, dead or saturated units) from the model's history.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.describe import digit_alt, outgoing_summary, weight_tile_alt
from mnistcore.analysis.evaluation import unit_pages, unit_range_label
from mnistcore.analysis.images import digit_picture, symmetric_limit, weight_picture
from mnistcore.charts import insight as charts
from pages.ui import state
from pages.ui.hidden_space_view import hidden_space_section
from pages.ui.insight_header import evaluated_model_header
from pages.ui.pictures import picture, picture_row
from pages.ui.resources import snapshot_limit
from pages.ui.state import WEIGHTS_SNAPSHOT, WEIGHTS_UNIT, WEIGHTS_UNITS_PAGE, WEIGHTS_VIEW
from pages.ui.weight_views import health_section, later_layers, mosaic_section
from pages.ui.wording import class_names_of, label_text

DIGITS_PER_ROW = 8  # of the digits that excite a unit most
STILL_RANDOM = 0.5  # a change since the random start under half the start's size: the tiles look like noise


def choose_units(n_units: int) -> range:
    """The page of first-layer units shown (all of them when there are at most 64)."""
    pages = unit_pages(n_units)
    if len(pages) == 1:
        return pages[0]
    state.persist(WEIGHTS_UNITS_PAGE, 0, fix=state.clamp(0, len(pages) - 1))
    chosen = st.selectbox(
        f"Which units ({n_units} in this layer, {len(pages[0])} at a time)",
        range(len(pages)),
        format_func=lambda i: unit_range_label(pages[i]),
        key=WEIGHTS_UNITS_PAGE,
    )
    return pages[chosen]


def first_layer_view(model, ev) -> tuple[np.ndarray, float, str]:
    """The first layer's weights, or their change since the random start, as the user chose.

    Returns (784, H) values to draw, their colour limit and a title for captions."""
    weights = model.network.weights[0]
    snapshots = model.snapshot_weights
    if snapshots is None or len(model.snapshot_steps) == 0:
        return weights, ev.layer_limits[0], "Hidden layer 1"
    state.persist(WEIGHTS_VIEW, "Weights")
    choice = st.radio(
        "Show",
        ["Weights", "Change since the start of training"],
        horizontal=True,
        key=WEIGHTS_VIEW,
        help="Wide layers move little from their random start; the change shows what training added.",
    )
    if choice == "Weights":
        moved = change_share(weights, snapshots[0])
        if moved < STILL_RANDOM:
            st.info(
                f"**These tiles still look like noise:** training changed this layer's weights by only "
                f"{moved:.0%} of their random starting size, so the start is most of what you see. "
                "Choose **Change since the start of training** above to see what training added.",
                icon=":material/lightbulb:",
            )
        return weights, ev.layer_limits[0], "Hidden layer 1"
    change = weights - snapshots[0]
    return change, symmetric_limit(change), f"Change since step {int(model.snapshot_steps[0]):,}"


def change_share(weights: np.ndarray, start: np.ndarray) -> float:
    """The size of the change since ``start`` relative to ``start`` (Frobenius norms): about
    0.2 for the seed's 784-16-10 after its 20,000 steps, about 1 for ``fast``."""
    size = float(np.linalg.norm(start))
    return float(np.linalg.norm(weights - start)) / size if size > 0 else float("inf")


def unit_detail(model, ev, data, first_weights: np.ndarray, first_limit: float) -> None:
    """Everything about one first-layer unit (its picture drawn like the mosaic above)."""
    network = model.network
    n_units = network.layer_sizes[1]
    state.persist(WEIGHTS_UNIT, 0, fix=state.clamp(0, n_units - 1))
    chooser, _ = st.columns([1, 3])
    unit = int(
        chooser.number_input(
            f"Hidden unit (0–{n_units - 1})",
            min_value=0,
            max_value=n_units - 1,
            key=WEIGHTS_UNIT,
            help="Units are numbered row by row in the mosaic above.",
        )
    )
    picture_col, numbers, outgoing = st.columns([2, 1, 3])
    with picture_col:
        picture(weight_picture(first_weights[:, unit], first_limit, scale=7), weight_tile_alt(unit), f"Unit {unit}")
    numbers.metric("Bias", f"{network.biases[0][unit]:+.3f}")
    numbers.metric("Mean activation", f"{ev.unit_mean[unit]:.3f}", help="Over the 10,000 test digits.")
    if model.config.activation == "relu":
        numbers.metric("Active on", f"{ev.unit_active[unit]:.0%}", help="Share of test digits it fires on.")
    with outgoing:
        st.altair_chart(charts.outgoing_weight_bars(network.weights[1][unit], ev.layer_limits[1]))
        if len(network.weights) == 2:  # its weights go to the ten digits
            st.caption(outgoing_summary(unit, network.weights[1][unit]))
    top, values = ev.unit_top[unit], ev.unit_top_values[unit]
    st.markdown(f"**The {len(top)} test digits that excite unit {unit} most** (caption: true digit · activation)")
    for start in range(0, len(top), DIGITS_PER_ROW):  # even rows: a lone digit wrapped onto its own line looks lost
        row = slice(start, start + DIGITS_PER_ROW)
        picture_row(
            [digit_picture(data.test_x[i], scale=2) for i in top[row]],
            [
                f"{digit_alt(int(i), int(ev.labels[i]), names=class_names_of(data))}, activation {v:.2f}"
                for i, v in zip(top[row], values[row])
            ],
            [
                f"{label_text(ev.labels[i], class_names_of(data))} · {value:.2f}"
                for i, value in zip(top[row], values[row])
            ],
        )


def evolution(model, units: range) -> None:
    st.header("How the first layer changed during training")
    steps, snapshots = model.snapshot_steps, model.snapshot_weights
    if snapshots is None or len(steps) == 0:
        st.info("This model carries no weight snapshots, so there is no training history to replay.")
        return
    limit = snapshot_limit(model)
    labels = {i: f"step {int(s):,}" for i, s in enumerate(steps)}
    state.persist(WEIGHTS_SNAPSHOT, 0, fix=state.clamp(0, len(steps) - 1))
    chosen = st.select_slider("Training step", options=list(labels), format_func=labels.get, key=WEIGHTS_SNAPSHOT)
    st.caption(
        f"{len(steps)} snapshots, from the random start (step {int(steps[0]):,}) to step {int(steps[-1]):,}: "
        f"drag the slider to replay training. One colour scale for all of them (±{limit:.2f}), "
        "so you see the weights grow."
    )
    mosaic_section(snapshots[chosen], units, limit, f"First layer at {labels[chosen]}")


def main() -> None:
    data, model, ev = evaluated_model_header("Weights")

    st.header("What each first-layer unit looks for")
    st.caption(
        "Each tile is one hidden unit's 784 incoming weights, laid out like the 28×28 digit: red pixels "
        "push the unit on where there is ink, blue pixels hold it back, white ones do not matter."
    )
    units = choose_units(model.network.layer_sizes[1])
    first_weights, first_limit, title = first_layer_view(model, ev)
    mosaic_section(first_weights, units, first_limit, title)

    st.header("One hidden unit")
    unit_detail(model, ev, data, first_weights, first_limit)
    later_layers(model, ev, units)
    evolution(model, units)
    health_section(model)
    hidden_space_section(model, data)


main()
