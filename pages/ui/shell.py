"""The app shell: ``app.py`` runs every page inside ``app_shell()``, and every page calls
``ensure_app_shell()`` first, so that no page is ever shown without app.py around it (its
navigation, wide layout and sidebar lines). ``close_sidebar_on_phones`` closes the sidebar
on a narrow screen once the visitor has moved on (another page, a new run); it and
``scroll_to`` run a small script of the app's own in the browser (``run_in_browser``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import streamlit as st

from pages.ui.state import JOB, SHELL_RERUNS, SHELL_SCRIPTS, SHELL_SHOWN

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


SCRIPT_HTML = """<div class="app-shell-script" data-run="{run}"></div>
<style>.stElementContainer:has(.app-shell-script) {{ display: none; }}</style>
<script>{script}</script>"""


def run_in_browser(script: str) -> None:
    """Run ``script`` (JavaScript of this app's own, never text from outside) once in the
    visitor's browser, where this is called: ``st.html`` with JavaScript, its element hidden.
    Each one carries a new counter, so the browser runs it even if the same script ran before."""
    run = st.session_state[SHELL_SCRIPTS] = st.session_state.get(SHELL_SCRIPTS, 0) + 1
    st.html(SCRIPT_HTML.format(run=run, script=script), unsafe_allow_javascript=True)


# Streamlit's own rule for an overlaying sidebar: a window at most its "md" breakpoint (768 px) wide.
NARROW_SCREEN = "(max-width: 767.98px)"
CLOSE_SIDEBAR_SCRIPT = """
(() => {
  if (!window.matchMedia("__NARROW__").matches) return;
  let tries = 0;
  const close = () => {
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    if (sidebar && sidebar.getAttribute("data-collapsed") === "true") return;
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button) button.click();
    if (++tries < 20) setTimeout(close, 100);
  };
  close();
})();
""".replace("__NARROW__", NARROW_SCREEN)


def close_sidebar_on_phones(page: str) -> None:
    """On a narrow screen the sidebar covers the page: close it once the visitor has moved on,
    that is on the first run of another ``page`` or of a new training run (Train pressed).

    Streamlit closes it after a tap on a page link only for a browser that calls itself a
    phone, never after a button, and it keeps the visitor's last open/closed choice per app
    in the browser's storage, so ``initial_sidebar_state`` does not help. This runs a small
    script (``run_in_browser``) that presses the sidebar's own close button when the window
    is at most 768 px wide, as the visitor would; a wider window keeps its sidebar."""
    job = st.session_state.get(JOB)
    shown = (page, job.id if job is not None else None)
    if st.session_state.get(SHELL_SHOWN) == shown:
        # Hold the script's place: without it every element of the page would move up one on
        # this run, and Streamlit would mount them anew (the Draw canvas lost its first strokes).
        st.empty()
        return
    st.session_state[SHELL_SHOWN] = shown
    run_in_browser(CLOSE_SIDEBAR_SCRIPT)


def scroll_to(anchor: str) -> None:
    """Scroll the page so that the element with id ``anchor`` (a heading's ``anchor=``) is near
    the top, once it is drawn: call it just after that element. For two seconds the page may
    still grow or shrink above it (a chart drawn again, pictures arriving): it is put back at
    the top each time, unless the visitor scrolls or types first."""
    run_in_browser(
        """
(() => {
  let tries = 0, done = false;
  const go = () => {
    const target = document.getElementById(__ANCHOR__);
    if (!target) {
      if (++tries < 30) setTimeout(go, 100);
      return;
    }
    target.style.scrollMarginTop = "4rem";  // below the app's header
    const place = () => { if (!done) target.scrollIntoView({block: "start"}); };  // at once, not smooth
    place();
    const stop = () => { done = true; };
    for (const event of ["wheel", "touchstart", "keydown", "mousedown"]) {
      window.addEventListener(event, stop, {once: true, passive: true});
    }
    const page = document.querySelector('[data-testid="stMainBlockContainer"]');
    if (!page) return;
    const watcher = new ResizeObserver(place);
    watcher.observe(page);
    setTimeout(() => { done = true; watcher.disconnect(); }, 2000);
  };
  go();
})();
""".replace("__ANCHOR__", json.dumps(anchor))
    )


# Accessibility (issue #20), on every page. Captions: Streamlit draws them in the text colour
# at 60% opacity, #717683 on the sidebar's #F3F5FA, 4.16:1 where WCAG AA needs 4.5:1; this
# grey is 5.8:1 there (6.3:1 on white) (pages/ui/pictures.py's figure captions use it too). Focus: a visible
# ring on every link and focusable box, not only on Streamlit's own buttons.
CAPTION_COLOUR = "#596072"
ACCESSIBILITY_STYLE = f"""<style>
.stApp [data-testid="stCaptionContainer"] {{ color: {CAPTION_COLOUR}; opacity: 1; }}
.stApp a:focus-visible, .stApp [tabindex="0"]:focus-visible {{
  outline: 2px solid #1F4FB4 !important; outline-offset: 2px;
}}
</style>"""
# Two fixes of Streamlit's markup, kept up to date as the page changes: a formula wider than a
# phone scrolls sideways, and a keyboard reaches it only if it can take focus; a file uploader's
# drop zone is a labelled role="presentation", which hides its label (presentation-role-conflict).
ACCESSIBILITY_SCRIPT = """
(() => {
  if (window.accessibilityFixes) return;
  window.accessibilityFixes = true;
  const fix = () => {
    for (const zone of document.querySelectorAll('[data-testid="stFileUploaderDropzone"][role="presentation"]')) {
      zone.setAttribute("role", "group");
    }
    for (const box of document.querySelectorAll(".katex-display")) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "group");
        box.setAttribute("aria-label", "formula (scrolls sideways)");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    }
  };
  let pending = null;
  new MutationObserver(() => { clearTimeout(pending); pending = setTimeout(fix, 100); })
    .observe(document.body, {childList: true, subtree: true});
  window.addEventListener("resize", fix);
  fix();
})();
"""


def accessibility_fixes() -> None:
    """The app-wide CSS and the one script above; ``app.py`` calls it on every run."""
    st.html(ACCESSIBILITY_STYLE)
    st.html(SCRIPT_HTML.format(run="a11y", script=ACCESSIBILITY_SCRIPT), unsafe_allow_javascript=True)
