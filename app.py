"""Watch backprop learn: the dashboard's entry point (``streamlit run app.py``).

Sets the page config once, registers the pages and runs the chosen one inside
``common.app_shell()``, which each page checks (``common.ensure_app_shell``) so that none is
ever shown without this file around it. Before the page, it takes in a training run that
ended while the user was on another page, so every page sees the newest model.
"""

import streamlit as st

from pages import common

st.set_page_config(page_title="Watch backprop learn", page_icon=":material/neurology:", layout="wide")

page = st.navigation(
    [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/mistakes.py", title="Mistakes", icon=":material/error:"),
        st.Page("pages/weights.py", title="Weights", icon=":material/grid_on:"),
        st.Page("pages/backprop.py", title="Backprop", icon=":material/account_tree:"),
        st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
    ]
)
common.collect_finished_job()
common.sidebar_status(show_training=page.url_path != "train")
with common.app_shell():  # pages check they run inside it (common.ensure_app_shell)
    page.run()
