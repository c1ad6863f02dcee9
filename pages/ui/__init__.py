"""The dashboard's shared Streamlit code: what the page scripts in ``pages/`` are wired from.

A package, not loose files, so that Streamlit's old ``pages/``-folder mode (on in a fresh
server until ``st.navigation`` first runs, see ``shell``) never lists these modules as pages.

* ``navigation``: the one list of pages (path, title, icon, blurb), for app.py and Home.
* ``shell``: ``app_shell``/``ensure_app_shell``, so no page runs without app.py around it.
* ``resources``: what every session shares, cached once per process (dataset, default model,
  job manager, evaluations).
* ``state``: every ``st.session_state`` key, the session's model, job and runs, and
  ``persist``, the one way a widget keeps its value across page switches.
* ``wording``: models and the server in words; ``plain`` for outside text in Markdown.
* ``train_form``, ``train_live``, ``train_runs``: the Train page's parts (settings and link,
  the live run, compare/save/load).
* ``insight_header`` (Mistakes and Weights), ``weight_views`` (Weights), ``canvas`` (Draw),
  ``digit_picker`` and ``backprop_sections`` (Backprop): other pages' parts.

Importing any of them only defines things (no Streamlit call runs at import).
"""
