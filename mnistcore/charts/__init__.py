"""Altair chart builders for the dashboard's pages: pure functions, data in, chart out.

``training`` (curves and the network diagram), ``insight`` (Mistakes and Weights),
``draw`` and ``teach`` (Draw), ``backprop`` (Backprop); ``_common`` holds the diverging colour scale they
share. No Streamlit: the pages show what these return.
"""
