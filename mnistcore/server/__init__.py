"""What a shared dashboard server needs besides the engine, UI-free.

``jobs``: background training jobs, one per session, with server-wide limits and a queue;
``share``: settings <-> share-link query parameters, read as hostile text.
"""
