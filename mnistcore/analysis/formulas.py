"""The Backprop page's formulas as LaTeX, with the real numbers of one digit in them.

Each takes a ``DigitPass`` (see ``backprop``) and writes one step of backpropagation the way
a textbook does, then the same step with this digit's numbers, named as the engine's code
names them: the loss, an output unit's delta, a hidden unit's delta (the next layer's deltas
pulled back through its weights, times f'(z)), and one weight's gradient.

Deliberate limits: LaTeX for ``st.latex`` (KaTeX), numbers to 4 significant digits; a
hidden delta's sum shows its 3 largest products and "…" for the rest, one per line so the
formula stays narrow enough for a phone.
"""

from __future__ import annotations

import numpy as np

from mnistcore.analysis.backprop import DigitPass, top_units
from mnistcore.engine.network import MLP

SYMBOLS = {"relu": r"\operatorname{relu}", "sigmoid": r"\sigma", "tanh": r"\tanh"}
DERIVATIVES = {  # f'(z) written through a = f(z), as mnistcore.engine.activations computes it
    "relu": r"[a > 0]",
    "sigmoid": r"a(1-a)",
    "tanh": r"1-a^2",
}


def _num(value: float) -> str:
    """A number for LaTeX: 4 significant digits, scientific notation as a power of ten."""
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _signed(value: float) -> str:
    """A number in a sum, with its parentheses when negative."""
    return f"({_num(value)})" if value < 0 else _num(value)


def loss_formula(p: DigitPass) -> str:
    """The loss for this digit as LaTeX, with the real numbers.

    MSE (sigmoid outputs): L = 1/2 Σ_k (a_k - y_k)^2; softmax + cross-entropy: L = -log p_y."""
    if p.loss_name == "cross-entropy":
        return rf"L = -\log p_{{{p.label}}} = -\log {_num(p.output[p.label])} = {_num(p.loss)}"
    terms = " + ".join(f"({_num(a)} - {int(y)})^2" for a, y in zip(p.output, p.target))
    return rf"L = \tfrac12 \sum_k (a_k - y_k)^2 = \tfrac12\left[{terms}\right] = {_num(p.loss)}"


def output_delta_formula(p: DigitPass, k: int) -> str:
    """δ_k of the output layer for class ``k``, its formula with the numbers (LaTeX)."""
    last = p.n_layers - 1
    a, y, delta = p.output[k], p.target[k], p.deltas[last][k]
    name = rf"\delta^{{({last})}}_{{{k}}}"
    if p.loss_name == "cross-entropy":
        return rf"{name} = p_{{{k}}} - y_{{{k}}} = {_num(a)} - {int(y)} = {_num(delta)}"
    return (
        rf"{name} = (a_{{{k}}} - y_{{{k}}})\,a_{{{k}}}(1 - a_{{{k}}}) = "
        rf"({_num(a)} - {int(y)}) \times {_num(a)} \times (1 - {_num(a)}) = {_num(delta)}"
    )


def hidden_delta_formula(p: DigitPass, network: MLP, layer: int, unit: int) -> str:
    """δ of hidden ``unit`` in layer ``layer`` (0 = the first hidden layer): the next layer's
    deltas pulled back through W[layer+1]^T, times f'(z), with the numbers (LaTeX)."""
    weights = np.asarray(network.weights[layer + 1], dtype=np.float64)[unit]  # W[l+1][unit, :]
    upstream = p.deltas[layer + 1]
    pulled = float(upstream @ weights)
    a = p.activations[layer + 1][unit]
    slope = float(network.activation.derivative(np.array([a]), np.empty(1))[0])  # f'(z) through a
    shown = top_units(upstream * weights, 3)
    terms = [rf"{_signed(upstream[k])} \times {_signed(weights[k])}" for k in sorted(shown)]
    more = r" + \dots" if len(upstream) > len(shown) else ""
    f = SYMBOLS[p.activation_name]
    lines = [  # one product per line: the formula stays narrow enough for a phone
        rf"\delta^{{({layer})}}_{{{unit}}} &= "
        rf"\Big(\sum_k \delta^{{({layer + 1})}}_k W^{{({layer + 1})}}_{{{unit},k}}\Big)\, {f}'(z_{{{unit}}})",
        rf"&= \big({terms[0]}",
        *(rf"&\qquad + {term}" for term in terms[1:]),
        rf"&\qquad{more}\big) \times {_num(slope)}" if more else rf"&\big) \times {_num(slope)}",
        rf"&= {_num(pulled)} \times {_num(slope)} = {_num(p.deltas[layer][unit])}",
    ]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def weight_gradient_formula(p: DigitPass, layer: int, row: int, unit: int) -> str:
    """dLoss/dW[layer][row, unit] = a_row · δ_unit, with the numbers (LaTeX)."""
    a, delta = p.activations[layer][row], p.deltas[layer][unit]
    return (
        rf"\frac{{\partial L}}{{\partial W^{{({layer})}}_{{{row},{unit}}}}} = a^{{({layer})}}_{{{row}}}\,"
        rf"\delta^{{({layer})}}_{{{unit}}} = {_num(a)} \times {_signed(delta)}"
        rf" = {_num(p.grad_weights[layer][row, unit])}"
    )
