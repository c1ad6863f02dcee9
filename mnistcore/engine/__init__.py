"""The engine: a neural network on MNIST in NumPy and nothing else.

Data (``data``: IDX files, download, splits; ``augment``), the network (``activations``,
``losses``, ``network``: forward, backprop), training (``optimizers``, ``config`` and its
``presets``, ``batches``, ``trainer``, ``history``; ``outcome``: did the run learn?), the
trained model (``model``) and its file (``checkpoint``), and the command line (``cli``).

It imports nothing from the rest of ``mnistcore`` (analysis, charts, server): they build on
it, never the other way round (tests/test_layers.py walks every import to prove it).
"""
