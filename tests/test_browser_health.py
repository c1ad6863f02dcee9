"""The Health tab in Debian's Chromium: a short run of the "deep sigmoid" preset, the Health
tab beside the curves, its four charts and the vanishing-gradient reading, the lesson with
its fix one click away; and the same on a phone-sized screen."""

from __future__ import annotations

import pytest

from tests.browser_support import (
    app_in_browser,
    exceptions_on,
    open_train_page,
    press_train,
    wait_for_app,
    watched_page,
)

pytestmark = pytest.mark.browser


def open_health_tab(page) -> None:
    """Once the run's live view is up, click its Health tab and wait for the vanishing-gradient reading."""
    page.get_by_text("Horizontal axis").first.wait_for(timeout=60_000)  # the run's view, not the current model's
    wait_for_app(page)
    one_health_tab = (
        "() => [...document.querySelectorAll('[role=tab]')].filter(t => t.innerText === 'Health').length === 1"
    )
    page.wait_for_function(one_health_tab, timeout=30_000)  # the current model's tabs, replaced by the run's
    page.get_by_role("tab", name="Health").click()
    page.get_by_text("smaller than layer 5's: the sigmoid's slope").first.wait_for(timeout=60_000)
    wait_for_app(page)


def test_the_deep_sigmoid_preset_shows_vanishing_gradients_in_the_health_tab(mnist):
    with app_in_browser() as (browser, base_url):
        page = watched_page(browser, base_url, viewport={"width": 1400, "height": 1400})
        open_train_page(page, base_url, "preset=deep-sigmoid&steps=300")
        press_train(page, until_progress=False)  # a short run may end before its progress bar is seen
        open_health_tab(page)  # live, or ended: the tab is the same
        panel = page.get_by_role("tabpanel")
        for title in ("Gradient size per layer", "Step size ÷ weight size", "Saturated outputs"):
            panel.locator(".vega-embed").first.wait_for(timeout=30_000)
            assert page.locator("svg text, canvas").count() > 0, title
        assert panel.locator(".vega-embed").count() == 4
        reading = panel.get_by_text("Layer 1's gradients are").first.inner_text()  # under the gradient chart
        print("reading:", reading)
        assert "smaller than layer 5's: the sigmoid's slope" in reading
        assert page.get_by_text("four sigmoid layers shrink the gradient").first.is_visible()  # the lesson
        before = page.url
        page.get_by_role("button", name="Fix it: ReLU with He init").last.click()
        page.wait_for_function("before => location.href !== before", arg=before, timeout=30_000)
        print("fixed link:", page.url)  # the fix reached the settings and the share link
        assert "deep-sigmoid" not in page.url and "steps=300" in page.url
        assert not exceptions_on(page) and not page.errors

        phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
        open_train_page(phone, base_url, "preset=deep-sigmoid&steps=120")
        phone.locator('[data-testid="stExpandSidebarButton"]').tap()  # the settings are in the sidebar
        phone.get_by_role("button", name="Train", exact=True).tap()
        open_health_tab(phone)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the Health tab scrolls sideways on a phone ({width} px)"
        assert not exceptions_on(phone)
