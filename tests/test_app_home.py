"""The app shell and Home page through Streamlit's AppTest: the page renders, shows the
network diagram, the current model and the dataset status (found, or missing with the fix)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from mnistcore.engine.model import TrainedModel
from pages.ui import resources
from tests.app_support import shown

ROOT = Path(__file__).resolve().parents[1]


def open_home(**session) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_home_explains_the_app_and_shows_the_network_model_and_data(mnist):
    at = open_home()
    assert at.title[0].value == "Watch backprop learn"
    assert "MNIST" in at.markdown[0].value
    default = resources.default_model()
    (diagram,) = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert f"{default.config.hidden[0]} units" in str(diagram.proto)  # the picture is of the current model
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"] == f"{100 * default.test_accuracy:.2f}%"
    assert any("the shipped default model" in m.value for m in at.markdown)
    (found,) = [s.value for s in at.success]
    assert found.startswith("MNIST found in") and "55,000 training, 5,000 validation and 10,000 test digits" in found
    links = [link.proto.page for link in at.get("page_link")]
    assert [Path(p).stem for p in links] == ["train", "mistakes", "weights", "backprop", "draw"]
    assert any("Current model:" in c.value for c in at.sidebar.caption)


def test_home_shows_the_sessions_own_model(mnist):
    mine = TrainedModel.load(resources.DEFAULT_MODEL_PATH)
    mine.test_accuracy, mine.name = 0.5, "my run"
    at = open_home(model=mine, model_source="trained in this session")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"] == "50.00%"
    assert any("**my run**, trained in this session" in m.value for m in at.markdown)


def test_missing_data_shows_the_exact_fix_and_the_page_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    at = open_home()
    (error,) = [shown(e.value) for e in at.error]
    assert "The MNIST data is not available" in error
    assert str(tmp_path) in error and "MNIST_DATA_DIR" in error and "train-images-idx3-ubyte.gz" in error
    assert at.metric and at.get("page_link")  # the rest of the page still renders


def test_missing_data_is_downloaded_into_the_cache_with_a_progress_bar(mnist, tmp_path, monkeypatch):
    """No MNIST_DATA_DIR and an empty cache: the page downloads (here: a stand-in that copies the
    real files and reports progress like the real one) and then shows the data as found."""
    import shutil

    import mnistcore.engine.data

    source = mnistcore.engine.data.find_data_dir()
    cache = tmp_path / "cache" / "mnist"
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(mnistcore.engine.data.files, "default_cache_dir", lambda: cache)
    monkeypatch.setattr(resources, "default_cache_dir", lambda: cache)
    calls = []

    def fake_download(dest, progress=None):
        dest.mkdir(parents=True)
        for name in mnistcore.engine.data.FILES.values():
            found = next(p for p in (source / name, source / f"{name}.gz") if p.exists())
            progress(name, 0, found.stat().st_size)
            shutil.copy(found, dest / found.name)
            progress(name, found.stat().st_size, found.stat().st_size)
            calls.append(name)
        return dest

    monkeypatch.setattr(resources, "download", fake_download)
    at = open_home()
    assert calls == list(mnistcore.engine.data.FILES.values())
    (found,) = [s.value for s in at.success]
    assert found.startswith(f"MNIST found in `{cache}`")
    assert not at.get("progress")  # the bar is gone once the download is done


def test_a_failed_download_shows_the_manual_fix(tmp_path, monkeypatch):
    import mnistcore.engine.data

    cache = tmp_path / "cache"
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(mnistcore.engine.data.files, "default_cache_dir", lambda: cache)
    monkeypatch.setattr(resources, "default_cache_dir", lambda: cache)

    def offline(dest, progress=None):
        raise mnistcore.engine.data.DataError(
            f"could not download MNIST file train-images-idx3-ubyte. Put the files in {dest}"
        )

    monkeypatch.setattr(resources, "download", offline)
    at = open_home()
    (error,) = [e.value for e in at.error]
    assert "could not download MNIST" in shown(error) and str(cache) in shown(error)
    assert not at.get("progress")  # no empty download bar left above the error


def test_a_multi_line_data_error_wraps_line_by_line_and_keeps_its_indents():
    """Not a code block, which scrolls sideways on a phone and hid the MNIST_DATA_DIR fix."""
    message = "Put these files into\n    /a/folder\n    train-images-idx3-ubyte.gz\nor set MNIST_DATA_DIR=/path/to/it."
    markdown = resources.text_lines(message)
    assert "```" not in markdown and markdown.count("  \n") == 3
    assert shown(markdown).replace("  \n", "\n").replace("\u00a0", " ") == message
