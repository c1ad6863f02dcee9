"""Tests for mnistcore.engine.augment: vectorised random affine warps of MNIST batches."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnistcore.engine.augment import (
    AugmentConfig,
    affine_batch,
    affine_matrices,
    random_affine,
)

IDENTITY = AugmentConfig(max_shift=0, max_rotation=0, max_scale=0, max_shear=0)
STRONG = AugmentConfig(max_shift=4, max_rotation=30, max_scale=0.3, max_shear=20)


def synthetic_image() -> np.ndarray:
    """An asymmetric 28x28 pattern (so rotations and flips are distinguishable)."""
    image = np.zeros((28, 28), dtype=np.float32)
    image[5:9, 4:20] = 1.0  # top bar
    image[9:24, 16:19] = 0.6  # stem on the right
    image[20:23, 6:10] = 0.3  # faint blob bottom-left
    return image


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    """(row, col) centre of mass of a (28, 28) image."""
    grid = np.arange(28)
    total = image.sum()
    return np.array([image.sum(axis=1) @ grid, image.sum(axis=0) @ grid]) / total


def reference_warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Plain-loop bilinear inverse warp with zero fill: the definition, slowly."""
    out = np.zeros((28, 28))
    for row in range(28):
        for col in range(28):
            x, y = matrix @ np.array([col - 13.5, row - 13.5, 1.0]) + 13.5
            x0, y0 = math.floor(x), math.floor(y)
            for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
                r, c = y0 + dy, x0 + dx
                if 0 <= r < 28 and 0 <= c < 28:
                    weight = (1 - abs(x - c)) * (1 - abs(y - r))
                    out[row, col] += weight * image[r, c]
    return out


@pytest.fixture()
def random_batch() -> np.ndarray:
    return np.random.default_rng(7).random((300, 784), dtype=np.float32)


# --- exact geometry ------------------------------------------------------------


def test_identity_config_returns_input_unchanged(random_batch):
    result = random_affine(random_batch, np.random.default_rng(0), IDENTITY)
    np.testing.assert_allclose(result, random_batch, atol=1e-6)


@pytest.mark.parametrize(("shift_x", "shift_y"), [(2, 0), (0, 2), (-2, 0), (0, -2), (1.5, -0.5)])
def test_shift_moves_centre_of_mass_by_the_shift(shift_x, shift_y):
    image = synthetic_image()
    matrices = affine_matrices(0.0, 1.0, shift_x, shift_y)
    moved = affine_batch(image.reshape(1, -1), matrices).reshape(28, 28)
    # +x is to the right (columns), +y is down (rows).
    expected = centre_of_mass(image) + [shift_y, shift_x]
    np.testing.assert_allclose(centre_of_mass(moved), expected, atol=1e-4)
    assert moved.sum() == pytest.approx(image.sum(), rel=1e-5)  # nothing fell off


@pytest.mark.parametrize(("degrees", "quarter_turns"), [(90, 1), (180, 2), (-90, -1)])
def test_rotation_by_quarter_turns_matches_rot90(degrees, quarter_turns):
    image = synthetic_image()
    rotated = affine_batch(image.reshape(1, -1), affine_matrices(degrees, 1.0, 0, 0))
    # Positive angles turn counter-clockwise on screen, like np.rot90.
    np.testing.assert_allclose(rotated.reshape(28, 28), np.rot90(image, quarter_turns), atol=1e-5)


def test_scaling_shrinks_the_digit_about_the_centre():
    image = synthetic_image()
    half = affine_batch(image.reshape(1, -1), affine_matrices(0, 0.5, 0, 0))
    half = half.reshape(28, 28)
    offset = centre_of_mass(image) - 13.5
    np.testing.assert_allclose(centre_of_mass(half) - 13.5, offset / 2, atol=0.05)
    # Area shrinks by 4 (bilinear sampling, so only approximately).
    assert half.sum() == pytest.approx(image.sum() / 4, rel=0.1)


def test_warp_matches_plain_loop_reference():
    rng = np.random.default_rng(3)
    images = rng.random((3, 784), dtype=np.float32)
    matrices = affine_matrices(
        rng.uniform(-40, 40, 3),
        rng.uniform(0.7, 1.3, 3),
        rng.uniform(-5, 5, 3),
        rng.uniform(-5, 5, 3),
        rng.uniform(-20, 20, 3),
    )
    warped = affine_batch(images, matrices)
    for image, matrix, result in zip(images, matrices, warped, strict=True):
        expected = reference_warp(image.reshape(28, 28), matrix)
        np.testing.assert_allclose(result.reshape(28, 28), expected, atol=1e-4)


def test_shift_far_outside_gives_zeros(random_batch):
    matrices = affine_matrices(np.zeros(300), 1.0, 40.0, -35.0)
    assert not affine_batch(random_batch, matrices).any()


def test_each_image_is_warped_independently_across_chunks(random_batch):
    # A batch larger than the internal chunk must equal warping images one by one.
    matrices = affine_matrices(np.linspace(-30, 30, 300), 1.1, 1.0, -2.0)
    together = affine_batch(random_batch, matrices)
    for i in (0, 31, 32, 33, 150, 299):
        alone = affine_batch(random_batch[i : i + 1], matrices[i : i + 1])
        np.testing.assert_array_equal(together[i], alone[0])


