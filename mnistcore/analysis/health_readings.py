"""Training health in words: a short reading of each statistic, computed from the numbers.

Each function takes a run's ``engine.health.HealthRecord`` list and the hidden activation's
name and returns one or two plain sentences (Markdown-safe: only numbers and fixed words),
e.g. "Layer 1's gradients are 40x smaller than layer 5's: the sigmoid's slope (at most 0.25)
shrinks them at every layer on the way back, so the first layers barely learn."

Layers are numbered from the input: layer 1 is the first weight matrix and the hidden units
it feeds; layer L is the output layer. The readings use the median of the last few records,
because a single minibatch's statistics are noisy.

Deliberate limits: English only; thresholds are rules of thumb (an update ratio of about
1e-3 is a healthy pace; a 10x gradient gap between layers is worth naming), not laws.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from mnistcore.engine.config import TrainConfig
from mnistcore.engine.health import LIMITS, SATURATION_MARGIN, HealthRecord
from mnistcore.engine.presets import BREAK_IT_FIXES, PRESETS

RECENT = 5  # records whose median a reading uses
VANISHING = 10.0  # a gradient ratio between the first and last layer worth naming
HEALTHY_UPDATE = 1e-3
SLOW_UPDATE, FAST_UPDATE = 1e-4, 1e-2
NOTABLE = 0.05  # a dead or saturated share worth naming

SLOPE_CAUSE = {
    "sigmoid": "the sigmoid's slope (at most 0.25) shrinks them at every layer on the way back, "
    "so the first layers barely learn",
    "tanh": "the tanh's slope (at most 1, and far less where it saturates) shrinks them at every layer on the way back",
    "relu": "ReLUs that are off pass nothing back, so less of the error reaches the first layers",
}


def times(ratio: float) -> str:
    """'1,000x', '40x', '3.2x'."""
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def percent_of(share: float) -> str:
    """A share as a percentage with two significant digits: '0.12%', '37%', '100%'."""
    value = 100 * share
    return f"{value:.0f}%" if value >= 10 else f"{value:.2g}%"


def recent(records: Sequence[HealthRecord], name: str) -> np.ndarray:
    """The median, per layer, of statistic ``name`` over the last ``RECENT`` records (NaN ignored)."""
    values = np.array([getattr(r, name) for r in records[-RECENT:]], dtype=np.float64)
    if values.size == 0 or np.isnan(values).all():
        return np.full(values.shape[1:] if values.ndim > 1 else (0,), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN layer's median is NaN, quietly
        return np.nanmedian(values, axis=0)


def _layers(numbers: Sequence[int]) -> str:
    """'layer 2', 'layers 1 and 2', 'layers 1, 2 and 3'."""
    names = [str(n) for n in numbers]
    if len(names) == 1:
        return f"layer {names[0]}"
    return f"layers {', '.join(names[:-1])} and {names[-1]}"


def _subject(numbers: Sequence[int]) -> str:
    """'Layer 2 moves', 'Layers 1 and 2 move'."""
    return _layers(numbers).capitalize() + (" moves" if len(numbers) == 1 else " move")


def gradient_reading(records: Sequence[HealthRecord], activation: str) -> str:
    """How the gradient's size changes from the last layer back to the first."""
    grad = recent(records, "grad_norm")
    if grad.size == 0 or not np.isfinite(grad).all():
        return "No gradient sizes recorded yet." if grad.size == 0 or np.isnan(grad).all() else _not_numbers()
    last = len(grad)
    if grad.max() < 1e-12:
        return "The gradients are zero in every layer: no error signal flows back, so nothing learns any more."
    if grad[0] < 1e-12:
        return f"Layer 1's gradients are zero while layer {last}'s are not: no error signal reaches the first layer."
    ratio = grad[-1] / grad[0]
    if ratio >= VANISHING:
        return f"Layer 1's gradients are {times(ratio)} smaller than layer {last}'s: {SLOPE_CAUSE[activation]}."
    if ratio <= 1 / VANISHING:
        return (
            f"Layer 1's gradients are {times(1 / ratio)} larger than layer {last}'s: they grow on the way back, "
            "which can make the first layers' steps too big."
        )
    spread = grad.max() / max(grad.min(), 1e-30)
    return (
        f"From layer 1 to layer {last} the gradients stay within {times(spread)} of each other: "
        "the error signal reaches every layer."
    )


