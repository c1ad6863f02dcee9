"""The confusion matrix of a classifier's answers, and what the Mistakes page reads off it.

``confusion_matrix`` counts (true, predicted) pairs; ``per_class_accuracy`` is each true
class's share of right answers; ``confusion_table`` flattens the counts into records for a
heat-map chart. Vectorised: 10,000 test digits are one ``bincount``.

Deliberate limits: UI-free, NumPy only; tables are lists of plain dicts, not DataFrames.
Rows are always the true class, columns the predicted one.
"""

from __future__ import annotations

import numpy as np

from mnistcore.analysis._checks import as_labels, check_positive_int, check_square_matrix


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : (n_samples,) integer arrays with values in ``0..n_classes-1``.
    n_classes : number of classes (10 for MNIST).

    Returns
    -------
    (n_classes, n_classes) int64 array; ``cm[t, p]`` is the number of samples
    whose true class is ``t`` and predicted class is ``p`` (rows = true).
    """
    n_classes = check_positive_int(n_classes, "n_classes")
    y_true = as_labels(y_true, "y_true", n_classes)
    y_pred = as_labels(y_pred, "y_pred", n_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    # Each (true, predicted) pair becomes one flat cell index; bincount counts them all at once.
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes).astype(np.int64, copy=False)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Fraction of each true class that was predicted correctly (recall).

    Parameters
    ----------
    cm : (n_classes, n_classes) confusion matrix, rows = true class.

    Returns
    -------
    (n_classes,) float64; ``nan`` for classes with no samples.
    """
    cm = check_square_matrix(cm).astype(np.float64)
    row_totals = cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = np.diagonal(cm) / row_totals
    accuracy[row_totals == 0] = np.nan
    return accuracy


def confusion_table(cm: np.ndarray) -> list[dict]:
    """Flatten a confusion matrix into tidy records for a heat-map chart.

    Parameters
    ----------
    cm : (n_classes, n_classes) confusion matrix, rows = true class.

    Returns
    -------
    list of ``n_classes**2`` dicts with keys ``true``, ``predicted`` (int),
    ``count`` (int) and ``row_share`` (float, count / total of that true
    class; 0.0 for a class with no samples so the value stays JSON-friendly).
    Records are ordered by true class, then predicted class.
    """
    cm = check_square_matrix(cm)
    row_totals = cm.sum(axis=1, keepdims=True).astype(np.float64)
    shares = np.divide(cm, row_totals, out=np.zeros(cm.shape), where=row_totals > 0)
    true_idx, pred_idx = np.indices(cm.shape)
    return [
        {"true": int(t), "predicted": int(p), "count": int(c), "row_share": float(s)}
        for t, p, c, s in zip(true_idx.ravel(), pred_idx.ravel(), cm.ravel(), shares.ravel())
    ]
