"""Home page: what the app is, the network as a diagram, the data and the current model."""

from __future__ import annotations

import streamlit as st

from mnistcore.analysis.describe import network_summary
from mnistcore.charts.training import network_chart
from mnistcore.engine.data import FILES
from pages.ui import navigation, state
from pages.ui.resources import dataset_location, require_dataset
from pages.ui.shell import ensure_app_shell
from pages.ui.wording import accuracy_text, class_names_for, model_source, model_title, trained_when

CARD_KEY = "home_card_"  # each page's card: a container whose whole area is the page's link
CARD_STYLE = f"""<style>
[class*="st-key-{CARD_KEY}"] {{ position: relative; }}
[class*="st-key-{CARD_KEY}"] .stElementContainer {{ position: static; }}
[class*="st-key-{CARD_KEY}"] [data-testid="stPageLink"] a::after {{
  content: ""; position: absolute; inset: 0; z-index: 1;
}}
[class*="st-key-{CARD_KEY}"]:hover {{ border-color: rgba(31, 79, 180, 0.6); background: rgba(31, 79, 180, 0.04); }}
</style>"""

ensure_app_shell()
st.title("Watch backprop learn")
st.markdown(
    "A small neural network, written from scratch in NumPy, learns to read handwritten digits "
    "from the **MNIST** set: 70,000 scans of digits 0-9, 28×28 pixels each. Train it yourself, "
    "watch its accuracy climb as backpropagation adjusts its weights, see which digits still fool it, "
    "look inside its hidden units, and test it on your own handwriting."
)

others = [page for page in navigation.PAGES if page is not navigation.HOME]
for column, page in zip(st.columns(len(others)), others):
    with column.container(border=True, key=f"{CARD_KEY}{page.title.lower()}"):
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.blurb)
st.html(CARD_STYLE)  # the whole card is its link

model = state.current_model()
network_col, facts_col = st.columns([3, 2], gap="large")
with network_col:
    st.header("The network")
    config = model.config
    names = class_names_for(model)
    chart = network_chart(config.layer_sizes, config.activation, config.loss, class_names=names)
    st.altair_chart(chart, width="stretch")
    st.caption(network_summary(config.layer_sizes, config.activation, config.loss, names))
    st.caption(
        f"Each {'digit' if names is None else 'image'}'s 784 pixel values flow left to right: every layer "
        "multiplies by its weights, adds its "
        "biases and applies its activation; the output unit with the largest value is the prediction. "
        "Training nudges every weight against the gradient of the loss, computed by backpropagation."
    )

with facts_col:
    st.header("Current model")
    st.metric(
        "Test accuracy",
        accuracy_text(model),
        help=f"Share of the 10,000 test {'digits' if names is None else 'images'} it classifies correctly.",
    )
    st.markdown(
        f"**{model_title(model)}**, {model_source(model)}  \n"
        f"Trained: {trained_when(model)}  \n"
        f"Training time: {model.train_seconds:.1f} s"
    )
    job = state.session_job()
    if job is not None and job.active:
        st.info(f"A training run is going on ({job.status}, step {job.step:,} of {job.total_steps:,}).")
        st.page_link(navigation.TRAIN.path, label="Watch it on the Train page", icon=":material/arrow_forward:")

    st.header("The data")
    data = require_dataset(stop=False)
    if data is not None:
        directory, _ = dataset_location()
        st.success(
            f"MNIST found in `{directory}`: {len(data.train_y):,} training, {len(data.val_y):,} validation "
            f"and {len(data.test_y):,} test digits.",
            icon=":material/check_circle:",
        )
        fashion_dir, _ = dataset_location("fashion-mnist")  # only looked for: it loads when chosen
        where = f"found in `{fashion_dir}`" if fashion_dir else "downloaded (30 MB) the first time it is chosen"
        st.caption(
            f"The same network can learn **Fashion-MNIST** too: 70,000 photos of clothes in 10 classes, {where}. "
            "Choose it on the Train page."
        )
    else:
        st.caption("Files needed: " + ", ".join(f"`{name}`" for name in FILES.values()))
