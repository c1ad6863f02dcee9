"""Altair charts for "Teach it" on the Draw page: before and after, side by side per digit.

* ``probability_change``: the network's probability of each digit for the drawing, before
  and after teaching;
* ``class_accuracy_change``: the test-set accuracy of each digit before and after, so what
  the other digits paid for the lesson shows at a glance.

Pure builders (data in, ``alt.Chart`` out); the page shows them.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from mnistcore.charts._common import check_vector

__all__ = ["class_accuracy_change", "probability_change"]

_BEFORE, _AFTER = "#b8c0cc", "#e4572e"  # grey: how it was; the highlight colour: how it is now


def _before_after(before, after, value_title: str, title: str, height: int) -> alt.Chart:
    before = check_vector(before, "before", 10)
    after = check_vector(after, "after", check_vector(before, "before").shape[0])
    digits = [str(d) for d in range(10)]
    table = pd.DataFrame(
        {
            "digit": digits * 2,
            "when": ["before"] * 10 + ["after"] * 10,
            "value": np.concatenate([before, after]),
        }
    )
    return (
        alt.Chart(table, title=title, height=height)
        .mark_bar()
        .encode(
            x=alt.X("digit:N", sort=digits, title="digit", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("when:N", sort=["before", "after"]),
            y=alt.Y("value:Q", title=value_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color(
                "when:N",
                sort=["before", "after"],
                scale=alt.Scale(domain=["before", "after"], range=[_BEFORE, _AFTER]),
                legend=alt.Legend(title=None, orient="right"),  # "top" or "bottom" squash the plot in Streamlit
            ),
            tooltip=[
                alt.Tooltip("digit:N"),
                alt.Tooltip("when:N"),
                alt.Tooltip("value:Q", title=value_title, format=".1%"),
            ],
        )
    )


def probability_change(before, after, height: int = 200) -> alt.Chart:
    """The drawing's ten probabilities (10,) before and after teaching it."""
    return _before_after(before, after, "probability", "Your drawing: probabilities", height)


def class_accuracy_change(before, after, height: int = 200) -> alt.Chart:
    """Test accuracy of each digit (10,) before and after teaching; NaN-free arrays expected."""
    return _before_after(before, after, "test accuracy", "Test accuracy per digit", height)
