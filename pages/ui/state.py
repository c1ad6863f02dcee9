"""The session's state: every ``st.session_state`` key of the dashboard, named once here; the
session's model, training job and finished runs; and ``persist``, the one way a widget keeps
its value across page switches.

Two kinds of keys:

* **Data** (non-widget keys): Streamlit keeps them for the whole session. Pages initialise
  the ones they own once, behind ``if key not in st.session_state`` (``setdefault``).
* **Widgets** (``key=`` of a widget): Streamlit forgets a widget's value as soon as a run
  does not draw it, that is on every visit to another page. A widget whose value should
  survive that calls ``persist(KEY, default)`` just before it is drawn, and gets ``key=KEY``
  and no ``value``/``index``/``default`` of its own: ``persist`` keeps a copy under the
  non-widget key ``"keep:" + KEY`` and puts it back when the page is shown again.
  (A widget that only shows a data key, like Draw's unit box showing ``DRAW_UNIT``, is set
  from it before it is drawn, and its callback writes the choice back: nothing to persist.)

Nothing here runs at import: it only defines names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from mnistcore import TrainedModel
from mnistcore.analysis.my_digits import MyDigits
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.presets import PRESETS
from mnistcore.server.jobs import TrainingJob
from mnistcore.server.records import RunRecord
from pages.ui.resources import default_model

T = TypeVar("T")

# ------------------------------------------------------------------------- the keys
# The app shell (data)
SHELL_RERUNS = "_app_shell_reruns"  # reruns asked for by ensure_app_shell in a row
SHELL_SHOWN = "_app_shell_shown"  # (page, job id) of the last full run: what the visitor last moved on to
SHELL_SCRIPTS = "_app_shell_scripts"  # scripts run in the browser so far (each one new: shell.run_in_browser)

# The session's model and training (data; every page reads them)
MODEL = "model"  # the current TrainedModel; absent: the shipped default is used
MODEL_SOURCE = "model_source"  # where it came from, in words ("trained in this session", ...)
JOB = "job"  # the latest TrainingJob (queued, running or ended)
COLLECTED_JOB = "collected_job"  # id of the ended job whose model and run were taken in
RUNS = "runs"  # finished runs (RunRecord), oldest first, for the comparison chart
RUN_COUNTER = "run_counter"  # runs numbered so far
DRAWN_DIGIT = "drawn_digit"  # the last digit drawn on Draw, for Backprop: {"pixels", "predicted"}
# The run store and the run=<id> link (data; pages/ui/run_links.py)
RUN_ID = "run_id"  # the current model's id in the run store ("" or absent: not stored)
SHARED_RUN = "shared_run"  # True: the current model is a run opened from someone's link (read-only)
RUN_LINK = "run_link"  # the run=/runs= query values last read from or written to the URL
RUN_LINK_WARNINGS = "run_link_warnings"  # what could not be opened from the last link read

# Train page (data)
SETTINGS = "settings"  # the settings in use (TrainConfig)
PRESET = "preset"  # the preset they match, or "custom"
LINK_PARAMS = "link_params"  # the query parameters last read from or written to the URL
LINK_WARNINGS = "link_warnings"  # what was wrong with the last link read
FORM_ERROR = "form_error"  # why the form's settings were refused (or a run not started)
UPLOAD_MESSAGE = "upload_message"  # ("ok" | "error", text) about the last model file uploaded
# Train page (widgets)
PRESET_CHOICE = "preset_choice"
LENGTH_KEY, UNIT_KEY = "setting_run_length", "setting_run_unit"  # run length: a number and a unit
LIVE_X, COMPARE_X = "x_axis", "compare_x"  # the charts' horizontal axis
LIVE_TAB = "live_tab"  # prefix of the live view's Curves/Health tabs' keys
FIX_PRESET = "fix_preset"  # a break-it preset's fix button, under its lesson in the sidebar
UPLOAD = "upload"
CANCEL_JOB, PAUSE_JOB, RESUME_JOB, STOP_JOB = "cancel_job", "pause_job", "resume_job", "stop_job"
USE_ANYWAY, SMALLER_LR = "use_run_anyway", "smaller_lr"  # after a run that did not learn (or diverged)
RERUN_PAGE = "_rerun_page"  # set by a callback in the live view (a fragment): the whole page must show its change

# Mistakes page (widgets)
MISTAKES_TRUE, MISTAKES_PREDICTED = "mistakes_true", "mistakes_predicted"
MISTAKES_ORDER, MISTAKES_PAGE, MISTAKES_INSPECT = "mistakes_order", "mistakes_page", "mistakes_inspect"
MISTAKES_SCROLL = "_mistakes_scroll"  # (data) a confusion cell was clicked: bring its mistakes into view
MISTAKES_CELL = "_mistakes_cell"  # the keyboard's confusion cell: its callback sets the two filters

# Weights page (widgets)
WEIGHTS_UNITS_PAGE, WEIGHTS_UNIT = "weights_units_page", "weights_unit"
WEIGHTS_VIEW, WEIGHTS_SNAPSHOT = "weights_view", "weights_snapshot"
WEIGHTS_MAP_WHEN = "weights_map_when"  # the hidden-space map: the finished network, or a step during training

# Draw page (data, then widgets)
DRAW_CANVAS_VERSION = "draw_canvas_version"  # bumped to clear the canvas: a new key remounts it empty
DRAW_UNIT = "draw_unit"  # the hidden unit whose weights are shown; None follows the top contributor
DRAW_STROKE = "draw_stroke_width"
DRAW_UNIT_BOX, DRAW_GRID = "_draw_unit_box", "_draw_grid"  # they show DRAW_UNIT; their callbacks set it
DRAW_SOURCE, DRAW_TEST_INDEX = "draw_source", "draw_test_index"  # the canvas, or without a pointer a test digit...
DRAW_UPLOAD = "_draw_upload"  # ... or an uploaded 28x28 PNG

# Draw page, "Teach it" and "My digits" (data, then widgets; ``ui.teach``)
MY_DIGITS = "my_digits"  # MyDigits: the drawings taught (or uploaded) this session, at most 200
TEACH_RESULT = "teach_result"  # (drawing key, TeachResult) of the last press, shown while that drawing is up
TEACH_UNDO = "teach_undo"  # [(model or None, source or None, taught model)] before each press, newest last
TEACH_MESSAGE = "teach_message"  # ("ok" | "error", text) about the last press, upload or change of My digits
TEACH_DRAWING = "teach_drawing"  # key of the drawing "The right label" was preset for
TEACH_LABEL, TEACH_STEPS, TEACH_LR, TEACH_REPLAY = "teach_label", "teach_steps", "teach_lr", "teach_replay"
MY_DIGITS_UPLOAD = "my_digits_upload"
# Train page: "Train on MNIST + my digits" (widget)
TRAIN_WITH_MY_DIGITS = "train_with_my_digits"

# Backprop page (data, then widgets)
BACKPROP_LAB = "backprop_lab"  # ((model id, pixels, label), StepLab): the page's copy of the model
BACKPROP_DIGIT = "backprop_digit"  # ("test", index) or ("drawing", 0)
BACKPROP_LINK = "backprop_link"  # the ?digit= value last read from or written to the URL
BACKPROP_CHECK_SEED = "backprop_check_seed"  # which weights the gradient check draws
BACKPROP_ERROR = "backprop_error"  # why the last step was refused, shown once
BACKPROP_INDEX, BACKPROP_LR = "backprop_index", "backprop_lr"

KEPT = "keep:"  # prefix of the non-widget copies ``persist`` keeps


def setting_key(name: str) -> str:
    """The Train form's widget for setting ``name`` (a field of ``TrainConfig``)."""
    return f"setting_{name}"


