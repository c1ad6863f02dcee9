"""Streamlit glue shared by every page: the dataset, the shipped default model, the training
jobs, and the session's state under a few well-named keys.

Session keys (all non-widget keys, so they survive page switches):

* ``model``: the session's current ``TrainedModel`` (absent: the shipped default is used)
* ``model_source``: where that model came from, in words ("trained in this session", ...)
* ``job``: the session's latest ``TrainingJob`` (running, queued or ended)
* ``collected_job``: id of the ended job whose model and run were already taken in
* ``runs``: finished runs of this session (``RunRecord``), for the comparison chart
* ``settings`` / ``preset``: the Train page's settings (a ``TrainConfig``) and preset name

Server-wide, cached once per process and shared by all sessions: the MNIST dataset and the
shipped default model (both read-only) and the ``JobManager`` (thread-safe). Never a
user's model.
"""

from __future__ import annotations

import re
import string
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from pathlib import Path

import streamlit as st

from mnistcore import CheckpointError, Mnist, TrainedModel, load_mnist
from mnistcore.analysis.evaluation import Evaluation, evaluate_model
from mnistcore.analysis.wording import model_summary
from mnistcore.engine.config import FIELDS, ConfigError, TrainConfig, parse_value
from mnistcore.engine.data import FILES, DataError, DataNotFoundError, default_cache_dir, download, find_data_dir
from mnistcore.server.jobs import JobManager, TrainingJob
from mnistcore.server.records import RunRecord
from mnistcore.server.share import matching_preset

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_PATH = ROOT / "models" / "default.npz"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # as server.maxUploadSize; every valid checkpoint is smaller
MAX_RUNS_KEPT = 12  # finished runs remembered per session


@st.cache_resource(show_spinner="Loading MNIST…")
def dataset() -> Mnist:
    """The MNIST dataset, loaded once per server process (read-only arrays).

    Downloads into the user cache when nothing is found (pages that want a progress bar
    call ``require_dataset`` first, which downloads with one)."""
    return load_mnist(download_missing=True)


@st.cache_resource(show_spinner=False)
def default_model() -> TrainedModel:
    """The shipped pretrained model, so every page works on a first visit."""
    return TrainedModel.load(DEFAULT_MODEL_PATH)


@st.cache_resource(show_spinner=False)
def job_manager() -> JobManager:
    """The process's one job manager: caps concurrent training runs and queues the rest."""
    return JobManager.from_env()


@st.cache_resource(show_spinner=False)
def _download_lock() -> threading.Lock:
    return threading.Lock()


# ------------------------------------------------------------------------- the app shell

APP_SCRIPT = ROOT / "app.py"
_IN_APP_SHELL: ContextVar[bool] = ContextVar("in_app_shell", default=False)
_SHELL_RERUNS = "_app_shell_reruns"  # session key: reruns asked for by ensure_app_shell in a row


@contextmanager
def app_shell() -> Iterator[None]:
    """``app.py`` runs the chosen page inside this block, so the page knows it is in the shell."""
    token = _IN_APP_SHELL.set(True)
    st.session_state.pop(_SHELL_RERUNS, None)
    try:
        yield
    finally:
        _IN_APP_SHELL.reset(token)


