"""AppTest for the Backprop page: digits from each source, SGD steps on a copy, the gradient
check, and hostile ``?digit=`` link values."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore import TrainConfig, TrainedModel
from mnistcore.engine.network import MLP
from tests.app_support import ROOT, fresh_job_manager, open_page  # noqa: F401 (fixture)

PAGE = "pages/backprop.py"


def loss_metric(at) -> float:
    return float(next(m for m in at.metric if m.label == "Loss on this digit").value)


def test_opens_on_the_default_model_and_shows_every_section(mnist):
    at = open_page(PAGE)
    headers = [h.value for h in at.header]
    assert headers == ["1. Forward pass", "2. Backward pass", "3. Take one step", "4. Gradient check"]
    assert any(r"L = -\log p_{7}" in latex.value for latex in at.latex)  # test digit #0 is a 7
    table = at.dataframe[-1].value
    assert len(table) == 8 and (table["relative error"] < 1e-6).all()
    assert "agree" in at.markdown[-1].value


def test_sgd_steps_lower_the_loss_on_a_copy_and_reset_restores(mnist):
    at = open_page(PAGE)
    model = at.session_state["backprop_lab"][1].original
    before = [p.copy() for p in model.parameters()]
    losses = [loss_metric(at)]
    for _ in range(3):
        next(b for b in at.button if b.label == "Take one SGD step").click().run()
        losses.append(loss_metric(at))
    assert losses[3] < losses[2] < losses[1] < losses[0]
    assert not at.exception
    for p, q in zip(model.parameters(), before):
        np.testing.assert_array_equal(p, q)  # the shipped model is untouched
    next(b for b in at.button if b.label == "Reset").click().run()
    assert loss_metric(at) == pytest.approx(losses[0])


@pytest.mark.parametrize("digit", ["8527", "0", "9999"])
def test_a_link_opens_that_test_digit(mnist, digit):
    at = open_page(PAGE)
    at.query_params["digit"] = digit
    at.run()
    assert at.number_input[0].value == int(digit)
    reads = next(m for m in at.metric if m.label == "The network reads it as")
    assert reads.delta.endswith(f"true label {int(mnist.test_y[int(digit)])}")
    assert not at.warning


@pytest.mark.parametrize("digit", ["10000", "-1", "![](//evil.example/p)", "1e3", "9" * 500])
def test_a_hostile_link_value_is_refused_as_plain_text(mnist, digit):
    at = open_page(PAGE)
    at.query_params["digit"] = digit
    at.run()
    assert not at.exception
    assert at.warning and "not a test-digit number" in at.warning[0].value
    assert "evil" not in at.warning[0].value  # the raw value is only shown as plain text
    assert at.number_input[0].value == 0


def test_the_digit_i_drew(mnist):
    at = open_page(PAGE)
    pixels = mnist.test_x[1].reshape(28, 28)
    at.session_state["drawn_digit"] = {"pixels": pixels, "predicted": 2}
    at.run()
    next(b for b in at.button if b.label == "The digit I drew").click().run()
    assert not at.exception
    assert at.selectbox[0].label == "Its right label (you drew it)" and at.selectbox[0].value == 2


def test_works_on_a_deeper_sigmoid_mse_network(mnist):
    config = TrainConfig(hidden=(40, 20), activation="sigmoid", loss="mse", init="xavier", steps=1)
    network = MLP.create(config.layer_sizes, "sigmoid", "mse", "xavier", np.random.default_rng(0))
    at = open_page(PAGE, TrainedModel(network, config))
    assert any(r"\tfrac12" in latex.value for latex in at.latex)  # the MSE loss with its numbers
    assert (at.dataframe[-1].value["relative error"] < 1e-6).all()
