"""A multilayer perceptron trained by backpropagation, in NumPy only.

Conventions (as in scikit-learn): a batch is a matrix of *rows*, shape (batch, features);
layer ``l`` maps ``a[l]`` of shape (batch, n_l) to ``a[l+1] = f(a[l] @ W[l] + b[l])`` with
``W[l]`` of shape (n_l, n_{l+1}) and ``b[l]`` of shape (n_{l+1},). ``a[0]`` is the input.

Three forward paths, on purpose, and one backprop (``backprop``) behind both gradients:

* ``forward`` + ``backward`` keep every layer's activations and gradients in buffers
  reused from step to step (the training path: no allocation per step);
* ``gradients_for`` runs ``forward_trace`` and ``backprop`` on fresh arrays and returns
  everything (z, a, delta, dW, db): true gradients with no side effect, for a learner to
  look at or a test to check;
* ``predict_proba`` allocates freely and keeps nothing: it is the path for evaluation and
  for the dashboard, and it is safe to call from another thread while training runs.

All weights and biases are views of one flat buffer, and their gradients of another
(``packed``): an optimizer then updates the whole network in a few array operations
instead of a few per array, which matters for small networks, whose steps are short.

One module of over 300 lines on purpose: the three forward paths, the buffers and the one
backprop share their conventions, and reading them side by side is how to see that they
agree (the tests check it too).

Deliberate limits: fully connected layers only; one network is trained by one thread at
a time (the reusable buffers are not shared-safe); no dropout or batch norm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mnistcore.engine.activations import ACTIVATIONS
from mnistcore.engine.losses import LOSSES
from mnistcore.engine.numerics import flush_tiny

Array = np.ndarray


def shape_text(layer_sizes: Sequence[int]) -> str:
    """A network's shape as the project writes it everywhere: ``784-16-10``."""
    return "-".join(str(n) for n in layer_sizes)


def init_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """The seed notebook's scheme: weights *and* biases uniform in [-1, 1]."""
    return rng.uniform(-1.0, 1.0, (fan_in, fan_out)), rng.uniform(-1.0, 1.0, fan_out)


def init_xavier(fan_in: int, fan_out: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """Glorot & Bengio (2010): uniform in ±sqrt(6 / (fan_in + fan_out)), zero biases.

    Keeps the variance of activations roughly constant from layer to layer for
    sigmoid and tanh units, so neither the signal nor the gradient dies out.
    """
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)), np.zeros(fan_out)


def init_he(fan_in: int, fan_out: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """He et al. (2015): normal with std sqrt(2 / fan_in), zero biases; made for ReLU,
    which zeroes half its inputs and so needs twice the variance."""
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in), np.zeros(fan_out)


INITIALISERS: dict[str, Callable[[int, int, np.random.Generator], tuple[Array, Array]]] = {
    "uniform": init_uniform,
    "xavier": init_xavier,
    "he": init_he,
}


def _packed(arrays: Sequence[Array], dtype: np.dtype) -> tuple[Array, list[Array]]:
    """Copies of ``arrays`` laid end to end in one new flat buffer: (buffer, [views])."""
    flat = np.empty(sum(a.size for a in arrays), dtype)
    views, start = [], 0
    for a in arrays:
        view = flat[start : start + a.size].reshape(a.shape)
        view[...] = a
        views.append(view)
        start += a.size
    return flat, views


@dataclass(frozen=True)
class Gradients:
    """One forward and backward pass, kept whole (what the Backprop page shows).

    For a batch of B rows and layers l = 0 .. L-1 (L weight matrices):
    zs[l], deltas[l] : (B, n_{l+1}), the pre-activations and dLoss/dz of layer l's outputs;
    activations : [x, a1, ..., aL], with a[l+1] = f(zs[l]);
    weights[l] : dLoss/dW[l], (n_l, n_{l+1}); biases[l] : dLoss/db[l], (n_{l+1},).
    """

    zs: list[Array]
    activations: list[Array]
    deltas: list[Array]
    weights: list[Array]
    biases: list[Array]

    def parameters(self) -> list[Array]:
        """[dW0, db0, dW1, db1, ...], in the order of ``MLP.parameters``."""
        return [g for gg in zip(self.weights, self.biases) for g in gg]


