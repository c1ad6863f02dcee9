"""A run that stopped learning, in Debian's Chromium: ``fast`` at learning rate 10 ends with a
red 'stopped learning' box and the loss chart, the sidebar keeps the current model, and
'Use it anyway' (a button inside the live view's fragment) updates the whole page, sidebar
included; a smaller learning rate is one click away and reaches the sidebar's settings."""

from __future__ import annotations

import pytest

from tests.browser_support import app_in_browser, exceptions_on, open_train_page, wait_for_app, watched_page

pytestmark = pytest.mark.browser


def sidebar_model_line(page) -> str:
    return page.locator('[data-testid="stSidebar"] p', has_text="Current model:").inner_text()


def test_a_collapsed_run_is_not_announced_as_a_success(mnist):
    with app_in_browser() as (browser, base_url):
        page = watched_page(browser, base_url, viewport={"width": 1400, "height": 1400})
        open_train_page(page, base_url, "preset=fast&lr=10")
        before = sidebar_model_line(page)
        page.get_by_role("button", name="Train", exact=True).click()
        alert = page.locator('[data-testid="stAlertContentError"]', has_text="The network stopped learning")
        alert.wait_for(timeout=120_000)
        wait_for_app(page)
        assert "hardly better than guessing (10%)" in alert.inner_text()
        assert page.get_by_text("The loss chart below shows it.").is_visible()
        assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 0
        assert sidebar_model_line(page) == before  # the current model is unchanged

        page.get_by_role("button", name="Use it anyway").click()
        page.get_by_text("You chose to use this network anyway").wait_for(timeout=30_000)
        page.wait_for_function(
            """before => [...document.querySelectorAll('[data-testid="stSidebar"] p')]
                 .some(p => p.innerText.startsWith('Current model:') && p.innerText !== before)""",
            arg=before,
            timeout=30_000,
        )
        assert "test accuracy 1" in sidebar_model_line(page)  # about 11%: the collapsed network

        page.get_by_role("button", name="Use learning rate 1 instead").click()
        page.wait_for_url(lambda url: "lr=1&" in url or url.endswith("lr=1"), timeout=30_000)  # not lr=10
        assert not exceptions_on(page) and not page.errors
