"""Tests for mnistcore.analysis.digit_upload: a 28x28 PNG digit, the Draw page's way in
without a pointer, read back exactly; every other file refused with one clear line, before
its pixels are decoded when its header already says no."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from mnistcore.analysis.digit_upload import MAX_UPLOAD_BYTES, DigitUploadError, read_digit_png


def png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def test_a_test_digit_saved_as_png_reads_back_as_it_was(mnist):
    pixels = np.rint(mnist.test_x[0].reshape(28, 28) * 255).astype(np.uint8)
    ink, inverted = read_digit_png(png(Image.fromarray(pixels)))
    assert not inverted
    np.testing.assert_allclose(ink, pixels / 255.0, atol=1e-6)


def test_dark_ink_on_paper_is_inverted_and_transparency_is_background(mnist):
    pixels = np.rint(mnist.test_x[1].reshape(28, 28) * 255).astype(np.uint8)
    ink, inverted = read_digit_png(png(Image.fromarray(255 - pixels).convert("RGB")))
    assert inverted
    np.testing.assert_allclose(ink, pixels / 255.0, atol=2 / 255)
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere, but only the strokes are opaque
    rgba[..., 3] = pixels
    ink, inverted = read_digit_png(png(Image.fromarray(rgba, "RGBA")))
    assert not inverted
    np.testing.assert_allclose(ink, pixels / 255.0, atol=2 / 255)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_UPLOAD_BYTES), "bytes"),
        (b"GIF89a" + b"\0" * 100, "not a PNG"),
        (png(Image.new("L", (28, 28)))[:45], "could not be read"),
        (png(Image.new("L", (3000, 3000))), "3000×3000 pixels; it must be 28×28"),  # a small file, a large image
        (png(Image.new("L", (20, 28))), "20×28"),
        (png(Image.new("I;16", (28, 28))), "pixel mode"),
        ("not bytes", "bytes"),
    ],
)
def test_anything_else_is_refused_with_one_line(data, message):
    with pytest.raises(DigitUploadError, match=message) as refused:
        read_digit_png(data)
    assert "\n" not in str(refused.value)


def test_the_large_image_is_refused_from_its_header():
    data = png(Image.new("L", (3000, 3000)))
    assert len(data) < MAX_UPLOAD_BYTES  # so the size cap alone does not catch it
