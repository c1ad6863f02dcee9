"""The dashboard when MNIST cannot be had (AppTest): the download's folder cannot be written.

The data layer's own errors are tested in test_data_*.py; here the point is that the pages show
its one-line message instead of a traceback: Train stops after it, Home goes on without data."""

from __future__ import annotations

import pytest

from mnistcore.engine.data import files as data
from pages.ui import resources
from tests.app_support import fresh_job_manager, open_page, open_train, shown  # noqa: F401 (an autouse fixture)


def denied(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


@pytest.fixture(params=["under a regular file", "read-only"])
def unwritable_cache(request, tmp_path, monkeypatch):
    """No MNIST anywhere, and a cache folder that cannot be made (it would be under a regular
    file) or written to (read-only: new files are refused, since chmod does not stop root)."""
    if request.param == "read-only":
        cache = tmp_path / "cache"
        cache.mkdir()
        monkeypatch.setattr(data.tempfile, "TemporaryFile", denied)
        monkeypatch.setattr(data.tempfile, "mkstemp", denied)
    else:
        blocker = tmp_path / "file"
        blocker.write_text("a file where the cache folder should be")
        cache = blocker / "mnist"
    monkeypatch.setattr(data, "_fetch", lambda *args: pytest.fail("fetched before the folder was checked"))
    monkeypatch.setattr(resources, "find_data_dir", lambda: None)
    monkeypatch.setattr(resources, "default_cache_dir", lambda: cache)
    return cache


def test_the_train_page_shows_the_folder_and_the_fix_and_stops(unwritable_cache):
    at = open_train()
    (error,) = [shown(e.value) for e in at.error]
    assert "The MNIST data is not available" in error
    assert f"MNIST directory {unwritable_cache} (" in error and "needs a writable folder" in error
    assert "MNIST_DATA_DIR" in error
    assert not at.button  # stopped before the settings form
    assert not at.exception


def test_the_home_page_shows_the_folder_and_goes_on_without_data(unwritable_cache):
    at = open_page("pages/home.py")
    (error,) = [shown(e.value) for e in at.error]
    assert f"MNIST directory {unwritable_cache} (" in error and "needs a writable folder" in error
    assert any("Files needed" in c.value for c in at.caption)  # the rest of the page is there
