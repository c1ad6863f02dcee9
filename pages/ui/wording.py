"""Models and the server in words, as the pages show them, and ``plain``: the way any text
from outside (a share link's values, an uploaded file's name, a checkpoint's model name)
goes into Markdown and stays text.

Every function here returns Markdown; anything a visitor controls is passed through
``plain`` first. ``sidebar_status`` is the sidebar's lines on every page.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import streamlit as st

from mnistcore import TrainedModel
from mnistcore.engine.data.datasets import dataset_named
from mnistcore.engine.model import percent
from mnistcore.engine.network import shape_text
from mnistcore.server.jobs import JobStatus
from mnistcore.server.share import matching_preset
from pages.ui import state
from pages.ui.resources import job_manager

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


def a_digit(digit: int) -> str:
    """'a 3', 'an 8': a digit with the article its spoken name takes ('eight' is the one vowel)."""
    return f"{'an' if int(digit) == 8 else 'a'} {digit}"


def class_names_for(model: TrainedModel) -> tuple[str, ...] | None:
    """``class_names_of`` for a model's dataset (the Draw page has no dataset loaded)."""
    info = dataset_named(model.config.dataset)
    return None if info.is_digits else info.class_names


def class_names_of(data) -> tuple[str, ...] | None:
    """The dataset's class names when they are not the digits themselves (Fashion-MNIST's
    'Shirt', 'Sneaker'), else None: charts and captions then show the digits as before."""
    return None if data.info.is_digits else data.class_names


def label_text(label: int, names: tuple[str, ...] | None) -> str:
    """A label as shown: the digit ('3'), or its class name ('Sneaker')."""
    return str(label) if names is None else names[int(label)]


def a_label(label: int, names: tuple[str, ...] | None) -> str:
    """'a 3', 'an 8', or for named classes 'a Sneaker' / 'an Ankle boot'."""
    if names is None:
        return a_digit(label)
    name = names[int(label)]
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def model_source(model: TrainedModel) -> str:
    """Where the model came from, in words, as Markdown (an uploaded file's name is escaped)."""
    if state.is_default(model):
        return "the shipped default model"
    return plain(state.current_model_source())


def model_title(model: TrainedModel) -> str:
    """A short name: its own name and/or the preset its settings match, e.g. 'fast',
    'my run (fast)', 'my run' (custom settings) or 'custom' (no name). Markdown: the name,
    which an uploaded checkpoint sets, is escaped (every caller shows it in Markdown)."""
    preset = matching_preset(model.config)
    if not model.name or model.name == preset:
        return preset
    return plain(model.name) if preset == "custom" else f"{plain(model.name)} ({preset})"


def accuracy_text(model: TrainedModel, digits: int = 2) -> str:
    """'97.97%', or 'not measured'."""
    return percent(model.test_accuracy, digits)


def trained_when(model: TrainedModel, now: datetime | None = None) -> str:
    """'2026-11-30 08:35 UTC (3 min ago)' from the model's ISO timestamp ('unknown' if unreadable)."""
    try:
        when = datetime.fromisoformat(model.trained_at)
    except (TypeError, ValueError):
        return "unknown"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    ago = _duration(seconds) + " ago" if seconds >= 0 else "in the future"
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ago})"


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


def predicting_with(model: TrainedModel) -> str:
    """The Draw page's line naming the model it uses, where it came from, and how good it is."""
    sizes = shape_text(model.network.layer_sizes)
    accuracy = f", {percent(model.test_accuracy, 1)} on the test set" if model.test_accuracy is not None else ""
    line = (
        f"Predicting with **{model_title(model)}**, {model_source(model)} "
        f"({sizes}, {model.network.activation.name}{accuracy})."
    )
    info = dataset_named(model.config.dataset)
    if info.is_digits:
        return line
    return (
        f"{line} **It was trained on {info.title}, not digits:** whatever you draw, it answers with one of "
        f"its ten classes ({', '.join(info.class_names)}). Draw a piece of clothing as a white shape "
        "filling the box, the way the photos show them: a shoe from the side, a T-shirt, a bag."
    )


def push_explanation(n_hidden_layers: int) -> str:
    """How the Draw page measures a hidden unit's push towards the digit, in words."""
    if n_hidden_layers == 1:
        return "A unit's push is its activation times its weight to the digit's output score (before softmax)."
    return (
        "A unit's push is its activation times how much the digit's output score (before softmax) "
        "moves per unit of that activation, through the later layers."
    )


def server_load_text() -> str:
    """'Server: 2 runs training, 3 queued (2 at a time)': every session's jobs, for visitors."""
    manager = job_manager()
    running, queued = manager.counts()
    return (
        f"**Server:** {running} run{'s' if running != 1 else ''} training, {queued} queued "
        f"({manager.max_concurrent} at a time)"
    )


def sidebar_status(show_training: bool = True) -> None:
    """A line in the sidebar on every page: the current model and (if ``show_training``) any
    run in progress."""
    model = state.current_model()
    st.sidebar.caption(f"**Current model:** {model_title(model)}, test accuracy {accuracy_text(model)}")
    job = state.session_job()
    if show_training and job is not None and job.active:  # not live here: no step count that would go stale
        progress = "queued" if job.status == JobStatus.QUEUED else "in progress"
        st.sidebar.caption(f"**Training:** a run is {progress}; watch it on the Train page.")
    st.sidebar.caption(server_load_text())


def items_of(dataset_name: str) -> str:
    """What a dataset's examples are called in a sentence: 'digits' (MNIST), 'images' (Fashion-MNIST)."""
    try:
        return "digits" if dataset_named(dataset_name).is_digits else "images"
    except ValueError:
        return "images"
