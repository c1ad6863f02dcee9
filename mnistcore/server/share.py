"""Settings <-> URL query parameters, for share links that reproduce a run's settings.

A link names a preset and lists only the settings that differ from it, e.g.
``?preset=fast&steps=300`` (the preset that needs the fewest overrides is chosen). The
seed is part of the settings, so a link replays the same run. Reading a link treats
every value as hostile text: unknown keys are ignored, unreadable values fall back to
the preset's value, numbers outside a field's range are clamped into it, and each of
these produces a warning sentence naming the field, for the page to show.

Built on ``config.FIELDS``, ``parse_value`` and ``format_value``; no UI code. The warnings
are plain text that quote the link's values (``repr``, at most 24 characters, so one line):
whoever shows them as Markdown must escape them, as the Train page does
(``pages.ui.wording.plain``), or a value like ``![](//host/p)`` becomes an image.

Deliberate limits: a link restores settings, never weights (those are a download); values
longer than ``MAX_VALUE_LENGTH`` characters are refused unread.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from mnistcore.engine.config import (
    FIELDS,
    MAX_HIDDEN_LAYERS,
    ConfigError,
    Field,
    TrainConfig,
    format_value,
    parse_value,
)
from mnistcore.engine.network import shape_text
from mnistcore.engine.presets import PRESETS

PRESET_KEY = "preset"
CUSTOM = "custom"
MAX_VALUE_LENGTH = 64
RUN_LENGTH = "run length"  # steps or epochs, as one setting of ``setting_texts``
_RUN_LENGTH = ("steps", "epochs")


def matching_preset(config: TrainConfig) -> str:
    """The preset's name if ``config`` equals one exactly, else ``'custom'``."""
    return next((name for name, preset in PRESETS.items() if preset == config), CUSTOM)


def changed_fields(config: TrainConfig, base: TrainConfig) -> dict[str, Any]:
    """Settings of ``config`` that differ from ``base``. Of steps/epochs only the one in use
    is listed (setting it clears the other when the link is read)."""
    changed = {}
    for name in FIELDS:
        value = getattr(config, name)
        if value != getattr(base, name) and not (name in _RUN_LENGTH and value is None):
            changed[name] = value
    return changed


def settings_to_params(config: TrainConfig) -> dict[str, str]:
    """Query parameters for ``config``: the closest preset plus the settings that differ from it."""
    base_name = min(PRESETS, key=lambda name: len(changed_fields(config, PRESETS[name])))
    params = {PRESET_KEY: base_name}
    for name, value in changed_fields(config, PRESETS[base_name]).items():
        params[name] = format_value(name, value)
    return params


def short_description(config: TrainConfig) -> str:
    """The settings that matter most, in one line, e.g. for a chart legend:
    ``784-128-10 relu · cross-entropy · momentum lr 0.05 cosine · batch 100 · 4 epochs · seed 0``."""
    length = f"{config.steps:,} steps" if config.steps is not None else f"{config.epochs:g} epochs"
    optimiser = f"{config.optimizer} lr {config.lr:g}" + (" cosine" if config.schedule == "cosine" else "")
    parts = [
        shape_text(config.layer_sizes) + f" {config.activation}",
        config.loss,
        optimiser,
        f"batch {config.batch_size}",
        length,
    ]
    if config.weight_decay:
        parts.append(f"decay {config.weight_decay:g}")
    if config.augment:
        parts.append("augmented")
    parts.append(f"seed {config.seed}")
    return " · ".join(parts)


def setting_texts(config: TrainConfig) -> dict[str, str]:
    """Every setting of ``config`` as short text for people, in ``FIELDS`` order: hidden sizes
    as '64 32', switches as 'yes'/'no', steps or epochs as one entry ``RUN_LENGTH``
    ('200 steps', '5 epochs') in the place of steps."""
    texts = {}
    for name in FIELDS:
        value = getattr(config, name)
        if name == "steps":
            texts[RUN_LENGTH] = f"{value:,} steps" if value is not None else f"{config.epochs:g} epochs"
        elif name == "epochs":
            continue
        elif FIELDS[name].kind is tuple:
            texts[name] = " ".join(str(n) for n in value)
        elif isinstance(value, bool):
            texts[name] = "yes" if value else "no"
        else:
            texts[name] = format_value(name, value)
    return texts


def differing_settings(configs: Sequence[TrainConfig]) -> dict[str, list[str]]:
    """The settings that differ between ``configs``: name (as in ``setting_texts``) -> each
    config's value as text, in order; a setting with one value in all of them is left out.
    For a comparison of runs: these are what can explain why their curves differ."""
    texts = [setting_texts(config) for config in configs]
    if not texts:
        return {}
    return {name: [t[name] for t in texts] for name in texts[0] if len({t[name] for t in texts}) > 1}


