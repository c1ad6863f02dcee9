"""First visitors of a fresh server (or tabs reconnecting after a restart) all at once.

Streamlit treats the ``pages/`` folder next to ``app.py`` as an old-style multipage app until
``st.navigation`` first runs in the process, so the first sessions of a fresh server may run a
page without ``app.py`` around it; ``shell.ensure_app_shell`` sends them through ``app.py``.
It once did so by raising ``st.rerun()`` in the middle of importing the shared page code (then
``pages.common``, now ``pages.ui``), and every other session importing that module at the same
moment got ``ImportError: cannot import name 'common' from 'pages'``. This test starts fresh
servers and opens every page at once, right after start, and wants each of them to show its
title inside the app shell (the app's own navigation, the sidebar's server line, the wide
layout) and no exception.

``FRESH_SERVER_TRIALS`` sets the number of fresh servers (default 4)."""

from __future__ import annotations

import os
import time

import pytest

from tests.browser_support import chromium, exceptions_on, require_browser, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TITLES = {
    "": "Watch backprop learn",
    "train": "Train",
    "mistakes": "Mistakes",
    "weights": "Weights",
    "backprop": "Backprop",
    "draw": "Draw",
}
TRIALS = int(os.environ.get("FRESH_SERVER_TRIALS", "4"))


def shell_problems(page) -> list[str]:
    """What, if anything, shows that ``page`` is not rendered inside app.py's shell."""
    problems = []
    links = page.eval_on_selector_all(
        '[data-testid="stSidebarNav"] a', "els => els.map(e => e.innerText.trim().split('\\n').pop())"
    )
    if "Home" not in links or "app" in links:  # the old mode lists the files: app, backprop, draw, ...
        problems.append(f"navigation {links}")
    if page.get_by_text("Server:").count() == 0:
        problems.append("no server line in the sidebar")
    box = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    if box is None or box["width"] < 800:  # the centred layout is at most 736 px wide
        problems.append(f"not the wide layout (main block {box and round(box['width'])} px)")
    return problems


def check_page(page, title: str, timeout: float = 120.0) -> list[str]:
    """Problems of one page: an exception, a missing title, or a page outside the shell."""
    page.locator(f'h1:has-text("{title}"), [data-testid="stException"]').first.wait_for(timeout=timeout * 1000)
    wait_for_app(page)
    deadline = time.monotonic() + 30
    while True:  # a session that started in the old mode reruns through app.py: allow it to settle
        errors = exceptions_on(page)
        if errors or "ImportError" in page.inner_text("body"):
            return [f"exception: {errors or 'ImportError in the page text'}"]
        problems = shell_problems(page)
        if page.locator("h1", has_text=title).count() == 0:
            problems.append("no title")
        if not problems or time.monotonic() > deadline:
            return problems
        page.wait_for_timeout(500)


def test_first_visitors_of_a_fresh_server_all_get_their_page_inside_the_app_shell(mnist):
    require_browser()
    results = []
    with chromium() as browser:
        for trial in range(1, TRIALS + 1):
            with streamlit_server() as base_url:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                pages = {}
                for path in TITLES:  # one tab per page, all opened within a fraction of a second
                    pages[path] = context.new_page()
                    pages[path].goto(f"{base_url}/{path}", wait_until="commit")
                failed = {}
                for path, page in pages.items():
                    try:
                        problems = check_page(page, TITLES[path])
                    except Exception as exc:  # a timeout: report it with the page's exceptions
                        problems = [f"{type(exc).__name__}: {str(exc).splitlines()[0]}; {exceptions_on(page)}"]
                    if problems:
                        failed[f"/{path}"] = problems
                context.close()
            results.append(failed)
            print(f"fresh server {trial}: {'every page fine' if not failed else failed}")
    bad = [(trial, failed) for trial, failed in enumerate(results, 1) if failed]
    assert not bad, f"{len(bad)} of {TRIALS} fresh servers had broken first pages: {bad}"
