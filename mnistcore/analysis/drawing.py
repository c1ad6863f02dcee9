"""Turn a canvas drawing into the 28x28 image an MNIST-trained network expects.

MNIST digits were made by fitting each handwritten digit into a 20x20 box,
keeping its aspect ratio (anti-aliased), then placing that box in a 28x28
field so the digit's centre of mass sits at the centre.  A network trained
on MNIST has only ever seen images made that way, so a raw canvas drawing
(large, off-centre, any size) must go through the same steps before it is
classified.  This module does exactly that and nothing more.

Deliberate limits:

* Ink must be BRIGHT on a dark or transparent background (white strokes on
  black, as the dashboard canvas draws).  Dark-on-light photos or scans are
  not auto-inverted: guessing the polarity would silently mis-handle some
  drawings.
* No stroke thickening, deskewing or denoising: the drawing is only cropped,
  scaled, centred and normalised, as MNIST itself was.
* Input is validated strictly (shape, size, dtype, value range) because it
  may come straight from a browser; anything odd raises ``DrawingError``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = [
    "INK_THRESHOLD",
    "MAX_CANVAS_SIDE",
    "MIN_INK_EXTENT",
    "MIN_INK_PIXELS",
    "REFERENCE_CANVAS_SIDE",
    "DrawingError",
    "is_empty",
    "preprocess",
    "preprocess_steps",
    "to_grayscale",
]

INK_THRESHOLD: float = 0.1
"""Fraction of full intensity below which a pixel does not count as ink."""

REFERENCE_CANVAS_SIDE: int = 280
"""Side of the canvas for which ``MIN_INK_PIXELS`` is stated."""

MIN_INK_PIXELS: int = 30
"""Ink pixels needed on a 280x280 canvas; scaled by area for other sizes."""

MIN_INK_EXTENT: float = 0.1
"""Ink whose bounding box is smaller than this fraction of the canvas's
shorter side in BOTH directions is a dot or a smudge, not a digit."""

MAX_CANVAS_SIDE: int = 4096
"""Largest accepted image side, in pixels (guards memory and time)."""

FIT_SIDE = 20  # MNIST fits each digit into a 20x20 box ...
FIELD_SIDE = 28  # ... inside a 28x28 field ...
CENTRE = 14  # ... with the centre of mass at pixel (14, 14) (measured on MNIST).

# ITU-R BT.601 luma weights: what Pillow's "L" conversion uses.
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class DrawingError(ValueError):
    """The image cannot be a drawing: wrong shape, absurd size, bad dtype or values."""


def _validated_array(image: object) -> np.ndarray:
    """Check shape, size and dtype of ``image`` before touching its values."""
    try:
        array = np.asarray(image)
    except (ValueError, TypeError) as exc:
        raise DrawingError(f"image is not an array of numbers: {exc}") from exc
    if array.ndim not in (2, 3):
        raise DrawingError(f"image must be (H, W), (H, W, 3) or (H, W, 4); got {array.ndim}-D shape {array.shape}")
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise DrawingError(
            f"image must have 1, 3 (RGB) or 4 (RGBA) channels; got {array.shape[2]} (shape {array.shape})"
        )
    height, width = array.shape[:2]
    if not (1 <= height <= MAX_CANVAS_SIDE and 1 <= width <= MAX_CANVAS_SIDE):
        raise DrawingError(f"image sides must be 1..{MAX_CANVAS_SIDE} pixels; got {height}x{width}")
    if array.dtype.kind not in "buif":
        raise DrawingError(f"image dtype must be bool, integer or float; got {array.dtype}")
    return array


def _to_unit_float(array: np.ndarray) -> np.ndarray:
    """Scale values to float32 in [0, 1]: integers are 0..255, floats already 0..1."""
    if array.dtype.kind == "b":
        return array.astype(np.float32)
    if array.dtype.kind in "iu":
        if array.size and (array.min() < 0 or array.max() > 255):
            raise DrawingError(f"integer image values must be in 0..255; got {array.min()}..{array.max()}")
        return array.astype(np.float32) / np.float32(255.0)
    unit = array.astype(np.float32)
    if not np.isfinite(unit).all():
        raise DrawingError("float image contains NaN or infinite values")
    # Tolerate rounding noise only; 0..255 floats would otherwise saturate silently.
    if unit.min() < -1e-6 or unit.max() > 1.0 + 1e-6:
        raise DrawingError(
            f"float image values must be in [0, 1]; got {unit.min():g}..{unit.max():g} (pass uint8 for 0..255 data)"
        )
    return np.clip(unit, 0.0, 1.0)


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Convert a canvas image to ink intensity.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array
        uint8 (0..255), other integers in 0..255, bool, or float in [0, 1].
        Bright strokes on a dark or transparent background.

    Returns
    -------
    (H, W) float32 in [0, 1]
        Ink intensity, ink bright: luminance times alpha, so fully
        transparent pixels are background whatever their colour.

    Raises
    ------
    DrawingError
        Wrong number of dimensions or channels, a side of 0 or more than
        ``MAX_CANVAS_SIDE`` pixels, a non-numeric dtype, or values out of range.
    """
    unit = _to_unit_float(_validated_array(image))
    if unit.ndim == 2:
        return unit
    channels = unit.shape[2]
    if channels == 1:
        return unit[:, :, 0].copy()
    luminance = unit[:, :, :3] @ _LUMA_WEIGHTS
    if channels == 4:
        luminance *= unit[:, :, 3]
    return np.clip(luminance, 0.0, 1.0).astype(np.float32, copy=False)


