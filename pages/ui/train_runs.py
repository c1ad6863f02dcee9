"""The Train page's lower half: the session's finished runs compared, and the current model
downloaded or replaced by an uploaded model file (checked before use, never unpickled)."""

from __future__ import annotations

import streamlit as st

from mnistcore.charts import training as charts
from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.model import TrainedModel
from mnistcore.server import share
from pages.ui import state
from pages.ui.wording import accuracy_text, model_file_name, model_source, model_title, plain

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # as server.maxUploadSize; every valid checkpoint is smaller


def compare_runs() -> None:
    runs = state.session_runs()
    st.subheader("Compare runs")
    if len(runs) < 1:
        st.caption("Each finished run of this session lands here, so you can overlay their curves.")
        return
    by_number = {run.number: run for run in runs}
    chosen = st.multiselect(
        "Runs to overlay",
        list(by_number),
        default=list(by_number)[-3:],
        format_func=lambda number: by_number[number].short_label,
        help="Validation accuracy of each chosen run; the legend lists their settings.",
    )
    selected = [by_number[number] for number in chosen if number in by_number]
    if selected:
        x = state.persist(state.COMPARE_X, "epoch", fix=lambda axis: axis or "epoch")
        st.segmented_control("Horizontal axis", ["step", "epoch"], key=state.COMPARE_X)
        st.altair_chart(charts.accuracy_chart({r.label: r.events for r in selected}, x=x), width="stretch")
    st.dataframe(
        [
            {
                "Run": run.short_label,
                "Status": run.status,
                "Test accuracy": run.test_accuracy,
                "Training s": round(run.train_seconds, 1),
                "Samples/s": round(run.samples_per_second),
                "Settings": share.short_description(run.config),
            }
            for run in reversed(runs)
        ],
        hide_index=True,
        column_config={"Test accuracy": st.column_config.NumberColumn(format="percent")},
    )


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