def common_settings(configs: Sequence[TrainConfig]) -> dict[str, str]:
    """The settings that all ``configs`` share: name -> value as text (the complement of
    ``differing_settings``)."""
    if not configs:
        return {}
    differ = differing_settings(configs)
    return {name: text for name, text in setting_texts(configs[0]).items() if name not in differ}


def share_url(base_url: str, params: Mapping[str, str]) -> str:
    """``base_url`` (scheme, host and page path, no query) with ``params`` as its query."""
    return f"{base_url.split('?', 1)[0]}?{urlencode(params, safe=',')}" if params else base_url


def params_to_settings(
    params: Mapping[str, str | list[str]], ignore: Iterable[str] = ()
) -> tuple[TrainConfig, str, list[str]]:
    """Read settings from query parameters, forgivingly.

    Parameters
    ----------
    params : mapping of key -> text (or list of texts: the last one counts)
    ignore : keys that belong to something else and are skipped silently

    Returns
    -------
    config : the settings (always valid)
    preset : the preset name the link gives ('seed' when absent or unknown)
    warnings : one sentence per ignored, replaced or clamped value
    """
    texts = {key: (value[-1] if isinstance(value, list) else value) for key, value in params.items()}
    warnings: list[str] = []
    preset = texts.pop(PRESET_KEY, "seed").strip()
    if preset not in PRESETS:
        warnings.append(f"Unknown preset {_quote(preset)} in the link: using the seed preset's settings.")
        preset = "seed"
    base = PRESETS[preset]
    values: dict[str, Any] = {}
    skip = set(ignore)
    for key, text in texts.items():
        if key in skip:
            continue
        if key not in FIELDS:
            warnings.append(f"Ignored unknown setting {_quote(key)} in the link.")
            continue
        value, warning = _read_value(FIELDS[key], text, base)
        if warning:
            warnings.append(warning)
        if value is not None:
            values[key] = value
    if "steps" in values and "epochs" in values:
        warnings.append("The link sets both steps and epochs: using steps, ignoring epochs.")
        del values["epochs"]
    try:
        config = base.replace(**values)
    except ConfigError as exc:  # not expected: each value was checked on its own
        warnings.append(f"The link's settings do not fit together ({exc}): using the {preset} preset.")
        config = base
    return config, preset, warnings


def _read_value(field: Field, text: str, base: TrainConfig) -> tuple[Any, str]:
    """(value or None to keep the preset's, warning or '') for one query parameter."""
    name, default = field.name, _default_text(field, base)
    if len(text) > MAX_VALUE_LENGTH:
        return None, f"Setting {name}: the link's value is too long to be real; using the default {default}."
    try:
        value = parse_value(name, text)
    except ConfigError:
        return None, (
            f"Setting {name}: {_quote(text)} is not valid (must be {field.describe_range()}); "
            f"using the default {default}."
        )
    if field.kind is tuple and not 1 <= len(value) <= MAX_HIDDEN_LAYERS:
        return None, (
            f"Setting {name}: {_quote(text)} must list 1 to {MAX_HIDDEN_LAYERS} layer sizes; "
            f"using the default {default}."
        )
    value, clamped = _clamp(field, value)
    if value is None:
        return (
            None,
            f"Setting {name}: {_quote(text)} is not {field.describe_range()}; using the default {default}.",
        )
    try:
        base.replace(**{name: value})
    except ConfigError:
        return None, (
            f"Setting {name}: {_quote(text)} is not valid (must be {field.describe_range()}); "
            f"using the default {default}."
        )
    if clamped:
        shown = format_value(name, value)
        return value, f"Setting {name}: {_quote(text)} is not {field.describe_range()}; clamped to {shown}."
    return value, ""


def _clamp(field: Field, value: Any) -> tuple[Any, bool]:
    """Pull a number into the field's range. Returns (value or None if it cannot be, changed)."""
    if field.kind is tuple:
        sizes = tuple(_clamp_number(field, size) for size in value)
        return sizes, sizes != value
    if field.kind not in (int, float):
        return value, False
    if isinstance(value, float) and not math.isfinite(value):
        return None, False
    clamped = _clamp_number(field, value)
    if field.low_open and clamped == field.low:  # e.g. lr > 0: no number at the edge to clamp to
        return None, False
    return clamped, clamped != value


def _clamp_number(field: Field, value: float) -> Any:
    low = field.low if field.low is not None else value
    high = field.high if field.high is not None else value
    clamped = min(max(value, low), high)
    return field.kind(clamped) if field.kind in (int, float) else int(clamped)


def _default_text(field: Field, base: TrainConfig) -> str:
    """The preset's value as text; for an unused run length, the one in use ('4 epochs')."""
    value = getattr(base, field.name)
    if value is None:
        other = "epochs" if field.name == "steps" else "steps"
        return f"run length of {format_value(other, getattr(base, other))} {other}"
    return format_value(field.name, value)


def _quote(text: str) -> str:
    shown = text if len(text) <= 24 else text[:21] + "..."
    return repr(shown)
