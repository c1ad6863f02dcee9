"""The Weights page through the real app shell (AppTest), for the shipped default model,
freshly trained small models (one and two hidden layers) and an untrained wide layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnistcore import MLP, PRESETS, TrainedModel, train
from mnistcore.analysis.evaluation import evaluate_model
from tests import app_support

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/weights.py"


@pytest.fixture(scope="module")
def default_model() -> TrainedModel:
    return TrainedModel.load(ROOT / "models" / "default.npz")


@pytest.fixture(scope="module")
def small_model(mnist) -> TrainedModel:
    return train(PRESETS["fast"].replace(steps=200, hidden=(32,)), mnist, name="small test model")


@pytest.fixture(scope="module")
def deep_model(mnist) -> TrainedModel:
    return train(PRESETS["fast"].replace(steps=60, hidden=(70, 24)), mnist, name="two hidden layers")


@pytest.fixture(scope="module")
def wide_model() -> TrainedModel:
    """An untrained 800-unit layer without snapshots: big, and with no history to replay."""
    config = PRESETS["best"]
    network = MLP.create(config.layer_sizes, config.activation, config.loss, "he", np.random.default_rng(0))
    return TrainedModel(network=network, config=config, name="wide and untrained")


def open_page(model: TrainedModel | None = None) -> AppTest:
    """This page of the app, with ``model`` as the session's model if given."""
    return app_support.open_page(PAGE, model)


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def captions(at: AppTest) -> list[str]:
    return app_support.picture_captions(at)


def subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.header]


def test_default_model_shows_mosaic_unit_output_layer_and_evolution(default_model, mnist):
    at = open_page()
    n_units = default_model.network.layer_sizes[1]
    assert n_units > 64  # so the default model exercises paging
    assert at.selectbox(key="weights_units_page").options == [
        f"units {start}–{min(start + 64, n_units) - 1}" for start in range(0, n_units, 64)
    ]
    texts = captions(at)
    assert "Hidden layer 1: units 0–63, row by row, 8 per row (top left is unit 0)." in texts
    assert "Output layer: hidden layer 1 → digits" in subheaders(at)
    steps = default_model.snapshot_steps
    assert at.select_slider(key="weights_snapshot").options == [f"step {int(s):,}" for s in steps]
    assert f"First layer at step {int(steps[0]):,}: units 0–63, row by row, 8 per row (top left is unit 0)." in texts


def test_chosen_unit_shows_its_bias_and_the_digits_that_excite_it(default_model, mnist):
    at = open_page()
    at.number_input(key="weights_unit").set_value(5)
    rerun(at)
    assert "Unit 5" in captions(at)
    bias = default_model.network.biases[0][5]
    assert next(m.value for m in at.metric if m.label == "Bias") == f"{bias:+.3f}"
    evaluation = evaluate_model(default_model.network, mnist.test_x, mnist.test_y)
    top = evaluation.unit_top[5]
    hidden = default_model.network.layer_outputs(mnist.test_x)[0]
    expected = [f"{mnist.test_y[i]} · {hidden[i, 5]:.2f}" for i in top]
    strips = [group for group in app_support.pictures(at) if len(group) == 8]  # two rows of 8
    assert [caption for strip in strips for _, caption in strip] == expected
    assert [alt for strip in strips for alt, _ in strip][0].startswith(f"test digit {top[0]}: ")


def test_second_unit_page_and_evolution_slider(mnist, default_model):
    at = open_page()
    at.selectbox(key="weights_units_page").set_value(1)
    last = len(default_model.snapshot_steps) - 1
    at.select_slider(key="weights_snapshot").set_value(last)
    rerun(at)
    n_units = default_model.network.layer_sizes[1]
    label = f"units 64–{min(128, n_units) - 1}"
    texts = captions(at)
    assert any(t.startswith(f"Hidden layer 1: {label}") for t in texts)
    assert any(t.startswith(f"First layer at step {int(default_model.snapshot_steps[last]):,}: {label}") for t in texts)
    assert any(f"Showing {label}" in c.value for c in at.caption)  # the output heatmap follows the page