def ensure_app_shell() -> None:
    """Make sure this page runs inside ``app.py``'s navigation; every page calls it first.

    Streamlit treats a ``pages/`` folder next to the entry script as an old-style
    multipage app until ``st.navigation`` first runs in the process: a fresh server's first
    visitors who open a page's URL directly (a share link to /train) get that page run on its
    own, without ``app.py`` (no wide layout, the files listed as the navigation). Each run that
    does not come through ``app.py`` switches the old mode off and reruns through ``app.py``.

    It is a call at the top of each page, never code run on import: an ``st.rerun()`` raised
    while ``pages.common`` was being imported made the import fail half-way, and every other
    session importing it at that moment got ``ImportError: cannot import name 'common' from
    'pages'`` (Python's import hands a waiting thread the failed, half-made module). And it
    asks about this run, not a process-wide flag: sessions that started in the old mode just
    before another session switched it off must rerun too."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if _IN_APP_SHELL.get():
        return
    ctx = get_script_run_ctx()
    if ctx is None or ctx.fragment_ids_this_run:  # no session, or a fragment's rerun (app.py does not run)
        return
    if Path(ctx.pages_manager.main_script_path).resolve() != APP_SCRIPT:
        return  # a page served on its own (``streamlit run pages/train.py``): there is no shell to go to
    reruns = st.session_state.get(_SHELL_RERUNS, 0)
    if reruns >= 2:  # not expected: a rerun goes through app.py once the old mode is off
        return
    st.session_state[_SHELL_RERUNS] = reruns + 1
    PagesManager.uses_pages_directory = False
    st.rerun()


# ------------------------------------------------------------------------- outside text

_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")
_LINK_JOINTS = re.compile(r"(?=://)|(?=@)|(?<=www)(?=\.)", re.IGNORECASE)  # where a bare link or address holds together
WORD_JOINER = "\u2060"  # invisible


def plain(text: object) -> str:
    """``text`` as Markdown that shows exactly its characters, for anything that came from
    outside (a share link's values, an uploaded file's name, a checkpoint's model name, an
    error quoting either) on its way into ``st.markdown``, ``st.caption``, ``st.warning``...

    Every ASCII punctuation character is backslash-escaped, which CommonMark allows for all
    of them: nothing in the text can start a link, an image, HTML, emphasis, a heading, math
    (``$``) or a Streamlit directive (``:red[...]``). Escapes do not stop GFM's bare links
    (``https://…``, ``www.…``, ``name@host``), which are found in the text after escapes are
    undone, so an invisible word joiner goes before every ``://`` and ``@`` and after ``www``.
    Line breaks become spaces. The engine's messages stay plain text; the page, which renders
    Markdown, escapes them."""
    one_line = " ".join(str(text).splitlines())
    return _PUNCTUATION.sub(lambda match: "\\" + match.group(), _LINK_JOINTS.sub(WORD_JOINER, one_line))


# ------------------------------------------------------------------------- the model


def current_model() -> TrainedModel:
    """The session's trained (or uploaded) model, else the shipped default."""
    model = st.session_state.get("model")
    return model if model is not None else default_model()


def set_current_model(model: TrainedModel, source: str = "trained in this session") -> None:
    st.session_state["model"] = model
    st.session_state["model_source"] = source


def is_default(model: TrainedModel) -> bool:
    return model is default_model()


def model_source(model: TrainedModel) -> str:
    """Where the model came from, in words, as Markdown (an uploaded file's name is escaped)."""
    if is_default(model):
        return "the shipped default model"
    return plain(st.session_state.get("model_source", "trained in this session"))


def model_title(model: TrainedModel) -> str:
    """A short name: its own name and/or the preset its settings match, e.g. 'fast',
    'my run (fast)', 'my run' (custom settings) or 'custom' (no name). Markdown: the name,
    which an uploaded checkpoint sets, is escaped (every caller shows it in Markdown)."""
    preset = matching_preset(model.config)
    if not model.name or model.name == preset:
        return preset
    return plain(model.name) if preset == "custom" else f"{plain(model.name)} ({preset})"


def trained_when(model: TrainedModel, now: datetime | None = None) -> str:
    """'2026-11-30 08:35 UTC (3 min ago)' from the model's ISO timestamp ('unknown' if unreadable)."""
    try:
        when = datetime.fromisoformat(model.trained_at)
    except (TypeError, ValueError):
        return "unknown"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    seconds = ((now or datetime.now(timezone.utc)) - when).total_seconds()
    ago = _duration(seconds) + " ago" if seconds >= 0 else "in the future"
    return f"{when.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC ({ago})"


def _duration(seconds: float) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''}"
    return f"{int(seconds)} s"


def model_file_name(model: TrainedModel) -> str:
    """Download name like ``mnist-fast-97.9.npz``."""
    accuracy = f"-{100 * model.test_accuracy:.1f}" if model.test_accuracy is not None else ""
    return f"mnist-{matching_preset(model.config)}{accuracy}.npz"


