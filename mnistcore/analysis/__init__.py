"""What the dashboard shows about a trained model, computed without a UI (NumPy only).

The test set: ``evaluation`` (one pass of the network, cached by the pages), ``confusion``
(the confusion matrix), ``mistakes`` (which digits it got wrong, in pages), ``units`` (what
hidden units respond to), ``images`` (weights and digits as pictures), ``wording`` (their
captions, as Markdown). One drawing: ``drawing`` and ``predict`` (a canvas drawing,
preprocessed like MNIST, and the network's reading of it). One digit: ``backprop`` (forward
and backward, with every number). Teaching: ``teach`` (a few SGD steps on a drawing with
its right label, on a copy, and the test accuracy before and after) and ``my_digits`` (the
drawings kept, as a hardened ``.npz``). ``_checks`` holds the argument checks they share.
Builds on ``mnistcore.engine``.
"""
