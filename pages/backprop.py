"""Backprop: one digit through the current model, forward and backward, with the real numbers.

Pick a digit; see z and a layer by layer, the loss, each delta and the gradients; take SGD
steps on a copy of the model and watch the loss fall; check backprop against finite
differences. The maths is ``mnistcore.analysis.backprop``; this script only wires it to widgets.
Session state: ``backprop_lab`` (the ``StepLab`` on the page's copy, with what it was made
for) and ``backprop_digit`` (where the digit comes from).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.backprop import StepLab, digit_pass, qualified_name, shown_units, source_of, top_units
from mnistcore.analysis.formulas import (
    hidden_delta_formula,
    loss_formula,
    output_delta_formula,
    weight_gradient_formula,
)
from mnistcore.analysis.gradient_check import gradient_check
from mnistcore.analysis.images import digit_picture, symmetric_limit, weight_picture
from mnistcore.charts import backprop as charts
from mnistcore.charts.insight import probability_bars
from mnistcore.engine.losses import cross_entropy_delta, mse_delta
from mnistcore.engine.network import MLP, backprop
from mnistcore.engine.optimizers import SGD
from mnistcore.engine.trainer import train_step
from pages import common

LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
N_TEST = 10_000


def code_link(*functions) -> None:
    """From the page to the code: the engine functions behind a step, source included."""
    with st.expander("In the code: " + ", ".join(f"`{qualified_name(f)}`" for f in functions)):
        for function in functions:
            st.code(source_of(function), language="python")


def choose_test_digit(index: int) -> None:
    st.session_state["backprop_digit"] = ("test", index)
    st.session_state["backprop_index"] = index


def digit_from_link() -> None:
    """``?digit=N`` (a mistake opened from the Mistakes page, or a shared link) picks test digit N."""
    text = st.query_params.get("digit")
    if text is None or text == st.session_state.get("backprop_link"):
        return
    st.session_state["backprop_link"] = text
    if text.isdigit() and int(text) < N_TEST:
        choose_test_digit(int(text))
    else:
        st.warning("The link's digit is not a test-digit number from 0 to 9999; showing the last digit instead.")
        st.text(f"(it said: {text[:40]})")


def random_mistake() -> None:
    mistakes = common.evaluation(common.current_model()).mistakes(None, None, "index")
    if len(mistakes):
        choose_test_digit(int(np.random.default_rng().choice(mistakes)))


def pick_digit(data) -> tuple[np.ndarray, int, str]:
    """The digit's pixels (784,), its label and a caption, from the choice on the page."""
    st.session_state.setdefault("backprop_digit", ("test", 0))
    st.session_state.setdefault("backprop_index", st.session_state["backprop_digit"][1])
    drawn = st.session_state.get("drawn_digit")
    index_col, random_col, mistake_col, drawn_col = st.columns(4)
    index_col.number_input(
        "Test digit #",
        0,
        N_TEST - 1,
        step=1,
        key="backprop_index",
        on_change=lambda: choose_test_digit(int(st.session_state["backprop_index"])),
    )
    random_col.button(
        "A random digit",
        icon=":material/casino:",
        width="stretch",
        on_click=lambda: choose_test_digit(int(np.random.default_rng().integers(N_TEST))),
    )
    mistake_col.button("A random mistake", icon=":material/error:", width="stretch", on_click=random_mistake)
    drawn_col.button(
        "The digit I drew",
        icon=":material/draw:",
        width="stretch",
        disabled=drawn is None,
        on_click=lambda: st.session_state.update(backprop_digit=("drawing", 0)),
        help="Draw one on the Draw page first." if drawn is None else "The last digit you drew on the Draw page.",
    )
    source, index = st.session_state["backprop_digit"]
    if source == "drawing" and drawn is not None:
        label = st.selectbox("Its right label (you drew it)", range(10), index=int(drawn["predicted"]))
        return np.asarray(drawn["pixels"], np.float32).reshape(-1), int(label), "the digit you drew on the Draw page"
    st.query_params["digit"] = st.session_state["backprop_link"] = str(index)
    return data.test_x[index], int(data.test_y[index]), f"test digit #{index}"


def step_lab(model, x: np.ndarray, label: int) -> StepLab:
    """The page's copy of the model for this digit: a new one when the model or digit changes."""
    made_for = (id(model), x.tobytes(), label)
    kept = st.session_state.get("backprop_lab")
    if kept is None or kept[0] != made_for:
        kept = (made_for, StepLab(model.network, x, label))
        st.session_state["backprop_lab"] = kept
    return kept[1]