# --- random_affine contract ----------------------------------------------------


def test_output_is_float32_in_unit_range_with_same_shape(random_batch):
    result = random_affine(random_batch.astype(np.float64), np.random.default_rng(1), STRONG)
    assert result.shape == random_batch.shape
    assert result.dtype == np.float32
    assert 0.0 <= result.min() and result.max() <= 1.0
    assert not np.allclose(result, random_batch)  # it did warp


def test_same_seed_gives_identical_output(random_batch):
    first = random_affine(random_batch, np.random.default_rng(42), STRONG)
    again = random_affine(random_batch, np.random.default_rng(42), STRONG)
    other = random_affine(random_batch, np.random.default_rng(43), STRONG)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_each_image_gets_its_own_warp():
    image = synthetic_image().reshape(1, -1)
    batch = np.repeat(image, 20, axis=0)
    result = random_affine(batch, np.random.default_rng(5), STRONG)
    assert len({row.tobytes() for row in result}) == 20


def test_random_shifts_stay_within_max_shift():
    image = synthetic_image()
    batch = np.repeat(image.reshape(1, -1), 200, axis=0)
    config = AugmentConfig(max_shift=2.0, max_rotation=0, max_scale=0)
    result = random_affine(batch, np.random.default_rng(9), config).reshape(-1, 28, 28)
    moves = np.array([centre_of_mass(r) for r in result]) - centre_of_mass(image)
    assert np.abs(moves).max() <= 2.0 + 1e-3
    assert np.abs(moves).max() > 1.5  # the full range is used
    assert abs(moves.mean()) < 0.3  # and both directions


def test_writes_into_out_and_can_work_in_place(random_batch):
    expected = random_affine(random_batch, np.random.default_rng(2), STRONG)
    out = np.empty_like(random_batch)
    returned = random_affine(random_batch, np.random.default_rng(2), STRONG, out=out)
    assert returned is out
    np.testing.assert_array_equal(out, expected)
    in_place = random_batch.copy()
    random_affine(in_place, np.random.default_rng(2), STRONG, out=in_place)
    np.testing.assert_array_equal(in_place, expected)


def test_empty_batch():
    result = random_affine(np.zeros((0, 784), np.float32), np.random.default_rng(0))
    assert result.shape == (0, 784)


def test_default_config_keeps_real_digits_recognisable(mnist):
    digits, labels = mnist.test_x[:1000], mnist.test_y[:1000]
    warped = random_affine(digits, np.random.default_rng(0))
    assert warped.dtype == np.float32 and 0 <= warped.min() and warped.max() <= 1
    # Scale within +-10% changes ink area by at most ~21%; shifts of 2 px lose no ink.
    mass_ratio = warped.sum(axis=1) / digits.sum(axis=1)
    assert mass_ratio.min() > 0.75 and mass_ratio.max() < 1.3
    # A nearest-class-mean classifier (very shift-sensitive) still reads most warped
    # digits; measured ~0.80 unwarped, ~0.6 default warp, ~0.3 with STRONG; chance 0.1.
    centroids = np.stack([mnist.train_x[mnist.train_y == k].mean(axis=0) for k in range(10)])

    def accuracy(images: np.ndarray) -> float:
        distances = ((images[:, None, :] - centroids[None]) ** 2).sum(axis=2)
        return float((distances.argmin(axis=1) == labels).mean())

    plain = accuracy(digits)
    mild = accuracy(warped)
    strong = accuracy(random_affine(digits, np.random.default_rng(0), STRONG))
    assert plain > 0.7
    assert 0.45 < mild < plain
    assert strong < mild


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize("field", ["max_shift", "max_rotation", "max_scale", "max_shear"])
@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, 1e6])
def test_config_rejects_out_of_range_values_naming_the_field(field, bad):
    with pytest.raises(ValueError, match=field) as error:
        AugmentConfig(**{field: bad})
    assert "[" in str(error.value)  # the allowed range is in the message


def test_config_rejects_non_numbers():
    with pytest.raises(TypeError, match="max_shift"):
        AugmentConfig(max_shift="2")
    with pytest.raises(TypeError, match="max_rotation"):
        AugmentConfig(max_rotation=True)


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        AugmentConfig().max_shift = 5.0


@pytest.mark.parametrize(
    ("batch", "matrices", "out"),
    [
        (np.zeros((2, 783), np.float32), np.zeros((2, 2, 3)), None),
        (np.zeros(784, np.float32), np.zeros((1, 2, 3)), None),
        (np.zeros((2, 784), np.float32), np.zeros((3, 2, 3)), None),
        (np.zeros((2, 784), np.float32), np.zeros((2, 3, 3)), None),
        (np.zeros((2, 784), np.float32), np.zeros((2, 2, 3)), np.zeros((2, 784))),
    ],
)
def test_affine_batch_rejects_bad_shapes(batch, matrices, out):
    with pytest.raises(ValueError, match="shape"):
        affine_batch(batch, matrices, out=out)
