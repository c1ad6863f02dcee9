"""What several chart modules share: the diverging colour scale for weights and gradients, the
class-label axis, and the check that an argument is a vector. Private: pages use the chart builders."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np


def diverging_scale(limit: float) -> alt.Scale:
    """Vega's ``redblue``, reversed (blue negative, white zero, red positive), pinned to
    ``[-limit, limit]``: the colours of ``analysis.images.to_diverging_rgb``."""
    return alt.Scale(scheme="redblue", reverse=True, domain=[-limit, limit], domainMid=0, clamp=True)


def class_label_expr(class_names: Sequence[str] | None) -> Any:
    """A Vega expression that shows a class label (0..9) on an axis as its name
    ('Sneaker'), or Undefined (the number itself) when ``class_names`` is None. The data
    keep the numbers, so selections and filters still report labels."""
    if class_names is None:
        return alt.Undefined
    return json.dumps([str(name) for name in class_names]) + "[datum.value]"


def class_axis(class_names: Sequence[str] | None) -> alt.Axis:
    """The axis of a bar per class: digits upright, class names turned on end (every one
    shown: ten names do not fit side by side on a phone)."""
    return alt.Axis(
        labelAngle=0 if class_names is None else -90,
        labelExpr=class_label_expr(class_names),
        labelOverlap=False,
    )


def check_vector(values, name: str, length: int | None = None) -> np.ndarray:
    """``values`` as a float64 vector, or ValueError naming ``name`` and the shape expected."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or (length is not None and values.shape[0] != length):
        expected = f"({length},)" if length is not None else "(n,)"
        raise ValueError(f"{name} must have shape {expected}, got {values.shape}")
    return values
