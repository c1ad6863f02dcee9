"""The dashboard on a phone-sized screen (390 x 844), in Debian's Chromium: the sidebar closes
once the visitor has moved on (a page link tapped in it, Train pressed), whatever the browser
calls itself; on a wide screen it stays open. Issue #13, item 3."""

from __future__ import annotations

import pytest

from tests.browser_support import (
    app_in_browser,
    exceptions_on,
    open_train_page,
    streamlit_server,
    wait_for_app,
    watched_page,
)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def server(mnist):
    with app_in_browser() as browser_and_url:
        yield browser_and_url


def new_page(server, viewport):
    """A fresh browser context (its own storage, so no remembered sidebar) with touch."""
    browser, base_url = server
    return watched_page(browser.new_context(viewport=viewport, has_touch=True), base_url)


def sidebar_open(page) -> bool:
    """Whether the sidebar is open: Streamlit's own flag, checked against where it is drawn."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    collapsed = sidebar.get_attribute("data-collapsed") == "true"
    box = sidebar.bounding_box()
    on_screen = box is not None and box["x"] + box["width"] > 10
    assert collapsed != on_screen, f"data-collapsed={collapsed} but the box is {box}"
    return not collapsed


def wait_for_sidebar(page, open_: bool, timeout: float = 10.0) -> None:
    page.wait_for_function(
        f"""() => document.querySelector('[data-testid="stSidebar"]')
                  ?.getAttribute('data-collapsed') === '{"false" if open_ else "true"}'""",
        timeout=timeout * 1000,
    )
    page.wait_for_timeout(400)  # the slide animation
    assert sidebar_open(page) == open_


def open_sidebar(page) -> None:
    if not sidebar_open(page):
        page.locator('[data-testid="stExpandSidebarButton"]').tap()
        wait_for_sidebar(page, True)


def tap_page_link(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).tap()
    page.wait_for_url(f"**/{title.lower()}*", timeout=30_000)
    wait_for_app(page)


def test_on_a_phone_the_sidebar_closes_after_a_page_link_and_after_train(server):
    page = new_page(server, PHONE)
    page.goto(page.base_url + "/")
    wait_for_app(page)
    assert not sidebar_open(page)  # a phone starts with the page, not the sidebar

    open_sidebar(page)
    tap_page_link(page, "Draw")
    wait_for_sidebar(page, False)
    assert page.locator('[data-testid="stExpandSidebarButton"]').get_attribute("aria-expanded") == "false"

    open_sidebar(page)
    tap_page_link(page, "Train")
    wait_for_sidebar(page, False)

    # Settings are in the sidebar: open it, press Train, and the live view is what shows.
    open_train_page(page, page.base_url, "preset=fast&epochs=100")
    open_sidebar(page)
    page.get_by_role("button", name="Train", exact=True).tap()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    wait_for_sidebar(page, False)
    assert page.locator('[data-testid="stProgress"]').is_visible()

    # Working in the sidebar is not moving on: it stays open for the next setting.
    open_sidebar(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Preset").first.tap()
    page.get_by_role("option", name="seed", exact=True).tap()
    page.wait_for_url("**preset=seed*", timeout=30_000)  # the settings changed: a rerun
    wait_for_app(page)
    assert sidebar_open(page)
    page.locator('[data-testid="stSidebarCollapseButton"] button').tap()
    wait_for_sidebar(page, False)
    page.get_by_role("button", name="Stop").tap()
    page.get_by_text("Stopped at step").wait_for(timeout=30_000)
    assert not exceptions_on(page) and not page.errors
    page.context.close()


def test_on_a_wide_screen_the_sidebar_stays_open(server):
    page = new_page(server, WIDE)
    page.goto(page.base_url + "/")
    wait_for_app(page)
    assert sidebar_open(page)
    tap_page_link(page, "Mistakes")
    page.wait_for_timeout(1000)
    assert sidebar_open(page)
    page.context.close()


def test_on_a_phone_the_offline_message_shows_every_line_and_no_empty_download_bar(server, tmp_path, monkeypatch):
    """No MNIST anywhere and no network (every mirror refused at once through a dead proxy):
    Home shows why and the fix, wrapped to the screen, without the download's empty bar."""
    browser, _ = server  # its browser; this test serves the app without data
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    dead = "http://127.0.0.1:9"
    env = {"XDG_CACHE_HOME": str(tmp_path), "https_proxy": dead, "http_proxy": dead, "HTTPS_PROXY": dead}
    with streamlit_server(env=env) as base_url:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(base_url + "/")
        alert = page.locator('[data-testid="stAlert"]', has_text="The MNIST data is not available")
        alert.wait_for(timeout=90_000)
        wait_for_app(page)
        alert.scroll_into_view_if_needed()
        assert "could not download MNIST" in alert.inner_text()
        fix = alert.get_by_text("MNIST_DATA_DIR=/path/to/that/directory", exact=False)
        fix.scroll_into_view_if_needed()
        box, screen = fix.bounding_box(), page.viewport_size
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= screen["width"]
        overflowing = alert.evaluate(
            "a => [a, ...a.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName)"
        )
        assert overflowing == [], f"parts of the message scroll sideways: {overflowing}"
        assert page.locator('[data-testid="stProgress"]').count() == 0
        context.close()


def test_home_cards_are_links_all_over_and_the_diagram_labels_never_overlap_on_a_phone(server):
    page = new_page(server, PHONE)
    page.goto(page.base_url + "/")
    wait_for_app(page)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stVegaLiteChart"] svg text') !== null""", timeout=30_000
    )
    page.wait_for_timeout(500)
    boxes = page.eval_on_selector(
        '[data-testid="stVegaLiteChart"]',
        """chart => [...chart.querySelectorAll('svg text')].filter(t => t.textContent.trim()).map(t => {
               const r = t.getBoundingClientRect();
               return {text: t.textContent, x: r.x, y: r.y, right: r.right, bottom: r.bottom};
           })""",
    )
    assert len(boxes) >= 15  # titles, details, weight counts, digits

    def overlap(a, b) -> bool:
        wide = min(a["right"], b["right"]) - max(a["x"], b["x"])
        high = min(a["bottom"], b["bottom"]) - max(a["y"], b["y"])
        return wide > 1 and high > 1

    overlaps = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if overlap(a, b)]
    assert overlaps == [], f"labels of the network diagram overlap at {PHONE['width']} px: {overlaps}"
    screen = page.viewport_size["width"]
    assert all(0 <= box["x"] and box["right"] <= screen for box in boxes), "a label runs off the screen"

    # A card is a link all over, not only its title: tap its description.
    blurb = page.get_by_text("What each hidden unit looks for")
    blurb.scroll_into_view_if_needed()
    box = blurb.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/weights*", timeout=30_000)
    page.context.close()
