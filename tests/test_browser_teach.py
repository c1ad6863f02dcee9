"""Real-browser test of "Teach it" on the Draw page: Chromium draws a 4 on the canvas of
``streamlit run app.py``, picks another right label, presses Teach it, sees the prediction
change, then presses Undo and sees the original prediction again; "See this step in detail"
opens the Backprop page on the drawing with that label. Drawing is done as in
test_browser_draw.py (pen strokes with a hand's tremor)."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from tests.browser_support import app_in_browser, exceptions_on, watched_page
from tests.test_browser_draw import (
    DIGIT_STROKES,
    draw,
    open_draw_page,
    place_strokes,
    read_prediction,
    wait_until_idle,
)


def pick_label(page, digit: int) -> None:
    """Press ``digit`` in "The right label" (a segmented control: a radio group, one radio per digit)."""
    page.get_by_role("radiogroup", name="The right label").get_by_role("radio", name=str(digit), exact=True).click()
    wait_until_idle(page)


def press(page, label: str) -> float:
    """Click a button and wait for the app to settle; returns the seconds until it did."""
    started = time.monotonic()
    page.get_by_role("button", name=re.compile(label)).first.click()
    wait_until_idle(page)
    return time.monotonic() - started


@pytest.mark.browser
def test_teaching_a_drawing_another_label_changes_the_prediction_and_undo_restores_it():
    with app_in_browser() as (browser, base_url):
        page = watched_page(browser, base_url, viewport={"width": 1280, "height": 1000})
        open_draw_page(page, base_url)
        # The first drawing on a freshly opened page, of two strokes: the canvas used to be
        # mounted anew when the first prediction appeared, losing the second stroke (shell.py).
        draw(page, place_strokes(DIGIT_STROKES[4][0], np.random.default_rng(104)))
        wait_until_idle(page)
        assert read_prediction(page) == "4"
        pick_label(page, 9)
        seconds = press(page, "Teach it")
        assert read_prediction(page) == "9"
        assert page.get_by_text("Test accuracy").first.is_visible()
        caption = page.get_by_text(re.compile(r"The press took \d+ ms")).first.inner_text()
        print(f"Teach it: {seconds:.2f} s from click to a settled page; {caption.split('The press took')[1]}")
        press(page, "Undo")
        assert read_prediction(page) == "4"
        assert page.get_by_text(re.compile("Undone")).first.is_visible()
        press(page, "See this step in detail")  # the Backprop page, on this drawing labelled 9
        page.get_by_text("the digit you drew on the Draw page: a 9").first.wait_for(timeout=60_000)
        assert page.url.rstrip("/").endswith("/backprop")
        assert not exceptions_on(page), exceptions_on(page)
        assert not page.errors, page.errors
