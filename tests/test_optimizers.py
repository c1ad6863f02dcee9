"""Tests for mnistcore.engine.optimizers: single steps against the textbook formulas, Adam against
a plain reference implementation, convergence on a quadratic, and the schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnistcore.engine.optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    SGD,
    Adam,
    Momentum,
    constant_schedule,
    cosine_schedule,
    make_optimizer,
)


def fresh_params():
    return [np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.25, -0.75, 2.0])]


def some_grads(step: int):
    """Different, sign-changing gradients at every step."""
    return [
        np.array([[0.5, -1.0], [2.0, -0.1]]) * (1 + step) * (-1) ** step,
        np.array([-0.3, 0.0, 1.5]) / (1 + step),
    ]


def test_sgd_step_is_p_minus_lr_g():
    params = fresh_params()
    grads = some_grads(0)
    expected = [p - 0.1 * g for p, g in zip(params, grads)]
    SGD(params).step(params, [g.copy() for g in grads], lr=0.1)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-15)


def test_momentum_steps_follow_the_heavy_ball_formula():
    params, mu, lr = fresh_params(), 0.9, 0.05
    expected = [p.copy() for p in params]
    velocity = [np.zeros_like(p) for p in params]
    optimizer = Momentum(params, mu)
    for step in range(3):
        grads = some_grads(step)
        for i, g in enumerate(grads):
            velocity[i] = mu * velocity[i] - lr * g  # v <- mu v - lr g; p <- p + v
            expected[i] = expected[i] + velocity[i]
        optimizer.step(params, [g.copy() for g in grads], lr)
        for p, e in zip(params, expected):
            np.testing.assert_allclose(p, e, rtol=1e-14)


def test_momentum_first_step_equals_sgd():
    sgd_params, momentum_params = fresh_params(), fresh_params()
    SGD(sgd_params).step(sgd_params, some_grads(0), 0.1)
    Momentum(momentum_params, 0.9).step(momentum_params, some_grads(0), 0.1)
    for a, b in zip(sgd_params, momentum_params):
        np.testing.assert_allclose(a, b, rtol=1e-15)


class ReferenceAdam:
    """Adam as printed in Kingma & Ba (2015), Algorithm 1: no folding, no in-place tricks."""

    def __init__(self, params, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params, grads, lr):
        self.t += 1
        new = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            m_hat = self.m[i] / (1 - self.beta1**self.t)
            v_hat = self.v[i] / (1 - self.beta2**self.t)
            new.append(p - lr * m_hat / (np.sqrt(v_hat) + self.eps))
        return new


def test_adam_matches_the_reference_over_several_steps():
    params = fresh_params()
    reference_params = fresh_params()
    adam, reference = Adam(params), ReferenceAdam(reference_params)
    for step in range(8):
        lr = 0.01 * (1 + step % 3)  # a changing learning rate, as under a schedule
        grads = some_grads(step)
        reference_params = reference.step(reference_params, grads, lr)
        adam.step(params, [g.copy() for g in grads], lr)
        for p, r in zip(params, reference_params):
            np.testing.assert_allclose(p, r, rtol=1e-12, atol=1e-15)


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    params = [np.zeros(4)]
    Adam(params).step(params, [np.array([1e-2, -3.0, 250.0, 0.0])], lr=0.01)
    np.testing.assert_allclose(params[0], [-0.01, 0.01, -0.01, 0.0], rtol=1e-5)


def test_adam_in_float32_stays_float32():
    params = [np.ones((3, 3), np.float32)]
    adam = Adam(params)
    for _ in range(3):
        adam.step(params, [np.full((3, 3), 0.5, np.float32)], 0.1)
    assert params[0].dtype == np.float32 and adam.m[0].dtype == adam.v[0].dtype == np.float32


# ------------------------------------------------------------------ minimising a quadratic

CURVATURE = [np.array([[0.5, 2.0], [1.0, 1.5]]), np.array([0.8, 1.2, 2.0])]
MINIMUM = [np.array([[3.0, -1.0], [0.0, 2.0]]), np.array([-1.0, 0.5, 4.0])]


def quadratic(params):
    """f(p) = 1/2 sum a (p - c)^2 and its gradient a (p - c)."""
    value = sum(0.5 * float(np.sum(a * (p - c) ** 2)) for p, a, c in zip(params, CURVATURE, MINIMUM))
    return value, [a * (p - c) for p, a, c in zip(params, CURVATURE, MINIMUM)]


@pytest.mark.parametrize(
    ("name", "lr", "schedule"),
    [("sgd", 0.5, "constant"), ("momentum", 0.05, "constant"), ("adam", 0.1, "cosine")],
)
def test_each_optimizer_minimises_a_quadratic(name, lr, schedule):
    params = fresh_params()
    optimizer = make_optimizer(name, params, momentum=0.9)
    start, _ = quadratic(params)
    total = 600
    for step in range(total):
        _, grads = quadratic(params)
        optimizer.step(params, grads, SCHEDULES[schedule](lr, step, total))
    end, _ = quadratic(params)
    assert end < 1e-6 * start
    for p, c in zip(params, MINIMUM):
        np.testing.assert_allclose(p, c, atol=2e-3)


def test_make_optimizer_builds_each_kind_and_refuses_unknown_names():
    params = fresh_params()
    assert isinstance(make_optimizer("sgd", params), SGD)
    momentum = make_optimizer("momentum", params, momentum=0.5)
    assert isinstance(momentum, Momentum) and momentum.momentum == 0.5
    assert isinstance(make_optimizer("adam", params), Adam)
    assert set(OPTIMIZERS) == {"sgd", "momentum", "adam"}
    with pytest.raises(ValueError, match="optimizer must be one of 'sgd', 'momentum', 'adam'; got 'rmsprop'"):
        make_optimizer("rmsprop", params)


# ------------------------------------------------------------------ schedules


@pytest.mark.parametrize("step", [0, 1, 500, 999, 1000])
def test_constant_schedule_never_changes(step):
    assert constant_schedule(0.1, step, 1000) == 0.1


def test_cosine_schedule_from_base_through_half_to_zero():
    total = 1000
    assert cosine_schedule(0.2, 0, total) == pytest.approx(0.2)
    assert cosine_schedule(0.2, total // 2, total) == pytest.approx(0.1)
    assert cosine_schedule(0.2, total // 4, total) == pytest.approx(0.1 * (1 + math.cos(math.pi / 4)))
    assert cosine_schedule(0.2, total, total) == pytest.approx(0.0, abs=1e-15)
    assert cosine_schedule(0.2, total + 50, total) == pytest.approx(0.0, abs=1e-15)  # no climb back up
    rates = [cosine_schedule(0.2, s, total) for s in range(total + 1)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))
    assert cosine_schedule(0.2, 0, 0) == pytest.approx(0.2)  # no division by zero


def test_schedule_table_names():
    assert SCHEDULES == {"constant": constant_schedule, "cosine": cosine_schedule}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_leaves_the_gradients_as_they_were(name):
    # Gradients stay gradients: an optimizer keeps its own scratch, so a learner can plot
    # them (and the Backprop page can show them) after the update.
    params = fresh_params()
    optimizer = make_optimizer(name, params, momentum=0.9)
    for step in range(3):
        grads = some_grads(step)
        kept = [g.copy() for g in grads]
        optimizer.step(params, grads, lr=0.1)
        for g, k in zip(grads, kept):
            np.testing.assert_array_equal(g, k)
