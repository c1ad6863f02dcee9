"""Accessibility in a real browser (issue #20): axe-core, injected into every page on a desktop
and a phone-sized screen, must find no violation of the WCAG 2.1 A and AA rules, in each state
of ``STATES`` (the pages as a visitor first sees them; the Train page's live view, paused;
every page after a finished run; the Health tab and the Weights page's health; Draw after
"Teach it"). A failure lists rule, impact and elements.

axe-core is the npm package, installed by ``.ci/run`` (``npm install --prefix .ci/a11y
axe-core@AXE_VERSION``) or anywhere ``$AXE_CORE_JS`` points; without it the test skips
locally and fails under CI=true.

To audit a new section: add its page to ``PAGES`` or a state to ``STATES`` (a function that
brings a fresh browser page to that state and returns the paths to audit in it).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # optional locally; CI installs it
    PlaywrightTimeout = TimeoutError

from tests.browser_support import (
    PROJECT_ROOT,
    app_in_browser,
    exceptions_on,
    main_text,
    open_train_page,
    press_train,
    require,
    wait_for_app,
)

pytestmark = pytest.mark.browser
AXE_VERSION = "4.14.1"  # .ci/run installs exactly this one
AXE_JS = Path(os.environ.get("AXE_CORE_JS") or PROJECT_ROOT / ".ci/a11y/node_modules/axe-core/axe.min.js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
EXTRA_RULES = ["heading-order", "presentation-role-conflict"]  # best practices the audit found too
VIEWPORTS = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}
PAGES = ["Home", "Train", "Mistakes", "Weights", "Backprop", "Draw"]  # as the sidebar names them
SHORT_RUN = "preset=fast&steps=300"  # a real run, over in a few seconds
LONG_RUN = "preset=fast&epochs=100"  # long enough to be paused and looked at

RUN_AXE = """async ([tags, extra]) => {
  const rules = Object.fromEntries(extra.map(rule => [rule, {enabled: true}]));
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, rules, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + "  " + n.html.slice(0, 160)),
  }));
}"""


@dataclass(frozen=True)
class State:
    """A state of the app to audit: ``prepare(page)`` brings a fresh page (its own browser
    context, so its own Streamlit session) there and returns the pages to audit in it, in
    order, by their sidebar titles (``None``: the page as it is); ``cleanup(page)`` runs after.
    Pages are opened through the sidebar, as a visitor does: loading a URL starts a new session."""

    name: str
    prepare: Callable
    cleanup: Callable | None = None


def as_opened(page) -> list[str | None]:
    page.goto(page.base_url, wait_until="domcontentloaded")
    page.get_by_test_id("stSidebarNav").get_by_text("Home", exact=True).wait_for(state="attached", timeout=60_000)
    return list(PAGES)


def live_view_paused(page) -> list[str | None]:
    """The Train page during a run, paused so that it holds still for the audit; then stopped."""
    start_run(page, LONG_RUN)
    page.get_by_role("button", name="Pause").click()
    page.get_by_text("Paused at").wait_for(timeout=30_000)
    return [None]


def stop_run(page) -> None:
    """End the paused run, so the next state's run does not wait for a free slot."""
    stop = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop")
    if stop.count():  # not if the run never started (the test failed before)
        stop.click()
        page.get_by_text("Stopped at step").wait_for(timeout=30_000)


def finish_run(page, query: str) -> None:
    """Press Train on a short run and wait for its end (not for its progress bar: on an idle
    machine the run may be over before the bar is seen)."""
    open_train_page(page, page.base_url, query)
    open_sidebar(page, page.get_by_role("button", name="Train", exact=True))
    press_train(page, until_progress=False)
    page.get_by_text(re.compile(r"^Finished [\d,]+ steps")).first.wait_for(timeout=180_000)


def after_a_run(page) -> list[str | None]:
    """A short run trained to the end: its finished view on Train, then every page shows it."""
    finish_run(page, SHORT_RUN)
    return [None, *PAGES]


def health_tab_after_a_run(page) -> list[str | None]:
    """The Train page's Health tab once a short run has ended, then the Weights page's health."""
    finish_run(page, SHORT_RUN)
    page.get_by_role("tab", name="Health").click()
    page.get_by_role("tab", name="Health", selected=True).wait_for(timeout=30_000)
    return [None, "Weights"]


