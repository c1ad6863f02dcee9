"""Read a digit a visitor uploads as a 28x28 PNG: the Draw page's way in without a pointer
(the canvas cannot be drawn on with a keyboard).

The file comes from a stranger, so it is checked before it costs anything: its size is
capped before any decoding (a 28x28 PNG is a few hundred bytes; ``MAX_UPLOAD_BYTES`` leaves
room for metadata), it must be a PNG, its header must say 28x28 and a plain pixel mode
before the pixels are decoded, and any decoding error becomes one clear ``DigitUploadError``.

Deliberate limits: PNG only, exactly 28x28 (MNIST's size; no resizing, which would hide a
wrong file); the result is ink intensity, bright on dark like MNIST. A digit drawn dark on a
light background (the usual way on paper) is detected by its border and inverted.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

MAX_UPLOAD_BYTES = 64 * 1024
SIDE = 28
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MODES = ("1", "L", "LA", "P", "RGB", "RGBA")  # what the pixels may be: grey, palette or colour, with alpha


class DigitUploadError(ValueError):
    """The upload is not a 28x28 PNG digit; the message says why, in one line."""


def read_digit_png(data: bytes) -> tuple[np.ndarray, bool]:
    """A 28x28 PNG file's bytes as ink intensity.

    Returns
    -------
    (28, 28) float32 in [0, 1], ink bright (transparent pixels count as background), and
    whether it was inverted (dark ink on a light background, judged by the border's pixels).

    Raises
    ------
    DigitUploadError
        Too large, not a PNG, not 28x28, an unusual pixel mode, or a broken file.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise DigitUploadError(f"expected the file's bytes, got {type(data).__name__}")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DigitUploadError(
            f"the file is {len(data):,} bytes; a 28×28 PNG needs far less (at most {MAX_UPLOAD_BYTES:,})"
        )
    if not bytes(data[:8]) == PNG_SIGNATURE:
        raise DigitUploadError("this is not a PNG file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["PNG"])  # reads the header only
            if image.size != (SIDE, SIDE):
                raise DigitUploadError(f"the image is {image.size[0]}×{image.size[1]} pixels; it must be 28×28")
            if image.mode not in MODES:
                raise DigitUploadError(f"pixel mode {image.mode!r} is not supported; save it as grey or RGB")
            image.load()  # 784 pixels at most: the size was checked above
    except DigitUploadError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DigitUploadError(f"the PNG could not be read ({type(exc).__name__})") from None
    return ink(image)


def ink(image: Image.Image) -> tuple[np.ndarray, bool]:
    """Ink intensity of a decoded 28x28 image (see ``read_digit_png``)."""
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
    grey = rgba[:, :, :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    alpha = rgba[:, :, 3]
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    border_alpha = np.concatenate([alpha[0], alpha[-1], alpha[1:-1, 0], alpha[1:-1, -1]])
    inverted = bool(np.mean(border * border_alpha) > 0.5)  # an opaque light background
    if inverted:
        grey = 1.0 - grey
    return np.clip(grey * alpha, 0.0, 1.0).astype(np.float32), inverted
