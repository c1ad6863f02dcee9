"""Draw page: draw a digit, see the 28x28 image the network gets, its prediction,
and what the first hidden layer did with it.

The page only wires widgets to ``mnistcore.analysis.predict`` (preprocessing + forward pass)
and ``mnistcore.charts.draw`` (Altair charts); the canvas is ``ui.canvas``. Its state
(``ui.state``): ``DRAW_UNIT``, the hidden unit whose weights are shown (None follows the top
contributor), which the unit grid and box show and set; and ``DRAWN_DIGIT``, the last digit
read, which the Backprop page can follow through the network. Under the prediction, "Teach it"
and, at the bottom, "My digits" are ``ui.teach``'s.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis import images as insight
from mnistcore.analysis.describe import (
    activation_grid_summary,
    contribution_summary,
    network_view_alt,
    probability_summary,
    weight_tile_alt,
)
from mnistcore.analysis.drawing import DrawingError
from mnistcore.analysis.predict import NOT_SURE_THRESHOLD, Prediction, predict_drawing
from mnistcore.charts import draw as draw_charts
from mnistcore.engine.model import TrainedModel
from pages.ui import navigation, state, teach
from pages.ui.draw_input import digit_input_ui
from pages.ui.pictures import picture
from pages.ui.shell import ensure_app_shell
from pages.ui.wording import a_label, class_names_for, label_text, predicting_with, push_explanation

PROBABILITY_CHART_HEIGHT = 240  # px, axes and title included
VIEW_SCALE = 5  # the 28x28 input shown at 140 px, crisp
EMPTY_PROMPT = (
    "✏️ Draw a digit (0–9) in the black box: the prediction appears when you lift the pen. "
    "No mouse or finger? Choose a test digit or upload a PNG under **Your digit**."
)


def network_view_ui(prediction: Prediction) -> None:
    """The 28x28 image the network actually sees, enlarged with crisp pixels."""
    pixels = np.rint(insight.upscale(prediction.image, VIEW_SCALE) * 255).astype(np.uint8)
    picture(
        pixels,
        network_view_alt(prediction.digit, prediction.confidence, class_names_for(state.current_model())),
        "What the network sees (28×28)",
        width=VIEW_SCALE * 28,
    )


def prediction_ui(prediction: Prediction | None) -> None:
    """The "Prediction" metric, confidence, the network's view and the ten probabilities; a prompt when empty."""
    if prediction is None:
        st.info(EMPTY_PROMPT)
        return
    metric, view = st.columns([1, 1])
    names = class_names_for(state.current_model())
    metric.metric(
        "Prediction",
        label_text(prediction.digit, names),
        delta=f"{prediction.confidence:.0%} confident",
        delta_color="off",
        delta_arrow="off",
        help="The digit with the highest output probability.",
    )
    with view:
        network_view_ui(prediction)
    if prediction.not_sure:
        runner_up = int(np.argsort(prediction.probabilities)[-2])
        st.warning(
            f"Not sure: the best guess has under {NOT_SURE_THRESHOLD:.0%}. "
            f"It might be {a_label(prediction.digit, names)} or {a_label(runner_up, names)}; "
            f"try a clearer, larger {'digit' if names is None else 'drawing'}.",
            icon=":material/help:",
        )
    chart = draw_charts.probability_bars(prediction.probabilities, prediction.digit, class_names=names)
    st.altair_chart(chart, width="stretch", height=PROBABILITY_CHART_HEIGHT)
    st.caption(probability_summary(prediction.probabilities, names=names))


def pick_unit_from_grid() -> None:
    """Chart click callback: show the clicked unit's weights."""
    unit = draw_charts.unit_from_selection(st.session_state.get(state.DRAW_GRID))
    if unit is not None:
        st.session_state[state.DRAW_UNIT] = unit


def pick_unit_from_box() -> None:
    st.session_state[state.DRAW_UNIT] = st.session_state[state.DRAW_UNIT_BOX]


def chosen_unit(prediction: Prediction, n_units: int) -> int:
    """The unit to explain: the user's pick if valid, else the top contributor, else the most active."""
    unit = st.session_state.get(state.DRAW_UNIT)
    if isinstance(unit, int) and 0 <= unit < n_units:
        return unit
    if prediction.contributors:
        return prediction.contributors[0][0]
    return int(np.argmax(prediction.hidden))


