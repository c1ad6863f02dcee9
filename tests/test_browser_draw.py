"""Real-browser test of the Draw page: Chromium draws digits with the mouse on the
canvas of ``streamlit run app.py`` and reads the "Prediction" metric; then with a finger
on a phone-sized touch screen, where the canvas's toolbar must not swallow strokes.

The strokes are written the way a person draws each digit (pen down, a polyline or
curve sampled every few pixels with a little hand tremor, pen up), at a person's
size and position on the 280 px canvas, with the page's default stroke width. They
were designed from how people write digits, not tuned to the model.

Run as a script to measure the default model on all ten digits in two styles each
and save the preprocessed 28x28 drawings for evaluation / retraining:

    python tests/test_browser_draw.py --save tests/data/drawn_digits.npz
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # when run as a script
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.browser_support import (  # noqa: E402
    app_in_browser,
    chromium,
    exceptions_on,
    streamlit_server,
    wait_until_quiet,
    watched_page,
)

Point = tuple[float, float]
Stroke = list[Point]

# --------------------------------------------------------------------------
# Digit strokes, in a unit box: x to the right, y down, (0, 0) top-left.
# --------------------------------------------------------------------------


def _line(start: Point, end: Point, n: int = 12) -> Stroke:
    return [(start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t) for t in np.linspace(0, 1, n)]


def _arc(centre: Point, radii: Point, start_deg: float, end_deg: float, n: int = 24) -> Stroke:
    """Points on an ellipse; angles in degrees, 0 = right, 90 = down (screen coordinates)."""
    angles = np.radians(np.linspace(start_deg, end_deg, n))
    return [(centre[0] + radii[0] * math.cos(a), centre[1] + radii[1] * math.sin(a)) for a in angles]


def _curve(*control: Point, n: int = 24) -> Stroke:
    """A cubic Bezier curve through four control points."""
    p = np.array(control, dtype=float)
    t = np.linspace(0, 1, n)[:, None]
    points = (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]
    return [tuple(row) for row in points]


def _join(*parts: Stroke) -> Stroke:
    """One pen-down stroke through several pieces."""
    return [point for part in parts for point in part]


# Two styles per digit, as people commonly write them:
# 0 oval anticlockwise | narrow oval clockwise;   1 plain | with a flag;
# 2 round top, curved neck, base | hooked top, straight diagonal, base;
# 3 two bumps | flat top, diagonal, one bump;      4 open (L, then the stem) | closed, stem last;
# 5 stem and belly, top bar last | bar, stem, belly in one go;   6 curved back | straight back;
# 7 plain | crossed;   8 one S-shaped stroke | two stacked circles;   9 straight stem | curved tail.
DIGIT_STROKES: dict[int, list[list[Stroke]]] = {
    0: [
        [_arc((0.5, 0.5), (0.36, 0.48), -90, -455, n=40)],  # oval, anticlockwise from the top
        [_arc((0.5, 0.5), (0.3, 0.5), -100, 260, n=40)],  # narrower, clockwise, started left of the top
    ],
    1: [
        [_line((0.52, 0.0), (0.47, 1.0), n=20)],  # a plain stroke, slightly slanted
        [_join(_line((0.3, 0.2), (0.55, 0.0), n=6), _line((0.55, 0.0), (0.55, 1.0), n=20))],  # with a flag
    ],
    2: [
        [
            _join(
                _arc((0.5, 0.28), (0.34, 0.28), 200, 360, n=16),
                _curve((0.84, 0.28), (0.8, 0.55), (0.3, 0.75), (0.12, 1.0), n=14),
                _line((0.12, 1.0), (0.9, 0.98), n=10),
            )
        ],
        [
            _join(
                _curve((0.12, 0.2), (0.3, -0.05), (0.9, -0.05), (0.8, 0.35), n=16),
                _line((0.8, 0.35), (0.1, 0.98), n=14),
                _line((0.1, 0.98), (0.92, 0.96), n=10),
            )
        ],
    ],
    3: [
        [_join(_arc((0.48, 0.25), (0.32, 0.25), 200, 450, n=20), _arc((0.48, 0.74), (0.36, 0.26), -90, 150, n=20))],
        [
            _join(
                _line((0.15, 0.02), (0.85, 0.02), n=8),
                _line((0.85, 0.02), (0.4, 0.42), n=8),
                _arc((0.5, 0.7), (0.36, 0.29), -100, 150, n=20),
            )
        ],
    ],
    4: [
        [
            _join(_line((0.2, 0.0), (0.08, 0.6), n=10), _line((0.08, 0.6), (0.92, 0.6), n=12)),
            _line((0.68, 0.15), (0.68, 1.0), n=14),
        ],
        [
            _join(_line((0.7, 0.0), (0.05, 0.68), n=12), _line((0.05, 0.68), (0.95, 0.68), n=12)),
            _line((0.7, 0.0), (0.7, 1.0), n=16),
        ],
    ],
    5: [
        [
            _join(_line((0.22, 0.02), (0.18, 0.45), n=8), _arc((0.48, 0.7), (0.36, 0.3), 220, 500, n=24)),
            _line((0.22, 0.02), (0.85, 0.0), n=10),
        ],
        [
            _join(
                _line((0.85, 0.0), (0.2, 0.02), n=10),
                _line((0.2, 0.02), (0.16, 0.45), n=8),
                _curve((0.16, 0.45), (0.95, 0.25), (1.0, 1.0), (0.12, 0.92), n=22),
            )
        ],
    ],
    6: [
        [
            _join(
                _curve((0.78, 0.02), (0.3, 0.1), (0.1, 0.5), (0.16, 0.8), n=18),
                _arc((0.48, 0.72), (0.33, 0.27), 170, 530, n=30),
            )
        ],
        [_join(_line((0.65, 0.0), (0.2, 0.62), n=14), _arc((0.5, 0.74), (0.32, 0.25), 200, 560, n=30))],
    ],
    7: [
        [_join(_line((0.1, 0.03), (0.9, 0.0), n=12), _line((0.9, 0.0), (0.38, 1.0), n=18))],
        [
            _join(_line((0.1, 0.03), (0.9, 0.0), n=12), _line((0.9, 0.0), (0.4, 1.0), n=18)),
            _line((0.35, 0.5), (0.85, 0.5), n=8),
        ],
    ],
    8: [
        [
            _join(
                _curve((0.78, 0.12), (0.5, -0.1), (0.0, 0.1), (0.5, 0.5), n=18),
                _curve((0.5, 0.5), (1.05, 0.85), (0.55, 1.1), (0.2, 0.88), n=18),
                _curve((0.2, 0.88), (0.0, 0.7), (0.95, 0.35), (0.78, 0.12), n=18),
            )
        ],
        [_arc((0.5, 0.24), (0.27, 0.24), -90, 270, n=26), _arc((0.5, 0.73), (0.33, 0.26), -90, 270, n=28)],
    ],
    9: [
        [_join(_arc((0.5, 0.28), (0.32, 0.26), 0, -360, n=30), _line((0.82, 0.28), (0.78, 1.0), n=16))],
        [
            _join(
                _arc((0.48, 0.28), (0.3, 0.26), 10, -350, n=30),
                _curve((0.78, 0.23), (0.8, 0.6), (0.7, 0.85), (0.45, 1.0), n=16),
            )
        ],
    ],
}


def place_strokes(
    strokes: list[Stroke], rng: np.random.Generator, canvas: int = 280, height: float | None = None
) -> list[list[Point]]:
    """Map unit-box strokes onto the canvas as a person would: a digit 150-220 px tall,
    about 0.6 as wide, somewhere near the middle, with a little hand tremor."""
    height = height if height is not None else rng.uniform(150, 220)
    width = height * rng.uniform(0.55, 0.7)
    left = rng.uniform(0.12 * canvas, canvas - width - 0.12 * canvas)
    top = rng.uniform(0.06 * canvas, canvas - height - 0.06 * canvas)
    slant = rng.uniform(-0.12, 0.12)  # people lean their digits a little
    placed = []
    for stroke in strokes:
        points = np.array(stroke, dtype=float)
        tremor = np.cumsum(rng.normal(0, 0.35, points.shape), axis=0) * 0.5 + rng.normal(0, 0.6, points.shape)
        x = left + points[:, 0] * width + (1 - points[:, 1]) * height * slant + tremor[:, 0]
        y = top + points[:, 1] * height + tremor[:, 1]
        placed.append(list(zip(np.clip(x, 2, canvas - 2), np.clip(y, 2, canvas - 2))))
    return placed


# --------------------------------------------------------------------------
# Driving the page
# --------------------------------------------------------------------------

PROMPT = re.compile("draw a digit", re.IGNORECASE)
METRIC_VALUE = '[data-testid="stMetricValue"]'


def canvas_box(page) -> dict:
    """The drawing surface (Fabric's upper canvas), inside the component's shadow root."""
    canvas = page.locator("canvas.dc-canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    canvas.scroll_into_view_if_needed()
    return canvas.bounding_box()


def draw(page, strokes: list[list[Point]], attempts: int = 3) -> None:
    """Draw each stroke with the mouse: pen down, move point to point, pen up. Draws again if
    no ink shows: a canvas just mounted (by Clear) takes strokes only once Fabric has set it up,
    as a person who draws too soon sees (and does again)."""
    for _ in range(attempts):
        box = canvas_box(page)
        for stroke in strokes:
            x0, y0 = stroke[0]
            page.mouse.move(box["x"] + x0, box["y"] + y0, steps=8)  # travel to the start point, as a hand does
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
            page.mouse.up()
            page.wait_for_timeout(120)  # a person lifts the pen between strokes
        if has_ink(page):
            return
        page.wait_for_timeout(1000)
    raise AssertionError(f"no ink on the canvas after drawing {attempts} times")


def has_ink(page) -> bool:
    """Whether the canvas shows any stroke (Fabric renders finished strokes on its lower canvas)."""
    return page.locator("canvas.dc-canvas.lower-canvas").first.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " for (let i = 0; i < d.length; i += 4) if (d[i] > 0) return true; return false; }"
    )


def touch_draw(page, strokes: list[list[Point]]) -> None:
    """Draw each stroke with one finger (touch events: no hover, no mouse)."""
    box = canvas_box(page)
    touch = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = [{"x": box["x"] + x, "y": box["y"] + y} for x, y in stroke]
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points[:1]})
        for point in points[1:]:
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_timeout(120)
    touch.detach()


def wait_until_idle(page, timeout: float = 30.0) -> None:
    """Wait until Streamlit has finished the rerun(s) a stroke triggered."""
    page.wait_for_timeout(700)  # the canvas sends its drawing ~200 ms after the pen is lifted
    wait_until_quiet(page, timeout)


def read_prediction(page) -> str:
    """The text of the "Prediction" metric (waits for it to appear)."""
    metric = page.locator(METRIC_VALUE).first
    metric.wait_for(state="visible", timeout=30_000)
    return metric.inner_text().strip()


def clear_canvas(page) -> None:
    """Press Clear and wait for the empty-canvas prompt and a blank canvas."""
    page.get_by_role("button", name=re.compile("Clear")).click()
    page.get_by_text(PROMPT).first.wait_for(state="visible", timeout=30_000)
    wait_until_idle(page)
    deadline = time.monotonic() + 30
    while has_ink(page):  # the old canvas is on the page until the new one replaces it
        assert time.monotonic() < deadline, "the canvas still shows ink 30 s after Clear"
        page.wait_for_timeout(100)


def canvas_png(page) -> bytes:
    """The canvas as the app receives it: Fabric's rendering, exported as PNG."""
    url = page.locator("canvas.dc-canvas.lower-canvas").first.evaluate("c => c.toDataURL('image/png')")
    return base64.b64decode(url.split(",", 1)[1])


def open_draw_page(page, base_url: str) -> None:
    """Open Draw and wait until it is idle, with the page's fix of the canvas toolbar in place."""
    page.goto(base_url.rstrip("/") + "/draw")
    page.get_by_text(PROMPT).first.wait_for(state="visible", timeout=60_000)
    page.locator("style[data-toolbar-fix]").first.wait_for(state="attached", timeout=10_000)
    wait_until_idle(page)


# --------------------------------------------------------------------------
# Server and browser (shared helpers in tests/browser_support.py)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served():
    """(Chromium, base URL) of a fresh ``streamlit run app.py``, for this module's pages."""
    with app_in_browser() as browser_and_url:
        yield browser_and_url


def _open_checked(served, **context_options):
    """A new browser session on the Draw page; yields it and then checks it raised nothing."""
    browser, base_url = served
    context = browser.new_context(**context_options)
    page = watched_page(context, base_url)
    try:
        open_draw_page(page, base_url)
        yield page
        assert not exceptions_on(page), exceptions_on(page)
        assert not page.errors, page.errors
    finally:
        context.close()


@pytest.fixture(scope="module")
def draw_page(served):
    """The Draw page on a desktop-sized screen with a mouse."""
    yield from _open_checked(served, viewport={"width": 1280, "height": 1000})


@pytest.fixture(scope="module")
def phone_page(served):
    """The Draw page on a phone: 390 px wide, touch only, no hover."""
    yield from _open_checked(served, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("digit", [1, 0, 7, 4])
def test_drawn_digit_is_predicted(draw_page, digit):
    rng = np.random.default_rng(100 + digit)
    assert draw_page.locator(METRIC_VALUE).count() == 0, "a prediction is shown before anything was drawn"
    draw(draw_page, place_strokes(DIGIT_STROKES[digit][0], rng))
    wait_until_idle(draw_page)
    assert read_prediction(draw_page) == str(digit)
    clear_canvas(draw_page)


@pytest.mark.browser
def test_clearing_shows_the_prompt_and_no_prediction(draw_page):
    draw(draw_page, place_strokes(DIGIT_STROKES[3][0], np.random.default_rng(3)))
    wait_until_idle(draw_page)
    assert read_prediction(draw_page)
    clear_canvas(draw_page)
    assert draw_page.get_by_text(PROMPT).first.is_visible()
    assert draw_page.locator(METRIC_VALUE).count() == 0


@pytest.mark.browser
def test_a_dot_is_not_a_digit(draw_page):
    box = canvas_box(draw_page)
    draw_page.mouse.click(box["x"] + 140, box["y"] + 140)
    wait_until_idle(draw_page)
    assert draw_page.get_by_text(PROMPT).first.is_visible()
    assert draw_page.locator(METRIC_VALUE).count() == 0
    clear_canvas(draw_page)


@pytest.mark.browser
@pytest.mark.parametrize("digit", [7, 0, 5])  # each starts at the top, where the toolbar used to lie
def test_a_finger_draws_on_a_phone_even_under_the_parked_toolbar(phone_page, digit):
    rng = np.random.default_rng(200 + digit)
    strokes = place_strokes(DIGIT_STROKES[digit][0], rng)
    touch_draw(phone_page, strokes)
    wait_until_idle(phone_page)
    assert read_prediction(phone_page) == str(digit)
    clear_canvas(phone_page)


@pytest.mark.browser
def test_a_phone_shows_the_canvas_toolbar_above_the_canvas(phone_page):
    for _ in range(20):  # the toolbar slides up (a 0.2 s transition) once the fix's stylesheet is in
        canvas = canvas_box(phone_page)  # both measured together: the page may still move
        toolbar = phone_page.locator(".dc-toolbar").first.bounding_box()
        if toolbar["y"] + toolbar["height"] <= canvas["y"] + 1:
            break
        phone_page.wait_for_timeout(100)
    top = phone_page.locator(".dc-toolbar").first.evaluate("e => getComputedStyle(e).top")
    assert toolbar["y"] + toolbar["height"] <= canvas["y"] + 1, (toolbar, canvas, top)  # not over the drawing
    opacity = phone_page.locator(".dc-toolbar").first.evaluate("e => getComputedStyle(e).opacity")
    assert float(opacity) == 1.0  # no hover on a phone: visible for good, so undo is reachable


@pytest.mark.browser
def test_a_mouse_press_under_the_parked_toolbar_draws(draw_page):
    """Pressing at the canvas's top-right corner before hovering it draws (the hidden toolbar lets it through)."""
    box = canvas_box(draw_page)
    draw_page.mouse.move(box["x"] + box["width"] + 200, box["y"] + 100)  # away from the canvas: toolbar parked
    draw_page.wait_for_timeout(300)
    corner = (box["x"] + box["width"] - 30, box["y"] + 8)
    hit = draw_page.evaluate(
        "([x, y]) => { const host = document.elementFromPoint(x, y);"
        " const inner = host && host.shadowRoot ? host.shadowRoot.elementFromPoint(x, y) : host;"
        " return inner ? inner.className : null; }",
        list(corner),
    )
    assert "upper-canvas" in str(hit), f"a press at the top-right corner lands on {hit!r}, not the canvas"


# --------------------------------------------------------------------------
# Measurement: all ten digits, two styles each (run as a script)
# --------------------------------------------------------------------------


def measure(
    base_url: str, seed: int = 7, rounds: int = 1, screenshots: Path | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Draw 0-9 in every style, ``rounds`` times (new size, place, slant and tremor each time).

    Returns (n, 28, 28) uint8 drawings as preprocessed for the network, their labels,
    their style numbers and the page's predictions.
    """
    rng = np.random.default_rng(seed)
    images, labels, styles, predictions = [], [], [], []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        open_draw_page(page, base_url)
        for round_, style, digit in itertools.product(range(rounds), range(2), range(10)):
            draw(page, place_strokes(DIGIT_STROKES[digit][style], rng))
            wait_until_idle(page)
            predictions.append(read_prediction(page))
            images.append(_network_input(canvas_png(page)))
            labels.append(digit)
            styles.append(style)
            if screenshots is not None:
                page.screenshot(path=str(screenshots / f"round{round_}-digit{digit}-style{style}.png"), full_page=True)
            clear_canvas(page)
    return np.stack(images), np.array(labels, dtype=np.uint8), np.array(styles, dtype=np.uint8), predictions


def _network_input(png: bytes) -> np.ndarray:
    """(28, 28) uint8: the canvas PNG preprocessed exactly as the page does it."""
    from PIL import Image

    from mnistcore.analysis.drawing import preprocess

    pixels = preprocess(np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")))
    return np.rint(pixels.reshape(28, 28) * 255).astype(np.uint8)


def _main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", type=Path, help="write the 28x28 drawings, labels and styles to this .npz")
    parser.add_argument("--screenshots", type=Path, help="save a page screenshot per drawing in this folder")
    parser.add_argument("--url", help="use a running app at this base URL instead of starting `streamlit run app.py`")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1, help="how many times to draw all 20 digits")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    if args.url:
        images, labels, styles, predictions = measure(args.url, args.seed, args.rounds, args.screenshots)
    else:
        with streamlit_server() as url:
            images, labels, styles, predictions = measure(url, args.seed, args.rounds, args.screenshots)
    right = np.array([str(d) == p for d, p in zip(labels, predictions)])
    for style in range(2):
        wrong = [f"{d}->{p}" for d, p, ok, s in zip(labels, predictions, right, styles) if s == style and not ok]
        print(f"style {style + 1}: {right[styles == style].sum()}/{(styles == style).sum()} right; wrong: {wrong}")
    print(f"all: {right.sum()}/{right.size} right")
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.save, images=images, labels=labels, styles=styles)
        print(f"saved {len(labels)} drawings to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
