"""Tests for mnistcore.engine.data.mnist: loading the set (checksums, one byte buffer, float splits
on first use), the pixel and label encodings, and the facts of the real MNIST."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnistcore.engine.data import (
    ENV_VAR,
    FILES,
    IMAGES_MAGIC,
    DataError,
    Mnist,
    default_cache_dir,
    files,
    find_data_dir,
    load_mnist,
    one_hot,
    read_idx,
    scale_pixels,
)
from tests.data_support import fake_mnist_files, write_set

# --------------------------------------------------------------------------- checksums and loading


def test_load_mnist_refuses_wrong_content_naming_the_file(tmp_path):
    write_set(tmp_path, fake_mnist_files(), compress=True)
    with pytest.raises(DataError, match="SHA-256") as excinfo:
        load_mnist(tmp_path, download_missing=False)
    assert str(tmp_path / FILES["train_labels"]) in str(excinfo.value)


def test_load_mnist_without_verify_keeps_the_bytes_in_one_buffer_and_scales_splits(tmp_path):
    contents = fake_mnist_files()
    write_set(tmp_path, contents, compress=False)

    loaded = load_mnist(tmp_path, download_missing=False, verify=False)

    train_images = read_idx(tmp_path / FILES["train_images"]).reshape(120, 784)
    test_labels = read_idx(tmp_path / FILES["test_labels"])
    assert loaded.pixels.shape == (127, 784) and loaded.pixels.dtype == np.uint8
    np.testing.assert_array_equal(loaded.pixels[:120], train_images)
    np.testing.assert_array_equal(loaded.train_pixels, train_images[loaded.n_val :])
    assert loaded.val_x.dtype == loaded.test_x.dtype == loaded.train_x.dtype == np.float32
    np.testing.assert_allclose(loaded.val_x, train_images[: loaded.n_val] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(loaded.train_x, train_images[loaded.n_val :] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(loaded.test_y, test_labels)
    assert loaded.labels.dtype == np.int64 and loaded.test_x.shape == (7, 784)


def test_load_mnist_downloads_into_cache_when_nothing_found(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(files, "platformdirs", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    calls = []

    def fake_download(dest_dir, progress=None):
        calls.append(Path(dest_dir))
        write_set(Path(dest_dir), fake_mnist_files(), compress=False)
        return Path(dest_dir)

    monkeypatch.setattr(files, "download", fake_download)
    loaded = load_mnist(verify=False)

    assert calls == [default_cache_dir()]
    assert loaded.pixels.shape == (127, 784)


def test_mnist_rejects_inconsistent_shapes_splits_and_float_pixels():
    with pytest.raises(ValueError, match="labels"):
        Mnist(np.zeros((4, 784), np.uint8), np.zeros(3, np.int64), n_train=4, n_val=1)
    with pytest.raises(ValueError, match="n_val"):
        Mnist(np.zeros((4, 784), np.uint8), np.zeros(4, np.int64), n_train=2, n_val=3)
    with pytest.raises(ValueError, match="uint8"):
        Mnist(np.zeros((4, 784), np.float32), np.zeros(4, np.int64), n_train=4, n_val=1)


def test_scale_pixels_maps_every_byte_exactly_and_keeps_float32():
    codes = np.arange(256, dtype=np.uint8).reshape(1, 256)
    scaled = scale_pixels(codes)
    assert scaled.dtype == np.float32 and scaled[0, 0] == 0.0 and scaled[0, 255] == 1.0
    np.testing.assert_array_equal(scaled, (codes / 255.0).astype(np.float32))
    wide = scale_pixels(codes, np.empty((1, 256), np.float64))  # a float64 run's batch: the same values
    np.testing.assert_array_equal(wide, scaled.astype(np.float64))


def test_one_hot_marks_exactly_the_label_column():
    labels = np.array([0, 9, 3, 3])
    encoded = one_hot(labels)
    assert encoded.shape == (4, 10) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded.sum(axis=1), 1)
    np.testing.assert_array_equal(encoded.argmax(axis=1), labels)
    assert Mnist.one_hot(labels, 12, np.float64).shape == (4, 12)
    with pytest.raises(ValueError, match="0..9"):
        one_hot(np.array([10]))


# --------------------------------------------------------------------------- real MNIST

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_shapes_dtypes_and_range(mnist):
    assert mnist.pixels.shape == (70000, 784) and mnist.pixels.dtype == np.uint8
    assert mnist.labels.shape == (70000,) and mnist.labels.dtype == np.int64
    assert mnist.pixels.min() == 0 and mnist.pixels.max() == 255
    assert mnist.train_pixels.shape == (55000, 784) and mnist.train_y.shape == (55000,)
    assert mnist.val_x.shape == (5000, 784) and mnist.val_y.shape == (5000,)
    assert mnist.test_x.shape == (10000, 784) and mnist.test_y.shape == (10000,)
    for split in (mnist.val_x, mnist.test_x):
        assert split.dtype == np.float32 and split.min() == 0.0 and split.max() == 1.0


def test_real_mnist_splits_are_read_only_and_floats_are_made_once(mnist):
    """The bytes are one buffer (splits are views); each float split is scaled once and kept."""
    assert mnist.pixels.flags.owndata and mnist.pixels.flags.c_contiguous
    assert np.shares_memory(mnist.train_pixels, mnist.pixels)
    for split in (mnist.train_y, mnist.val_y, mnist.test_y):
        assert np.shares_memory(split, mnist.labels)
    assert mnist.val_x is mnist.val_x and mnist.test_x is mnist.test_x
    for split in (mnist.pixels, mnist.train_pixels, mnist.val_x, mnist.test_x, mnist.labels):
        with pytest.raises(ValueError):
            split[0] = 0
    np.testing.assert_array_equal(mnist.test_x, scale_pixels(mnist.pixels[60000:]))


def test_real_mnist_matches_published_facts(mnist):
    np.testing.assert_array_equal(mnist.val_y[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    np.testing.assert_array_equal(np.bincount(mnist.labels[:60000], minlength=10), TRAIN_COUNTS)
    np.testing.assert_array_equal(np.bincount(mnist.test_y, minlength=10), TEST_COUNTS)
    mean_pixel = mnist.pixels[:60000].mean(dtype=np.float64)
    assert mean_pixel == pytest.approx(33.318, abs=1e-3)


def test_real_mnist_one_hot(mnist):
    encoded = mnist.one_hot(mnist.test_y)
    assert encoded.shape == (10000, 10)
    np.testing.assert_array_equal(encoded.sum(axis=0), TEST_COUNTS)
    np.testing.assert_array_equal(encoded.argmax(axis=1), mnist.test_y)


def test_real_idx_file_matches_loaded_pixels(mnist):
    directory = find_data_dir()
    path = files.existing_file(directory, FILES["test_images"])
    raw = read_idx(path, expected_magic=IMAGES_MAGIC, expected_count=10000)
    np.testing.assert_array_equal(np.rint(mnist.test_x * 255).astype(np.uint8), raw.reshape(10000, 784))
