"""Shared pytest fixtures and markers.

The ``mnist`` fixture loads the real MNIST set once per session. When the files are
not found it skips locally, but FAILS under CI (``CI=true``) so that missing data can
never turn the real-data tests into silent skips there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Let a bare `pytest` (not only `python -m pytest`) import the project package.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser (Playwright)")
    config.addinivalue_line("markers", "slow: takes seconds; deselect with -m 'not slow'")


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST set (``mnistcore.engine.data.Mnist``), loaded without downloading."""
    from mnistcore.engine.data import DataNotFoundError, load_mnist

    try:
        return load_mnist(download_missing=False)
    except DataNotFoundError as exc:  # corrupt data is a DataError and must error out
        message = f"real MNIST data not found (set MNIST_DATA_DIR):\n{exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _runs_in_a_temporary_folder(tmp_path_factory, monkeypatch):
    """Every test (and every AppTest it runs in this process) stores runs in a temporary
    folder, never in the user's real cache."""
    monkeypatch.setenv("MNIST_RUNS_DIR", str(tmp_path_factory.mktemp("runs")))


@pytest.fixture(scope="session")
def fashion():
    """The real Fashion-MNIST set, loaded without downloading: from ``$FASHION_MNIST_DATA_DIR``
    or Debian's dataset-fashion-mnist folder. Skips locally when absent, FAILS under CI."""
    from mnistcore.engine.data import DataNotFoundError, load_dataset

    try:
        return load_dataset("fashion-mnist", download_missing=False)
    except DataNotFoundError as exc:
        message = f"real Fashion-MNIST data not found (apt-get install dataset-fashion-mnist):\n{exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
