"""Train page: pick settings, press Train, watch the network learn live.

The run trains in a background job (mnistcore.server.jobs); this script only reads its history.
A fragment redraws the live view twice a second while a run is active, then triggers one
full rerun when it ends so the rest of the page sees the new model.
"""

from __future__ import annotations

import streamlit as st

from mnistcore.charts import training as charts
from mnistcore.engine.config import FIELDS, ConfigError, TrainConfig
from mnistcore.engine.presets import PRESET_NOTES, PRESETS
from mnistcore.server import share
from mnistcore.server.jobs import JobRefused, TrainingJob
from pages import common

REFRESH_SECONDS = 0.5
PRESET_CHOICES = [*PRESETS, share.CUSTOM]


# ------------------------------------------------------------------------- settings and the link


def current_settings() -> TrainConfig:
    return st.session_state.get("settings", PRESETS["seed"])


def store_settings(config: TrainConfig) -> None:
    """Make ``config`` the page's settings: widgets, preset, and the URL's share link."""
    st.session_state["settings"] = config
    st.session_state["preset"] = share.matching_preset(config)
    st.session_state["preset_choice"] = st.session_state["preset"]
    st.session_state.update(common.widget_values(config))
    params = share.settings_to_params(config)
    st.query_params.from_dict(params)
    st.session_state["link_params"] = params


def sync_with_link() -> None:
    """Read settings from the URL when it changed (a shared link, a hand edit); when the URL
    has none (first visit, or back from another page), write the session's settings into it.

    A link read is written back as the settings in use: the URL and the share box then say
    what runs (values clamped, unknown or unreadable ones dropped), never the raw link."""
    params = st.query_params.to_dict()
    if not params:
        store_settings(current_settings())
    elif params != st.session_state.get("link_params"):
        config, _, warnings = share.params_to_settings(params)
        store_settings(config)
        st.session_state["link_warnings"] = warnings
    elif common.widget_key("lr") not in st.session_state:  # widgets dropped by a page switch
        st.session_state.update(common.widget_values(current_settings()))
    st.session_state.setdefault("preset_choice", st.session_state.get("preset", "seed"))


def on_preset_change() -> None:
    choice = st.session_state.get("preset_choice")
    if choice in PRESETS:
        store_settings(PRESETS[choice])
        st.session_state["link_warnings"] = []


def on_submit(start: bool) -> None:
    """Form callback: validate the widgets, keep the settings, update the link, maybe train."""
    st.session_state["form_error"] = ""
    st.session_state["link_warnings"] = []
    try:
        config = common.config_from_widgets(st.session_state)
    except (ConfigError, ValueError, TypeError) as exc:
        st.session_state["form_error"] = f"Settings not applied: {exc}"
        return
    store_settings(config)
    if start:
        start_training(config)


def start_training(config: TrainConfig) -> None:
    try:
        job = common.job_manager().submit(
            config,
            common.dataset(),
            owner=common.session_id(),
            name=st.session_state["preset"],
            is_alive=common.session_liveness(),  # a closed tab stops its run within seconds
        )
    except JobRefused as exc:
        st.session_state["form_error"] = f"Not started: {exc}"
        return
    st.session_state["job"] = job


def settings_panel(job: TrainingJob | None) -> None:
    """Preset selector, the settings form, and the share link."""
    st.selectbox(
        "Preset",
        PRESET_CHOICES,
        key="preset_choice",
        on_change=on_preset_change,
        help="Fill in every setting from a named preset; change any of them and it becomes custom.",
    )
    preset = st.session_state.get("preset", "seed")
    st.caption(PRESET_NOTES.get(preset, "Your own settings."))
    busy = job is not None and job.active
    with st.form("settings_form", border=True):
        for group in common.GROUP_ORDER:
            st.markdown(f"**{group.capitalize()}**")
            for name in [n for n, f in FIELDS.items() if f.group == group]:
                setting_widget(name)
        st.form_submit_button(
            "Train",
            type="primary",
            icon=":material/play_arrow:",
            disabled=busy,
            width="stretch",
            on_click=on_submit,
            args=(True,),
            help="Train a new network with these settings.",
        )
        st.form_submit_button(
            "Only update the share link",
            type="tertiary",
            width="stretch",
            on_click=on_submit,
            args=(False,),
            help="Keep these settings and put them in the share link, without training.",
        )
        if busy:
            st.caption("A run is in progress: stop it to start another.")
    if st.session_state.get("form_error"):
        st.error(common.plain(st.session_state["form_error"]))  # may quote what was typed


