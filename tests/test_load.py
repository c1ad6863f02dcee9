"""Many visitors on one server: ``streamlit run app.py`` with ``MNIST_MAX_JOBS=2`` and several
Chromium contexts (separate browser sessions, as separate visitors would be).

* A closed tab stops its run: a session starts a long run, goes to another page and back
  (the run must survive that), then its context is closed; another visitor's sidebar, which
  shows the server's job counts, must drop them (the watchdog's grace is 2 s; the test allows
  30 s, far less than the run's minutes, and prints how long it took). The same for a queued run.
* Load: five sessions open the Train page from five different share links. Two start long
  runs; the other three press Train while those hold both slots, so they must see "Queued:
  place 1", "2" and "3" (made deterministic this way: short runs on an idle machine end
  before a queue can be seen). The server's resident memory with the data, 2 runs training
  and 3 queued is measured. The two long runs are then stopped (a stopped run keeps its
  network and measures it), the queued ones start, train and finish; every page must end
  with > 80% test accuracy and show only its own settings and run; memory stays < 1 GB.

Prints its measurements (``pytest -s`` shows them), e.g. for the issue's closing note."""

from __future__ import annotations

import re
import time

import pytest

try:
    import psutil
except ImportError:  # a dev requirement; CI installs it
    psutil = None

