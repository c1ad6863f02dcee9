"""The Train page's live view of the session's run: queued (its place), running (progress,
latest metrics, the time left at the run's own speed, pause/resume/stop), or ended (how, and
its numbers), with its curves. A run whose network did not learn (``job.outcome``) is said so
plainly, with the evidence; its network replaces the current model only on "Use it anyway".

The run trains in a background job (``mnistcore.server.jobs``); this only reads its history.
A fragment redraws the view twice a second while a run is active, then triggers one full
rerun when it ends so the rest of the page (and the sidebar) sees the new model.
"""

from __future__ import annotations

import streamlit as st

from mnistcore.analysis.describe import training_summary
from mnistcore.analysis.health_readings import stall_cause
from mnistcore.charts import training as charts
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.health import HealthLog
from mnistcore.engine.milestones import milestones_text
from mnistcore.engine.model import percent
from mnistcore.engine.outcome import Outcome, Verdict
from mnistcore.engine.trainer import EndReason
from mnistcore.server.jobs import JobStatus, Progress, TrainingJob
from pages.ui import state
from pages.ui.health_view import health_view
from pages.ui.resources import job_manager
from pages.ui.train_form import use_settings
from pages.ui.wording import accuracy_text, items_of, model_source, model_title, plain

REFRESH_SECONDS = 0.5


def live_view() -> None:
    job = state.session_job()
    every = REFRESH_SECONDS if job is not None and job.active else None
    st.fragment(run_every=every)(live_body)()


def live_body() -> None:
    job = state.session_job()
    if job is None:
        no_run_yet()
        return
    if (job.done and state.collect_finished_job()) or st.session_state.pop(state.RERUN_PAGE, False):
        st.rerun()  # the whole page (and the sidebar) should now see the new model or settings
    if job.status == JobStatus.QUEUED:
        queued(job)
        return
    if job.active:
        running(job)
    else:
        ended(job)
    st.caption(f"{milestones_text(job.events(), running=job.active)} (training time, pauses not counted).")
    x = state.persist(state.LIVE_X, "step", fix=lambda axis: axis or "step")
    st.segmented_control("Horizontal axis", ["step", "epoch"], key=state.LIVE_X)
    run_charts(job.events(), x, key="live", health=(job.trainer.history.health, job.config))


def no_run_yet() -> None:
    model = state.current_model()
    st.info("Choose settings in the sidebar and press **Train**: the curves will grow here as the network learns.")
    if len(model.history):
        st.caption(f"Meanwhile, how the current model ({model_source(model)}) learned:")
        run_charts(model.history.snapshot(), "step", key="current", health=(model.history.health, model.config))


def queued(job: TrainingJob) -> None:
    manager = job_manager()
    place = job.queue_position
    st.info(
        f"**Queued: place {place}.** The server is busy: it trains {manager.max_concurrent} "
        f"run{'s' if manager.max_concurrent != 1 else ''} at a time, and yours starts as soon as a slot frees up.",
        icon=":material/hourglass_top:",
    )
    st.button("Cancel", icon=":material/close:", on_click=job.stop, key=state.CANCEL_JOB)


def running(job: TrainingJob) -> None:
    progress = job.progress()
    left = f" · {time_left_text(progress)}" if progress.seconds_left is not None else ""
    paused = job.status == JobStatus.PAUSED
    where = "Paused at" if paused else "Step"
    st.progress(
        progress.fraction,
        text=f"{where} {progress.step:,} of {progress.total_steps:,} · "
        f"{progress.samples_per_second:,.0f} samples/s{'' if paused else left}",
    )
    latest_metrics(job.events(), items_of(job.config.dataset))
    pause_col, stop_col, _ = st.columns([1, 1, 3])
    if paused:
        pause_col.button(
            "Resume", icon=":material/play_arrow:", on_click=job.resume, key=state.RESUME_JOB, width="stretch"
        )
    else:
        pause_col.button("Pause", icon=":material/pause:", on_click=job.pause, key=state.PAUSE_JOB, width="stretch")
    stop_col.button("Stop", icon=":material/stop:", on_click=job.stop, key=state.STOP_JOB, width="stretch")


def time_left_text(progress: Progress) -> str:
    """'about 40 s left', 'about 12 min left': at this run's own speed so far (``Progress``),
    never a preset's typical time; says so when the server's time limit will end it first."""
    seconds = progress.seconds_left or 0.0
    amount = f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.0f} min"
    return f"about {amount} left" + (", when the server's time limit stops it" if progress.time_limited else "")


def latest_metrics(events: list, items: str = "digits") -> None:
    validated = [e for e in events if e.validation_accuracy == e.validation_accuracy]  # not NaN
    val = percent(validated[-1].validation_accuracy) if validated else "…"
    batch = f"{100 * events[-1].batch_accuracy:.0f}%" if events else "…"
    epoch = f"{events[-1].epoch:.2f}" if events else "0"
    cols = st.columns(3)
    cols[0].metric("Validation accuracy", val, help=f"On 5,000 held-out {items} the network never trains on.")
    cols[1].metric("Last batch accuracy", batch, help="On the latest training minibatch: noisy.")
    cols[2].metric("Epoch", epoch, help=f"Passes over the 55,000 training {items} so far.")


