"""Argument checks shared by the analysis modules: each returns the value in the form the
caller computes with (an int, an int64 label array, float64 probabilities) or raises
ValueError naming the argument and what it must be. Private: no page needs them."""

from __future__ import annotations

import numpy as np


def check_index(value, name: str, n: int, *, allow_none: bool = False) -> int | None:
    """Return ``value`` as an int in ``0..n-1`` or raise ValueError naming ``name``."""
    if value is None and allow_none:
        return None
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not is_int or not 0 <= value < n:
        allowed = f"None or an integer in 0..{n - 1}" if allow_none else f"an integer in 0..{n - 1}"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def as_labels(labels, name: str, n_classes: int) -> np.ndarray:
    """Validate a 1-D integer label array with values in ``0..n_classes-1``; return int64."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class labels, got dtype {labels.dtype}")
    # Widen before any arithmetic: MNIST labels arrive as uint8, which overflows.
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{name} must lie in 0..{n_classes - 1}, found values {labels.min()}..{labels.max()}")
    return labels


def labels_and_probs(y_true, probs) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``y_true`` (n,) against ``probs`` (n, n_classes)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] < 1:
        raise ValueError(f"probs must be 2-D (n_samples, n_classes), got shape {probs.shape}")
    y_true = as_labels(y_true, "y_true", probs.shape[1])
    if y_true.shape[0] != probs.shape[0]:
        raise ValueError(f"y_true has {y_true.shape[0]} labels but probs has {probs.shape[0]} rows")
    return y_true, probs


def check_square_matrix(cm) -> np.ndarray:
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"confusion matrix must be square (n_classes, n_classes), got shape {cm.shape}")
    return cm


def required_index(value, name: str, n: int) -> int:
    """Like ``check_index``, for arguments that may not be None."""
    index = check_index(value, name, n)
    if index is None:  # unreachable without allow_none; keeps the type an int
        raise ValueError(f"{name} must be an integer in 0..{n - 1}, got None")
    return index


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
