"""On-the-fly data augmentation for MNIST training batches: random affine warps.

Each image in a batch gets its own small random rotation, scale, shift and
(optionally) shear about the image centre, resampled with bilinear
interpolation and zero fill.  The whole batch is warped at once with NumPy
broadcasting and flat-index gathers: no Python loop per sample, so it keeps up
with training (run ``python -m mnistcore.engine.augment`` for a speed figure).

Deliberate limits:

* Only 28x28 single-channel images flattened to 784 values (the MNIST layout).
* Only affine warps: no elastic distortion, noise or erasing.
* Bilinear interpolation slightly blurs warped images; an identity warp
  returns the input unchanged.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

__all__ = ["AugmentConfig", "affine_batch", "affine_matrices", "random_affine"]

SIDE = 28
PIXELS = SIDE * SIDE
_CENTRE = (SIDE - 1) / 2.0  # 13.5: the centre of the pixel grid, in pixel-index units
_PADDED = SIDE + 2  # one ring of zeros around each image gives free "outside" reads
_CHUNK = 32  # images warped together; bigger chunks spill the temporaries out of cache

# Allowed range of each AugmentConfig field (inclusive); beyond these the
# digits stop looking like MNIST digits (or, for scale, flip or vanish).
_FIELD_LIMITS = {
    "max_shift": (0.0, 14.0),
    "max_rotation": (0.0, 180.0),
    "max_scale": (0.0, 0.9),
    "max_shear": (0.0, 45.0),
}


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random affine warp; each parameter is drawn uniformly per image.

    Attributes
    ----------
    max_shift : float
        Shift in pixels, drawn independently for x and y from [-max_shift, max_shift].
    max_rotation : float
        Rotation in degrees from [-max_rotation, max_rotation] (positive = counter-clockwise).
    max_scale : float
        Scale factor from [1 - max_scale, 1 + max_scale].
    max_shear : float
        Horizontal shear angle in degrees from [-max_shear, max_shear].

    Raises
    ------
    TypeError
        A field is not a number.
    ValueError
        A field is not finite or outside its allowed range (the message names both).
    """

    max_shift: float = 2.0
    max_rotation: float = 10.0
    max_scale: float = 0.1
    max_shear: float = 0.0

    def __post_init__(self) -> None:
        for field in fields(self):
            low, high = _FIELD_LIMITS[field.name]
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"AugmentConfig.{field.name} must be a number; got {value!r}")
            if not (math.isfinite(value) and low <= value <= high):
                raise ValueError(f"AugmentConfig.{field.name} must be finite and in [{low:g}, {high:g}]; got {value!r}")


def affine_matrices(
    rotation_deg: npt.ArrayLike,
    scale: npt.ArrayLike,
    shift_x: npt.ArrayLike,
    shift_y: npt.ArrayLike,
    shear_deg: npt.ArrayLike | None = None,
) -> np.ndarray:
    """Build the inverse-warp matrices that ``affine_batch`` takes.

    The forward warp (what happens to the digit) is: shear horizontally,
    scale, rotate counter-clockwise (as displayed, row 0 at the top), all
    about the image centre, then shift by (shift_x right, shift_y down).

    Parameters
    ----------
    rotation_deg, scale, shift_x, shift_y, shear_deg : (B,) arrays or scalars
        Per-image warp parameters; ``shear_deg`` defaults to 0.

    Returns
    -------
    (B, 2, 3) float64
        For each image, the map from an OUTPUT pixel's (x, y) relative to the
        centre to the SOURCE position it samples, relative to the centre.
    """
    if shear_deg is None:
        shear_deg = 0.0
    rotation, scale, shift_x, shift_y, shear = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(p, dtype=np.float64)) for p in (rotation_deg, scale, shift_x, shift_y, shear_deg))
    )
    # With y pointing down, a counter-clockwise turn on screen is [[c, s], [-s, c]].
    angle = np.deg2rad(rotation)
    cos, sin, tan_shear = np.cos(angle), np.sin(angle), np.tan(np.deg2rad(shear))
    forward = np.empty(rotation.shape + (2, 2))
    forward[:, 0, 0] = scale * cos
    forward[:, 0, 1] = scale * (cos * tan_shear + sin)
    forward[:, 1, 0] = -scale * sin
    forward[:, 1, 1] = scale * (cos - sin * tan_shear)
    inverse = np.linalg.inv(forward)
    shift = np.stack([shift_x, shift_y], axis=-1)
    offset = -np.einsum("bij,bj->bi", inverse, shift)
    return np.concatenate([inverse, offset[:, :, None]], axis=2)


