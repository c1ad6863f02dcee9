"""The hidden-space map as an Altair scatter: one point per test image, coloured by its true
class, misclassified images drawn as crosses; the tooltip shows the image and both labels.

The ten colours are Paul Tol's "muted" scheme (designed to stay distinct for colour-blind
readers; its pale grey swapped for a dark one, which shows on white), and the class is also
in the tooltip and the legend, so colour is never the only way to tell.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from mnistcore.analysis.hidden_space import HiddenMap

#: Paul Tol's muted scheme (personal.sron.nl/~pault), ten classes.
CLASS_COLOURS = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#555555",
)


def hidden_space_scatter(
    points: HiddenMap,
    class_names: Sequence[str],
    images: Sequence[str] | None = None,
    title: str = "Hidden space",
    height: int = 420,
) -> alt.Chart:
    """The scatter of ``points`` (a ``HiddenMap``).

    Parameters
    ----------
    class_names : the dataset's names of the labels ('0'..'9', or 'T-shirt/top'...).
    images : optional, one ``data:image/png`` URL per point (``analysis.hidden_space.png_data_url``),
        shown in the tooltip.
    """
    n = len(points.indices)
    if images is not None and len(images) != n:
        raise ValueError(f"images must hold one picture per point ({n}), got {len(images)}")
    names = [str(name) for name in class_names]
    table = pd.DataFrame(
        {
            "x": points.xy[:, 0],
            "y": points.xy[:, 1],
            "index": points.indices,
            "true": [names[int(label)] for label in points.labels],
            "predicted": [names[int(label)] for label in points.predicted],
            "answer": ["wrong" if wrong else "right" for wrong in points.wrong],
        }
    )
    tooltip = [
        alt.Tooltip("true:N", title="True"),
        alt.Tooltip("predicted:N", title="Predicted"),
        alt.Tooltip("index:Q", title="Test image #"),
    ]
    if images is not None:
        table["image"] = list(images)
        tooltip.insert(0, alt.Tooltip("image:N", title="image"))  # vega-tooltip draws a field named image
    share = points.explained
    return (
        alt.Chart(table)
        .mark_point(filled=True, size=30, opacity=0.75)
        .encode(
            x=alt.X("x:Q", title=f"Principal axis 1 ({share[0]:.0%} of the variance)", axis=alt.Axis(labels=False)),
            y=alt.Y("y:Q", title=f"Principal axis 2 ({share[1]:.0%})", axis=alt.Axis(labels=False)),
            color=alt.Color(
                "true:N",
                title="True class",
                scale=alt.Scale(domain=names, range=list(CLASS_COLOURS)),
                # Below the map, not beside it: on a phone a side legend takes half the width.
                legend=alt.Legend(orient="bottom", symbolType="circle", columns=5 if max(map(len, names)) <= 2 else 3),
            ),
            shape=alt.Shape(
                "answer:N",
                title="The network's answer",
                scale=alt.Scale(domain=["right", "wrong"], range=["circle", "cross"]),
                legend=alt.Legend(orient="bottom"),
            ),
            size=alt.condition(alt.datum.answer == "wrong", alt.value(70), alt.value(25)),
            tooltip=tooltip,
        )
        .properties(height=height, title=title)
        .interactive()
    )
