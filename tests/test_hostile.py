"""Hostile input through the dashboard (AppTest): uploads that are pickles in disguise, the wrong
shape or too big; share links with absurd values or markup; and the server settings that back
these checks up (.streamlit/config.toml).

The loader's own refusals are tested one by one in test_model.py and the link parser's in
test_share.py; here the point is that the page shows the refusal, keeps the current model and
never crashes. One browser test checks what only a browser shows: markup from a link stays
text (no script runs), and Streamlit's client refuses a file over ``server.maxUploadSize``."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import tomllib
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnistcore.engine.checkpoint import MAX_CHECKPOINT_BYTES
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.presets import PRESETS
from mnistcore.server import share
from pages.ui import resources, train_runs
from tests.app_support import fresh_job_manager, live_markup, open_train, shown  # noqa: F401 (an autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
APP = (ROOT / "app.py").read_text()


def default_arrays() -> dict[str, np.ndarray]:
    with np.load(resources.DEFAULT_MODEL_PATH, allow_pickle=False) as archive:
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
    assert not live_markup(errors[0]), errors[0]  # the file's name and what the loader quotes are text
    return shown(errors[0])


@pytest.mark.parametrize(
    "name, make, words",
    [
        ("evil.npz", pickled_npz, "object arrays"),
        ("shape.npz", wrong_shape_npz, "weights/0 has shape (100,"),
        ("huge.npz", lambda: b"PK" + bytes(train_runs.MAX_UPLOAD_BYTES), "file too large"),
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
    warnings = " | ".join(shown(w.value) for w in at.warning)
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
    assert "job" not in at.session_state and resources.job_manager().counts() == (0, 0)
    assert any(shown(e.value).startswith("Not started: this network has") for e in at.error)


# Markdown, HTML and bare links in everything a stranger controls: the link's values and keys,
# an uploaded file's name, the model name inside a checkpoint. All must be shown as text.
HOSTILE_LINK = {
    "preset": "![](//evil.example/p)",
    "lr": "[Sign in](//evil.example)",
    "hidden": "<img src=x onerror=alert(1)>",
    "activation": "https://evil.example/a",
    "loss": "www.evil.example",
    "optimizer": "x@evil.example",
    "schedule": ":red[x] $x$ **b** `c`",
    "[k](//evil.example)": "1",
}
HOSTILE_FILE_NAME = "[Sign in](https:evil.example) ![p](https:evil.example).npz"
HOSTILE_MODEL_NAME = "![p](//evil.example/n) [Sign in](//evil.example) www.evil.example <b>x</b>"


def hostile_checkpoint() -> bytes:
    """A valid checkpoint (the shipped model's weights) whose model name is Markdown."""
    return dataclasses.replace(TrainedModel.load(resources.DEFAULT_MODEL_PATH), name=HOSTILE_MODEL_NAME).to_bytes()


def texts_with(at: AppTest, word: str) -> list[str]:
    """Markdown bodies of every text element on the page (sidebar included) that mention ``word``."""
    kinds = (at.markdown, at.caption, at.success, at.info, at.warning, at.error)
    return [element.value for kind in kinds for element in kind if word in element.value]


def test_markdown_in_a_link_is_shown_as_text_and_the_share_box_holds_the_settings_in_use(mnist):
    at = open_train(HOSTILE_LINK)
    bodies = [w.value for w in at.warning]
    assert [shown(body) for body in bodies] == share.params_to_settings(HOSTILE_LINK)[2]  # every value warned about
    assert len(bodies) == len(HOSTILE_LINK)
    for body in bodies:
        assert not live_markup(body), body
    assert at.session_state["settings"] == PRESETS["seed"]
    assert dict(at.query_params) == {"preset": "seed"}  # the URL says what is in use, not what came in
    assert not any("evil" in code.value for code in at.code)


def test_a_hostile_file_name_and_model_name_are_shown_as_text_on_every_page(mnist):
    at = open_train()
    at.file_uploader(key="upload").set_value((HOSTILE_FILE_NAME, hostile_checkpoint(), "application/zip")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["model"].name == HOSTILE_MODEL_NAME
    (loaded,) = [s.value for s in at.success if "Loaded" in s.value]
    assert shown(loaded).startswith(f"Loaded {HOSTILE_FILE_NAME} (test accuracy") and not live_markup(loaded)
    for page in ["pages/train.py", *(path for path, _ in re.findall(r'st\.Page\("(pages/\w+\.py)"()', APP))]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        bodies = texts_with(at, "evil")
        assert any(HOSTILE_MODEL_NAME in shown(body) for body in bodies), (page, bodies)  # the name is shown...
        for body in bodies:
            assert not live_markup(body), (page, body)  # ...as text


def test_the_server_config_turns_off_telemetry_keeps_xsrf_and_fits_upload_size_to_checkpoints():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    upload_bytes = config["server"]["maxUploadSize"] * 1024 * 1024
    assert upload_bytes == train_runs.MAX_UPLOAD_BYTES  # the page's own check says the same limit
    assert upload_bytes >= MAX_CHECKPOINT_BYTES  # every loadable checkpoint can be uploaded...
    assert upload_bytes <= 200 * 1024 * 1024  # ...and nothing near Streamlit's 200 MB default
    assert resources.DEFAULT_MODEL_PATH.stat().st_size < upload_bytes
    assert json.dumps(config["theme"])  # a theme is set


# ------------------------------------------------------------------ in a real browser


@pytest.mark.browser
def test_in_the_browser_markup_in_a_link_stays_text_and_oversized_or_pickled_uploads_are_refused(mnist, tmp_path):
    from tests.browser_support import app_in_browser, exceptions_on, open_train_page

    huge = tmp_path / "huge.npz"
    with open(huge, "wb") as file:  # one byte over the limit, without holding it in memory
        file.truncate(train_runs.MAX_UPLOAD_BYTES + 1)
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickled_npz())

    with app_in_browser() as (browser, base_url):
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


@pytest.mark.browser
def test_in_the_browser_hostile_links_file_names_and_model_names_make_no_link_image_or_request(mnist, tmp_path):
    """Chromium never fetches from, nor shows a link to, a host named in a link's values, an
    uploaded file's name or a checkpoint's model name, on any page."""
    from urllib.parse import urlencode, urlsplit

    from tests.browser_support import app_in_browser, exceptions_on, open_train_page, wait_for_app

    checkpoint = tmp_path / HOSTILE_FILE_NAME
    checkpoint.write_bytes(hostile_checkpoint())
    live = 'a[href*="evil"], img[src*="evil"], img[src="x"], script:has-text("alert")'

    with app_in_browser() as (browser, base_url):
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        requests: list[str] = []
        dialogs: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        open_train_page(page, base_url, urlencode(HOSTILE_LINK))
        page.get_by_text("Unknown preset '![](//evil.example/p)' in the link").wait_for(timeout=10_000)
        assert page.locator('[data-testid="stAlertContainer"]').count() >= len(HOSTILE_LINK)
        assert page.locator(live).count() == 0
        assert page.url.endswith("/train?preset=seed")  # the settings in use, not the link's values
        share_box = page.locator('[data-testid="stCode"]', has_text="/train?")
        share_box.wait_for(timeout=10_000)
        assert share_box.inner_text().strip().endswith("/train?preset=seed"), share_box.inner_text()

        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(checkpoint))
        page.get_by_text(f"Loaded {HOSTILE_FILE_NAME} (test accuracy").wait_for(timeout=30_000)
        for title in ["Train", "Home", "Mistakes", "Weights", "Backprop", "Draw"]:
            page.locator('[data-testid="stSidebarNav"] a', has_text=re.compile(f"{title}$")).click()
            page.locator("h1", has_text="Watch backprop learn" if title == "Home" else title).wait_for(timeout=120_000)
            wait_for_app(page)
            name = page.get_by_text("![p](//evil.example/n) [Sign in](//evil.example)")
            assert name.count() >= 1, f"{title}: the model's name is not shown as text"
            assert page.locator(live).count() == 0, f"{title}: {page.locator(live).first.evaluate('e => e.outerHTML')}"
            assert not exceptions_on(page), title
        to_evil = [url for url in requests if "evil" in urlsplit(url).netloc]
        assert not to_evil and not dialogs, (to_evil, dialogs)


def test_every_hostile_checkpoint_is_refused_by_the_page_in_one_line(mnist):
    """The app side of tests/test_hostile_checkpoints.py: each of its hostile files, uploaded on
    the Train page, gives one refusal with the loader's reason, no traceback, and the model kept."""
    from tests.test_hostile_checkpoints import HOSTILE, hostile

    at = open_train()
    for case, (_, words) in HOSTILE.items():
        error = upload(at, f"{case[:20]}.npz", hostile(case))
        assert words in error and "unchanged" in error, (case, error)
        assert "Traceback" not in error
        assert "model" not in at.session_state, case  # still the shipped default
