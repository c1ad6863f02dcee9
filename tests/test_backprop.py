"""Tests for mnistcore.analysis.backprop, formulas and gradient_check: every number the
Backprop page shows against an independent NumPy computation written here, the gradient check
for every activation x loss pair and on the shipped model, and SGD steps that never touch the
model they copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnistcore import TrainedModel
from mnistcore.analysis.backprop import MAX_STEPS, StepLab, digit_pass, shown_units, top_units
from mnistcore.analysis.formulas import (
    hidden_delta_formula,
    loss_formula,
    output_delta_formula,
    weight_gradient_formula,
)
from mnistcore.analysis.gradient_check import gradient_check, precise_loss
from mnistcore.engine.activations import ACTIVATIONS
from mnistcore.engine.losses import LOSSES
from mnistcore.engine.network import MLP

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "default.npz"
F = {  # f(z) and f'(z), written from the textbook definitions
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
}


def small_net(activation: str, loss: str, sizes=(20, 7, 5, 10), seed=0, dtype=np.float32) -> MLP:
    rng = np.random.default_rng(seed)
    net = MLP.create(list(sizes), activation, loss, "xavier", rng, dtype)
    for b in net.biases:
        b[:] = rng.uniform(-0.3, 0.3, b.shape)
    return net


def reference_pass(net: MLP, x: np.ndarray, label: int):
    """Forward and backward for one example, from the definitions, in float64."""
    weights = [w.astype(np.float64) for w in net.weights]
    biases = [b.astype(np.float64) for b in net.biases]
    f, df = F[net.activation.name]
    y = np.eye(weights[-1].shape[1])[label]
    zs, acts = [], [x.astype(np.float64)]
    for l, (w, b) in enumerate(zip(weights, biases)):
        zs.append(acts[-1] @ w + b)
        if l < len(weights) - 1:
            acts.append(f(zs[-1]))
        elif net.output_loss.name == "mse":
            acts.append(1 / (1 + np.exp(-zs[-1])))
        else:
            e = np.exp(zs[-1] - zs[-1].max())
            acts.append(e / e.sum())
    out = acts[-1]
    if net.output_loss.name == "mse":
        loss = 0.5 * np.sum((out - y) ** 2)
        delta = (out - y) * out * (1 - out)
    else:
        loss = -np.log(out[label])
        delta = out - y
    deltas = [delta]
    for l in range(len(weights) - 1, 0, -1):
        deltas.insert(0, (deltas[0] @ weights[l].T) * df(zs[l - 1]))
    grad_w = [np.outer(acts[l], deltas[l]) for l in range(len(weights))]
    return zs, acts, deltas, grad_w, deltas, loss


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_number_of_a_digit_pass_matches_the_definitions(activation, loss):
    net = small_net(activation, loss)
    x = np.random.default_rng(1).uniform(0, 1, 20)
    p = digit_pass(net, x, 3)
    zs, acts, deltas, grad_w, grad_b, ref_loss = reference_pass(net, x, 3)
    for l in range(3):
        np.testing.assert_allclose(p.zs[l], zs[l], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(p.activations[l + 1], acts[l + 1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(p.deltas[l], deltas[l], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(p.grad_weights[l], grad_w[l], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(p.grad_biases[l], grad_b[l], rtol=1e-10, atol=1e-14)
    assert p.loss == pytest.approx(ref_loss, rel=1e-12)
    assert p.predicted == int(np.argmax(acts[-1]))
    assert all(a.dtype == np.float64 for a in p.activations)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_gradient_check_agrees_to_1e_6_for_every_activation_and_loss(activation, loss):
    net = small_net(activation, loss, seed=2)
    x = np.random.default_rng(3).uniform(0, 1, 20)
    checks = gradient_check(net, x, 4, np.random.default_rng(0))
    assert {c.layer for c in checks} == {0, 1, 2} and {c.kind for c in checks} == {"W", "b"}
    assert max(c.relative_error for c in checks) < 1e-6


def test_gradient_check_on_the_shipped_model_for_real_digits(mnist):
    model = TrainedModel.load(DEFAULT_MODEL)
    rng = np.random.default_rng(0)
    before = [p.copy() for p in model.network.parameters()]
    for index in range(0, 10000, 500):  # 20 digits across the test set
        checks = gradient_check(model.network, mnist.test_x[index], int(mnist.test_y[index]), rng)
        assert len(checks) == 8  # 3 weights and a bias in each of the two layers
        assert max(c.relative_error for c in checks) < 1e-6
    for p, q in zip(model.network.parameters(), before):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_precise_loss_is_the_networks_loss(loss):
    net = small_net("tanh", loss, dtype=np.float64)
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 1, (6, 20)), np.eye(10)[rng.integers(0, 10, 6)]
    assert precise_loss(net, x, y) == pytest.approx(net.loss(x, y), rel=1e-12)


def test_formulas_carry_the_real_numbers():
    ce = digit_pass(small_net("relu", "cross-entropy"), np.linspace(0, 1, 20), 2)
    assert loss_formula(ce).startswith(r"L = -\log p_{2} = -\log ")
    assert f"{ce.output[2]:.4g}" in loss_formula(ce) and loss_formula(ce).endswith(f"{ce.loss:.4g}")
    assert output_delta_formula(ce, 2).endswith(f"= {ce.deltas[-1][2]:.4g}")
    mse = digit_pass(small_net("sigmoid", "mse"), np.linspace(0, 1, 20), 7)
    assert loss_formula(mse).count("^2") == 11  # the sum's definition and one term per class
    assert r"a_{7}(1 - a_{7})" in output_delta_formula(mse, 7)
    net = small_net("sigmoid", "mse")
    unit = int(top_units(mse.deltas[1], 1)[0])
    assert hidden_delta_formula(mse, net, 1, unit).endswith(f"= {mse.deltas[1][unit]:.4g}\\end{{aligned}}")
    assert weight_gradient_formula(mse, 0, 5, 2).endswith(f"= {mse.grad_weights[0][5, 2]:.4g}")
    assert r"\times (" in weight_gradient_formula(ce, 2, 1, 0) or ce.deltas[2][0] >= 0  # negatives in brackets


def test_a_step_changes_only_the_copy_and_follows_sgd():
    net = small_net("relu", "cross-entropy")
    before = [p.copy() for p in net.parameters()]
    x = np.random.default_rng(1).uniform(0, 1, 20)
    lab = StepLab(net, x, 6)
    start = digit_pass(net, x, 6)
    lab.step(0.1)
    for p, q in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, q)  # bit-identical: the model is never written
    for w, w0, g in zip(lab.network.weights, before[0::2], start.grad_weights):
        np.testing.assert_allclose(w, w0.astype(np.float64) - 0.1 * g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lab.first_layer_change(), -0.1 * start.grad_weights[0], rtol=1e-12, atol=1e-15)
    lab.step(0.1)
    lab.step(0.1)
    assert lab.steps == 3 and lab.losses[0] == pytest.approx(start.loss)
    assert lab.losses[3] < lab.losses[2] < lab.losses[1] < lab.losses[0]
    lab.reset()
    assert lab.steps == 0 and not lab.first_layer_change().any()


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_a_step_refuses_a_learning_rate_that_is_not_positive(lr):
    lab = StepLab(small_net("tanh", "mse"), np.zeros(20), 1)
    with pytest.raises(ValueError, match="positive"):
        lab.step(lr)
    assert lab.steps == 0


def test_steps_are_capped_until_reset():
    lab = StepLab(small_net("tanh", "mse", sizes=(4, 3, 10)), np.ones(4), 1)
    for _ in range(MAX_STEPS):
        lab.step(0.01)
    with pytest.raises(ValueError, match="Reset"):
        lab.step(0.01)
    lab.reset()
    lab.step(0.01)


def test_units_listed_one_by_one():
    assert list(shown_units(np.arange(5.0))) == [0, 1, 2, 3, 4]
    values = np.zeros(100)
    values[[90, 3, 50]] = [-5, 4, 3]
    assert list(shown_units(values, limit=3)) == [3, 50, 90]
    assert list(top_units(values, 2)) == [90, 3]
