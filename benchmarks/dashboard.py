"""The dashboard as a visitor uses it: live refresh rate, training slowdown, server memory.

    python -m benchmarks.dashboard                     # this checkout, 2 pairs of runs
    python -m benchmarks.dashboard --pairs 3 --epochs 40
    python -m benchmarks.dashboard --app-dir ../other  # another checkout, for a side-by-side
    python -m benchmarks.dashboard --no-pin            # browser, server and CLI share every core

Serves ``app.py`` with ``streamlit run`` and drives it from Debian's Chromium (Playwright).
Issue 3 asks for three figures:

* **Refresh rate**: while the ``fast`` preset trains on the Train page, a MutationObserver in
  the page stamps every change of the progress bar's text; updates per second between the
  first and last change.
* **Slowdown**: the same run's samples/s as the finished page reports it, against
  ``python -m mnistcore train`` with the same settings, alternated in pairs. The server caps
  a run to one BLAS thread, so the CLI gets one too. On a machine with two or more cores the
  server and the CLI are pinned to CPU 0 and the browser to CPU 1: the page's cost to the
  run is then the server's own work (reruns, charts), not Chromium competing for the core,
  as on a host where visitors' browsers run on their own machines (``--no-pin`` measures
  them sharing the cores instead). Target <= 10%.
* **Server memory** (resident set, psutil; MB = 10**6 bytes), in the first pair: the server
  started; Home loaded MNIST; peak and median while the run trains; the run ended; Mistakes
  evaluated its model. Target < 500 MB with the data loaded and one run going.

Prints a line per figure and, with ``--json``, one JSON object last. Reports, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.browser_support import (
    SERVER_PIDS,
    chromium,
    open_train_page,
    press_train,
    streamlit_server,
    wait_for_app,
)

ROOT = Path(__file__).resolve().parents[1]
MEMORY_TARGET_MB = 500
SLOWDOWN_TARGET = 0.10
ENDED = re.compile(r"^Finished [\d,]+ steps")
ONE_BLAS_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
# Stamps each change of the progress bar's text (one per live refresh) in window.refreshes.
WATCH_PROGRESS = """() => {
    window.refreshes = [];
    let last = null;
    new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="stProgress"]');
        const text = bar ? bar.innerText : null;
        if (text && text !== last) { last = text; window.refreshes.push(performance.now()); }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


