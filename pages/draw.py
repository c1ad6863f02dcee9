"""Draw page: draw a digit, see the 28x28 image the network gets, its prediction,
and what the first hidden layer did with it.

The page only wires widgets to ``mnistcore.analysis.predict`` (preprocessing + forward pass)
and ``mnistcore.charts.draw`` (Altair charts). Session keys it owns (non-widget,
so they survive page switches): ``draw_canvas_version`` (bumped to clear the
canvas: a new key remounts it empty), ``draw_stroke_width``, ``draw_unit``
(the hidden unit whose weights are shown; None follows the top contributor).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnistcore.analysis import images as insight
from mnistcore.analysis.drawing import DrawingError
from mnistcore.analysis.predict import NOT_SURE_THRESHOLD, Prediction, predict_drawing
from mnistcore.charts import draw as draw_charts
from mnistcore.engine.model import TrainedModel
from pages.common import current_model, ensure_app_shell, model_source, model_title

CANVAS_SIDE = 280  # fits a phone; a digit drawn ~200 px tall shrinks 10x into MNIST's 20 px box
DEFAULT_STROKE = 18  # px at 280 px: ~2 px after scaling, like MNIST's pen
PROBABILITY_CHART_HEIGHT = 240  # px, axes and title included
VIEW_SCALE = 5  # the 28x28 input shown at 140 px, crisp
EMPTY_PROMPT = "✏️ Draw a digit (0–9) in the black box: the prediction appears when you lift the pen."
# streamlit-drawable-canvas 0.13 parks its toolbar, transparent but live, over the canvas's
# top-right corner, and slides it up only once the pointer hovers the canvas. A finger has no
# hover, so on a phone a stroke started there presses an invisible button (even "Reset")
# instead of drawing; a quick mouse press there does the same. This stylesheet, put into the
# component's shadow root, keeps the toolbar above the canvas, lets pointers through it while
# it is hidden, and shows it for good on touch screens. Remove it once fixed upstream.
CANVAS_TOOLBAR_FIX = """<script>
(() => {
  if (window.canvasToolbarFix) return;
  window.canvasToolbarFix = true;
  const css = `
    .dc-toolbar, .dc-toolbar:hover, .dc-toolbar:focus-within, .dc-root:hover > .dc-toolbar,
    .dc-toolbar[data-pinned="true"] { top: -3rem; }
    .dc-toolbar[data-pinned="false"] { pointer-events: none; }
    .dc-root:hover > .dc-toolbar, .dc-toolbar:focus-within { pointer-events: auto; }
    @media (hover: none) { .dc-toolbar { opacity: 1; pointer-events: auto; } }`;
  const patch = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (root && !root.querySelector("style[data-toolbar-fix]")) {
        const style = document.createElement("style");
        style.dataset.toolbarFix = "";
        style.textContent = css;
        root.appendChild(style);
      }
    }
  };
  setInterval(patch, 250);  // the canvas remounts (Clear), and its shadow root may come late
})();
</script>"""


def init_state() -> None:
    for key, value in {"draw_canvas_version": 0, "draw_stroke_width": DEFAULT_STROKE, "draw_unit": None}.items():
        if key not in st.session_state:
            st.session_state[key] = value


def clear_canvas() -> None:
    st.session_state["draw_canvas_version"] += 1
    st.session_state["draw_unit"] = None


def keep_stroke_width() -> None:
    st.session_state["draw_stroke_width"] = st.session_state["_draw_stroke_slider"]


def model_caption(model: TrainedModel) -> str:
    """One line naming the model the page uses, where it came from, and how good it is."""
    sizes = "-".join(str(n) for n in model.network.layer_sizes)
    accuracy = f", {model.test_accuracy:.1%} on the test set" if model.test_accuracy is not None else ""
    return (
        f"Predicting with **{model_title(model)}**, {model_source(model)} "
        f"({sizes}, {model.network.activation.name}{accuracy})."
    )


def canvas_ui() -> np.ndarray | None:
    """The drawing canvas and its controls; returns the (280, 280, 4) uint8 image or None."""
    result = st_canvas(
        stroke_width=st.session_state["draw_stroke_width"],
        stroke_color="#FFFFFF",
        background_color="#000000",
        update_streamlit=True,  # send the drawing (and rerun) each time a stroke ends
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"draw_canvas_{st.session_state['draw_canvas_version']}",
    )
    clear, pen = st.columns(2)
    clear.button("Clear", icon=":material/delete:", on_click=clear_canvas, help="Start again with an empty canvas")
    with pen.popover("Pen width", icon=":material/edit:"):
        st.slider(
            "Stroke width (px)",
            min_value=6,
            max_value=40,
            value=st.session_state["draw_stroke_width"],
            key="_draw_stroke_slider",
            on_change=keep_stroke_width,
            help=f"{DEFAULT_STROKE} px on this {CANVAS_SIDE} px canvas matches MNIST's pen after scaling.",
        )
    st.caption("Undo and redo are in the toolbar above the canvas: it shows when you point at it, always on a phone.")
    st.html(CANVAS_TOOLBAR_FIX, unsafe_allow_javascript=True)  # our own constant, never user input
    return result.image_data


def network_view_ui(prediction: Prediction) -> None:
    """The 28x28 image the network actually sees, enlarged with crisp pixels."""
    pixels = np.rint(insight.upscale(prediction.image, VIEW_SCALE) * 255).astype(np.uint8)
    st.image(pixels, width=VIEW_SCALE * 28, caption="What the network sees (28×28)")


def prediction_ui(prediction: Prediction | None) -> None:
    """The "Prediction" metric, confidence, the network's view and the ten probabilities; a prompt when empty."""
    if prediction is None:
        st.info(EMPTY_PROMPT)
        return
    metric, view = st.columns([1, 1])
    metric.metric(
        "Prediction",
        str(prediction.digit),
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
            f"It might be a {prediction.digit} or a {runner_up}; try a clearer, larger digit.",
            icon=":material/help:",
        )
    chart = draw_charts.probability_bars(prediction.probabilities, prediction.digit)
    st.altair_chart(chart, width="stretch", height=PROBABILITY_CHART_HEIGHT)