def setting_widget(name: str) -> None:
    """One form control for setting ``name``, chosen by its kind; run length is one control."""
    field, key, label = FIELDS[name], common.widget_key(name), common.LABELS.get(name, name)
    if name == "epochs":
        return
    if name == "steps":
        number, unit = st.columns(2)
        number.number_input(
            "Run length",
            min_value=0.01,
            max_value=1e7,
            step=1.0,
            format="%g",
            key=common.LENGTH_KEY,
            help=f"{FIELDS['epochs'].help} An epoch here is 55,000 digits.",
        )
        unit.selectbox("measured in", ["epochs", "steps"], key=common.UNIT_KEY, help=field.help)
    elif name in common.SLIDER_STOPS:
        options = common.slider_options(name, st.session_state.get(key, getattr(current_settings(), name)))
        st.select_slider(label, options=options, key=key, help=field.help, format_func=lambda v: f"{v:g}")
    elif field.kind is tuple:
        st.text_input(label, key=key, help=f"{field.help} Separate layers by spaces: 256 64.")
    elif field.kind is str:
        st.selectbox(label, field.choices, key=key, help=field.help)
    elif field.kind is bool:
        st.toggle(label, key=key, help=field.help)
    else:
        st.number_input(label, min_value=int(field.low), max_value=int(field.high), step=1, key=key, help=field.help)


def share_link() -> None:
    params = st.session_state.get("link_params") or share.settings_to_params(current_settings())
    st.markdown("**Share these settings**")
    st.code(share.share_url(page_url(), params), language=None, wrap_lines=True)
    st.caption(
        "The link opens this page with the settings in the sidebar, the random seed included, so the "
        "run replays exactly. It does not carry trained weights: download the model for those."
    )


def page_url() -> str:
    """This page's address without the query: from the browser if known, else from the Host header."""
    url = getattr(st.context, "url", None)
    if url:
        return url
    host = st.context.headers.get("Host", "localhost:8501") if st.context.headers else "localhost:8501"
    return f"http://{host}/train"


# ------------------------------------------------------------------------- the live view


def live_view() -> None:
    job = common.session_job()
    every = REFRESH_SECONDS if job is not None and job.active else None
    st.fragment(run_every=every)(live_body)()


def live_body() -> None:
    job = common.session_job()
    if job is None:
        no_run_yet()
        return
    if job.done and common.collect_finished_job():
        st.rerun()  # the whole page (and the sidebar) should now see the new model
    if job.status == "queued":
        queued(job)
        return
    if job.active:
        running(job)
    else:
        ended(job)
    x = st.segmented_control("Horizontal axis", ["step", "epoch"], key="x_axis", default="step") or "step"
    run_charts(job.events(), x, key="live")


def no_run_yet() -> None:
    model = common.current_model()
    st.info("Choose settings in the sidebar and press **Train**: the curves will grow here as the network learns.")
    if len(model.history):
        st.caption(f"Meanwhile, how the current model ({common.model_source(model)}) learned:")
        run_charts(model.history.snapshot(), "step", key="current")


def queued(job: TrainingJob) -> None:
    manager = common.job_manager()
    place = job.queue_position
    st.info(
        f"**Queued: place {place}.** The server is busy: it trains {manager.max_concurrent} "
        f"run{'s' if manager.max_concurrent != 1 else ''} at a time, and yours starts as soon as a slot frees up.",
        icon=":material/hourglass_top:",
    )
    st.button("Cancel", icon=":material/close:", on_click=job.stop, key="cancel_job")


def running(job: TrainingJob) -> None:
    progress = job.progress()
    left = f" · about {progress.seconds_left:,.0f} s left" if progress.seconds_left is not None else ""
    paused = job.status == "paused"
    state = "Paused at" if paused else "Step"
    st.progress(
        progress.fraction,
        text=f"{state} {progress.step:,} of {progress.total_steps:,} · "
        f"{progress.samples_per_second:,.0f} samples/s{'' if paused else left}",
    )
    latest_metrics(job.events())
    pause_col, stop_col, _ = st.columns([1, 1, 3])
    if paused:
        pause_col.button("Resume", icon=":material/play_arrow:", on_click=job.resume, key="resume_job", width="stretch")
    else:
        pause_col.button("Pause", icon=":material/pause:", on_click=job.pause, key="pause_job", width="stretch")
    stop_col.button("Stop", icon=":material/stop:", on_click=job.stop, key="stop_job", width="stretch")


def latest_metrics(events: list) -> None:
    validated = [e for e in events if e.validation_accuracy == e.validation_accuracy]  # not NaN
    val = f"{100 * validated[-1].validation_accuracy:.2f}%" if validated else "…"
    batch = f"{100 * events[-1].batch_accuracy:.0f}%" if events else "…"
    epoch = f"{events[-1].epoch:.2f}" if events else "0"
    cols = st.columns(3)
    cols[0].metric("Validation accuracy", val, help="On 5,000 held-out digits the network never trains on.")
    cols[1].metric("Last batch accuracy", batch, help="On the latest training minibatch: noisy.")
    cols[2].metric("Epoch", epoch, help="Passes over the 55,000 training digits so far.")


