"""Train page: pick settings, press Train, watch the network learn live.

The sidebar holds the settings form (``ui.train_form``); the main column the live view of
the session's run (``ui.train_live``), then the comparison of finished runs and the share
link, download and upload (``ui.train_runs``).
"""

from __future__ import annotations

import streamlit as st

from pages.ui import run_links, state, train_form, train_live, train_runs
from pages.ui.resources import require_dataset
from pages.ui.shell import ensure_app_shell
from pages.ui.wording import plain

ensure_app_shell()
st.title("Train")
st.caption("Set the hyperparameters, press Train, and watch backpropagation improve the network step by step.")
train_form.sync_with_link()
require_dataset(name=state.current_settings().dataset)  # the one the settings (or the link) name
for warning in train_form.link_warnings():
    st.warning(plain(warning), icon=":material/link_off:")  # they quote the link's values

with st.sidebar:
    train_form.settings_panel(state.session_job())
train_live.live_view()
st.divider()
train_runs.compare_runs()
st.divider()
st.header("Share, save and load")
train_form.share_link()
run_links.share_trained_network(train_form.page_url())
train_runs.save_and_load()
