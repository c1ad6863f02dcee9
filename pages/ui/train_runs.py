"""The Train page's lower half: the session's finished runs compared (curves in a colour per
run, a table of what differs between them), and the current model downloaded or replaced by
an uploaded model file (checked before use, never unpickled)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from mnistcore.analysis.describe import runs_summary
from mnistcore.charts import training as charts
from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.model import TrainedModel
from mnistcore.server import share
from mnistcore.server.records import RunRecord
from pages.ui import state
from pages.ui.train_form import LABELS
from pages.ui.wording import accuracy_text, model_file_name, model_source, model_title, plain

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # as server.maxUploadSize; every valid checkpoint is smaller


COMPARE_HEIGHT = 360  # px of each comparison chart, title and axes included: a plot of about 230-245 px


def compare_runs() -> None:
    """Up to ``charts.MAX_RUNS`` of the session's finished runs: their accuracy and loss curves,
    each run in its own colour under a short label ('#3 fast'), and a table of the runs with
    their test accuracy and the settings that differ between them."""
    runs = state.session_runs()
    st.header("Compare runs")
    if len(runs) < 1:
        st.caption("Each finished run of this session lands here, so you can overlay their curves.")
        return
    by_number = {run.number: run for run in runs}
    chosen = st.multiselect(
        "Runs to compare",
        list(by_number),
        default=list(by_number)[-charts.MAX_RUNS :],
        max_selections=charts.MAX_RUNS,
        format_func=lambda number: by_number[number].short_label,
        help=f"Up to {charts.MAX_RUNS} runs of this session, each in its own colour. "
        "The table below lists the settings that differ between them.",
    )
    selected = [by_number[number] for number in sorted(chosen) if number in by_number]
    if not selected:
        st.caption("Choose runs to compare.")
        return
    x = state.persist(state.COMPARE_X, "epoch", fix=lambda axis: axis or "epoch")
    st.segmented_control("Horizontal axis", ["step", "epoch"], key=state.COMPARE_X)
    curves = {run.short_label: run.events for run in selected}
    accuracy_col, loss_col = st.columns(2)
    accuracy_col.altair_chart(charts.accuracy_chart(curves, x=x, height=COMPARE_HEIGHT), width="stretch")
    loss_col.altair_chart(charts.loss_chart(curves, x=x, height=COMPARE_HEIGHT, smooth=True), width="stretch")
    st.caption(runs_summary([(run.short_label, run.test_accuracy) for run in selected]))
    run_table(selected)


def comparison_rows(runs: Sequence[RunRecord]) -> list[dict[str, object]]:
    """One row per run: its short label, test accuracy, the settings that differ between the
    runs (a column each, named as in the form), then how it ended and how long it took."""
    differ = share.differing_settings([run.config for run in runs])
    return [
        {
            "Run": run.short_label,
            "Test accuracy": run.test_accuracy,
            **{LABELS.get(name, name): values[i] for name, values in differ.items()},
            "Status": str(run.status),
            "Training time (s)": run.train_seconds,
            "Samples/s": run.samples_per_second,
        }
        for i, run in enumerate(runs)
    ]


def run_table(runs: Sequence[RunRecord]) -> None:
    """The compared runs as a table, each run's label in its line's colour; the settings they
    share folded below it."""
    table = pd.DataFrame(comparison_rows(runs))
    colours = dict(zip(table["Run"], charts.run_colours(len(runs))))
    styled = table.style.map(lambda label: f"color: {colours[label]}; font-weight: bold", subset=["Run"]).format(
        {"Test accuracy": "{:.2%}", "Training time (s)": "{:.1f}", "Samples/s": "{:,.0f}"}, na_rep="not measured"
    )
    st.dataframe(styled, hide_index=True)
    configs = [run.config for run in runs]
    if len(runs) > 1 and not share.differing_settings(configs):
        st.caption("These runs have the same settings, seed included: the same run, repeated.")
    shared = share.common_settings(configs)
    if len(runs) > 1 and shared:
        with st.expander(f"Settings the {len(runs)} runs share"):
            st.markdown("  \n".join(f"{LABELS.get(name, name)}: **{plain(text)}**" for name, text in shared.items()))


def save_and_load() -> None:
    """The current model's download button, and the uploader that replaces it."""
    save_col, load_col = st.columns(2)
    model = state.current_model()
    with save_col:
        st.markdown(f"**Current model:** {model_title(model)} — {model_source(model)}.")
        st.download_button(
            "Download model (.npz)",
            data=model.to_bytes,
            file_name=model_file_name(model),
            mime="application/octet-stream",
            icon=":material/download:",
            on_click="ignore",
            help="The weights, settings and training history as a NumPy archive (no pickled code).",
        )
    with load_col:
        st.file_uploader(
            "Load a model file",
            type=["npz"],
            key=state.UPLOAD,
            on_change=on_upload,
            help="A .npz file downloaded from this app. It is checked before use; anything else is refused.",
        )
        message = st.session_state.get(state.UPLOAD_MESSAGE)
        if message:
            kind, text = message
            (st.success if kind == "ok" else st.error)(plain(text))  # the file's name is the visitor's


def on_upload() -> None:
    uploaded = st.session_state.get(state.UPLOAD)
    if uploaded is None:
        st.session_state[state.UPLOAD_MESSAGE] = None
        return
    try:
        model = read_uploaded_model(uploaded.getvalue())
    except CheckpointError as exc:
        st.session_state[state.UPLOAD_MESSAGE] = (
            "error",
            f"Refused {uploaded.name}: {exc}. Your current model is unchanged.",
        )
        return
    state.set_current_model(model, f"uploaded from {uploaded.name}")
    st.session_state[state.UPLOAD_MESSAGE] = (
        "ok",
        f"Loaded {uploaded.name} (test accuracy {accuracy_text(model)}): now the current model.",
    )


def read_uploaded_model(data: bytes) -> TrainedModel:
    """Validate and load an uploaded checkpoint; CheckpointError says why it is refused.

    The size is checked before anything is parsed; loading never unpickles."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CheckpointError(f"file too large: {len(data) / 1e6:.1f} MB, the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    if not data:
        raise CheckpointError("the file is empty")
    return TrainedModel.load(bytes(data))
