"""Tests for mnistcore.engine.data.idx: the IDX format, read strictly, gzip-compressed or raw."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from mnistcore.engine.data import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    DataError,
    read_idx,
)
from tests.data_support import corrupt_gzip, fake_images, fake_labels, idx_bytes

# --------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("kind", ["images", "labels"])
def test_read_idx_round_trips_raw_and_gzip_detected_by_content(tmp_path, compress, kind):
    array = fake_images(5) if kind == "images" else fake_labels(5)
    content = idx_bytes(array)
    # Suffix deliberately contradicts the content: detection must use magic bytes.
    path = tmp_path / ("file" if compress else "file.gz")
    path.write_bytes(gzip.compress(content) if compress else content)

    loaded = read_idx(path, expected_count=5)

    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, array)


def test_read_idx_checks_expected_magic_and_count(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(fake_labels(4)))

    assert read_idx(path, expected_magic=LABELS_MAGIC).shape == (4,)
    with pytest.raises(DataError, match=f"{IMAGES_MAGIC}") as wrong_magic:
        read_idx(path, expected_magic=IMAGES_MAGIC)
    with pytest.raises(DataError, match="4 items, expected 5") as wrong_count:
        read_idx(path, expected_count=5)
    assert str(path) in str(wrong_magic.value) and str(path) in str(wrong_count.value)


LABELS = idx_bytes(np.array([3, 1, 4, 1, 5], dtype=np.uint8))
IMAGES = idx_bytes(fake_images(2))
CORRUPTIONS = {
    "not idx magic": (b"\x12\x34" + LABELS[2:], "magic"),
    "wrong dimension count": (LABELS[:3] + b"\x02" + LABELS[4:], "dimensions"),
    "wrong dtype byte": (LABELS[:2] + b"\x0d" + LABELS[3:], "dtype byte 0x0d"),
    "truncated payload": (IMAGES[:-1], "truncated"),
    "extra bytes": (LABELS + b"\x00", "extra bytes"),
    "truncated header": (IMAGES[:10], "truncated inside its IDX header"),
    "too short": (b"\x00\x00", "too short"),
    "not 28x28": (idx_bytes(np.zeros((2, 27, 28), np.uint8)), "27x28"),
    "label out of range": (
        idx_bytes(np.array([1, 10, 2], np.uint8)),
        "label 10 at index 1",
    ),
    "bad gzip": (corrupt_gzip(IMAGES), "corrupt gzip"),
    "truncated gzip": (gzip.compress(IMAGES)[:-40], "corrupt gzip"),
}


@pytest.mark.parametrize("case", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_read_idx_refuses_corrupt_file_naming_it(tmp_path, case):
    content, expected_problem = CORRUPTIONS[case]
    path = tmp_path / "broken-idx-file"
    path.write_bytes(content)

    with pytest.raises(DataError) as excinfo:
        read_idx(path)

    assert str(path) in str(excinfo.value)
    assert expected_problem in str(excinfo.value)


def test_read_idx_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match="no-such-file"):
        read_idx(tmp_path / "no-such-file")
