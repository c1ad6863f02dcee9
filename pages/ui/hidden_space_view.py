"""The Weights page's hidden-space map: the test set as the first hidden layer sees it, in 2-D
(``mnistcore.analysis.hidden_space``), for the finished network or at a kept training step.

The maps are cached per model fingerprint and the tooltip pictures per dataset, for every
visitor of the server (the fingerprint covers the model's whole content, its dataset too).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.analysis.describe import hidden_map_summary
from mnistcore.analysis.hidden_space import MAP_SIZE, HiddenMap, hidden_map, map_sample, png_data_url, training_maps
from mnistcore.charts.hidden_space import hidden_space_scatter
from pages.ui import state
from pages.ui.resources import dataset
from pages.ui.state import WEIGHTS_MAP_WHEN

# The tooltip's picture is the 28x28 image itself (0.8 MB for all 2,000, not 3 MB enlarged);
# the browser enlarges it, pixels kept square.
TOOLTIP_STYLE = (
    "<style>#vg-tooltip-element img { width: 84px !important; height: 84px !important; "
    "max-width: none !important; max-height: none !important; image-rendering: pixelated; }</style>"
)
FINISHED = "finished"  # the map of the network as it is now (else: the index of a training frame)


@st.cache_data(max_entries=4, show_spinner="Mapping the hidden layer…")
def _maps(fingerprint: str, dataset_name: str, _model) -> tuple[HiddenMap, list[HiddenMap]]:
    """(the finished network's map, the maps at a few kept training steps), once per model."""
    data = dataset(dataset_name)
    now = hidden_map(_model.network, data.test_x, data.test_y)
    frames = training_maps(_model.snapshot_steps, _model.snapshot_weights, _model.network, data.test_x, data.test_y)
    return now, frames


@st.cache_data(max_entries=2, show_spinner=False)
def _pictures(dataset_name: str) -> list[str]:
    """The map's test images as small PNG data URLs for the tooltip (about 0.7 MB), once per dataset."""
    data = dataset(dataset_name)
    return [png_data_url(data.test_x[i]) for i in map_sample(len(data.test_y))]


def hidden_space_section(model, data) -> None:
    """The map, with a choice between the finished network and a few steps during training."""
    st.subheader("Hidden space: the test set as the first layer sees it")
    st.caption(
        f"Each point is one of {MAP_SIZE:,} test images, placed by its first hidden layer's "
        f"{model.network.layer_sizes[1]} activations, flattened to the two directions in which they differ "
        "most (PCA). Images the layer finds alike land close together; colours are the true classes, "
        "crosses the images the network gets wrong. Hover a point to see the image; drag and scroll to zoom."
    )
    if not all(np.isfinite(w).all() for w in model.network.weights[:1] + model.network.biases[:1]):
        st.info("No map: this model's first-layer weights are no longer finite numbers (its training diverged).")
        return
    now, frames = _maps(model.fingerprint, data.name, model)
    options = [FINISHED, *range(len(frames))]
    labels = {FINISHED: "Finished network", **{i: f"step {f.step:,}" for i, f in enumerate(frames)}}
    state.persist(WEIGHTS_MAP_WHEN, FINISHED, fix=lambda v: v if v in options else FINISHED)
    if frames:
        st.segmented_control(
            "Map the layer at",
            options,
            format_func=labels.get,
            key=WEIGHTS_MAP_WHEN,
            help="The steps are those the trainer kept a snapshot of: watch the classes separate.",
        )
    chosen = st.session_state.get(WEIGHTS_MAP_WHEN)
    if chosen is None:  # nothing picked (a segmented control can be cleared); 0 is the first step, not nothing
        chosen = FINISHED
    shown = now if chosen == FINISHED else frames[int(chosen)]
    if chosen != FINISHED:
        st.caption(
            f"At step {shown.step:,}: the snapshot keeps the first layer's weights, not its biases, so this map "
            "is of the weighted inputs before the activation. Crosses mark what the finished network gets wrong."
        )
    title = f"{data.info.title}: {labels[chosen].lower() if chosen != FINISHED else 'the finished network'}"
    chart = hidden_space_scatter(shown, data.class_names, _pictures(data.name), title=title)
    st.altair_chart(chart, width="stretch")
    st.html(TOOLTIP_STYLE)
    st.caption("Hidden-space map: " + hidden_map_summary(shown.xy, shown.labels, shown.wrong, tuple(data.class_names)))