def test_freshly_trained_small_model(small_model):
    at = open_page(small_model)
    assert not at.get("selectbox")  # 32 units fit on one page
    texts = captions(at)
    assert "Hidden layer 1: units 0–31, row by row, 6 per row (top left is unit 0)." in texts
    assert any("784-32-10" in m.value for m in at.markdown)
    assert len(small_model.snapshot_steps) > 1
    assert at.select_slider(key="weights_snapshot").options[-1] == f"step {int(small_model.snapshot_steps[-1]):,}"


def test_two_hidden_layers_show_the_deeper_layer_as_a_heatmap(deep_model):
    at = open_page(deep_model)
    assert subheaders(at)[2:4] == ["Layer 2: hidden layer 1 → hidden layer 2", "Output layer: hidden layer 2 → digits"]
    # 70 units: two pages of first-layer tiles; the layer-2 heatmap follows the same page.
    assert at.selectbox(key="weights_units_page").options == ["units 0–63", "units 64–69"]
    at.selectbox(key="weights_units_page").set_value(1)
    rerun(at)
    assert any("Showing units 64–69" in c.value for c in at.caption)
    charts = at.get("vega_lite_chart")
    # legend, outgoing bars, layer-2 heatmap, output heatmap, evolution legend, hidden-space map,
    # four training-health charts
    assert len(charts) == 6 + 4


def test_wide_untrained_layer_pages_its_units_and_says_there_is_no_history(mnist, wide_model):
    at = open_page(wide_model)
    options = at.selectbox(key="weights_units_page").options
    assert len(options) == 13 and options[-1] == "units 768–799"
    assert "Hidden layer 1: units 0–63, row by row, 8 per row (top left is unit 0)." in captions(at)
    assert any("no weight snapshots" in i.value for i in at.info)


def test_a_smaller_new_model_clamps_the_chosen_unit_and_page(default_model, small_model):
    at = open_page()
    at.number_input(key="weights_unit").set_value(100)
    at.selectbox(key="weights_units_page").set_value(1)
    rerun(at)
    at.session_state["model"] = small_model
    rerun(at)
    assert at.number_input(key="weights_unit").value == 31
    assert "Unit 31" in captions(at)


def test_change_since_start_view_draws_the_difference(mnist, default_model):
    at = open_page()
    assert at.radio(key="weights_view").value == "Weights"
    at.radio(key="weights_view").set_value("Change since the start of training")
    at.number_input(key="weights_unit").set_value(3)
    rerun(at)
    start = int(default_model.snapshot_steps[0])
    assert f"Change since step {start:,}: units 0–63, row by row, 8 per row (top left is unit 0)." in captions(at)
    assert "Unit 3" in captions(at)


@pytest.mark.parametrize("page", [PAGE, "pages/mistakes.py"])
def test_a_diverged_model_still_renders_with_a_warning(mnist, page):
    config = PRESETS["fast"].replace(hidden=(16,))
    network = MLP.create(config.layer_sizes, config.activation, config.loss, "he", np.random.default_rng(0))
    network.weights[0][:5] = np.nan
    network.weights[1][0] = np.inf
    model = TrainedModel(network=network, config=config, name="diverged", status="diverged")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["model"] = model
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("diverged" in w.value for w in at.warning)


def test_weights_still_near_their_random_start_point_to_the_change_view(mnist, default_model):
    """The seed's network moves its weights little from their uniform [-1, 1] start: its tiles
    look like noise, so the page says so and points to 'Change since the start of training'."""
    seed = train(PRESETS["seed"].replace(steps=2000, eval_every=1000), mnist, name="seed")
    at = open_page(seed)
    (hint,) = [i.value for i in at.info if "still look like noise" in i.value]
    assert "**Change since the start of training**" in hint
    at.radio(key="weights_view").set_value("Change since the start of training")
    rerun(at)
    assert not [i for i in at.info if "still look like noise" in i.value]  # the hint is for the plain view
    assert not [i for i in open_page().info if "still look like noise" in i.value]  # the default model learned
