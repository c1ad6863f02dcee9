"""Backprop: one digit through the current model, forward and backward, with the real numbers.

Pick a digit; see z and a layer by layer, the loss, each delta and the gradients; take SGD
steps on a copy of the model and watch the loss fall; check backprop against finite
differences. The maths is ``mnistcore.analysis.backprop``; this script only wires it to widgets.
The digit is chosen in ``ui.digit_picker``; sections 3 and 4, on the page's copy of the model,
are ``ui.backprop_sections``. Its session keys are ``ui.state``'s ``BACKPROP_*``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.backprop import digit_pass, shown_units, top_units
from mnistcore.analysis.describe import (
    matrix_summary,
    named_digit_alt,
    probability_summary,
    strip_summary,
    weight_tile_alt,
)
from mnistcore.analysis.formulas import (
    hidden_delta_formula,
    loss_formula,
    output_delta_formula,
    weight_gradient_formula,
)
from mnistcore.analysis.images import digit_picture, symmetric_limit, weight_picture
from mnistcore.charts import backprop as charts
from mnistcore.charts.insight import probability_bars
from mnistcore.engine.losses import cross_entropy_delta, mse_delta
from mnistcore.engine.network import MLP, backprop, shape_text
from pages.ui import state
from pages.ui.backprop_sections import check_section, code_link, step_lab, step_section
from pages.ui.digit_picker import digit_from_link, pick_digit
from pages.ui.pictures import picture
from pages.ui.resources import require_dataset
from pages.ui.shell import ensure_app_shell
from pages.ui.wording import a_label, class_names_of, label_text, model_source, model_title


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
    st.altair_chart(probability_bars(p.output, p.label, class_names=names), width="stretch")
    st.caption(probability_summary(p.output, p.label, names))
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
    outputs = [label_text(i, names) for i in range(p.output.size)]
    st.caption(strip_summary(p.deltas[last], f"δ^({last}) per output", labels=outputs))
    for l in range(last - 1, -1, -1):
        unit = int(top_units(p.deltas[l], 1)[0])
        st.markdown(f"**Hidden layer {l + 1}'s delta** (`deltas[{l}]`), for its unit with the largest |δ|:")
        st.latex(hidden_delta_formula(p, net, l, unit))
        st.altair_chart(charts.unit_strip(p.deltas[l], f"δ^({l})", "delta"), width="stretch")
        st.caption(strip_summary(p.deltas[l], f"δ^({l})"))
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
        with column:
            picture(weight_picture(net.weights[0][:, unit], w_limit, scale=3), weight_tile_alt(unit), f"W, unit {unit}")
            picture(
                weight_picture(p.grad_weights[0][:, unit], g_limit, scale=3),
                weight_tile_alt(unit, "gradient of the loss with respect to its weights"),
                f"∂L/∂W, δ={p.deltas[0][unit]:.2g}",
            )
    if units:
        row = int(top_units(p.x, 1)[0])
        st.latex(weight_gradient_formula(p, 0, row, units[0]))
    for l in range(1, p.n_layers):
        rows = shown_units(np.abs(p.grad_weights[l]).sum(axis=1), limit=32)
        st.markdown(f"**∂L/∂W[{l}]** ({len(rows)} of {p.zs[l - 1].size} rows: those with the largest gradients)")
        st.altair_chart(charts.gradient_heatmap(p.grad_weights[l], rows, f"∂L/∂W[{l}]"), width="stretch")
        to_labels = [label_text(i, names) for i in range(p.output.size)] if l == p.n_layers - 1 else None
        st.caption(matrix_summary(p.grad_weights[l], f"∂L/∂W[{l}], all rows", to_labels=to_labels))
    st.markdown("**Bias gradients** ∂L/∂b = δ: the deltas above, unit for unit.")


ensure_app_shell()
st.title("Backprop")
st.caption("One digit through the network, forward and backward, with the real numbers (computed in float64).")
model = state.current_model()
data = require_dataset(name=model.config.dataset)  # the model's own dataset, never the other one
names = class_names_of(data)
shape = shape_text(model.network.layer_sizes)
st.markdown(f"Model: **{model_title(model)}** ({model_source(model)}), {shape}.")
digit_from_link()
x, label, what = pick_digit(data)
lab = step_lab(model, x, label)
p = digit_pass(lab.network, x, label)
picture_col, summary = st.columns([1, 3])
with picture_col:
    picture(
        digit_picture(x, scale=5),
        named_digit_alt(what, label, p.predicted, float(p.output[p.predicted]), names),
        f"{what}: {a_label(label, names)}",
    )
summary.metric(
    "The network reads it as",
    label_text(p.predicted, names),
    f"{p.output[p.predicted]:.1%} · true label {label_text(label, names)}",
    delta_color="off",
    delta_arrow="off",
)
if lab.steps:
    summary.info(f"The numbers below are the copy's after {lab.steps} SGD step(s) on this digit; Reset goes back.")
forward_section(p, lab.network)
backward_section(p, lab.network)
step_section(lab, names)
check_section(lab.network, x, label)