def _validated_batch(batch: np.ndarray) -> np.ndarray:
    batch = np.asarray(batch)
    if batch.ndim != 2 or batch.shape[1] != PIXELS:
        raise ValueError(f"batch must have shape (B, {PIXELS}); got {batch.shape}")
    return batch.astype(np.float32, copy=False)


def _output_array(out: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if out.shape != shape or out.dtype != np.float32:
        raise ValueError(f"out must be float32 with shape {shape}; got {out.dtype} {out.shape}")
    return out


# Output pixel coordinates relative to the centre, row-major like the flattened images.
_GRID_Y, _GRID_X = (g.ravel().astype(np.float32) - _CENTRE for g in np.mgrid[0:SIDE, 0:SIDE])


def affine_batch(batch: np.ndarray, matrices: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Warp every image of a batch by its own affine map (bilinear, zero fill).

    Parameters
    ----------
    batch : (B, 784) float array
        Flattened 28x28 images.
    matrices : (B, 2, 3) float array
        Inverse maps as returned by ``affine_matrices``: output (x, y, 1)
        relative to the centre -> source (x, y) relative to the centre.
    out : (B, 784) float32 array, optional
        Where to write the result (may be ``batch`` itself if float32).

    Returns
    -------
    (B, 784) float32
        Warped images; values stay within the input's range.
    """
    images = _validated_batch(batch)
    count = images.shape[0]
    matrices = np.asarray(matrices, dtype=np.float32)
    if matrices.shape != (count, 2, 3):
        raise ValueError(f"matrices must have shape ({count}, 2, 3); got {matrices.shape}")
    result = _output_array(out, images.shape)
    if count == 0:
        return result
    # One workspace reused chunk after chunk: fresh temporaries for every chunk
    # would cost more in page faults than the arithmetic itself.
    workspace = _Workspace(min(count, _CHUNK))
    for first in range(0, count, _CHUNK):
        chunk = slice(first, first + _CHUNK)
        _warp_chunk(images[chunk], matrices[chunk], result[chunk], workspace)
    return result


class _Workspace:
    """Scratch arrays for warping up to ``size`` images at once."""

    def __init__(self, size: int) -> None:
        shape = (size, PIXELS)
        self.padded = np.zeros((size, _PADDED, _PADDED), dtype=np.float32)  # ring stays 0
        (
            self.src_x,
            self.src_y,
            self.floor_x,
            self.floor_y,
            self.top,
            self.bottom,
            self.value,
        ) = (np.empty(shape, dtype=np.float32) for _ in range(7))
        self.index, self.neighbour = (np.empty(shape, dtype=np.intp) for _ in range(2))
        self.image_start = (np.arange(size, dtype=np.intp) * (_PADDED * _PADDED))[:, None]


def _warp_chunk(images: np.ndarray, matrices: np.ndarray, result: np.ndarray, ws: _Workspace) -> None:
    """Bilinear inverse warp of (n, 784) ``images`` into ``result`` (see ``affine_batch``)."""
    n = images.shape[0]
    ws.padded[:n, 1:-1, 1:-1] = images.reshape(n, SIDE, SIDE)
    frac_x, frac_y = ws.src_x[:n], ws.src_y[:n]
    floor_x, floor_y = ws.floor_x[:n], ws.floor_y[:n]
    for axis, (src, floor) in enumerate(((frac_x, floor_x), (frac_y, floor_y))):
        _source_coordinate(matrices[:, axis], out=src, scratch=floor)
        # Far-outside points are clamped onto the zero ring, so they read 0.
        np.clip(src, 0.0, _PADDED - 1, out=src)
        np.floor(src, out=floor)
        np.minimum(floor, _PADDED - 2, out=floor)
        src -= floor  # now the fractional part, the bilinear weight
    floor_y *= _PADDED
    floor_y += floor_x
    index = ws.index[:n]
    np.copyto(index, floor_y, casting="unsafe")  # exact: whole numbers below 900
    index += ws.image_start[:n]
    flat = ws.padded.reshape(-1)
    top = _blend_row(flat, index, frac_x, ws, out=ws.top[:n])
    index += _PADDED
    bottom = _blend_row(flat, index, frac_x, ws, out=ws.bottom[:n])
    bottom -= top
    np.multiply(frac_y, bottom, out=result)
    result += top


def _source_coordinate(rows: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> None:
    """(n, 3) matrix rows -> (n, 784) source coordinate in the padded frame."""
    np.multiply(rows[:, 0:1], _GRID_X, out=out)
    np.multiply(rows[:, 1:2], _GRID_Y, out=scratch)
    out += scratch
    out += rows[:, 2:3] + np.float32(_CENTRE + 1.0)  # +1: the ring of zeros


def _blend_row(
    flat: np.ndarray,
    left: np.ndarray,
    frac: np.ndarray,
    ws: _Workspace,
    out: np.ndarray,
) -> np.ndarray:
    """Blend ``flat[left]`` with its right neighbour by weight ``frac``, into ``out``."""
    n = left.shape[0]
    neighbour, right = ws.neighbour[:n], ws.value[:n]
    # mode="clip" skips numpy's buffered bounds check; indices are in range by construction.
    np.take(flat, left, out=out, mode="clip")
    np.add(left, 1, out=neighbour)
    np.take(flat, neighbour, out=right, mode="clip")
    right -= out
    right *= frac
    out += right
    return out


def random_affine(
    batch: np.ndarray,
    rng: np.random.Generator,
    cfg: AugmentConfig = AugmentConfig(),
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Apply an independent random affine warp to each image of a batch.

    Parameters
    ----------
    batch : (B, 784) float array in [0, 1]
    rng : np.random.Generator
        The only source of randomness: the same generator state gives the same output.
    cfg : AugmentConfig
        Ranges of rotation, scale, shift and shear.
    out : (B, 784) float32 array, optional
        Where to write the result.

    Returns
    -------
    (B, 784) float32 in [0, 1]
    """
    images = _validated_batch(batch)
    count = images.shape[0]
    # Draw every parameter every time so the generator advances identically for any config.
    rotation = rng.uniform(-cfg.max_rotation, cfg.max_rotation, count)
    scale = 1.0 + rng.uniform(-cfg.max_scale, cfg.max_scale, count)
    shift_x = rng.uniform(-cfg.max_shift, cfg.max_shift, count)
    shift_y = rng.uniform(-cfg.max_shift, cfg.max_shift, count)
    shear = rng.uniform(-cfg.max_shear, cfg.max_shear, count)
    matrices = affine_matrices(rotation, scale, shift_x, shift_y, shear)
    result = affine_batch(images, matrices, out=out)
    return np.clip(result, 0.0, 1.0, out=result)


def _benchmark(batch_sizes: tuple[int, ...] = (100, 1000), repeats: int = 20) -> None:
    """Print images/second of ``random_affine`` on random data."""
    rng = np.random.default_rng(0)
    for batch_size in batch_sizes:
        batch = rng.random((batch_size, PIXELS), dtype=np.float32)
        out = np.empty_like(batch)
        random_affine(batch, rng, out=out)  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            random_affine(batch, rng, out=out)
        elapsed = time.perf_counter() - start
        rate = batch_size * repeats / elapsed
        print(f"random_affine B={batch_size:5d}: {rate:12,.0f} images/s")


if __name__ == "__main__":
    _benchmark()
