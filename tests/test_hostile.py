"""Hostile input through the dashboard (AppTest): uploads that are pickles in disguise, the wrong
shape or too big; share links with absurd values or markup; and the server settings that back
these checks up (.streamlit/config.toml).

The loader's own refusals are tested one by one in test_model.py and the link parser's in
test_share.py; here the point is that the page shows the refusal, keeps the current model and
never crashes. One browser test checks what only a browser shows: markup from a link stays
text (no script runs), and Streamlit's client refuses a file over ``server.maxUploadSize``."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
import tomllib
from streamlit.testing.v1 import AppTest

from mnistcore.config import PRESETS
from mnistcore.model import MAX_CHECKPOINT_BYTES
from pages import common
from tests.app_support import fresh_job_manager, open_train  # noqa: F401 (an autouse fixture)

ROOT = Path(__file__).resolve().parents[1]


def default_arrays() -> dict[str, np.ndarray]:
    with np.load(common.DEFAULT_MODEL_PATH, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


class Payload:
    """Unpickling this would run code: a loader that unpickles would flip ``RAN``."""

    RAN = False

    def __reduce__(self):
        return (Payload._run, ())

    @staticmethod
    def _run():
        Payload.RAN = True


def pickled_npz() -> bytes:
    arrays = default_arrays()
    arrays["weights/0"] = np.array([Payload()], dtype=object)  # stored with pickle inside the .npz
    return npz_bytes(arrays)


def wrong_shape_npz() -> bytes:
    arrays = default_arrays()
    arrays["weights/0"] = arrays["weights/0"][:100].copy()
    return npz_bytes(arrays)


def upload(at: AppTest, name: str, data: bytes) -> str:
    at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize(
    "name, make, words",
    [
        ("evil.npz", pickled_npz, "object arrays"),
        ("shape.npz", wrong_shape_npz, "weights/0 has shape (100,"),
        ("huge.npz", lambda: b"PK" + bytes(common.MAX_UPLOAD_BYTES), "file too large"),
    ],
)
def test_hostile_uploads_are_refused_and_the_model_is_kept(mnist, name, make, words):
    at = open_train()
    error = upload(at, name, make())
    assert error.startswith(f"Refused {name}:") and words in error and "unchanged" in error
    assert "model" not in at.session_state  # still the shipped default
    assert not Payload.RAN, "an uploaded file was unpickled"


@pytest.mark.parametrize(
    "query, expected, words",
    [
        ({"lr": "1e308"}, {"lr": 10.0}, "Setting lr: '1e308' is not in (0, 10]; clamped to 10"),
        ({"lr": "inf"}, {"lr": PRESETS["fast"].lr}, "Setting lr: 'inf'"),
        ({"lr": "NaN"}, {"lr": PRESETS["fast"].lr}, "Setting lr: 'NaN'"),
        ({"steps": "1e308"}, {}, "Setting steps: '1e308'"),
        ({"seed": "-99999999999999999999"}, {"seed": 0}, "Setting seed"),
        ({"hidden": "<script>alert(1)</script>"}, {"hidden": PRESETS["fast"].hidden}, "Setting hidden"),
        ({"activation": "<img src=x onerror=alert(1)>"}, {"activation": "relu"}, "Setting activation"),
    ],
)
def test_absurd_link_values_warn_and_fall_back_without_crashing(mnist, query, expected, words):
    at = open_train({"preset": "fast", **query})
    warnings = " | ".join(w.value for w in at.warning)
    assert words in warnings, warnings
    settings = at.session_state["settings"]
    for name, value in expected.items():
        assert getattr(settings, name) == value
    assert not any("<script>" in code.value or "<img" in code.value for code in at.code)  # the link shown is encoded


def test_a_huge_network_from_a_link_is_clamped_and_then_refused_before_training(mnist):
    at = open_train({"preset": "fast", "hidden": "100000,100000,100000"})
    assert at.session_state["settings"].hidden == (4096, 4096, 4096)
    [train] = [b for b in at.button if b.label == "Train"]
    train.click().run()
    assert not at.exception
    assert "job" not in at.session_state and common.job_manager().counts() == (0, 0)
    assert any(e.value.startswith("Not started: this network has") for e in at.error)


def test_the_server_config_turns_off_telemetry_keeps_xsrf_and_fits_upload_size_to_checkpoints():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    upload_bytes = config["server"]["maxUploadSize"] * 1024 * 1024
    assert upload_bytes == common.MAX_UPLOAD_BYTES  # the page's own check says the same limit
    assert upload_bytes >= MAX_CHECKPOINT_BYTES  # every loadable checkpoint can be uploaded...
    assert upload_bytes <= 200 * 1024 * 1024  # ...and nothing near Streamlit's 200 MB default
    assert common.DEFAULT_MODEL_PATH.stat().st_size < upload_bytes
    assert json.dumps(config["theme"])  # a theme is set


# ------------------------------------------------------------------ in a real browser


@pytest.mark.browser
def test_in_the_browser_markup_in_a_link_stays_text_and_oversized_or_pickled_uploads_are_refused(mnist, tmp_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    from tests.browser_support import (
        chromium_path,
        exceptions_on,
        launch_browser,
        open_train_page,
        require,
        streamlit_server,
    )

    require(sync_playwright is not None, "playwright is not installed (pip install playwright)")
    require(chromium_path() is not None, "Chromium not found (apt-get install -y chromium)")
    huge = tmp_path / "huge.npz"
    with open(huge, "wb") as file:  # one byte over the limit, without holding it in memory
        file.truncate(common.MAX_UPLOAD_BYTES + 1)
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickled_npz())

    with streamlit_server() as base_url, sync_playwright() as playwright:
        browser = launch_browser(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        markup = quote("<script>alert(1)</script>")
        open_train_page(
            page, base_url, f"preset=fast&hidden={markup}&activation=%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E"
        )
        page.get_by_text("Setting hidden: '<script>alert(1)").wait_for(timeout=10_000)  # shown as text, escaped
        assert page.locator("script:has-text('alert(1)'), img[src='x']").count() == 0 and not dialogs

        uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
        uploader.set_input_files(str(huge))
        page.get_by_text(re.compile(r"File must be 64(\.0)? ?MB or smaller")).wait_for(timeout=30_000)
        uploader.set_input_files(str(evil))
        page.get_by_text("Refused evil.npz").wait_for(timeout=30_000)
        assert not Payload.RAN and not exceptions_on(page) and not dialogs
        browser.close()
