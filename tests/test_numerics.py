"""Tests for mnistcore.engine.numerics: tiny numbers are flushed where training makes them,
nothing else changes, and the gradients stay the gradients.

Speed itself is measured in benchmarks/ (the ``subnormals`` section), never asserted here;
what is asserted is the cause of the slow path: no subnormal number in the arrays a training
step multiplies, for inits, activations, losses and optimizers that used to make them.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from mnistcore.analysis.gradient_check import gradient_check
from mnistcore.engine.batches import Batches
from mnistcore.engine.losses import cross_entropy_loss, softmax
from mnistcore.engine.network import MLP
from mnistcore.engine.numerics import FLUSH_BELOW, count_subnormal, flush_tiny, flush_tiny_nonnegative
from mnistcore.engine.optimizers import make_optimizer
from mnistcore.engine.presets import PRESETS
from mnistcore.engine.trainer import Trainer, train_step

TINY32 = float(np.finfo(np.float32).tiny)  # smallest normal float32, about 1.2e-38


def test_flush_zeroes_only_magnitudes_under_the_bound():
    a = np.array([0.0, 1e-40, -1e-40, 5e-31, -5e-31, 2e-30, -2e-30, 0.5, -3.0], np.float32)
    before = a.copy()
    flush_tiny(a)
    keep = np.abs(before) >= FLUSH_BELOW
    assert np.array_equal(a[keep], before[keep])  # bit for bit
    assert not a[~keep].any()
    p = np.array([0.0, 1e-40, 5e-31, 2e-30, 0.25], np.float32)
    assert flush_tiny_nonnegative(p).tolist() == pytest.approx([0.0, 0.0, 0.0, 2e-30, 0.25])


@pytest.mark.parametrize("shape", [(100, 16), (100, 640), (3, 50_000)])  # a masked copy, and arithmetic
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_gives_exactly_what_a_masked_copy_of_zero_gives(shape, dtype):
    # The definition: every entry under the bound (-0 included) becomes +0; everything else,
    # NaN and infinities included, keeps its bits. Compared as raw bits, so -0 and +0 differ.
    rng = np.random.default_rng(7)
    a = rng.standard_normal(shape).astype(dtype) * (10.0 ** rng.integers(-45, 4, shape)).astype(dtype)
    a[rng.random(shape) < 0.4] = 0.0  # a ReLU layer's delta: about half zeros, in no pattern
    a[rng.random(shape) < 0.1] = -0.0
    a.flat[:4] = [np.nan, np.inf, -np.inf, -1e-31]
    nonnegative = np.abs(a) * np.where(rng.random(shape) < 0.05, -0.0, 1.0).astype(dtype)  # -0 kept in
    for flush, values, small in (
        (flush_tiny, a, np.abs(a) < FLUSH_BELOW),
        (flush_tiny_nonnegative, nonnegative, nonnegative < FLUSH_BELOW),
    ):
        expected = values.copy()
        np.copyto(expected, 0.0, where=small)
        got = flush(values.copy())
        assert got.dtype == dtype and got.tobytes() == expected.tobytes()


def test_count_subnormal_counts_only_the_range_under_the_smallest_normal():
    a = np.array([0.0, 1e-40, -1e-44, TINY32, 1.0], np.float32)
    assert count_subnormal(a) == 2
    assert count_subnormal(np.array([1e-300, 1e-310])) == 1  # float64's own range


def test_softmax_of_huge_logits_has_no_subnormal_probabilities():
    z = np.array([[0.0, -50.0, -80.0, -95.0, -200.0, 10.0, 3.0, -1.0, -70.0, -86.0]], np.float32)
    p = softmax(z, np.empty_like(z))
    assert count_subnormal(p) == 0
    exact = np.exp(z.astype(np.float64) - z.max())
    exact /= exact.sum()
    big = exact >= FLUSH_BELOW
    assert np.allclose(p[big], exact[big], rtol=1e-5) and not p[~big].any()
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    # a true class flushed to 0 still gives a finite, large loss: -log(1e-30) = 69.08
    y = np.eye(10, dtype=np.float32)[[4]]
    assert cross_entropy_loss(p, y) == pytest.approx(-np.log(FLUSH_BELOW), rel=1e-6)


COMBINATIONS = [  # (layer sizes, init, activation, loss, optimizer, lr): those that made subnormals before
    ([784, 100, 10], "uniform", "relu", "cross-entropy", "sgd", 0.1),
    ([784, 100, 10], "uniform", "relu", "cross-entropy", "momentum", 0.1),
    ([784, 100, 10], "uniform", "relu", "cross-entropy", "adam", 0.001),
    ([784, 64, 64, 10], "uniform", "relu", "cross-entropy", "sgd", 0.1),
    ([784, 64, 64, 10], "uniform", "sigmoid", "mse", "sgd", 0.1),
    ([784, 64, 10], "uniform", "tanh", "cross-entropy", "momentum", 0.1),
]


@pytest.mark.parametrize(("sizes", "init", "activation", "loss", "optimizer", "lr"), COMBINATIONS)
def test_training_arrays_hold_no_subnormals(mnist, sizes, init, activation, loss, optimizer, lr):
    """Uniform [-1, 1] init makes huge logits: before the flush, 400 steps of the first row made
    hundreds of subnormal probabilities and deltas, which x.T @ delta multiplied 784 times each."""
    rng = np.random.default_rng(0)
    net = MLP.create(sizes, activation, loss, init, rng)
    opt = make_optimizer(optimizer, net.update_arrays()[0])
    batches = Batches(mnist.train_pixels, mnist.train_y, 10, 100, net.dtype, rng)
    found = {"outputs": 0, "deltas": 0, "gradients": 0}
    for _ in range(300):
        x, y = batches.next()
        outputs = train_step(net, opt, x, y, lr)
        found["outputs"] += count_subnormal(outputs)
        found["deltas"] += sum(count_subnormal(d) for d in net._buffers_for(100)[1])
        found["gradients"] += sum(count_subnormal(g) for g in net.gradients())
    print(f"{'-'.join(map(str, sizes))} {init} {activation} {loss} {optimizer}: {found}")
    assert found == {"outputs": 0, "deltas": 0, "gradients": 0}
    assert sum(count_subnormal(p) for p in net.parameters()) == 0


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_optimizer_state_of_dead_weights_is_flushed_not_left_to_decay(optimizer):
    """A weight whose gradient became zero keeps a state that shrinks every step (v *= mu; Adam's
    m, v *= beta): flushed every STATE_FLUSH_EVERY steps, it never lingers in the subnormal range."""
    params = [np.ones(64, np.float32)]
    opt = make_optimizer(optimizer, params)
    grads = [np.full(64, 1e-3, np.float32)]
    opt.step(params, grads, 0.1)
    grads[0][:] = 0.0  # the unit died
    lingering = 0
    for _ in range(30_000 if optimizer == "adam" else 2_000):
        opt.step(params, grads, 0.1)
        state = [opt.velocities[0]] if optimizer == "momentum" else [opt.m[0], opt.v[0]]
        lingering += sum(count_subnormal(s) for s in state)
    assert lingering == 0


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("loss", ["mse", "cross-entropy"])
def test_gradient_check_still_agrees_on_a_saturated_network(mnist, activation, loss):
    """Uniform [-1, 1] weights on a real digit saturate units and make some probabilities tiny,
    where the flush acts: backprop still agrees with finite differences."""
    net = MLP.create([784, 32, 16, 10], activation, loss, "uniform", np.random.default_rng(1))
    for i in range(3):
        checks = gradient_check(net, mnist.val_x[i], int(mnist.val_y[i]), np.random.default_rng(i))
        assert checks and max(c.relative_error for c in checks) < 1e-6, [c.name for c in checks]


# The seed preset's weights after 3,000 steps, as the engine computed them before the flush and
# the speed work (commit 181e7f0), with one BLAS thread (results differ in the last bits between
# thread counts) on OpenBLAS's Haswell kernel. The flush must not change a run that makes no
# tiny numbers: the seed's sigmoids give a(1 - a) of 0 or at least 3e-8, never subnormal.
SEED_3000_SHA256 = {"haswell": "2392c0ebfba84862e9128488f6917edc949a8846332bdffce0ddcd74d84a0de5"}
SEED_3000_TEST_ACCURACY = 0.5697


def test_seed_preset_is_bit_identical_to_before(mnist):
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        config = PRESETS["seed"].replace(steps=3000)
        trainer = Trainer(config, mnist.train_pixels, mnist.train_y, mnist.val_x, mnist.val_y)
        trainer.run()
    digest = hashlib.sha256(b"".join(p.tobytes() for p in trainer.network.parameters())).hexdigest()
    kernels = {str(info.get("architecture", "")).lower() for info in threadpool_info() if info["user_api"] == "blas"}
    print(f"seed preset, 3000 steps: sha256 {digest} on BLAS kernel(s) {kernels}")
    assert trainer.network.accuracy(mnist.test_x, mnist.test_y) == SEED_3000_TEST_ACCURACY
    known = [SEED_3000_SHA256[k] for k in kernels if k in SEED_3000_SHA256]
    if known:  # another kernel rounds differently: only the accuracy is comparable there
        assert digest == known[0]
