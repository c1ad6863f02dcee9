"""Hyperparameters as one frozen, validated object (the named presets are in ``presets``).

Every setting is declared once in ``FIELDS`` (type, allowed values, group, help text);
validation, the CLI flags, the dashboard's controls and the share links are all derived
from that table, so the four can never disagree. An invalid value is refused with a
``ConfigError`` naming the field and the allowed range.

Over 300 lines because of that table: ``FIELDS`` (about 150 of them) holds every setting's
help text, and one table in one place is the point of it.

Deliberate limits: settings for a classifier on 28x28 inputs with 10 classes; run length
is given either in steps or in epochs, never both.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mnistcore.engine.activations import ACTIVATIONS
from mnistcore.engine.data.datasets import DATASETS
from mnistcore.engine.losses import LOSSES
from mnistcore.engine.network import INITIALISERS
from mnistcore.engine.optimizers import OPTIMIZERS, SCHEDULES

N_INPUTS = 784
N_CLASSES = 10
TRAIN_SIZE = 55_000
MAX_HIDDEN_LAYERS = 4
#: Weights and biases of one network: bigger ones are neither trained on the server
#: (``server.limits.DEFAULT_MAX_PARAMETERS``) nor loaded from a checkpoint. 'moonshot' (784-1200-10) has 954,010.
MAX_PARAMETERS = 1_000_000
#: Progress events one run's history keeps (older ones are thinned beyond this, see
#: ``history.History``); a checkpoint's history is capped to it on load as well.
MAX_HISTORY_EVENTS = 20_000


class ConfigError(ValueError):
    """An invalid hyperparameter; the message names the field and what is allowed."""


@dataclass(frozen=True)
class Field:
    """One setting: its type, allowed values or range, UI group and a help text that teaches."""

    name: str
    kind: type
    group: str
    help: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: the low end is excluded, e.g. lr > 0

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is bool:
            return "true or false"
        left = "(" if self.low_open else "["
        return f"in {left}{_fmt(self.low)}, {_fmt(self.high)}]"


def _fmt(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        Field(
            "hidden",
            tuple,
            "architecture",
            "Sizes of the hidden layers, e.g. 16 or 128 64. More units can "
            "represent more patterns but cost more time per step.",
            low=1,
            high=4096,
        ),
        Field(
            "activation",
            str,
            "architecture",
            "Non-linearity of the hidden units. sigmoid is the seed's; "
            "tanh is centred on zero; relu does not saturate and usually learns fastest.",
            choices=tuple(ACTIVATIONS),
        ),
        Field(
            "loss",
            str,
            "loss",
            "Output layer and loss: sigmoid outputs with mean squared error (the seed), "
            "or softmax with cross-entropy, whose gradient does not vanish on confident mistakes.",
            choices=tuple(LOSSES),
        ),
        Field(
            "init",
            str,
            "architecture",
            "Initial weights: uniform in [-1, 1] (the seed), Xavier (scaled for sigmoid/tanh) or He (scaled for relu).",
            choices=tuple(INITIALISERS),
        ),
        Field(
            "optimizer",
            str,
            "optimisation",
            "How gradients become updates: plain SGD (the seed), SGD with momentum, or Adam (a per-weight step size).",
            choices=OPTIMIZERS,
        ),
        Field(
            "lr",
            float,
            "optimisation",
            "Learning rate: the size of each step down the gradient. Too large "
            "and the loss diverges; too small and learning crawls.",
            low=0.0,
            high=10.0,
            low_open=True,
        ),
        Field(
            "momentum",
            float,
            "optimisation",
            "For the momentum optimizer: the share of the previous step kept in the next one.",
            low=0.0,
            high=0.999,
        ),
        Field(
            "weight_decay",
            float,
            "optimisation",
            "L2 penalty λ·ΣW²/2 added to the loss: pulls weights towards zero and reduces overfitting.",
            low=0.0,
            high=1.0,
        ),
        Field(
            "schedule",
            str,
            "schedule",
            "How the learning rate changes over the run: constant, or cosine decay to zero at the end.",
            choices=tuple(SCHEDULES),
        ),
        Field(
            "batch_size",
            int,
            "optimisation",
            "Samples per gradient step. Bigger batches give smoother "
            "gradients and faster steps per sample, but fewer steps per epoch.",
            low=1,
            high=TRAIN_SIZE,
        ),
        Field(
            "steps", int, "run length", "Number of gradient steps (set either steps or epochs).", low=1, high=10_000_000
        ),
        Field(
            "epochs",
            float,
            "run length",
            "Passes over the 55,000 training images (set either steps or epochs).",
            low=0.0,
            high=1000.0,
            low_open=True,
        ),
        Field(
            "augment",
            bool,
            "run length",
            "Randomly shift, rotate and scale each training digit a little, "
            "every time it is seen: the network cannot memorise, and handles drawn digits better.",
        ),
        Field(
            "eval_every",
            int,
            "run length",
            "Measure validation accuracy every this many steps (the live "
            "chart's resolution). Batch loss is logged ten times as often.",
            low=1,
            high=1_000_000,
        ),
        Field(
            "seed",
            int,
            "seed",
            "Random seed for the initial weights, the batch order and augmentation: "
            "the same seed and settings give a bit-identical run.",
            low=0,
            high=2**32 - 1,
        ),
        Field(
            "dtype",
            str,
            "architecture",
            "Floating-point precision. float32 is twice as fast; float64 is for gradient checks.",
            choices=("float32", "float64"),
        ),
        Field(
            "dataset",
            str,
            "dataset",
            "What the network learns to read: MNIST's handwritten digits, or Fashion-MNIST's "
            "clothes (same size, same network, much harder to tell apart).",
            choices=tuple(DATASETS),
        ),
    ]
}


@dataclass(frozen=True)
class TrainConfig:
    """All hyperparameters of one training run. Defaults are the seed notebook's."""

    hidden: tuple[int, ...] = (16,)
    activation: str = "sigmoid"
    loss: str = "mse"
    init: str = "uniform"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"
    batch_size: int = 100
    steps: int | None = 20_000
    epochs: float | None = None
    augment: bool = False
    eval_every: int = 500
    seed: int = 0
    dtype: str = "float32"
    dataset: str = "mnist"  # a checkpoint without it is an MNIST model (it came before Fashion-MNIST)

    def __post_init__(self) -> None:
        for name, field in FIELDS.items():
            value = getattr(self, name)
            if value is None and name in ("steps", "epochs"):
                continue
            object.__setattr__(self, name, _check(field, value))
        if (self.steps is None) == (self.epochs is None):
            raise ConfigError(
                f"set exactly one of steps or epochs (the run length), got steps={self.steps} and epochs={self.epochs}"
            )

    @property
    def layer_sizes(self) -> list[int]:
        return [N_INPUTS, *self.hidden, N_CLASSES]

    def total_steps(self, n_train: int = TRAIN_SIZE) -> int:
        """Run length in steps: ``steps``, or ``epochs`` converted at this batch size."""
        if self.steps is not None:
            return self.steps
        assert self.epochs is not None
        return max(1, math.ceil(self.epochs * n_train / self.batch_size))

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some settings changed; setting steps clears epochs and vice versa."""
        if changes.get("steps") is not None and "epochs" not in changes:
            changes["epochs"] = None
        if changes.get("epochs") is not None and "steps" not in changes:
            changes["steps"] = None
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise ConfigError(_unknown_message(unknown))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (hidden as a list)."""
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], base: TrainConfig | None = None) -> TrainConfig:
        """Build from a mapping (e.g. parsed JSON); unknown keys are refused, missing keys
        come from ``base`` (default: the seed settings)."""
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise ConfigError(_unknown_message(unknown))
        return (base or cls()).replace(**dict(values))


