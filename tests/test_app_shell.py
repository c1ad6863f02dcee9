"""Every page runs inside app.py's shell, and importing the shared glue never reruns (AppTest).

AppTest starts each run the way a fresh server does: Streamlit's old ``pages/``-folder mode
is on until ``st.navigation`` runs, so a page opened directly runs first without ``app.py``.
Each page must notice (``shell.ensure_app_shell``) and rerun through ``app.py``: its sidebar
then has ``app.py``'s lines. The browser test of the same thing on fresh servers, with many
first visitors at once, is test_browser_fresh_server.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages.ui import navigation
from tests.app_support import fresh_job_manager  # noqa: F401 (an autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
PAGES = [(page.path, page.title) for page in navigation.PAGES]
UI_MODULES = sorted((ROOT / "pages" / "ui").glob("*.py"))


def test_app_py_lists_the_pages():
    assert len(PAGES) >= 5 and ("pages/train.py", "Train") in PAGES
    assert "st.navigation(navigation.streamlit_pages())" in (ROOT / "app.py").read_text()
    assert all((ROOT / path).is_file() for path, _ in PAGES)
    # the old pages-folder mode lists every top-level file of pages/ as a page: only pages are there
    assert {p.name for p in (ROOT / "pages").glob("*.py")} == {Path(path).name for path, _ in PAGES}


@pytest.mark.parametrize("path, title", PAGES)
def test_a_page_opened_directly_runs_inside_app_py(mnist, path, title):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    sidebar = " | ".join(c.value for c in at.sidebar.caption)
    assert "**Server:**" in sidebar and "**Current model:**" in sidebar, f"{path} ran outside app.py: {sidebar!r}"
    assert title in {t.value for t in at.title} or path.endswith("home.py")
    assert "_app_shell_reruns" not in at.session_state  # app.py's run cleared the counter


@pytest.mark.parametrize("path", UI_MODULES, ids=lambda p: p.name)
def test_importing_the_shared_glue_runs_nothing_that_could_rerun(path):
    """Module-level code of pages/ui/*.py only defines things: an ``st.rerun()`` (or any
    call) at import once made the import fail half-way for concurrent sessions."""
    tree = ast.parse(path.read_text())
    calls = [
        ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant)  # the docstring
    ]
    assert calls == []


def test_the_shared_glue_is_found():
    assert len(UI_MODULES) > 8


def closing_scripts(at: AppTest) -> list[str]:
    return [element.proto.body for element in at.get("html") if "stSidebarCollapseButton" in element.proto.body]


def test_the_sidebar_closing_script_is_sent_once_per_move_on(mnist):
    """After another page or a new run (and on the first page), never on a rerun of the same
    one; each script is new, so the browser runs it (the phone test: test_browser_phone.py)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    (first,) = closing_scripts(at)
    assert 'matchMedia("(max-width: 767.98px)")' in first and "stSidebarCollapseButton" in first
    assert closing_scripts(at.run()) == []  # the same page again
    (second,) = closing_scripts(at.switch_page("pages/draw.py").run())
    assert second != first
    assert closing_scripts(at.run()) == []
