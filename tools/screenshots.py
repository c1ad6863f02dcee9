"""Screenshots of every dashboard page for the README: ``python tools/screenshots.py``.

Serves the app with ``streamlit run app.py`` (as the browser tests do), opens each page in
headless Chromium at 1400x1000 and writes ``docs/screenshots/<page>.png``: Home, Train in the
middle of a run of the ``fast`` preset, Mistakes, Weights, and Draw with a "3" drawn on the
canvas; then ``teach.png``, that 3 taught as an 8 without replay (Draw's "Teach it"); the Train
page's Health tab after a run of the ``deep-sigmoid`` preset (``health.png``; ``--pages Health``
takes that one alone); and the Weights page's hidden-space map for MNIST and Fashion-MNIST
(``--hidden-space-only`` takes just those two). The images are reduced to a palette of at most
256 colours so each stays under 300 KB.

Needs the dev requirements (playwright) and Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``);
reads MNIST from ``MNIST_DATA_DIR`` or the cache like the app. Re-run it when a page changes.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import (  # noqa: E402
    chromium,
    open_train_page,
    press_train,
    streamlit_server,
    wait_for_app,
)

VIEWPORT = {"width": 1400, "height": 1000}
MAX_BYTES = 300_000
PAGES = ["Home", "Train", "Mistakes", "Weights", "Backprop", "Draw", "Health"]
# A "3" as pen strokes on the 280 px canvas: two bumps on the right.
THREE = [(95, 60), (140, 45), (185, 60), (190, 100), (150, 135), (120, 138), (150, 140), (195, 170), (190, 215)]
THREE += [(140, 235), (90, 215)]


def save_png(png: bytes, path: Path) -> int:
    """Write ``png`` with a palette (screenshots are flat UI colours): 256 colours, fewer if
    the file would exceed ``MAX_BYTES``. Returns its size."""
    rgb = Image.open(io.BytesIO(png)).convert("RGB")
    for colors in (256, 128, 64):
        rgb.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size <= MAX_BYTES:
            break
    return path.stat().st_size


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    wait_for_app(page, timeout=90)
    page.locator("h1").first.wait_for(timeout=90_000)
    page.wait_for_timeout(1500)  # charts finish drawing


def train_mid_run(page, base_url: str) -> None:
    """Start the fast preset and wait until the curves have a few points."""
    open_train_page(page, base_url, "preset=fast", timeout=90)
    press_train(page)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # about 40% of the way: the curves are telling, the run still going
        text = page.locator('[data-testid="stProgress"]').first.inner_text()
        done, total = (int(n.replace(",", "")) for n in text.split("Step ")[-1].split(" ·")[0].split(" of "))
        if done >= 0.4 * total:
            break
        page.wait_for_timeout(500)
    page.mouse.move(5, 5)
    page.get_by_test_id("stSidebarContent").evaluate("sidebar => sidebar.scrollTo(0, 0)")  # presets on top


def health_tab(page, base_url: str) -> None:
    """Run the "deep sigmoid" preset and open the Health tab beside its curves."""
    open_train_page(page, base_url, "preset=deep-sigmoid", timeout=90)
    press_train(page, until_progress=False)
    page.get_by_text("Horizontal axis").first.wait_for(timeout=90_000)  # the run's own live view
    wait_for_app(page)
    one_health_tab = (
        "() => [...document.querySelectorAll('[role=tab]')].filter(t => t.innerText === 'Health').length === 1"
    )
    page.wait_for_function(one_health_tab, timeout=30_000)  # the current model's tabs, replaced by the run's
    page.get_by_role("tab", name="Health").click()
    page.get_by_text("smaller than layer 5's").first.wait_for(timeout=90_000)
    page.get_by_text("Gradient size per layer").first.wait_for(timeout=30_000)
    page.wait_for_timeout(2500)  # charts finish drawing
    page.mouse.move(5, 5)
    page.get_by_role("tab", name="Health").scroll_into_view_if_needed()
    page.evaluate("""() => {  // the tabs at the top of the view: the lesson, then the charts
        const tab = [...document.querySelectorAll('[role=tab]')].find(t => t.innerText.includes('Health'));
        const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
        if (tab) main.scrollBy(0, tab.getBoundingClientRect().top - 70);
    }""")
    page.wait_for_timeout(800)


def draw_digit(page) -> None:
    canvas = page.locator("canvas.dc-canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 140)  # hovering lifts the toolbar off the canvas
    page.mouse.move(box["x"] + THREE[0][0], box["y"] + THREE[0][1], steps=5)
    page.mouse.down()
    for x, y in THREE[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
    page.mouse.up()
    page.get_by_text("Prediction").first.wait_for(timeout=30_000)
    wait_for_app(page)
    page.wait_for_timeout(1500)
    page.evaluate("window.scrollTo(0, 0)")


def teach_digit(page) -> None:
    """Teach the drawn 3 that it is an 8, replay off (forgetting shows), and scroll to the result."""
    page.get_by_role("radiogroup", name="The right label").get_by_role("radio", name="8", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Teaching settings").click()
    page.get_by_text("Replay training digits").click()
    wait_for_app(page)
    page.get_by_text("Teaching settings").click()  # folded again
    page.get_by_role("button", name="Teach it").click()
    page.get_by_text("Reads your drawing as").first.wait_for(timeout=30_000)
    wait_for_app(page)
    page.wait_for_timeout(1500)
    page.get_by_role("heading", name="Teach it").evaluate("h => h.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)


def hidden_space_maps(page, base_url: str, out_dir: Path) -> dict[str, int]:
    """The Weights page's hidden-space map of each shipped default model: MNIST's, then
    Fashion-MNIST's (chosen on the Train page), as ``hidden-space-<dataset>.png``."""
    sizes = {}
    for dataset, query in (("mnist", "preset=fast"), ("fashion-mnist", "preset=fashion-fast")):
        open_train_page(page, base_url, query, timeout=90)
        open_page(page, "Weights")
        heading = page.get_by_text("Hidden space: the test set as the first layer sees it")
        heading.wait_for(timeout=90_000)
        heading.scroll_into_view_if_needed()
        chart = page.locator('[data-testid="stVegaLiteChart"]').last
        chart.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        path = out_dir / f"hidden-space-{dataset}.png"
        sizes[path.name] = save_png(chart.screenshot(), path)
    return sizes


def take_screenshots(out_dir: Path, pages: list[str] = PAGES, only_hidden_space: bool = False) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = {}
    with streamlit_server() as base_url, chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(base_url, wait_until="domcontentloaded")
        wait_for_app(page, timeout=90)
        for name in [] if only_hidden_space else pages:
            if name == "Train":
                train_mid_run(page, base_url)
            elif name == "Health":
                health_tab(page, base_url)
            else:
                open_page(page, name)
            if name == "Draw":
                draw_digit(page)
            path = out_dir / f"{name.lower()}.png"
            sizes[path.name] = save_png(page.screenshot(), path)
            if name == "Draw":
                teach_digit(page)
                sizes["teach.png"] = save_png(page.screenshot(), out_dir / "teach.png")
        if only_hidden_space or pages == PAGES:
            sizes.update(hidden_space_maps(page, base_url, out_dir))
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="output directory")
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=PAGES, help="only these pages")
    parser.add_argument("--hidden-space-only", action="store_true", help="only the two hidden-space maps")
    args = parser.parse_args(argv)
    for name, size in take_screenshots(args.out, args.pages, args.hidden_space_only).items():
        print(f"{args.out / name}: {size / 1e3:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