def ended(job: TrainingJob) -> None:
    status, message = job.status, job.message
    if status == "diverged":
        st.error(f"**The run diverged.** {message}", icon=":material/warning:")
        smaller = job.config.lr / 10
        st.button(
            f"Use learning rate {smaller:g} instead",
            on_click=use_learning_rate,
            args=(job.config, smaller),
            icon=":material/south:",
            help="Puts the same settings with a ten times smaller learning rate in the form.",
        )
        return
    if status == "failed":
        st.error(message)
        return
    model, result = job.model, job.result
    if status == "finished" and result is not None:
        message = f"Finished {result.steps:,} steps ({result.epochs:.2f} epochs)."
    elif status == "stopped" and result is not None and "time limit" not in message:
        message = f"Stopped at step {result.steps:,} of {job.total_steps:,}."
    note = " This network is now the current model on every page." if model is not None else ""
    if status == "finished":
        st.success(f"{message}{note}", icon=":material/check_circle:")
    else:
        st.info(f"{message}{note}", icon=":material/stop_circle:")
    if result is None:
        return
    cols = st.columns(4)
    if model is not None and model.test_accuracy is not None:
        cols[0].metric(
            "Test accuracy", f"{100 * model.test_accuracy:.2f}%", help="On the 10,000 test digits, measured once."
        )
    cols[1].metric("Validation accuracy", f"{100 * result.validation_accuracy:.2f}%")
    cols[2].metric("Training time", f"{result.train_seconds:.1f} s", help="Pauses not counted.")
    cols[3].metric("Samples per second", f"{result.samples_per_second:,.0f}")


def use_learning_rate(config: TrainConfig, lr: float) -> None:
    store_settings(config.replace(lr=lr))
    st.session_state["link_warnings"] = []


def run_charts(events: list, x: str, key: str) -> None:
    if not events:
        st.caption("Waiting for the first steps…")
        return
    accuracy_col, loss_col = st.columns(2)
    for column, chart, name in (
        (accuracy_col, charts.accuracy_chart(events, x=x), "accuracy"),
        (loss_col, charts.loss_chart(events, x=x), "loss"),
    ):
        spec, data = charts.vega_lite_parts(chart)  # cheaper than st.altair_chart twice a second
        column.vega_lite_chart(data, spec, key=f"{key}_{name}", width="stretch")


# ------------------------------------------------------------------------- runs, save and load


def compare_runs() -> None:
    runs = common.session_runs()
    st.subheader("Compare runs")
    if len(runs) < 1:
        st.caption("Each finished run of this session lands here, so you can overlay their curves.")
        return
    labels = [run.label for run in runs]
    chosen = st.multiselect(
        "Runs to overlay",
        labels,
        default=labels[-3:],
        format_func=lambda label: label.split(" · ")[0],
        help="Validation accuracy of each chosen run; the legend lists their settings.",
    )
    selected = [run for run in runs if run.label in chosen]
    if selected:
        x = st.segmented_control("Horizontal axis", ["step", "epoch"], key="compare_x", default="epoch") or "epoch"
        st.altair_chart(charts.accuracy_chart({r.label: r.events for r in selected}, x=x), width="stretch")
    st.dataframe(
        [
            {
                "Run": run.label.split(" · ")[0],
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
    st.subheader("Share, save and load")
    share_link()
    save_col, load_col = st.columns(2)
    model = common.current_model()
    with save_col:
        st.markdown(f"**Current model:** {common.model_title(model)} — {common.model_source(model)}.")
        st.download_button(
            "Download model (.npz)",
            data=model.to_bytes,
            file_name=common.model_file_name(model),
            mime="application/octet-stream",
            icon=":material/download:",
            on_click="ignore",
            help="The weights, settings and training history as a NumPy archive (no pickled code).",
        )
    with load_col:
        st.file_uploader(
            "Load a model file",
            type=["npz"],
            key="upload",
            on_change=on_upload,
            help="A .npz file downloaded from this app. It is checked before use; anything else is refused.",
        )
        message = st.session_state.get("upload_message")
        if message:
            kind, text = message
            (st.success if kind == "ok" else st.error)(common.plain(text))  # the file's name is the visitor's


def on_upload() -> None:
    uploaded = st.session_state.get("upload")
    if uploaded is None:
        st.session_state["upload_message"] = None
        return
    try:
        model = common.read_uploaded_model(uploaded.getvalue())
    except common.CheckpointError as exc:
        st.session_state["upload_message"] = (
            "error",
            f"Refused {uploaded.name}: {exc}. Your current model is unchanged.",
        )
        return
    common.set_current_model(model, f"uploaded from {uploaded.name}")
    accuracy = f"{100 * model.test_accuracy:.2f}%" if model.test_accuracy is not None else "not measured"
    st.session_state["upload_message"] = (
        "ok",
        f"Loaded {uploaded.name} (test accuracy {accuracy}): now the current model.",
    )


# ------------------------------------------------------------------------- the page

common.ensure_app_shell()
st.title("Train")
st.caption("Set the hyperparameters, press Train, and watch backpropagation improve the network step by step.")
common.require_dataset()
sync_with_link()
for warning in st.session_state.get("link_warnings", []):
    st.warning(common.plain(warning), icon=":material/link_off:")  # they quote the link's values

job = common.session_job()
with st.sidebar:
    settings_panel(job)
live_view()
st.divider()
compare_runs()
st.divider()
save_and_load()
