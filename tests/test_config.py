"""Tests for mnistcore.engine.config: every invalid value is refused with a message naming the
field and what is allowed; text round trips; presets; the seed preset is the notebook."""

from __future__ import annotations

import dataclasses
import math

import pytest

from mnistcore.engine.config import FIELDS, ConfigError, TrainConfig, format_value, parse_value
from mnistcore.engine.presets import PRESET_NOTES, PRESETS


@pytest.mark.parametrize(
    ("changes", "expected_message"),
    [
        ({"hidden": 0}, "hidden layer sizes must be in [1, 4096], got 0"),
        ({"hidden": -3}, "hidden layer sizes must be in [1, 4096], got -3"),
        ({"hidden": (16, 5000)}, "hidden layer sizes must be in [1, 4096], got 5000"),
        ({"hidden": ()}, "hidden must be 1 to 4 whole numbers (layer sizes), got ()"),
        ({"hidden": []}, "hidden must be 1 to 4 whole numbers (layer sizes), got []"),
        ({"hidden": (8, 8, 8, 8, 8)}, "hidden must be 1 to 4 whole numbers (layer sizes), got (8, 8, 8, 8, 8)"),
        ({"hidden": "abc"}, "hidden must be 1 to 4 whole numbers (layer sizes), got 'abc'"),
        ({"hidden": (16.0,)}, "hidden must be 1 to 4 whole numbers"),
        ({"hidden": True}, "hidden must be 1 to 4 whole numbers"),
        ({"lr": 0}, "lr must be in (0, 10], got 0.0"),
        ({"lr": -1}, "lr must be in (0, 10], got -1.0"),
        ({"lr": 11}, "lr must be in (0, 10], got 11.0"),
        ({"lr": math.nan}, "lr must be a finite number in (0, 10], got nan"),
        ({"lr": math.inf}, "lr must be a finite number in (0, 10], got inf"),
        ({"lr": -math.inf}, "lr must be a finite number in (0, 10], got -inf"),
        ({"lr": "0.1"}, "lr must be a finite number in (0, 10], got '0.1'"),
        ({"lr": True}, "lr must be a finite number"),
        ({"momentum": 1.0}, "momentum must be in [0, 0.999], got 1.0"),
        ({"momentum": -0.1}, "momentum must be in [0, 0.999], got -0.1"),
        ({"weight_decay": -1e-4}, "weight_decay must be in [0, 1], got -0.0001"),
        ({"weight_decay": 2}, "weight_decay must be in [0, 1], got 2.0"),
        ({"batch_size": 0}, "batch_size must be in [1, 55000], got 0"),
        ({"batch_size": 55001}, "batch_size must be in [1, 55000], got 55001"),
        ({"batch_size": 100.0}, "batch_size must be a whole number in [1, 55000], got 100.0"),
        ({"batch_size": True}, "batch_size must be a whole number in [1, 55000], got True"),
        ({"steps": 0}, "steps must be in [1, 1e+07], got 0"),
        ({"steps": False}, "steps must be a whole number"),
        ({"epochs": 0}, "epochs must be in (0, 1000], got 0.0"),
        ({"epochs": 1001}, "epochs must be in (0, 1000], got 1001.0"),
        ({"eval_every": 0}, "eval_every must be in [1, 1e+06], got 0"),
        ({"seed": -1}, "seed must be in [0, 4.29497e+09], got -1"),
        ({"seed": 2**32}, "seed must be in [0, 4.29497e+09], got 4294967296"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"augment": 1}, "augment must be true or false, got 1"),
        ({"augment": "yes"}, "augment must be true or false, got 'yes'"),
        ({"activation": "softplus"}, "activation must be one of 'sigmoid', 'tanh', 'relu', got 'softplus'"),
        ({"loss": "hinge"}, "loss must be one of 'mse', 'cross-entropy', got 'hinge'"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of 'sgd', 'momentum', 'adam', got 'rmsprop'"),
        ({"init": "zeros"}, "init must be one of 'uniform', 'xavier', 'he', got 'zeros'"),
        ({"schedule": "step"}, "schedule must be one of 'constant', 'cosine', got 'step'"),
        ({"dtype": "float16"}, "dtype must be one of 'float32', 'float64', got 'float16'"),
        (
            {"steps": 10, "epochs": 2.0},
            "set exactly one of steps or epochs (the run length), got steps=10 and epochs=2.0",
        ),
        ({"steps": None}, "set exactly one of steps or epochs (the run length), got steps=None and epochs=None"),
    ],
)
def test_invalid_values_are_refused_naming_the_field_and_range(changes, expected_message):
    with pytest.raises(ConfigError) as info:
        TrainConfig().replace(**changes)
    assert str(info.value).startswith(expected_message)


