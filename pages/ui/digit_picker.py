"""The Backprop page's choice of a digit: a test digit by number, a random one, a random
mistake of the current model, or the digit drawn on the Draw page; or the test digit a link
names (``?digit=8527``, which the Mistakes page's links use and the URL keeps up to date).

The choice is ``state.BACKPROP_DIGIT``: ("test", index) or ("drawing", 0).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore import Mnist
from pages.ui import state
from pages.ui.resources import evaluation

N_TEST = 10_000


def choose_test_digit(index: int) -> None:
    st.session_state[state.BACKPROP_DIGIT] = ("test", index)
    st.session_state[state.BACKPROP_INDEX] = index


def digit_from_link() -> None:
    """``?digit=N`` (a mistake opened from the Mistakes page, or a shared link) picks test digit N."""
    text = st.query_params.get("digit")
    if text is None or text == st.session_state.get(state.BACKPROP_LINK):
        return
    st.session_state[state.BACKPROP_LINK] = text
    if text.isdigit() and int(text) < N_TEST:
        choose_test_digit(int(text))
    else:
        st.warning("The link's digit is not a test-digit number from 0 to 9999; showing the last digit instead.")
        st.text(f"(it said: {text[:40]})")


def random_mistake() -> None:
    mistakes = evaluation(state.current_model()).mistakes(None, None, "index")
    if len(mistakes):
        choose_test_digit(int(np.random.default_rng().choice(mistakes)))


def choose_drawing() -> None:
    st.session_state[state.BACKPROP_DIGIT] = ("drawing", 0)


def pick_digit(data: Mnist) -> tuple[np.ndarray, int, str]:
    """The digit's pixels (784,), its label and a caption, from the choice on the page."""
    source, index = st.session_state.setdefault(state.BACKPROP_DIGIT, ("test", 0))
    drawn = state.drawn_digit()
    index_col, random_col, mistake_col, drawn_col = st.columns(4)
    state.persist(state.BACKPROP_INDEX, index)
    index_col.number_input(
        "Test digit #",
        0,
        N_TEST - 1,
        step=1,
        key=state.BACKPROP_INDEX,
        on_change=lambda: choose_test_digit(int(st.session_state[state.BACKPROP_INDEX])),
    )
    random_col.button(
        "A random digit",
        icon=":material/casino:",
        width="stretch",
        on_click=lambda: choose_test_digit(int(np.random.default_rng().integers(N_TEST))),
    )
    mistake_col.button("A random mistake", icon=":material/error:", width="stretch", on_click=random_mistake)
    drawn_col.button(
        "The digit I drew",
        icon=":material/draw:",
        width="stretch",
        disabled=drawn is None,
        on_click=choose_drawing,
        help="Draw one on the Draw page first." if drawn is None else "The last digit you drew on the Draw page.",
    )
    if source == "drawing" and drawn is not None:
        pixels, predicted = drawn
        label = st.selectbox("Its right label (you drew it)", range(10), index=predicted)
        return np.asarray(pixels, np.float32).reshape(-1), int(label), "the digit you drew on the Draw page"
    st.query_params["digit"] = st.session_state[state.BACKPROP_LINK] = str(index)
    return data.test_x[index], int(data.test_y[index]), f"test digit #{index}"
