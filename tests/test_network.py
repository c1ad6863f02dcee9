"""Tests for mnistcore.engine.network (with activations and losses): backprop against central
finite differences, a tiny network worked out by hand, numerical stability, the two
forward paths, initialisation statistics and dtype preservation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mnistcore.engine.activations import ACTIVATIONS, sigmoid
from mnistcore.engine.losses import LOSSES, cross_entropy_loss, softmax
from mnistcore.engine.network import INITIALISERS, MLP, shape_text
from mnistcore.engine.optimizers import SGD

EPS = 1e-6  # finite-difference step; float64 keeps its rounding error near 1e-10
KINK_MARGIN = 1e-3  # relu: every pre-activation stays this far from 0, far beyond EPS


def one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


def relu_hidden_pre_activations(net: MLP, x: np.ndarray) -> list[np.ndarray]:
    """z of every hidden layer of a relu network, computed independently of ``forward``."""
    zs, a = [], x
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        zs.append(a @ w + b)
        a = np.maximum(zs[-1], 0.0)
    return zs


def make_problem(sizes, activation, loss, seed, input_scale=1.0, batch=6):
    """A float64 network with small random inputs and one-hot targets; for relu, one whose
    hidden pre-activations all stay clear of the kink at 0."""
    for attempt in range(200):
        rng = np.random.default_rng([seed, attempt])
        net = MLP.create(sizes, activation, loss, "xavier", rng, np.float64)
        for b in net.biases:  # non-zero biases, so their gradients are tested in general position
            b[:] = rng.uniform(-0.5, 0.5, b.shape)
        x = rng.uniform(-1, 1, (batch, sizes[0])) * input_scale
        y = one_hot(rng.integers(0, sizes[-1], batch), sizes[-1])
        if activation != "relu" or all(np.abs(z).min() > KINK_MARGIN for z in relu_hidden_pre_activations(net, x)):
            return net, x, y
    raise AssertionError("no kink-free relu problem found")


def numeric_gradient(net: MLP, x, y, weight_decay, param: np.ndarray, indices) -> np.ndarray:
    """Central differences of net.loss with respect to param at the given flat indices."""
    flat = param.reshape(-1)
    grads = np.empty(len(indices))
    for n, i in enumerate(indices):
        original = flat[i]
        flat[i] = original + EPS
        plus = net.loss(x, y, weight_decay)
        flat[i] = original - EPS
        minus = net.loss(x, y, weight_decay)
        flat[i] = original
        grads[n] = (plus - minus) / (2 * EPS)
    return grads


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def check_gradients(net, x, y, weight_decay, max_checked=None, seed=0):
    net_before = [p.copy() for p in net.parameters()]
    analytic = [g.copy() for g in net.backward(net.forward(x), y, weight_decay)]
    rng = np.random.default_rng(seed)
    for name, param, grad in zip(_param_names(net), net.parameters(), analytic):
        indices = np.arange(param.size)
        if max_checked is not None and param.size > max_checked:
            indices = rng.choice(param.size, max_checked, replace=False)
        numeric = numeric_gradient(net, x, y, weight_decay, param, indices)
        error = relative_error(grad.reshape(-1)[indices], numeric)
        assert error < 1e-6, f"{name}: relative error {error:.2e}"
        assert np.abs(numeric).max() > 1e-8, f"{name}: the check would be vacuous (zero gradient)"
    for before, after in zip(net_before, net.parameters()):
        np.testing.assert_array_equal(before, after)  # the check restored every parameter


def _param_names(net):
    return [f"{kind}[{l}]" for l in range(len(net.weights)) for kind in ("W", "b")]


@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backprop_matches_finite_differences(activation, loss, weight_decay):
    net, x, y = make_problem([7, 5, 4, 3], activation, loss, seed=11)
    check_gradients(net, x, y, weight_decay)


@pytest.mark.parametrize(("activation", "loss"), [("sigmoid", "mse"), ("relu", "cross-entropy")])
def test_backprop_matches_finite_differences_on_mnist_shaped_net(activation, loss):
    # 784 inputs as in MNIST: check a random subset of the 12,544 first-layer weights.
    net, x, y = make_problem([784, 16, 10], activation, loss, seed=5, input_scale=0.1, batch=4)
    check_gradients(net, x, y, weight_decay=1e-3, max_checked=60)


def test_backprop_returns_parameter_ordered_gradients_with_matching_shapes():
    net, x, y = make_problem([7, 5, 4, 3], "tanh", "mse", seed=3)
    grads = net.backward(net.forward(x), y)
    assert [g.shape for g in grads] == [p.shape for p in net.parameters()]
    assert all(g is h for g, h in zip(grads, net.gradients()))


# ------------------------------------------------------------------ a net worked out by hand

# 2-2-2, relu hidden layer. For x = [1, 2]:
#   z1 = x W0 + b0 = [1*1 + 2*0.5 - 1, 1*(-1) + 2*1 + 0.5] = [1, 1.5] -> a1 = relu(z1) = [1, 1.5]
#   z2 = a1 W1 + b1 = [1*1 + 1.5*(-2/3), 1*(-1) + 1.5*(2/3)] = [0, 0]
# so both output layers give [0.5, 0.5] (sigmoid(0) and softmax of equal logits). With y = [1, 0]:
#   mse: loss = 1/2 (0.5^2 + 0.5^2) = 0.25, delta2 = (a - y) a (1 - a) = [-0.125, 0.125]
#   cross-entropy: loss = -ln 0.5 = ln 2, delta2 = p - y = [-0.5, 0.5]
# Every gradient is linear in delta2 = s * [-1, 1]:
#   dW1 = a1^T delta2 = s [[-1, 1], [-1.5, 1.5]],  db1 = s [-1, 1]
#   delta1 = (delta2 W1^T) * relu'(z1) = s [-1 - 1, 2/3 + 2/3] = s [-2, 4/3]
#   dW0 = x^T delta1 = s [[-2, 4/3], [-4, 8/3]],   db0 = s [-2, 4/3]
HAND_W0 = np.array([[1.0, -1.0], [0.5, 1.0]])
HAND_B0 = np.array([-1.0, 0.5])
HAND_W1 = np.array([[1.0, -1.0], [-2 / 3, 2 / 3]])
HAND_B1 = np.zeros(2)


@pytest.mark.parametrize("batch", [1, 3])  # identical rows: the batch-mean gradient equals one row's
@pytest.mark.parametrize(("loss", "expected_loss", "s"), [("mse", 0.25, 0.125), ("cross-entropy", np.log(2), 0.5)])
def test_hand_computed_network_forward_backward_and_one_sgd_step(loss, expected_loss, s, batch):
    net = MLP([HAND_W0.copy(), HAND_W1.copy()], [HAND_B0.copy(), HAND_B1.copy()], "relu", loss)
    x = np.tile([[1.0, 2.0]], (batch, 1))
    y = np.tile([[1.0, 0.0]], (batch, 1))

    acts = net.forward(x)
    np.testing.assert_allclose(acts[1], np.tile([1.0, 1.5], (batch, 1)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(acts[2], np.full((batch, 2), 0.5), rtol=0, atol=1e-15)
    assert net.loss(x, y) == pytest.approx(expected_loss, rel=1e-14)

    dW0, db0, dW1, db1 = (g.copy() for g in net.backward(acts, y))
    np.testing.assert_allclose(dW1, s * np.array([[-1.0, 1.0], [-1.5, 1.5]]), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(db1, s * np.array([-1.0, 1.0]), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(dW0, s * np.array([[-2.0, 4 / 3], [-4.0, 8 / 3]]), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(db0, s * np.array([-2.0, 4 / 3]), rtol=1e-14, atol=1e-15)

    SGD(net.parameters()).step(net.parameters(), net.gradients(), lr=1.0)
    np.testing.assert_allclose(net.weights[0], HAND_W0 - dW0, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(net.biases[0], HAND_B0 - db0, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(net.weights[1], HAND_W1 - dW1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(net.biases[1], HAND_B1 - db1, rtol=1e-14, atol=1e-15)
    assert net.loss(x, y) < expected_loss  # the step went downhill


def test_weight_decay_adds_lambda_w_to_weights_but_not_biases():
    net, x, y = make_problem([7, 5, 3], "sigmoid", "cross-entropy", seed=2)
    plain = [g.copy() for g in net.backward(net.forward(x), y, 0.0)]
    decayed = [g.copy() for g in net.backward(net.forward(x), y, 0.25)]
    for l in range(2):
        np.testing.assert_allclose(decayed[2 * l], plain[2 * l] + 0.25 * net.weights[l], rtol=1e-12)
        np.testing.assert_array_equal(decayed[2 * l + 1], plain[2 * l + 1])
    l2 = 0.5 * 0.25 * sum(float(np.sum(w**2)) for w in net.weights)
    assert net.loss(x, y, 0.25) == pytest.approx(net.loss(x, y) + l2, rel=1e-12)


def test_mlp_refuses_layers_that_do_not_fit():
    with pytest.raises(ValueError, match="layer 1 takes 4 inputs but layer 0 gives 5"):
        MLP([np.zeros((3, 5)), np.zeros((4, 2))], [np.zeros(5), np.zeros(2)], "relu", "mse")
    with pytest.raises(ValueError, match="do not fit"):
        MLP([np.zeros((3, 5))], [np.zeros(4)], "relu", "mse")


# ------------------------------------------------------------------ numerical stability


def _strict_fp():
    """Turn every NumPy floating-point warning into an error (underflow to 0 is expected and fine)."""
    return np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_functions_are_finite_and_silent_for_huge_pre_activations(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype)
    y = np.eye(3, dtype=dtype)[[1, 0, 2]]  # the true classes get probability ~0: worst case for -log p
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with _strict_fp():
            s = sigmoid(z, np.empty_like(z))
            p = softmax(z, np.empty_like(z))
            ce = cross_entropy_loss(p, y)
            mse = LOSSES["mse"].loss(s, y)
    np.testing.assert_array_equal(s[0], [1.0, 0.0, 0.5])
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(p[2], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert s.dtype == p.dtype == dtype
    assert np.isfinite(ce) and ce > 10  # large (confidently wrong) but finite
    assert np.isfinite(mse)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_network_with_huge_weights_stays_finite_and_silent(activation, loss):
    net = MLP.create([20, 8, 10], activation, loss, "uniform", np.random.default_rng(0), np.float32)
    for w in net.weights:
        w *= 1e3  # pre-activations of order 1e4
    x = np.random.default_rng(1).uniform(0, 1, (16, 20)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(16) % 10]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with _strict_fp():
            assert np.abs(x @ net.weights[0]).max() > 1e3
            proba = net.predict_proba(x)
            grads = net.backward(net.forward(x), y)
            loss_value = net.loss(x, y)
    assert np.isfinite(proba).all() and np.isfinite(loss_value)
    assert all(np.isfinite(g).all() for g in grads)


# ------------------------------------------------------------------ the two forward paths


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("activation", "loss"), [("sigmoid", "mse"), ("relu", "cross-entropy"), ("tanh", "mse")])
def test_predict_path_equals_training_path(activation, loss, dtype):
    rng = np.random.default_rng(4)
    net = MLP.create([784, 32, 16, 10], activation, loss, "xavier", rng, dtype)
    x = rng.uniform(0, 1, (257, 784)).astype(dtype)
    training_outputs = [a.copy() for a in net.forward(x)[1:]]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(net.predict_proba(x), training_outputs[-1], rtol=tol, atol=tol)
    np.testing.assert_allclose(net.predict_proba(x, chunk=50), training_outputs[-1], rtol=tol, atol=tol)
    for mine, theirs in zip(net.layer_outputs(x, chunk=100), training_outputs):
        np.testing.assert_allclose(mine, theirs, rtol=tol, atol=tol)
    np.testing.assert_array_equal(net.predict(x), net.predict_proba(x).argmax(axis=1))
    labels = net.predict(x)
    labels[:57] = (labels[:57] + 1) % 10  # exactly 200 of 257 right
    assert net.accuracy(x, labels) == pytest.approx(200 / 257)


def test_predict_proba_does_not_disturb_training_buffers():
    rng = np.random.default_rng(0)
    net = MLP.create([10, 6, 3], "tanh", "cross-entropy", "xavier", rng, np.float64)
    x = rng.uniform(size=(8, 10))
    acts = net.forward(x)
    kept = [a.copy() for a in acts]
    net.predict_proba(rng.uniform(size=(8, 10)))  # same batch size: must not reuse the buffers
    for a, b in zip(acts, kept):
        np.testing.assert_array_equal(a, b)


def test_softmax_outputs_are_probabilities():
    net = MLP.create([784, 16, 10], "relu", "cross-entropy", "he", np.random.default_rng(0))
    p = net.predict_proba(np.random.default_rng(1).uniform(size=(50, 784)).astype(np.float32))
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_copy_is_independent():
    net = MLP.create([5, 4, 3], "relu", "mse", "he", np.random.default_rng(0))
    twin = net.copy()
    twin.weights[0][0, 0] += 1.0
    assert twin.weights[0][0, 0] != net.weights[0][0, 0]
    assert twin.activation.name == "relu" and twin.output_loss.name == "mse"
    assert twin.layer_sizes == net.layer_sizes == [5, 4, 3]


# ------------------------------------------------------------------ initialisation


def test_uniform_init_is_the_seed_scheme_weights_and_biases_in_minus_one_one():
    net = MLP.create([784, 256, 10], "sigmoid", "mse", "uniform", np.random.default_rng(0), np.float64)
    biases = np.concatenate(net.biases)  # 266 values: random too, from the same interval
    for w in [*net.weights, biases]:
        assert w.min() >= -1.0 and w.max() <= 1.0
        assert w.min() < -0.95 and w.max() > 0.95  # it spans the whole interval
        assert abs(w.mean()) < 0.1
        assert w.std() == pytest.approx(1 / np.sqrt(3), rel=0.1)  # std of U(-1, 1)
    assert net.weights[0].std() == pytest.approx(1 / np.sqrt(3), rel=0.01)  # 200k samples: tight


def test_xavier_init_is_bounded_by_the_glorot_limit_with_zero_biases():
    net = MLP.create([784, 256, 10], "tanh", "mse", "xavier", np.random.default_rng(0), np.float64)
    for w, b, (fan_in, fan_out) in zip(net.weights, net.biases, [(784, 256), (256, 10)]):
        limit = np.sqrt(6 / (fan_in + fan_out))
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.98 * limit
        assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.05)
        np.testing.assert_array_equal(b, 0.0)


def test_he_init_has_std_sqrt_two_over_fan_in_with_zero_biases():
    net = MLP.create([784, 512, 64], "relu", "cross-entropy", "he", np.random.default_rng(0), np.float64)
    for w, b, fan_in in zip(net.weights, net.biases, [784, 512]):
        std = np.sqrt(2 / fan_in)
        assert w.std() == pytest.approx(std, rel=0.03)
        assert abs(w.mean()) < 0.02 * std
        assert np.abs(w).max() > 3 * std  # normal, not uniform: it has tails
        np.testing.assert_array_equal(b, 0.0)


@pytest.mark.parametrize("init", sorted(INITIALISERS))
def test_init_is_reproducible_from_the_generator(init):
    a = MLP.create([30, 8, 4], "relu", "mse", init, np.random.default_rng(7))
    b = MLP.create([30, 8, 4], "relu", "mse", init, np.random.default_rng(7))
    c = MLP.create([30, 8, 4], "relu", "mse", init, np.random.default_rng(8))
    assert all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not np.array_equal(a.weights[0], c.weights[0])


# ------------------------------------------------------------------ dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_end_to_end(dtype):
    rng = np.random.default_rng(0)
    net = MLP.create([784, 16, 10], "sigmoid", "mse", "uniform", rng, dtype)
    assert net.dtype == dtype and all(p.dtype == dtype for p in net.parameters())
    x = rng.uniform(size=(20, 784))  # float64 input: the network's dtype wins
    y = np.eye(10)[rng.integers(0, 10, 20)]
    acts = net.forward(x)
    assert all(a.dtype == dtype for a in acts[1:])
    grads = net.backward(acts, y, weight_decay=1e-3)
    assert all(g.dtype == dtype for g in grads)
    SGD(net.parameters()).step(net.parameters(), grads, lr=0.1)
    assert all(p.dtype == dtype for p in net.parameters())
    assert net.predict_proba(x).dtype == dtype
    assert all(a.dtype == dtype for a in net.layer_outputs(x))


# ------------------------------------------------------------------ true gradients, no side effects


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_gradients_for_matches_finite_differences_and_backward(activation, loss, weight_decay):
    net, x, y = make_problem([6, 5, 4, 3], activation, loss, seed=11)
    fresh = net.gradients_for(x, y, weight_decay)
    for param, grad in zip(net.parameters(), fresh.parameters()):
        indices = np.arange(param.size)
        numeric = numeric_gradient(net, x, y, weight_decay, param, indices)
        assert relative_error(grad.reshape(-1), numeric) < 1e-6
    buffered = net.backward(net.forward(x), y, weight_decay)
    for a, b in zip(fresh.parameters(), buffered):
        np.testing.assert_array_equal(a, b)  # one backprop behind both paths: the same bits


def test_gradients_for_keeps_every_layer_and_touches_nothing_of_the_network():
    net, x, y = make_problem([7, 5, 4, 3], "tanh", "cross-entropy", seed=4)
    before = [p.copy() for p in net.parameters()]
    grads_before = [g.copy() for g in net.gradients()]
    result = net.gradients_for(x, y)
    assert not net._buffers  # no training buffer was made or used
    for p, q in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, q)
    for g, h in zip(net.gradients(), grads_before):
        np.testing.assert_array_equal(g, h)
    # z and a, written out independently: a[l+1] = f(z[l]), z[l] = a[l] W[l] + b[l]
    a = x
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = a @ w + b
        np.testing.assert_allclose(result.zs[l], z, rtol=1e-12)
        a = np.tanh(z) if l < 2 else np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(result.activations[l + 1], a, rtol=1e-12)
    # deltas: output p - y over the batch; hidden (delta W^T) * (1 - a^2)
    acts = result.activations
    delta = (acts[-1] - y) / len(x)
    for l in (2, 1, 0):
        np.testing.assert_allclose(result.deltas[l], delta, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(result.weights[l], acts[l].T @ delta, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(result.biases[l], delta.sum(axis=0), rtol=1e-12, atol=1e-15)
        delta = (delta @ net.weights[l].T) * (1 - acts[l] ** 2)


def test_shape_text_writes_the_layer_sizes_as_everywhere():
    assert shape_text([784, 16, 10]) == "784-16-10"
    assert shape_text(MLP.create([784, 32, 8, 10]).layer_sizes) == "784-32-8-10"
