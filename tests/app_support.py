"""Helpers for AppTest tests of the Train page (a plain module, imported by the test files)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnistcore import TrainedModel
from pages.ui import resources, wording

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_job_manager():
    """Each test gets its own job manager (the app caches one per process) and leaves no runs."""
    resources.job_manager.clear()
    yield
    assert resources.job_manager().shutdown(timeout=10), "a training thread outlived its test"
    resources.job_manager.clear()


def open_train(query: dict[str, str] | None = None) -> AppTest:
    """The app opened on the Train page, with these query parameters, run once without an exception."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/train.py")
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(page: str, model: TrainedModel | None = None) -> AppTest:
    """Run the app once (with ``model`` as the session's model, if given), switch to ``page``
    and render it without an exception."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if model is not None:
        at.session_state["model"] = model
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(markdown: str) -> str:
    """The text a Markdown body made by ``wording.plain`` shows: escapes undone, word joiners dropped."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(wording.WORD_JOINER, "")


def live_markup(markdown: str) -> list[str]:
    """The pieces of ``markdown`` that could render as a link, an image, HTML or code: brackets,
    angle brackets and backticks not escaped, and bare links GFM would make clickable."""
    bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", markdown)
    return re.findall(r"[\[\]<>`]|https?://|www\.|\w@\w", bare, re.IGNORECASE)


PICTURE = re.compile(r'<figure class="picture"><img src="[^"]*" alt="([^"]*)"[^>]*>(?:<figcaption>(.*?)</figcaption>)?')


def pictures(at: AppTest) -> list[list[tuple[str, str]]]:
    """The pictures drawn with ``pages.ui.pictures`` (``st.html`` figures with alt text): for
    each ``st.html`` element, its pictures' (alt text, caption), the caption's line breaks
    written back as Markdown's two spaces and a newline."""
    shown = []
    for element in at.get("html"):
        found = PICTURE.findall(element.value)
        if found:
            shown.append(
                [(html.unescape(alt), html.unescape(caption.replace("<br>", "  \n"))) for alt, caption in found]
            )
    return shown


def picture_captions(at: AppTest) -> list[str]:
    """Every picture's caption, in page order."""
    return [caption for group in pictures(at) for _, caption in group]