def forward_section(p, net: MLP) -> None:
    st.header("1. Forward pass")
    st.latex(r"z^{(l)} = a^{(l)} W^{(l)} + b^{(l)}, \qquad a^{(l+1)} = f\big(z^{(l)}\big), \qquad a^{(0)} = x")
    st.caption("In the code: `zs[l]` and `activations[l + 1]`; the first layer reads the 784 pixels of x.")
    for l in range(p.n_layers - 1):
        size = p.zs[l].size
        st.subheader(f"Hidden layer {l + 1}: {size} {net.activation.name} units")
        st.altair_chart(charts.unit_strip(p.zs[l], f"z^({l}): pre-activations", "z"), width="stretch")
        st.altair_chart(charts.unit_strip(p.activations[l + 1], f"a^({l + 1}) = f(z^({l}))", "a"), width="stretch")
        units = np.arange(size) if size <= 32 else top_units(p.activations[l + 1], 10)
        if size > 32:
            st.caption(f"The {len(units)} most active of {size} units (hover the strips for any other):")
        st.dataframe(
            {"unit": units, "z": p.zs[l][units], "a": p.activations[l + 1][units]}, hide_index=True, height="content"
        )
    st.subheader(f"Output layer: {p.output.size} {'softmax' if p.loss_name == 'cross-entropy' else 'sigmoid'} units")
    st.altair_chart(probability_bars(p.output, p.label), width="stretch")
    st.markdown("**The loss for this digit**, y being the one-hot target:")
    st.latex(loss_formula(p))
    code_link(MLP.forward_trace)


def backward_section(p, net: MLP) -> None:
    st.header("2. Backward pass")
    last = p.n_layers - 1
    st.markdown(f"**Output delta** δ = ∂L/∂z of the output layer (`deltas[{last}]`), for the true digit:")
    st.latex(output_delta_formula(p, p.label))
    if p.predicted != p.label:
        st.markdown("and for the digit the network picked:")
        st.latex(output_delta_formula(p, p.predicted))
    st.altair_chart(charts.value_bars(p.deltas[last], range(p.output.size), f"δ^({last}) per output"), width="stretch")
    for l in range(last - 1, -1, -1):
        unit = int(top_units(p.deltas[l], 1)[0])
        st.markdown(f"**Hidden layer {l + 1}'s delta** (`deltas[{l}]`), for its unit with the largest |δ|:")
        st.latex(hidden_delta_formula(p, net, l, unit))
        st.altair_chart(charts.unit_strip(p.deltas[l], f"δ^({l})", "delta"), width="stretch")
    code_link(backprop, cross_entropy_delta if p.loss_name == "cross-entropy" else mse_delta)
    gradients_section(p, net)


def gradients_section(p, net: MLP) -> None:
    st.subheader("Weight gradients")
    st.latex(
        r"\frac{\partial L}{\partial W^{(l)}} = a^{(l)\top} \delta^{(l)},"
        r"\qquad \frac{\partial L}{\partial b^{(l)}} = \delta^{(l)}"
    )
    first = top_units(p.deltas[0], 4)
    units = st.multiselect(
        "First-layer units to show", range(p.zs[0].size), default=[int(u) for u in first], max_selections=8
    )
    st.caption("Left: the unit's weights W[0][:, j]. Right: its gradient x·δ_j, the digit itself scaled by δ_j.")
    w_limit = symmetric_limit(net.weights[0])
    g_limit = symmetric_limit(p.grad_weights[0][:, units] if units else p.grad_weights[0], 100)
    for column, unit in zip(st.columns(max(1, len(units))), units):
        column.image(weight_picture(net.weights[0][:, unit], w_limit, scale=3), caption=f"W, unit {unit}")
        column.image(
            weight_picture(p.grad_weights[0][:, unit], g_limit, scale=3), caption=f"∂L/∂W, δ={p.deltas[0][unit]:.2g}"
        )
    if units:
        row = int(top_units(p.x, 1)[0])
        st.latex(weight_gradient_formula(p, 0, row, units[0]))
    for l in range(1, p.n_layers):
        rows = shown_units(np.abs(p.grad_weights[l]).sum(axis=1), limit=32)
        st.markdown(f"**∂L/∂W[{l}]** ({len(rows)} of {p.zs[l - 1].size} rows: those with the largest gradients)")
        st.altair_chart(charts.gradient_heatmap(p.grad_weights[l], rows, f"∂L/∂W[{l}]"), width="stretch")
    st.markdown("**Bias gradients** ∂L/∂b = δ: the deltas above, unit for unit.")