def _min_ink_pixels(height: int, width: int) -> int:
    """``MIN_INK_PIXELS`` scaled from the 280x280 reference canvas to ``height x width``."""
    scaled = MIN_INK_PIXELS * height * width / REFERENCE_CANVAS_SIDE**2
    return max(1, round(scaled))


def is_empty(gray: np.ndarray) -> bool:
    """Whether a grayscale drawing holds too little ink to be a digit.

    Parameters
    ----------
    gray : (H, W) float array in [0, 1], ink bright (see ``to_grayscale``)

    Returns
    -------
    bool
        True when fewer ink pixels (>= ``INK_THRESHOLD``) than the
        area-scaled ``MIN_INK_PIXELS`` are present, or when the ink fits in a
        box smaller than ``MIN_INK_EXTENT`` of the shorter canvas side in both
        directions (a dot or a click).
    """
    gray = np.asarray(gray)
    if gray.ndim != 2:
        raise DrawingError(f"is_empty expects a 2-D grayscale image; got shape {gray.shape}")
    ink = gray >= INK_THRESHOLD
    if np.count_nonzero(ink) < _min_ink_pixels(*gray.shape):
        return True
    rows, cols = _ink_bounds(ink)
    extent = max(rows.stop - rows.start, cols.stop - cols.start)
    return extent < MIN_INK_EXTENT * min(gray.shape)


def _ink_bounds(ink: np.ndarray) -> tuple[slice, slice]:
    """Row and column slices of the bounding box of the True pixels of ``ink``."""
    row_hits = np.flatnonzero(ink.any(axis=1))
    col_hits = np.flatnonzero(ink.any(axis=0))
    return (
        slice(int(row_hits[0]), int(row_hits[-1]) + 1),
        slice(int(col_hits[0]), int(col_hits[-1]) + 1),
    )


def _normalised(image: np.ndarray) -> np.ndarray:
    """``image`` scaled so its brightest pixel is 1 (MNIST strokes are saturated)."""
    peak = float(image.max())
    return image / np.float32(peak) if peak > 0 else image


def _fit_into_box(cropped: np.ndarray) -> np.ndarray:
    """Resize so the longer side is ``FIT_SIDE`` px, keeping the aspect ratio.

    Uses Pillow's Lanczos filter in float mode: anti-aliased like MNIST's own
    normalisation.  Lanczos can ring slightly below 0 / above 1, hence the clip.
    """
    height, width = cropped.shape
    factor = FIT_SIDE / max(height, width)
    new_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resized = Image.fromarray(cropped.astype(np.float32)).resize(new_size, Image.Resampling.LANCZOS)
    return _normalised(np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0))


def _centre_by_mass(fitted: np.ndarray) -> np.ndarray:
    """Place ``fitted`` in a 28x28 field with its centre of mass at (14, 14).

    The shift is a whole number of pixels (as in MNIST, whose digits all have
    their centre of mass within half a pixel of (14, 14)), clamped so no ink
    is ever pushed off the field.
    """
    height, width = fitted.shape
    mass = float(fitted.sum())
    mass_row = float(fitted.sum(axis=1) @ np.arange(height)) / mass
    mass_col = float(fitted.sum(axis=0) @ np.arange(width)) / mass
    top = int(np.clip(round(CENTRE - mass_row), 0, FIELD_SIDE - height))
    left = int(np.clip(round(CENTRE - mass_col), 0, FIELD_SIDE - width))
    field = np.zeros((FIELD_SIDE, FIELD_SIDE), dtype=np.float32)
    field[top : top + height, left : left + width] = fitted
    return field


def preprocess_steps(image: np.ndarray) -> dict[str, np.ndarray]:
    """Run the MNIST-style pipeline and keep every intermediate image.

    Useful for showing "what the network sees" next to the drawing.

    Parameters
    ----------
    image : array accepted by ``to_grayscale``

    Returns
    -------
    dict
        ``"grayscale"``: (H, W) float32 ink intensity (always present).
        Only when the drawing is not empty (see ``is_empty``):
        ``"cropped"``: (h, w) bounding box of the ink, scaled to max 1;
        ``"fitted"``: (h', w') with max(h', w') == 20, anti-aliased;
        ``"final"``: (28, 28) float32 in [0, 1], centre of mass at (14, 14).

    Raises
    ------
    DrawingError
        See ``to_grayscale``.
    """
    gray = to_grayscale(image)
    steps = {"grayscale": gray}
    if is_empty(gray):
        return steps
    rows, cols = _ink_bounds(gray >= INK_THRESHOLD)
    steps["cropped"] = _normalised(gray[rows, cols])
    steps["fitted"] = _fit_into_box(steps["cropped"])
    steps["final"] = np.clip(_centre_by_mass(steps["fitted"]), 0.0, 1.0)
    return steps


def preprocess(image: np.ndarray) -> np.ndarray | None:
    """Turn a canvas drawing into an MNIST-like input vector.

    Parameters
    ----------
    image : array accepted by ``to_grayscale``
        Typically the (H, W, 4) uint8 RGBA canvas, white ink on black or
        transparent background.

    Returns
    -------
    (784,) float32 in [0, 1] or None
        The 28x28 image flattened row-major (same layout as the dataset),
        or None when the drawing is empty or near-empty (see ``is_empty``).

    Raises
    ------
    DrawingError
        Invalid or hostile input (see ``to_grayscale``).
    """
    final = preprocess_steps(image).get("final")
    return None if final is None else final.reshape(-1)
