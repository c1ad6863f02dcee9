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

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use (PEP 562), not here: the dashboard's sessions run in threads, and a
# package __init__ that imports its submodules deadlocks on a fresh server when one thread
# initialises ``mnistcore`` while another imports ``mnistcore.engine.network`` directly
# (Python takes the submodule's lock before waiting for the package: _DeadlockError).
_HOMES = {
    "CheckpointError": "mnistcore.engine.checkpoint",
    "ConfigError": "mnistcore.engine.config",
    "TrainConfig": "mnistcore.engine.config",
    "DataError": "mnistcore.engine.data",
    "Mnist": "mnistcore.engine.data",
    "load_mnist": "mnistcore.engine.data",
    "History": "mnistcore.engine.history",
    "ProgressEvent": "mnistcore.engine.history",
    "TrainedModel": "mnistcore.engine.model",
    "train": "mnistcore.engine.model",
    "MLP": "mnistcore.engine.network",
    "PRESETS": "mnistcore.engine.presets",
    "RunResult": "mnistcore.engine.trainer",
    "Trainer": "mnistcore.engine.trainer",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mnistcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


if TYPE_CHECKING:
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