def take_step() -> None:
    """Button callback (runs before the page, so every number on it is after the step)."""
    try:
        st.session_state["backprop_lab"][1].step(st.session_state["backprop_lr"])
    except ValueError as exc:
        st.session_state["backprop_error"] = str(exc)


def step_section(lab: StepLab) -> None:
    st.header("3. Take one step")
    lr_col, step_col, reset_col = st.columns([2, 1, 1])
    lr_col.select_slider("Learning rate", LEARNING_RATES, value=0.01, key="backprop_lr")
    step_col.button("Take one SGD step", type="primary", icon=":material/south:", width="stretch", on_click=take_step)
    reset_col.button(
        "Reset", icon=":material/restart_alt:", width="stretch", disabled=lab.steps == 0, on_click=lab.reset
    )
    if st.session_state.get("backprop_error"):
        st.warning(st.session_state.pop("backprop_error"))
    change = lab.losses[-1] - lab.losses[-2] if lab.steps else None
    st.metric(
        "Loss on this digit",
        f"{lab.losses[-1]:.4g}",
        None if change is None else f"{change:+.3g}",
        delta_color="inverse",
    )
    st.caption(
        f"{lab.steps} step{'s' if lab.steps != 1 else ''} taken on a copy of the model: W ← W − lr·∂L/∂W for this one "
        "digit. The model on every other page is unchanged."
    )
    if lab.steps:
        before, after = st.columns(2)
        model_pass, copy_pass = digit_pass(lab.original, lab.x, lab.label), lab.current()
        before.altair_chart(probability_bars(model_pass.output, lab.label).properties(title="Before: the model"))
        after.altair_chart(
            probability_bars(copy_pass.output, lab.label).properties(title=f"After {lab.steps} step(s): the copy")
        )
        st.altair_chart(charts.loss_by_step(lab.losses), width="stretch")
        st.markdown("**What the steps changed in the first layer** (the copy's W[0] minus the model's), top 4 units:")
        change_w = lab.first_layer_change()
        units = top_units(np.abs(change_w).sum(axis=0), 4)
        limit = symmetric_limit(change_w[:, units], 100)
        for column, unit in zip(st.columns(len(units)), units):
            column.image(weight_picture(change_w[:, unit], limit, scale=3), caption=f"change in W, unit {unit}")
    code_link(train_step, SGD.step)


def check_section(net: MLP, x: np.ndarray, label: int) -> None:
    st.header("4. Gradient check")
    st.markdown("Backprop's gradient against central finite differences (L(θ+h) − L(θ−h)) / 2h, h = 1e-5, in float64:")
    rng = np.random.default_rng(st.session_state.setdefault("backprop_check_seed", 0))
    if st.button("Check other weights", icon=":material/shuffle:"):
        st.session_state["backprop_check_seed"] += 1
        rng = np.random.default_rng(st.session_state["backprop_check_seed"])
    checks = gradient_check(net, x, label, rng)
    rows = [
        {
            "parameter": c.name,
            "backprop": c.backprop,
            "finite difference": c.numeric,
            "relative error": c.relative_error,
        }
        for c in checks
    ]
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            "backprop": st.column_config.NumberColumn(format="%.10g"),
            "finite difference": st.column_config.NumberColumn(format="%.10g"),
            "relative error": st.column_config.NumberColumn(format="%.1e"),
        },
    )
    worst = max((c.relative_error for c in checks), default=0.0)
    verdict = "agree" if worst < 1e-6 else "disagree"
    st.markdown(f"Largest relative error **{worst:.1e}**: backprop and finite differences {verdict}.")
    code_link(gradient_check)


common.ensure_app_shell()
st.title("Backprop")
st.caption("One digit through the network, forward and backward, with the real numbers (computed in float64).")
data = common.require_dataset()
model = common.current_model()
shape = "-".join(map(str, model.network.layer_sizes))
st.markdown(f"Model: **{common.model_title(model)}** ({common.model_source(model)}), {shape}.")
digit_from_link()
x, label, what = pick_digit(data)
lab = step_lab(model, x, label)
p = digit_pass(lab.network, x, label)
picture, summary = st.columns([1, 3])
picture.image(digit_picture(x, scale=5), caption=f"{what}: a {label}")
summary.metric(
    "The network reads it as",
    str(p.predicted),
    f"{p.output[p.predicted]:.1%} · true label {label}",
    delta_color="off",
    delta_arrow="off",
)
if lab.steps:
    summary.info(f"The numbers below are the copy's after {lab.steps} SGD step(s) on this digit; Reset goes back.")
forward_section(p, lab.network)
backward_section(p, lab.network)
step_section(lab)
check_section(lab.network, x, label)