def _not_numbers() -> str:
    return "Some statistics are no longer numbers: the run is diverging (try a smaller learning rate)."


def update_reading(records: Sequence[HealthRecord], activation: str) -> str:
    """How big each step is against the weights, against the rule of thumb of about 1e-3."""
    ratio = recent(records, "update_ratio")
    if ratio.size == 0 or np.isnan(ratio).all():
        return "No update sizes recorded yet."
    if not np.isfinite(ratio).all():
        return _not_numbers()
    last = len(ratio)
    if ratio.max() == 0:
        return "The weights no longer change at all: every step is zero."
    text = (
        f"Each step changes layer 1's weights by {percent_of(ratio[0])} of their size "
        f"and layer {last}'s by {percent_of(ratio[-1])}. "
    )
    slow = [l + 1 for l, r in enumerate(ratio) if r < SLOW_UPDATE]
    fast = [l + 1 for l, r in enumerate(ratio) if r > FAST_UPDATE]
    healthy = f"about {percent_of(HEALTHY_UPDATE)} a step is a healthy pace"
    if slow:
        return text + f"{_subject(slow)} less than {percent_of(SLOW_UPDATE)} a step: barely learning ({healthy})."
    if fast:
        return (
            text + f"{_subject(fast)} more than {percent_of(FAST_UPDATE)} a step: steps that big overshoot ({healthy})."
        )
    return text + f"Every layer moves near the healthy pace of about {percent_of(HEALTHY_UPDATE)} a step."


def inactive_reading(records: Sequence[HealthRecord], activation: str) -> str:
    """Dead ReLU units, or saturated sigmoid/tanh outputs: how many, where, and since when."""
    share = recent(records, "inactive")
    if share.size == 0 or np.isnan(share).all():
        return "No hidden-layer outputs recorded yet."
    worst = int(np.nanargmax(share))
    first = records[0].inactive[worst]
    since = ""
    if np.isfinite(first) and share[worst] - first >= 0.1:
        since = f" It was {percent_of(first)} at step {records[0].step:,}."
    if activation == "relu":
        if share.max() < NOTABLE:
            amount = "No" if share.max() == 0 else f"Hardly any (at most {percent_of(share.max())})"
            return f"{amount} dead units: every layer's ReLUs fire for some digits."
        return (
            f"{percent_of(share[worst])} of layer {worst + 1}'s units are dead: they output 0 for every digit "
            f"in the batch, so no gradient flows through them and they cannot recover.{since}"
        )
    low, high = LIMITS[activation]
    if share.max() < NOTABLE:
        amount = "No" if share.max() == 0 else f"Few (at most {percent_of(share.max())})"
        return f"{amount} saturated outputs: the {activation} units work in their sloped middle, where gradients pass."
    return (
        f"{percent_of(share[worst])} of layer {worst + 1}'s outputs are within {SATURATION_MARGIN:g} of {low:g} "
        f"or {high:g}, where the {activation} is flat: the gradients through them almost vanish.{since}"
    )