def parameter_count(config: TrainConfig) -> int:
    """Weights and biases of the network ``config`` describes."""
    sizes = config.layer_sizes
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _unknown_message(names: set[str]) -> str:
    return f"unknown setting(s) {', '.join(sorted(map(repr, names)))}; known settings: {', '.join(FIELDS)}"


def _check(field: Field, value: Any) -> Any:
    """Return ``value`` normalised to the field's type, or raise ConfigError."""
    name, kind = field.name, field.kind
    if kind is tuple:
        sizes = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
        if (
            not isinstance(sizes, (tuple, list))
            or not 1 <= len(sizes) <= MAX_HIDDEN_LAYERS
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes)
        ):
            raise ConfigError(f"hidden must be 1 to {MAX_HIDDEN_LAYERS} whole numbers (layer sizes), got {value!r}")
        for s in sizes:
            if not field.low <= s <= field.high:  # type: ignore[operator]
                raise ConfigError(f"hidden layer sizes must be {field.describe_range()}, got {s}")
        return tuple(sizes)
    if kind is str:
        if value not in field.choices:
            raise ConfigError(f"{name} must be {field.describe_range()}, got {value!r}")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, got {value!r}")
        return value
    if kind is int and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ConfigError(f"{name} must be a whole number {field.describe_range()}, got {value!r}")
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{name} must be a finite number {field.describe_range()}, got {value!r}")
        value = float(value)
    too_low = value < field.low or (field.low_open and value == field.low)  # type: ignore[operator]
    if too_low or value > field.high:  # type: ignore[operator]
        raise ConfigError(f"{name} must be {field.describe_range()}, got {value!r}")
    return value


def parse_value(name: str, text: str) -> Any:
    """Parse one setting from text (a CLI flag, a query parameter); ConfigError if it cannot."""
    if name not in FIELDS:
        raise ConfigError(_unknown_message({name}))
    kind = FIELDS[name].kind
    text = text.strip()
    try:
        if kind is tuple:
            return tuple(int(part) for part in text.replace(",", " ").split())
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be {FIELDS[name].describe_range()}, got {text!r}") from None
    return text


def format_value(name: str, value: Any) -> str:
    """The text form of a setting, inverse of ``parse_value`` (for share links)."""
    if FIELDS[name].kind is tuple:
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:g}"  # '0.1', '1e-05', '20'; repr keeps every digit when :g would round
        return short if float(short) == value else repr(value)
    return str(value)


def env_number(env: Mapping[str, str], name: str, default: Any, kind: type, low: float) -> Any:
    """``env[name]`` as ``kind`` (int or float), ``default`` when unset or blank; ValueError
    names a variable that is not such a number or is below ``low``. The server's limits and
    the run store's read their environment variables through it."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"environment variable {name} must be {what}, got {text!r}") from None
    if not math.isfinite(value):  # float() takes "nan" and "inf", which no limit means
        raise ValueError(f"environment variable {name} must be a finite number, got {text!r}")
    if value < low:
        raise ValueError(f"environment variable {name} must be at least {low:g}, got {text!r}")
    return value
