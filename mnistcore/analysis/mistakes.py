"""The test digits a model got wrong: which ones, in what order, with what confidence.

``select_mistakes`` filters the misclassified samples by true and predicted digit and orders
them (most confident first by default, because confident mistakes teach the most);
``describe_mistakes`` turns indices into ``Mistake`` records; ``paginate`` cuts any list
into pages for a gallery.

Deliberate limits: UI-free, NumPy only, and it takes arrays (labels, probabilities), not the
network. ``paginate`` numbers pages from 1, as a person reading the page does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnistcore.analysis._checks import check_index, check_positive_int, labels_and_probs

ORDERS = ("most_confident", "least_confident", "index")


@dataclass(frozen=True)
class Mistake:
    """One test sample as the model saw it.

    Attributes
    ----------
    index : position in the test set.
    true : the correct digit.
    predicted : the model's argmax digit.
    confidence : probability the model gave to ``predicted``.
    true_confidence : probability the model gave to ``true``.
    """

    index: int
    true: int
    predicted: int
    confidence: float
    true_confidence: float


def select_mistakes(
    y_true: np.ndarray,
    probs: np.ndarray,
    true_digit: int | None = None,
    predicted_digit: int | None = None,
    order: str = "most_confident",
) -> np.ndarray:
    """Indices of misclassified samples, optionally filtered, in a chosen order.

    Parameters
    ----------
    y_true : (n_samples,) integer labels.
    probs : (n_samples, n_classes) predicted probabilities (softmax output).
    true_digit, predicted_digit : keep only mistakes with this true / predicted
        class; ``None`` keeps all.
    order : ``"most_confident"`` (confidence in the wrong answer, descending;
        the default, because confident mistakes teach the most),
        ``"least_confident"`` (ascending) or ``"index"`` (test-set order).
        Ties are always broken by lower index first.

    Returns
    -------
    (n_mistakes,) int64 indices into the test set.
    """
    y_true, probs = labels_and_probs(y_true, probs)
    n_classes = probs.shape[1]
    true_digit = check_index(true_digit, "true_digit", n_classes, allow_none=True)
    predicted_digit = check_index(predicted_digit, "predicted_digit", n_classes, allow_none=True)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(map(repr, ORDERS))}; got {order!r}")

    predicted = probs.argmax(axis=1)
    keep = predicted != y_true
    if true_digit is not None:
        keep &= y_true == true_digit
    if predicted_digit is not None:
        keep &= predicted == predicted_digit
    indices = np.flatnonzero(keep).astype(np.int64)
    if order == "index":
        return indices
    confidence = probs[indices, predicted[indices]]
    sort_key = -confidence if order == "most_confident" else confidence
    # indices are already ascending, so a stable sort keeps ties in index order.
    return indices[np.argsort(sort_key, kind="stable")]


def describe_mistakes(indices: np.ndarray, y_true: np.ndarray, probs: np.ndarray) -> list[Mistake]:
    """Build a :class:`Mistake` record for each of ``indices`` (kept in the given order).

    Parameters
    ----------
    indices : (k,) integer indices into the test set (e.g. from ``select_mistakes``).
    y_true : (n_samples,) integer labels.
    probs : (n_samples, n_classes) predicted probabilities.
    """
    y_true, probs = labels_and_probs(y_true, probs)
    indices = np.asarray(indices)
    if indices.ndim != 1 or (indices.size and not np.issubdtype(indices.dtype, np.integer)):
        raise ValueError(f"indices must be a 1-D integer array, got shape {indices.shape} dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= y_true.size):
        raise ValueError(f"indices must lie in 0..{y_true.size - 1}, found {indices.min()}..{indices.max()}")
    predicted = probs[indices].argmax(axis=1)
    confidence = probs[indices, predicted]
    true_confidence = probs[indices, y_true[indices]]
    return [
        Mistake(int(i), int(t), int(p), float(c), float(tc))
        for i, t, p, c, tc in zip(indices, y_true[indices], predicted, confidence, true_confidence)
    ]


def paginate(n_items: int, page: int, per_page: int) -> tuple[slice, int]:
    """Slice for one page of a list, with the page number clamped into range.

    Parameters
    ----------
    n_items : total number of items (>= 0).
    page : 1-based page number; values below 1 or above the last page are
        clamped, so a stale page number from a previous filter never errors.
    per_page : items per page (>= 1).

    Returns
    -------
    (slice into the item list, number of pages).  There is always at least
    one page, which is empty when ``n_items == 0``.
    """
    n_items = check_positive_int(n_items, "n_items", minimum=0)
    per_page = check_positive_int(per_page, "per_page")
    n_pages = max(1, math.ceil(n_items / per_page))
    page = min(max(int(page), 1), n_pages)
    start = (page - 1) * per_page
    return slice(start, min(start + per_page, n_items)), n_pages
