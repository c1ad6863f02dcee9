"""Tests for mnistcore.analysis.drawing: canvas drawings -> MNIST-like 28x28 inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnistcore.analysis.drawing import (
    INK_THRESHOLD,
    DrawingError,
    is_empty,
    preprocess,
    preprocess_steps,
    to_grayscale,
)

CANVAS = 280
ROUND_TRIP_INDICES = np.random.default_rng(2024).choice(10_000, size=20, replace=False)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of a 2-D image, in pixel-index units."""
    grid = np.arange(image.shape[0]), np.arange(image.shape[1])
    total = image.sum()
    return float(image.sum(axis=1) @ grid[0] / total), float(image.sum(axis=0) @ grid[1] / total)


def best_aligned_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Highest correlation of two 28x28 images over whole-pixel shifts of -1..1.

    MNIST's own centring leaves the centre of mass anywhere in [13.5, 14.5], so a
    correct re-centring may legitimately land one pixel away from the original.
    """
    a, b = a.reshape(28, 28), b.reshape(28, 28)
    return max(
        float(np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.ravel())[0, 1])
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def canvas_from_digit(digit: np.ndarray, factor: int, rng: np.random.Generator, opaque: bool) -> np.ndarray:
    """Draw an MNIST digit like the dashboard canvas would: big, off-centre, RGBA.

    The digit is upscaled ``factor`` times (bicubic, smooth like a brush stroke),
    cropped to its ink and pasted at a random position of a 280x280 canvas.
    ``opaque``: black opaque background with grey strokes; otherwise white strokes
    whose alpha carries the intensity over a transparent background.
    """
    side = 28 * factor
    big = Image.fromarray(digit.reshape(28, 28).astype(np.float32))
    big = np.clip(np.asarray(big.resize((side, side), Image.Resampling.BICUBIC)), 0, 1)
    rows = np.flatnonzero((big > 0.05).any(axis=1))
    cols = np.flatnonzero((big > 0.05).any(axis=0))
    stroke = np.round(big[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] * 255)
    height, width = stroke.shape
    top = rng.integers(0, CANVAS - height + 1)
    left = rng.integers(0, CANVAS - width + 1)
    canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    window = canvas[top : top + height, left : left + width]
    if opaque:
        canvas[..., 3] = 255
        window[..., :3] = stroke[..., None]
    else:
        canvas[..., :3] = 255  # colour under alpha 0 must not count as ink
        window[..., 3] = stroke
    return canvas


def disc(radius: float, centre: tuple[int, int] = (140, 140)) -> np.ndarray:
    """A filled white disc on a transparent 280x280 RGBA canvas (a brush click)."""
    rows, cols = np.mgrid[0:CANVAS, 0:CANVAS]
    inside = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2
    canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    canvas[inside] = 255
    return canvas


def seven_drawing() -> np.ndarray:
    """A crude '7' in white on an opaque black RGBA canvas."""
    canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[60:80, 70:210, :3] = 255  # top bar
    for row in range(80, 230):  # diagonal stem, 18 px thick
        col = 210 - (row - 80) * 100 // 150
        canvas[row, col - 18 : col, :3] = 255
    return canvas


# --- round trip on real MNIST digits -------------------------------------------


@pytest.mark.parametrize("factor", [10, 6])
@pytest.mark.parametrize("opaque", [False, True], ids=["transparent", "opaque"])
def test_mnist_digit_drawn_on_canvas_comes_back_close(mnist, factor, opaque):
    rng = np.random.default_rng(factor)
    correlations, aligned, errors = [], [], []
    for index in ROUND_TRIP_INDICES:
        original = mnist.test_x[index]
        result = preprocess(canvas_from_digit(original, factor, rng, opaque))
        assert result is not None
        assert result.shape == (784,) and result.dtype == np.float32
        assert result.min() >= 0.0 and result.max() == pytest.approx(1.0, abs=0.02)
        row, col = centre_of_mass(result.reshape(28, 28))
        # MNIST's own digits have their centre of mass within half a pixel of (14, 14).
        assert abs(row - 14) <= 0.5 + 1e-6 and abs(col - 14) <= 0.5 + 1e-6
        correlations.append(np.corrcoef(result, original)[0, 1])
        aligned.append(best_aligned_correlation(result, original))
        errors.append(np.abs(result - original).mean())
    # Measured on these 20 digits: mean correlation ~0.945, worst aligned ~0.92,
    # mean abs error ~0.032.
    assert np.mean(correlations) > 0.9
    assert min(aligned) > 0.88
    assert np.mean(errors) < 0.04


def test_round_trip_keeps_digit_shape_not_just_position(mnist):
    # Guard against a vacuous pass: a different digit must correlate clearly worse.
    rng = np.random.default_rng(0)
    first, second = (mnist.test_x[i] for i in ROUND_TRIP_INDICES[:2])
    assert mnist.test_y[ROUND_TRIP_INDICES[0]] != mnist.test_y[ROUND_TRIP_INDICES[1]]
    result = preprocess(canvas_from_digit(first, 10, rng, opaque=False))
    own = best_aligned_correlation(result, first)
    other = best_aligned_correlation(result, second)
    assert own > other + 0.2


# --- empty and near-empty drawings ---------------------------------------------


def test_black_canvas_is_empty():
    canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    assert preprocess(canvas) is None


def test_fully_transparent_white_canvas_is_empty():
    canvas = np.full((CANVAS, CANVAS, 4), 255, dtype=np.uint8)
    canvas[..., 3] = 0
    assert preprocess(canvas) is None


@pytest.mark.parametrize("radius", [1.5, 9.0], ids=["speck", "brush-click"])
def test_single_dot_is_near_empty(radius):
    canvas = disc(radius)
    assert np.count_nonzero(to_grayscale(canvas)) > 0
    assert preprocess(canvas) is None
    assert is_empty(to_grayscale(canvas))


def test_faint_haze_below_threshold_is_empty():
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    canvas[50:250, 50:250] = INK_THRESHOLD * 0.9
    assert preprocess(canvas) is None


def test_a_real_stroke_is_not_empty():
    assert not is_empty(to_grayscale(seven_drawing()))


# --- geometry of the result ----------------------------------------------------


def test_thin_horizontal_line_becomes_a_centred_bar():
    canvas = np.zeros((CANVAS, CANVAS, 4), dtype=np.uint8)
    canvas[40:48, 30:250] = 255  # a "1" lying down, far from the centre
    steps = preprocess_steps(canvas)
    assert steps["fitted"].shape[1] == 20 and steps["fitted"].shape[0] <= 2
    final = steps["final"]
    assert final.shape == (28, 28) and final.dtype == np.float32
    assert 0.0 <= final.min() and final.max() <= 1.0
    assert final.max() == pytest.approx(1.0, abs=0.02)
    row, col = centre_of_mass(final)
    assert abs(row - 14) <= 0.5 + 1e-6 and abs(col - 14) <= 0.5 + 1e-6
    np.testing.assert_array_equal(preprocess(canvas), final.ravel())


def test_preprocess_steps_shows_every_stage():
    steps = preprocess_steps(seven_drawing())
    assert set(steps) == {"grayscale", "cropped", "fitted", "final"}
    assert steps["grayscale"].shape == (CANVAS, CANVAS)
    assert steps["cropped"].shape == (170, 140)  # rows 60..229, cols 70..209
    assert steps["fitted"].shape == (20, round(140 * 20 / 170))
    assert steps["final"].shape == (28, 28)


def test_preprocess_steps_of_empty_drawing_has_only_grayscale():
    steps = preprocess_steps(np.zeros((50, 60), dtype=np.uint8))
    assert list(steps) == ["grayscale"]


def test_lopsided_drawing_is_shifted_without_cutting_ink():
    # Heavy blob at the far left end of a long thin line: the centre of mass is
    # near the left edge of the 20-px box, so centring it exactly would push the
    # line's right end off the 28x28 field. The shift must be clamped instead.
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.uint8)
    canvas[100:180, 20:100] = 255
    canvas[138:142, 100:270] = 255
    steps = preprocess_steps(canvas)
    final, fitted = steps["final"], steps["fitted"]
    assert final.sum() == pytest.approx(fitted.sum(), rel=1e-5)
    assert final[:, -1].sum() > 0 or final[:, 0].sum() > 0  # pushed to an edge


def test_faint_strokes_are_normalised_to_full_intensity():
    gray = to_grayscale(seven_drawing()) * 0.4
    result = preprocess(gray)
    assert result.max() == pytest.approx(1.0, abs=0.02)
    np.testing.assert_allclose(result, preprocess(seven_drawing()), atol=0.02)


def test_preprocess_does_not_modify_its_input():
    canvas = seven_drawing()
    before = canvas.copy()
    preprocess(canvas)
    np.testing.assert_array_equal(canvas, before)


# --- accepted input formats ----------------------------------------------------


def test_rgb_gray_and_float_inputs_agree_with_rgba():
    rgba = seven_drawing()
    expected = preprocess(rgba)
    gray_u8 = rgba[..., 0]
    variants = {
        "gray uint8": gray_u8,
        "gray (H, W, 1)": gray_u8[..., None],
        "rgb uint8": rgba[..., :3],
        "gray float": gray_u8.astype(np.float64) / 255,
        "rgba float32": rgba.astype(np.float32) / 255,
        "bool": gray_u8 > 127,
        "int64": gray_u8.astype(np.int64),
        "nested list": gray_u8.tolist(),
    }
    for name, image in variants.items():
        np.testing.assert_allclose(preprocess(image), expected, atol=1e-5, err_msg=name)


def test_grayscale_is_luminance_times_alpha():
    pixels = np.array(
        [[[255, 255, 255, 255], [255, 255, 255, 0], [0, 255, 0, 255], [255, 255, 255, 51]]],
        dtype=np.uint8,
    )
    gray = to_grayscale(pixels)
    assert gray.dtype == np.float32 and gray.shape == (1, 4)
    np.testing.assert_allclose(gray[0], [1.0, 0.0, 0.587, 0.2], atol=1e-5)


# --- hostile input -------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(np.zeros((28, 28, 5), dtype=np.uint8), id="5 channels"),
        pytest.param(np.zeros((28, 28, 2), dtype=np.uint8), id="2 channels"),
        pytest.param(np.zeros(784, dtype=np.uint8), id="1-D"),
        pytest.param(np.zeros((2, 28, 28, 4), dtype=np.uint8), id="4-D"),
        pytest.param(np.uint8(7), id="scalar"),
        pytest.param(np.zeros((0, 28), dtype=np.uint8), id="zero rows"),
        # 10000x10000 declared without allocating it: must be rejected by shape alone.
        pytest.param(np.broadcast_to(np.zeros(1, dtype=np.uint8), (10_000, 10_000)), id="huge"),
        pytest.param(np.full((28, 28), np.nan, dtype=np.float32), id="NaN"),
        pytest.param(np.full((28, 28), np.inf), id="inf"),
        pytest.param(np.full((28, 28), 200.0), id="float 0..255"),
        pytest.param(np.full((28, 28), -0.5), id="negative float"),
        pytest.param(np.full((28, 28), 300, dtype=np.int32), id="int above 255"),
        pytest.param(np.full((28, 28), -1, dtype=np.int16), id="negative int"),
        pytest.param(np.zeros((28, 28), dtype=np.complex64), id="complex"),
        pytest.param(np.full((28, 28), "x"), id="strings"),
        pytest.param(np.empty((28, 28), dtype=object), id="objects"),
        pytest.param([[1, 2], [3]], id="ragged list"),
    ],
)
def test_hostile_input_raises_drawing_error(image):
    with pytest.raises(DrawingError):
        preprocess(image)


def test_drawing_error_is_a_value_error_that_says_what_is_wrong():
    with pytest.raises(ValueError, match="5"):
        to_grayscale(np.zeros((28, 28, 5), dtype=np.uint8))
    with pytest.raises(DrawingError, match="10000x10000"):
        to_grayscale(np.broadcast_to(np.zeros(1, dtype=np.uint8), (10_000, 10_000)))
    with pytest.raises(DrawingError, match="NaN"):
        to_grayscale(np.full((4, 4), np.nan))
