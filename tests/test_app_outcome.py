"""A run that did not learn, on the Train page through AppTest (issue #13, item 2): ``fast``
at learning rate 10 ends near chance level on real MNIST. The page must say so plainly with
the evidence and the loss curve, keep the current model, and offer "Use it anyway"."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from mnistcore.engine.presets import PRESETS
from pages.ui import resources, state
from tests.app_support import fresh_job_manager, open_train, shown  # noqa: F401 (an autouse fixture)


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def run_until_collected(at: AppTest, timeout: float = 180.0) -> AppTest:
    """Rerun the page, as the live fragment would, until the job has ended and been taken in."""
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.3)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        job = at.session_state[state.JOB]
        if job.done and state.COLLECTED_JOB in at.session_state and at.session_state[state.COLLECTED_JOB] == job.id:
            return at.run()
        assert time.monotonic() < deadline, f"the run did not end in {timeout} s (status {job.status})"


def texts(elements) -> list[str]:
    return [shown(e.value) for e in elements]


def test_a_run_that_stopped_learning_says_so_keeps_the_model_and_offers_use_it_anyway(mnist):
    at = open_train({"preset": "fast", "lr": "10"})
    button(at, "Train").click().run()
    run_until_collected(at)
    job = at.session_state[state.JOB]
    assert job.status == "finished" and job.model is not None and job.outcome.final.accuracy < 0.2

    # Said plainly, with the evidence: no green "Finished ... now the current model".
    assert not at.success
    (error,) = texts(at.error)
    assert error.startswith("**The network stopped learning: the learning rate is probably too high.** Finished")
    assert f"Validation accuracy ended at {100 * job.outcome.final.accuracy:.2f}%" in error
    assert "hardly better than guessing (10%)" in error and "at its first check (step 500)" in error
    markdown = texts(at.markdown)
    (loss,) = [m for m in markdown if "The loss chart below shows it." in m]
    assert "the same probability (ln 10)" in loss
    assert at.get("vega_lite_chart"), "the accuracy and loss curves are drawn"

    # The current model is unchanged; the run still joins the comparison.
    assert state.MODEL not in at.session_state
    default = resources.default_model()
    assert any(m.startswith("**The current model is unchanged:**") and "shipped default" in m for m in markdown)
    assert any(f"{100 * default.test_accuracy:.2f}%" in c.value for c in at.sidebar.caption)
    assert len(at.session_state[state.RUNS]) == 1

    # "Use it anyway" makes it the current model, on every page.
    button(at, "Use it anyway").click().run()
    assert at.session_state[state.MODEL] is job.model
    assert any("You chose to use this network anyway" in i for i in texts(at.info))
    assert any(f"{100 * job.model.test_accuracy:.2f}%" in c.value for c in at.sidebar.caption)


def test_a_smaller_learning_rate_is_one_click_away(mnist):
    at = open_train({"preset": "fast", "lr": "10", "epochs": "1"})
    button(at, "Train").click().run()
    run_until_collected(at)
    button(at, "Use learning rate 1 instead").click().run()
    assert at.session_state[state.SETTINGS] == PRESETS["fast"].replace(lr=1.0, epochs=1)
    assert at.select_slider(key=state.setting_key("lr")).value == 1.0


def test_a_run_that_has_barely_started_warns_and_keeps_the_model(mnist):
    at = open_train({"preset": "seed", "steps": "100", "eval_every": "10"})
    button(at, "Train").click().run()
    run_until_collected(at)
    assert not at.success and not at.error
    (warning,) = texts(at.warning)
    assert warning.startswith("**The network has barely started learning:") and "too short" in warning
    assert state.MODEL not in at.session_state
    assert not [b for b in at.button if b.label.startswith("Use learning rate")]  # not a learning rate too high


def test_a_run_that_learned_still_becomes_the_current_model(mnist):
    at = open_train({"preset": "fast", "lr": "0.05", "steps": "300", "eval_every": "50"})
    button(at, "Train").click().run()
    run_until_collected(at)
    job = at.session_state[state.JOB]
    assert job.outcome.learned and at.session_state[state.MODEL] is job.model
    assert any("now the current model on every page" in s for s in texts(at.success))


def test_time_left_is_in_minutes_when_long_and_names_the_time_limit():
    from mnistcore.server.jobs import Progress
    from pages.ui.train_live import time_left_text

    assert time_left_text(Progress(1, 10, 1000.0, 45.4)) == "about 45 s left"
    assert time_left_text(Progress(1, 10, 1000.0, 725.0, True)) == (
        "about 12 min left, when the server's time limit stops it"
    )
