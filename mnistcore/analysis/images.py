"""Weights and digits as pictures: NumPy arrays a browser shows as they are.

Two levels. The building blocks: ``weight_images`` (a first-layer unit's 784 incoming
weights as a 28x28 image), ``symmetric_limit`` and ``to_diverging_rgb`` (one blue-white-red
scale centred on zero), ``tile_images``, ``upscale`` and ``grid_shape``. The pictures the
Weights, Mistakes and Backprop pages show: ``weight_mosaic`` (a page of units on grey
gaps), ``weight_picture`` (one unit, enlarged), ``digit_picture`` (dark ink on white),
``legend_stops`` (the scale's colours for a legend) and ``snapshot_limit`` (one scale for
every training snapshot, so changes stay visible).

Deliberate limits:

* UI-free: NumPy only. Images come back as ``uint8`` arrays (RGB where a colour scale is
  applied, grey for digits) that any front end can display.
* Conventions match the engine: first-layer weights ``W1`` have shape ``(784, H)``
  (inputs x units); pixels are flattened row-major, index = row*28 + column.
* Pictures enlarge by whole-pixel repetition so they stay crisp, never by interpolation.
"""

from __future__ import annotations

import math

import numpy as np

from mnistcore.analysis._checks import check_positive_int

GAP_GREY = 150  # between weight tiles: zero weights are white, so white gaps would vanish
MOSAIC_GAP = 3  # pixels between tiles, at any enlargement

# ColorBrewer RdBu (9 classes), listed from negative (blue) to positive (red).
# The centre stop is pure white rather than RdBu's #f7f7f7 so that a weight
# of exactly zero reads as "no colour at all".
_DIVERGING_STOPS = np.array(
    [
        (33, 102, 172),  # #2166ac
        (67, 147, 195),  # #4393c3
        (146, 197, 222),  # #92c5de
        (209, 229, 240),  # #d1e5f0
        (255, 255, 255),  # white at zero
        (253, 219, 199),  # #fddbc7
        (244, 165, 130),  # #f4a582
        (214, 96, 77),  # #d6604d
        (178, 24, 43),  # #b2182b
    ],
    dtype=np.float64,
)


def weight_images(first_layer_weights: np.ndarray, side: int = 28) -> np.ndarray:
    """Reshape each hidden unit's incoming weights into a ``side x side`` image.

    Parameters
    ----------
    first_layer_weights : (side*side, H) weight matrix ``W1`` (inputs x units).
    side : image side length (28 for MNIST).

    Returns
    -------
    (H, side, side) float32; ``out[j, r, c] == W1[r*side + c, j]``.
    """
    w1 = np.asarray(first_layer_weights)
    side = check_positive_int(side, "side")
    n_pixels = side * side
    if w1.ndim != 2 or w1.shape[0] != n_pixels:
        hint = " (it looks transposed; expected inputs x units)" if w1.ndim == 2 and w1.shape[1] == n_pixels else ""
        raise ValueError(f"first_layer_weights must have shape ({n_pixels}, H), got {w1.shape}{hint}")
    # Row-major pixel order matches how images were flattened: index = r*side + c.
    return np.ascontiguousarray(w1.T.reshape(w1.shape[1], side, side), dtype=np.float32)


def symmetric_limit(values: np.ndarray, percentile: float = 99.5) -> float:
    """One colour limit ``L`` for a zero-centred scale spanning ``[-L, L]``.

    Uses a high percentile of ``|values|`` rather than the maximum so that a
    few outlier weights do not wash every other pixel out to white.

    Parameters
    ----------
    values : array of any shape (non-finite entries are ignored).
    percentile : in (0, 100].

    Returns
    -------
    float > 0.  Falls back to ``max|values|`` if the percentile is zero, and
    to 1.0 when every value is zero (or nothing finite is left).
    """
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile!r}")
    magnitudes = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    if magnitudes.size == 0:
        raise ValueError("values is empty; cannot choose a colour limit")
    magnitudes = magnitudes[np.isfinite(magnitudes)]
    if magnitudes.size == 0:
        return 1.0
    limit = float(np.percentile(magnitudes, percentile))
    if limit <= 0.0:
        limit = float(magnitudes.max())
    return limit if limit > 0.0 else 1.0


