"""Streamlit glue shared by every page: the dataset, the shipped default model, and the
session's state under a few well-named keys.

Session keys (all non-widget keys, so they survive page switches):

* ``model``: the session's current ``TrainedModel`` (absent: the shipped default is used)
* ``job``: the session's training job, if any (see the Train page)
* ``runs``: finished runs of this session, for the comparison chart

Server-wide, cached once per process and shared by all sessions (read-only):
the MNIST dataset and the shipped default model. Never a user's model.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnistcore import Mnist, TrainedModel, load_mnist

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_PATH = ROOT / "models" / "default.npz"


@st.cache_resource(show_spinner="Loading MNIST…")
def dataset() -> Mnist:
    """The MNIST dataset, loaded once per server process (read-only arrays)."""
    return load_mnist(download_missing=False)


@st.cache_resource(show_spinner=False)
def default_model() -> TrainedModel:
    """The shipped pretrained model, so every page works on a first visit."""
    return TrainedModel.load(DEFAULT_MODEL_PATH)


def current_model() -> TrainedModel:
    """The session's trained (or uploaded) model, else the shipped default."""
    model = st.session_state.get("model")
    return model if model is not None else default_model()


def set_current_model(model: TrainedModel) -> None:
    st.session_state["model"] = model


def is_default(model: TrainedModel) -> bool:
    return model is default_model()
