"""The dashboard server's resident memory, as a visitor uses it (issue 3's < 500 MB target).

    python -m benchmarks.server_memory                    # this checkout
    python -m benchmarks.server_memory --app-dir ../other # another checkout, for a side-by-side

Serves ``app.py`` with ``streamlit run`` and drives it from Debian's Chromium (Playwright),
reading the server process's resident set (psutil) at each stage:

1. ``started``: the server is up; no page open yet.
2. ``data_loaded``: the Home page has loaded MNIST (``st.cache_resource``).
3. ``training``: the Train page runs the ``fast`` preset for ``--epochs`` epochs; the peak and
   median of samples taken every 0.2 s while it trains.
4. ``run_ended``: the run finished and its model is the session's current model.
5. ``mistakes_open``: the Mistakes page has evaluated that model on the 10k test digits.

Prints one line per stage and, with ``--json``, a JSON object last. MB here is 10**6 bytes.
Measures only: the target is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

from tests.browser_support import SERVER_PIDS, launch_browser, streamlit_server, wait_for_app

TARGET_MB = 500
ENDED = re.compile(r"^Finished [\d,]+ steps")


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


def measure(app_dir: Path, epochs: int) -> dict[str, float]:
    """Serve the app in ``app_dir`` and return the server's RSS (MB) at each stage."""
    figures: dict[str, float] = {}
    with streamlit_server(cwd=app_dir) as base_url, sync_playwright() as playwright:
        pid = SERVER_PIDS[base_url]
        figures["started"] = _rss_mb(pid)
        browser = launch_browser(playwright)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(base_url, wait_until="domcontentloaded")
        page.get_by_text("MNIST found").first.wait_for(timeout=60_000)
        figures["data_loaded"] = _rss_mb(pid)

        page.goto(f"{base_url}/train?preset=fast&epochs={epochs}", wait_until="domcontentloaded")
        wait_for_app(page, timeout=60)
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
        samples = []
        deadline = time.monotonic() + 600
        while page.get_by_text(ENDED).count() == 0:
            if time.monotonic() > deadline:
                raise TimeoutError("the run did not finish within 10 minutes")
            samples.append(_rss_mb(pid))
            page.wait_for_timeout(200)
        figures["training_peak"] = max(samples)
        figures["training_median"] = statistics.median(samples)
        figures["training_samples"] = len(samples)
        page.wait_for_timeout(1000)
        figures["run_ended"] = _rss_mb(pid)

        page.get_by_test_id("stSidebarNav").get_by_text("Mistakes", exact=True).click()
        page.get_by_text("Misclassified test digits").first.wait_for(timeout=120_000)
        wait_for_app(page, timeout=60)
        figures["mistakes_open"] = _rss_mb(pid)
        browser.close()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--epochs", type=int, default=8, help="length of the fast run (default 8)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = parser.parse_args(argv)
    figures = measure(args.app_dir.resolve(), args.epochs)
    for stage, value in figures.items():
        print(f"{stage:>16}: {value:,.0f}" + ("" if stage == "training_samples" else " MB"))
    verdict = "met" if figures["training_peak"] < TARGET_MB else "NOT met"
    print(f"target: < {TARGET_MB} MB with the data loaded and one run going: {verdict}")
    if args.json:
        print(json.dumps({"app_dir": str(args.app_dir), **figures}))


if __name__ == "__main__":
    main()