def mistakes_chart_key(true_digit: int | None, predicted_digit: int | None) -> str:
    """The confusion matrix's key: a new one per filter gives a fresh chart, so clicking the
    same cell again works after the filter was changed with the select boxes."""
    return f"mistakes_cm_{true_digit}_{predicted_digit}"


def weights_block_key(axis: str, layer: int) -> str:
    """Which block of a deeper weight matrix is shown (``axis``: "rows" or "cols")."""
    return f"weights_{axis}_{layer}"


def draw_canvas_key() -> str:
    return f"draw_canvas_{st.session_state[DRAW_CANVAS_VERSION]}"


# ------------------------------------------------------------------------- widgets that survive page switches


def persist(key: str, default: T, fix: Callable[[T], T] | None = None) -> T:
    """Ready widget ``key`` so that it keeps its value when the visitor leaves the page and comes
    back; returns the value it will show. Call it just before the widget, which gets ``key=key``
    and no value of its own.

    The value is the widget's own if it has one, else the copy kept from its last showing,
    else ``default``; ``fix`` makes a kept value valid again (a smaller new model has fewer
    units, say). A value the widget already holds is never written back (in a form, that
    would overwrite what was typed but not yet submitted)."""
    kept = KEPT + key
    value = st.session_state[key] if key in st.session_state else st.session_state.get(kept, default)
    fixed = fix(value) if fix is not None else value
    if key not in st.session_state or fixed != value:
        st.session_state[key] = fixed
    st.session_state[kept] = fixed
    return fixed


def clamp(low: int, high: int) -> Callable[[Any], int]:
    """A ``fix`` for ``persist``: the value as a whole number in [low, high]."""
    return lambda value: min(max(int(value), low), high)