def histogram_reading(records: Sequence[HealthRecord], activation: str) -> str:
    """Where the latest outputs sit: at the ends of a sigmoid/tanh, or near zero for a ReLU."""
    if not records or records[-1].histogram.size == 0:
        return "No hidden-layer outputs recorded yet."
    record = records[-1]
    parts = []
    if activation == "relu":
        for h, (hist, (_, high)) in enumerate(zip(record.histogram, record.hist_range)):
            largest = f" (largest output {high:.2g})" if hist[0] < 0.999 else ""
            parts.append(f"layer {h + 1} {percent_of(hist[0])}{largest}")
        lowest = [float(hist[0]) for hist in record.histogram]
        verdict = (
            f"layer {int(np.argmax(lowest)) + 1} is switching off: nearly all its outputs are 0"
            if max(lowest) >= 0.9
            else "a share near 0 is normal for ReLUs, each of which fires for some digits and not others"
        )
        return f"Share of outputs near 0 (the lowest bin): {'; '.join(parts)}. So {verdict}."
    ends = [float(hist[0] + hist[-1]) for hist in record.histogram]
    parts = [f"layer {h + 1} {percent_of(e)}" for h, e in enumerate(ends)]
    low, high = LIMITS[activation]
    verdict = (
        f"most of layer {int(np.argmax(ends)) + 1}'s outputs are pinned at the ends, where the {activation} is flat"
        if max(ends) > 0.5
        else "the outputs spread over the range, where the slope lets gradients through"
    )
    return f"Share of outputs in the two end bins (near {low:g} and {high:g}): " + "; ".join(parts) + f". So {verdict}."


READINGS = {
    "grad_norm": gradient_reading,
    "update_ratio": update_reading,
    "inactive": inactive_reading,
    "histogram": histogram_reading,
}


RUN_LENGTH_FIELDS = ("steps", "epochs", "eval_every", "seed")  # what a learner may shorten or vary


def break_it_fix(config: TrainConfig) -> tuple[str, str, TrainConfig] | None:
    """(preset, fix label, fixed settings) when ``config`` is a break-it preset (``BREAK_IT_FIXES``),
    its run length, validation interval or seed aside; the fix keeps those. None otherwise."""
    for name, (label, fixed) in BREAK_IT_FIXES.items():
        preset = PRESETS[name]
        if config.replace(**{f: getattr(preset, f) for f in RUN_LENGTH_FIELDS}) == preset:
            changes = {f: v for f, v in fixed.to_dict().items() if v != preset.to_dict()[f]}
            return name, label, config.replace(**changes)
    return None


DEAD_STALL, SATURATED_STALL = 0.5, 0.3  # shares of dead units or saturated outputs worth naming for a stall


class StallCause(NamedTuple):
    """What a stalled run's health records show: ``kind`` is 'dead' (ReLUs, the mark of too high
    a learning rate), 'saturated' or 'vanishing' (the architecture's or the init's doing)."""

    kind: str
    text: str  # a clause for "The network did not learn: ..."


def stall_cause(records: Sequence[HealthRecord], activation: str) -> StallCause | None:
    """Why a run that did not learn stalled, when its health records show it plainly (dead
    ReLUs, saturated units, vanishing gradients, in that order); None when they do not.
    From the same numbers as the readings."""
    if not records:
        return None
    inactive, grad = recent(records, "inactive"), recent(records, "grad_norm")
    if inactive.size and np.nanmax(inactive, initial=0.0) >= (DEAD_STALL if activation == "relu" else SATURATED_STALL):
        worst = int(np.nanargmax(inactive))
        if activation == "relu":
            return StallCause(
                "dead",
                f"{percent_of(inactive[worst])} of layer {worst + 1}'s ReLUs are dead (0 for every digit), "
                "so no gradient flows back through them",
            )
        return StallCause(
            "saturated",
            f"{percent_of(inactive[worst])} of layer {worst + 1}'s outputs are saturated, where the {activation} "
            "is flat and passes almost no gradient",
        )
    if grad.size and np.isfinite(grad).all() and grad[0] > 0 and grad[-1] / grad[0] >= VANISHING:
        return StallCause(
            "vanishing",
            f"its gradients vanish on the way back (layer 1's are {times(grad[-1] / grad[0])} smaller than "
            f"layer {len(grad)}'s), so the first layers barely learn",
        )
    return None