def read_uploaded_model(data: bytes) -> TrainedModel:
    """Validate and load an uploaded checkpoint; CheckpointError says why it is refused.

    The size is checked before anything is parsed; loading never unpickles."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CheckpointError(f"file too large: {len(data) / 1e6:.1f} MB, the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    if not data:
        raise CheckpointError("the file is empty")
    return TrainedModel.load(bytes(data))


# ------------------------------------------------------------------------- the dataset


def dataset_location() -> tuple[Path | None, str]:
    """(directory holding the four MNIST files or None, the exact fix when it cannot be used).

    None with an empty fix means: absent, but it can be downloaded into the cache."""
    try:
        return find_data_dir(), ""
    except DataNotFoundError as exc:  # a directory named in MNIST_DATA_DIR is incomplete
        return None, str(exc)


def require_dataset(stop: bool = True) -> Mnist | None:
    """The dataset, downloading it first with a progress bar if it is missing.

    When it cannot be had, shows the error with the exact fix and stops the page (or,
    with ``stop=False``, returns None so the page can go on without it)."""
    directory, fix = dataset_location()
    try:
        if directory is None and fix:
            raise DataNotFoundError(fix)
        if directory is None:
            _download_with_progress()
        return dataset()
    except DataError as exc:
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", str(exc))), default=0))
        st.error(f"**The MNIST data is not available.**\n\n{fence}\n{exc}\n{fence}")
        if stop:
            st.stop()
        return None


def _download_with_progress() -> None:
    """Fetch the four files into the cache while a progress bar shows the bytes."""
    names = list(FILES.values())
    bar = st.progress(0.0, text="Downloading MNIST (about 11 MB, once)…")

    def report(name: str, done: int, total: int | None) -> None:
        part = done / total if total else 0.0
        fraction = min(1.0, (names.index(name) + part) / len(names))
        size = f" of {total / 1e6:.1f} MB" if total else ""
        bar.progress(fraction, text=f"Downloading MNIST: {name}, {done / 1e6:.1f}{size}")

    with _download_lock():  # one session downloads; the others wait for it
        if find_data_dir() is None:
            download(default_cache_dir(), progress=report)
    bar.empty()


# ------------------------------------------------------------------------- training jobs


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


def server_load_text() -> str:
    """'Server: 2 runs training, 3 queued (2 at a time)': every session's jobs, for visitors."""
    manager = job_manager()
    running, queued = manager.counts()
    return (
        f"**Server:** {running} run{'s' if running != 1 else ''} training, {queued} queued "
        f"({manager.max_concurrent} at a time)"
    )


def session_job() -> TrainingJob | None:
    return st.session_state.get("job")


def session_runs() -> list[RunRecord]:
    return st.session_state.setdefault("runs", [])


def collect_finished_job() -> bool:
    """Take in the session's ended job once: its model becomes the current model and the run
    joins the run history. Returns True the one time it does so."""
    job = session_job()
    if job is None or not job.done or st.session_state.get("collected_job") == job.id:
        return False
    st.session_state["collected_job"] = job.id
    if job.model is not None:
        set_current_model(job.model, "trained in this session")
    if job.events():
        runs = session_runs()
        number = st.session_state.get("run_counter", 0) + 1
        st.session_state["run_counter"] = number
        runs.append(RunRecord.from_job(job, number))
        del runs[:-MAX_RUNS_KEPT]
    return True


def sidebar_status(show_training: bool = True) -> None:
    """A line in the sidebar on every page: the current model and (if ``show_training``) any
    run in progress."""
    model = current_model()
    accuracy = f"{100 * model.test_accuracy:.2f}%" if model.test_accuracy is not None else "not measured"
    st.sidebar.caption(f"**Current model:** {model_title(model)}, test accuracy {accuracy}")
    job = session_job()
    if show_training and job is not None and job.active:  # not live here: no step count that would go stale
        state = "queued" if job.status == "queued" else "in progress"
        st.sidebar.caption(f"**Training:** a run is {state}; watch it on the Train page.")
    st.sidebar.caption(server_load_text())


# ------------------------------------------------------------------------- Train page settings
# The settings form's widgets, derived from config.FIELDS. Pure helpers, testable without a page.