def _pin(cpu: int | None) -> None:
    """Move this process (and the children it starts from now on) to one CPU."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def _metric(page, label: str) -> float:
    value = page.locator(f'[data-testid="stMetric"]:has-text("{label}") [data-testid="stMetricValue"]')
    return float(value.first.inner_text().rstrip("%").replace(",", ""))


def page_run(page, base_url: str, epochs: int, pid: int, memory: dict[str, float] | None) -> dict[str, float]:
    """Train the fast preset on the Train page; its samples/s and refresh rate (and RSS into ``memory``)."""
    open_train_page(page, base_url, f"preset=fast&epochs={epochs}")
    page.evaluate(WATCH_PROGRESS)
    press_train(page)
    samples = []
    deadline = time.monotonic() + 600
    while page.get_by_text(ENDED).count() == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not finish within 10 minutes")
        samples.append(_rss_mb(pid))
        page.wait_for_timeout(200)
    stamps = page.evaluate("window.refreshes")
    refresh_hz = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000) if len(stamps) > 2 else float("nan")
    if memory is not None:
        memory["training_peak"], memory["training_median"] = max(samples), statistics.median(samples)
        page.wait_for_timeout(1000)
        memory["run_ended"] = _rss_mb(pid)
    return {"samples_per_second": _metric(page, "Samples per second"), "refresh_hz": refresh_hz}


def cli_run(app_dir: Path, epochs: int, cpu: int | None) -> float:
    """Samples/s of the same run from the command line, with one BLAS thread."""
    done = subprocess.run(
        [sys.executable, "-m", "mnistcore", "train", "--preset", "fast", "--epochs", str(epochs), "--json"],
        cwd=app_dir,
        env={**os.environ, **ONE_BLAS_THREAD},
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=(lambda: _pin(cpu)) if cpu is not None else None,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the CLI run failed: {done.stderr[-2000:]}")
    return float(json.loads(done.stdout.splitlines()[-1])["samples_per_second"])


def measure(app_dir: Path, epochs: int, pairs: int, pin: bool = True) -> dict:
    """Serve the app in ``app_dir``; alternate page and CLI runs; return every figure."""
    pinned = pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2
    server_cpu, browser_cpu = (0, 1) if pinned else (None, None)
    memory: dict[str, float] = {}
    page_runs, cli_rates = [], []
    own_cpus = os.sched_getaffinity(0) if pinned else None
    _pin(server_cpu)  # the server inherits it
    try:
        with streamlit_server(cwd=app_dir) as base_url:
            _pin(browser_cpu)  # this process and Chromium from here on
            pid = SERVER_PIDS[base_url]
            memory["started"] = _rss_mb(pid)
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(base_url, wait_until="domcontentloaded")
                page.get_by_text("MNIST found").first.wait_for(timeout=60_000)
                memory["data_loaded"] = _rss_mb(pid)
                for pair in range(pairs):  # page first in even pairs, CLI first in odd ones
                    for where in ("page", "cli") if pair % 2 == 0 else ("cli", "page"):
                        if where == "page":
                            page_runs.append(page_run(page, base_url, epochs, pid, memory if pair == 0 else None))
                        else:
                            cli_rates.append(cli_run(app_dir, epochs, server_cpu))
                page.get_by_test_id("stSidebarNav").get_by_text("Mistakes", exact=True).click()
                page.get_by_text("Misclassified test digits").first.wait_for(timeout=120_000)
                wait_for_app(page, timeout=60)
                memory["mistakes_open"] = _rss_mb(pid)
    finally:
        if own_cpus is not None:
            os.sched_setaffinity(0, own_cpus)
    ratios = [p["samples_per_second"] / c for p, c in zip(page_runs, cli_rates)]
    return {
        "app_dir": str(app_dir),
        "epochs": epochs,
        "pinned": pinned,
        "refresh_hz": [p["refresh_hz"] for p in page_runs],
        "page_samples_per_second": [p["samples_per_second"] for p in page_runs],
        "cli_samples_per_second": cli_rates,
        "slowdown": [1 - r for r in ratios],
        "memory_mb": memory,
    }


def report(figures: dict) -> str:
    slowdown = statistics.median(figures["slowdown"])
    memory = figures["memory_mb"]
    where = "server+CLI on CPU 0, browser on CPU 1" if figures["pinned"] else "not pinned: all share the cores"
    lines = [
        f"fast preset, {figures['epochs']} epochs, {len(figures['slowdown'])} pairs ({where})",
        "live refresh rate: " + ", ".join(f"{hz:.2f} Hz" for hz in figures["refresh_hz"]),
        "samples/s page vs CLI: "
        + ", ".join(
            f"{p:,.0f} vs {c:,.0f}"
            for p, c in zip(figures["page_samples_per_second"], figures["cli_samples_per_second"])
        ),
        f"slowdown with the page open: median {slowdown:.1%} "
        f"({', '.join(f'{s:.1%}' for s in figures['slowdown'])}); target <= {SLOWDOWN_TARGET:.0%}: "
        + ("met" if slowdown <= SLOWDOWN_TARGET else "NOT met"),
        "server RSS: " + ", ".join(f"{stage} {value:,.0f} MB" for stage, value in memory.items()),
        f"target < {MEMORY_TARGET_MB} MB with the data loaded and one run going: "
        + ("met" if memory["training_peak"] < MEMORY_TARGET_MB else "NOT met"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    parser.add_argument("--epochs", type=int, default=30, help="length of each fast run (default 30)")
    parser.add_argument("--pairs", type=int, default=2, help="page/CLI pairs, alternated (default 2)")
    parser.add_argument("--no-pin", action="store_true", help="let browser, server and CLI share every core")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = parser.parse_args(argv)
    figures = measure(args.app_dir.resolve(), args.epochs, args.pairs, pin=not args.no_pin)
    print(report(figures))
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
