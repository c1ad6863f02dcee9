"""The Health tab (AppTest): a break-it preset's lesson and its fix in the sidebar, a run's
four health charts with their readings, and a model without recorded health said so plainly."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from mnistcore.engine.history import History
from mnistcore.engine.presets import BREAK_IT_FIXES, PRESET_NOTES, PRESETS
from pages.ui import state
from tests.app_support import fresh_job_manager, open_page, open_train, shown  # noqa: F401
from tests.test_app_train import button, run_until_done

FIX_LABEL = BREAK_IT_FIXES["deep-sigmoid"][0]


def health_titles(at: AppTest) -> list[str]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    return [spec.get("title", "") for spec in specs]


def open_health_tab(at: AppTest, key: str = "live") -> None:
    at.session_state[f"{state.LIVE_TAB}_{key}"] = "Health"
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_the_deep_sigmoid_preset_shows_its_lesson_and_its_fix_is_one_click_away(mnist):
    at = open_train({"preset": "deep-sigmoid"})
    assert PRESET_NOTES["deep-sigmoid"] in [shown(c.value) for c in at.caption]
    button(at, FIX_LABEL).click().run()
    assert at.session_state["settings"] == BREAK_IT_FIXES["deep-sigmoid"][1]


def test_a_deep_sigmoid_run_shows_the_health_charts_and_the_vanishing_gradient_reading(mnist):
    at = open_train({"preset": "deep-sigmoid", "steps": "200"})
    button(at, "Train").click().run()
    run_until_done(at)
    assert "Gradient size per layer (log scale)" not in health_titles(at)  # the Curves tab is open first
    # The run did not learn, and its health records say why.
    assert not at.success and [*at.error, *at.warning]
    why = [shown(m.value) for m in at.markdown if "The Health tab shows it:" in m.value]
    assert why and "its gradients vanish on the way back (layer 1's are" in why[0]
    open_health_tab(at)
    titles = health_titles(at)
    for title in ("Gradient size per layer (log scale)", "Step size ÷ weight size (log scale)"):
        assert title in titles
    assert "Saturated outputs (flat part)" in titles and any(
        t.startswith("Outputs of each hidden layer") for t in titles
    )
    readings = [shown(m.value) for m in at.markdown]
    assert any("smaller than layer 5's: the sigmoid's slope" in r for r in readings), readings
    assert any(i.value.startswith("**deep-sigmoid**") for i in at.info)  # the lesson, with its fix
    button(at, FIX_LABEL).click().run()
    assert at.session_state["settings"] == BREAK_IT_FIXES["deep-sigmoid"][1].replace(steps=200)


def test_the_weights_page_shows_a_models_recorded_health_or_says_it_has_none(mnist):
    from mnistcore import train

    model = train(PRESETS["deep-sigmoid"].replace(steps=60), mnist, name="deep")
    at = open_page("pages/weights.py", model)
    assert "Gradient size per layer (log scale)" in health_titles(at)
    model.history = History(model.history.snapshot())  # as an old checkpoint loads: no health records
    at = open_page("pages/weights.py", model)
    assert any("no recorded training health" in c.value for c in at.caption)
    assert "Gradient size per layer (log scale)" not in health_titles(at)
