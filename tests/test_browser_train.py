"""Real-browser test of the dashboard: ``streamlit run app.py`` driven by Debian's Chromium.

Opens the Train page from a share link for the ``fast`` preset, presses Train, watches the
live Altair charts appear and the step counter grow while the run goes on, waits for the
final test accuracy (>= 97%), downloads the model, refuses a bad upload and accepts a real
model file, then visits every page and checks that none shows an exception or a JavaScript
error, and clicks a confusion-matrix cell on Mistakes to filter its gallery."""

from __future__ import annotations

import re
import time

import pytest

from mnistcore.engine.model import TrainedModel
from mnistcore.engine.presets import PRESETS
from pages.ui.resources import DEFAULT_MODEL_PATH
from tests.browser_support import (
    app_in_browser,
    exceptions_on,
    open_train_page,
    press_train,
    wait_for_app,
    watched_page,
)

pytestmark = pytest.mark.browser
PAGES = ["Home", "Train", "Mistakes", "Weights", "Backprop", "Draw"]
STEP_TEXT = re.compile(r"(?:Step|Paused at) ([\d,]+) of ([\d,]+)")


@pytest.fixture(scope="module")
def browser_page(mnist):
    """A Chromium page on a fresh ``streamlit run app.py``; collects JavaScript errors."""
    with app_in_browser() as (browser, base_url):
        yield watched_page(browser, base_url, viewport={"width": 1400, "height": 1400})


def progress_step(page) -> int | None:
    bar = page.query_selector('[data-testid="stProgress"]')
    match = STEP_TEXT.search(bar.inner_text()) if bar else None
    return int(match.group(1).replace(",", "")) if match else None


def metric_value(page, label: str) -> str | None:
    for metric in page.query_selector_all('[data-testid="stMetric"]'):
        if metric.query_selector(f'[data-testid="stMetricLabel"]:has-text("{label}")'):
            return metric.query_selector('[data-testid="stMetricValue"]').inner_text()
    return None


def open_train(page, query: str) -> None:
    open_train_page(page, page.base_url, query)
    press_train(page)


def wait_for_step(page, condition, timeout: float = 60.0) -> int:
    """Poll the progress text until ``condition(step)`` holds; returns that step."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        step = progress_step(page)
        if step is not None and condition(step):
            return step
        page.wait_for_timeout(100)
    raise AssertionError(f"progress never satisfied the condition (last text: {progress_step(page)})")


def test_the_live_view_grows_and_the_run_pauses_resumes_and_stops(browser_page):
    page = browser_page
    open_train(page, "preset=fast&epochs=100")  # long enough to be watched, then stopped
    first = wait_for_step(page, lambda step: step > 0)
    # Accuracy and loss, drawn live (vega-embed renders a canvas or an svg in each).
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .filter(chart => chart.querySelector('canvas, svg')).length >= 2""",
        timeout=30_000,
    )
    grown = wait_for_step(page, lambda step: step > first, timeout=30)
    assert grown > first

    page.get_by_role("button", name="Pause").click()
    page.get_by_text("Paused at").wait_for(timeout=30_000)
    page.wait_for_timeout(700)  # the step in flight when Pause was pressed completes first
    held = progress_step(page)
    page.wait_for_timeout(1500)  # three refreshes
    assert progress_step(page) == held, "a paused run went on training"
    page.get_by_role("button", name="Resume").click()
    wait_for_step(page, lambda step: step > held, timeout=30)

    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()  # not the header's
    page.get_by_text("Stopped at step").wait_for(timeout=30_000)
    assert metric_value(page, "Test accuracy") is not None  # a stopped run's network is still measured
    assert not exceptions_on(page) and not page.errors


def test_the_fast_preset_reaches_97_percent_in_the_browser(browser_page):
    page = browser_page
    open_train(page, "preset=fast")
    page.wait_for_selector('[data-testid="stMetricLabel"]:has-text("Test accuracy")', timeout=240_000)
    accuracy = float(metric_value(page, "Test accuracy").rstrip("%"))
    assert accuracy >= 97.0, f"fast preset reached only {accuracy}% test accuracy"
    assert page.get_by_text(f"Finished {PRESETS['fast'].total_steps():,} steps").count() == 1
    assert page.get_by_text(re.compile(r"^#1 fast$")).count() >= 1  # the run joined the session's run history
    assert not exceptions_on(page) and not page.errors


def test_the_model_downloads_and_uploads_are_validated(browser_page, tmp_path):
    page = browser_page
    page.goto(page.base_url + "/train", wait_until="domcontentloaded")
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model (.npz)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert re.fullmatch(r"mnist-[a-z-]+(-\d+\.\d)?\.npz", saved.name)
    assert TrainedModel.load(saved).test_accuracy is not None  # a real checkpoint of the current model

    bad = tmp_path / "not-a-model.npz"
    bad.write_bytes(b"this is not a NumPy archive")
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.set_input_files(str(bad))
    page.get_by_text("Refused not-a-model.npz").wait_for(timeout=30_000)
    assert page.get_by_text("Your current model is unchanged").count() == 1
    uploader.set_input_files(str(DEFAULT_MODEL_PATH))
    page.get_by_text("Loaded default.npz").wait_for(timeout=30_000)
    assert not exceptions_on(page) and not page.errors


def test_every_page_renders_without_an_exception(browser_page):
    page = browser_page
    page.goto(page.base_url, wait_until="domcontentloaded")
    wait_for_app(page)
    for name in PAGES:
        page.errors.clear()
        page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
        wait_for_app(page, timeout=60)
        page.wait_for_timeout(1000)
        assert not exceptions_on(page), f"{name}: {exceptions_on(page)}"
        assert not page.errors, f"{name}: {page.errors}"
        assert page.locator("h1").count() >= 1, f"{name} shows no title"


CELL_LABEL = re.compile(r"Predicted digit: (\d); True digit: (\d); count: (\d+)")


def test_clicking_a_confusion_cell_filters_the_mistakes(browser_page):
    """The Vega selection reaches the page: a click on a mistake cell sets both digit filters."""
    page = browser_page
    page.goto(f"{page.base_url}/mistakes", wait_until="domcontentloaded")
    wait_for_app(page, timeout=60)
    cells = page.locator('[data-testid="stVegaLiteChart"] path[aria-roledescription="rect mark"]')
    cells.first.wait_for(timeout=30_000)
    labels = [CELL_LABEL.match(label or "") for label in cells.evaluate_all("els => els.map(e => e.ariaLabel)")]
    # The cell with the most mistakes (the first layer's 100 cells; the click layer above repeats them).
    mistakes = [(int(m[3]), int(m[2]), int(m[1]), i) for i, m in enumerate(labels) if m and m[1] != m[2]]
    count, true, predicted, index = max(mistakes)
    box = cells.nth(index).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    summary = page.get_by_text(re.compile(r"mistakes? for true digit"))
    summary.first.wait_for(timeout=30_000)
    assert summary.first.inner_text().startswith(f"{count:,} mistake")
    assert f"true digit {true}, predicted as {predicted}" in summary.first.inner_text()
    assert not exceptions_on(page) and not page.errors
