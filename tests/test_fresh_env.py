"""The README's set-up, proved: a virtual environment with ONLY ``requirements.txt`` installed
serves every page without an exception.

CI makes that environment (``.ci/run``: ``python3 -m venv .venv-fresh`` and
``pip install -r requirements.txt``) and points ``FRESH_VENV_PYTHON`` at its interpreter; the
server runs on it while this (dev) environment's Playwright drives Chromium. Without
``FRESH_VENV_PYTHON`` the test skips locally and fails under ``CI=true``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.browser_support import (
    PROJECT_ROOT,
    app_in_browser,
    exceptions_on,
    require,
    wait_for_app,
    watched_page,
)

pytestmark = pytest.mark.browser
PAGES = ["Home", "Train", "Mistakes", "Weights", "Backprop", "Draw"]
DEV_ONLY = ["pytest", "playwright", "psutil", "ruff", "mypy"]  # must not be what makes the app work


@pytest.fixture(scope="module")
def fresh_python(mnist) -> str:
    python = os.environ.get("FRESH_VENV_PYTHON", "")
    require(bool(python), "FRESH_VENV_PYTHON is not set (a venv with only requirements.txt installed)")
    require(Path(python).exists(), f"FRESH_VENV_PYTHON={python} does not exist")
    return python


def test_the_fresh_environment_has_only_the_apps_requirements(fresh_python):
    check = "import importlib.util as u, sys; print(' '.join(m for m in sys.argv[1:] if u.find_spec(m)))"
    found = subprocess.run(
        [fresh_python, "-c", check, *DEV_ONLY], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    ).stdout.split()
    assert found == [], f"the fresh environment has development packages: {found}"
    version = subprocess.run(
        [fresh_python, "-c", "import streamlit, numpy; print(streamlit.__version__, numpy.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip()


def test_every_page_loads_on_a_server_from_the_fresh_environment(fresh_python):
    with app_in_browser(python=fresh_python) as (browser, base_url):
        page = watched_page(browser, base_url, viewport={"width": 1400, "height": 1000})
        page.goto(base_url, wait_until="domcontentloaded")
        wait_for_app(page, timeout=60)
        for name in PAGES:
            page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
            wait_for_app(page, timeout=60)
            page.locator("h1").first.wait_for(timeout=60_000)
            assert not exceptions_on(page), f"{name}: {exceptions_on(page)}"
            assert not page.errors, f"{name}: {page.errors}"