# ------------------------------------------------------------------------- the model


def current_model() -> TrainedModel:
    """The session's trained (or uploaded) model, else the shipped default of the dataset the
    Train page's settings name (MNIST unless Fashion-MNIST was chosen)."""
    model = st.session_state.get(MODEL)
    return model if model is not None else default_model(current_settings().dataset)


def set_current_model(
    model: TrainedModel, source: str = "trained in this session", run_id: str = "", shared: bool = False
) -> None:
    """Make ``model`` the current model; ``run_id``: its id in the run store, which the URL
    then carries (``run=<id>``); ``shared``: it is someone else's run, opened from a link."""
    st.session_state[MODEL] = model
    st.session_state[MODEL_SOURCE] = source
    st.session_state[RUN_ID] = run_id
    st.session_state[SHARED_RUN] = shared


def current_run_id() -> str:
    """The current model's id in the run store, "" when it is not stored."""
    return st.session_state.get(RUN_ID, "")


def is_shared_run() -> bool:
    return bool(st.session_state.get(SHARED_RUN, False))


def is_default(model: TrainedModel) -> bool:
    return model is default_model(model.config.dataset)


def current_model_source() -> str:
    """Where the session's own model came from, as plain text (not Markdown: see wording)."""
    return st.session_state.get(MODEL_SOURCE, "trained in this session")


# ------------------------------------------------------------------------- training jobs


def session_job() -> TrainingJob | None:
    return st.session_state.get(JOB)


def set_session_job(job: TrainingJob) -> None:
    st.session_state[JOB] = job


def session_runs() -> list[RunRecord]:
    return st.session_state.setdefault(RUNS, [])


MAX_RUNS_KEPT = 12  # finished runs remembered per session


def collect_finished_job() -> bool:
    """Take in the session's ended job once: the run joins the run history, and its model
    becomes the current model if the network learned (``job.outcome``). A network that
    stopped learning (or barely started, or got worse) never silently replaces the current
    model: the Train page says why and offers ``use_job_model``. Returns True the one time
    it takes the job in."""
    job = session_job()
    if job is None or not job.done or st.session_state.get(COLLECTED_JOB) == job.id:
        return False
    st.session_state[COLLECTED_JOB] = job.id
    if job.model is not None and (job.outcome is None or job.outcome.learned):
        set_current_model(job.model, "trained in this session", run_id=job.run_id)
    if job.events():
        runs = session_runs()
        number = st.session_state.get(RUN_COUNTER, 0) + 1
        st.session_state[RUN_COUNTER] = number
        runs.append(RunRecord.from_job(job, number))
        del runs[:-MAX_RUNS_KEPT]
    return True


def use_job_model(job: TrainingJob) -> None:
    """Make an ended job's network the current model though it did not learn ("Use it anyway");
    a button callback, so it asks the live view for a rerun of the whole page (``RERUN_PAGE``)."""
    if job.model is not None:
        set_current_model(job.model, "trained in this session", run_id=job.run_id)
        st.session_state[RERUN_PAGE] = True


def session_id() -> str:
    """This browser session's id (the owner of its training jobs)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def session_liveness() -> Callable[[], bool] | None:
    """A check, callable from any thread, that this browser session is still connected.

    The job manager's watchdog calls it about once a second and stops the session's run
    soon after the tab is closed or the session expires. Switching pages keeps the session
    connected, so a run survives navigation. None without a session or a runtime. (Under
    AppTest the runtime is a stand-in whose answer is always truthy: runs are never stopped.)"""
    from streamlit import runtime

    owner = session_id()
    if not owner or not runtime.exists():
        return None
    server = runtime.get_instance()
    return lambda: server.is_active_session(owner)


# ------------------------------------------------------------------------- Train settings, the drawn digit


def current_settings() -> TrainConfig:
    return st.session_state.get(SETTINGS, PRESETS["seed"])


def current_preset() -> str:
    return st.session_state.get(PRESET, "seed")


def drawn_digit() -> tuple[np.ndarray, int] | None:
    """The last digit drawn on the Draw page: its (28, 28) pixels in [0, 1] and what the
    network read it as; None before anything was drawn."""
    drawn = st.session_state.get(DRAWN_DIGIT)
    return None if drawn is None else (drawn["pixels"], int(drawn["predicted"]))


def set_drawn_digit(pixels: np.ndarray, predicted: int) -> None:
    st.session_state[DRAWN_DIGIT] = {"pixels": pixels.copy(), "predicted": predicted}


def my_digits() -> MyDigits:
    """The session's kept drawings ("My digits"), empty at first."""
    return st.session_state.get(MY_DIGITS) or MyDigits.empty()
