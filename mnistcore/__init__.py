"""mnistcore: a from-scratch NumPy neural network on real MNIST, UI-free.

The engine behind the dashboard, usable from a CLI (``python -m mnistcore``), a notebook
or a test. It never imports streamlit. The pieces, each in its own module:

* ``data``: read, verify, download and cache the MNIST IDX files; the 55k/5k/10k splits
* ``activations``, ``losses``: hidden activations and output+loss pairs with derivatives
* ``network``: the MLP, its forward pass and backprop
* ``optimizers``: SGD, momentum, Adam and learning-rate schedules
* ``config``: the validated hyperparameters and presets
* ``trainer``: the pausable, stoppable training loop and its progress events
* ``model``: a trained model and its safe ``.npz`` checkpoint format
* ``augment``, ``drawing``, ``insight``: data augmentation, canvas preprocessing, analysis
"""

from mnistcore.config import PRESETS, ConfigError, TrainConfig
from mnistcore.data import DataError, Mnist, load_mnist
from mnistcore.model import CheckpointError, TrainedModel, train
from mnistcore.network import MLP
from mnistcore.trainer import History, ProgressEvent, RunResult, Trainer

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
