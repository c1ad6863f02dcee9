"""Share links: settings -> query parameters -> the same settings, and forgiving reading of
hand-edited or hostile links (unknown keys, unreadable values, out-of-range numbers). And the
settings as text for people: all of them, and those that differ between runs."""

from __future__ import annotations

import pytest

from mnistcore.engine.config import FIELDS, TrainConfig, format_value
from mnistcore.engine.presets import PRESETS
from mnistcore.server.share import (
    MAX_VALUE_LENGTH,
    RUN_LENGTH,
    changed_fields,
    common_settings,
    differing_settings,
    matching_preset,
    params_to_settings,
    setting_texts,
    settings_to_params,
    share_url,
    short_description,
)

CUSTOM_CONFIGS = [
    PRESETS["fast"].replace(steps=300),
    PRESETS["best"].replace(hidden=(256, 64), augment=True, seed=7),
    PRESETS["seed"].replace(epochs=0.5, batch_size=32, dtype="float64"),
    TrainConfig(hidden=(10, 20, 30, 40), activation="tanh", optimizer="adam", lr=0.001, schedule="cosine"),
]


@pytest.mark.parametrize("config", [*PRESETS.values(), *CUSTOM_CONFIGS])
def test_a_link_restores_exactly_the_settings_it_was_made_from(config):
    config_back, _, warnings = params_to_settings(settings_to_params(config))
    assert config_back == config
    assert warnings == []


def test_a_link_names_the_closest_preset_and_only_what_differs():
    assert settings_to_params(PRESETS["fast"]) == {"preset": "fast"}
    assert settings_to_params(PRESETS["fast"].replace(steps=300)) == {"preset": "fast", "steps": "300"}
    assert settings_to_params(PRESETS["seed"].replace(lr=0.5)) == {"preset": "seed", "lr": "0.5"}
    params = settings_to_params(PRESETS["best"].replace(hidden=(256, 64)))
    assert params == {"preset": "best", "hidden": "256,64"}


def test_unknown_keys_are_ignored_with_a_warning_and_foreign_keys_silently():
    config, preset, warnings = params_to_settings({"preset": "fast", "colour": "red", "page": "2"}, ignore={"page"})
    assert (config, preset) == (PRESETS["fast"], "fast")
    assert warnings == ["Ignored unknown setting 'colour' in the link."]


def test_an_unknown_preset_falls_back_to_the_seed_settings():
    config, preset, warnings = params_to_settings({"preset": "turbo", "lr": "0.2"})
    assert preset == "seed" and config == PRESETS["seed"].replace(lr=0.2)
    assert warnings == ["Unknown preset 'turbo' in the link: using the seed preset's settings."]


FAST = PRESETS["fast"]


def _fast(name):
    return format_value(name, getattr(FAST, name))


@pytest.mark.parametrize(
    "name, text, expected, words",
    [
        (
            "lr",
            "fast",
            FAST.lr,
            f"Setting lr: 'fast' is not valid (must be in (0, 10]); using the default {_fast('lr')}.",
        ),
        ("activation", "swish", FAST.activation, "Setting activation: 'swish' is not valid"),
        ("augment", "maybe", FAST.augment, "Setting augment: 'maybe' is not valid (must be true or false)"),
        ("batch_size", "1e3", FAST.batch_size, "Setting batch_size: '1e3' is not valid"),
        ("hidden", "12,abc", FAST.hidden, "Setting hidden: '12,abc' is not valid"),
        (
            "hidden",
            "1,2,3,4,5",
            FAST.hidden,
            "Setting hidden: '1,2,3,4,5' must list 1 to 4 layer sizes; using the default",
        ),
        ("hidden", "", FAST.hidden, "Setting hidden: '' must list 1 to 4 layer sizes"),
        ("lr", "-1", FAST.lr, f"Setting lr: '-1' is not in (0, 10]; using the default {_fast('lr')}."),
        ("lr", "nan", FAST.lr, "Setting lr: 'nan' is not in (0, 10]"),
        ("epochs", "0", FAST.epochs, f"using the default {_fast('epochs')}."),
        ("steps", "many", None, f"using the default run length of {_fast('epochs')} epochs."),
    ],
)
def test_invalid_values_fall_back_to_the_default_with_a_warning_naming_the_field(name, text, expected, words):
    config, _, warnings = params_to_settings({"preset": "fast", name: text})
    assert getattr(config, name) == expected
    assert len(warnings) == 1 and words in warnings[0], warnings


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("batch_size", "999999", 55_000),
        ("lr", "50", 10.0),
        ("momentum", "1.5", 0.999),
        ("weight_decay", "-0.1", 0.0),
        ("hidden", "5000,0", (4096, 1)),
        ("seed", "-3", 0),
        ("steps", "0", 1),
    ],
)
def test_out_of_range_numbers_are_clamped_into_the_range_with_a_warning(name, text, expected):
    config, _, warnings = params_to_settings({"preset": "seed", name: text})
    assert getattr(config, name) == expected
    assert len(warnings) == 1
    assert warnings[0].startswith(f"Setting {name}: '{text}' is not in") and "clamped to" in warnings[0]


