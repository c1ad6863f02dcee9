"""The Draw page's canvas: a black 280 px square to draw a digit on with the mouse or a
finger, a Clear button and the pen's width (which keeps its value across page switches).

The canvas is ``streamlit-drawable-canvas``; ``CANVAS_TOOLBAR_FIX`` works around where it
puts its toolbar (see there). Clearing mounts a new canvas: its key has a version number.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from pages.ui import state

CANVAS_SIDE = 280  # fits a phone; a digit drawn ~200 px tall shrinks 10x into MNIST's 20 px box
DEFAULT_STROKE = 18  # px at 280 px: ~2 px after scaling, like MNIST's pen
# streamlit-drawable-canvas 0.13 parks its toolbar, transparent but live, over the canvas's
# top-right corner, and slides it up only once the pointer hovers the canvas. A finger has no
# hover, so on a phone a stroke started there presses an invisible button (even "Reset")
# instead of drawing; a quick mouse press there does the same. This stylesheet, put into the
# component's shadow root, keeps the toolbar above the canvas, lets pointers through it while
# it is hidden, and shows it for good on touch screens. Remove it once fixed upstream.
CANVAS_TOOLBAR_FIX = """<script>
(() => {
  if (window.canvasToolbarFix) return;
  window.canvasToolbarFix = true;
  const css = `
    .dc-toolbar, .dc-toolbar:hover, .dc-toolbar:focus-within, .dc-root:hover > .dc-toolbar,
    .dc-toolbar[data-pinned="true"] { top: -3rem; }
    .dc-toolbar[data-pinned="false"] { pointer-events: none; }
    .dc-root:hover > .dc-toolbar, .dc-toolbar:focus-within { pointer-events: auto; }
    @media (hover: none) { .dc-toolbar { opacity: 1; pointer-events: auto; } }`;
  const patch = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (root && !root.querySelector("style[data-toolbar-fix]")) {
        const style = document.createElement("style");
        style.dataset.toolbarFix = "";
        style.textContent = css;
        root.appendChild(style);
      }
    }
  };
  patch();
  setInterval(patch, 250);  // the canvas remounts (Clear), and its shadow root may come late
})();
</script>"""


def clear_canvas() -> None:
    st.session_state[state.DRAW_CANVAS_VERSION] += 1
    st.session_state[state.DRAW_UNIT] = None


def canvas_ui() -> np.ndarray | None:
    """The drawing canvas and its controls; returns the (280, 280, 4) uint8 image or None."""
    st.session_state.setdefault(state.DRAW_CANVAS_VERSION, 0)
    stroke = state.persist(state.DRAW_STROKE, DEFAULT_STROKE)  # the slider under the canvas sets it
    # Room for the toolbar, which CANVAS_TOOLBAR_FIX puts 3rem above the canvas: without it the
    # toolbar covers the radio buttons above (always on a phone, on hover on a desktop).
    st.space("medium")
    result = st_canvas(
        stroke_width=stroke,
        stroke_color="#FFFFFF",
        background_color="#000000",
        update_streamlit=True,  # send the drawing (and rerun) each time a stroke ends
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=state.draw_canvas_key(),
    )
    clear, pen = st.columns(2)
    clear.button("Clear", icon=":material/delete:", on_click=clear_canvas, help="Start again with an empty canvas")
    with pen.popover("Pen width", icon=":material/edit:"):
        st.slider(
            "Stroke width (px)",
            min_value=6,
            max_value=40,
            key=state.DRAW_STROKE,
            help=f"{DEFAULT_STROKE} px on this {CANVAS_SIDE} px canvas matches MNIST's pen after scaling.",
        )
    st.caption("Undo and redo are in the toolbar above the canvas: it shows when you point at it, always on a phone.")
    st.html(CANVAS_TOOLBAR_FIX, unsafe_allow_javascript=True)  # our own constant, never user input
    return result.image_data
