"""Home page: what the app is, the network as a diagram, the data and the current model."""

from __future__ import annotations

import streamlit as st

from mnistcore.charts.training import network_chart
from mnistcore.engine.data import FILES
from pages import common

PAGES = [
    ("pages/train.py", "Train", ":material/model_training:", "Set hyperparameters and watch the network learn live."),
    ("pages/mistakes.py", "Mistakes", ":material/error:", "The test digits the current model gets wrong, and why."),
    ("pages/weights.py", "Weights", ":material/grid_on:", "What each hidden unit looks for, and how that grew."),
    ("pages/backprop.py", "Backprop", ":material/account_tree:", "One digit forward and backward, every number shown."),
    ("pages/draw.py", "Draw", ":material/draw:", "Draw a digit and see what the network thinks."),
]

common.ensure_app_shell()
st.title("Watch backprop learn")
st.markdown(
    "A small neural network, written from scratch in NumPy, learns to read handwritten digits "
    "from the **MNIST** set: 70,000 scans of digits 0-9, 28×28 pixels each. Train it yourself, "
    "watch its accuracy climb as backpropagation adjusts its weights, see which digits still fool it, "
    "look inside its hidden units, and test it on your own handwriting."
)

for column, (path, title, icon, blurb) in zip(st.columns(len(PAGES)), PAGES):
    with column.container(border=True):
        st.page_link(path, label=title, icon=icon)
        st.caption(blurb)

model = common.current_model()
network_col, facts_col = st.columns([3, 2], gap="large")
with network_col:
    st.subheader("The network")
    config = model.config
    st.altair_chart(network_chart(config.layer_sizes, config.activation, config.loss), width="stretch")
    st.caption(
        "Each digit's 784 pixel values flow left to right: every layer multiplies by its weights, adds its "
        "biases and applies its activation; the output unit with the largest value is the prediction. "
        "Training nudges every weight against the gradient of the loss, computed by backpropagation."
    )

with facts_col:
    st.subheader("Current model")
    accuracy = f"{100 * model.test_accuracy:.2f}%" if model.test_accuracy is not None else "not measured"
    st.metric("Test accuracy", accuracy, help="Share of the 10,000 test digits it classifies correctly.")
    st.markdown(
        f"**{common.model_title(model)}**, {common.model_source(model)}  \n"
        f"Trained: {common.trained_when(model)}  \n"
        f"Training time: {model.train_seconds:.1f} s"
    )
    job = common.session_job()
    if job is not None and job.active:
        st.info(f"A training run is going on ({job.status}, step {job.step:,} of {job.total_steps:,}).")
        st.page_link("pages/train.py", label="Watch it on the Train page", icon=":material/arrow_forward:")

    st.subheader("The data")
    data = common.require_dataset(stop=False)
    if data is not None:
        directory, _ = common.dataset_location()
        st.success(
            f"MNIST found in `{directory}`: {len(data.train_y):,} training, {len(data.val_y):,} validation "
            f"and {len(data.test_y):,} test digits.",
            icon=":material/check_circle:",
        )
    else:
        st.caption("Files needed: " + ", ".join(f"`{name}`" for name in FILES.values()))
