"""The project's benchmark suite: ``python -m benchmarks.run [--quick]``.

It times the engine side by side with yardsticks in one run and reports ratios, never
bare times alone: the machine it runs on is shared and its speed drifts, so every
comparison alternates the two sides and keeps the per-pair ratios. See ``run.py``.

Modules: ``run`` (the command and the report), ``measure`` (the measurements, each run
in a fresh worker process), ``minimal_loop`` (the yardsticks: a minimal NumPy training
loop and, where installed, the same network in PyTorch).
"""
