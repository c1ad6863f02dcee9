"""The Draw page's "Teach it" and "My digits" sections.

Teach it: "The right label" (preset to the prediction for each new drawing), the teaching
settings, and the "Teach it" button, which runs ``mnistcore.analysis.teach`` on the session's
own copy of its model; then the drawing's probabilities and the test accuracy (overall and
per digit) before and after, and Undo. My digits: the drawings taught so far (kept as MNIST
bytes), to download as an ``.npz``, upload again, and train on from the Train page.

All work happens in button callbacks (the model changes before the page is drawn, so the
prediction above already shows the taught network); the session keys are ``ui.state``'s
``TEACH_*`` and ``MY_DIGITS*``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from mnistcore.analysis import images
from mnistcore.analysis.describe import named_digit_alt, teach_summary
from mnistcore.analysis.my_digits import MAX_DIGITS, MAX_FILE_BYTES, MyDigits, MyDigitsError
from mnistcore.analysis.predict import Prediction
from mnistcore.analysis.teach import (
    DEFAULT_LR,
    DEFAULT_STEPS,
    DRAWING_COPIES,
    LR_CHOICES,
    MAX_STEPS,
    REPLAY_DIGITS,
    TeachError,
    TeachResult,
    TeachSettings,
    taught_model,
    teach,
)
from mnistcore.charts import teach as teach_charts
from mnistcore.engine.data.datasets import MNIST, dataset_named
from mnistcore.engine.model import percent
from pages.ui import navigation, state
from pages.ui.pictures import picture_row
from pages.ui.resources import dataset, require_dataset
from pages.ui.wording import class_names_for, label_text, plain

MAX_UNDO = 3  # presses that can be undone, newest first (each keeps a whole model)
STRIP_SHOWN = 40  # newest kept drawings shown in the strip
CHART_HEIGHT = 220


def drawing_key(pixels: np.ndarray) -> str:
    """Tells one drawing from another (within this session only: nothing is shared by it)."""
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


# ------------------------------------------------------------------------- callbacks


def say(section: str, kind: str, text: str) -> None:
    """A message for the next run of ``section`` ("teach" or "digits"), shown once."""
    st.session_state[state.TEACH_MESSAGE] = (section, kind, text)


def teach_pressed() -> None:
    """Teach the session's model the drawing on the canvas, keep the old one for Undo and
    the drawing in My digits."""
    drawn = state.drawn_digit()
    if drawn is None:
        return
    pixels = drawn[0]
    try:
        settings = TeachSettings(
            label=int(st.session_state[state.TEACH_LABEL]),
            steps=int(st.session_state[state.TEACH_STEPS]),
            lr=float(st.session_state[state.TEACH_LR]),
            replay=bool(st.session_state[state.TEACH_REPLAY]),
        )
        model = state.current_model()
        data = dataset(model.config.dataset)  # replay and the scores use the model's own dataset
        result = teach(model.network, pixels, settings, data.test_x, data.test_y, data.train_pixels, data.train_y)
    except (TeachError, TypeError, ValueError) as exc:
        say("teach", "error", f"Not taught: {exc}")
        return
    taught = taught_model(model, result)
    undo = st.session_state.setdefault(state.TEACH_UNDO, [])
    undo.append((st.session_state.get(state.MODEL), st.session_state.get(state.MODEL_SOURCE), taught))
    del undo[:-MAX_UNDO]
    source = state.current_model_source() if not state.is_default(model) else "the shipped default model"
    suffix = ", taught on the Draw page"
    state.set_current_model(taught, source if source.endswith(suffix) else source + suffix)
    st.session_state[state.TEACH_RESULT] = (drawing_key(pixels), result)
    if model.config.dataset == MNIST.name:  # My digits are digits: a Fashion model's drawings are not kept
        keep_drawing(pixels, settings.label)


def keep_drawing(pixels: np.ndarray, label: int) -> None:
    try:
        st.session_state[state.MY_DIGITS] = state.my_digits().added(pixels, label)
        st.session_state.pop(state.TEACH_MESSAGE, None)
    except MyDigitsError as exc:
        say("teach", "error", f"Taught, but not kept in My digits: {exc}")


def undo_pressed() -> None:
    """Put back the model from before the last press, the very same object (bit for bit)."""
    undo = st.session_state.get(state.TEACH_UNDO) or []
    if not undo:
        return
    model, source, taught = undo.pop()
    if st.session_state.get(state.MODEL) is not taught:  # a run or an upload replaced it since
        undo.clear()
        say("teach", "error", "Nothing undone: the model was replaced since (a new run or an upload).")
        return
    if model is None:
        st.session_state.pop(state.MODEL, None)  # back to the shipped default
        st.session_state.pop(state.MODEL_SOURCE, None)
    else:
        state.set_current_model(model, source or "trained in this session")
    st.session_state.pop(state.TEACH_RESULT, None)
    say("teach", "ok", "Undone: the model is exactly as it was before that press.")


def can_undo() -> bool:
    undo = st.session_state.get(state.TEACH_UNDO) or []
    return bool(undo) and st.session_state.get(state.MODEL) is undo[-1][2]


def upload_changed() -> None:
    uploaded = st.session_state.get(state.MY_DIGITS_UPLOAD)
    if uploaded is None:
        return
    name = plain(uploaded.name[:80])
    try:
        if uploaded.size > MAX_FILE_BYTES:
            raise MyDigitsError(f"file too large: a set of {MAX_DIGITS} digits is at most {MAX_FILE_BYTES // 1024} KB")
        added = MyDigits.from_npz(uploaded.getvalue())
        st.session_state[state.MY_DIGITS] = state.my_digits().merged(added)
    except MyDigitsError as exc:
        say("digits", "error", f"Refused {name}: {plain(str(exc))}. My digits is unchanged.")  # it may quote the file
        return
    say("digits", "ok", f"Added {len(added)} digit{'' if len(added) == 1 else 's'} from {name}.")


def remove_last() -> None:
    st.session_state[state.MY_DIGITS] = state.my_digits().without_last()


def clear_digits() -> None:
    st.session_state[state.MY_DIGITS] = MyDigits.empty()
    say("digits", "ok", "My digits cleared.")


# ------------------------------------------------------------------------- the sections


def teach_section(prediction: Prediction) -> None:
    """ "The right label", the settings, Teach it / Undo / the Backprop link, and the last result."""
    st.header("Teach it")
    st.caption(
        "Did the network misread your digit? Give it the right label: a few gradient steps on your drawing "
        "fix the answer. Then see what the other digits paid for it."
    )
    key = drawing_key(prediction.image)
    if st.session_state.get(state.TEACH_DRAWING) != key or state.TEACH_LABEL not in st.session_state:
        # A new drawing (or back from another page, which drops widget values): preset the label to the prediction.
        st.session_state[state.TEACH_DRAWING] = key
        st.session_state[state.TEACH_LABEL] = prediction.digit
    dataset_name = state.current_model().config.dataset
    names = dataset_named(dataset_name).class_names
    st.segmented_control(
        "The right label", list(range(10)), key=state.TEACH_LABEL, required=True, format_func=lambda i: names[i]
    )
    settings_ui()
    data_ready = require_dataset(stop=False, name=dataset_name) is not None  # replay and the test accuracy need it
    teach_column, undo_column, step_column = st.columns([1, 1, 2])
    teach_column.button(
        "Teach it",
        type="primary",
        icon=":material/school:",
        on_click=teach_pressed,
        disabled=not data_ready,
        width="stretch",
    )
    undo_column.button(
        "Undo",
        icon=":material/undo:",
        on_click=undo_pressed,
        disabled=not can_undo(),
        width="stretch",
        help="Put back the model from before the last Teach it press.",
    )
    if step_column.button("See this step in detail", icon=":material/account_tree:", width="stretch"):
        state.set_drawn_digit(prediction.image, int(st.session_state[state.TEACH_LABEL]))
        st.session_state[state.BACKPROP_DIGIT] = ("drawing", 0)
        st.switch_page(navigation.BACKPROP.path)
    message_ui("teach")
    shown = st.session_state.get(state.TEACH_RESULT)
    if shown is not None and shown[0] == key:
        result_ui(shown[1])


def settings_ui() -> None:
    state.persist(state.TEACH_STEPS, DEFAULT_STEPS)
    state.persist(state.TEACH_LR, DEFAULT_LR)
    state.persist(state.TEACH_REPLAY, True)
    with st.expander("Teaching settings", icon=":material/tune:"):
        st.slider("Steps", 1, MAX_STEPS, key=state.TEACH_STEPS, help="How many SGD steps one press takes.")
        st.select_slider("Learning rate", LR_CHOICES, key=state.TEACH_LR, format_func=lambda v: f"{v:g}")
        st.toggle(
            "Replay training digits",
            key=state.TEACH_REPLAY,
            help=f"On: each step's batch holds your drawing {DRAWING_COPIES} times and {REPLAY_DIGITS} "
            "training digits picked at random, which hold on to what the network knew. "
            "Off: the batch is your drawing alone; watch the other digits' accuracy fall (forgetting).",
        )


def message_ui(section: str) -> None:
    """The message a callback left for ``section``, once."""
    message = st.session_state.get(state.TEACH_MESSAGE)
    if message and message[0] == section:
        del st.session_state[state.TEACH_MESSAGE]
        (st.success if message[1] == "ok" else st.error)(message[2])


def result_ui(result: TeachResult) -> None:
    """Before and after: the reading of the drawing, the test accuracy, and both charts."""
    settings = result.settings
    names = class_names_for(state.current_model())
    read, accuracy = st.columns(2)
    read.metric(
        "Reads your drawing as",
        label_text(result.predicted_after, names),
        delta=f"was {label_text(result.predicted_before, names)}",
        delta_color="off",
        delta_arrow="off",
    )
    change = 100 * (result.after.accuracy - result.before.accuracy)
    accuracy.metric(
        "Test accuracy",
        percent(result.after.accuracy),
        delta=f"{change:+.2f} points (was {percent(result.before.accuracy)})",
        delta_color="normal",
    )
    if not result.learned:
        st.warning(
            f"It still reads your drawing as {label_text(result.predicted_after, names)}: "
            "try more steps or a larger learning rate."
        )
    probabilities, per_class = st.columns(2)
    with probabilities:
        chart = teach_charts.probability_change(
            result.probabilities_before, result.probabilities_after, height=CHART_HEIGHT
        )
        st.altair_chart(chart, width="stretch", height=CHART_HEIGHT)
    with per_class:
        chart = teach_charts.class_accuracy_change(
            np.nan_to_num(result.before.per_class),
            np.nan_to_num(result.after.per_class),
            height=CHART_HEIGHT,
        )
        st.altair_chart(chart, width="stretch", height=CHART_HEIGHT)
    st.caption(
        teach_summary(
            result.probabilities_before,
            result.probabilities_after,
            result.before.per_class,
            result.after.per_class,
            names,
        )
    )
    batch = (
        f"a batch of your drawing ×{DRAWING_COPIES} and {REPLAY_DIGITS} random training digits (replay)"
        if settings.replay
        else "your drawing alone (no replay)"
    )
    st.caption(
        f"{settings.steps} SGD steps at learning rate {settings.lr:g}, each on {batch}. Accuracy on all 10,000 "
        f"test digits, before and after. The press took {1000 * result.seconds:.0f} ms. The Mistakes and Weights "
        "pages now show the taught network; Undo puts the old one back."
    )


def my_digits_section() -> None:
    """The kept drawings as a strip, and download, upload, remove, clear."""
    digits = state.my_digits()
    st.header("My digits")
    if len(digits):
        newest = range(len(digits) - 1, max(-1, len(digits) - 1 - STRIP_SHOWN), -1)
        picture_row(
            [images.upscale(255 - digits.pixels[i], 2) for i in newest],
            [named_digit_alt(f"my digit {i + 1}", int(digits.labels[i])) for i in newest],
            [str(digits.labels[i]) for i in newest],
        )
        more = f" (the newest {STRIP_SHOWN} shown)" if len(digits) > STRIP_SHOWN else ""
        st.caption(
            f"{len(digits)} of at most {MAX_DIGITS} digits kept{more}, each with the label you taught. "
            "Train a new network on them too: the Train page's “Train on MNIST + my digits”."
        )
        my_digits_buttons(digits)
    else:
        st.caption(
            f"Each drawing you teach is kept here with its label (up to {MAX_DIGITS}), to download, "
            "upload again later, and train a new network on from the Train page."
        )
    message_ui("digits")
    with st.expander("Add digits from a file", icon=":material/upload:"):
        st.file_uploader(
            f"A .npz of digits you downloaded here (at most {MAX_FILE_BYTES // 1024} KB)",
            type=["npz"],
            key=state.MY_DIGITS_UPLOAD,
            on_change=upload_changed,
            help=f"At most {MAX_DIGITS} digits in all; the file is checked before anything in it is used.",
        )


def my_digits_buttons(digits: MyDigits) -> None:
    download, remove, clear = st.columns(3)
    download.download_button(
        "Download (.npz)",
        data=digits.to_npz(),
        file_name="my_digits.npz",
        mime="application/octet-stream",
        icon=":material/download:",
        width="stretch",
        help="Two plain arrays: images (n, 28, 28) uint8 and labels (n,). np.load(f, allow_pickle=False) reads it.",
    )
    remove.button("Remove last", icon=":material/backspace:", on_click=remove_last, width="stretch")
    clear.button("Remove all", icon=":material/delete_sweep:", on_click=clear_digits, width="stretch")