def test_constructor_validates_too():
    with pytest.raises(ConfigError, match=r"lr must be in \(0, 10\], got -1.0"):
        TrainConfig(lr=-1)
    with pytest.raises(ConfigError, match="set exactly one of steps or epochs"):
        TrainConfig(steps=100, epochs=1.0)
    with pytest.raises(ConfigError, match="set exactly one of steps or epochs"):
        TrainConfig(steps=None)


@pytest.mark.parametrize("method", ["replace", "from_dict"])
def test_unknown_settings_are_refused_listing_the_known_ones(method):
    with pytest.raises(ConfigError) as info:
        if method == "replace":
            TrainConfig().replace(learning_rate=0.1)
        else:
            TrainConfig.from_dict({"lr": 0.1, "learning_rate": 0.1, "dropout": 0.5})
    message = str(info.value)
    assert "unknown setting(s)" in message and "'learning_rate'" in message
    assert "known settings: hidden, activation" in message


def test_from_dict_refuses_bad_values_and_fills_missing_keys_from_the_base():
    with pytest.raises(ConfigError, match="batch_size must be a whole number"):
        TrainConfig.from_dict({"batch_size": "100"})
    partial = TrainConfig.from_dict({"lr": 0.5, "hidden": [32, 16]})
    assert partial.lr == 0.5 and partial.hidden == (32, 16)
    assert partial.replace(lr=0.1, hidden=(16,)) == TrainConfig()
    based = TrainConfig.from_dict({"seed": 3}, base=PRESETS["fast"])
    assert based == PRESETS["fast"].replace(seed=3)


def test_valid_values_are_normalised():
    cfg = TrainConfig(hidden=[64, 32], lr=1, epochs=2, steps=None)
    assert cfg.hidden == (64, 32) and isinstance(cfg.hidden, tuple)
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float)
    assert cfg.epochs == 2.0 and isinstance(cfg.epochs, float)
    assert TrainConfig(hidden=128).hidden == (128,)
    assert TrainConfig(lr=10).lr == 10.0 and TrainConfig(momentum=0).momentum == 0.0  # inclusive ends
    assert TrainConfig(batch_size=55_000).batch_size == 55_000 and TrainConfig(seed=2**32 - 1).seed == 2**32 - 1


def test_config_is_frozen_and_hashable():
    cfg = TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 0.5  # type: ignore[misc]
    assert hash(cfg) == hash(TrainConfig())
    assert {cfg: 1}[TrainConfig()] == 1


def test_replace_switches_between_steps_and_epochs():
    by_epochs = TrainConfig().replace(epochs=2)
    assert by_epochs.steps is None and by_epochs.epochs == 2.0
    assert by_epochs.total_steps() == 1100  # 2 * 55,000 / 100
    by_steps = by_epochs.replace(steps=300)
    assert by_steps.epochs is None and by_steps.total_steps() == 300
    assert TrainConfig().replace(epochs=0.001, batch_size=100).total_steps() == 1  # never zero steps
    assert TrainConfig(steps=None, epochs=1.0, batch_size=64).total_steps(n_train=1000) == 16  # ceil(1000 / 64)


def test_layer_sizes():
    assert TrainConfig(hidden=(128, 64)).layer_sizes == [784, 128, 64, 10]


def test_fields_describe_every_setting_once():
    assert list(FIELDS) == [f.name for f in dataclasses.fields(TrainConfig)]
    for name, field in FIELDS.items():
        assert field.name == name and field.help.strip() and field.group
        if field.kind is str:
            assert field.choices, f"{name} needs its choices"


# ------------------------------------------------------------------ text round trip