def taught_on_draw(page) -> list[str | None]:
    """Draw with a test digit chosen from the keyboard-friendly list, taught once: the
    before/after charts, Undo and My digits' strip."""
    as_opened(page)
    open_from_sidebar(page, "Draw")
    page.get_by_role("radiogroup", name="Your digit").get_by_text("A test digit").click()
    wait_for_app(page, timeout=60)
    page.get_by_role("button", name="Teach it").click()
    page.get_by_text("Reads your drawing as").first.wait_for(timeout=60_000)
    return [None]


STATES = [
    State("as opened", as_opened),
    State("live view, paused", live_view_paused, cleanup=stop_run),
    State("after a run", after_a_run),
    State("health tab", health_tab_after_a_run),
    State("taught on draw", taught_on_draw),
]


def axe_source() -> str:
    """axe-core's script, once its version is checked (a newer one may add rules)."""
    require(AXE_JS.is_file(), f"axe-core not found at {AXE_JS}: npm install --prefix .ci/a11y axe-core@{AXE_VERSION}")
    package = AXE_JS.with_name("package.json")
    version = json.loads(package.read_text())["version"] if package.is_file() else "unknown"
    assert version == AXE_VERSION, f"axe-core {version} at {AXE_JS}; this test is checked against {AXE_VERSION}"
    return AXE_JS.read_text()


@pytest.fixture(scope="module")
def server(mnist):
    source = axe_source()
    with app_in_browser() as (browser, base_url):
        yield base_url, browser, source


def settle(page) -> None:
    """Wait for the script run, then until nothing is drawn faded (stale) any more."""
    wait_for_app(page, timeout=60)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=30_000)
    page.wait_for_timeout(1000)  # charts and pictures arriving


def open_sidebar(page, target) -> None:
    """Open the sidebar (closed on a phone) until ``target``, a locator in it, is in view."""
    for _ in range(5):  # the app's own script may still be closing the sidebar after the last page
        if page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true":
            page.get_by_test_id("stExpandSidebarButton").click()
        try:
            target.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeout:
            continue
    target.wait_for(state="visible", timeout=5_000)
    page.wait_for_timeout(400)  # the slide animation


def start_run(page, query: str) -> None:
    """Open Train from a share link and press Train (in the sidebar: opened first on a phone)."""
    open_train_page(page, page.base_url, query)
    open_sidebar(page, page.get_by_role("button", name="Train", exact=True))
    press_train(page, until_progress=False)
    try:
        page.wait_for_selector('[data-testid="stProgress"]', timeout=180_000)  # a busy machine starts it late
    except PlaywrightTimeout:
        raise AssertionError(f"the run did not start; the page said: {main_text(page, 600)}") from None


def open_from_sidebar(page, title: str) -> None:
    """Click the sidebar's link to ``title`` (opening the sidebar first on a phone)."""
    link = page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True)
    open_sidebar(page, link)
    link.click()
    wait_for_app(page, timeout=60)
    if title != "Home":
        page.wait_for_url(f"**/{title.lower()}*", timeout=30_000)


def audit(page, axe: str) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe)
    return page.evaluate(RUN_AXE, [WCAG_TAGS, EXTRA_RULES])


def report(where: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{where}: {v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}")
        lines += [f"    {node}" for node in v["nodes"][:5]]
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("state", STATES, ids=lambda s: s.name.replace(" ", "-").replace(",", ""))
def test_every_page_passes_axe_core_wcag_21_aa(server, state, viewport):
    base_url, browser, axe = server
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    try:
        page = context.new_page()
        page.base_url = base_url
        failures = []
        try:
            for title in state.prepare(page):
                if title is not None:
                    open_from_sidebar(page, title)
                settle(page)
                where = f"{state.name}, {viewport}, {title or page.url.rsplit('/', 1)[-1]}"
                assert not exceptions_on(page), f"{where}: {exceptions_on(page)}"
                violations = audit(page, axe)
                if violations:
                    failures.append(report(where, violations))
        finally:
            if state.cleanup is not None:
                state.cleanup(page)
        assert not failures, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(failures)
    finally:
        context.close()
