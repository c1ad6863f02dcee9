"""Real-browser test of the Backprop page: a mistake opened from the Mistakes page, three SGD
steps on it, and the loss on that digit falling each time."""

from __future__ import annotations

import re

import pytest

from tests.browser_support import app_in_browser, exceptions_on, wait_for_app, watched_page

pytestmark = pytest.mark.browser


def loss_on_this_digit(page) -> float:
    metric = page.locator('[data-testid="stMetric"]', has_text="Loss on this digit")
    return float(metric.locator('[data-testid="stMetricValue"]').inner_text())


def test_a_mistake_opened_on_the_backprop_page_learns_from_three_steps(mnist):
    with app_in_browser() as (browser, base_url):
        page = watched_page(browser, base_url, viewport={"width": 1400, "height": 1200})
        page.goto(f"{base_url}/mistakes", wait_until="domcontentloaded")
        page.get_by_text("Misclassified test digits").wait_for(timeout=120_000)
        wait_for_app(page)
        link = page.locator('a[href*="digit="]', has_text="Backprop").first  # under the first mistake
        digit = re.search(r"digit=(\d+)", link.get_attribute("href") or "").group(1)
        link.click()
        page.get_by_text("Loss on this digit").wait_for(timeout=60_000)
        wait_for_app(page)
        assert re.search(rf"digit={digit}\b", page.url)
        assert page.get_by_text(f"test digit #{digit}").count() > 0
        losses = [loss_on_this_digit(page)]
        for _ in range(3):
            page.get_by_role("button", name="Take one SGD step").click()
            page.wait_for_function(
                "previous => [...document.querySelectorAll('[data-testid=stMetric]')]"
                ".some(m => m.innerText.includes('Loss on this digit') && !m.innerText.includes(previous))",
                arg=page.locator('[data-testid="stMetric"]', has_text="Loss on this digit")
                .locator('[data-testid="stMetricValue"]')
                .inner_text(),
                timeout=30_000,
            )
            wait_for_app(page)
            losses.append(loss_on_this_digit(page))
        assert losses[3] < losses[2] < losses[1] < losses[0], losses
        assert not exceptions_on(page) and not page.errors