def to_diverging_rgb(images: np.ndarray, limit: float) -> np.ndarray:
    """Colour values on a blue-white-red scale centred on zero.

    Parameters
    ----------
    images : float array of any shape, typically (..., h, w).
    limit : positive value mapped to the darkest colours; ``-limit`` and below
        are dark blue, ``+limit`` and above dark red, 0 is white.  NaN is
        drawn as white.

    Returns
    -------
    uint8 array of shape ``images.shape + (3,)``.
    """
    if not (np.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be a finite number > 0, got {limit!r}")
    scaled = np.clip(np.nan_to_num(np.asarray(images, dtype=np.float64), nan=0.0) / limit, -1.0, 1.0)
    # Map [-1, 1] onto stop positions 0..n_stops-1 and interpolate each channel.
    n_stops = _DIVERGING_STOPS.shape[0]
    position = (scaled + 1.0) * 0.5 * (n_stops - 1)
    stop_positions = np.arange(n_stops)
    channels = [np.interp(position, stop_positions, _DIVERGING_STOPS[:, ch]) for ch in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def tile_images(images: np.ndarray, columns: int, pad: int = 1, pad_value=255) -> np.ndarray:
    """Arrange many small images into one mosaic, row by row.

    Parameters
    ----------
    images : (n, h, w) or (n, h, w, channels).
    columns : images per row; the last row is filled out with ``pad_value``.
    pad : gap in pixels between neighbouring images (none around the edge).
    pad_value : fill for gaps and empty cells.

    Returns
    -------
    (rows*(h+pad)-pad, columns*(w+pad)-pad[, channels]) with the dtype of
    ``images``, where ``rows = ceil(n / columns)``.
    """
    images = np.asarray(images)
    if images.ndim not in (3, 4) or images.shape[0] == 0:
        raise ValueError(f"images must have shape (n, h, w) or (n, h, w, channels) with n >= 1, got {images.shape}")
    columns = check_positive_int(columns, "columns")
    pad = check_positive_int(pad, "pad", minimum=0)
    n, h, w = images.shape[:3]
    channels = images.shape[3:]
    rows = math.ceil(n / columns)
    cells = np.full((rows * columns, h + pad, w + pad) + channels, pad_value, dtype=images.dtype)
    cells[:n, :h, :w] = images
    # (rows, cols, h', w', c) -> (rows, h', cols, w', c) so a reshape lays cells side by side.
    grid = cells.reshape((rows, columns, h + pad, w + pad) + channels).swapaxes(1, 2)
    mosaic = grid.reshape((rows * (h + pad), columns * (w + pad)) + channels)
    return np.ascontiguousarray(mosaic[: rows * (h + pad) - pad, : columns * (w + pad) - pad])


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Enlarge an image by whole-pixel repetition so it stays crisp in a browser.

    Parameters
    ----------
    image : (h, w) or (h, w, channels).
    factor : integer >= 1.

    Returns
    -------
    (h*factor, w*factor[, channels]), same dtype.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must have shape (h, w) or (h, w, channels), got {image.shape}")
    factor = check_positive_int(factor, "factor")
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def grid_shape(n: int, max_columns: int = 16) -> tuple[int, int]:
    """Rows and columns for a near-square grid of ``n`` cells.

    Columns are ``ceil(sqrt(n))`` capped at ``max_columns``; rows are however
    many are then needed.  E.g. 16 -> (4, 4), 100 -> (10, 10), 800 -> (50, 16).
    """
    n = check_positive_int(n, "n")
    max_columns = check_positive_int(max_columns, "max_columns")
    columns = min(max_columns, math.isqrt(n - 1) + 1)  # integer ceil(sqrt(n))
    return math.ceil(n / columns), columns


def snapshot_limit(snapshot_weights: np.ndarray) -> float:
    """One colour limit for all first-layer snapshots (S, 784, H), so changes stay visible."""
    return symmetric_limit(snapshot_weights)


# --------------------------------------------------------------------------
# The pages' pictures
# --------------------------------------------------------------------------


def mosaic_columns(n_tiles: int) -> int:
    """Tiles per row for a near-square mosaic (16 -> 4, 64 -> 8), at most 16."""
    return grid_shape(n_tiles, max_columns=16)[1]


def mosaic_scale(columns: int, side: int = 28, gap: int = MOSAIC_GAP, target_px: int = 720) -> int:
    """Whole-pixel enlargement of each tile so ``columns`` tiles and their gaps fit in ``target_px``."""
    return max(1, (target_px - (columns - 1) * gap) // (columns * side))


def weight_mosaic(first_layer_weights: np.ndarray, units: range, limit: float, scale: int | None = None) -> np.ndarray:
    """The incoming weights of ``units`` as 28x28 tiles on one blue-white-red image.

    Parameters
    ----------
    first_layer_weights : (784, H) matrix ``W1``.
    units : which columns of ``W1`` to draw, row-major in the mosaic.
    limit : weight drawn as the darkest colour (the same for every unit and page).
    scale : whole-pixel enlargement; by default at most about 720 px wide.

    Returns
    -------
    (rows*(28*scale+gap)-gap, columns*(28*scale+gap)-gap, 3) uint8 image, with
    ``gap = MOSAIC_GAP`` grey pixels between tiles whatever the scale.
    """
    images = weight_images(np.asarray(first_layer_weights)[:, units.start : units.stop])
    columns = mosaic_columns(len(units))
    scale = scale or mosaic_scale(columns)
    tiles = to_diverging_rgb(images, limit).repeat(scale, axis=1).repeat(scale, axis=2)
    return tile_images(tiles, columns, pad=MOSAIC_GAP, pad_value=GAP_GREY)


def weight_picture(unit_weights: np.ndarray, limit: float, scale: int = 8) -> np.ndarray:
    """One unit's 784 incoming weights as an enlarged (28*scale, 28*scale, 3) uint8 image."""
    image = weight_images(np.asarray(unit_weights).reshape(-1, 1))[0]
    return upscale(to_diverging_rgb(image, limit), scale)


def digit_picture(pixels: np.ndarray, scale: int = 4) -> np.ndarray:
    """An MNIST digit (784,) in [0, 1] as dark ink on white, (28*scale, 28*scale) uint8."""
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.size != 784:
        raise ValueError(f"a digit has 784 pixels, got {pixels.size}")
    ink = np.rint(255.0 * (1.0 - np.clip(pixels.reshape(28, 28), 0.0, 1.0))).astype(np.uint8)
    return upscale(ink, scale)


def legend_stops(limit: float, n_steps: int = 41) -> tuple[np.ndarray, list[str]]:
    """Values (n_steps,) from -limit to +limit and their colours as '#rrggbb' strings."""
    values = np.linspace(-limit, limit, n_steps)
    rgb = to_diverging_rgb(values, limit)
    return values, [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]
