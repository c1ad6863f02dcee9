"""Fault test of the run store (issue #15): the server is killed with SIGKILL while it saves a
run (a wide 784-800-10 network, so the write takes a while), then started again on the same
folder: every page still loads, with the runs of the link or without, and every run the
store lists is complete (it loads, bit for bit what its index row says)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from mnistcore.engine.runstore import RunStore
from tests.browser_support import (
    SERVER_PIDS,
    chromium,
    exceptions_on,
    open_train_page,
    press_train,
    require_browser,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser
PAGES = ("", "train", "mistakes", "weights", "backprop", "draw")


def files_being_written(folder: Path) -> list[str]:
    """What a save in progress has put on disk: a temporary file, or a run file not yet indexed."""
    found = [p.name for p in (folder / "tmp").glob("*")] if (folder / "tmp").exists() else []
    listed = {info.run_id for info in RunStore(folder).runs()} if (folder / "index.sqlite3").exists() else set()
    if (folder / "runs").exists():
        found += [p.name for p in (folder / "runs").glob("*.npz") if p.stem not in listed]
    return found


def test_sigkill_while_saving_leaves_a_store_every_page_can_use(mnist):
    require_browser()
    folder = Path(tempfile.mkdtemp(prefix="mnist-runs-fault-"))
    env = {"MNIST_RUNS_DIR": str(folder)}
    try:
        with chromium() as browser:
            with streamlit_server(env=env) as base_url:  # a first run, stored completely
                page = browser.new_page()
                open_train_page(page, base_url, "preset=fast&steps=30&eval_every=10")
                press_train(page, until_progress=False)  # so short it may end before a progress bar
                page.get_by_text(re.compile(r"Finished [\d,]+ steps")).first.wait_for(timeout=120_000)
                first = RunStore(folder).runs()
                assert len(first) == 1, page.locator('[data-testid="stMain"]').inner_text()[:3000]
                page.close()

            with streamlit_server(env=env) as base_url:  # the second is killed while it is saved
                page = browser.new_page()
                open_train_page(page, base_url, "preset=fast&hidden=800&steps=20&eval_every=10")
                press_train(page, until_progress=False)
                caught: list[str] = []
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and not caught:
                    caught = files_being_written(folder)
                    if not caught and len(RunStore(folder).runs()) > 1:
                        break  # saved before a poll saw it: killed just after instead
                    time.sleep(0.002)
                os.kill(SERVER_PIDS[base_url], signal.SIGKILL)
                print(f"SIGKILL with these files being written: {caught or 'none (the save had ended)'}")
                page.close()

            store = RunStore(folder)
            listed = store.runs()
            assert first[0].run_id in {info.run_id for info in listed}
            for info in listed:  # every listed run is complete
                model = store.load(info.run_id)
                assert model.config.to_dict() == info.summary["config"]

            with streamlit_server(env=env) as base_url:  # restarted: every page loads
                context = browser.new_context()
                page = context.new_page()
                for info in listed:
                    for path in PAGES:
                        page.goto(f"{base_url}/{path}?run={info.run_id}&runs={info.run_id}")
                        wait_for_app(page, timeout=60)
                        assert not exceptions_on(page), (path, exceptions_on(page))
                        assert page.get_by_text("could not be opened").count() == 0
                for path in PAGES:
                    page.goto(f"{base_url}/{path}")
                    wait_for_app(page, timeout=60)
                    assert not exceptions_on(page), (path, exceptions_on(page))
                context.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
