"""What the dashboard shows about a trained model, computed without a UI (NumPy only).

``evaluation`` and ``insight`` (the test set: confusion, mistakes, what units respond to,
pictures), ``drawing`` and ``predict`` (a canvas drawing, preprocessed like MNIST, and the
network's reading of it), ``backprop`` (one digit forward and backward, with every number).
Builds on ``mnistcore.engine``.
"""
