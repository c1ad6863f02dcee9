"""The run=<id> link on the dashboard (AppTest): a stored run opens as the current model on
every page, a run this browser made joins "Compare runs", someone else's is shown read-only
with the "Shared run, trained with ..." line, a bad or unknown id is a one-line warning, and
a run that ends is stored and its id put in the URL. Runs go to the temporary MNIST_RUNS_DIR
of conftest's autouse fixture."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from mnistcore.engine.presets import PRESETS
from mnistcore.engine.runstore import RunStore, new_run_id
from pages.ui import run_links
from tests.app_support import ROOT, fresh_job_manager, shown  # noqa: F401 - an autouse fixture
from tests.test_runstore import small_model

PAGES = [
    "pages/home.py",
    "pages/train.py",
    "pages/mistakes.py",
    "pages/weights.py",
    "pages/backprop.py",
    "pages/draw.py",
]


@pytest.fixture(autouse=True)
def fresh_store():
    run_links._store.clear()  # the store object of this test's folder
    yield
    run_links._store.clear()


def texts(at: AppTest) -> str:
    return shown(
        " ".join(
            [m.value for m in at.markdown]
            + [i.value for i in at.info]
            + [w.value for w in at.warning]
            + [c.value for c in at.caption]
        )
    )


def open_with(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_a_shared_run_opens_read_only_on_every_page(page, mnist):
    model = small_model(name="shared by a friend")
    run_id = RunStore.from_env().save(model, owner="someone else")
    at = open_with(page, {"run": run_id})
    assert at.session_state["model"].fingerprint == model.fingerprint
    assert at.session_state["shared_run"] is True
    assert "Shared run" in texts(at) and "784-16-10" in texts(at)
    assert at.query_params["run"] == [run_id] or at.query_params["run"] == run_id


def test_own_runs_come_back_in_compare_runs_and_train_starts_from_the_runs_settings(mnist):
    store = RunStore.from_env()
    first, second = small_model(seed=1, name="one"), small_model(seed=2, name="two")
    ids = [store.save(first), store.save(second)]
    at = open_with("pages/train.py", {"run": ids[1], "runs": ",".join(ids)})
    assert at.session_state["model"].fingerprint == second.fingerprint
    assert at.session_state["shared_run"] is False  # this browser's own run: no shared line
    assert "Shared run" not in texts(at)
    assert [run.run_id for run in at.session_state["runs"]] == ids
    assert any(c.value.startswith("Best test accuracy: #") for c in at.caption)  # the compared runs in words
    assert at.session_state["settings"] == second.config
    assert any(ids[1] in code.value for code in at.code)  # the "Share this trained network" link


@pytest.mark.parametrize("bad", ["../../etc/passwd", "x" * 10_000, new_run_id()])
def test_a_bad_or_unknown_run_is_a_warning_and_the_default_model(bad, mnist):
    at = open_with("pages/mistakes.py", {"run": bad, "runs": bad})
    assert "model" not in at.session_state or at.session_state["model"] is None
    warnings = [w.value for w in at.warning]
    assert any("could not be opened" in w for w in warnings), warnings
    assert all(len(w) < 400 for w in warnings)
    assert "run" not in at.query_params


def test_a_finished_run_is_stored_and_its_id_goes_in_the_url(mnist):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/train.py")
    at.run()
    config = PRESETS["seed"].replace(hidden=(16,), steps=30, epochs=None, eval_every=10)
    from pages.ui import train_form
    from pages.ui.resources import dataset

    job = train_form.job_manager().submit(config, dataset(), store=run_links.run_store())
    assert job.wait(60)
    at.session_state["job"] = job
    at.run()
    at.run()
    assert job.run_id and not job.store_message
    assert [run.run_id for run in at.session_state["runs"]] == [job.run_id]  # in "Compare runs"
    assert at.query_params["runs"] in (job.run_id, [job.run_id])  # and in the URL: a reload keeps it
    if job.outcome is not None and job.outcome.learned:  # then it is the current model too
        assert at.query_params["run"] in (job.run_id, [job.run_id])
    stored = RunStore.from_env().load(job.run_id)
    assert stored.fingerprint == job.model.fingerprint


def test_training_from_a_shared_run_makes_a_new_run_and_leaves_theirs_alone(mnist):
    model = small_model(name="theirs")
    store = RunStore.from_env()
    theirs = store.save(model, owner="someone else")
    before = store.run_path(theirs).read_bytes()
    at = open_with("pages/train.py", {"run": theirs})
    assert at.session_state["shared_run"] is True
    train = next(button for button in at.button if button.label == "Train")
    train.click().run()  # the shared run's own settings (12 steps) are in the form
    job = at.session_state["job"]
    assert job.wait(120)
    at.run()
    at.run()
    assert job.run_id and job.run_id != theirs
    assert [run.run_id for run in at.session_state["runs"]] == [job.run_id]  # only the visitor's own run
    assert store.run_path(theirs).read_bytes() == before  # the shared run is untouched
    if at.session_state["run_id"] == job.run_id:  # the new network learned: it is now current, and not shared
        assert at.session_state["shared_run"] is False


def test_an_unusable_store_keeps_the_run_in_the_session_and_says_so(mnist, tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MNIST_RUNS_DIR", str(blocker / "runs"))  # cannot be created: like a read-only disk
    at = open_with("pages/train.py", {"preset": "seed", "steps": "40"})
    next(button for button in at.button if button.label == "Train").click().run()
    job = at.session_state["job"]
    assert job.wait(120)
    at.run()
    at.run()
    assert not at.exception
    assert not job.run_id and "cannot be used" in job.store_message
    assert any("kept in this session only" in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(at.session_state["runs"]) == 1  # Compare runs still has it, in memory
    assert "runs" not in at.query_params
