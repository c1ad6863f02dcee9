"""Helpers for real-browser tests: serve the app with ``streamlit run`` and drive Debian's Chromium.

A plain module (not a conftest) so any browser test can import it::

    from tests.browser_support import app_in_browser, wait_for_app, watched_page

    with app_in_browser() as (browser, base_url):
        page = watched_page(browser, base_url)
        page.goto(base_url + "/train")
        wait_for_app(page)
        assert not page.errors

Never runs ``playwright install``: the browser is the system's ``/usr/bin/chromium``
(``apt-get install -y chromium``), overridable with ``$CHROMIUM``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SERVER_PIDS: dict[str, int] = {}  # base URL -> process id of the server serving it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require(condition: bool, message: str) -> None:
    """Skip a browser test locally when its stack (Playwright, Chromium, ...) is missing, but
    fail it under CI=true, where a missing browser must never pass silently."""
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def require_browser() -> None:
    """``require`` Playwright and Chromium, the two things every browser test needs."""
    require(importlib.util.find_spec("playwright") is not None, "playwright is not installed (pip install playwright)")
    require(chromium_path() is not None, "Chromium not found (apt-get install -y chromium)")


def chromium_path() -> str | None:
    """The system Chromium, or None when it is not installed."""
    candidate = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(base_url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode} before it became healthy")
        try:
            with urllib.request.urlopen(base_url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer {base_url}/_stcore/health within {timeout:.0f} s")


@contextlib.contextmanager
def streamlit_server(
    entry: str = "app.py",
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    log_path: Path | None = None,
    python: str | None = None,
    cwd: Path = PROJECT_ROOT,
) -> Iterator[str]:
    """Serve ``entry`` on a free port for the duration of the block; yields the base URL.

    ``env`` adds to the current environment (e.g. ``MNIST_MAX_JOBS``); the run store is a
    new temporary folder unless ``env`` names one in ``MNIST_RUNS_DIR``. The server's output
    goes to ``log_path`` (default: a temporary file whose tail is printed if startup fails).
    ``python`` is the interpreter that runs streamlit (default: this one; e.g. a fresh venv's).
    ``cwd`` is the checkout served (default: this one; benchmarks compare two side by side).
    The server's process id is in ``SERVER_PIDS[base_url]`` while it runs."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    full_env = {**os.environ, **(env or {})}
    own_runs_dir = not (env or {}).get("MNIST_RUNS_DIR")
    if own_runs_dir:  # runs go to a fresh folder, never the user's cache; removed afterwards
        full_env["MNIST_RUNS_DIR"] = tempfile.mkdtemp(prefix="mnist-runs-")
    log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log"
    command = [python or sys.executable, "-m", "streamlit", "run", entry, "--server.headless", "true"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]  # the code under test must not change mid-test
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                _wait_healthy(base_url, process, timeout)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{exc}\n--- server log ---\n{log_path.read_text()[-3000:]}") from None
            SERVER_PIDS[base_url] = process.pid
            yield base_url
        finally:
            SERVER_PIDS.pop(base_url, None)
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            if own_runs_dir:
                shutil.rmtree(full_env["MNIST_RUNS_DIR"], ignore_errors=True)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Headless system Chromium, with flags that keep it quiet and offline, for the block;
    closed afterwards. In a test, call ``require_browser`` first (``app_in_browser`` does)."""
    from playwright.sync_api import sync_playwright  # optional locally; CI installs it

    path = chromium_path()
    if path is None:
        raise RuntimeError("Chromium not found: apt-get install -y chromium (or set $CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def app_in_browser(**server_options: Any) -> Iterator[tuple[Any, str]]:
    """The usual start of a browser test: ``streamlit run app.py`` (``streamlit_server``'s
    options) and Chromium. Yields (browser, base URL)."""
    require_browser()
    with streamlit_server(**server_options) as base_url, chromium() as browser:
        yield browser, base_url


def watched_page(opener: Any, base_url: str, **options: Any) -> Any:
    """``opener.new_page(**options)`` (a browser, or a context of its own storage) that knows
    the app's ``base_url`` and collects the page's JavaScript errors in ``page.errors``."""
    page = opener.new_page(**options)
    page.base_url = base_url
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def script_state(page) -> str | None:
    """Streamlit's own flag for its script, on the app's root element (its end-to-end tests read
    it too): "notRunning", "running", "rerunRequested" (set the moment a widget asks for a rerun,
    before the server starts it), ...; None before the app has rendered."""
    return page.evaluate("() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState ?? null")


def wait_until_quiet(page, timeout: float = 30.0, quiet: float = 0.6) -> None:
    """Wait until the app's script has not run for ``quiet`` seconds; raise if it keeps running.

    Interact only with a quiet app: a click or a drawing sent while a script run redraws the page
    can be lost (streamlit/streamlit#156, #8365), which made tests fail on a busy CI machine."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if script_state(page) == "notRunning":
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet:
                return
        else:
            quiet_since = None
        page.wait_for_timeout(100)
    raise AssertionError(f"the app was still running after {timeout:g} s (script state {script_state(page)!r})")


def wait_for_app(page, timeout: float = 30.0) -> None:
    """Wait until the Streamlit app has rendered and its script has stopped running.

    Returns after ``timeout`` even if it has not: a live view (the Train page while a run goes)
    reruns twice a second for as long as the run lasts. Use ``wait_until_quiet`` before an
    interaction that must not be lost."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    page.wait_for_timeout(300)  # a widget's change may reach the frontend's state a moment later
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if script_state(page) == "notRunning" and page.query_selector('[data-testid="stStatusWidget"]') is None:
            page.wait_for_timeout(200)
            if script_state(page) == "notRunning":
                break
        page.wait_for_timeout(200)
    page.wait_for_timeout(300)


def open_train_page(page, base_url: str, query: str = "", timeout: float = 60.0) -> None:
    """Open the Train page (with a share link's query) and wait until it is ready to train."""
    page.goto(f"{base_url}/train?{query}", wait_until="domcontentloaded")
    page.get_by_text("press Train").first.wait_for(timeout=timeout * 1000)
    wait_for_app(page)


def press_train(page, until_progress: bool = True) -> None:
    """Press Train on a quiet page; then wait for the run's progress bar (or, for a run that ended
    at once, its new run link), unless the run may be queued. Without either, fail with what
    the sidebar says instead (refused settings, say)."""
    wait_until_quiet(page, timeout=60)
    run_before = page.evaluate("() => new URLSearchParams(location.search).get('run')")
    page.get_by_role("button", name="Train", exact=True).click()
    if not until_progress:
        return
    try:  # a short run on a busy machine can end before the live view's first look: then the link's run changes
        page.wait_for_function(
            "before => document.querySelector('[data-testid=\"stProgress\"]') !== null"
            " || new URLSearchParams(location.search).get('run') !== before",
            arg=run_before,
            timeout=60_000,
        )
    except Exception as exc:
        said = page.eval_on_selector_all(
            '[data-testid="stSidebar"] [data-testid="stAlert"], [data-testid="stException"]',
            "els => els.map(e => e.innerText.slice(0, 300))",
        )
        state = script_state(page)
        raise AssertionError(f"no progress bar, no new run 60 s after Train (script {state!r}): {said}") from exc


def main_text(page, chars: int = 400) -> str:
    """The start of what the page's main area says, for a failure message."""
    return page.get_by_test_id("stMainBlockContainer").inner_text()[:chars]


def exceptions_on(page) -> list[str]:
    """Texts of any Streamlit exception boxes on the page."""
    return page.eval_on_selector_all('[data-testid="stException"]', "els => els.map(e => e.innerText.slice(0, 500))")