def backprop(
    net: MLP,
    activations: Sequence[Array],
    y: Array,
    weight_decay: float,
    grad_weights: Sequence[Array],
    grad_biases: Sequence[Array],
    deltas: Sequence[Array],
    derivs: Sequence[Array],
) -> None:
    """The chain rule, layer by layer from the output back to the input.

    Writes dLoss/dW[l] into ``grad_weights[l]``, dLoss/db[l] into ``grad_biases[l]`` and
    dLoss/dz of layer l into ``deltas[l]`` (B, n_{l+1}); ``derivs`` is scratch of the same
    shapes. The loss is the batch mean (plus λ/2·ΣW² when ``weight_decay`` = λ > 0).
    Every array is written, none allocated: training passes buffers it reuses every step,
    ``MLP.gradients_for`` passes fresh ones.
    """
    # The derivative of the cost with respect to the output pre-activations, delta,
    # comes from the output/loss pair (for MSE: (a - y) * sigmoid'(z); for softmax and
    # cross-entropy: p - y), divided by the batch size because the loss is a mean.
    delta = net.output_loss.delta(activations[-1], y, deltas[-1])
    for l in range(len(net.weights) - 1, -1, -1):
        # Continue with the chain rule to find the weight gradient of this layer: multiply
        # the previous layer's activations with delta, since d(aW+b)/dW = a.
        # (n_l, B) @ (B, n_{l+1}) -> (n_l, n_{l+1}): summed over the batch.
        np.matmul(activations[l].T, delta, out=grad_weights[l])
        # The bias gradient is delta, since the next derivative via the chain rule is
        # d(aW+b)/db = 1 (summed over the batch: delta already carries the 1/batch).
        np.add.reduce(delta, axis=0, out=grad_biases[l])
        if weight_decay:
            grad_weights[l] += weight_decay * net.weights[l]  # d(λ/2·ΣW²)/dW = λW
        if l == 0:
            break  # the input needs no gradient
        # Backpropagate: the cost's gradient with respect to the previous layer's
        # activations is delta W^T, since d(aW+b)/da = W: (B, n_{l+1}) @ (n_{l+1}, n_l) ...
        grad_a = np.matmul(delta, net.weights[l].T, out=deltas[l - 1])
        # ... and multiplying by the activation's derivative f'(z), written through its
        # output a = f(z), gives that layer's delta.
        grad_a *= net.activation.derivative(activations[l], derivs[l - 1])
        # Each layer multiplies delta by f'(z) <= 1 (a sigmoid's is at most 1/4): through a few
        # saturated layers it can shrink below float32's normal range, where products take the
        # CPU's slow path. Magnitudes under 1e-30 are set to 0, far below any visible update.
        delta = flush_tiny(grad_a)


