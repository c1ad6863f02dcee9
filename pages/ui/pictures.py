"""Pictures with a text alternative: ``st.image`` has no ``alt`` (its ``<img>`` has none, so
a screen reader says "image" or reads the file name), so every digit and weight picture of
the dashboard goes through ``picture`` or ``picture_row`` instead. They draw an
``<img alt=...>`` of their own, a PNG inlined as a data URL, with ``st.html`` (no JavaScript):
the alt text comes from ``mnistcore.analysis.describe`` ("test digit 8527: a 4, read as 9
(85%)", "hidden unit 12: weights"). Alt text and caption are escaped: they may quote numbers
only, but nothing here trusts that.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import streamlit as st
from PIL import Image

from pages.ui.shell import CAPTION_COLOUR

PICTURE_STYLE = f"""<style>
figure.picture {{ margin: 0 0 0.5rem 0; text-align: center; }}
figure.picture img {{ max-width: 100%; height: auto; image-rendering: pixelated; display: block; margin: 0 auto; }}
figure.picture figcaption {{ font-size: 0.875rem; color: {CAPTION_COLOUR}; line-height: 1.35; margin-top: 0.25rem; }}
div.picture-row {{ display: flex; flex-wrap: wrap; gap: 0.5rem; }}
</style>"""


def png_data_url(image: np.ndarray) -> str:
    """A uint8 (H, W) grey or (H, W, 3) RGB image as a ``data:image/png;base64,...`` URL."""
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        raise ValueError(f"a picture is a uint8 (H, W) or (H, W, 3) array, got {array.dtype} {array.shape}")
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_html(image: np.ndarray, alt: str, caption: str = "", width: int | None = None) -> str:
    """One ``<figure>``: the image with its alt text, and a caption under it (a line break
    written as Markdown's two spaces and a newline becomes ``<br>``)."""
    size = f' width="{int(width)}"' if width else ""
    lines = "<br>".join(html.escape(line.rstrip()) for line in caption.split("\n")) if caption else ""
    caption_html = f"<figcaption>{lines}</figcaption>" if caption else ""
    return (
        f'<figure class="picture"><img src="{png_data_url(image)}" alt="{html.escape(alt, quote=True)}"{size}>'
        f"{caption_html}</figure>"
    )


def picture(image: np.ndarray, alt: str, caption: str = "", width: int | None = None) -> None:
    """``st.image`` with alt text: draw ``image`` where this is called (a column works too:
    call it inside ``with column:``)."""
    st.html(PICTURE_STYLE + figure_html(image, alt, caption, width))


def picture_row(images: list[np.ndarray], alts: list[str], captions: list[str]) -> None:
    """Several small pictures side by side (wrapping on a narrow screen), each with alt text."""
    figures = "".join(figure_html(image, alt, caption) for image, alt, caption in zip(images, alts, captions))
    st.html(f'{PICTURE_STYLE}<div class="picture-row">{figures}</div>')
