"""Real-browser tests of the Train page's settings and its comparison of runs (issue #13).

* Three short runs of ``fast`` (200 steps) at learning rates 0.1, 0.01 and 1, set with the
  sidebar's slider: the address bar and the share box follow the slider before anything is
  pressed, and Compare runs then draws each run's line in its own colour, with a plot at
  least ``MIN_PLOT_PX`` tall and a y-axis, on a desktop (1400x1000) and on a phone (390x844).
* On a phone, Train is on screen as soon as the sidebar opens: no scrolling past the settings.

The plot's height is read from the rendered SVG: the x-axis gridlines span the plot area.
"""

from __future__ import annotations

import re

import pytest

from mnistcore.charts.training import RUN_COLOURS
from tests.browser_support import app_in_browser, exceptions_on, open_train_page, wait_for_app, watched_page

pytestmark = pytest.mark.browser
DESKTOP, PHONE = {"width": 1400, "height": 1000}, {"width": 390, "height": 844}
MIN_PLOT_PX = 200
LINK = "preset=fast&steps=200&eval_every=50"  # about a second each; validated four times

# Per comparison chart: its title, the plot's height (x gridlines, else the y-axis), whether it
# has a y-axis, the stroke colour of each line, and the legend's labels.
CHART_FIGURES = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => {
    const axes = [...chart.querySelectorAll('[aria-roledescription="axis"]')];
    const label = axis => axis.getAttribute('aria-label') || '';
    const xAxis = axes.find(axis => label(axis).startsWith('X-axis'));
    const yAxis = axes.find(axis => label(axis).startsWith('Y-axis'));
    const grid = xAxis && xAxis.querySelector('.role-axis-grid');
    const measured = grid || yAxis;
    return {
        title: (chart.querySelector('.role-title-text') || {}).textContent || '',
        plotHeight: measured ? measured.getBoundingClientRect().height : 0,
        hasYAxis: Boolean(yAxis),
        strokes: [...chart.querySelectorAll('path[aria-roledescription="line mark"]')]
            .map(path => (path.getAttribute('stroke') || '').toUpperCase()),
        legend: [...chart.querySelectorAll('.role-legend-label text')].map(text => text.textContent),
    };
})"""


@pytest.fixture(scope="module")
def served(mnist):
    with app_in_browser() as browser_and_url:
        yield browser_and_url


def move_slider(page, label: str, stops: int, lr: str) -> None:
    """Move the sidebar's select-slider ``label`` with the keyboard, one stop per script run,
    until the address bar says ``lr``: its stops are re-centred on each new value, so key
    presses sent while a script run redraws it would land on other stops (at most 2 x ``stops``)."""
    for _ in range(2 * abs(stops)):
        if re.search(rf"[?&]lr={re.escape(lr)}(&|$)", page.url):
            return
        page.locator(f'input[type=range][aria-label="{label}"]').focus()
        page.keyboard.press("ArrowRight" if stops > 0 else "ArrowLeft")
        page.wait_for_timeout(300)
        wait_for_app(page)


def share_box(page) -> str:
    return page.locator('[data-testid="stCode"]').filter(has_text="/train?").first.inner_text()


def comparison_charts(page) -> list[dict]:
    """The figures of the charts under Compare runs (the last two on the page)."""
    page.get_by_text("Compare runs", exact=True).scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # the charts re-measure their container after a resize
    figures = page.evaluate(CHART_FIGURES)
    assert len(figures) >= 2, figures
    return figures[-2:]


def test_three_runs_are_compared_in_their_own_colours_on_a_desktop_and_a_phone(served):
    page = watched_page(*served, viewport=DESKTOP)
    open_train_page(page, page.base_url, LINK)
    for number, (stops, lr) in enumerate([(0, "0.1"), (-3, "0.01"), (6, "1")], start=1):
        if stops:
            move_slider(page, "Learning rate", stops, lr)
            # The address bar and the share box follow the slider; nothing has started.
            page.wait_for_function(f"() => location.search.includes('lr={lr}')", timeout=30_000)
            assert f"lr={lr}" in share_box(page)
            assert page.get_by_text(f"#{number} custom", exact=True).count() == 0
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text(f"#{number} custom", exact=True).first.wait_for(timeout=120_000)
        # The ended run's id reaches the address bar in one more script run: let it land before
        # the next slider move, or a loaded machine may redraw the slider under the key presses.
        page.wait_for_function("() => location.search.includes('run=')", timeout=60_000)
        wait_for_app(page, timeout=60)

    colours = set(RUN_COLOURS[:3])
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        accuracy, loss = comparison_charts(page)
        size = f"{viewport['width']}x{viewport['height']}"
        print(f"\n{size}: accuracy plot {accuracy['plotHeight']:.0f} px, loss plot {loss['plotHeight']:.0f} px")
        print(f"{size}: colours {sorted(set(accuracy['strokes']))}, legend {accuracy['legend']}")
        for chart in (accuracy, loss):
            assert chart["hasYAxis"], f"{size} {chart['title']}: no y-axis"
            assert chart["plotHeight"] >= MIN_PLOT_PX, f"{size} {chart['title']}: plot {chart['plotHeight']} px"
            assert set(chart["strokes"]) == colours, f"{size} {chart['title']}: {chart['strokes']}"
            assert chart["legend"] == ["#1 custom", "#2 custom", "#3 custom"]
    assert not exceptions_on(page) and not page.errors
    page.close()


def test_on_a_phone_train_is_on_screen_when_the_sidebar_opens(served):
    page = watched_page(*served, viewport=PHONE, has_touch=True, is_mobile=True)
    open_train_page(page, page.base_url, "preset=fast")
    page.get_by_test_id("stExpandSidebarButton").click()
    train = page.get_by_role("button", name="Train", exact=True)
    train.wait_for(timeout=10_000)
    page.wait_for_timeout(800)  # the sidebar slides in
    box = train.bounding_box()
    sidebar = page.get_by_test_id("stSidebarContent").evaluate("element => element.scrollHeight")
    print(f"\nphone: Train at y={box['y']:.0f} px of {PHONE['height']}; sidebar {sidebar} px tall")
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], "Train is below the fold"
    assert not exceptions_on(page)
    page.close()
