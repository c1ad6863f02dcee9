"""What a shared dashboard server needs besides the engine, UI-free.

``jobs``: background training jobs, one per session, with a queue and a watchdog for owners
who left; ``limits``: what a run may cost (size, memory, time; read from the environment)
and the refusal when it would cost more; ``tuning``: process-wide BLAS threads and freeing
memory; ``records``: finished runs a session keeps for comparison; ``share``: settings <->
share-link query parameters, read as hostile text.
"""