def unit_weights_ui(model: TrainedModel, prediction: Prediction, unit: int) -> None:
    """The chosen unit's weight image, and the same weights multiplied by the drawing."""
    network = model.network
    st.session_state[state.DRAW_UNIT_BOX] = unit  # the box shows DRAW_UNIT, or the unit followed
    st.selectbox(
        "Hidden unit",
        range(network.weights[0].shape[1]),
        key=state.DRAW_UNIT_BOX,
        on_change=pick_unit_from_box,
        format_func=lambda j: f"unit {j} (activation {prediction.hidden[j]:.2f})",
    )
    weights = insight.weight_images(network.weights[0])[unit]
    limit = insight.symmetric_limit(weights)
    as_seen = weights * prediction.image  # what this drawing feeds into the unit, pixel by pixel
    left, right = st.columns(2)
    with left:
        picture(
            insight.upscale(insight.to_diverging_rgb(weights, limit), 5),
            weight_tile_alt(unit),
            "its weights (red +, blue −)",
        )
    with right:
        picture(
            insight.upscale(insight.to_diverging_rgb(as_seen, limit), 5),
            weight_tile_alt(unit, "weights × your drawing"),
            "weights × your drawing",
        )
    bias = float(network.biases[0][unit])
    st.caption(
        f"Sum of weights × drawing {as_seen.sum():+.2f}, plus bias {bias:+.2f}, through "
        f"{network.activation.name} gives activation {prediction.hidden[unit]:.2f}."
    )


def inside_network_ui(model: TrainedModel, prediction: Prediction) -> None:
    """First-hidden-layer activations (clickable), the chosen unit's weights, the top contributors."""
    if len(model.network.weights) < 2:
        st.caption("This model has no hidden layer: the pixels feed the ten outputs directly.")
        return
    n_units = model.network.weights[0].shape[1]
    unit = chosen_unit(prediction, n_units)
    st.caption(
        f"Each square is one of the {n_units} units of the first hidden layer, coloured by how strongly "
        "your drawing activates it. Click a square (or pick a unit) to see which pixels it looks for."
    )
    grid, detail = st.columns([1, 1])
    with grid:
        st.altair_chart(
            draw_charts.activation_grid(prediction.hidden, chosen=unit),
            width="content",
            key=state.DRAW_GRID,
            on_select=pick_unit_from_grid,
            selection_mode=draw_charts.UNIT_SELECTION,
        )
        st.caption(activation_grid_summary(prediction.hidden, chosen=unit))
    with detail:
        unit_weights_ui(model, prediction, unit)
    names = class_names_for(model)
    st.markdown(f"**Units that pushed {label_text(prediction.digit, names)} up most**")
    if prediction.contributors:
        chart = draw_charts.contribution_bars(prediction.contributors, label_text(prediction.digit, names))
        st.altair_chart(chart, width="stretch", height=70 + 24 * len(prediction.contributors))
        st.caption(contribution_summary(prediction.contributors, prediction.digit, names))
        st.caption(push_explanation(len(model.network.weights) - 1))
    else:
        st.caption("No unit raised this digit's score: it won because the others were pushed down more.")


def main() -> None:
    ensure_app_shell()
    model = state.current_model()
    st.title("Draw")
    st.caption(predicting_with(model))
    canvas_column, result_column = st.columns([1, 1], gap="medium")
    with canvas_column:
        image = digit_input_ui()  # the canvas, or without a pointer a test digit or a PNG
    try:
        prediction = predict_drawing(model.network, image)
    except (DrawingError, ValueError) as exc:
        st.error(f"Could not read this drawing: {exc}")
        return
    with result_column:
        prediction_ui(prediction)
    if prediction is not None:
        # The Backprop page can follow this drawing through the network ("the digit I drew").
        state.set_drawn_digit(prediction.image, prediction.digit)
        st.page_link(
            navigation.BACKPROP.path, label="Follow this digit through backprop", icon=":material/account_tree:"
        )
        teach.teach_section(prediction)
        st.header("Inside the network")
        inside_network_ui(model, prediction)
    teach.my_digits_section()


main()
