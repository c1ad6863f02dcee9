"""Runs that outlast the tab: the run store (``mnistcore.engine.runstore``) behind the
``run=<id>`` link.

The URL carries the session's stored runs: ``run=<id>`` is the current model, ``runs=<id>,...``
the runs this browser made (what "Compare runs" lists). ``app.py`` calls ``sync_run_link``
before every page, so a reload, a reconnect, or the same address on another device opens the
same model and curves on every page, and a page switch (which drops the query) gets them back.

Why the URL and not the browser's local storage: it needs no script in the browser (the
server reads it on the very first run, before any page draws), and it works on another
device, which local storage never does. The ids are unguessable and the runs read-only, so
an address bar copied whole shares nothing anyone can change; the "Share this trained
network" link carries only ``run=<id>``.

A run opened from a link that this browser did not make is someone else's: it is shown
read-only with a line "Shared run, trained with ...", and training starts a new run of the
visitor's own (stored under a new id). Nothing here ever changes or deletes a stored run.
"""

from __future__ import annotations

import streamlit as st

from mnistcore.engine.runstore import (
    RUN_ID_CHARS,
    RunStore,
    RunStoreError,
    default_runs_dir,
    is_run_id,
    limits_from_env,
)
from mnistcore.server.records import RunRecord
from mnistcore.server.share import matching_preset, share_url, short_description
from pages.ui import state
from pages.ui.wording import plain

RUN, RUNS = "run", "runs"
LINK_KEYS = (RUN, RUNS)
MAX_RUNS_TEXT = 4 * state.MAX_RUNS_KEPT * (RUN_ID_CHARS + 1)  # more of a runs= value is never read


@st.cache_resource(show_spinner=False)
def _store(directory: str) -> RunStore:
    return RunStore(directory, limits_from_env())


def run_store() -> RunStore:
    """The run store ``MNIST_RUNS_DIR`` (or the user cache) names: one object per folder."""
    return _store(str(default_runs_dir()))


def own_run_ids() -> list[str]:
    """Ids of the stored runs this browser made, oldest first (the runs "Compare runs" lists)."""
    return [run.run_id for run in state.session_runs() if run.run_id]


def link_params() -> dict[str, str]:
    """The run link that says what the session holds: ``run`` and ``runs``, when there are any."""
    params = {}
    if state.current_run_id():
        params[RUN] = state.current_run_id()
    if own_run_ids():
        params[RUNS] = ",".join(own_run_ids())
    return params


def sync_run_link() -> None:
    """Read the run link when the URL brought a new one (a reload, a shared link); else
    write the session's runs into the URL (a page switch drops the query; a run just ended)."""
    query = st.query_params
    in_url = {key: query[key] for key in LINK_KEYS if key in query}
    new_link = bool(in_url) and in_url != st.session_state.get(state.RUN_LINK)
    if new_link:
        st.session_state[state.RUN_LINK_WARNINGS] = read_link(in_url)
    wanted = link_params()
    if not new_link and wanted != st.session_state.get(state.RUN_LINK):
        st.session_state[state.RUN_LINK_WARNINGS] = []  # the session moved on from that link
    for key in LINK_KEYS:
        if key in wanted and query.get(key) != wanted[key]:
            query[key] = wanted[key]
        elif key not in wanted and key in query:
            del query[key]
    st.session_state[state.RUN_LINK] = wanted


def read_link(params: dict[str, str]) -> list[str]:
    """Open the runs a link names; returns what could not be opened, one sentence each."""
    warnings: list[str] = []
    store = run_store()
    loaded = {}
    mine = [run_id for run_id in params.get(RUNS, "")[:MAX_RUNS_TEXT].split(",") if run_id]
    known = set(own_run_ids())
    records = state.session_runs()
    for run_id in mine[-state.MAX_RUNS_KEPT :]:
        if not is_run_id(run_id):
            warnings.append(f"Ignored {run_id[:30]!r} in the link's runs: not a run id.")
            continue
        if run_id in known:
            continue
        try:
            model = store.load(run_id)
        except RunStoreError as exc:
            warnings.append(f"A run of yours could not be restored: {exc}")
            continue
        if run_id == params.get(RUN):
            loaded[run_id] = model  # the current model: not read twice (the others are dropped at once)
        number = st.session_state.get(state.RUN_COUNTER, 0) + 1
        st.session_state[state.RUN_COUNTER] = number
        records.append(RunRecord.from_model(model, number, run_id=run_id))
        known.add(run_id)
    del records[: -state.MAX_RUNS_KEPT]
    current = params.get(RUN, "")
    if current and current != state.current_run_id():
        try:
            model = loaded[current] if current in loaded else store.load(current)
        except RunStoreError as exc:
            warnings.append(f"The trained network in the link could not be opened: {exc}")
        else:
            shared = current not in known
            source = "a shared run, opened from a link" if shared else "your stored run"
            state.set_current_model(model, source, run_id=current, shared=shared)
            st.session_state[state.SETTINGS] = model.config  # Train starts from its settings
            st.session_state[state.PRESET] = matching_preset(model.config)
    return warnings


def link_notices() -> None:
    """At the top of every page: what a link could not open, and the shared-run line."""
    for warning in st.session_state.get(state.RUN_LINK_WARNINGS, []):
        st.warning(plain(warning), icon=":material/link_off:")
    if state.is_shared_run():
        model = state.current_model()
        st.info(
            f"**Shared run**, trained with {plain(short_description(model.config))}. "
            "You are looking at someone else's network, read-only: training starts a new run of your own.",
            icon=":material/share:",
        )


def share_trained_network(page_url: str) -> None:
    """The Train page's "Share this trained network" link: ``run=<id>`` of the current model."""
    st.markdown("**Share this trained network**")
    run_id = state.current_run_id()
    if not run_id:
        st.caption(
            "When a run of yours ends it is stored on this server, and a link to the trained network "
            "appears here: whoever opens it sees that network on every page, without training."
        )
        return
    st.code(share_url(page_url, {RUN: run_id}), language=None, wrap_lines=True)
    st.caption(
        "Opens this exact network, read-only, on every page, for anyone with the link (it keeps working "
        "while the server keeps the run: see the README)."
    )
