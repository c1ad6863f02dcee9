"""Watch backprop learn: the dashboard's entry point (``streamlit run app.py``).

Sets the page config once, registers the pages (``pages/ui/navigation.py`` lists them) and
runs the chosen one inside ``shell.app_shell()``, which each page checks
(``shell.ensure_app_shell``) so that none is ever shown without this file around it. Before
the page, it takes in a training run that ended while the user was on another page, so every
page sees the newest model.
"""

import streamlit as st

from pages.ui import navigation, run_links, shell, state, wording

st.set_page_config(page_title="Watch backprop learn", page_icon=":material/neurology:", layout="wide")

page = st.navigation(navigation.streamlit_pages())
state.collect_finished_job()
run_links.sync_run_link()  # run=<id> in the URL: a reload or a shared link restores the model
shell.accessibility_fixes()  # caption contrast, focus rings (issue #20)
shell.close_sidebar_on_phones(page.url_path)  # on a phone, after another page or a new run
wording.sidebar_status(show_training=page.url_path != "train")
with shell.app_shell():  # pages check they run inside it (shell.ensure_app_shell)
    run_links.link_notices()
    page.run()
