"""The dashboard without a mouse (issue #20), in Chromium: with Tab, Enter and the arrow keys
only, a visitor pauses, resumes and stops a run, picks the ``fast`` preset, trains it, opens
the Mistakes page, chooses a confusion-matrix cell from its list and opens one of those
mistakes on the Backprop page. Every element pressed shows where the focus is."""

from __future__ import annotations

import re

import pytest

from tests.browser_support import app_in_browser, exceptions_on, open_train_page, wait_for_app, watched_page

pytestmark = pytest.mark.browser
MAX_TABS = 200  # a page has fewer focusable elements than this
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  return {
    tag: e.tagName, role: e.getAttribute("role"), label: e.getAttribute("aria-label") || "",
    text: (e.innerText || "").trim(), href: e.getAttribute("href") || "",
    ring: style.outlineStyle !== "none" || style.boxShadow !== "none",
  };
}"""


@pytest.fixture(scope="module")
def page(mnist):
    with app_in_browser() as (browser, base_url):
        yield watched_page(browser, base_url, viewport={"width": 1400, "height": 1000})


def tab_to(page, wanted, what: str, backwards: bool = False) -> dict:
    """Press Tab (Shift+Tab) until the focused element satisfies ``wanted``; it must show a
    focus ring. Returns its description."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED)
        if focused and wanted(focused):
            assert focused["ring"], f"{what} has the focus but shows no focus ring: {focused}"
            return focused
        seen.append(focused and (focused["label"] or focused["text"][:30] or focused["tag"]))
    raise AssertionError(f"{what} not reached in {MAX_TABS} presses of Tab; focus went to {seen[:60]}")


def button(name: str):
    return lambda f: f["tag"] == "BUTTON" and f["text"].split("\n")[-1] == name


def combobox(label: str):
    return lambda f: f["role"] == "combobox" and f["label"] == label


def link(path: str):
    return lambda f: f["tag"] == "A" and re.search(path, f["href"]) is not None


def test_train_and_open_a_mistake_with_the_keyboard_only(page):
    open_train_page(page, page.base_url, "preset=fast&epochs=100")  # a run long enough to pause

    # Pause, resume and stop a run.
    tab_to(page, button("Train"), "Train")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    tab_to(page, button("Pause"), "Pause")
    page.keyboard.press("Enter")
    page.get_by_text("Paused at").wait_for(timeout=30_000)
    tab_to(page, button("Resume"), "Resume", backwards=True)
    page.keyboard.press("Enter")
    page.get_by_text("Paused at").wait_for(state="detached", timeout=30_000)
    tab_to(page, button("Stop"), "Stop")
    page.keyboard.press("Enter")
    page.get_by_text("Stopped at step").wait_for(timeout=30_000)

    # Choose the fast preset and train it to the end.
    tab_to(page, combobox("Preset"), "the Preset box", backwards=True)
    page.keyboard.type("fast")
    page.keyboard.press("Enter")
    wait_for_app(page)
    tab_to(page, button("Train"), "Train")
    page.keyboard.press("Enter")
    page.get_by_text(re.compile(r"^Finished [\d,]+ steps")).first.wait_for(timeout=240_000)

    # Open the Mistakes page from the sidebar, choose the most common mistake from the list.
    tab_to(page, link(r"/mistakes$"), "the Mistakes link", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/mistakes*", timeout=30_000)
    wait_for_app(page, timeout=60)
    tab_to(page, combobox("Or choose a cell"), "the confusion-cell box")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector('[role="option"]', timeout=10_000)
    chosen = page.locator('[role="option"]').first.inner_text()
    true, predicted = map(int, re.match(r"(\d) read as (\d)", chosen).groups())
    page.keyboard.press("Enter")
    summary = page.get_by_text(f"true digit {true}, predicted as {predicted}")
    summary.first.wait_for(timeout=30_000)
    wait_for_app(page)

    # Open the first of those mistakes on the Backprop page.
    first = page.locator('[class*="st-key-mistake_item_0"] figure.picture img').get_attribute("alt")
    index = int(re.match(r"test digit (\d+): an? (\d), read as (\d)", first).group(1))
    tab_to(page, link(rf"backprop\?digit={index}$"), f"the Backprop link of test digit {index}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/backprop?digit={index}*", timeout=30_000)  # a run adds run=
    wait_for_app(page, timeout=60)
    assert page.get_by_text(f"test digit #{index}").count() >= 1
    assert not exceptions_on(page) and not page.errors