def ended(job: TrainingJob) -> None:
    if job.status == JobStatus.DIVERGED:
        diverged(job)
        return
    if job.status == JobStatus.FAILED:
        st.error(job.message)
        return
    outcome = job.outcome
    if outcome is not None and not outcome.learned:
        did_not_learn(job, outcome)
    else:
        note = " This network is now the current model on every page." if job.model is not None else ""
        if job.status == JobStatus.FINISHED:
            st.success(f"{end_message(job)}{note}", icon=":material/check_circle:")
        else:
            st.info(f"{end_message(job)}{note}", icon=":material/stop_circle:")
    if job.store_message:
        st.warning(
            f"This run is kept in this session only (a reload loses it): not stored on the server, "
            f"{plain(job.store_message)}.",
            icon=":material/cloud_off:",
        )
    if job.result is not None:
        result_metrics(job)


def did_not_learn(job: TrainingJob, outcome: Outcome) -> None:
    """A run whose network stopped learning (or barely started, or got worse): said plainly,
    with the evidence and the loss curve; the current model stays unless the visitor chooses
    "Use it anyway"."""
    box = st.error if outcome.verdict is Verdict.STOPPED_LEARNING else st.warning
    cause = stall_cause(job.trainer.history.health.snapshot(), job.config.activation)
    headline = outcome.headline
    if cause and cause.kind == "vanishing" and outcome.verdict is Verdict.STOPPED_LEARNING:
        headline = f"The network did not learn: {cause.text}."  # not the learning rate the curves suggest
    box(
        f"**{plain(headline)}** {plain(end_message(job))} {plain(outcome.evidence)}",
        icon=":material/trending_down:",
    )
    if cause:
        st.markdown(f":material/monitor_heart: **The Health tab shows it:** {plain(cause.text)}.")
    if outcome.loss_story:
        st.markdown(f":material/show_chart: **The loss chart below shows it.** {plain(outcome.loss_story)}")
    current = state.current_model()
    if current is job.model:
        st.info("You chose to use this network anyway: it is now the current model on every page.")
    else:
        st.markdown(
            f"**The current model is unchanged:** {model_title(current)}, {model_source(current)}, "
            f"test accuracy {accuracy_text(current)}."
        )
    anyway, smaller, _ = st.columns([1, 1, 1])
    if current is not job.model:
        anyway.button(
            "Use it anyway",
            key=state.USE_ANYWAY,
            on_click=state.use_job_model,
            args=(job,),
            icon=":material/done:",
            width="stretch",
            help="Make this network the current model on every page, though it did not learn.",
        )
    if outcome.verdict in (Verdict.STOPPED_LEARNING, Verdict.FELL_BACK):
        with smaller:
            smaller_learning_rate_button(job)


def end_message(job: TrainingJob) -> str:
    """How a run that kept its network ended: its steps, or (a time limit) the job's own words."""
    result = job.result
    if job.status == JobStatus.FINISHED and result is not None:
        return f"Finished {result.steps:,} steps ({result.epochs:.2f} epochs)."
    if job.status == JobStatus.STOPPED and result is not None and result.reason != EndReason.TIME_LIMIT:
        return f"Stopped at step {result.steps:,} of {job.total_steps:,}."
    return job.message


def diverged(job: TrainingJob) -> None:
    st.error(f"**The run diverged.** {job.message}", icon=":material/warning:")
    st.markdown(
        ":material/show_chart: The loss chart below shows the run until then. Its weights are no longer "
        "numbers, so there is no network to keep: the current model is unchanged."
    )
    smaller_learning_rate_button(job)


def smaller_learning_rate_button(job: TrainingJob) -> None:
    """Put the run's settings with a ten times smaller learning rate in the form."""
    smaller = job.config.lr / 10
    st.button(
        f"Use learning rate {smaller:g} instead",
        key=state.SMALLER_LR,
        on_click=use_settings_everywhere,
        args=(job.config.replace(lr=smaller),),
        icon=":material/south:",
        help="Puts the same settings with a ten times smaller learning rate in the sidebar.",
    )


def use_settings_everywhere(config) -> None:
    """Button callback: these settings in the sidebar, which is outside this live view's fragment."""
    use_settings(config)
    st.session_state[state.RERUN_PAGE] = True


def result_metrics(job: TrainingJob) -> None:
    model, result = job.model, job.result
    assert result is not None
    cols = st.columns(4)
    if model is not None and model.test_accuracy is not None:
        items = items_of(job.config.dataset)
        cols[0].metric(
            "Test accuracy", percent(model.test_accuracy), help=f"On the 10,000 test {items}, measured once."
        )
    cols[1].metric("Validation accuracy", percent(result.validation_accuracy))
    cols[2].metric("Training time", f"{result.train_seconds:.1f} s", help="Pauses not counted.")
    cols[3].metric("Samples per second", f"{result.samples_per_second:,.0f}")


def run_charts(events: list, x: str, key: str, health: tuple[HealthLog, TrainConfig] | None = None) -> None:
    if not events:
        st.caption("Waiting for the first steps…")
        return
    if health is not None:  # a Health tab beside the curves; only the open tab is drawn
        curves, health_tab = st.tabs(["Curves", "Health"], key=f"{state.LIVE_TAB}_{key}", on_change="rerun")
        if health_tab.open:
            with health_tab:
                health_view(*health, key=key, use_fix=use_settings_everywhere)
        if not curves.open:
            return
        with curves:
            curve_charts(events, x, key)
        return
    curve_charts(events, x, key)


def curve_charts(events: list, x: str, key: str) -> None:
    accuracy_col, loss_col = st.columns(2)
    for column, chart, name in (
        (accuracy_col, charts.accuracy_chart(events, x=x), "accuracy"),
        (loss_col, charts.loss_chart(events, x=x), "loss"),
    ):
        spec, data = charts.vega_lite_parts(chart)  # cheaper than st.altair_chart twice a second
        column.vega_lite_chart(data, spec, key=f"{key}_{name}", width="stretch")
    st.caption(training_summary(events))  # the curves in words (issue #20)