class MLP:
    """A feedforward network: hidden layers share one activation, the output layer and
    its loss come as a pair (see ``mnistcore.engine.losses``).

    Parameters
    ----------
    weights, biases : lists of arrays, ``weights[l]`` (n_l, n_{l+1}), ``biases[l]`` (n_{l+1},)
    activation : name in ``ACTIVATIONS`` for the hidden layers
    loss : name in ``LOSSES`` (output activation + loss)
    """

    def __init__(self, weights: Sequence[Array], biases: Sequence[Array], activation: str, loss: str):
        if len(weights) != len(biases) or not weights:
            raise ValueError("an MLP needs one bias vector per weight matrix, and at least one layer")
        for l, (w, b) in enumerate(zip(weights, biases)):
            if w.ndim != 2 or b.shape != (w.shape[1],):
                raise ValueError(f"layer {l}: weights {w.shape} and biases {b.shape} do not fit")
            if l and w.shape[0] != weights[l - 1].shape[1]:
                given = weights[l - 1].shape[1]
                raise ValueError(f"layer {l} takes {w.shape[0]} inputs but layer {l - 1} gives {given}")
        dtype = np.result_type(*weights, *biases)
        self._flat, views = _packed([p for wb in zip(weights, biases) for p in wb], dtype)
        self.weights, self.biases = views[0::2], views[1::2]
        self._flat_grads, grad_views = _packed([np.zeros_like(v) for v in views], dtype)
        self.grad_weights, self.grad_biases = grad_views[0::2], grad_views[1::2]
        self.activation = ACTIVATIONS[activation]
        self.output_loss = LOSSES[loss]
        self._buffers: dict[int, tuple[list[Array], list[Array], list[Array]]] = {}

    @classmethod
    def create(
        cls,
        layer_sizes: Sequence[int],
        activation: str = "sigmoid",
        loss: str = "mse",
        init: str = "uniform",
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> MLP:
        """A freshly initialised network, e.g. ``MLP.create([784, 16, 10])``."""
        rng = rng if rng is not None else np.random.default_rng(0)
        weights: list[Array] = []
        biases: list[Array] = []
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            w, b = INITIALISERS[init](fan_in, fan_out, rng)
            weights.append(w.astype(dtype))
            biases.append(b.astype(dtype))
        return cls(weights, biases, activation, loss)

    @property
    def layer_sizes(self) -> list[int]:
        return [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]

    @property
    def dtype(self) -> np.dtype:
        return self.weights[0].dtype

    def parameters(self) -> list[Array]:
        """[W0, b0, W1, b1, ...]: the arrays an optimizer updates in place."""
        return [p for wb in zip(self.weights, self.biases) for p in wb]

    def gradients(self) -> list[Array]:
        """[dW0, db0, dW1, db1, ...], filled by ``backward``, in the order of ``parameters``."""
        return [g for gg in zip(self.grad_weights, self.grad_biases) for g in gg]

    def update_arrays(self) -> tuple[list[Array], list[Array]]:
        """(parameters, gradients) for an optimizer: the two flat buffers when every array is
        still a view of them (one update for the whole network), else the per-layer lists."""
        packed = self.packed()
        return ([packed[0]], [packed[1]]) if packed else (self.parameters(), self.gradients())

    def packed(self) -> tuple[Array, Array] | None:
        """(parameters, gradients) as two flat arrays, the buffers behind ``parameters()`` and
        ``gradients()``: an element-wise optimizer may update them instead, with the same
        result. None if a weight or gradient array was replaced by another array."""
        arrays = zip((self._flat, self._flat_grads), (self.parameters(), self.gradients()))
        if all(view.base is flat for flat, views in arrays for view in views):
            return self._flat, self._flat_grads
        return None

    # ------------------------------------------------------------------ training path
    def _buffers_for(self, batch: int) -> tuple[list[Array], list[Array], list[Array]]:
        """Activation, delta and derivative buffers for this batch size, made once."""
        if batch not in self._buffers:
            sizes = self.layer_sizes[1:]
            make = lambda: [np.empty((batch, n), self.dtype) for n in sizes]  # noqa: E731
            self._buffers[batch] = (make(), make(), make())
        return self._buffers[batch]

    def release_buffers(self) -> None:
        """Free the training path's per-batch-size buffers (made again by the next ``forward``):
        3 x batch x every layer's width, which a finished run no longer needs."""
        self._buffers.clear()

    def forward(self, x: Array) -> list[Array]:
        """Forward propagation, keeping every layer's output for backprop (the training path).

        x : (batch, n_0). Returns [x, a1, ..., aL]; the arrays after x are reused buffers,
        valid until the next call with the same batch size.
        """
        acts, _, _ = self._buffers_for(x.shape[0])
        a = x
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = np.matmul(a, w, out=acts[l])  # pre-activation z = a W + b, (batch, n_{l+1}) ...
            z += b
            a = self._layer_function(l)(z, z)  # ... and the activation overwrites it in place: backprop needs only a
        return [x, *acts]

    def last_outputs(self, batch: int) -> list[Array]:
        """[a1, ..., aL] from the latest ``forward`` of a batch of this size: the training
        path's reused buffers, valid until the next one (what ``engine.health`` measures)."""
        return self._buffers_for(batch)[0]

    def backward(self, activations: list[Array], y: Array, weight_decay: float = 0.0) -> list[Array]:
        """Backpropagation into the network's own gradient buffers (the training path).

        activations : the list returned by ``forward``; y : one-hot targets (batch, n_L).
        weight_decay : L2 coefficient λ; adds λ/2·ΣW² to the loss (biases are not decayed).
        Returns ``gradients()``: [dW0, db0, ...], overwritten by the next call. For gradients
        that stay yours, with no shared buffer touched, call ``gradients_for`` instead.
        """
        _, deltas, derivs = self._buffers_for(y.shape[0])
        backprop(self, activations, y, weight_decay, self.grad_weights, self.grad_biases, deltas, derivs)
        return self.gradients()

    def gradients_for(self, x: Array, y: Array, weight_decay: float = 0.0) -> Gradients:
        """The batch-mean loss's true gradients for inputs x (batch, n_0) and one-hot targets y,
        in fresh arrays, with every layer's pre-activations, activations and deltas.

        Side-effect free: no buffer of the network is used, so it is safe on a model that
        other threads read (the dashboard's shared default) and its result never changes
        under you. The arithmetic is ``backprop``'s, the same function training calls.
        """
        zs, activations = self.forward_trace(x)
        sizes = self.layer_sizes[1:]
        deltas = [np.empty((x.shape[0], n), self.dtype) for n in sizes]
        derivs = [np.empty((x.shape[0], n), self.dtype) for n in sizes]
        grad_weights = [np.empty_like(w) for w in self.weights]
        grad_biases = [np.empty_like(b) for b in self.biases]
        backprop(self, activations, y, weight_decay, grad_weights, grad_biases, deltas, derivs)
        return Gradients(zs, activations, deltas, grad_weights, grad_biases)

    def forward_trace(self, x: Array) -> tuple[list[Array], list[Array]]:
        """The forward pass keeping everything, in fresh arrays: (zs, activations).

        zs[l] = a[l] W[l] + b[l], shape (batch, n_{l+1}); activations = [x, a1, ..., aL]."""
        a = np.asarray(x, dtype=self.dtype)
        zs, activations = [], [a]
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w + b
            a = self._layer_function(l)(z, np.empty_like(z))
            zs.append(z)
            activations.append(a)
        return zs, activations

    def _layer_function(self, l: int) -> Callable[[Array, Array], Array]:
        """Layer l's non-linearity: the hidden activation, or the output layer's for the last."""
        return self.output_loss.output if l == len(self.weights) - 1 else self.activation.forward

    def loss(self, x: Array, y: Array, weight_decay: float = 0.0) -> float:
        """The batch-mean loss (plus the L2 term) for inputs x and one-hot targets y."""
        data_loss = self.output_loss.loss(self.predict_proba(x), y)
        l2 = 0.5 * weight_decay * sum(float(np.vdot(w, w)) for w in self.weights)
        return data_loss + l2

    # ---------------------------------------------------------------- inference path
    def layer_outputs(self, x: Array, chunk: int = 5000) -> list[Array]:
        """Every layer's output for x (n, n_0), computed in chunks; [a1, ..., aL], fresh arrays."""
        parts = [self._chunk_outputs(x[start : start + chunk]) for start in range(0, x.shape[0], chunk)]
        return [
            np.concatenate([p[l] for p in parts]) if parts else np.empty((0, n), self.dtype)
            for l, n in enumerate(self.layer_sizes[1:])
        ]

    def predict_proba(self, x: Array, chunk: int = 5000) -> Array:
        """Output activations (n, n_L): class probabilities for softmax, per-class scores for sigmoid."""
        parts = [self._chunk_outputs(x[start : start + chunk])[-1] for start in range(0, x.shape[0], chunk)]
        return np.concatenate(parts) if parts else np.empty((0, self.layer_sizes[-1]), self.dtype)

    def _chunk_outputs(self, x: Array) -> list[Array]:
        """[a1, ..., aL] for one chunk of rows; each layer's activation overwrites its own z."""
        a = np.asarray(x, dtype=self.dtype)
        outputs = []
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w
            z += b
            a = self._layer_function(l)(z, z)
            outputs.append(a)
        return outputs

    def predict(self, x: Array) -> Array:
        """Predicted class per row (n,)."""
        return self.predict_proba(x).argmax(axis=1)

    def accuracy(self, x: Array, labels: Array) -> float:
        """Share of rows whose predicted class equals the integer label."""
        return float(np.mean(self.predict(x) == labels)) if len(labels) else float("nan")

    def copy(self) -> MLP:
        """An independent copy (for snapshots shown while training goes on)."""
        return MLP(
            [w.copy() for w in self.weights],
            [b.copy() for b in self.biases],
            self.activation.name,
            self.output_loss.name,
        )