GROUP_ORDER = ("architecture", "loss", "optimisation", "schedule", "run length", "seed")
LABELS = {
    "hidden": "Hidden layer sizes",
    "activation": "Activation",
    "init": "Initial weights",
    "dtype": "Precision",
    "loss": "Output and loss",
    "optimizer": "Optimizer",
    "lr": "Learning rate",
    "momentum": "Momentum",
    "weight_decay": "Weight decay (L2)",
    "batch_size": "Batch size",
    "schedule": "Learning-rate schedule",
    "augment": "Augment training digits",
    "eval_every": "Validate every … steps",
    "seed": "Random seed",
}
# Sliders move between sensible stops; a value from a link that is not a stop is added.
SLIDER_STOPS: dict[str, tuple[float, ...]] = {
    "lr": (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    "weight_decay": (0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0),
    "batch_size": (1, 10, 16, 32, 50, 64, 100, 128, 200, 256, 500, 1000, 2000),
    "momentum": (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999),
}
LENGTH_KEY, UNIT_KEY = "setting_run_length", "setting_run_unit"


def widget_key(name: str) -> str:
    return f"setting_{name}"


def slider_options(name: str, current: float) -> list[float]:
    """The stops of ``name``'s slider, with ``current`` added if it is not one of them."""
    return sorted({*SLIDER_STOPS[name], current})


def widget_values(config: TrainConfig) -> dict[str, object]:
    """Widget key -> widget value showing ``config`` (hidden as text, run length as number + unit)."""
    values: dict[str, object] = {
        widget_key(name): getattr(config, name) for name in FIELDS if name not in ("hidden", "steps", "epochs")
    }
    values[widget_key("hidden")] = " ".join(str(n) for n in config.hidden)
    in_steps = config.steps is not None
    values[LENGTH_KEY] = float(config.steps if in_steps else config.epochs)  # type: ignore[arg-type]
    values[UNIT_KEY] = "steps" if in_steps else "epochs"
    return values


def config_from_widgets(values: Mapping[str, object]) -> TrainConfig:
    """The config the form's widgets describe; ConfigError names the first bad setting."""
    settings = {name: values[widget_key(name)] for name in FIELDS if name not in ("hidden", "steps", "epochs")}
    settings["hidden"] = parse_value("hidden", str(values[widget_key("hidden")]))
    length = float(values[LENGTH_KEY])  # type: ignore[arg-type]
    if values[UNIT_KEY] == "steps":
        if length != int(length):
            raise ConfigError(f"steps must be a whole number, got {length:g}")
        settings["steps"], settings["epochs"] = int(length), None
    else:
        settings["steps"], settings["epochs"] = None, length
    for name in ("eval_every", "seed", "batch_size"):
        settings[name] = int(settings[name])  # type: ignore[call-overload]
    return TrainConfig(**settings)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- insight pages (Mistakes, Weights)


@st.cache_data(max_entries=4, show_spinner="Evaluating the model on the 10,000 test digits…")
def _evaluation(fingerprint: str, _model: TrainedModel) -> Evaluation:
    """Cached per model fingerprint (``_model`` itself is not hashed)."""
    data = dataset()
    return evaluate_model(_model.network, data.test_x, data.test_y)


def evaluation(model: TrainedModel) -> Evaluation:
    """``model`` on the test set (probabilities, first-layer unit summaries, confusion matrix),
    computed once per model: a newly trained model has a new fingerprint and is re-evaluated."""
    return _evaluation(model.fingerprint, model)


def evaluated_model_header(title: str) -> tuple[Mnist, TrainedModel, Evaluation]:
    """The Mistakes and Weights pages' common start: title, data, the current model and its
    (cached) evaluation, a line naming the model, and a warning if its training diverged."""
    ensure_app_shell()
    st.title(title)
    data = require_dataset()
    model = current_model()
    ev = evaluation(model)
    st.markdown(model_summary(model, ev.accuracy, model_title(model), model_source(model)))
    if model.status == "diverged":
        st.warning("This model's training diverged: its weights hold NaN or infinite values, so what follows is noise.")
    return data, model, ev
