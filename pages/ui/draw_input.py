"""Where the Draw page's digit comes from: the canvas, or, for a visitor without a mouse, pen
or finger (the canvas cannot be drawn on with a keyboard), a test digit chosen by number or
an uploaded 28x28 PNG (read by ``mnistcore.analysis.digit_upload``, which refuses anything
else). A radio button chooses; its choice is ``state.DRAW_SOURCE``."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.describe import digit_alt
from mnistcore.analysis.digit_upload import MAX_UPLOAD_BYTES, DigitUploadError, read_digit_png
from mnistcore.analysis.images import digit_picture
from pages.ui import state
from pages.ui.canvas import canvas_ui
from pages.ui.pictures import picture
from pages.ui.resources import require_dataset
from pages.ui.wording import a_label, class_names_of, plain

SOURCES = {"canvas": "Draw it", "test": "A test digit", "upload": "Upload a 28×28 PNG"}
N_TEST = 10_000


def digit_input_ui() -> np.ndarray | None:
    """The chosen input and its controls; returns an image ``predict_drawing`` takes, or None."""
    state.persist(state.DRAW_SOURCE, "canvas")
    source = st.radio(
        "Your digit",
        list(SOURCES),
        format_func=SOURCES.get,
        key=state.DRAW_SOURCE,
        horizontal=True,
        help="The canvas needs a mouse, pen or finger; a test digit or a PNG file works from the keyboard too.",
    )
    if source == "test":
        return test_digit_ui()
    if source == "upload":
        return upload_ui()
    return canvas_ui()


def test_digit_ui() -> np.ndarray:
    """A test digit (or Fashion-MNIST image) by its number, from the current model's own test set."""
    data = require_dataset(name=state.current_model().config.dataset)
    names = class_names_of(data)
    thing = "digit" if names is None else "image"
    state.persist(state.DRAW_TEST_INDEX, 0, fix=state.clamp(0, N_TEST - 1))
    index = int(st.number_input(f"Test {thing} # (0–{N_TEST - 1})", 0, N_TEST - 1, step=1, key=state.DRAW_TEST_INDEX))
    label = int(data.test_y[index])
    caption = f"test {thing} #{index}: {a_label(label, names)}"
    picture(digit_picture(data.test_x[index], scale=5), digit_alt(index, label, names=names), caption)
    return data.test_x[index].reshape(28, 28)


def upload_ui() -> np.ndarray | None:
    """An uploaded 28×28 PNG, checked before it is decoded; None (with a message) if refused."""
    upload = st.file_uploader(
        "A 28×28 PNG: a light digit on a dark background, like MNIST (dark on light is inverted)",
        type=["png"],
        key=state.DRAW_UPLOAD,
    )
    if upload is None:
        return None
    name = plain(upload.name[:60])  # a stranger's file name: shown as plain text
    if upload.size > MAX_UPLOAD_BYTES:
        st.error(f"Refused {name}: {upload.size:,} bytes; a 28×28 PNG needs far less (at most {MAX_UPLOAD_BYTES:,}).")
        return None
    try:
        ink, inverted = read_digit_png(upload.getvalue())
    except DigitUploadError as exc:
        st.error(f"Refused {name}: {plain(exc)}.")
        return None
    if inverted:
        st.caption("Dark on a light background: inverted to MNIST's light digit on black.")
    return ink