EXTRA_VALUES = {
    "hidden": [(128, 64), (1,), (4096, 4096, 4096, 4096)],
    "lr": [0.0031622776601683794, 1e-5, 10.0, 1 / 3],
    "momentum": [0.0, 0.999, 0.95],
    "weight_decay": [1e-4, 0.0, 1 / 7],
    "batch_size": [1, 55_000],
    "steps": [1, 10_000_000],
    "epochs": [0.5, 2.0 / 3.0, 1000.0],
    "augment": [True, False],
    "eval_every": [1, 37],
    "seed": [0, 2**32 - 1],
}


def _round_trip_cases():
    for name, field in FIELDS.items():
        values = {getattr(cfg, name) for cfg in PRESETS.values()} | set(field.choices)
        values |= set(EXTRA_VALUES.get(name, []))
        for value in sorted(values - {None}, key=repr):
            yield pytest.param(name, value, id=f"{name}={value!r}")


@pytest.mark.parametrize(("name", "value"), list(_round_trip_cases()))
def test_format_then_parse_gives_the_value_back_for_every_field(name, value):
    text = format_value(name, value)
    assert isinstance(text, str) and "\n" not in text
    parsed = parse_value(name, text)
    assert parsed == value and type(parsed) is type(value)
    assert TrainConfig().replace(**{name: parsed}) == TrainConfig().replace(**{name: value})


def test_formatted_values_are_short_and_readable():
    assert format_value("lr", 0.1) == "0.1"
    assert format_value("weight_decay", 1e-4) == "0.0001"
    assert format_value("epochs", 20.0) == "20"
    assert format_value("hidden", (128, 64)) == "128,64"
    assert format_value("augment", True) == "true"
    assert format_value("activation", "relu") == "relu"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("hidden", "128 64", (128, 64)),
        ("hidden", " 128, 64 ", (128, 64)),
        ("hidden", "16", (16,)),
        ("augment", "TRUE", True),
        ("augment", "yes", True),
        ("augment", "0", False),
        ("lr", " 1e-3 ", 0.001),
        ("batch_size", "100", 100),
        ("loss", "cross-entropy", "cross-entropy"),
    ],
)
def test_parse_value_accepts_common_spellings(name, text, expected):
    assert parse_value(name, text) == expected


@pytest.mark.parametrize(
    ("name", "text", "expected_message"),
    [
        ("hidden", "abc", "hidden must be in [1, 4096], got 'abc'"),
        ("hidden", "16 x", "hidden must be in [1, 4096], got '16 x'"),
        ("batch_size", "1.5", "batch_size must be in [1, 55000], got '1.5'"),
        ("lr", "fast", "lr must be in (0, 10], got 'fast'"),
        ("augment", "maybe", "augment must be true or false, got 'maybe'"),
        ("learning_rate", "0.1", "unknown setting(s) 'learning_rate'"),
    ],
)
def test_parse_value_refuses_unreadable_text(name, text, expected_message):
    with pytest.raises(ConfigError) as info:
        parse_value(name, text)
    assert str(info.value).startswith(expected_message)


# ------------------------------------------------------------------ presets


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_valid_and_survive_a_dict_round_trip(name):
    cfg = PRESETS[name]
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert dataclasses.replace(cfg) == cfg  # re-runs validation
    assert PRESET_NOTES[name].strip()
    assert cfg.total_steps() >= 1


def test_seed_preset_is_exactly_the_notebook():
    # The origin notebook: 784-16-10, sigmoid everywhere, MSE, weights and biases uniform in
    # [-1, 1], plain SGD with learning rate 0.1, batches of 100, 20,000 steps, no extras.
    seed = PRESETS["seed"]
    assert seed == TrainConfig()
    assert seed.layer_sizes == [784, 16, 10]
    assert (seed.activation, seed.loss, seed.init) == ("sigmoid", "mse", "uniform")
    assert (seed.optimizer, seed.lr, seed.schedule) == ("sgd", 0.1, "constant")
    assert (seed.batch_size, seed.steps, seed.epochs) == (100, 20_000, None)
    assert (seed.weight_decay, seed.augment) == (0.0, False)
    assert seed.total_steps() == 20_000


def test_other_presets_use_the_modern_recipe():
    for name in ("fast", "best"):
        cfg = PRESETS[name]
        assert (cfg.activation, cfg.loss, cfg.init) == ("relu", "cross-entropy", "he")
        assert cfg.epochs is not None and cfg.steps is None
    assert PRESETS["fast"].total_steps() < PRESETS["best"].total_steps()
