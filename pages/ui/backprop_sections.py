"""The Backprop page's last two sections and what they share with the others: "Take one
step" (plain SGD on this digit, on the page's float64 copy of the model, a ``StepLab``),
"Gradient check" (backprop against finite differences), and ``code_link``, which opens the
engine functions behind a section, source included."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.backprop import StepLab, digit_pass, qualified_name, source_of, top_units
from mnistcore.analysis.describe import loss_steps_summary, probability_summary, weight_tile_alt
from mnistcore.analysis.gradient_check import gradient_check
from mnistcore.analysis.images import symmetric_limit, weight_picture
from mnistcore.charts import backprop as charts
from mnistcore.charts.insight import probability_bars
from mnistcore.engine.network import MLP
from mnistcore.engine.optimizers import SGD
from mnistcore.engine.trainer import train_step
from pages.ui import state
from pages.ui.pictures import picture

LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def code_link(*functions) -> None:
    """From the page to the code: the engine functions behind a step, source included."""
    with st.expander("In the code: " + ", ".join(f"`{qualified_name(f)}`" for f in functions)):
        for function in functions:
            st.code(source_of(function), language="python")


def step_lab(model, x: np.ndarray, label: int) -> StepLab:
    """The page's copy of the model for this digit: a new one when the model or digit changes."""
    made_for = (id(model), x.tobytes(), label)
    kept = st.session_state.get(state.BACKPROP_LAB)
    if kept is None or kept[0] != made_for:
        kept = (made_for, StepLab(model.network, x, label))
        st.session_state[state.BACKPROP_LAB] = kept
    return kept[1]


def take_step() -> None:
    """Button callback (runs before the page, so every number on it is after the step)."""
    try:
        st.session_state[state.BACKPROP_LAB][1].step(st.session_state[state.BACKPROP_LR])
    except ValueError as exc:
        st.session_state[state.BACKPROP_ERROR] = str(exc)


def step_section(lab: StepLab, names: tuple[str, ...] | None = None) -> None:
    st.header("3. Take one step")
    lr_col, step_col, reset_col = st.columns([2, 1, 1])
    state.persist(state.BACKPROP_LR, 0.01)
    lr_col.select_slider("Learning rate", LEARNING_RATES, key=state.BACKPROP_LR)
    step_col.button("Take one SGD step", type="primary", icon=":material/south:", width="stretch", on_click=take_step)
    reset_col.button(
        "Reset", icon=":material/restart_alt:", width="stretch", disabled=lab.steps == 0, on_click=lab.reset
    )
    if st.session_state.get(state.BACKPROP_ERROR):
        st.warning(st.session_state.pop(state.BACKPROP_ERROR))
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
        before.altair_chart(
            probability_bars(model_pass.output, lab.label, class_names=names).properties(title="Before: the model")
        )
        after.altair_chart(
            probability_bars(copy_pass.output, lab.label, class_names=names).properties(
                title=f"After {lab.steps} step(s): the copy"
            )
        )
        before.caption(probability_summary(model_pass.output, lab.label, names))
        after.caption(probability_summary(copy_pass.output, lab.label, names))
        st.altair_chart(charts.loss_by_step(lab.losses), width="stretch")
        st.caption(loss_steps_summary(lab.losses))
        st.markdown("**What the steps changed in the first layer** (the copy's W[0] minus the model's), top 4 units:")
        change_w = lab.first_layer_change()
        units = top_units(np.abs(change_w).sum(axis=0), 4)
        limit = symmetric_limit(change_w[:, units], 100)
        for column, unit in zip(st.columns(len(units)), units):
            with column:
                picture(
                    weight_picture(change_w[:, unit], limit, scale=3),
                    weight_tile_alt(unit, "change in weights"),
                    f"change in W, unit {unit}",
                )
    code_link(train_step, SGD.step)


def check_section(net: MLP, x: np.ndarray, label: int) -> None:
    st.header("4. Gradient check")
    st.markdown("Backprop's gradient against central finite differences (L(θ+h) − L(θ−h)) / 2h, h = 1e-5, in float64:")
    rng = np.random.default_rng(st.session_state.setdefault(state.BACKPROP_CHECK_SEED, 0))
    if st.button("Check other weights", icon=":material/shuffle:"):
        st.session_state[state.BACKPROP_CHECK_SEED] += 1
        rng = np.random.default_rng(st.session_state[state.BACKPROP_CHECK_SEED])
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