from tests.browser_support import (
    SERVER_PIDS,
    app_in_browser,
    exceptions_on,
    main_text,
    press_train,
    require,
    wait_for_app,
    watched_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MAX_JOBS = 2
SERVER_TEXT = re.compile(r"Server: (\d+) runs? training, (\d+) queued")
QUEUED_TEXT = re.compile(r"Queued: place (\d+)")
# A closed tab's run would otherwise train for minutes. The figure itself (about 3-5 s: the
# watchdog's 2 s grace plus Streamlit noticing the socket closed) is printed, not asserted:
# a loaded CI machine must not turn a timing into a failure.
STOP_WITHIN_SECONDS = 30.0
MAX_RSS_BYTES = 1_000_000_000  # a common free-hosting limit
# Five visitors, five different runs (hidden units, seed, steps). The first MAX_JOBS are long
# (stopped by the test), the rest short. Distinct sizes, seeds and lengths let each page prove
# that what it shows is its own run.
VISITORS = [(48, 1, 20_000), (64, 2, 20_020), (80, 3, 1540), (96, 4, 1560), (112, 5, 1580)]
MIN_STEPS_BEFORE_STOP = 600  # enough for > 80% test accuracy
# A long run not ended this long after its Stop (once in CI it went on, unseen: the press was
# lost or the view stuck) gets Stop again, as a visitor would; the test prints the page then.
STOP_AGAIN_AFTER = 30.0


@pytest.fixture(scope="module")
def server(mnist):
    """(browser, base URL, server pid) for one server shared by this module's tests."""
    require(psutil is not None, "psutil is not installed (pip install psutil)")
    env = {"MNIST_MAX_JOBS": str(MAX_JOBS), "MNIST_MAX_RUN_SECONDS": "300"}
    with app_in_browser(env=env) as (browser, base_url):
        yield browser, base_url, SERVER_PIDS[base_url]


def new_page(browser, base_url: str, path: str = ""):
    page = watched_page(browser.new_context(viewport={"width": 1200, "height": 900}), base_url)
    page.goto(f"{base_url}/{path}", wait_until="domcontentloaded")
    wait_for_app(page, timeout=60)
    return page


def server_counts(observer) -> tuple[int, int]:
    """(runs training, runs queued) as another visitor's sidebar shows them, freshly loaded."""
    observer.reload(wait_until="domcontentloaded")
    caption = observer.get_by_text(SERVER_TEXT).first
    caption.wait_for(timeout=30_000)
    running, queued = SERVER_TEXT.search(caption.inner_text()).groups()
    return int(running), int(queued)


def wait_for_counts(observer, expected: tuple[int, int], timeout: float) -> float:
    """Seconds until the observer sees ``expected`` (raises after ``timeout``)."""
    start = time.monotonic()
    seen = None
    while time.monotonic() - start < timeout:
        seen = server_counts(observer)
        if seen == expected:
            return time.monotonic() - start
    raise AssertionError(f"the server still reports {seen} (running, queued), expected {expected}")


def open_and_train(browser, base_url: str, query: str):
    page = new_page(browser, base_url, f"train?{query}")
    page.get_by_text("press Train").first.wait_for(timeout=60_000)
    press_train(page, until_progress=False)  # the third of them is queued
    return page


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def test_a_closed_tab_stops_its_run_and_a_page_switch_does_not(server):
    browser, base_url, _ = server
    observer = new_page(browser, base_url)
    long_run = "preset=fast&epochs=50"
    first = open_and_train(browser, base_url, long_run)
    first.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    # Another page and back: the session stays connected, so the run goes on.
    first.get_by_test_id("stSidebarNav").get_by_text("Home", exact=True).click()
    first.get_by_text("A training run is going on").wait_for(timeout=30_000)
    first.wait_for_timeout(4000)  # longer than the watchdog's check interval plus grace period
    assert server_counts(observer) == (1, 0)
    first.get_by_test_id("stSidebarNav").get_by_text("Train", exact=True).click()
    first.wait_for_selector('[data-testid="stProgress"]', timeout=30_000)

    second = open_and_train(browser, base_url, long_run + "&seed=2")
    third = open_and_train(browser, base_url, long_run + "&seed=3")
    third.get_by_text(QUEUED_TEXT).wait_for(timeout=30_000)
    assert server_counts(observer) == (2, 1)
    assert not exceptions_on(first) and not first.errors

    closed_at = time.monotonic()
    first.context.close()  # a running job
    third.context.close()  # a queued job
    wait_for_counts(observer, (1, 0), timeout=STOP_WITHIN_SECONDS)
    took = time.monotonic() - closed_at
    print(f"\nclosed tabs (1 running + 1 queued): the server reported them gone after {took:.1f} s")
    closed_at = time.monotonic()
    second.context.close()
    wait_for_counts(observer, (0, 0), timeout=STOP_WITHIN_SECONDS)
    took = time.monotonic() - closed_at
    print(f"closed tab (running): the server reported it gone after {took:.1f} s")
    observer.context.close()


def ended_run(page) -> dict[str, object] | None:
    """The ended run as the page shows it ({'text', 'accuracy'}), or None while it runs."""
    ended = page.get_by_text(re.compile(r"^(Finished [\d,]+ steps|Stopped at step [\d,]+ of [\d,]+)"))
    accuracy = page.locator('[data-testid="stMetric"]:has-text("Test accuracy") [data-testid="stMetricValue"]')
    if ended.count() == 0 or accuracy.count() == 0:
        return None
    return {"text": ended.first.inner_text(), "accuracy": float(accuracy.first.inner_text().rstrip("%"))}


def stop_button(page):
    """The run's Stop, not Streamlit's own (the header shows one while a slow rerun is going on)."""
    return page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop")


def progress_step(page) -> int:
    bar = page.locator('[data-testid="stProgress"]')
    match = re.search(r"Step ([\d,]+) of", bar.first.inner_text()) if bar.count() else None
    return int(match.group(1).replace(",", "")) if match else 0


def test_five_visitors_train_at_once_queue_over_the_limit_and_see_only_their_own_run(server):
    browser, base_url, pid = server
    observer = new_page(browser, base_url)
    pages = []
    for hidden, seed, steps in VISITORS:
        page = new_page(browser, base_url, f"train?preset=fast&hidden={hidden}&seed={seed}&steps={steps}")
        page.get_by_text("press Train").first.wait_for(timeout=60_000)
        pages.append(page)
    rss_open = rss(pid)  # the data loaded, five sessions open, nothing training
    started = time.monotonic()

    for page in pages[:MAX_JOBS]:  # the long runs take both slots
        press_train(page)
    for place, page in enumerate(pages[MAX_JOBS:], start=1):
        press_train(page, until_progress=False)
        page.get_by_text(f"Queued: place {place}.").wait_for(timeout=30_000)
    assert server_counts(observer) == (MAX_JOBS, len(pages) - MAX_JOBS)
    rss_queued = rss(pid)

    for page in pages[:MAX_JOBS]:
        deadline = time.monotonic() + 120
        while progress_step(page) < MIN_STEPS_BEFORE_STOP:
            assert time.monotonic() < deadline, "a long run made no progress"
            page.wait_for_timeout(200)
        stop_button(page).click()

    results: list[dict | None] = [None] * len(pages)
    peak_rss = max(rss_open, rss_queued)
    stop_presses = {i: [time.monotonic()] for i in range(MAX_JOBS)}
    while None in results:
        if time.monotonic() - started > 240:
            views = {i + 1: main_text(page) for i, page in enumerate(pages) if results[i] is None}
            counts = server_counts(observer)
            raise AssertionError(
                f"runs did not all end: {results}; the unended pages say {views}; (running, queued): {counts}"
            )
        for i, page in enumerate(pages):
            results[i] = results[i] or ended_run(page)
            if i in stop_presses and not results[i] and time.monotonic() - stop_presses[i][-1] > STOP_AGAIN_AFTER:
                print(f"\nvisitor {i + 1}: not ended {STOP_AGAIN_AFTER:g} s after Stop; its page: {main_text(page)!r}")
                if stop_button(page).count():  # still there: press it, as a visitor would (counted below)
                    stop_button(page).click()
                stop_presses[i].append(time.monotonic())
        peak_rss = max(peak_rss, rss(pid))
        pages[0].wait_for_timeout(200)
    took = time.monotonic() - started
    print(f"\nStop presses per long run: {[len(presses) for presses in stop_presses.values()]}")

    print(
        f"\n5 sessions, {MAX_JOBS} at a time: all ended in {took:.1f} s; test accuracies "
        f"{[r['accuracy'] for r in results]}\nserver RSS: {rss_open / 1e6:.0f} MB with the data loaded and 5 "
        f"sessions open, {rss_queued / 1e6:.0f} MB with 2 training and 3 queued, peak {peak_rss / 1e6:.0f} MB"
    )
    for i, (page, (hidden, seed, steps), result) in enumerate(zip(pages, VISITORS, results)):
        expected = f"Stopped at step [\\d,]+ of {steps:,}" if i < MAX_JOBS else f"Finished {steps:,} steps"
        assert re.match(expected, result["text"]) and result["accuracy"] > 80, result
        body = page.inner_text("body")
        assert f"hidden={hidden}" in body and f"seed={seed}" in body  # its own share link
        assert page.get_by_role("textbox", name="Hidden layer sizes").input_value() == str(hidden)  # its own form
        seed_box = page.get_by_role("spinbutton", name="Random seed", include_hidden=True)  # in the folded Seed
        assert seed_box.input_value() == str(seed)
        for other_hidden, other_seed, other_steps in VISITORS:
            if other_hidden != hidden:
                assert f"hidden={other_hidden}" not in body and f"seed={other_seed}" not in body
                assert f"Finished {other_steps:,} steps" not in body and f"of {other_steps:,}" not in body
        assert not exceptions_on(page) and not page.errors
    assert peak_rss < MAX_RSS_BYTES, f"server RSS peaked at {peak_rss / 1e6:.0f} MB"

    for page in pages:
        page.context.close()
    assert server_counts(observer) == (0, 0)
    observer.context.close()