def test_conflicting_and_oversized_values_are_handled():
    config, _, warnings = params_to_settings({"preset": "fast", "steps": "300", "epochs": "2"})
    assert (config.steps, config.epochs) == (300, None)
    assert warnings == ["The link sets both steps and epochs: using steps, ignoring epochs."]
    config, _, warnings = params_to_settings({"preset": "seed", "seed": "1" * (MAX_VALUE_LENGTH + 1)})
    assert config.seed == 0 and "too long" in warnings[0]


def test_repeated_keys_count_their_last_value():
    config, _, _ = params_to_settings({"preset": ["best", "fast"], "lr": ["0.3", "0.2"]})
    assert config == PRESETS["fast"].replace(lr=0.2)


def test_every_field_can_travel_in_a_link():
    """A value different from the seed's for each field survives the round trip."""
    assert set(FIELDS) <= set(TrainConfig.__dataclass_fields__)
    config = TrainConfig(
        hidden=(20, 10),
        activation="tanh",
        loss="cross-entropy",
        init="xavier",
        optimizer="adam",
        lr=0.003,
        momentum=0.5,
        weight_decay=0.001,
        schedule="cosine",
        batch_size=64,
        steps=None,
        epochs=2.5,
        augment=True,
        eval_every=50,
        seed=123,
        dtype="float64",
    )
    params = settings_to_params(config)
    assert params_to_settings(params)[0] == config
    # The link names the preset needing the fewest overrides, and lists exactly those.
    fewest = min(len(changed_fields(config, preset)) for preset in PRESETS.values())
    overrides = changed_fields(config, PRESETS[params["preset"]])
    assert len(overrides) == fewest and set(params) - {"preset"} == set(overrides)


def test_share_url_and_descriptions():
    url = share_url("http://example.org/train?old=1", {"preset": "fast", "hidden": "256,64"})
    assert url == "http://example.org/train?preset=fast&hidden=256,64"
    assert share_url("http://example.org/train", {}) == "http://example.org/train"
    assert matching_preset(PRESETS["best"]) == "best"
    assert matching_preset(PRESETS["best"].replace(seed=1)) == "custom"
    config = TrainConfig(
        hidden=(128,),
        activation="relu",
        loss="cross-entropy",
        optimizer="momentum",
        lr=0.05,
        schedule="cosine",
        steps=None,
        epochs=4,
    )
    assert short_description(config) == (
        "784-128-10 relu · cross-entropy · momentum lr 0.05 cosine · batch 100 · 4 epochs · seed 0"
    )
    assert short_description(config.replace(steps=20_000, weight_decay=1e-4, augment=True, seed=3)).endswith(
        "batch 100 · 20,000 steps · decay 0.0001 · augmented · seed 3"
    )


# ------------------------------------------------------------------ settings as text, and what differs


def test_every_setting_reads_as_short_text_with_the_run_length_as_one():
    texts = setting_texts(PRESETS["fast"].replace(hidden=(64, 32), steps=200, augment=True))
    assert list(texts) == [RUN_LENGTH if n == "steps" else n for n in FIELDS if n != "epochs"]
    assert texts["hidden"] == "64 32" and texts["lr"] == "0.1" and texts["augment"] == "yes"
    assert texts[RUN_LENGTH] == "200 steps" and texts["weight_decay"] == "0"
    assert setting_texts(PRESETS["fast"])[RUN_LENGTH] == "5 epochs"
    assert setting_texts(PRESETS["seed"])[RUN_LENGTH] == "20,000 steps"


def test_the_settings_that_differ_between_runs_are_listed_with_each_runs_value():
    fast = PRESETS["fast"].replace(steps=200)
    runs = [fast, fast.replace(lr=0.01), fast.replace(lr=1.0)]
    assert differing_settings(runs) == {"lr": ["0.1", "0.01", "1"]}
    assert "lr" not in common_settings(runs) and common_settings(runs)["hidden"] == "128"
    assert set(common_settings(runs)) | set(differing_settings(runs)) == set(setting_texts(fast))
    # Several at once, in the settings' order; steps against epochs is one difference.
    other = fast.replace(hidden=(64, 32), epochs=2, seed=3)
    assert differing_settings([fast, other]) == {
        "hidden": ["128", "64 32"],
        RUN_LENGTH: ["200 steps", "2 epochs"],
        "seed": ["0", "3"],
    }
    # The same settings (a run repeated), one run, no runs: nothing differs.
    assert differing_settings([fast, fast]) == {} and differing_settings([fast]) == {}
    assert differing_settings([]) == {} and common_settings([]) == {}
    assert common_settings([fast]) == setting_texts(fast)
