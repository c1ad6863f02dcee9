"""The dashboard's pages, listed once: ``app.py`` builds its navigation from this list and
the Home page its links (every page but Home itself)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageEntry:
    """One page: its script (relative to app.py), its title and icon, and a line about it."""

    path: str
    title: str
    icon: str
    blurb: str


HOME = PageEntry("pages/home.py", "Home", ":material/home:", "What the app is, the network, the current model.")
TRAIN = PageEntry(
    "pages/train.py", "Train", ":material/model_training:", "Set hyperparameters and watch the network learn live."
)
MISTAKES = PageEntry(
    "pages/mistakes.py", "Mistakes", ":material/error:", "The test digits the current model gets wrong, and why."
)
WEIGHTS = PageEntry(
    "pages/weights.py", "Weights", ":material/grid_on:", "What each hidden unit looks for, and how that grew."
)
BACKPROP = PageEntry(
    "pages/backprop.py", "Backprop", ":material/account_tree:", "One digit forward and backward, every number shown."
)
DRAW = PageEntry("pages/draw.py", "Draw", ":material/draw:", "Draw a digit and see what the network thinks.")
PAGES = (HOME, TRAIN, MISTAKES, WEIGHTS, BACKPROP, DRAW)


def streamlit_pages() -> list[st.Page]:
    """The pages as ``st.Page`` objects for ``st.navigation``; Home is the default."""
    return [st.Page(p.path, title=p.title, icon=p.icon, default=p is HOME) for p in PAGES]
