"""The app shell: ``app.py`` runs every page inside ``app_shell()``, and every page calls
``ensure_app_shell()`` first, so that no page is ever shown without app.py around it (its
navigation, wide layout and sidebar lines)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import streamlit as st

from pages.ui.state import SHELL_RERUNS

APP_SCRIPT = Path(__file__).resolve().parents[2] / "app.py"
_IN_APP_SHELL: ContextVar[bool] = ContextVar("in_app_shell", default=False)


@contextmanager
def app_shell() -> Iterator[None]:
    """``app.py`` runs the chosen page inside this block, so the page knows it is in the shell."""
    token = _IN_APP_SHELL.set(True)
    st.session_state.pop(SHELL_RERUNS, None)
    try:
        yield
    finally:
        _IN_APP_SHELL.reset(token)


def ensure_app_shell() -> None:
    """Make sure this page runs inside ``app.py``'s navigation; every page calls it first.

    Streamlit treats a ``pages/`` folder next to the entry script as an old-style
    multipage app until ``st.navigation`` first runs in the process: a fresh server's first
    visitors who open a page's URL directly (a share link to /train) get that page run on its
    own, without ``app.py`` (no wide layout, the files listed as the navigation). Each run that
    does not come through ``app.py`` switches the old mode off and reruns through ``app.py``.

    It is a call at the top of each page, never code run on import: an ``st.rerun()`` raised
    while the shared page code was being imported made the import fail half-way, and every
    other session importing it at that moment got ``ImportError: cannot import name 'common'
    from 'pages'`` (Python's import hands a waiting thread the failed, half-made module). And
    it asks about this run, not a process-wide flag: sessions that started in the old mode
    just before another session switched it off must rerun too."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if _IN_APP_SHELL.get():
        return
    ctx = get_script_run_ctx()
    if ctx is None or ctx.fragment_ids_this_run:  # no session, or a fragment's rerun (app.py does not run)
        return
    if Path(ctx.pages_manager.main_script_path).resolve() != APP_SCRIPT:
        return  # a page served on its own (``streamlit run pages/train.py``): there is no shell to go to
    reruns = st.session_state.get(SHELL_RERUNS, 0)
    if reruns >= 2:  # not expected: a rerun goes through app.py once the old mode is off
        return
    st.session_state[SHELL_RERUNS] = reruns + 1
    PagesManager.uses_pages_directory = False
    st.rerun()