def pick_unit_from_grid() -> None:
    """Chart click callback: show the clicked unit's weights."""
    unit = draw_charts.unit_from_selection(st.session_state.get("_draw_grid"))
    if unit is not None:
        st.session_state["draw_unit"] = unit


def pick_unit_from_box() -> None:
    st.session_state["draw_unit"] = st.session_state["_draw_unit_box"]


def chosen_unit(prediction: Prediction, n_units: int) -> int:
    """The unit to explain: the user's pick if valid, else the top contributor, else the most active."""
    unit = st.session_state.get("draw_unit")
    if isinstance(unit, int) and 0 <= unit < n_units:
        return unit
    if prediction.contributors:
        return prediction.contributors[0][0]
    return int(np.argmax(prediction.hidden))


def unit_weights_ui(model: TrainedModel, prediction: Prediction, unit: int) -> None:
    """The chosen unit's weight image, and the same weights multiplied by the drawing."""
    network = model.network
    st.session_state["_draw_unit_box"] = unit
    st.selectbox(
        "Hidden unit",
        range(network.weights[0].shape[1]),
        key="_draw_unit_box",
        on_change=pick_unit_from_box,
        format_func=lambda j: f"unit {j} (activation {prediction.hidden[j]:.2f})",
    )
    weights = insight.weight_images(network.weights[0])[unit]
    limit = insight.symmetric_limit(weights)
    as_seen = weights * prediction.image  # what this drawing feeds into the unit, pixel by pixel
    left, right = st.columns(2)
    left.image(insight.upscale(insight.to_diverging_rgb(weights, limit), 5), caption="its weights (red +, blue −)")
    right.image(insight.upscale(insight.to_diverging_rgb(as_seen, limit), 5), caption="weights × your drawing")
    bias = float(network.biases[0][unit])
    st.caption(
        f"Sum of weights × drawing {as_seen.sum():+.2f}, plus bias {bias:+.2f}, through "
        f"{network.activation.name} gives activation {prediction.hidden[unit]:.2f}."
    )


def push_explanation(n_hidden_layers: int) -> str:
    """How a unit's push towards the digit is measured, in words."""
    if n_hidden_layers == 1:
        return "A unit's push is its activation times its weight to the digit's output score (before softmax)."
    return (
        "A unit's push is its activation times how much the digit's output score (before softmax) "
        "moves per unit of that activation, through the later layers."
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
            key="_draw_grid",
            on_select=pick_unit_from_grid,
            selection_mode=draw_charts.UNIT_SELECTION,
        )
    with detail:
        unit_weights_ui(model, prediction, unit)
    st.markdown(f"**Units that pushed {prediction.digit} up most**")
    if prediction.contributors:
        chart = draw_charts.contribution_bars(prediction.contributors, prediction.digit)
        st.altair_chart(chart, width="stretch", height=70 + 24 * len(prediction.contributors))
        st.caption(push_explanation(len(model.network.weights) - 1))
    else:
        st.caption("No unit raised this digit's score: it won because the others were pushed down more.")


def main() -> None:
    ensure_app_shell()
    init_state()
    model = current_model()
    st.title("Draw")
    st.caption(model_caption(model))
    st.space("small")  # room for the canvas toolbar, which floats above the canvas on hover
    canvas_column, result_column = st.columns([1, 1], gap="medium")
    with canvas_column:
        image = canvas_ui()
    try:
        prediction = predict_drawing(model.network, image)
    except (DrawingError, ValueError) as exc:
        st.error(f"Could not read this drawing: {exc}")
        return
    with result_column:
        prediction_ui(prediction)
    if prediction is not None:
        # The Backprop page can follow this drawing through the network ("the digit I drew").
        st.session_state["drawn_digit"] = {"pixels": prediction.image.copy(), "predicted": prediction.digit}
        st.page_link("pages/backprop.py", label="Follow this digit through backprop", icon=":material/account_tree:")
        st.subheader("Inside the network")
        inside_network_ui(model, prediction)


main()
