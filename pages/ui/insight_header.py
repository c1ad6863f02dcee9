"""The start the Mistakes and Weights pages share: the title, the data, the current model and
its cached evaluation on the test set, one line naming the model, and a warning when its
training diverged."""

from __future__ import annotations

import streamlit as st

from mnistcore import Mnist, TrainedModel
from mnistcore.analysis.evaluation import Evaluation
from mnistcore.analysis.wording import model_summary
from mnistcore.engine.trainer import RunStatus
from pages.ui import state
from pages.ui.resources import evaluation, require_dataset
from pages.ui.shell import ensure_app_shell
from pages.ui.wording import model_source, model_title


def evaluated_model_header(title: str) -> tuple[Mnist, TrainedModel, Evaluation]:
    """Title, data, the current model and its evaluation, for a page about that model."""
    ensure_app_shell()
    st.title(title)
    model = state.current_model()
    data = require_dataset(name=model.config.dataset)  # a model is shown on its own dataset only
    ev = evaluation(model)
    st.markdown(model_summary(model, ev.accuracy, model_title(model), model_source(model)))
    if model.status == RunStatus.DIVERGED:
        st.warning("This model's training diverged: its weights hold NaN or infinite values, so what follows is noise.")
    return data, model, ev
