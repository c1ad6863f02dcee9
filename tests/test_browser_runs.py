"""Real-browser test of runs that last (issue #15): Chromium trains ``fast`` for a few steps,
reloads the tab and finds the same model and curve; then the "Share this trained network"
link, opened in a fresh browser context (another person), shows the same test accuracy on
Mistakes and the same prediction for the same drawn digit on Draw, with the shared-run line."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from tests.browser_support import app_in_browser, exceptions_on, open_train_page, press_train
from tests.test_browser_draw import DIGIT_STROKES, PROMPT, draw, place_strokes, read_prediction, wait_until_idle

pytestmark = pytest.mark.browser
ENDED = re.compile(r"Finished [\d,]+ steps|Stopped at step")


def metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text=label).first
    metric.wait_for(state="visible", timeout=60_000)
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def run_in_url(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def settle(page) -> None:
    wait_until_idle(page, timeout=60)


def mistakes_accuracy(page, base_url: str, query: str) -> str:
    page.goto(f"{base_url}/mistakes?{query}")
    value = metric_value(page, "Test accuracy")
    settle(page)
    return metric_value(page, "Test accuracy") or value


def drawn_prediction(page, base_url: str, query: str) -> str:
    page.goto(f"{base_url}/draw?{query}")
    page.get_by_text(PROMPT).first.wait_for(state="visible", timeout=60_000)
    settle(page)
    draw(page, place_strokes(DIGIT_STROKES[3][0], np.random.default_rng(15)))
    settle(page)
    return read_prediction(page)


def test_reload_keeps_the_model_and_a_share_link_opens_it_elsewhere(mnist):
    with app_in_browser() as (browser, base_url):
        mine = browser.new_context(viewport={"width": 1400, "height": 1400})
        page = mine.new_page()
        open_train_page(page, base_url, "preset=fast&steps=150&eval_every=50")
        press_train(page)
        page.get_by_text(ENDED).first.wait_for(timeout=120_000)
        settle(page)
        query = run_in_url(page)
        assert "run" in query and "runs" in query, page.url
        run_id = query["run"][0]
        trained_accuracy = metric_value(page, "Test accuracy")
        share = page.locator("code", has_text=f"run={run_id}").first.inner_text().strip()
        assert share.endswith(f"/train?run={run_id}"), share
        print(f"trained run {run_id}: test accuracy {trained_accuracy}")

        page.reload()
        page.get_by_text("how the current model").first.wait_for(timeout=60_000)  # its curves again
        settle(page)
        assert run_in_url(page)["run"] == [run_id]
        assert len(page.locator('[data-testid="stVegaLiteChart"]').all()) >= 2  # accuracy and loss
        compared = page.locator('[data-testid="stMultiSelect"]', has_text="Runs to compare").first
        assert "#1 custom" in compared.inner_text()  # Compare runs lists the run again
        assert page.get_by_text("Shared run").count() == 0  # the browser's own run
        assert not exceptions_on(page)

        link_query = urlparse(share).query
        my_accuracy = mistakes_accuracy(page, base_url, link_query)
        assert my_accuracy == trained_accuracy
        my_digit = drawn_prediction(page, base_url, link_query)

        other = browser.new_context(viewport={"width": 1400, "height": 1400})  # another person
        theirs = other.new_page()
        theirs.goto(share)
        theirs.get_by_text("Shared run").first.wait_for(timeout=60_000)
        assert mistakes_accuracy(theirs, base_url, link_query) == my_accuracy
        assert theirs.get_by_text("Shared run").count() >= 1
        their_digit = drawn_prediction(theirs, base_url, link_query)
        print(f"the drawn 3 is read as {my_digit} by both")
        assert their_digit == my_digit
        assert not exceptions_on(theirs) and not exceptions_on(page)
