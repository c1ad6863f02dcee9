"""Real-browser test of Fashion-MNIST: on the Train page choose Fashion-MNIST in the sidebar,
train its fast preset for a few steps, then see class names (not digits) under the Mistakes
page's gallery, and the hidden-space map drawn on the Weights page."""

from __future__ import annotations

import os
import re

import pytest

from mnistcore.engine.data import FASHION_MNIST
from tests.browser_support import (
    app_in_browser,
    exceptions_on,
    open_train_page,
    press_train,
    wait_for_app,
    watched_page,
)

pytestmark = pytest.mark.browser
NAMES = set(FASHION_MNIST.class_names)
CAPTION = re.compile(r"^(.+) → (.+) · \d+%$")  # a gallery caption's first line: true → predicted · confidence
SHOTS = os.environ.get("FASHION_SHOTS")  # a folder: also save screenshots there (for looking, and the README)


def go_to(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    wait_for_app(page, timeout=90)


def test_choose_fashion_train_and_see_class_names_and_the_hidden_space(mnist, fashion):
    with app_in_browser() as (browser, base_url):
        page = watched_page(browser, base_url, viewport={"width": 1400, "height": 1200})
        open_train_page(page, base_url, "preset=fast&steps=150&eval_every=50")
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("combobox", name="Dataset").click()  # Streamlit's selectbox: open it, pick the option
        page.get_by_role("option", name="Fashion-MNIST").click()
        wait_for_app(page)
        assert "dataset=fashion-mnist" in page.url or "preset=fashion-fast" in page.url, page.url
        press_train(page)
        page.get_by_text(re.compile(r"Finished 150 steps")).first.wait_for(timeout=180_000)

        go_to(page, "Mistakes")
        page.get_by_text("Misclassified test images").wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"→ .* · \d+%")).first.wait_for(timeout=60_000)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/fashion-mistakes.png", full_page=True)
        captions = page.get_by_test_id("stMainBlockContainer").inner_text().splitlines()
        named = [m.groups() for m in map(CAPTION.match, captions) if m]
        assert named, captions[:5]
        assert all(true in NAMES and predicted in NAMES for true, predicted in named), named[:5]
        assert not exceptions_on(page)

        go_to(page, "Weights")
        heading = page.get_by_text("Hidden space: the test set as the first layer sees it")
        heading.wait_for(timeout=90_000)
        heading.scroll_into_view_if_needed()
        chart = page.locator('[data-testid="stVegaLiteChart"]').last
        chart.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        assert chart.locator("canvas, svg").count() > 0
        assert not exceptions_on(page)
        if SHOTS:
            chart.screenshot(path=f"{SHOTS}/fashion-hidden-space.png")
        page.locator("button").filter(has_text=re.compile(r"^step 0$")).click()  # the map at the random start
        page.get_by_text("At step 0: the snapshot keeps").first.wait_for(timeout=60_000)  # the chart is a canvas
        assert not exceptions_on(page)
        assert not page.errors, page.errors
