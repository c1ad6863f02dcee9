"""What every session shares, cached once per server process: the MNIST dataset and the
shipped default model (both read-only), the ``JobManager`` (thread-safe), and what is worked
out once per model for every visitor (its evaluation on the test set, its snapshots' colour
scale), keyed by the model's fingerprint.

Never a user's model: that is the session's (``state``). ``require_dataset`` is the pages'
way to the data: it downloads with a progress bar when it is missing and shows the exact fix
when it cannot be had.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import streamlit as st

from mnistcore import Mnist, TrainedModel, load_mnist
from mnistcore.analysis import images
from mnistcore.analysis.evaluation import Evaluation, evaluate_model
from mnistcore.engine.data import (
    FILES,
    MNIST,
    DataError,
    DataNotFoundError,
    Dataset,
    dataset_named,
    default_cache_dir,
    download,
    find_data_dir,
)
from mnistcore.engine.model import check_dataset
from mnistcore.server.jobs import JobManager

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_PATH = ROOT / "models" / "default.npz"
#: The shipped default model of each dataset (MNIST's is ``DEFAULT_MODEL_PATH``).
DEFAULT_MODEL_PATHS = {"mnist": DEFAULT_MODEL_PATH, "fashion-mnist": ROOT / "models" / "fashion.npz"}


@st.cache_resource(show_spinner="Loading the dataset…")
def dataset(name: str = MNIST.name) -> Mnist:
    """The dataset called ``name`` ('mnist' or 'fashion-mnist'), loaded once per server process
    and only when someone asks for it (read-only arrays; about 55 MB each).

    Downloads into the user cache when nothing is found (pages that want a progress bar
    call ``require_dataset`` first, which downloads with one)."""
    return load_mnist(download_missing=True, dataset=name)


@st.cache_resource(show_spinner=False)
def default_model(name: str = MNIST.name) -> TrainedModel:
    """The shipped pretrained model for dataset ``name``, so every page works on a first visit."""
    return TrainedModel.load(DEFAULT_MODEL_PATHS[name])


@st.cache_resource(show_spinner=False)
def job_manager() -> JobManager:
    """The process's one job manager: caps concurrent training runs and queues the rest."""
    return JobManager.from_env()


@st.cache_resource(show_spinner=False)
def _download_lock() -> threading.Lock:
    return threading.Lock()


@st.cache_data(max_entries=4, show_spinner="Evaluating the model on the 10,000 test digits…")
def _evaluation(fingerprint: str, _model: TrainedModel) -> Evaluation:
    """Cached per model fingerprint (``_model`` itself is not hashed); on the model's own
    dataset (the fingerprint covers its config, and so its dataset)."""
    data = dataset(_model.config.dataset)
    check_dataset(_model.config, data)
    return evaluate_model(_model.network, data.test_x, data.test_y)


def evaluation(model: TrainedModel) -> Evaluation:
    """``model`` on the test set (probabilities, first-layer unit summaries, confusion matrix),
    computed once per model: a newly trained model has a new fingerprint and is re-evaluated."""
    return _evaluation(model.fingerprint, model)


@st.cache_data(max_entries=4, show_spinner=False)
def _snapshot_limit(fingerprint: str, _snapshot_weights: np.ndarray) -> float:
    return images.snapshot_limit(_snapshot_weights)


def snapshot_limit(model: TrainedModel) -> float:
    """One colour limit for all of ``model``'s first-layer snapshots, computed once per model."""
    assert model.snapshot_weights is not None
    return _snapshot_limit(model.fingerprint, model.snapshot_weights)


# ------------------------------------------------------------------------- the dataset


def dataset_location(name: str = MNIST.name) -> tuple[Path | None, str]:
    """(directory holding the dataset's four files or None, the exact fix when it cannot be used).

    None with an empty fix means: absent, but it can be downloaded into the cache."""
    try:
        return (find_data_dir() if name == MNIST.name else find_data_dir(dataset=dataset_named(name))), ""
    except DataNotFoundError as exc:  # a directory named in MNIST_DATA_DIR is incomplete
        return None, str(exc)


def require_dataset(stop: bool = True, name: str = MNIST.name) -> Mnist | None:
    """The dataset ``name`` (default MNIST), downloading it first with a progress bar if it is missing.

    When it cannot be had, shows the error with the exact fix and stops the page (or,
    with ``stop=False``, returns None so the page can go on without it)."""
    directory, fix = dataset_location(name)
    try:
        if directory is None and fix:
            raise DataNotFoundError(fix)
        if directory is None:
            _download_with_progress(name)
        return dataset(name)
    except DataError as exc:
        title = dataset_named(name).title
        st.error(f"**The {title} data is not available.**\n\n{text_lines(str(exc))}")
        if stop:
            st.stop()
        return None


def _download_with_progress(dataset_name: str = MNIST.name) -> None:
    """Fetch the four files into the cache while a progress bar shows the bytes."""
    if dataset_name != MNIST.name:
        _download_other_with_progress(dataset_named(dataset_name))
        return
    names = list(FILES.values())
    bar = st.progress(0.0, text="Downloading MNIST (about 11 MB, once)…")

    def report(name: str, done: int, total: int | None) -> None:
        part = done / total if total else 0.0
        fraction = min(1.0, (names.index(name) + part) / len(names))
        size = f" of {total / 1e6:.1f} MB" if total else ""
        bar.progress(fraction, text=f"Downloading MNIST: {name}, {done / 1e6:.1f}{size}")

    try:
        with _download_lock():  # one session downloads; the others wait for it
            if find_data_dir() is None:
                download(default_cache_dir(), progress=report)
    finally:
        bar.empty()  # a failed download too: its error says what happened, not an empty bar


def _download_other_with_progress(spec: Dataset) -> None:
    """As ``_download_with_progress``, for a dataset other than MNIST (its own cache folder)."""
    names = list(FILES.values())
    bar = st.progress(0.0, text=f"Downloading {spec.title} (about {spec.download_mb} MB, once)…")

    def report(name: str, done: int, total: int | None) -> None:
        part = done / total if total else 0.0
        bar.progress(min(1.0, (names.index(name) + part) / len(names)), text=f"Downloading {spec.title}: {name}")

    try:
        with _download_lock():
            if find_data_dir(dataset=spec) is None:
                download(default_cache_dir(spec), progress=report, dataset=spec)
    finally:
        bar.empty()


def text_lines(text: str) -> str:
    """A message of several lines (the data layer's, with indented paths and file names) as
    Markdown that shows exactly its characters, line by line with their indents, and wraps on
    a phone: no code block, which would scroll sideways and hide the end of every long line
    (the ``MNIST_DATA_DIR=...`` fix)."""
    from pages.ui.wording import plain  # wording builds on state, which builds on this module

    lines = []
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        lines.append("\u00a0" * indent + plain(line.strip()))
    return "  \n".join(lines)
