"""mnistcore: a from-scratch NumPy neural network on real MNIST, and what its dashboard needs.

Four layers, each a sub-package; each builds only on those before it, and none imports
streamlit (tests/test_layers.py proves both from the source):

* ``engine``: the network and its training, NumPy only (data, network, optimizers, config,
  trainer, model and checkpoint, CLI: ``python -m mnistcore``)
* ``analysis``: what a trained model does on the test set, on a drawing, on one digit
* ``charts``: Altair chart builders for the pages
* ``server``: background training jobs for many visitors, share links

The names below are the engine's, for notebooks and scripts.
"""

from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.config import ConfigError, TrainConfig
from mnistcore.engine.data import DataError, Mnist, load_mnist
from mnistcore.engine.history import History, ProgressEvent
from mnistcore.engine.model import TrainedModel, train
from mnistcore.engine.network import MLP
from mnistcore.engine.presets import PRESETS
from mnistcore.engine.trainer import RunResult, Trainer

__all__ = [
    "PRESETS",
    "ConfigError",
    "TrainConfig",
    "DataError",
    "Mnist",
    "load_mnist",
    "CheckpointError",
    "TrainedModel",
    "train",
    "MLP",
    "History",
    "ProgressEvent",
    "RunResult",
    "Trainer",
]
__version__ = "0.1.0"
