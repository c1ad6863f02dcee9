"""Tests for mnistcore.analysis.images: the building blocks on small hand-made arrays with
known answers, then the pictures the pages show."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore.analysis.images import (
    GAP_GREY,
    MOSAIC_GAP,
    digit_picture,
    grid_shape,
    legend_stops,
    mosaic_columns,
    mosaic_scale,
    symmetric_limit,
    tile_images,
    to_diverging_rgb,
    upscale,
    weight_images,
    weight_mosaic,
    weight_picture,
)

# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------


def test_weight_images_pixel_layout():
    w1 = np.random.default_rng(0).normal(size=(784, 5))
    images = weight_images(w1)
    assert images.shape == (5, 28, 28) and images.dtype == np.float32
    for unit, row, col in [(0, 0, 0), (2, 0, 27), (4, 27, 0), (3, 13, 21)]:
        assert images[unit, row, col] == np.float32(w1[row * 28 + col, unit])


def test_weight_images_rejects_transposed_weights():
    with pytest.raises(ValueError, match="looks transposed"):
        weight_images(np.zeros((5, 784)))


@pytest.mark.parametrize(
    ("values", "percentile", "expected"),
    [
        (np.linspace(-100, 100, 201), 100, 100.0),
        (np.linspace(-100, 100, 201), 50, 50.0),
        (np.zeros(10), 99.5, 1.0),  # all zero: a usable fallback
        (np.r_[np.zeros(999), -4.0], 50, 4.0),  # percentile is 0: fall back to the max
    ],
)
def test_symmetric_limit(values, percentile, expected):
    assert symmetric_limit(values, percentile) == pytest.approx(expected)


def test_symmetric_limit_ignores_a_few_outliers():
    values = np.r_[np.linspace(-1, 1, 1001), 1000.0]
    assert symmetric_limit(values, 99.5) < 1.01


@pytest.mark.parametrize(
    ("value", "check"),
    [
        (0.0, lambda rgb: tuple(rgb) == (255, 255, 255)),
        (2.0, lambda rgb: rgb[0] > rgb[2] + 100),  # +limit: red
        (-2.0, lambda rgb: rgb[2] > rgb[0] + 100),  # -limit: blue
        (0.5, lambda rgb: rgb[0] > rgb[2] and min(rgb) > 100),  # light red
    ],
)
def test_to_diverging_rgb_colours(value, check):
    rgb = to_diverging_rgb(np.array([[value]]), limit=2.0)[0, 0]
    assert check(rgb), rgb


def test_to_diverging_rgb_clips_beyond_limit_and_keeps_shape():
    images = np.array([[[-2.0, -50.0], [2.0, 50.0]]] * 3)
    rgb = to_diverging_rgb(images, limit=2.0)
    assert rgb.shape == (3, 2, 2, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[:, 0, 0], rgb[:, 0, 1])
    np.testing.assert_array_equal(rgb[:, 1, 0], rgb[:, 1, 1])


def test_to_diverging_rgb_darkens_monotonically_away_from_zero():
    brightness = to_diverging_rgb(np.linspace(0, 1, 11), limit=1.0).astype(int).sum(axis=-1)
    assert np.all(np.diff(brightness) <= 0)
    brightness = to_diverging_rgb(np.linspace(0, -1, 11), limit=1.0).astype(int).sum(axis=-1)
    assert np.all(np.diff(brightness) <= 0)


def test_to_diverging_rgb_rejects_non_positive_limit():
    with pytest.raises(ValueError, match="limit must be a finite number > 0"):
        to_diverging_rgb(np.zeros((2, 2)), limit=0.0)


@pytest.mark.parametrize(
    ("n", "columns", "channels", "expected_shape"),
    [
        (16, 4, (), (4 * 29 - 1, 4 * 29 - 1)),
        (800, 16, (), (50 * 29 - 1, 16 * 29 - 1)),
        (800, 16, (3,), (50 * 29 - 1, 16 * 29 - 1, 3)),
        (17, 4, (), (5 * 29 - 1, 4 * 29 - 1)),  # partial last row
    ],
)
def test_tile_images_shape(n, columns, channels, expected_shape):
    images = np.zeros((n, 28, 28) + channels, dtype=np.uint8)
    assert tile_images(images, columns).shape == expected_shape


def test_tile_images_places_each_image_and_pads():
    images = np.arange(3 * 2 * 2).reshape(3, 2, 2)  # image i holds 4i..4i+3
    mosaic = tile_images(images, columns=2, pad=1, pad_value=-1)
    expected = np.array(
        [
            [0, 1, -1, 4, 5],
            [2, 3, -1, 6, 7],
            [-1, -1, -1, -1, -1],
            [8, 9, -1, -1, -1],
            [10, 11, -1, -1, -1],
        ]
    )
    np.testing.assert_array_equal(mosaic, expected)


def test_upscale_repeats_pixels():
    image = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    big = upscale(image, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    np.testing.assert_array_equal(big[:3, :3], 1)
    np.testing.assert_array_equal(big[3:, 3:], 4)
    assert upscale(np.zeros((2, 2, 3)), 2).shape == (4, 4, 3)


@pytest.mark.parametrize(
    ("n", "max_columns", "expected"),
    [
        (1, 16, (1, 1)),
        (16, 16, (4, 4)),
        (17, 16, (4, 5)),
        (100, 16, (10, 10)),
        (800, 16, (50, 16)),
    ],
)
def test_grid_shape(n, max_columns, expected):
    rows, columns = grid_shape(n, max_columns)
    assert (rows, columns) == expected
    assert rows * columns >= n > (rows - 1) * columns


# --------------------------------------------------------------------------
# The pages' pictures
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("n_units", "columns"), [(16, 4), (64, 8), (10, 4), (1, 1)])
def test_weight_mosaic_has_one_tile_per_unit_in_a_grid(n_units, columns):
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(784, 100)).astype(np.float32)
    units = range(3, 3 + n_units)
    assert mosaic_columns(n_units) == columns
    mosaic = weight_mosaic(w1, units, limit=1.0, scale=2)
    rows = -(-n_units // columns)
    pitch = 56 + MOSAIC_GAP  # a 2x tile and the gap after it
    assert mosaic.shape == (rows * pitch - MOSAIC_GAP, columns * pitch - MOSAIC_GAP, 3) and mosaic.dtype == np.uint8
    # The tile at row r, column c is unit units.start + r*columns + c, pixel for pixel.
    r, c = divmod(n_units - 1, columns)
    tile = mosaic[pitch * r : pitch * r + 56, pitch * c : pitch * c + 56]
    np.testing.assert_array_equal(tile, weight_picture(w1[:, units[-1]], limit=1.0, scale=2))
    if n_units > 1:  # the gap between the first two tiles is grey, not white like a zero weight
        assert (mosaic[:56, 56:pitch] == GAP_GREY).all()


def test_weight_picture_puts_pixel_weights_where_the_pixels_are():
    weights = np.zeros(784)
    weights[0] = 1.0  # top-left pixel pushes the unit on: dark red
    weights[28 * 27 + 27] = -1.0  # bottom-right pixel holds it back: dark blue
    picture = weight_picture(weights, limit=1.0, scale=3)
    assert picture.shape == (84, 84, 3)
    red, blue, white = picture[0, 0], picture[-1, -1], picture[40, 40]
    assert red[0] > 150 and red[2] < 80
    assert blue[2] > 150 and blue[0] < 80
    np.testing.assert_array_equal(white, [255, 255, 255])


def test_mosaic_scale_keeps_the_mosaic_within_the_target_width():
    for columns in (1, 4, 6, 8, 16):
        scale = mosaic_scale(columns)
        assert columns * 28 * scale + (columns - 1) * MOSAIC_GAP <= 720
        assert scale == 1 or columns * 28 * (scale + 1) + (columns - 1) * MOSAIC_GAP > 720  # as large as fits
    assert mosaic_scale(4) == 6 and mosaic_scale(8) == 3
    assert mosaic_scale(100) == 1  # never below whole-pixel size


def test_digit_picture_is_dark_ink_on_white():
    pixels = np.zeros(784, np.float32)
    pixels[28 * 14 + 14] = 1.0
    picture = digit_picture(pixels, scale=2)
    assert picture.shape == (56, 56) and picture.dtype == np.uint8
    assert picture[28, 28] == 0 and picture[0, 0] == 255
    with pytest.raises(ValueError, match="784 pixels"):
        digit_picture(np.zeros(100))


def test_legend_stops_run_from_blue_through_white_to_red():
    values, colours = legend_stops(0.5, n_steps=5)
    np.testing.assert_allclose(values, [-0.5, -0.25, 0, 0.25, 0.5])
    assert colours[0] == "#2166ac" and colours[2] == "#ffffff" and colours[-1] == "#b2182b"
