"""The app shell: ``app.py`` runs every page inside ``app_shell()``, and every page calls
``ensure_app_shell()`` first, so that no page is ever shown without app.py around it (its
navigation, wide layout and sidebar lines). ``close_sidebar_on_phones`` closes the sidebar
on a narrow screen once the visitor has moved on (another page, a new run)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import streamlit as st

from pages.ui.state import JOB, SHELL_RERUNS, SHELL_SHOWN, SHELL_SIDEBAR_CLOSINGS

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


# Streamlit's own rule for an overlaying sidebar: a window at most its "md" breakpoint (768 px) wide.
NARROW_SCREEN = "(max-width: 767.98px)"
CLOSE_SIDEBAR_HTML = """<div class="close-sidebar-on-phones" data-run="{run}"></div>
<style>.stElementContainer:has(.close-sidebar-on-phones) {{ display: none; }}</style>
<script>
(() => {{
  if (!window.matchMedia("{narrow}").matches) return;
  let tries = 0;
  const close = () => {{
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    if (sidebar && sidebar.getAttribute("data-collapsed") === "true") return;
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button) button.click();
    if (++tries < 20) setTimeout(close, 100);
  }};
  close();
}})();
</script>"""


def close_sidebar_on_phones(page: str) -> None:
    """On a narrow screen the sidebar covers the page: close it once the visitor has moved on,
    that is on the first run of another ``page`` or of a new training run (Train pressed).

    Streamlit closes it after a tap on a page link only for a browser that calls itself a
    phone, never after a button, and it keeps the visitor's last open/closed choice per app
    in the browser's storage, so ``initial_sidebar_state`` does not help. This sends a small
    script (``st.html`` with JavaScript, its element hidden) that presses the sidebar's own
    close button when the window is at most 768 px wide, as the visitor would; a wider
    window keeps its sidebar. Each script is new (it carries a counter), so it runs once."""
    job = st.session_state.get(JOB)
    shown = (page, job.id if job is not None else None)
    if st.session_state.get(SHELL_SHOWN) == shown:
        return
    st.session_state[SHELL_SHOWN] = shown
    run = st.session_state[SHELL_SIDEBAR_CLOSINGS] = st.session_state.get(SHELL_SIDEBAR_CLOSINGS, 0) + 1
    st.html(CLOSE_SIDEBAR_HTML.format(run=run, narrow=NARROW_SCREEN), unsafe_allow_javascript=True)
